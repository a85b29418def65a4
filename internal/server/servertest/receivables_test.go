package servertest_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/viewer"
)

// TestReceivables: the aging report and a customer statement through
// GraphQL, the aging CSV and the statement PDF (by signed link and by
// key), bad input as userErrors, and another account seeing nothing.
func TestReceivables(t *testing.T) {
	t.Parallel()
	apitest.ForEachDialect(t, func(t *testing.T, e *apitest.Env) {
		p := newPayT(t, e)
		cus := apitest.Str(t, e.Mutate("customerCreate", `mutation { customerCreate(input: {customer: {name: "Jenny Rosen", email: "jenny@example.com", preferredLocales: ["fr"]}}) { customer { id } userErrors { code } } }`, nil), "customer", "id")
		from := e.Clock.Now().Add(-time.Hour)
		open := p.open(cus, "EUR", "100.00", nil)
		e.Mutate("invoiceRecordPayment", `mutation($id: ID!) { invoiceRecordPayment(input: {id: $id, amount: "40.00", method: "bank_transfer", reference: "VIR-1"}) { invoice { id } userErrors { code } } }`, map[string]any{"id": open})
		e.Mutate("creditNoteCreate", `mutation($id: ID!) { creditNoteCreate(input: {invoice: $id, amount: "5.00", email: false}) { creditNote { id } userErrors { code } } }`, map[string]any{"id": open})
		to := e.Clock.Now().Add(time.Hour)

		aging := e.Query(`query { receivablesAging(input: {}) { asOf currencies { currency totals { notDue { amount } total { amount } } customers { customerId name amounts { total { amount } } } } userErrors { field code } } }`, nil)
		cur := apitest.Get(t, aging, "receivablesAging", "currencies", 0)
		if apitest.Str(t, cur, "currency") != "EUR" || apitest.Str(t, cur, "totals", "total", "amount") != "55.00" ||
			apitest.Str(t, cur, "customers", 0, "customerId") != cus || apitest.Str(t, cur, "customers", 0, "name") != "Jenny Rosen" {
			t.Fatalf("aging %v", aging)
		}
		bad := e.Query(`query($at: Time!) { receivablesAging(input: {asOf: $at}) { currencies { currency } userErrors { field code } } }`, map[string]any{"at": to.Add(time.Hour)})
		if ue := apitest.Get(t, bad, "receivablesAging", "userErrors", 0); apitest.Str(t, ue, "code") != "INVALID" || apitest.Str(t, ue, "field", 1) != "asOf" {
			t.Errorf("future asOf: %v", bad)
		}

		const stmt = `query($in: CustomerStatementInput!) { customerStatement(input: $in) { currency openingBalance { amount } closingBalance { amount }
			movements { kind number debit { amount } credit { amount } balance { amount } } overdue { number } pdfUrl userErrors { field code } } }`
		vars := map[string]any{"in": map[string]any{"customer": cus, "from": from, "to": to}}
		st := apitest.Get(t, e.Query(stmt, vars), "customerStatement")
		var kinds []string
		for _, m := range apitest.Get(t, st, "movements").([]any) {
			kinds = append(kinds, apitest.Str(t, m, "kind"))
		}
		if apitest.Str(t, st, "closingBalance", "amount") != "55.00" || apitest.Str(t, st, "openingBalance", "amount") != "0.00" ||
			strings.Join(kinds, ",") != "INVOICE,CREDIT_NOTE,PAYMENT" {
			t.Fatalf("statement %v", st)
		}
		// The link is on the public URL; the test server listens elsewhere.
		link := e.URL + strings.TrimPrefix(apitest.Str(t, st, "pdfUrl"), "http://localhost:8080")
		res, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		pdf, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(string(pdf), "%PDF") {
			t.Fatalf("statement pdf by link: %d %.80q", res.StatusCode, pdf)
		}
		if text := pdfText(t, pdf); !strings.Contains(text, "Relevé de compte") || !strings.Contains(text, "55,00") {
			t.Errorf("statement pdf text:\n%s", text)
		}
		// A link signed for one customer opens no other's.
		forged := strings.Replace(link, cus, "cus_other", 1)
		if res, err := http.Get(forged); err != nil || res.StatusCode != http.StatusForbidden {
			t.Errorf("link for another customer: %v %v", res.StatusCode, err)
		}
		q := "?from=" + from.Format(time.RFC3339) + "&to=" + to.Format(time.RFC3339)
		if code, h, _ := getCSV(t, e, e.Key, "/customers/"+cus+"/statement.pdf"+q); code != http.StatusOK || h.Get("Content-Type") != "application/pdf" {
			t.Errorf("statement pdf by key: %d %v", code, h)
		}

		code, _, body := getCSV(t, e, e.Key, "/exports/aging.csv?currency=eur")
		rows := records(t, body)
		if code != http.StatusOK || len(rows) != 2 || rows[0]["customer_id"] != cus || rows[0]["total"] != "55.00" || rows[1]["customer_name"] != "TOTAL" {
			t.Fatalf("aging.csv %d %v", code, rows)
		}
		// A browser app gets the same file by a signed link, without the key.
		signed := e.Mutate("exportCreate", `mutation($c: String!) { exportCreate(input: {kind: AGING, aging: {currency: $c}}) { url userErrors { code } } }`, map[string]any{"c": "EUR"})
		res, err = http.Get(e.URL + strings.TrimPrefix(apitest.Str(t, signed, "url"), "http://localhost:8080"))
		if err != nil {
			t.Fatal(err)
		}
		byLink, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || string(byLink) != body {
			t.Errorf("aging.csv by signed link: %d %q, want the same file as by key", res.StatusCode, byLink)
		}
		if code, _, _ := getCSV(t, e, e.Key, "/exports/aging.csv?as_of=yesterday"); code != http.StatusBadRequest {
			t.Errorf("bad as_of: %d", code)
		}

		// Another account: no such customer, nothing in its report.
		other, _ := e.NewAccount("Other SAS", viewer.Test)
		otherKey := e.NewKey(other, viewer.Test)
		r := e.Do(apitest.Request{Key: otherKey, Query: stmt, Variables: vars})
		if !strings.Contains(string(r.RawBody), `"code":"NOT_FOUND"`) {
			t.Errorf("other account's statement: %s", r.RawBody)
		}
		if code, _, _ := getCSV(t, e, otherKey, "/customers/"+cus+"/statement.pdf"+q); code != http.StatusNotFound {
			t.Errorf("other account's statement pdf: %d", code)
		}
		if _, _, body := getCSV(t, e, otherKey, "/exports/aging.csv"); len(records(t, body)) != 0 {
			t.Errorf("other account's aging: %s", body)
		}
	})
}
