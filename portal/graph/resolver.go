// Package graph is the customer portal's GraphQL API at /portal/graphql.
// Resolvers are thin: they check the session and the merchant's portal
// features, call a domain service in internal/, and map the result. Every
// read and write runs in the request's context, whose viewer acts for the
// signed-in customer, so the data layer confines it to that customer's own
// rows (and hides drafts).
package graph

import (
	"github.com/remitbilling/remit/internal/payer"
	"github.com/remitbilling/remit/portal"
)

// Resolver holds the services the API calls.
type Resolver struct {
	portal.Deps
	// Payer is the payer layer every payer action and rule goes through.
	Payer *payer.Service
}
