package billingtest_test

import (
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
)

// TestSnapshotsFrozenAtFinalization checks an issued invoice keeps the
// buyer's and the seller's details as they were when it was finalized
// (reference §1.5, §2.3), while the live customer and account move on.
func TestSnapshotsFrozenAtFinalization(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		c.accountUpdate(map[string]any{
			"legalName":         "Acme Société par actions simplifiée",
			"email":             "facturation@acme.example",
			"address":           map[string]any{"line1": "1 place de la Bourse", "city": "Lyon", "postalCode": "69002", "country": "FR"},
			"siren":             "732829320",
			"vatNumber":         "FR44732829320",
			"operationCategory": "SERVICES",
		})
		cus := c.newCustomer("Jenny Rosen", "jenny@example.com",
			"phone", "+33612345678",
			"address", map[string]any{"line1": "10 rue de Rivoli", "line2": "Bât. B", "city": "Paris", "postalCode": "75001", "country": "FR"},
			"shipping", map[string]any{"name": "Jenny R.", "address": map[string]any{"line1": "5 quai Voltaire", "city": "Paris", "postalCode": "75007", "country": "FR"}},
			"taxIds", []any{map[string]any{"type": "eu_vat", "value": "FR44732829320"}},
			"taxExempt", "REVERSE",
			"preferredLocales", []any{"fr-FR", "en"},
		)
		draft := c.createInvoice(cus, nil)
		id := apitest.Str(t, draft, "id")
		if draft["customerDetails"] != nil || draft["issuer"] != nil {
			t.Errorf("a draft has no snapshots: %v %v", draft["customerDetails"], draft["issuer"])
		}
		// A change before finalization is what gets frozen.
		c.customerUpdate(cus, map[string]any{"name": "Jenny Rosen-Martin"})
		open := c.finalize(id)
		wantBuyer := map[string]any{
			"name": "Jenny Rosen-Martin", "email": "jenny@example.com", "phone": "+33612345678",
			"address":   map[string]any{"line1": "10 rue de Rivoli", "line2": "Bât. B", "city": "Paris", "state": "", "postalCode": "75001", "country": "FR"},
			"shipping":  map[string]any{"name": "Jenny R.", "phone": "", "address": map[string]any{"line1": "5 quai Voltaire", "city": "Paris", "postalCode": "75007", "country": "FR"}},
			"taxIds":    []any{map[string]any{"type": "eu_vat", "value": "FR44732829320"}},
			"taxExempt": "REVERSE",
			"locales":   []any{"fr-FR", "en"},
		}
		wantSeller := map[string]any{
			"name": "Acme SAS", "legalName": "Acme Société par actions simplifiée", "email": "facturation@acme.example", "phone": "",
			"address": map[string]any{"line1": "1 place de la Bourse", "line2": "", "city": "Lyon", "postalCode": "69002", "country": "FR"},
			"siren":   "732829320", "siret": "", "vatNumber": "FR44732829320", "taxIds": []any{},
		}
		// Unset parts read as "" (the API never returns null inside a
		// party or an address).
		sameJSON(t, "customerDetails at finalization", open["customerDetails"], wantBuyer)
		sameJSON(t, "issuer at finalization", open["issuer"], wantSeller)

		// Everything changes afterwards…
		p := c.customerUpdate(cus, map[string]any{
			"name":     "J. Martin",
			"email":    "j.martin@example.com",
			"address":  map[string]any{"line1": "2 avenue Foch", "city": "Nice", "postalCode": "06000", "country": "FR"},
			"taxIds":   []any{map[string]any{"type": "fr_siren", "value": "732829320"}},
			"shipping": map[string]any{"name": "", "address": map[string]any{}},
		})
		wantCodes(t, p)
		c.accountUpdate(map[string]any{
			"name":      "Acme Group",
			"legalName": "Acme Group SA",
			"address":   map[string]any{"line1": "3 rue de la Paix", "city": "Paris", "postalCode": "75002", "country": "FR"},
		})
		// …but not the issued invoice, whatever it goes through.
		c.invoiceOK("invoiceUpdate", map[string]any{"id": id, "memo": "Rappel"})
		got := c.invoice(id)
		sameJSON(t, "customerDetails after the customer changed", got["customerDetails"], wantBuyer)
		sameJSON(t, "issuer after the account changed", got["issuer"], wantSeller)
		// The live customer did change.
		eq(t, "customer.name", apitest.Str(t, got, "customer", "name"), "J. Martin")
		c.markPaid(id)
		got = c.invoice(id)
		sameJSON(t, "customerDetails once paid", got["customerDetails"], wantBuyer)
		sameJSON(t, "issuer once paid", got["issuer"], wantSeller)

		// A new invoice takes the new details.
		next := c.finalize(apitest.Str(t, c.createInvoice(cus, nil), "id"))
		eq(t, "new customerDetails.name", apitest.Str(t, next, "customerDetails", "name"), "J. Martin")
		eq(t, "new issuer.legalName", apitest.Str(t, next, "issuer", "legalName"), "Acme Group SA")
		if next["customerDetails"].(map[string]any)["shipping"] != nil {
			t.Errorf("shipping was cleared, got %v", next["customerDetails"].(map[string]any)["shipping"])
		}
	})
}
