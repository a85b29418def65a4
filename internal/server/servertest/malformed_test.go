package servertest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/server"
)

// assertRefused checks a request the server refuses as the client's fault:
// the status, the JSON error shape with code (when given) and nothing
// internal in the body. A nil header skips the Content-Type check.
func assertRefused(t *testing.T, status int, body []byte, header http.Header, wantStatus int, wantCode string) {
	t.Helper()
	if status != wantStatus {
		t.Errorf("status %d, want %d: %s", status, wantStatus, truncate(body))
	}
	if ct := header.Get("Content-Type"); header != nil && !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want JSON", ct)
	}
	codes := jsonErrorCodes(t, body)
	if wantCode != "" && !slices.Contains(codes, wantCode) {
		t.Errorf("codes %v, want %s: %s", codes, wantCode, truncate(body))
	}
	if slices.Contains(codes, "INTERNAL") {
		t.Errorf("a client error reported as INTERNAL: %s", truncate(body))
	}
	assertNoLeak(t, "refused request", body)
}

// TestMalformedRequests checks requests that are not valid GraphQL over
// HTTP are refused with a 4xx JSON error and run nothing.
func TestMalformedRequests(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		create := `mutation { customerCreate(input: {customer: {name: "Should Not Exist"}}) { customer { id } userErrors { code } } }`
		q := func(query string, vars map[string]any) string {
			b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
			return string(b)
		}
		cases := []struct {
			name        string
			body        string
			contentType string
			status      int
			code        string
		}{
			{"truncated JSON", `{"query": "` + create[:20], "", http.StatusBadRequest, "BAD_REQUEST"},
			{"not JSON", `query=mutation+{+customerCreate}`, "", http.StatusBadRequest, "BAD_REQUEST"},
			{"JSON array", `[` + q(create, nil) + `]`, "", http.StatusBadRequest, "BATCH_NOT_SUPPORTED"},
			{"JSON string", `"` + create + `"`, "", http.StatusBadRequest, "BAD_REQUEST"},
			{"empty body", ``, "", http.StatusBadRequest, "BAD_REQUEST"},
			{"query not a string", `{"query": 5}`, "", http.StatusBadRequest, "BAD_REQUEST"},
			{"variables not an object", `{"query": "{ account { id } }", "variables": "x"}`, "", http.StatusBadRequest, "BAD_REQUEST"},
			{"form content type", q(create, nil), "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE"},
			{"text content type", q(create, nil), "text/plain", http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE"},
			{"no operation", `{}`, "", http.StatusUnprocessableEntity, "GRAPHQL_VALIDATION_FAILED"},
			{"syntax error", q(`mutation { customerCreate(input: {customer: {name: "x"}}) { customer { id }`, nil), "", http.StatusUnprocessableEntity, "GRAPHQL_PARSE_FAILED"},
			{"garbage query", q(`SELECT * FROM customers`, nil), "", http.StatusUnprocessableEntity, "GRAPHQL_PARSE_FAILED"},
			{"unknown field", q(`{ customers(first: 1) { totalCount nope } }`, nil), "", http.StatusUnprocessableEntity, "GRAPHQL_VALIDATION_FAILED"},
			{"unknown mutation", q(`mutation { customerCreat(input: {customer: {name: "x"}}) { customer { id } } }`, nil), "", http.StatusUnprocessableEntity, "GRAPHQL_VALIDATION_FAILED"},
			{"unknown argument", q(`{ customers(first: 1, last: 2) { totalCount } }`, nil), "", http.StatusUnprocessableEntity, "GRAPHQL_VALIDATION_FAILED"},
			{"unknown input field", q(`mutation { customerCreate(input: {customer: {name: "x", shoeSize: 44}}) { customer { id } } }`, nil), "", http.StatusUnprocessableEntity, "GRAPHQL_VALIDATION_FAILED"},
			{"missing required argument", q(`{ customer { id } }`, nil), "", http.StatusUnprocessableEntity, "GRAPHQL_VALIDATION_FAILED"},
			{"wrong literal type", q(`{ customers(first: "ten") { totalCount } }`, nil), "", http.StatusUnprocessableEntity, "GRAPHQL_VALIDATION_FAILED"},
			{"wrong variable type", q(`query($n: Int!) { customers(first: $n) { totalCount } }`, map[string]any{"n": "ten"}), "", http.StatusUnprocessableEntity, "GRAPHQL_VALIDATION_FAILED"},
			{"missing variable", q(`mutation($name: String!) { customerCreate(input: {customer: {name: $name}}) { customer { id } } }`, nil), "", http.StatusUnprocessableEntity, "GRAPHQL_VALIDATION_FAILED"},
			{"unknown operation name", `{"query": "query A { account { id } }", "operationName": "B"}`, "", http.StatusUnprocessableEntity, "GRAPHQL_VALIDATION_FAILED"},
			{"too many tokens", q(`{ account {`+strings.Repeat(" id", server.MaxTokens)+` } }`, nil), "", http.StatusUnprocessableEntity, ""},
			{"subscription", q(`subscription { account { id } }`, nil), "", http.StatusUnprocessableEntity, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				h := map[string]string{"Authorization": "Bearer " + e.Key, "Content-Type": "application/json"}
				if c.contentType != "" {
					h["Content-Type"] = c.contentType
				}
				res := send(t, http.MethodPost, e.URL+"/graphql", strings.NewReader(c.body), h)
				assertRefused(t, res.Status, res.Body, res.Header, c.status, c.code)
				if bytes.Contains(res.Body, []byte("Did you mean")) {
					t.Errorf("suggestions leak the schema: %s", res.Body)
				}
			})
		}
		if n := customerCount(t, e, ""); n != 0 {
			t.Errorf("malformed requests created %v customers", n)
		}
	})
}

// paddedBody is a valid customerCreate request padded with spaces to size
// bytes.
func paddedBody(t *testing.T, size int) []byte {
	t.Helper()
	b := createCustomerBody(t, "Big Body")
	if len(b) > size {
		t.Fatalf("body already %d bytes", len(b))
	}
	return append(b, bytes.Repeat([]byte(" "), size-len(b))...)
}

// TestBodyLimit checks bodies above 1 MiB are refused with 413 whether or
// not they declare their length, and a body of exactly 1 MiB is served.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		h := map[string]string{"Authorization": "Bearer " + e.Key, "Content-Type": "application/json"}
		over := paddedBody(t, server.MaxBodyBytes+1)
		t.Run("declared length", func(t *testing.T) {
			res := send(t, http.MethodPost, e.URL+"/graphql", bytes.NewReader(over), h)
			assertRefused(t, res.Status, res.Body, res.Header, http.StatusRequestEntityTooLarge, "BODY_TOO_LARGE")
		})
		t.Run("chunked", func(t *testing.T) {
			// A reader of unknown length makes the client stream the body
			// chunked, without Content-Length.
			res := send(t, http.MethodPost, e.URL+"/graphql", io.MultiReader(bytes.NewReader(over)), h)
			assertRefused(t, res.Status, res.Body, res.Header, http.StatusRequestEntityTooLarge, "BODY_TOO_LARGE")
		})
		t.Run("unauthenticated", func(t *testing.T) {
			res := send(t, http.MethodPost, e.URL+"/graphql", bytes.NewReader(paddedBody(t, 4*server.MaxBodyBytes)), map[string]string{"Content-Type": "application/json"})
			if res.Status != http.StatusRequestEntityTooLarge && res.Status != http.StatusUnauthorized {
				t.Errorf("status %d, want 413 or 401", res.Status)
			}
		})
		if n := customerCount(t, e, ""); n != 0 {
			t.Fatalf("oversized requests created %v customers", n)
		}
		res := send(t, http.MethodPost, e.URL+"/graphql", bytes.NewReader(paddedBody(t, server.MaxBodyBytes)), h)
		if res.Status != http.StatusOK || bytes.Contains(res.Body, []byte(`"errors"`)) {
			t.Errorf("exactly 1 MiB: status %d: %s", res.Status, truncate(res.Body))
		}
		if n := customerCount(t, e, ""); n != 1 {
			t.Errorf("exactly 1 MiB: %v customers, want 1", n)
		}
	})
}

// TestMethods checks /graphql answers POST, and GET for queries only.
func TestMethods(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		auth := map[string]string{"Authorization": "Bearer " + e.Key}
		res := send(t, http.MethodGet, e.URL+"/graphql?query=%7Baccount%7Bid%7D%7D", nil, auth)
		if res.Status != http.StatusOK || !strings.Contains(string(res.Body), e.Account) {
			t.Errorf("GET query: %d %s", res.Status, truncate(res.Body))
		}
		res = send(t, http.MethodGet, e.URL+"/graphql?query="+url.QueryEscape(`mutation { customerCreate(input: {customer: {name: "X"}}) { customer { id } } }`), nil, auth)
		assertRefused(t, res.Status, res.Body, res.Header, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
		res = send(t, http.MethodGet, e.URL+"/graphql", nil, nil)
		assertRefused(t, res.Status, res.Body, res.Header, http.StatusUnauthorized, "UNAUTHENTICATED")
		for _, m := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch} {
			res := send(t, m, e.URL+"/graphql", strings.NewReader(`{"query":"{ account { id } }"}`), auth)
			if res.Status != http.StatusMethodNotAllowed {
				t.Errorf("%s /graphql: status %d, want 405", m, res.Status)
			}
		}
	})
}

// nested builds a selection of depth levels (the innermost scalar counts
// as one) following invoices → edges → node → customer → invoices …
func nested(levels int) string {
	pattern := []string{"invoices(first: 1)", "edges", "node", "customer"}
	var b strings.Builder
	for i := range levels - 1 {
		b.WriteString(pattern[i%len(pattern)] + " { ")
	}
	b.WriteString("id")
	b.WriteString(strings.Repeat(" }", levels-1))
	return b.String()
}

// TestDepthLimit checks operations nested deeper than the limit are refused
// before running, however the nesting is spelled.
func TestDepthLimit(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		seedInvoice(t, e)
		ok := e.Do(apitest.Request{Query: "{ " + nested(server.MaxDepth) + " }"})
		if ok.Status != http.StatusOK || len(ok.Errors) > 0 {
			t.Fatalf("depth %d refused: %d %s", server.MaxDepth, ok.Status, ok.RawBody)
		}
		deep := "{ " + nested(server.MaxDepth+1) + " }"
		// The same depth through named and inline fragments.
		frag := `query { invoices(first: 1) { edges { ...E } } }
		  fragment E on InvoiceEdge { node { customer { ...C } } }
		  fragment C on Customer { invoices(first: 1) { edges { node { ... on Invoice { customer { invoices(first: 1) { edges { node { customer { id } } } } } } } } } }`
		intro := `{ __schema { types { fields { type { fields { type { fields { type { fields { type { fields { type { name } } } } } } } } } } } } }`
		for name, query := range map[string]string{"fields": deep, "fragments": frag, "introspection": intro} {
			t.Run(name, func(t *testing.T) {
				res := e.Do(apitest.Request{Query: query})
				refused := hasCode(res, "DEPTH_LIMIT_EXCEEDED") ||
					// gqlgen's own rule bounds introspection nesting first.
					name == "introspection" && hasCode(res, "GRAPHQL_VALIDATION_FAILED")
				if !refused || res.Data != nil {
					t.Errorf("status %d: %s, want DEPTH_LIMIT_EXCEEDED and no data", res.Status, res.RawBody)
				}
				if res.Status >= 500 {
					t.Errorf("status %d", res.Status)
				}
				assertNoLeak(t, name, res.RawBody)
			})
		}
	})
}

// seedInvoice gives the account a customer with a draft invoice, so nested
// connections have something to resolve.
func seedInvoice(t *testing.T, e *apitest.Env) (customer, invoice string) {
	t.Helper()
	p := e.Mutate("customerCreate", `mutation { customerCreate(input: {customer: {name: "Nested", currency: "EUR"}}) { customer { id } userErrors { code } } }`, nil)
	customer = apitest.Str(t, p, "customer", "id")
	p = e.Mutate("invoiceCreate", `mutation($c: ID!) { invoiceCreate(input: {customer: $c, lines: [{description: "x", unitAmount: "1.00"}]}) { invoice { id } userErrors { code } } }`, map[string]any{"c": customer})
	return customer, apitest.Str(t, p, "invoice", "id")
}

// TestComplexityLimit checks wide operations are refused before running.
func TestComplexityLimit(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		seedInvoice(t, e)
		ok := e.Do(apitest.Request{Query: `{ invoices(first: 100) { edges { node { id total { amount } lines { id amount { amount } } } } } }`})
		if ok.Status != http.StatusOK || len(ok.Errors) > 0 {
			t.Fatalf("an ordinary page refused: %d %s", ok.Status, ok.RawBody)
		}
		var aliases strings.Builder
		for i := range 60 {
			fmt.Fprintf(&aliases, "a%d: customers(first: 100) { edges { node { id email name } } } ", i)
		}
		// Negative or huge pages must not lower the bill of the rest.
		offset := `h: invoices(first: 100) { edges { node { customer { invoices(first: 100) { edges { node { lines { id } } } } } } } }
		  n: customers(first: -2147483648) { edges { node { invoices(first: 100) { edges { node { lines { id } } } } } } }`
		for name, query := range map[string]string{
			"nested connections": `{ invoices(first: 100) { edges { node { customer { invoices(first: 100) { edges { node { lines { id description } } } } } } } } }`,
			"aliases":            "{ " + aliases.String() + "}",
			"negative offset":    "{ " + offset + " }",
			"nodes fan-out":      `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Customer { invoices(first: 100) { edges { node { lines { id } } } } } } }`,
		} {
			t.Run(name, func(t *testing.T) {
				ids := make([]string, 100)
				for i := range ids {
					ids[i] = "cus_unknown"
				}
				res := e.Do(apitest.Request{Query: query, Variables: map[string]any{"ids": ids}})
				if !hasCode(res, "COMPLEXITY_LIMIT_EXCEEDED") || res.Data != nil {
					t.Errorf("status %d: %s, want COMPLEXITY_LIMIT_EXCEEDED and no data", res.Status, truncate(res.RawBody))
				}
				if res.Status >= 500 {
					t.Errorf("status %d", res.Status)
				}
			})
		}
	})
}

// TestPageBounds checks out-of-range pages are refused as the caller's
// error on every connection, top-level and nested.
func TestPageBounds(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		customer, _ := seedInvoice(t, e)
		type page struct{ name, query string }
		var pages []page
		for _, first := range []int{0, 101, -1, 2147483647, -2147483648} {
			f := fmt.Sprint(first)
			pages = append(pages,
				page{"customers/" + f, `{ customers(first: ` + f + `) { totalCount } }`},
				page{"invoices/" + f, `{ invoices(first: ` + f + `) { totalCount } }`},
				page{"products/" + f, `{ products(first: ` + f + `) { totalCount } }`},
				page{"taxRates/" + f, `{ taxRates(first: ` + f + `) { totalCount } }`},
				page{"customer.invoices/" + f, `query($c: ID!) { customer(id: $c) { invoices(first: ` + f + `) { totalCount } } }`},
				page{"customer.balanceTransactions/" + f, `query($c: ID!) { customer(id: $c) { balanceTransactions(first: ` + f + `) { totalCount } } }`},
			)
		}
		many := make([]string, 101)
		for i := range many {
			many[i] = customer
		}
		for _, p := range pages {
			t.Run(p.name, func(t *testing.T) {
				res := e.Do(apitest.Request{Query: p.query, Variables: map[string]any{"c": customer}})
				if res.Status >= 500 || len(res.Errors) == 0 {
					t.Fatalf("status %d: %s, want an error", res.Status, res.RawBody)
				}
				if codes := topCodes(res); slices.Contains(codes, "INTERNAL") || !(slices.Contains(codes, "BAD_USER_INPUT") || slices.Contains(codes, "COMPLEXITY_LIMIT_EXCEEDED")) {
					t.Errorf("codes %v, want BAD_USER_INPUT: %s", codes, res.RawBody)
				}
				assertNoLeak(t, p.name, res.RawBody)
			})
		}
		t.Run("nodes/101 ids", func(t *testing.T) {
			res := e.Do(apitest.Request{Query: `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, Variables: map[string]any{"ids": many}})
			if res.Status >= 500 || !hasCode(res, "BAD_USER_INPUT") {
				t.Errorf("status %d: %s, want BAD_USER_INPUT", res.Status, res.RawBody)
			}
		})
		t.Run("boundaries accepted", func(t *testing.T) {
			for _, f := range []int{1, 100} {
				res := e.Do(apitest.Request{Query: `query($c: ID!, $f: Int!) { customers(first: $f) { totalCount } customer(id: $c) { invoices(first: $f) { totalCount } } }`,
					Variables: map[string]any{"c": customer, "f": f}})
				if res.Status != http.StatusOK || len(res.Errors) > 0 {
					t.Errorf("first %d: %d %s", f, res.Status, res.RawBody)
				}
			}
		})
	})
}

// TestMalformedScalars checks a malformed value of a custom scalar (cursor,
// time, metadata) is the caller's error, named as such, not an internal
// one.
func TestMalformedScalars(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		cases := []struct {
			name, query string
			vars        map[string]any
			argument    string
		}{
			{"cursor literal", `{ customers(first: 1, after: "garbage") { totalCount } }`, nil, "after"},
			{"cursor variable", `query($a: Cursor) { invoices(first: 1, after: $a) { totalCount } }`, map[string]any{"a": "bm90IGEgY3Vyc29y"}, "after"},
			{"time", `{ customers(first: 1, filter: {createdAfter: "yesterday"}) { totalCount } }`, nil, "filter.createdAfter"},
			{"time variable", `query($f: InvoiceFilter) { invoices(first: 1, filter: $f) { totalCount } }`, map[string]any{"f": map[string]any{"dueBefore": "31/12/2026"}}, "filter.dueBefore"},
			{"metadata not an object", `mutation { productCreate(input: {name: "x", metadata: 5}) { product { id } userErrors { code } } }`, nil, "input.metadata"},
			{"metadata value not a string", `mutation { customerCreate(input: {customer: {name: "x", metadata: {vip: true}}}) { customer { id } userErrors { code } } }`, nil, "input.customer.metadata"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				res := e.Do(apitest.Request{Query: c.query, Variables: c.vars})
				if res.Status >= 500 || len(res.Errors) == 0 {
					t.Fatalf("status %d: %s, want an error", res.Status, res.RawBody)
				}
				codes := topCodes(res)
				if !slices.Contains(codes, "BAD_USER_INPUT") {
					t.Errorf("codes %v, want BAD_USER_INPUT: %s", codes, res.RawBody)
				}
				if ext, _ := res.Errors[0]["extensions"].(map[string]any); ext["argument"] != c.argument {
					t.Errorf("argument %v, want %s", ext["argument"], c.argument)
				}
				if res.Errors[0]["message"] == "internal error" {
					t.Errorf("message hides the caller's mistake: %s", res.RawBody)
				}
				assertNoLeak(t, c.name, res.RawBody)
			})
		}
		if n := customerCount(t, e, ""); n != 0 {
			t.Errorf("%v customers created", n)
		}
		if res := e.Query(`{ products(first: 10) { totalCount } }`, nil); apitest.Get(t, res, "products", "totalCount") != float64(0) {
			t.Errorf("a product was created")
		}
	})
}
