package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/account"
	"github.com/remitbilling/remit/ent/apikey"
	"github.com/remitbilling/remit/ent/balancetransaction"
	"github.com/remitbilling/remit/ent/banktransfer"
	"github.com/remitbilling/remit/ent/cashbalancetransaction"
	"github.com/remitbilling/remit/ent/creditnote"
	"github.com/remitbilling/remit/ent/creditnoteline"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/ent/emailmessage"
	"github.com/remitbilling/remit/ent/event"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/invoiceline"
	"github.com/remitbilling/remit/ent/invoicetransition"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/ent/paymentmethod"
	"github.com/remitbilling/remit/ent/price"
	"github.com/remitbilling/remit/ent/product"
	"github.com/remitbilling/remit/ent/refund"
	"github.com/remitbilling/remit/ent/taxrate"
	"github.com/remitbilling/remit/ent/testclock"
	"github.com/remitbilling/remit/ent/webhookdelivery"
	"github.com/remitbilling/remit/ent/webhookendpoint"
	"github.com/remitbilling/remit/graph/model"
	"github.com/remitbilling/remit/internal/ids"
)

// maxPage bounds every connection page, GitHub-style.
const maxPage = 100

// argumentError is a top-level error for a malformed argument.
func argumentError(arg, message string) error {
	return &gqlerror.Error{
		Message:    arg + ": " + message,
		Extensions: map[string]any{"code": "BAD_USER_INPUT", "argument": arg},
	}
}

func checkFirst(first int) error {
	if first < 1 || first > maxPage {
		return argumentError("first", "must be within 1-100")
	}
	return nil
}

// orNil turns "not found" into a null result: a missing object and another
// account's object look the same.
func orNil[T any](v *T, err error) (*T, error) {
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return v, err
}

// nodeTypes maps id prefixes (the IDMixin prefixes in ent/schema) to ent
// node types; the prefix is what makes global ids self-describing. Every
// type implementing Node needs its entry, or node(id:) answers null for
// it: TestNodeTypesCoverEveryNode checks none is missing.
var nodeTypes = map[string]string{
	"acct":    account.Table,
	"key":     apikey.Table,
	"cus":     customer.Table,
	"cbtxn":   balancetransaction.Table,
	"prod":    product.Table,
	"price":   price.Table,
	"txr":     taxrate.Table,
	"in":      invoice.Table,
	"il":      invoiceline.Table,
	"ivt":     invoicetransition.Table,
	"evt":     event.Table,
	"pm":      paymentmethod.Table,
	"py":      payment.Table,
	"re":      refund.Table,
	"em":      emailmessage.Table,
	"cn":      creditnote.Table,
	"cnl":     creditnoteline.Table,
	"clock":   testclock.Table,
	"we":      webhookendpoint.Table,
	"whd":     webhookdelivery.Table,
	"btr":     banktransfer.Table,
	"ccsbtxn": cashbalancetransaction.Table,
}

// node resolves a global id through the same privacy rules as every other
// read: another account's or mode's object is simply not found.
func node(ctx context.Context, db *ent.Client, id string) (ent.Noder, error) {
	if !ids.Valid(id) {
		return nil, nil
	}
	table, ok := nodeTypes[ids.Prefix(id)]
	if !ok {
		return nil, nil
	}
	n, err := db.Noder(ctx, id, ent.WithFixedNodeType(table))
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return n, err
}

// answersSelection reports whether inv, the invoice a mutation returned
// (a whole row, as its transaction left it), answers the payload's
// selection without a statement per line: edges it has not loaded are read
// on demand, one statement each (as a re-read would), except the edges of
// lines (taxRates, price), read once per line unless the lines came loaded
// with them. Only then is the invoice read again, selection eager-loaded.
// The edges inv came with are named after the selection's aliases, which is
// how entgql looks them up.
func answersSelection(ctx context.Context, inv *ent.Invoice) bool {
	oc := graphql.GetOperationContext(ctx)
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		switch f.Name {
		case "defaultTaxRates":
			if rates, err := inv.Edges.DefaultTaxRatesOrErr(); err == nil {
				inv.LoadedNamedDefaultTaxRates(f.Alias, rates)
			}
		case "lines":
			lines, err := inv.Edges.LinesOrErr()
			for _, sub := range graphql.CollectFields(oc, f.Selections, nil) {
				switch sub.Name {
				case "taxRates":
					if err != nil {
						return false
					}
					for _, l := range lines {
						rates, err := l.Edges.TaxRatesOrErr()
						if err != nil {
							return false
						}
						l.LoadedNamedTaxRates(sub.Alias, rates)
					}
				case "price":
					if err != nil {
						return false
					}
					for _, l := range lines {
						if _, err := l.Edges.PriceOrErr(); ent.IsNotLoaded(err) {
							return false
						}
					}
				}
			}
			if err == nil {
				inv.LoadedNamedLines(f.Alias, lines)
			}
		}
	}
	return true
}

// invoicePayload wraps a billing result in the mutation payload.
func invoicePayload(inv *ent.Invoice, err error) (*model.InvoicePayload, error) {
	ue, err := userErrors(err, "input")
	if len(ue) > 0 {
		inv = nil
	}
	return &model.InvoicePayload{Invoice: inv, UserErrors: ue}, err
}

// payPayload maps a payment attempt; a declined payment is a result, not
// a user error.
func payPayload(inv *ent.Invoice, p *ent.Payment, err error) (*model.InvoicePayPayload, error) {
	ue, err := userErrors(err, "input")
	if len(ue) > 0 {
		return &model.InvoicePayPayload{UserErrors: ue}, nil
	}
	return &model.InvoicePayPayload{Invoice: inv, Payment: p, UserErrors: ue}, err
}

// bankTransferPayload maps a bank transfer mutation's outcome.
func bankTransferPayload(t *ent.BankTransfer, err error) (*model.BankTransferPayload, error) {
	ue, err := userErrors(err, "input")
	if len(ue) > 0 {
		t = nil
	}
	return &model.BankTransferPayload{BankTransfer: t, UserErrors: ue}, err
}
