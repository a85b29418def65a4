package servertest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/mail/mailtest"
)

// receiptMail is a receipt as the customer received it: the email's
// text, and the text of its two PDFs.
type receiptMail struct {
	subject, text     string
	invoice, receipt  string // PDF text, white space collapsed
	names             []string
	invoiceAttachment string
}

// receiptsTo returns, in order, the receipts srv received for to.
func receiptsTo(t *testing.T, srv *mailtest.Server, to string) []receiptMail {
	t.Helper()
	var out []receiptMail
	for _, m := range srv.Messages() {
		if len(m.To) != 1 || m.To[0] != to {
			continue
		}
		p, err := m.Parse()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(p.Subject, "Receipt") && !strings.HasPrefix(p.Subject, "Reçu") {
			continue
		}
		r := receiptMail{subject: p.Subject, text: flat(p.Text)}
		for _, a := range p.Attachments {
			r.names = append(r.names, a.Name)
			if a.ContentType != "application/pdf" {
				t.Errorf("attachment %s is %s", a.Name, a.ContentType)
			}
		}
		if len(p.Attachments) != 2 {
			t.Fatalf("receipt %q has %d attachments %v, want the invoice and the receipt", p.Subject, len(p.Attachments), r.names)
		}
		r.invoice, r.receipt = flat(pdfText(t, p.Attachments[0].Data)), flat(pdfText(t, p.Attachments[1].Data))
		out = append(out, r)
	}
	return out
}

// flat collapses white space, the no-break spaces of French amounts
// included, so texts compare as read.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

func wantIn(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, flat(w)) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

// TestReceiptEmail: every successful payment emails the customer a
// receipt over SMTP, with the invoice and the receipt attached as PDFs
// rendered at delivery: a partial payment says what remains, the payment
// that settles the invoice says it is paid in full, and a French customer
// reads it all in French.
func TestReceiptEmail(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	smtp := mailtest.Start(t, mailtest.Options{})
	deliver := mailWorker(t, e, smtp)
	p := newPayT(t, e)
	drain := func() {
		for deliver() > 0 {
		}
	}
	numberOf := func(id string) string {
		return apitest.Str(t, e.Query(`query($id: ID!) { invoice(id: $id) { number } }`, map[string]any{"id": id}), "invoice", "number")
	}

	// English: a partial payment by card, then the rest.
	en := newCustomer(t, e, "jenny@example.com", "en")
	card := p.card(en, cardOK)
	id := p.open(en, "EUR", "100.00", nil)
	number := numberOf(id)
	hosted := apitest.Str(t, e.Query(`query($id: ID!) { invoice(id: $id) { hostedInvoiceUrl } }`, map[string]any{"id": id}), "invoice", "hostedInvoiceUrl")
	first := apitest.Str(t, p.payOK(id, "40.00", card), "payment", "id")
	drain()
	got := receiptsTo(t, smtp, "jenny@example.com")
	if len(got) != 1 {
		t.Fatalf("%d receipts after the first payment, want 1", len(got))
	}
	r := got[0]
	if r.subject != "Receipt for your payment of €40.00 to Acme SAS" {
		t.Errorf("subject %q", r.subject)
	}
	wantIn(t, "receipt email", r.text, "Hello Jenny Rosen,",
		"Acme SAS received your payment of €40.00 by Visa •••• 4242 for invoice "+number+".",
		"€60.00 remains to pay on this invoice.", "The invoice and the receipt are attached as PDFs.", hosted)
	if r.names[0] != number+".pdf" || r.names[1] != "receipt-"+first+".pdf" {
		t.Errorf("attachments %v", r.names)
	}
	wantIn(t, "attached invoice", r.invoice, "Invoice", number, "Jenny Rosen", "Amount paid -€40.00", "Amount due €60.00")
	wantIn(t, "attached receipt", r.receipt, "Receipt", "Receipt number "+first, "Invoice number "+number,
		"Payment method Visa •••• 4242", "€40.00 paid on Jan 15, 2026 by Visa •••• 4242",
		"Amount paid €40.00", "Amount due on the invoice €100.00", "Paid to date €40.00", "Amount remaining €60.00")
	if strings.Contains(r.receipt, "paid in full") {
		t.Error("a partial payment's receipt says the invoice is paid in full")
	}

	e.Clock.Advance(time.Minute) // payments succeed at distinct times, as they do in real time
	second := apitest.Str(t, p.payOK(id, "", card), "payment", "id")
	drain()
	got = receiptsTo(t, smtp, "jenny@example.com")
	if len(got) != 2 {
		t.Fatalf("%d receipts after the second payment, want 2", len(got))
	}
	r = got[1]
	wantIn(t, "settling receipt email", r.text, "your payment of €60.00", "The invoice is now paid in full.")
	wantIn(t, "settling receipt", r.receipt, "Receipt number "+second, "Amount paid €60.00", "Paid to date €100.00",
		"Amount remaining €0.00", "Invoice "+number+" is paid in full.")
	wantIn(t, "paid invoice", r.invoice, "€100.00 paid on Jan 15, 2026 by card")

	// French.
	fr := newCustomer(t, e, "jeanne@example.com", "fr")
	id = p.open(fr, "EUR", "250.00", nil)
	number = numberOf(id)
	pay := apitest.Str(t, p.payOK(id, "", p.card(fr, cardOK)), "payment", "id")
	drain()
	got = receiptsTo(t, smtp, "jeanne@example.com")
	if len(got) != 1 {
		t.Fatalf("%d French receipts, want 1", len(got))
	}
	r = got[0]
	if flat(r.subject) != flat("Reçu de votre paiement de 250,00 € à Acme SAS") {
		t.Errorf("French subject %q", r.subject)
	}
	wantIn(t, "French receipt email", r.text, "Bonjour Jenny Rosen,",
		"Acme SAS a bien reçu votre paiement de 250,00 € par Visa •••• 4242 pour la facture "+number+".",
		"La facture est désormais intégralement réglée.", "La facture et le reçu sont joints en PDF.")
	if r.names[1] != "recu-"+pay+".pdf" {
		t.Errorf("French attachments %v", r.names)
	}
	wantIn(t, "French invoice", r.invoice, "Facture", number)
	wantIn(t, "French receipt", r.receipt, "Reçu", "Numéro de reçu "+pay, "Numéro de facture "+number,
		"Moyen de paiement Visa •••• 4242", "Montant réglé 250,00 €", "Total réglé à ce jour 250,00 €",
		"Reste à payer 0,00 €", "La facture "+number+" est intégralement réglée.")

	// A customer without an email gets none, and the payment goes through.
	none := p.customer("No Mail", "", "")
	id = p.open(none, "EUR", "10.00", nil)
	if st := apitest.Str(t, p.payOK(id, "", p.card(none, cardOK)), "payment", "status"); st != "SUCCEEDED" {
		t.Errorf("payment of a customer without email: %s", st)
	}
	status := e.Query(`{ emails(first: 50) { edges { node { kind status to } } } }`, nil)
	n := 0
	for _, edge := range apitest.Get(t, status, "emails", "edges").([]any) {
		m := edge.(map[string]any)["node"].(map[string]any)
		if m["kind"] != "receipt" {
			continue
		}
		n++
		if m["status"] != "SENT" {
			t.Errorf("receipt %v not sent", m)
		}
	}
	if n != 3 {
		t.Errorf("%d receipts in the outbox, want 3", n)
	}
}
