package servertest_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/apitest"
)

// Lists load their invoices' payments and their customers' payment methods
// with the list (one query per edge, internal/billing/billingtest's
// statement count); what they show must be what reading each object alone
// shows: every payment on its own invoice, oldest first; attached methods
// only, newest first, the default one marked.
func TestListsShowPaymentsAndMethodsOfEachObject(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		p := newPayT(t, e)
		jenny := p.customer("Jenny Rosen", "jenny@example.com", "EUR")
		// The test clock stands still unless moved: one second between
		// events whose order is checked.
		card := func(cus, number string) string {
			defer e.Clock.Advance(time.Second)
			return p.card(cus, number)
		}
		old := card(jenny, cardOK)
		removed := card(jenny, cardOK)
		newest := card(jenny, cardDeclined)
		p.payload("paymentMethodDetach", payDetachMutation, map[string]any{"in": map[string]any{"id": removed}}, "")
		p.must("customerSetDefaultPaymentMethod", paySetDefault, map[string]any{"in": map[string]any{"customer": jenny, "paymentMethod": old}})
		max := p.customer("Max Mustermann", "max@example.com", "EUR")
		maxCard := p.card(max, cardOK)

		paid := map[string][]string{} // invoice → payment ids, in order
		a := p.open(jenny, "EUR", "300.00", nil)
		for _, pay := range []struct{ amount, method string }{{"100.00", old}, {"50.00", newest}, {"25.00", old}} {
			paid[a] = append(paid[a], apitest.Str(t, p.payOK(a, pay.amount, pay.method), "payment", "id"))
			e.Clock.Advance(time.Second)
		}
		b := p.open(max, "EUR", "80.00", nil)
		paid[b] = append(paid[b], apitest.Str(t, p.payOK(b, "", maxCard), "payment", "id"))
		c := p.open(jenny, "EUR", "10.00", nil)
		paid[c] = nil

		const list = `{ invoices(first: 10) { edges { node { id acceptedPaymentMethodTypes
				payments { id amount { minorUnits currency } }
				customer { id paymentMethods { id isDefault } } } } } }`
		const one = `query($id: ID!) { invoice(id: $id) { id acceptedPaymentMethodTypes
				payments { id amount { minorUnits currency } }
				customer { id paymentMethods { id isDefault } } } }`
		edges := apitest.Get(t, p.query(list, nil), "invoices", "edges").([]any)
		if len(edges) != 3 {
			t.Fatalf("%d invoices listed, want 3", len(edges))
		}
		for _, edge := range edges {
			listed := edge.(map[string]any)["node"].(map[string]any)
			id := apitest.Str(t, listed, "id")
			var got []string
			for _, py := range listed["payments"].([]any) {
				got = append(got, apitest.Str(t, py, "id"))
				if cur := apitest.Str(t, py, "amount", "currency"); cur != "EUR" {
					t.Errorf("payment %v in %q", py, cur)
				}
			}
			if !slices.Equal(got, paid[id]) {
				t.Errorf("invoice %s lists payments %v, want %v", id, got, paid[id])
			}
			wantMethods := []any{map[string]any{"id": newest, "isDefault": false}, map[string]any{"id": old, "isDefault": true}}
			if apitest.Str(t, listed, "customer", "id") == max {
				wantMethods = []any{map[string]any{"id": maxCard, "isDefault": true}} // the first card
			}
			if methods := apitest.Get(t, listed, "customer", "paymentMethods"); !equalJSON(methods, wantMethods) {
				t.Errorf("invoice %s: customer's methods %v, want %v", id, methods, wantMethods)
			}
			if alone := p.query(one, map[string]any{"id": id})["invoice"]; !equalJSON(alone, listed) {
				t.Errorf("invoice %s read alone:\n%v\nlisted:\n%v", id, alone, listed)
			}
		}
	})
}

// equalJSON compares two decoded JSON values.
func equalJSON(a, b any) bool { return reflect.DeepEqual(a, b) }
