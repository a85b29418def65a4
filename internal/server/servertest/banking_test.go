package servertest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/banking"
)

// TestBankDetails sets the account's bank details through accountUpdate
// (bad ones refused at their field, nothing changed), finalizes a EUR
// invoice, and reads its creditor reference back through GraphQL, the PDF
// and the hosted page, with the IBAN and the EPC QR code; details changed
// afterwards do not reach the issued invoice.
func TestBankDetails(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	const read = `{ account { bankIban bankBic bankAccountName cashBalanceAutoApply } }`
	update := `mutation($in: AccountUpdateInput!) { accountUpdate(input: $in) { account { bankIban bankBic bankAccountName cashBalanceAutoApply } userErrors { field code message } } }`

	for name, c := range map[string]struct {
		in    map[string]any
		field string
	}{
		"IBAN check digits": {map[string]any{"bankIban": "FR77 3000 6000 0112 3456 7890 189", "bankBic": "AGRIFRPP"}, "bankIban"},
		"IBAN length":       {map[string]any{"bankIban": "FR76 3000 6000 0112 3456 7890 18"}, "bankIban"},
		"BIC country":       {map[string]any{"bankIban": "FR7630006000011234567890189", "bankBic": "AGRIZZPP"}, "bankBic"},
		"BIC length":        {map[string]any{"bankBic": "AGRIFR"}, "bankBic"},
		"beneficiary":       {map[string]any{"bankAccountName": strings.Repeat("a", 71)}, "bankAccountName"},
	} {
		p := e.MutateErr("accountUpdate", update, map[string]any{"in": c.in})
		ue, _ := p["userErrors"].([]any)
		if len(ue) != 1 {
			t.Errorf("%s: userErrors %v", name, ue)
			continue
		}
		if f := apitest.Get(t, ue[0], "field"); len(f.([]any)) != 2 || f.([]any)[1] != c.field {
			t.Errorf("%s: error at %v, want input.%s", name, f, c.field)
		}
	}
	acct := e.Query(read, nil)
	if apitest.Str(t, acct, "account", "bankIban") != "" || apitest.Str(t, acct, "account", "bankBic") != "" {
		t.Fatalf("a refused update changed the account: %v", acct)
	}

	got := e.Mutate("accountUpdate", update, map[string]any{"in": map[string]any{
		"legalName": "Atelier Remit SAS", "bankIban": "fr76 3000 6000 0112 3456 7890 189", "bankBic": "agrifrpp ", "cashBalanceAutoApply": true,
	}})
	if a := got["account"].(map[string]any); a["bankIban"] != "FR7630006000011234567890189" || a["bankBic"] != "AGRIFRPP" || a["cashBalanceAutoApply"] != true {
		t.Fatalf("account after update: %v", a)
	}

	cus := e.Mutate("customerCreate", `mutation { customerCreate(input: {customer: {name: "Jenny Rosen", email: "jenny@example.com", preferredLocales: ["en"]}}) { customer { id transferReference } warnings { code } userErrors { code } } }`, nil)
	t.Run("customer reference", func(t *testing.T) {
		ref := apitest.Str(t, cus, "customer", "transferReference")
		if _, _, err := banking.ParseReference(ref); err != nil {
			t.Errorf("customer transferReference %q: %v", ref, err)
		}
	})
	inv := e.Mutate("invoiceCreate", `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", daysUntilDue: 30, lines: [{description: "Setup", unitAmount: "1200"}]}) { invoice { id transferReference pdfUrl } userErrors { field code } } }`,
		map[string]any{"c": apitest.Str(t, cus, "customer", "id")})
	id := apitest.Str(t, inv, "invoice", "id")
	if r := apitest.Get(t, inv, "invoice", "transferReference"); r != nil {
		t.Errorf("draft transferReference = %v, want null", r)
	}
	fin := e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { number transferReference hostedInvoiceUrl } userErrors { code } } }`, map[string]any{"id": id})
	number := apitest.Str(t, fin, "invoice", "number")
	ref := apitest.Str(t, fin, "invoice", "transferReference")
	if ref != banking.Reference(number) {
		t.Fatalf("transferReference = %q, want %q", ref, banking.Reference(number))
	}

	// The account's details change after finalization: the invoice keeps
	// those its customer was given.
	e.Mutate("accountUpdate", update, map[string]any{"in": map[string]any{"bankIban": "DE89 3704 0044 0532 0130 00", "bankBic": ""}})

	status, _, pdf := getPDF(t, e, apitest.Str(t, inv, "invoice", "pdfUrl"), e.Key)
	if status != http.StatusOK {
		t.Fatalf("pdf: %d", status)
	}
	text := strings.Join(strings.Fields(pdfText(t, pdf)), " ")
	for _, want := range []string{banking.Printed(ref), "FR76 3000 6000 0112 3456 7890 189", "AGRIFRPP", "Atelier Remit SAS"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "DE89") {
		t.Error("PDF prints the IBAN set after finalization")
	}

	b := e.Browser()
	page := b.Get(apitest.Str(t, fin, "invoice", "hostedInvoiceUrl"))
	if page.Status != http.StatusOK {
		t.Fatalf("hosted page: %d", page.Status)
	}
	for _, want := range []string{banking.Printed(ref), "FR76 3000 6000 0112 3456 7890 189", `id="bank-qr"`, `<svg xmlns="http://www.w3.org/2000/svg"`, "<path"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("hosted page lacks %q", want)
		}
	}
}
