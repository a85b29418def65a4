package servertest_test

import (
	"encoding/csv"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/viewer"
)

// getCSV fetches an export with key and returns its status, header and
// body.
func getCSV(t *testing.T, e *apitest.Env, key, path string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

func records(t *testing.T, body string) []map[string]string {
	t.Helper()
	rs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, body)
	}
	var out []map[string]string
	for _, r := range rs[1:] {
		m := map[string]string{}
		for i, h := range rs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// TestExports: the invoices, customers, payments and credit notes of the
// key's account and mode as CSV, with the list's filters, dates in the
// chosen zone, formulas neutralised, a byte-order mark on request; bad
// parameters refused before anything is written.
func TestExports(t *testing.T) {
	t.Parallel()
	apitest.ForEachDialect(t, func(t *testing.T, e *apitest.Env) {
		p := newPayT(t, e)
		cus := apitest.Str(t, e.Mutate("customerCreate", `mutation { customerCreate(input: {customer: {name: "=HYPERLINK(\"http://evil\")", email: "jenny@example.com"}}) { customer { id } userErrors { code } } }`, nil), "customer", "id")
		draft := p.draft(cus, "EUR", "10.00", nil)
		open := p.open(cus, "EUR", "100.00", nil)
		paid, _ := p.paidBy(cus, "EUR", "50.00", p.card(cus, cardOK))
		e.Mutate("invoiceRecordPayment", `mutation($id: ID!) { invoiceRecordPayment(input: {id: $id, amount: "40.00", method: "bank_transfer", reference: "+VIR-1"}) { invoice { id } userErrors { code } } }`, map[string]any{"id": open})
		e.Mutate("creditNoteCreate", `mutation($id: ID!) { creditNoteCreate(input: {invoice: $id, amount: "5.00", email: false}) { creditNote { id } userErrors { code } } }`, map[string]any{"id": open})
		other, _ := e.NewAccount("Other SAS", viewer.Test)
		otherKey := e.NewKey(other, viewer.Test)
		e.Do(apitest.Request{Key: otherKey, Query: `mutation { customerCreate(input: {customer: {name: "Not yours"}}) { customer { id } userErrors { code } } }`})

		code, h, body := getCSV(t, e, e.Key, "/exports/invoices.csv?timezone=Europe/Paris")
		if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(h.Get("Content-Disposition"), "invoices-") {
			t.Fatalf("invoices.csv: %d %v", code, h)
		}
		rows := records(t, body)
		byID := map[string]map[string]string{}
		for _, r := range rows {
			byID[r["id"]] = r
		}
		if len(rows) != 3 || byID[draft]["status"] != "DRAFT" || byID[paid]["status"] != "PAID" {
			t.Fatalf("rows %v", rows)
		}
		o := byID[open]
		if o["amount_remaining"] != "55.00" || o["amount_paid"] != "40.00" || o["customer_name"] != `'=HYPERLINK("http://evil")` || !strings.HasSuffix(o["created"], "+01:00") {
			t.Errorf("open invoice row %v", o)
		}
		if _, _, body := getCSV(t, e, e.Key, "/exports/invoices.csv?status=paid"); len(records(t, body)) != 1 {
			t.Errorf("status filter: %s", body)
		}
		if _, _, body := getCSV(t, e, e.Key, "/exports/invoices.csv?bom=1"); !strings.HasPrefix(body, "\uFEFFid,") {
			t.Errorf("no byte-order mark: %q", body[:10])
		}
		for _, bad := range []string{"timezone=Mars/Olympus", "status=LATE", "created_after=yesterday", "past_due=maybe"} {
			if code, _, body := getCSV(t, e, e.Key, "/exports/invoices.csv?"+bad); code != http.StatusBadRequest || strings.Contains(body, "id,number") {
				t.Errorf("%s: %d %s", bad, code, body)
			}
		}
		_, _, body = getCSV(t, e, e.Key, "/exports/customers.csv")
		if cs := records(t, body); len(cs) != 1 || cs[0]["id"] != cus {
			t.Errorf("customers %v", cs)
		}
		_, _, body = getCSV(t, e, e.Key, "/exports/payments.csv")
		ps := records(t, body)
		if len(ps) != 2 || (ps[0]["reference"] != "'+VIR-1" && ps[1]["reference"] != "'+VIR-1") {
			t.Errorf("payments %v", ps)
		}
		_, _, body = getCSV(t, e, e.Key, "/exports/credit-notes.csv")
		if cns := records(t, body); len(cns) != 1 || cns[0]["total"] != "5.00" || cns[0]["invoice_id"] != open {
			t.Errorf("credit notes %v", cns)
		}
		if code, _, _ := getCSV(t, e, "sk_test_nope", "/exports/invoices.csv"); code != http.StatusUnauthorized {
			t.Errorf("without a valid key: %d", code)
		}
	})
}

// TestSignedExportLinks: exportCreate hands a browser app a link that
// downloads the export without the API key, for ten minutes; altered or
// expired, it is refused.
func TestSignedExportLinks(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	p := newPayT(t, e)
	cus := newCustomer(t, e, "jenny@example.com", "en")
	p.open(cus, "EUR", "100.00", nil)
	paid, _ := p.paidBy(cus, "EUR", "50.00", p.card(cus, cardOK))
	pl := e.Mutate("exportCreate", `mutation { exportCreate(input: {kind: INVOICES, filter: {status: [PAID]}, timezone: "Europe/Paris"}) { url expiresAt userErrors { code field } } }`, nil)
	link := apitest.Str(t, pl, "url")
	if !strings.HasPrefix(link, "http://localhost:8080/exports/invoices.csv?") {
		t.Fatalf("link %s", link)
	}
	path := strings.TrimPrefix(link, "http://localhost:8080")
	get := func(path string) (int, string) {
		res, err := http.Get(e.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	code, body := get(path)
	if rows := records(t, body); code != http.StatusOK || len(rows) != 1 || rows[0]["id"] != paid {
		t.Fatalf("signed link: %d %s", code, body)
	}
	if code, _ := get(strings.Replace(path, "status=PAID", "status=OPEN", 1)); code != http.StatusForbidden {
		t.Errorf("altered filter: %d", code)
	}
	if code, _ := get(strings.Replace(path, "/invoices.csv", "/customers.csv", 1)); code != http.StatusForbidden {
		t.Errorf("another export with the same signature: %d", code)
	}
	res := e.Do(apitest.Request{Key: e.Key, Query: `mutation { exportCreate(input: {kind: CUSTOMERS, timezone: "Mars/Olympus"}) { url userErrors { code field } } }`})
	if codes := apitest.ErrorCodes(t, res.Data["exportCreate"].(map[string]any)); len(codes) != 1 || codes[0] != "INVALID" {
		t.Errorf("bad timezone: %s", res.RawBody)
	}
	e.Clock.Advance(11 * time.Minute)
	if code, _ := get(path); code != http.StatusForbidden {
		t.Errorf("expired link: %d", code)
	}
}
