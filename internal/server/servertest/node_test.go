package servertest_test

import (
	"net/http"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/viewer"
)

// TestNodePaymentsAndEmails checks node(id:) and nodes(ids:) resolve a
// payment method (pm_…), a payment (py_…) and an email (em_…) for their
// owner, with their own type and fields, and answer null to another
// account and to the owner's other mode. (The other Node types are
// covered by the isolation tests' fixture.)
func TestNodePaymentsAndEmails(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		cus := apitest.Str(t, e.Mutate("customerCreate",
			`mutation { customerCreate(input: {customer: {name: "Jenny Rosen", email: "jenny@example.com", currency: "EUR"}}) { customer { id } `+userErrorFields+` } }`, nil),
			"customer", "id")
		// A declined card gives all three: the method, a FAILED payment and
		// the payment_failed email to the customer.
		pm := apitest.Str(t, e.Mutate("paymentMethodAttach",
			`mutation($c: ID!) { paymentMethodAttach(input: {customer: $c, card: {number: "4000000000000002", expMonth: 12, expYear: 2030, cvc: "123"}}) { paymentMethod { id } `+userErrorFields+` } }`,
			map[string]any{"c": cus}), "paymentMethod", "id")
		inv := apitest.Str(t, e.Mutate("invoiceCreate",
			`mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", lines: [{description: "Consulting", unitAmount: "100.00"}]}) { invoice { id } `+userErrorFields+` } }`,
			map[string]any{"c": cus}), "invoice", "id")
		e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id, send: false}) { invoice { id } `+userErrorFields+` } }`, map[string]any{"id": inv})
		paid := e.MutateKeyed("invoicePay",
			`mutation($id: ID!, $pm: ID!) { invoicePay(input: {id: $id, paymentMethod: $pm}) { payment { id status } invoice { emails { id kind } } `+userErrorFields+` } }`,
			map[string]any{"id": inv, "pm": pm}, "node-test-pay")
		if ue := paid["userErrors"].([]any); len(ue) > 0 {
			t.Fatalf("invoicePay: %v", ue)
		}
		py := apitest.Str(t, paid, "payment", "id")
		if s := apitest.Str(t, paid, "payment", "status"); s != "FAILED" {
			t.Fatalf("payment %s, want FAILED", s)
		}
		emails := apitest.Get(t, paid, "invoice", "emails").([]any)
		if len(emails) == 0 {
			t.Fatalf("no email after the declined payment: %v", paid)
		}
		em := apitest.Str(t, emails[0], "id")

		_, otherAccount := e.NewAccount("Other SAS", viewer.Test)
		live := e.NewKey(e.Account, viewer.Live)

		const one = `query($id: ID!) { node(id: $id) { id __typename
			... on PaymentMethod { last4 }
			... on Payment { status }
			... on EmailMessage { kind } } }`
		objects := []struct {
			typ, id, field, want string
		}{
			{"PaymentMethod", pm, "last4", "0002"},
			{"Payment", py, "status", "FAILED"},
			{"EmailMessage", em, "kind", "payment_failed"},
		}
		ids := make([]any, len(objects))
		for i, o := range objects {
			ids[i] = o.id
		}
		for _, caller := range []struct {
			name    string
			key     string
			visible bool
		}{
			{"owner", "", true},
			{"another account", otherAccount, false},
			{"live mode", live, false},
		} {
			t.Run(caller.name, func(t *testing.T) {
				for _, o := range objects {
					res := e.Do(apitest.Request{Key: caller.key, Query: one, Variables: map[string]any{"id": o.id}})
					if res.Status != http.StatusOK || len(res.Errors) > 0 {
						t.Fatalf("node(%s): status %d: %s", o.id, res.Status, res.RawBody)
					}
					n := res.Data["node"]
					switch {
					case !caller.visible:
						if n != nil {
							t.Errorf("node(%s %s) = %v, want null", o.typ, o.id, n)
						}
					case n == nil:
						t.Errorf("node(%s %s) = null, want the object", o.typ, o.id)
					case apitest.Str(t, n, "id") != o.id || apitest.Str(t, n, "__typename") != o.typ || apitest.Str(t, n, o.field) != o.want:
						t.Errorf("node(%s %s) = %v, want %s %s", o.typ, o.id, n, o.field, o.want)
					}
				}
				res := e.Do(apitest.Request{Key: caller.key, Query: `query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }`, Variables: map[string]any{"ids": ids}})
				if res.Status != http.StatusOK || len(res.Errors) > 0 {
					t.Fatalf("nodes: status %d: %s", res.Status, res.RawBody)
				}
				got := apitest.Get(t, res.Data, "nodes").([]any)
				if len(got) != len(objects) {
					t.Fatalf("nodes returned %d results for %d ids", len(got), len(objects))
				}
				for i, n := range got {
					o := objects[i]
					switch {
					case !caller.visible && n != nil:
						t.Errorf("nodes[%d] (%s) = %v, want null", i, o.id, n)
					case caller.visible && (n == nil || apitest.Str(t, n, "id") != o.id || apitest.Str(t, n, "__typename") != o.typ):
						t.Errorf("nodes[%d] (%s) = %v, want the %s", i, o.id, n, o.typ)
					}
				}
			})
		}
	})
}
