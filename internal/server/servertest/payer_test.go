package servertest_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
)

// Payer-facing defects the payer layer (internal/payer) and the invoice
// emails end, through the public interfaces.

const emailsQuery = `{ emails(first: 50) { edges { node { kind to subject textBody } } } }`

// emails lists the outbox, newest first, as kind → messages.
func emails(t *testing.T, e *apitest.Env) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, edge := range apitest.Get(t, e.Query(emailsQuery, nil), "emails", "edges").([]any) {
		out = append(out, edge.(map[string]any)["node"].(map[string]any))
	}
	return out
}

func newCustomer(t *testing.T, e *apitest.Env, email, locale string) string {
	t.Helper()
	return apitest.Str(t, e.Mutate("customerCreate", `mutation($m: String!, $l: String!) { customerCreate(input: {customer: {name: "Jenny Rosen", email: $m, preferredLocales: [$l]}}) { customer { id } warnings { code } userErrors { code } } }`,
		map[string]any{"m": email, "l": locale}), "customer", "id")
}

// TestDeclineEmailInPayersWords: the French decline email says why in
// French words, as the pages do, never the processor's raw code.
func TestDeclineEmailInPayersWords(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	cus := newCustomer(t, e, "jenny@example.com", "fr")
	id := apitest.Str(t, e.Mutate("invoiceCreate", `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", lines: [{description: "Conseil", unitAmount: "100"}]}) { invoice { id } userErrors { code } } }`, map[string]any{"c": cus}), "invoice", "id")
	e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { id } userErrors { code } } }`, map[string]any{"id": id})
	e.Mutate("paymentMethodAttach", `mutation($c: ID!) { paymentMethodAttach(input: {customer: $c, card: {number: "4000000000000002", expMonth: 12, expYear: 2034, cvc: "123"}, setDefault: true}) { paymentMethod { id } userErrors { code } } }`, map[string]any{"c": cus})
	p := e.MutateKeyed("invoicePay", `mutation($id: ID!) { invoicePay(input: {id: $id}) { payment { status failureCode } userErrors { code } } }`, map[string]any{"id": id}, "decline-fr")
	if apitest.Str(t, p, "payment", "failureCode") != "card_declined" {
		t.Fatalf("payment %v", p)
	}
	var body string
	for _, m := range emails(t, e) {
		if m["kind"] == "payment_failed" {
			body = m["textBody"].(string)
		}
	}
	if body == "" {
		t.Fatalf("no payment_failed email in %v", emails(t, e))
	}
	if !strings.Contains(body, "n'a pas abouti : la carte a été refusée") || strings.Contains(body, "decline") {
		t.Errorf("French decline email:\n%s", body)
	}
}

// TestPreviewEmailOfDraft: a draft's preview is addressed to its customer
// and names a placeholder for the number it will get.
func TestPreviewEmailOfDraft(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	e.Mutate("accountUpdate", `mutation { accountUpdate(input: {name: "Acme"}) { account { id } userErrors { code } } }`, nil)
	for lang, want := range map[string]string{
		"en": "Invoice [number on finalization] from Acme",
		"fr": "Facture [numéro à la finalisation] de Acme",
	} {
		cus := newCustomer(t, e, lang+"@example.com", lang)
		id := apitest.Str(t, e.Mutate("invoiceCreate", `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", lines: [{description: "Conseil", unitAmount: "100"}]}) { invoice { id } userErrors { code } } }`, map[string]any{"c": cus}), "invoice", "id")
		p := e.Query(`query($id: ID!) { invoicePreviewEmail(id: $id) { to subject text } }`, map[string]any{"id": id})
		if s := apitest.Str(t, p, "invoicePreviewEmail", "subject"); s != want {
			t.Errorf("%s subject %q, want %q", lang, s, want)
		}
		if to := fmt.Sprint(apitest.Get(t, p, "invoicePreviewEmail", "to")); to != "["+lang+"@example.com]" {
			t.Errorf("%s to %s", lang, to)
		}
	}
}

// TestUpdatedEmailReachesOriginalRecipients: the "invoice updated" email
// of a revision goes to whoever received the original, and its preview
// says so.
func TestUpdatedEmailReachesOriginalRecipients(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	cus := newCustomer(t, e, "jenny@example.com", "en")
	id := apitest.Str(t, e.Mutate("invoiceCreate", `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", lines: [{description: "Consulting", unitAmount: "100"}]}) { invoice { id } userErrors { code } } }`, map[string]any{"c": cus}), "invoice", "id")
	e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id, send: true, to: ["ap@example.com"]}) { invoice { id } userErrors { code } } }`, map[string]any{"id": id})
	rev := apitest.Str(t, e.Mutate("invoiceRevise", `mutation($id: ID!) { invoiceRevise(input: {id: $id}) { invoice { id } userErrors { code } } }`, map[string]any{"id": id}), "invoice", "id")
	p := e.Query(`query($id: ID!) { invoicePreviewEmail(id: $id) { to } }`, map[string]any{"id": rev})
	if to := fmt.Sprint(apitest.Get(t, p, "invoicePreviewEmail", "to")); to != "[jenny@example.com ap@example.com]" {
		t.Errorf("preview of the revision's email to %s", to)
	}
	e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id, send: true}) { invoice { id } userErrors { code } } }`, map[string]any{"id": rev})
	var to string
	for _, m := range emails(t, e) {
		if m["kind"] == "invoice_updated" {
			to = fmt.Sprint(m["to"])
		}
	}
	if to != "[jenny@example.com ap@example.com]" {
		t.Errorf("invoice updated email to %s, want the customer and ap@example.com", to)
	}
}

// TestBrandColorContrast: a brand colour white reads poorly on is
// accepted with a LOW_CONTRAST warning on its field, and pages and emails
// print dark text on it.
func TestBrandColorContrast(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	update := `mutation($in: AccountUpdateInput!) { accountUpdate(input: $in) { account { brandColor } warnings { field code message } userErrors { field code } } }`
	tests := []struct {
		in     map[string]any
		fields []string
	}{
		{map[string]any{"brandColor": "#00aa55"}, []string{"input.brandColor"}},
		{map[string]any{"brandColor": "#0a5", "accentColor": "#ffcc00"}, []string{"input.brandColor", "input.accentColor"}},
		{map[string]any{"brandColor": "#5b21b6"}, nil},
		{map[string]any{"name": "Acme"}, nil},
	}
	for _, tt := range tests {
		p := e.Mutate("accountUpdate", update, map[string]any{"in": tt.in})
		var got []string
		for _, w := range apitest.Get(t, p, "warnings").([]any) {
			w := w.(map[string]any)
			if w["code"] != "LOW_CONTRAST" || !strings.Contains(w["message"].(string), "4.5:1") {
				t.Errorf("%v: warning %v", tt.in, w)
			}
			var path []string
			for _, f := range w["field"].([]any) {
				path = append(path, f.(string))
			}
			got = append(got, strings.Join(path, "."))
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.fields) {
			t.Errorf("%v: warnings on %v, want %v", tt.in, got, tt.fields)
		}
	}
	// A refused update warns about nothing.
	p := e.MutateErr("accountUpdate", update, map[string]any{"in": map[string]any{"brandColor": "#0a5", "country": "XX"}})
	if len(apitest.Get(t, p, "userErrors").([]any)) == 0 || len(apitest.Get(t, p, "warnings").([]any)) != 0 {
		t.Errorf("refused update: %v", p)
	}

	// Pages and emails put dark text on #00aa55.
	e.Mutate("accountUpdate", update, map[string]any{"in": map[string]any{"brandColor": "#00aa55"}})
	cus := newCustomer(t, e, "jenny@example.com", "en")
	id := apitest.Str(t, e.Mutate("invoiceCreate", `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", lines: [{description: "Consulting", unitAmount: "100"}]}) { invoice { id } userErrors { code } } }`, map[string]any{"c": cus}), "invoice", "id")
	link := apitest.Str(t, e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { hostedInvoiceUrl } userErrors { code } } }`, map[string]any{"id": id}), "invoice", "hostedInvoiceUrl")
	if _, _, page := getPage(t, e, link); !strings.Contains(page, "--on-brand: #1f1f1f") {
		t.Errorf("hosted page: white text on #00aa55")
	}
	html := apitest.Str(t, e.Query(`query($id: ID!) { invoicePreviewEmail(id: $id) { html } }`, map[string]any{"id": id}), "invoicePreviewEmail", "html")
	if !strings.Contains(html, "color:#1f1f1f") {
		t.Errorf("email button: white text on #00aa55")
	}
}

// TestHostedPageDuringThreeDSecureOnPlan: while the bank's confirmation
// of a plan's installment is awaited, the hosted page asks for that
// confirmation and names its amount; it offers no payment of the next
// installment beside it.
func TestHostedPageDuringThreeDSecureOnPlan(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	cus := newCustomer(t, e, "jenny@example.com", "en")
	id := apitest.Str(t, e.Mutate("invoiceCreate", `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", lines: [{description: "Setup", unitAmount: "3000"}],
		amountsDue: [{amount: "1000", daysUntilDue: 1, description: "Deposit"}, {amount: "2000", daysUntilDue: 30, description: "Balance"}]}) { invoice { id } userErrors { field code } } }`, map[string]any{"c": cus}), "invoice", "id")
	link := apitest.Str(t, e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { hostedInvoiceUrl } userErrors { code } } }`, map[string]any{"id": id}), "invoice", "hostedInvoiceUrl")
	b := e.Browser()
	first := b.Get(link)
	key := first.Input("key")
	if key == "" {
		t.Fatalf("no payment form for the deposit")
	}
	if !strings.Contains(first.Body, "Due now: €1,000.00") {
		t.Errorf("the deposit is not said to be due now, in English")
	}
	res := b.Post(link+"/pay", apitest.Form{"key": key, "number": "4000002500003155", "expiry": "12/34", "cvc": "123"})
	for _, path := range []string{res.Location, link} {
		_, _, page := getPage(t, e, path)
		if !strings.Contains(page, `id="confirm"`) || !strings.Contains(page, "confirm the payment of €1,000.00") {
			t.Errorf("%s: no confirmation naming its amount", path)
		}
		if strings.Contains(page, `id="pay"`) || strings.Contains(page, "Pay €2,000.00") || strings.Contains(page, "Due now") {
			t.Errorf("%s: offers the next installment while a confirmation is awaited", path)
		}
	}
}

// TestHostedPageOfRevisedInvoice: the hosted page of an invoice a
// revision replaced says so and links to the revision's page.
func TestHostedPageOfRevisedInvoice(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	cus := newCustomer(t, e, "jenny@example.com", "fr")
	id := apitest.Str(t, e.Mutate("invoiceCreate", `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", lines: [{description: "Conseil", unitAmount: "100"}]}) { invoice { id } userErrors { code } } }`, map[string]any{"c": cus}), "invoice", "id")
	old := apitest.Str(t, e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { hostedInvoiceUrl } userErrors { code } } }`, map[string]any{"id": id}), "invoice", "hostedInvoiceUrl")
	rev := apitest.Str(t, e.Mutate("invoiceRevise", `mutation($id: ID!) { invoiceRevise(input: {id: $id}) { invoice { id } userErrors { code } } }`, map[string]any{"id": id}), "invoice", "id")
	fin := e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { number hostedInvoiceUrl } userErrors { code } } }`, map[string]any{"id": rev})
	number, fresh := apitest.Str(t, fin, "invoice", "number"), apitest.Str(t, fin, "invoice", "hostedInvoiceUrl")
	status, _, page := getPage(t, e, old)
	if status != http.StatusOK || !strings.Contains(page, "remplacée par la facture "+number) || !strings.Contains(page, `href="`+fresh+`"`) {
		t.Errorf("old page (%d) does not point to the revision %s at %s", status, number, fresh)
	}
	if strings.Contains(page, `id="pay"`) {
		t.Errorf("the voided original offers a payment")
	}
}

// TestStatusReadsTheSame: an uncollectible invoice reads the same on the
// hosted page and in the portal.
func TestStatusReadsTheSame(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	cus := newCustomer(t, e, "jenny@example.com", "en")
	id := apitest.Str(t, e.Mutate("invoiceCreate", `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", lines: [{description: "Consulting", unitAmount: "100"}]}) { invoice { id } userErrors { code } } }`, map[string]any{"c": cus}), "invoice", "id")
	link := apitest.Str(t, e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { hostedInvoiceUrl } userErrors { code } } }`, map[string]any{"id": id}), "invoice", "hostedInvoiceUrl")
	e.Mutate("invoiceMarkUncollectible", `mutation($id: ID!) { invoiceMarkUncollectible(input: {id: $id}) { invoice { id } userErrors { code } } }`, map[string]any{"id": id})
	_, _, page := getPage(t, e, link)
	if !strings.Contains(page, `<span class="status uncollectible">Open</span>`) {
		t.Errorf("hosted page does not read UNCOLLECTIBLE as Open")
	}
}

// TestPortalAPIOutsidePaymentAndBankTransfer: the portal API tells what
// the merchant recorded as received outside Remit, and how to pay an open
// invoice by bank transfer — what the portal's pages show.
func TestPortalAPIOutsidePaymentAndBankTransfer(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	e.Mutate("accountPaymentSettingsUpdate", `mutation { accountPaymentSettingsUpdate(input: {bankTransferInstructions: "IBAN FR76 3000 6000 0112 3456 7890 189"}) { account { id } userErrors { code } } }`, nil)
	cus := newCustomer(t, e, "jenny@example.com", "en")
	invoice := func() string {
		id := apitest.Str(t, e.Mutate("invoiceCreate", `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", lines: [{description: "Consulting", unitAmount: "100"}]}) { invoice { id } userErrors { code } } }`, map[string]any{"c": cus}), "invoice", "id")
		e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { id } userErrors { code } } }`, map[string]any{"id": id})
		return id
	}
	open, paid := invoice(), invoice()
	e.Mutate("invoiceMarkPaid", `mutation($id: ID!) { invoiceMarkPaid(input: {id: $id, method: "bank_transfer", reference: "VIR-7"}) { invoice { id } userErrors { code } } }`, map[string]any{"id": paid})
	c := newPapi(t, e).login(enablePortal(t, e, e.Key), "jenny@example.com")
	q := `query($id: ID!) { invoice(id: $id) { bankTransferInstructions paidOutsideRemit { method reference amount { amount } } } }`

	d := c.query(q, map[string]any{"id": open})
	if s, _ := apitest.Get(t, d, "invoice", "bankTransferInstructions").(string); !strings.HasPrefix(s, "IBAN FR76") {
		t.Errorf("open invoice: bank transfer instructions %q", s)
	}
	if o := apitest.Get(t, d, "invoice", "paidOutsideRemit"); o != nil {
		t.Errorf("open invoice paid outside Remit: %v", o)
	}
	d = c.query(q, map[string]any{"id": paid})
	if s := apitest.Get(t, d, "invoice", "bankTransferInstructions"); s != nil {
		t.Errorf("paid invoice: bank transfer instructions %v", s)
	}
	if got := fmt.Sprint(apitest.Get(t, d, "invoice", "paidOutsideRemit")); got != "map[amount:map[amount:100.00] method:bank_transfer reference:VIR-7]" {
		t.Errorf("paid outside Remit: %s", got)
	}
}
