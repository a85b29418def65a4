package billingtest_test

import (
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/apitest"
)

// TestRevision revises an open invoice (reference §2.3): the revision is a
// new linked draft; finalizing it gives it the next number and voids the
// original, which then points at it. Paid invoices cannot be revised, and a
// revision whose original was paid meanwhile cannot be issued.
func TestRevision(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		cus := c.newCustomer("Jenny Rosen", "jenny@example.com")
		orig := c.finalize(apitest.Str(t, c.createInvoice(cus, map[string]any{"memo": "Premier envoi", "daysUntilDue": 30}), "id"))
		origID := apitest.Str(t, orig, "id")
		eq(t, "original number", orig["number"], any("ACMESAS-0001"))

		c.Clock.Advance(24 * time.Hour)
		rev := c.byID("invoiceRevise", origID)
		revID := apitest.Str(t, rev, "id")
		eq(t, "revision status", rev["status"], any("DRAFT"))
		if rev["number"] != nil {
			t.Errorf("revision number = %v, want null", rev["number"])
		}
		eq(t, "revision fromInvoice", apitest.Str(t, rev, "fromInvoice", "id"), origID)
		eq(t, "revision total", money(t, rev, "total"), "5000.00")
		eq(t, "revision memo", rev["memo"], any("Premier envoi"))
		eq(t, "revision lines", len(rev["lines"].([]any)), 1)
		eq(t, "revision history", apitest.Str(t, rev, "history", 0, "action"), "revise")
		eq(t, "revision note", apitest.Str(t, rev, "history", 0, "note"), "revision of ACMESAS-0001")
		// Nothing happened to the original yet.
		o := c.invoice(origID)
		eq(t, "original status", o["status"], any("OPEN"))
		if o["latestRevision"] != nil {
			t.Errorf("latestRevision before finalization = %v, want null", o["latestRevision"])
		}

		// Edit the revision: a purchase-order number the customer asked for.
		rev = c.invoiceOK("invoiceUpdate", map[string]any{"id": revID, "customFields": []any{
			map[string]any{"name": "Numéro de bon de commande", "value": "12345"},
		}})
		sameJSON(t, "customFields", rev["customFields"], []any{map[string]any{"name": "Numéro de bon de commande", "value": "12345"}})

		c.Clock.Advance(time.Hour)
		issued := c.finalize(revID)
		eq(t, "revision status", issued["status"], any("OPEN"))
		eq(t, "revision number", issued["number"], any("ACMESAS-0002"))
		sameJSON(t, "issued customFields", issued["customFields"], []any{map[string]any{"name": "Numéro de bon de commande", "value": "12345"}})
		eq(t, "revision due date", issued["dueDate"], any(ts(t0.Add(25*time.Hour).AddDate(0, 0, 30))))

		o = c.invoice(origID)
		eq(t, "original status", o["status"], any("VOID"))
		eq(t, "original voidedAt", o["voidedAt"], any(ts(t0.Add(25*time.Hour))))
		eq(t, "original number kept", o["number"], any("ACMESAS-0001"))
		eq(t, "original latestRevision", apitest.Str(t, o, "latestRevision", "id"), revID)
		eq(t, "latestRevision number", apitest.Str(t, o, "latestRevision", "number"), "ACMESAS-0002")
		last := o["history"].([]any)[len(o["history"].([]any))-1].(map[string]any)
		eq(t, "original last step", last["action"], any("void"))
		eq(t, "original last step note", last["note"], any("superseded by revision ACMESAS-0002"))
		// The voided original remains findable by its number.
		list := c.Query(`{ invoices(first: 10, filter: {number: "ACMESAS-0001"}) { totalCount edges { node { id status } } } }`, nil)
		eq(t, "found by number", apitest.Str(t, list, "invoices", "edges", 0, "node", "id"), origID)

		t.Run("paid invoices cannot be revised", func(t *testing.T) {
			c := c.with(t)
			id := c.inStatus(cus, "PAID")
			db := dbState(t, c.Env)
			before := c.invoice(id)
			wantCodes(t, c.invoiceOp("invoiceRevise", map[string]any{"id": id}), "input.id:INVALID_TRANSITION")
			sameJSON(t, "paid invoice", c.invoice(id), before)
			sameDB(t, c.Env, db)
		})

		t.Run("revision of an invoice paid meanwhile", func(t *testing.T) {
			c := c.with(t)
			id := c.inStatus(cus, "OPEN")
			rev := apitest.Str(t, c.byID("invoiceRevise", id), "id")
			c.markPaid(id)
			db := dbState(t, c.Env)
			before := c.invoice(rev)
			wantCodes(t, c.invoiceOp("invoiceFinalize", map[string]any{"id": rev}), "input.id:INVALID_TRANSITION")
			sameJSON(t, "revision", c.invoice(rev), before)
			sameDB(t, c.Env, db)
			eq(t, "original status", c.invoice(id)["status"], any("PAID"))
			// No number was used up: the next invoice follows on.
			next := c.finalize(apitest.Str(t, c.createInvoice(cus, nil), "id"))
			eq(t, "next number", next["number"], any("ACMESAS-0005"))
		})

		t.Run("uncollectible invoices can be revised", func(t *testing.T) {
			c := c.with(t)
			id := c.inStatus(cus, "UNCOLLECTIBLE")
			rev := c.finalize(apitest.Str(t, c.byID("invoiceRevise", id), "id"))
			eq(t, "revision status", rev["status"], any("OPEN"))
			o := c.invoice(id)
			eq(t, "original status", o["status"], any("VOID"))
			eq(t, "original latestRevision", apitest.Str(t, o, "latestRevision", "id"), apitest.Str(t, rev, "id"))
		})
	})
}
