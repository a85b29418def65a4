package servertest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
)

// TestHostedPagePayment pays through the hosted invoice page's card form,
// as a customer's browser does: a declined card shows why and leaves the
// invoice open, 3-D Secure asks for confirmation, a good card pays; a
// cross-site post is refused; the schedule and bank details show.
func TestHostedPagePayment(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	e.Mutate("accountPaymentSettingsUpdate", `mutation { accountPaymentSettingsUpdate(input: {bankTransferInstructions: "IBAN FR76 3000 6000 0112 3456 7890 189 — BIC AGRIFRPP"}) { account { id } userErrors { code } } }`, nil)
	cus := apitest.Str(t, e.Mutate("customerCreate", `mutation { customerCreate(input: {customer: {name: "Jenny Rosen", email: "jenny@example.com", preferredLocales: ["en"]}}) { customer { id } warnings { code } userErrors { code } } }`, nil), "customer", "id")
	id := apitest.Str(t, e.Mutate("invoiceCreate", `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", lines: [{description: "Setup", unitAmount: "3000"}],
		amountsDue: [{amount: "1000", daysUntilDue: 1, description: "Deposit"}, {amount: "2000", daysUntilDue: 30, description: "Balance"}]}) { invoice { id } userErrors { field code } } }`, map[string]any{"c": cus}), "invoice", "id")
	link := apitest.Str(t, e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { hostedInvoiceUrl } userErrors { code } } }`, map[string]any{"id": id}), "invoice", "hostedInvoiceUrl")

	b := e.Browser()
	page := func(path string) string {
		t.Helper()
		p := b.Get(path)
		if p.Status != http.StatusOK {
			t.Fatalf("GET %s: %d", path, p.Status)
		}
		return p.Body
	}
	card := func(key, number string) apitest.Form {
		return apitest.Form{"key": key, "number": number, "expiry": "12/34", "cvc": "123"}
	}
	pay := func(number string) string {
		t.Helper()
		key := b.Get(link).Input("key")
		if key == "" {
			t.Fatalf("no payment form on the page")
		}
		res := b.Post(link+"/pay", card(key, number))
		if res.Status != http.StatusSeeOther {
			t.Fatalf("pay: %d", res.Status)
		}
		return res.Location
	}
	status := func() (string, string) {
		d := e.Query(`query($id: ID!) { invoice(id: $id) { status standing amountPaid { amount } } }`, map[string]any{"id": id})
		return apitest.Str(t, d, "invoice", "status"), apitest.Str(t, d, "invoice", "amountPaid", "amount")
	}

	first := page(link)
	for _, want := range []string{"Payment schedule", "Deposit", "Balance", "IBAN FR76 3000", "Pay €1,000.00"} {
		if !strings.Contains(first, want) {
			t.Errorf("hosted page lacks %q", want)
		}
	}
	// A cross-site form post (another site submitting to this one) is refused.
	if res := b.PostFrom("cross-site", link+"/pay", card(b.Get(link).Input("key"), "4242424242424242")); res.Status != http.StatusForbidden {
		t.Errorf("cross-site post: %d, want 403", res.Status)
	}
	if st, paid := status(); st != "OPEN" || paid != "0.00" {
		t.Fatalf("after a refused post: %s, paid %s", st, paid)
	}

	if body := page(pay("4242424242424241")); !strings.Contains(body, "The card number is not valid") {
		t.Errorf("invalid card number not explained")
	}
	if body := page(pay("4000000000000002")); !strings.Contains(body, "did not go through: the card was declined") {
		t.Errorf("decline not shown")
	}
	// A card reported lost is declined like any other, to the payer
	// (internal/payer/words).
	if body := page(pay("4000000000009987")); !strings.Contains(body, "the card was declined") || strings.Contains(strings.ToLower(body), "lost") {
		t.Errorf("a lost card's decline should read as a plain decline")
	}
	if st, paid := status(); st != "OPEN" || paid != "0.00" {
		t.Fatalf("after a decline: %s, paid %s", st, paid)
	}

	// 3-D Secure: the page asks to confirm; confirming pays the deposit.
	loc := pay("4000002500003155")
	pid := b.Get(loc).Input("payment")
	if pid == "" {
		t.Fatalf("no confirmation form after a 3-D Secure card")
	}
	if res := b.Post(link+"/confirm", apitest.Form{"payment": pid, "outcome": "approve"}); res.Status != http.StatusSeeOther {
		t.Fatalf("confirm: %d", res.Status)
	}
	if _, paid := status(); paid != "1000.00" {
		t.Fatalf("after the deposit: paid %s", paid)
	}
	d := e.Query(`query($id: ID!) { invoice(id: $id) { standing } }`, map[string]any{"id": id})
	if s := apitest.Str(t, d, "invoice", "standing"); s != "PARTIALLY_PAID" {
		t.Errorf("standing %s, want PARTIALLY_PAID", s)
	}
	if body := page(pay("4242424242424242")); !strings.Contains(body, "your payment of €2,000.00 was received") {
		t.Errorf("success not shown")
	}
	if st, paid := status(); st != "PAID" || paid != "3000.00" {
		t.Fatalf("after the balance: %s, paid %s", st, paid)
	}
	if strings.Contains(page(link), `action="`+link+`/pay"`) {
		t.Errorf("a paid invoice still offers the card form")
	}
	// The PDF prints the schedule with what was paid, and how to pay by
	// bank transfer.
	_, _, pdf := getPDF(t, e, link+"/pdf", "")
	text := pdfText(t, pdf)
	for _, want := range []string{"Payment schedule:", "Deposit", "Balance", "(paid)", "IBAN FR76 3000"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF lacks %q", want)
		}
	}
}
