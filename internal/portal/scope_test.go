package portal_test

import (
	"context"
	"testing"

	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/invoiceline"
	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/viewer"
)

// TestCustomerViewerIsConfined checks the data layer itself: a viewer
// acting for a portal customer reads only that customer's issued invoices
// and their lines, never drafts, other customers, merchant-only tables or
// the invoice history, and cannot change another customer's rows.
func TestCustomerViewerIsConfined(t *testing.T) {
	apitest.ForEachDialect(t, func(t *testing.T, e *apitest.Env) {
		newCustomer := func(name string) string {
			q := `mutation($n: String!) { customerCreate(input: {customer: {name: $n}}) { customer { id } warnings { code } userErrors { code } } }`
			return apitest.Str(t, e.Mutate("customerCreate", q, map[string]any{"n": name}), "customer", "id")
		}
		invoiceFor := func(cus string, finalize bool) string {
			q := `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", lines: [{description: "Audit", unitAmount: "100"}]}) { invoice { id } userErrors { code } } }`
			id := apitest.Str(t, e.Mutate("invoiceCreate", q, map[string]any{"c": cus}), "invoice", "id")
			if finalize {
				e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { id } userErrors { code } } }`, map[string]any{"id": id})
			}
			return id
		}
		a, b := newCustomer("A"), newCustomer("B")
		issuedA, draftA, issuedB := invoiceFor(a, true), invoiceFor(a, false), invoiceFor(b, true)
		e.Mutate("productCreate", `mutation { productCreate(input: {name: "Secret product"}) { product { id } userErrors { code } } }`, nil)

		db := e.Store.Client
		ctx := viewer.NewContext(clock.WithContext(context.Background(), e.Clock),
			viewer.Viewer{AccountID: e.Account, Mode: viewer.Test, CustomerID: a, Actor: "customer:" + a})

		ids, err := db.Invoice.Query().IDs(ctx)
		if err != nil || len(ids) != 1 || ids[0] != issuedA {
			t.Errorf("invoices visible to A: %v (%v), want only %s", ids, err, issuedA)
		}
		for _, id := range []string{draftA, issuedB} {
			if n, _ := db.Invoice.Query().Where(invoice.ID(id)).Count(ctx); n != 0 {
				t.Errorf("A sees invoice %s", id)
			}
			if n, _ := db.InvoiceLine.Query().Where(invoiceline.InvoiceID(id)).Count(ctx); n != 0 {
				t.Errorf("A sees the lines of invoice %s", id)
			}
		}
		if n, err := db.InvoiceLine.Query().Where(invoiceline.InvoiceID(issuedA)).Count(ctx); err != nil || n != 1 {
			t.Errorf("A's own lines: %d (%v)", n, err)
		}
		if cs, _ := db.Customer.Query().IDs(ctx); len(cs) != 1 || cs[0] != a {
			t.Errorf("customers visible to A: %v", cs)
		}
		if _, err := db.Product.Query().All(ctx); err == nil {
			t.Errorf("A reads the merchant's products")
		}
		if _, err := db.InvoiceTransition.Query().All(ctx); err == nil {
			t.Errorf("A reads invoice history")
		}
		if _, err := db.APIKey.Query().All(ctx); err == nil {
			t.Errorf("A reads API keys")
		}
		if n, _ := db.Customer.Update().Where(customer.ID(b)).SetName("Hijacked").Save(ctx); n != 0 {
			t.Errorf("A renamed B")
		}
		if err := db.Customer.UpdateOneID(a).SetPhone("+33 1 23 45 67 89").Exec(ctx); err != nil {
			t.Errorf("A cannot update itself: %v", err)
		}
		if _, err := db.PaymentMethod.Create().SetCustomerID(b).SetType("CARD").SetToken("sim_pm_x").Save(ctx); err == nil {
			t.Errorf("A attached a payment method to B")
		}
	})
}
