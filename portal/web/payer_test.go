package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
)

// Payer-facing defects the payer layer (internal/payer) ends, as the
// portal's pages show them.

// TestDueNowReadsEnglish: the English portal writes "Due now: €2,000.00",
// not French spacing before the colon.
func TestDueNowReadsEnglish(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := login(t, f, f.base, "jenny@example.com")
	body := c.get(f.base + "/invoices/" + f.plan).Body
	mustContain(t, "plan", body, "Due now: €2,000.00")
	mustNotContain(t, "plan", body, "Due now :")
}

// TestPaidOutsideRemitAndBankTransfer: money the merchant recorded as
// received outside Remit shows in the payment history and on the
// invoice, and an open invoice tells how to pay by bank transfer.
func TestPaidOutsideRemitAndBankTransfer(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.e.Mutate("accountPaymentSettingsUpdate", `mutation { accountPaymentSettingsUpdate(input: {bankTransferInstructions: "IBAN FR76 3000 6000 0112 3456 7890 189"}) { account { id } userErrors { code } } }`, nil)
	c := login(t, f, f.base, "jenny@example.com")

	history := c.get(f.base + "/payments").Body
	mustContain(t, "history", history, f.numbers[f.paid], "€15.00", "Bank transfer, reference VIR-1", "€1,000.00")
	paid := c.get(f.base + "/invoices/" + f.paid).Body
	mustContain(t, "paid invoice", paid, "Payments", "€15.00 (Bank transfer, reference VIR-1)")
	mustNotContain(t, "paid invoice", paid, "IBAN FR76") // nothing left to pay

	open := c.get(f.base + "/invoices/" + f.open1).Body
	mustContain(t, "open invoice", open, "Pay by bank transfer", "IBAN FR76 3000 6000 0112 3456 7890 189")
}

// TestThreeDSecureOnAPlan: while the bank's confirmation of an
// installment is awaited, the page asks for that confirmation, naming its
// amount, and offers no second payment of the next installment.
func TestThreeDSecureOnAPlan(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := login(t, f, f.base, "jenny@example.com")
	page := f.base + "/invoices/" + f.plan
	b := apitest.NewBrowser(t, f.e.URL)
	b.SetCookie(sessionCookie, c.cookie)
	key := b.Get(page).Input("key")
	if key == "" {
		t.Fatal("no payment form")
	}
	r := b.Post(page+"/pay", apitest.Form{"key": key, "method": "new", "number": "4000002500003155", "expiry": "12/34", "cvc": "123"})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("pay: %d", r.Status)
	}
	for _, path := range []string{r.Location, "/portal/" + f.slug + "/invoices/" + f.plan} {
		body := b.Get(path).Body
		mustContain(t, "awaiting confirmation", body, `id="confirm"`, "confirm the payment of €2,000.00", `name="outcome" value="approve"`)
		mustNotContain(t, "awaiting confirmation", body, `id="pay"`, "Pay €", "Due now")
	}
	done := b.Post(page+"/confirm", apitest.Form{"payment": b.Get(page).Input("payment"), "outcome": "approve"})
	c.cookie = b.Cookie(sessionCookie)
	mustContain(t, "confirmed", c.get(f.e.URL+done.Location).Body, "Thank you", ">Paid<")
}

// TestRevisedInvoicePointsToNewVersion: the page of an invoice a revision
// replaced links to the revision.
func TestRevisedInvoicePointsToNewVersion(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rev := apitest.Str(t, f.e.Mutate("invoiceRevise", `mutation($id: ID!) { invoiceRevise(input: {id: $id}) { invoice { id } userErrors { code } } }`, map[string]any{"id": f.open2}), "invoice", "id")
	number := apitest.Str(t, f.e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { number } userErrors { code } } }`, map[string]any{"id": rev}), "invoice", "number")
	c := login(t, f, f.base, "jenny@example.com")
	body := c.get(f.base + "/invoices/" + f.open2).Body
	mustContain(t, "replaced invoice", body, "This invoice was replaced by invoice "+number, `href="/portal/`+f.slug+`/invoices/`+rev+`"`)
	if !strings.Contains(c.get(f.base+"/invoices/"+rev).Body, number) {
		t.Errorf("the revision's page does not open")
	}
}

// TestRefundsInHistory: a refund of the plan's deposit shows in the
// payment history, as money going back to the card it came from.
func TestRefundsInHistory(t *testing.T) {
	t.Parallel()
	f := setup(t)
	pay := apitest.Str(t, f.e.Query(`query($id: ID!) { invoice(id: $id) { payments { id } } }`, map[string]any{"id": f.plan}), "invoice", "payments", 0, "id")
	r := f.e.MutateKeyed("paymentRefund", `mutation($p: ID!) { paymentRefund(input: {payment: $p, amount: "300.00"}) { refund { status } userErrors { code } } }`, map[string]any{"p": pay}, "refund-deposit")
	if st := apitest.Str(t, r, "refund", "status"); st != "SUCCEEDED" {
		t.Fatalf("refund %v", r)
	}
	c := login(t, f, f.base, "jenny@example.com")
	history := c.get(f.base + "/payments").Body
	mustContain(t, "history", history, "-€300.00", "Refund to Visa •••• 4242", "Refunded", "€1,000.00")
}
