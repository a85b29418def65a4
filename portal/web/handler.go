// Package web is the customer portal's web UI at /portal/{slug}.
package web

import (
	"net/http"

	"github.com/remitbilling/remit/portal"
)

// NewHandler serves the portal web UI under /portal/.
func NewHandler(d portal.Deps) http.Handler {
	return http.NotFoundHandler()
}
