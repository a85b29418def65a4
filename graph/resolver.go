// Package graph is the merchant GraphQL API. Resolvers are thin: they decode
// input, call a domain service in internal/, and map the result. Rules live
// in the services; scoping lives in the data layer.
package graph

import (
	"slices"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/accounts"
	"github.com/remitbilling/remit/internal/banktransfers"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/catalog"
	"github.com/remitbilling/remit/internal/customers"
	"github.com/remitbilling/remit/internal/eventstream"
	"github.com/remitbilling/remit/internal/exports"
	"github.com/remitbilling/remit/internal/paymentmethods"
	"github.com/remitbilling/remit/internal/portal"
	"github.com/remitbilling/remit/internal/processors"
	"github.com/remitbilling/remit/internal/receivables"
	"github.com/remitbilling/remit/internal/testclocks"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/webhooks"
)

// Resolver holds the services the API calls.
type Resolver struct {
	DB        *ent.Client
	Accounts  *accounts.Service
	Customers *customers.Service
	Catalog   *catalog.Service
	Billing   *billing.Service
	Methods   *paymentmethods.Service
	// Processors connects accounts' payment processors.
	Processors *processors.Service
	Portal     *portal.Service
	// TestClocks runs test clocks.
	Clocks *testclocks.Service
	// Webhooks manages webhook endpoints.
	Webhooks *webhooks.Service
	// Events follows the event log for subscriptions.
	Stream *eventstream.Hub
	// BankTransfers receives, matches and settles bank transfers.
	BankTransfers *banktransfers.Service
	// Exports writes CSV exports and signs their download links.
	Exports *exports.Service
	// Receivables reads the aging report and customer statements.
	Receivables *receivables.Service
	// PublicURL is the server's address as clients reach it, for links.
	PublicURL string
}

// userErrors splits a service error into the user errors to return in the
// payload, with their field paths under prefix, or an internal error to
// report (masked) at the top level.
func userErrors(err error, prefix ...string) ([]*usererr.Error, error) {
	if err == nil {
		return []*usererr.Error{}, nil
	}
	ue := usererr.From(err)
	if ue == nil {
		return nil, err
	}
	out := make([]*usererr.Error, len(ue))
	for i, e := range ue {
		out[i] = usererr.At(e, prefix...)
	}
	return out, nil
}

// nestedErrors is userErrors for inputs that wrap the object's fields in a
// sub-object: fields named in direct sit under "input" itself.
func nestedErrors(err error, prefix []string, direct ...string) ([]*usererr.Error, error) {
	ue, err := userErrors(err)
	for i, e := range ue {
		path := prefix
		if len(e.Field) > 0 && slices.Contains(direct, e.Field[0]) {
			path = []string{"input"}
		}
		ue[i] = usererr.At(e, path...)
	}
	return ue, err
}
