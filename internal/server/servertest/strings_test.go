package servertest_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
)

// TestInvalidStrings checks that NUL and invalid UTF-8 get the same typed
// answer on both databases (PostgreSQL once answered INTERNAL where SQLite
// stored the NUL): a user error on the field for mutations, not found for
// ids, a typed top-level error for filters, 400 for a body that is not
// UTF-8 and 404 for such paths; nothing is written.
func TestInvalidStrings(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		cus := apitest.Str(t, e.Mutate("customerCreate", `mutation { customerCreate(input: {customer: {name: "Ada", email: "ada@example.com"}}) { customer { id } userErrors { code } } }`, nil), "customer", "id")
		before := fingerprint(t, e)

		for _, tc := range []struct {
			name, doc string
			vars      map[string]any
			field     string
			path      []any
			code      string
		}{
			{"name", `mutation($s: String) { customerCreate(input: {customer: {name: $s}}) { customer { id } userErrors { field code message } } }`,
				map[string]any{"s": "A\x00da"}, "customerCreate", []any{"input", "customer", "name"}, "INVALID_STRING"},
			{"line description", `mutation($c: ID!, $s: String) { invoiceCreate(input: {customer: $c, currency: "EUR", lines: [{description: "ok", unitAmount: "1"}, {description: $s, unitAmount: "1"}]}) { invoice { id } userErrors { field code message } } }`,
				map[string]any{"c": cus, "s": "x\x00"}, "invoiceCreate", []any{"input", "lines", "1", "description"}, "INVALID_STRING"},
			{"metadata key", `mutation($c: ID!, $m: Metadata) { customerUpdate(input: {id: $c, customer: {metadata: $m}}) { customer { id } userErrors { field code message } } }`,
				map[string]any{"c": cus, "m": map[string]any{"k\x00": "v"}}, "customerUpdate", []any{"input", "customer", "metadata"}, "INVALID_STRING"},
			{"bank instructions", `mutation($s: String) { accountPaymentSettingsUpdate(input: {bankTransferInstructions: $s}) { userErrors { field code message } } }`,
				map[string]any{"s": "IBAN\x00"}, "accountPaymentSettingsUpdate", []any{"input", "bankTransferInstructions"}, "INVALID_STRING"},
			{"id", `mutation { invoiceVoid(input: {id: "in_\u0000"}) { invoice { id } userErrors { field code message } } }`,
				nil, "invoiceVoid", []any{"input", "id"}, "NOT_FOUND"},
		} {
			res := e.Do(apitest.Request{Query: tc.doc, Variables: tc.vars})
			if res.Status != http.StatusOK || len(res.Errors) > 0 {
				t.Fatalf("%s: status %d: %s", tc.name, res.Status, res.RawBody)
			}
			ue := apitest.Get(t, res.Data, tc.field, "userErrors").([]any)
			if len(ue) != 1 {
				t.Fatalf("%s: userErrors %v", tc.name, ue)
			}
			got := ue[0].(map[string]any)
			if got["code"] != tc.code || !slices.Equal(got["field"].([]any), tc.path) {
				t.Errorf("%s: got %v, want %s at %v", tc.name, got, tc.code, tc.path)
			}
		}

		// Queries: an id looked up directly is simply not found; a filter
		// is refused with a typed error at its path.
		data := e.Query(`{ invoice(id: "in_\u0000") { id } node(id: "cus_\u0000") { id } customer(id: "\u0000") { id } }`, nil)
		for _, f := range []string{"invoice", "node", "customer"} {
			if data[f] != nil {
				t.Errorf("%s: %v, want null", f, data[f])
			}
		}
		res := e.Do(apitest.Request{Query: `{ invoices(first: 10, filter: {number: "\u0000"}) { edges { node { id } } } }`})
		if len(res.Errors) != 1 || !hasCode(res, "INVALID_STRING") {
			t.Errorf("number filter: %s", res.RawBody)
		}
		res = e.Do(apitest.Request{Query: `{ customers(first: 10, filter: {metadataKey: "a[0]"}) { edges { node { id } } } }`})
		if len(res.Errors) != 1 || !hasCode(res, "INVALID") {
			t.Errorf("metadata key filter: %s", res.RawBody)
		}

		// A body that is not UTF-8 is refused whole.
		res = e.Raw([]byte("{\"query\":\"mutation { customerCreate(input: {customer: {name: \\\"\xff\\\"}}) { userErrors { code } } }\"}"), "", nil)
		if res.Status != http.StatusBadRequest || !hasCode(res, "INVALID_STRING") {
			t.Errorf("invalid UTF-8 body: status %d: %s", res.Status, res.RawBody)
		}

		// Paths holding NUL are unknown objects and links.
		for _, path := range []string{"/invoices/%00/pdf", "/portal/%00", "/i/%00", "/i/%00/pdf", "/dev/mail/%00"} {
			r := send(t, http.MethodGet, e.URL+path, nil, map[string]string{"Authorization": "Bearer " + e.Key})
			if r.Status != http.StatusNotFound {
				t.Errorf("GET %s: status %d, want 404", path, r.Status)
			}
		}

		if after := fingerprint(t, e); after != before {
			t.Error("refused requests changed the data")
		}
	})
}
