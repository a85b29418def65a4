package servertest_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
)

// TestMandatoryMentions: a French seller without SIREN nor operation
// category, invoicing a French business whose SIREN is unknown, is told
// what is missing before finalizing (invoicePreflight), and finalizing
// refuses with the same errors and issues nothing; once the mentions are
// there it is issued, and the PDF prints the legal form, capital and
// register, the operation category and the VAT-on-debits option. An
// account that opts out of strict checks finalizes regardless.
func TestMandatoryMentions(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		e.Mutate("accountUpdate", `mutation { accountUpdate(input: {name: "Acme", legalName: "Acme", country: "FR",
			address: {line1: "1 rue de la Paix", postalCode: "75002", city: "Paris", country: "FR"}}) { account { id } userErrors { field code } } }`, nil)
		cus := apitest.Str(t, e.Mutate("customerCreate", `mutation { customerCreate(input: {customer: {name: "Client SARL", email: "compta@client.fr", entityType: BUSINESS,
			address: {line1: "2 avenue Foch", postalCode: "69006", city: "Lyon", country: "FR"}}}) { customer { id } userErrors { field code } } }`, nil), "customer", "id")
		inv := apitest.Str(t, e.Mutate("invoiceCreate", `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", daysUntilDue: 30,
			lines: [{description: "Audit", unitAmount: "1000"}]}) { invoice { id } userErrors { field code } } }`, map[string]any{"c": cus}), "invoice", "id")

		const preflight = `query($id: ID!) { invoicePreflight(id: $id) { ready strict missing { field code message } } }`
		fields := func(errs []any) []string {
			var out []string
			for _, m := range errs {
				var parts []string
				for _, f := range m.(map[string]any)["field"].([]any) {
					parts = append(parts, f.(string))
				}
				if code := m.(map[string]any)["code"]; code != "MANDATORY_MENTION_MISSING" {
					t.Errorf("code %v", code)
				}
				out = append(out, strings.Join(parts, "."))
			}
			slices.Sort(out)
			return out
		}
		pf := apitest.Get(t, e.Query(preflight, map[string]any{"id": inv}), "invoicePreflight").(map[string]any)
		want := []string{"account.siren", "customer.taxIds", "operationCategory"}
		if got := fields(pf["missing"].([]any)); pf["ready"] != false || pf["strict"] != true || !slices.Equal(got, want) {
			t.Fatalf("preflight: %v, want missing %v", pf, want)
		}

		const finalize = `mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { id status } userErrors { field code message } } }`
		refused := e.MutateErr("invoiceFinalize", finalize, map[string]any{"id": inv})
		if got := fields(refused["userErrors"].([]any)); !slices.Equal(got, []string{"input.account.siren", "input.customer.taxIds", "input.operationCategory"}) {
			t.Errorf("finalize refused with %v", refused["userErrors"])
		}
		if st := apitest.Str(t, e.Query(`query($id: ID!) { invoice(id: $id) { status number } }`, map[string]any{"id": inv}), "invoice", "status"); st != "DRAFT" {
			t.Errorf("refused invoice is %s", st)
		}

		// The mentions given: issued, and printed.
		e.Mutate("accountUpdate", `mutation { accountUpdate(input: {siren: "732829320", legalForm: "SAS", shareCapital: "10 000 €", registration: "RCS Paris 732 829 320",
			vatOnDebits: true, operationCategory: SERVICES}) { account { id } userErrors { field code } } }`, nil)
		e.Mutate("customerUpdate", `mutation($id: ID!) { customerUpdate(input: {id: $id, customer: {taxIds: [{type: "eu_vat", value: "FR96552100554"}]}}) { customer { id } userErrors { field code } } }`, map[string]any{"id": cus})
		if pf := apitest.Get(t, e.Query(preflight, map[string]any{"id": inv}), "invoicePreflight").(map[string]any); pf["ready"] != true {
			t.Fatalf("preflight after the fixes: %v", pf)
		}
		issued := e.Mutate("invoiceFinalize", finalize, map[string]any{"id": inv})
		if apitest.Str(t, issued, "invoice", "status") != "OPEN" {
			t.Fatalf("finalize: %v", issued)
		}
		if cat := apitest.Str(t, e.Query(`query($id: ID!) { invoice(id: $id) { operationCategory } }`, map[string]any{"id": inv}), "invoice", "operationCategory"); cat != "SERVICES" {
			t.Errorf("operation category frozen as %q, want the account's SERVICES", cat)
		}
		code, _, body := getCSV(t, e, e.Key, "/invoices/"+inv+"/pdf")
		if code != 200 {
			t.Fatalf("pdf: %d", code)
		}
		text := pdfText(t, []byte(body))
		for _, want := range []string{"SAS au capital de 10 000 €", "RCS Paris 732 829 320", "d'après les débits"} {
			if !strings.Contains(text, want) {
				t.Errorf("the PDF lacks %q:\n%s", want, text)
			}
		}

		// Opting out: a draft missing its category is issued anyway.
		e.Mutate("accountUpdate", `mutation { accountUpdate(input: {einvoiceStrict: false, siren: ""}) { account { id } userErrors { field code } } }`, nil)
		loose := apitest.Str(t, e.Mutate("invoiceCreate", `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", lines: [{description: "Audit", unitAmount: "10"}]}) { invoice { id } userErrors { field code } } }`,
			map[string]any{"c": cus}), "invoice", "id")
		if st := apitest.Str(t, e.Mutate("invoiceFinalize", finalize, map[string]any{"id": loose}), "invoice", "status"); st != "OPEN" {
			t.Errorf("non-strict account: %s", st)
		}
	})
}
