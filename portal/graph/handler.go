// Package graph is the customer portal's GraphQL API at /portal/graphql.
package graph

import (
	"net/http"

	"github.com/remitbilling/remit/portal"
)

// NewHandler serves the portal GraphQL API.
func NewHandler(d portal.Deps) http.Handler {
	return http.NotFoundHandler()
}
