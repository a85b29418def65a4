package billingtest_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/apitest"
)

// TestSeedWalkthrough follows the invoice lifecycle of the seed "Fonctionnement
// de la facturation": a draft is created, finalized into an open invoice
// with its number, due date and frozen details, then marked paid outside
// Remit; every step is in the history.
func TestSeedWalkthrough(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		actor := c.keyID()
		cus := c.newCustomer("Jenny Rosen", "jenny.rosen@example.com")

		// Toute nouvelle facture se voit attribuer l'état draft.
		draft := c.createInvoice(cus, map[string]any{"daysUntilDue": 30})
		id := apitest.Str(t, draft, "id")
		eq(t, "status", draft["status"], any("DRAFT"))
		if draft["number"] != nil {
			t.Errorf("a draft has no number, got %v", draft["number"])
		}
		eq(t, "total", money(t, draft, "total"), "5000.00")
		eq(t, "total currency", apitest.Str(t, draft, "total", "currency"), "USD")
		eq(t, "line description", apitest.Str(t, draft, "lines", 0, "description"), "Accès Premium 1 an")
		eq(t, "daysUntilDue", draft["daysUntilDue"], any(float64(30)))
		if draft["dueDate"] != nil || draft["customerDetails"] != nil || draft["issuer"] != nil || draft["finalizedAt"] != nil {
			t.Errorf("a draft has no due date, snapshots or finalization time: %v %v %v %v",
				draft["dueDate"], draft["customerDetails"], draft["issuer"], draft["finalizedAt"])
		}
		sameJSON(t, "draft actions", strs(draft["availableActions"]), []string{"EDIT", "EDIT_MEMO", "DELETE", "FINALIZE", "DUPLICATE"})

		// Stripe finalise une facture lorsqu'elle est prête à être payée
		// en définissant son état sur open.
		c.Clock.Advance(2 * time.Hour)
		finalizedAt := t0.Add(2 * time.Hour)
		open := c.finalize(id)
		eq(t, "status", open["status"], any("OPEN"))
		number, _ := open["number"].(string)
		if !regexp.MustCompile(`^[A-Z0-9]{3,12}-0001$`).MatchString(number) {
			t.Errorf("number = %q, want PREFIX-0001", number)
		}
		eq(t, "number", number, "ACMESAS-0001")
		eq(t, "finalizedAt", open["finalizedAt"], any(ts(finalizedAt)))
		eq(t, "dueDate", open["dueDate"], any(ts(finalizedAt.AddDate(0, 0, 30))))
		eq(t, "customerDetails.name", apitest.Str(t, open, "customerDetails", "name"), "Jenny Rosen")
		eq(t, "customerDetails.email", apitest.Str(t, open, "customerDetails", "email"), "jenny.rosen@example.com")
		eq(t, "issuer.name", apitest.Str(t, open, "issuer", "name"), "Acme SAS")
		eq(t, "amountDue", money(t, open, "amountDue"), "5000.00")
		eq(t, "amountRemaining", money(t, open, "amountRemaining"), "5000.00")
		eq(t, "pastDue", open["pastDue"], any(false))
		sameJSON(t, "open actions", strs(open["availableActions"]),
			[]string{"EDIT_MEMO", "MARK_PAID", "VOID", "MARK_UNCOLLECTIBLE", "REVISE", "DUPLICATE", "PAY"})

		// Si un client paie une facture en dehors de Stripe, vous pouvez
		// définir manuellement son état sur paid.
		c.Clock.Advance(3 * 24 * time.Hour)
		paidAt := finalizedAt.Add(3 * 24 * time.Hour)
		paid := c.invoiceOK("invoiceMarkPaid", map[string]any{"id": id, "method": "bank_transfer", "reference": "VIR-2026-0042"})
		eq(t, "status", paid["status"], any("PAID"))
		eq(t, "paidAt", paid["paidAt"], any(ts(paidAt)))
		eq(t, "amountPaid", money(t, paid, "amountPaid"), "5000.00")
		eq(t, "amountRemaining", money(t, paid, "amountRemaining"), "0.00")
		eq(t, "outOfBandPayment.method", apitest.Str(t, paid, "outOfBandPayment", "method"), "bank_transfer")
		eq(t, "outOfBandPayment.reference", apitest.Str(t, paid, "outOfBandPayment", "reference"), "VIR-2026-0042")
		eq(t, "outOfBandPayment.paidAt", apitest.Str(t, paid, "outOfBandPayment", "paidAt"), ts(paidAt))
		eq(t, "number kept", paid["number"], any("ACMESAS-0001"))
		sameJSON(t, "paid actions", strs(paid["availableActions"]), []string{"DUPLICATE"})

		// The history, as read back.
		got := c.invoice(id)
		type step struct{ action, from, to, actor, at string }
		var steps []step
		for _, h := range got["history"].([]any) {
			m := h.(map[string]any)
			from, _ := m["fromStatus"].(string)
			steps = append(steps, step{m["action"].(string), from, m["toStatus"].(string), m["actor"].(string), m["createdAt"].(string)})
		}
		sameJSON(t, "history", steps, []step{
			{"create", "", "DRAFT", actor, ts(t0)},
			{"finalize", "DRAFT", "OPEN", actor, ts(finalizedAt)},
			{"mark_paid", "OPEN", "PAID", actor, ts(paidAt)},
		})
		eq(t, "finalize note", apitest.Str(t, got, "history", 1, "note"), "number ACMESAS-0001")
		eq(t, "mark_paid note", apitest.Str(t, got, "history", 2, "note"), "paid outside Remit by bank transfer, reference VIR-2026-0042")
		// Paid is final.
		p := c.invoiceOp("invoiceVoid", map[string]any{"id": id})
		wantCodes(t, p, "input.id:INVALID_TRANSITION")
	})
}
