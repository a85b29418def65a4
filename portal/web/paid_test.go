package web_test

import (
	"net/http"
	"testing"
)

// TestPaidInvoicePage: the portal's page of a paid invoice shows what was
// paid, when and how, not "€0.00" and a due date.
func TestPaidInvoicePage(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := login(t, f, f.base, "jenny@example.com")
	r := c.get(f.base + "/invoices/" + f.paid)
	if r.Status != http.StatusOK {
		t.Fatalf("paid invoice: %d %s", r.Status, r.Body)
	}
	mustContain(t, "paid invoice", r.Body, `<p class="amount">€15.00</p>`,
		`<p id="settled">Paid on Jan 15, 2026 — Bank transfer, reference VIR-1, recorded by the seller</p>`)
	mustNotContain(t, "paid invoice", r.Body, `<p class="amount">€0.00</p>`, "<dt>Due</dt>")
	// An open invoice still asks for its amount by its date.
	r = c.get(f.base + "/invoices/" + f.open1)
	mustContain(t, "open invoice", r.Body, `<p class="amount">€1,200.00</p>`, "<dt>Due</dt>")
	mustNotContain(t, "open invoice", r.Body, `id="settled"`)
}
