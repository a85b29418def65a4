package servertest_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/mail/mailtest"
	"github.com/remitbilling/remit/internal/portalauth"
	"github.com/remitbilling/remit/internal/viewer"
)

// Credit notes as the customer meets them: the PDF (the merchant's
// download, the email's attachment, the hosted page's and the portal's
// links), the email, and the portal, which shows a customer its own
// credit notes only.

const (
	cnCreate = `mutation($in: CreditNoteCreateInput!) { creditNoteCreate(input: $in) {
  creditNote { id number pdfUrl total { amount } invoice { number finalizedAt } } userErrors { field code message } } }`
	cnInvoice = `mutation($c: ID!, $cur: String!, $rate: ID!) { invoiceCreate(input: {customer: $c, currency: $cur, daysUntilDue: 30,
  lines: [{description: "Formation sur site", quantity: "2", unitAmount: "500.00", taxRates: [$rate]}, {description: "Frais de déplacement", unitAmount: "80.00", taxRates: [$rate]}]}) { invoice { id lines { id } } userErrors { code } } }`
)

// creditNoteSetup gives e a French seller, a 20 % VAT rate, a customer
// (locale, email) and its issued invoice; it returns the customer, the
// invoice's id and number and its lines' ids.
func creditNoteSetup(t *testing.T, e *apitest.Env, locale, email string) (cus, inv, number string, lines []string) {
	t.Helper()
	e.Mutate("accountUpdate", `mutation { accountUpdate(input: {operationCategory: SERVICES, name: "Acme", legalName: "Acme SAS", email: "billing@acme.fr", siren: "732829320", vatNumber: "FR44732829320",
  address: {line1: "1 rue de la Paix", postalCode: "75002", city: "Paris", country: "FR"}}) { account { id } userErrors { code } } }`, nil)
	rate := apitest.Str(t, e.Mutate("taxRateCreate", `mutation { taxRateCreate(input: {displayName: "TVA", percentage: "20", inclusive: false}) { taxRate { id } userErrors { code } } }`, nil), "taxRate", "id")
	cus = apitest.Str(t, e.Mutate("customerCreate", `mutation($in: CustomerInput!) { customerCreate(input: {customer: $in}) { customer { id } warnings { code } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"name": "Jenny Rosen", "email": email, "preferredLocales": []any{locale}}}), "customer", "id")
	created := e.Mutate("invoiceCreate", cnInvoice, map[string]any{"c": cus, "cur": "EUR", "rate": rate})
	inv = apitest.Str(t, created, "invoice", "id")
	for _, l := range apitest.Get(t, created, "invoice", "lines").([]any) {
		lines = append(lines, l.(map[string]any)["id"].(string))
	}
	number = apitest.Str(t, e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id, send: false}) { invoice { number } userErrors { code } } }`,
		map[string]any{"id": inv}), "invoice", "number")
	return cus, inv, number, lines
}

// TestCreditNotePDFAndEmail issues a credit note in French and one in
// English: each is emailed with its PDF, and the PDF (attached, and at
// pdfUrl with the API key) reads back with its number, the corrected
// invoice's number and date, the reason, the lines, the VAT breakdown and
// how it settled.
func TestCreditNotePDFAndEmail(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		locale string
		want   []string
	}{
		{"fr", []string{"Avoir", "Numéro d'avoir", "Facture d'origine", "Date de la facture", "Motif Produit ou service non satisfaisant",
			"Formation sur site", "Récapitulatif de la TVA", "500,00 €", "100,00 €", "Total de l'avoir TTC 600,00 €",
			"Déduit de la facture 600,00 €", "Acme SAS", "Jenny Rosen", "FR44732829320"}},
		{"en", []string{"Credit note", "Credit note number", "Corrects invoice", "Invoice date", "Reason Product or service unsatisfactory",
			"Formation sur site", "Tax summary", "€500.00", "€100.00", "Total credited €600.00",
			"Deducted from the invoice €600.00", "Acme SAS", "Jenny Rosen"}},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			t.Parallel()
			e := apitest.Start(t, "sqlite3")
			srv := mailtest.Start(t, mailtest.Options{})
			tick := mailWorker(t, e, srv)
			_, inv, number, lines := creditNoteSetup(t, e, tc.locale, "jenny@example.com")
			p := e.Mutate("creditNoteCreate", cnCreate, map[string]any{"in": map[string]any{
				"invoice": inv, "reason": "PRODUCT_UNSATISFACTORY",
				"lines": []any{map[string]any{"invoiceLine": lines[0], "quantity": "1"}},
			}})
			cn := apitest.Str(t, p, "creditNote", "number")
			issued := apitest.Str(t, p, "creditNote", "invoice", "finalizedAt")
			invoiceDate := issued[8:10] + "/" + issued[5:7] + "/" + issued[0:4]
			if tc.locale == "en" {
				invoiceDate = "Jan 15, 2026"
			}
			want := append([]string{cn, number, invoiceDate}, tc.want...)

			if n := tick(); n != 1 {
				t.Fatalf("delivered %d emails, want 1", n)
			}
			msgs := srv.Messages()
			if len(msgs) != 1 || !slices.Equal(msgs[0].To, []string{"jenny@example.com"}) {
				t.Fatalf("received %+v", msgs)
			}
			m, err := msgs[0].Parse()
			if err != nil {
				t.Fatal(err)
			}
			subject := map[string]string{"fr": "Avoir " + cn + " de Acme", "en": "Credit note " + cn + " from Acme"}[tc.locale]
			if m.Subject != subject {
				t.Errorf("subject %q, want %q", m.Subject, subject)
			}
			assertText(t, "email", m.Text, number, map[string]string{"fr": "600,00 € ont été déduits", "en": "€600.00 was deducted"}[tc.locale])
			assertText(t, "email (HTML)", m.HTML, number)
			if len(m.Attachments) != 1 || m.Attachments[0].Name != cn+".pdf" || m.Attachments[0].ContentType != "application/pdf" {
				t.Fatalf("attachments %+v", m.Attachments)
			}
			assertText(t, "attached PDF", pdfText(t, m.Attachments[0].Data), want...)

			status, header, pdf := getPDF(t, e, apitest.Str(t, p, "creditNote", "pdfUrl"), e.Key)
			if status != http.StatusOK || header.Get("Content-Type") != "application/pdf" {
				t.Fatalf("pdfUrl: %d %s", status, header.Get("Content-Type"))
			}
			assertText(t, "downloaded PDF", pdfText(t, pdf), want...)
			// The invoice's PDF shows what the credit note took off.
			_, _, invPDF := getPDF(t, e, "/invoices/"+inv+"/pdf", e.Key)
			assertText(t, "invoice PDF", pdfText(t, invPDF), map[string][]string{
				"fr": {"Avoirs -600,00 €", "Montant dû 696,00 €"}, "en": {"Credit notes -€600.00", "Amount due €696.00"},
			}[tc.locale]...)
			_, other := e.NewAccount("Other", viewer.Test)
			if status, _, _ := getPDF(t, e, apitest.Str(t, p, "creditNote", "pdfUrl"), other); status != http.StatusNotFound {
				t.Errorf("another account's key: %d, want 404", status)
			}
			if status, _, _ := getPDF(t, e, apitest.Str(t, p, "creditNote", "pdfUrl"), ""); status != http.StatusUnauthorized {
				t.Errorf("no key: %d, want 401", status)
			}
		})
	}
}

// assertText fails for each of want missing from text (spaces
// normalized: French amounts group digits with no-break spaces).
func assertText(t *testing.T, what, text string, want ...string) {
	t.Helper()
	text = strings.Join(strings.Fields(strings.NewReplacer("\u202f", " ", "\u00a0", " ").Replace(text)), " ")
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

// TestCreditNoteHostedPage lists a credit note beside its invoice on the
// hosted page, with its PDF behind the same link; a credit note of
// another invoice is not found there.
func TestCreditNoteHostedPage(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	cus, inv, _, _ := creditNoteSetup(t, e, "fr", "jenny@example.com")
	cn := e.Mutate("creditNoteCreate", cnCreate, map[string]any{"in": map[string]any{"invoice": inv, "amount": "120.00", "reason": "ORDER_CHANGE", "email": false}})
	id := apitest.Str(t, cn, "creditNote", "id")
	number := apitest.Str(t, cn, "creditNote", "number")
	url := apitest.Str(t, e.Query(`query($id: ID!) { invoice(id: $id) { hostedInvoiceUrl } }`, map[string]any{"id": inv}), "invoice", "hostedInvoiceUrl")

	status, _, page := getPage(t, e, url)
	page = strings.NewReplacer("\u202f", " ", "\u00a0", " ").Replace(page)
	pdfLink := url + "/credit_notes/" + id + "/pdf"
	for _, want := range []string{"Avoirs", "Avoir " + number, "Modification de la commande", "120,00 €", "−120,00 €", `href="` + pdfLink + `"`} {
		if status != http.StatusOK || !strings.Contains(page, want) {
			t.Errorf("hosted page (%d) lacks %q", status, want)
		}
	}
	res, err := http.Get(e.URL + pdfLink)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	pdf := make([]byte, 0, 1<<16)
	buf := make([]byte, 1<<14)
	for {
		n, err := res.Body.Read(buf)
		pdf = append(pdf, buf[:n]...)
		if err != nil {
			break
		}
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("hosted credit note pdf: %d", res.StatusCode)
	}
	assertText(t, "hosted PDF", pdfText(t, pdf), number, "Avoir")

	// Another invoice of the same customer, credited too: its credit note
	// is not reachable through this link.
	created := e.Mutate("invoiceCreate", `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", lines: [{description: "Autre", unitAmount: "10.00"}]}) { invoice { id } userErrors { code } } }`, map[string]any{"c": cus})
	other := apitest.Str(t, created, "invoice", "id")
	e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id, send: false}) { invoice { id } userErrors { code } } }`, map[string]any{"id": other})
	ocn := apitest.Str(t, e.Mutate("creditNoteCreate", cnCreate, map[string]any{"in": map[string]any{"invoice": other, "amount": "5.00", "email": false}}), "creditNote", "id")
	for _, path := range []string{url + "/credit_notes/" + ocn + "/pdf", url + "/credit_notes/cn_nope/pdf", "/i/aaaaaaaaaaaaaaaaaaaaaaaaaa/credit_notes/" + id + "/pdf"} {
		if status, _, _ := getPage(t, e, path); status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, status)
		}
	}
}

// TestCreditNotePortal signs two customers of one merchant in to the
// portal: each reads its own credit notes (list, invoice, PDF) and never
// the other's, through the portal's GraphQL API and its web pages.
func TestCreditNotePortal(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		slug := enablePortal(t, e, e.Key)
		_, inv, _, _ := creditNoteSetup(t, e, "en", "jenny@example.com")
		mine := e.Mutate("creditNoteCreate", cnCreate, map[string]any{"in": map[string]any{"invoice": inv, "amount": "100.00", "email": false}})
		mineID := apitest.Str(t, mine, "creditNote", "id")
		maxID := apitest.Str(t, e.Mutate("customerCreate", `mutation { customerCreate(input: {customer: {name: "Max", email: "max@example.com"}}) { customer { id } warnings { code } userErrors { code } } }`, nil), "customer", "id")
		rate := apitest.Str(t, e.Mutate("taxRateCreate", `mutation { taxRateCreate(input: {displayName: "VAT", percentage: "10", inclusive: false}) { taxRate { id } userErrors { code } } }`, nil), "taxRate", "id")
		maxInv := apitest.Str(t, e.Mutate("invoiceCreate", cnInvoice, map[string]any{"c": maxID, "cur": "EUR", "rate": rate}), "invoice", "id")
		e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id, send: false}) { invoice { id } userErrors { code } } }`, map[string]any{"id": maxInv})
		theirs := apitest.Str(t, e.Mutate("creditNoteCreate", cnCreate, map[string]any{"in": map[string]any{"invoice": maxInv, "amount": "50.00", "email": false}}), "creditNote", "id")

		const list = `query { creditNotes(first: 10) { totalCount edges { node { id number total { minorUnits } invoice { id } pdfUrl lines { description amount { minorUnits } } } } } }`
		jenny := newPapi(t, e).login(slug, "jenny@example.com")
		data := jenny.query(list, nil)
		if n := apitest.Get(t, data, "creditNotes", "totalCount"); n != float64(1) {
			t.Fatalf("jenny's credit notes: %v", data)
		}
		eq := func(what string, got, want any) {
			t.Helper()
			if got != want {
				t.Errorf("%s = %v, want %v", what, got, want)
			}
		}
		node := apitest.Get(t, data, "creditNotes", "edges", 0, "node").(map[string]any)
		eq("credit note", node["id"], mineID)
		eq("its invoice", apitest.Get(t, node, "invoice", "id"), inv)
		eq("total", apitest.Get(t, node, "total", "minorUnits"), "10000")
		eq("pdfUrl", node["pdfUrl"], "/portal/"+slug+"/credit_notes/"+mineID+"/pdf")
		byInvoice := jenny.query(`query($id: ID!) { invoice(id: $id) { creditNotes { id } } }`, map[string]any{"id": inv})
		eq("invoice's credit notes", apitest.Get(t, byInvoice, "invoice", "creditNotes", 0, "id"), mineID)
		// Max's invoice and credit notes do not exist for Jenny.
		if v := apitest.Get(t, jenny.query(`query($id: ID!) { invoice(id: $id) { id creditNotes { id } } }`, map[string]any{"id": maxInv}), "invoice"); v != nil {
			t.Errorf("jenny reads max's invoice: %v", v)
		}
		maxi := newPapi(t, e).login(slug, "max@example.com")
		data = maxi.query(list, nil)
		eq("max's credit notes", apitest.Get(t, data, "creditNotes", "totalCount"), float64(1))
		eq("max's credit note", apitest.Get(t, data, "creditNotes", "edges", 0, "node", "id"), theirs)

		// The web portal: the invoice page lists the credit note with its
		// PDF, which only its customer downloads.
		web := func(email, path string) (int, string) {
			t.Helper()
			c := newPapi(t, e)
			c.startLogin(slug, email)
			ck, ok := sessionCookie(c.verify(slug, email, loginCode(t, e, email)))
			if !ok {
				t.Fatal("no session cookie")
			}
			req, _ := http.NewRequest(http.MethodGet, e.URL+path, nil)
			req.AddCookie(&http.Cookie{Name: portalauth.CookieName, Value: ck.Value})
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var b strings.Builder
			buf := make([]byte, 1<<14)
			for {
				n, err := res.Body.Read(buf)
				b.Write(buf[:n])
				if err != nil {
					break
				}
			}
			return res.StatusCode, b.String()
		}
		pdfPath := "/portal/" + slug + "/credit_notes/" + mineID + "/pdf"
		status, page := web("jenny@example.com", "/portal/"+slug+"/invoices/"+inv)
		if status != http.StatusOK || !strings.Contains(page, `href="`+pdfPath+`"`) || !strings.Contains(page, apitest.Str(t, mine, "creditNote", "number")) {
			t.Errorf("portal invoice page (%d) lacks the credit note", status)
		}
		if status, body := web("jenny@example.com", pdfPath); status != http.StatusOK || !strings.HasPrefix(body, "%PDF") {
			t.Errorf("jenny's credit note PDF: %d", status)
		}
		if status, _ := web("max@example.com", pdfPath); status != http.StatusNotFound {
			t.Errorf("max downloads jenny's credit note: %d, want 404", status)
		}
	})
}
