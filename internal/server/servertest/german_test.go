package servertest_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/mail"
	"github.com/remitbilling/remit/internal/mail/mailtest"
)

// spaces turns the no-break spaces of formatted amounts into plain ones,
// so that "1.234,56 €" reads the same in a PDF's text and in a page.
var spaces = strings.NewReplacer("\u202f", " ", "\u00a0", " ")

// TestGermanCustomer: a customer whose preferred locale is de-DE gets a
// German invoice PDF (labels, DIN 5008 dates, 1.234,56 €), a German
// email with that PDF attached, and a German hosted page, from a French
// seller whose own language is French.
func TestGermanCustomer(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	srv := mailtest.Start(t, mailtest.Options{STARTTLS: true})
	tick := mailWorker(t, e, srv, mail.WithTLSConfig(srv.TLSConfig()))

	e.Mutate("accountUpdate", `mutation { accountUpdate(input: {operationCategory: SERVICES, siren: "732829320", vatNumber: "FR44732829320", name: "Acme", legalName: "Acme SAS", email: "billing@acme.fr", address: {line1: "1 rue de la Paix", postalCode: "75002", city: "Paris", country: "FR"}}) { account { id } userErrors { code } } }`, nil)
	cus := apitest.Str(t, e.Mutate("customerCreate", `mutation { customerCreate(input: {customer: {name: "Jonas Weber", email: "jonas@example.de", preferredLocales: ["de-DE"], address: {line1: "Friedrichstraße 1", postalCode: "10117", city: "Berlin", country: "DE"}}}) { customer { id } warnings { code } userErrors { code } } }`, nil), "customer", "id")
	inv := e.Mutate("invoiceCreate", `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", daysUntilDue: 30, lines: [{description: "Beratung", unitAmount: "1234.56"}]}) { invoice { id pdfUrl } userErrors { code message } } }`, map[string]any{"c": cus})
	id := apitest.Str(t, inv, "invoice", "id")
	fin := e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { number hostedInvoiceUrl } userErrors { code } } }`, map[string]any{"id": id})
	number := apitest.Str(t, fin, "invoice", "number")
	hosted := apitest.Str(t, fin, "invoice", "hostedInvoiceUrl")

	germanPDF := func(what string, pdf []byte) {
		t.Helper()
		text := spaces.Replace(pdfText(t, pdf))
		for _, want := range []string{"Rechnung", "Rechnungsnummer", number, "Rechnungsempfänger", "Jonas Weber", "Deutschland",
			"Beratung", "1.234,56 €", "Gesamtbetrag", "Offener Betrag", "Seite 1/1"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q:\n%s", what, want, text)
			}
		}
		for _, re := range []string{`Rechnungsdatum\s+\d{2}\.\d{2}\.\d{4}`, `Fälligkeitsdatum\s+\d{2}\.\d{2}\.\d{4}`, `1\.234,56 € zahlbar bis \d{2}\.\d{2}\.\d{4}`} {
			if !regexp.MustCompile(re).MatchString(text) {
				t.Errorf("%s lacks %s:\n%s", what, re, text)
			}
		}
		for _, unwanted := range []string{"Facture", "Invoice", "Montant dû", "Amount due"} {
			if strings.Contains(text, unwanted) {
				t.Errorf("%s has %q", what, unwanted)
			}
		}
	}
	status, _, pdf := getPDF(t, e, apitest.Str(t, inv, "invoice", "pdfUrl"), e.Key)
	if status != http.StatusOK {
		t.Fatalf("pdf: status %d", status)
	}
	germanPDF("invoice PDF", pdf)

	// The email, in German, with the German PDF.
	subject := "Rechnung " + number + " von Acme"
	preview := e.Query(`query($id: ID!) { invoicePreviewEmail(id: $id) { subject } }`, map[string]any{"id": id})
	if s := apitest.Str(t, preview, "invoicePreviewEmail", "subject"); s != subject {
		t.Errorf("preview subject %q, want %q", s, subject)
	}
	e.Mutate("invoiceSend", `mutation($id: ID!) { invoiceSend(input: {id: $id}) { email { status } userErrors { code } } }`, map[string]any{"id": id})
	if n := tick(); n != 1 {
		t.Fatalf("tick delivered %d, want 1", n)
	}
	p, err := srv.Messages()[0].Parse()
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != subject || !strings.Contains(p.Text, "Guten Tag Jonas Weber,") ||
		!strings.Contains(spaces.Replace(p.Text), "über 1.234,56 €, zahlbar bis ") || !strings.Contains(p.HTML, `lang="de"`) {
		t.Errorf("email: subject %q, text %q", p.Subject, p.Text)
	}
	if len(p.Attachments) != 1 {
		t.Fatalf("attachments %+v", p.Attachments)
	}
	germanPDF("attached PDF", p.Attachments[0].Data)

	// The hosted page.
	status, _, page := getPage(t, e, hosted)
	page = spaces.Replace(page)
	if status != http.StatusOK {
		t.Fatalf("hosted page: status %d", status)
	}
	for _, want := range []string{`lang="de"`, number, "PDF herunterladen", "1.234,56 €", "Offen", "Rechnungsempfänger", "Gesamtbetrag",
		"Diese Rechnung bezahlen", "Kartennummer", "1.234,56 € bezahlen"} {
		if !strings.Contains(page, want) {
			t.Errorf("hosted page lacks %q:\n%s", want, page)
		}
	}
	if !regexp.MustCompile(`Fällig\s*</dt>\s*<dd>\d{2}\.\d{2}\.\d{4}`).MatchString(page) {
		t.Errorf("hosted page has no German due date:\n%s", page)
	}
	for _, unwanted := range []string{"Télécharger", "Download PDF"} {
		if strings.Contains(page, unwanted) {
			t.Errorf("hosted page has %q", unwanted)
		}
	}
}
