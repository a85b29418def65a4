package servertest_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"entgo.io/contrib/entgql"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/viewer"
)

// injections are strings an attacker sends where a query takes text: quotes
// of every kind, comment markers, NUL, backslashes, JSON-path syntax, and
// the two strings that once crossed tenants through the metadata filter.
var injections = []string{
	`'`, `"`, "`", `''`, `""`, `\`, `\'`, `\"`, `\\`, `--`, `/*`, `*/`, `#`, `;`, `%`, `_`, `*`,
	"\x00", "a\x00b", "b\x00", "%00", "\u2028", "\ufeff",
	`$`, `$.b`, `$."b"`, `$[0]`, `b.c`, `b"`, `"b"`, `b'`, `{}`, `[]`, `{"b":1}`, `->`, `->>`, `?`, `?|`, `@>`, `$1`,
	`' OR '1'='1`, `" OR "1"="1`, `') OR 1=1 --`, `1) OR (1=1`, `x' OR 1=1; --`, `1; DROP TABLE customers; --`,
	`' UNION SELECT id FROM server_secrets --`, `' AND (SELECT COUNT(*) FROM server_secrets) > 0 --`,
	"a\"') IS NULL OR 1=1)) OR ((1=1 OR JSON_EXTRACT(`customers`.`metadata`, '$.\"b",
	`a' IS NULL OR 1=1)) OR ((1=1 OR "customers"."metadata"->'b`,
	strings.Repeat("'", 300),
}

// cursorOf is an opaque cursor wrapping s as an id, the way a forged
// cursor would carry it.
func cursorOf(s string) string {
	var b bytes.Buffer
	entgql.Cursor[string]{ID: s}.MarshalGQL(&b)
	return strings.Trim(b.String(), `"`)
}

// TestInjectionThroughFilters sends every injection string through every
// filter, search, id and cursor argument of both GraphQL APIs, on both
// databases, as account A's test key (and as A's customer in the portal):
// each answer holds only A's test-mode objects or a typed error, never
// INTERNAL.
func TestInjectionThroughFilters(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		p := newPayT(t, e)
		slug := enablePortal(t, e, e.Key)
		mine := map[string]bool{}
		customer := func(key, name, email string, metadata map[string]any) string {
			res := e.Do(apitest.Request{Key: key, Query: `mutation($c: CustomerInput!) { customerCreate(input: {customer: $c}) { customer { id } userErrors { code } } }`,
				Variables: map[string]any{"c": map[string]any{"name": name, "email": email, "currency": "EUR", "metadata": metadata}}})
			return apitest.Str(t, res.Data, "customerCreate", "customer", "id")
		}
		a1 := customer(e.Key, "Alpha One", "ada@example.com", map[string]any{"b": "x", "plan": "gold"})
		a2 := customer(e.Key, `Alpha "Two"`, "two@example.com", map[string]any{`k"q`: "v", "a.b": "dotted"})
		inv := p.open(a1, "EUR", "100.00", nil)
		pm := p.card(a1, cardOK)
		py := apitest.Str(t, p.payOK(inv, "40.00", pm), "payment", "id")
		for _, id := range []string{a1, a2, inv, pm, py} {
			mine[id] = true
		}
		// The payment's receipt email is A's too.
		for _, id := range collectIDs(e.Query(`{ emails(first: 100) { edges { node { id } } } }`, nil)) {
			mine[id] = true
		}

		// Account B in test mode, and A in live mode: the same metadata,
		// the same names, their own invoices.
		_, keyB := e.NewAccount("Bravo", viewer.Test)
		pb := &payT{t: t, e: e, key: keyB}
		b1 := customer(keyB, "Bravo", "ada@example.com", map[string]any{"b": "secret"})
		pb.open(b1, "EUR", "900.00", nil)
		liveKey := e.NewKey(e.Account, viewer.Live)
		customer(liveKey, "Alpha Live", "ada@example.com", map[string]any{"b": "x"})

		// The filters still find what they should: the key is compared as
		// a plain string, quotes and dots included.
		for _, tc := range []struct {
			key, value, want string
		}{{"b", "", a1}, {"b", "x", a1}, {`k"q`, "", a2}, {`k"q`, "v", a2}, {"a.b", "dotted", a2}} {
			data := e.Query(`query($k: String, $v: String) { customers(first: 100, filter: {metadataKey: $k, metadataValue: $v}) { edges { node { id } } } }`,
				map[string]any{"k": tc.key, "v": nilIfEmpty(tc.value)})
			got := collectIDs(data)
			if len(got) != 1 || got[0] != tc.want {
				t.Errorf("metadata %q=%q: got %v, want [%s]", tc.key, tc.value, got, tc.want)
			}
		}

		merchant := []string{
			`query($s: String) { customers(first: 100, filter: {query: $s}) { edges { node { id } } } }`,
			`query($s: String) { customers(first: 100, filter: {email: $s}) { edges { node { id } } } }`,
			`query($s: String) { customers(first: 100, filter: {metadataKey: $s}) { edges { node { id } } } }`,
			`query($s: String) { customers(first: 100, filter: {metadataKey: "b", metadataValue: $s}) { edges { node { id } } } }`,
			`query($s: String) { customers(first: 100, filter: {metadataKey: $s, metadataValue: $s}) { edges { node { id } } } }`,
			`query($s: String) { invoices(first: 100, filter: {number: $s}) { edges { node { id } } } }`,
			`query($s: String) { invoices(first: 100, filter: {currency: $s}) { edges { node { id } } } }`,
			`query($s: ID) { invoices(first: 100, filter: {customer: $s}) { edges { node { id } } } }`,
			`query($s: ID) { payments(first: 100, invoice: $s) { edges { node { id } } } }`,
			`query($s: ID!) { customer(id: $s) { id } }`,
			`query($s: ID!) { invoice(id: $s) { id } }`,
			`query($s: ID!) { node(id: $s) { id } }`,
			`query($s: ID!) { nodes(ids: [$s]) { id } }`,
			`query($s: ID!) { invoicePreviewEmail(id: $s) { subject } }`,
			`query($s: Cursor) { customers(first: 100, after: $s) { edges { node { id } } } }`,
			`query($s: Cursor) { invoices(first: 100, after: $s) { edges { node { id } } } }`,
			`query($s: Cursor) { invoices(first: 100, after: $s, orderBy: {field: NUMBER, direction: ASC}) { edges { node { id } } } }`,
			`query($s: Cursor) { products(first: 100, after: $s) { edges { node { id } } } }`,
			`query($s: Cursor) { taxRates(first: 100, after: $s) { edges { node { id } } } }`,
			`query($s: Cursor) { emails(first: 100, after: $s) { edges { node { id } } } }`,
			`query($s: Cursor) { payments(first: 100, after: $s) { edges { node { id } } } }`,
		}
		papi := newPapi(t, e).login(slug, "ada@example.com")
		portal := []string{
			`query($s: Cursor) { invoices(first: 100, after: $s) { edges { node { id } } } }`,
			`query($s: Cursor) { payments(first: 100, after: $s) { edges { node { id } } } }`,
			`query($s: ID!) { invoice(id: $s) { id } }`,
		}
		for _, s := range injections {
			values := []string{s}
			for _, q := range merchant {
				if strings.Contains(q, "Cursor") {
					values = []string{s, cursorOf(s)}
				}
				for _, v := range values {
					res := e.Do(apitest.Request{Query: q, Variables: map[string]any{"s": v}})
					checkOwnOnly(t, "merchant "+q, v, res, mine)
				}
			}
			for _, q := range portal {
				for _, v := range []string{s, cursorOf(s)} {
					checkOwnOnly(t, "portal "+q, v, papi.do(q, map[string]any{"s": v}, nil), mine)
				}
			}
		}
	})
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// checkOwnOnly fails when res is an internal error, a server error, or
// holds an id that is not in mine.
func checkOwnOnly(t *testing.T, what, value string, res *apitest.Response, mine map[string]bool) {
	t.Helper()
	if res.Status >= 500 || hasCode(res, "INTERNAL") {
		t.Errorf("%s with %q: status %d, %s", what, value, res.Status, truncate(res.RawBody))
		return
	}
	if res.Status != http.StatusOK {
		return // refused before execution (malformed document): nothing read
	}
	for _, err := range res.Errors {
		ext, _ := err["extensions"].(map[string]any)
		if code, _ := ext["code"].(string); code == "" {
			t.Errorf("%s with %q: error without a code: %v", what, value, err)
		}
	}
	for _, id := range collectIDs(res.Data) {
		if !mine[id] {
			t.Errorf("%s with %q: returned foreign object %s", what, value, id)
		}
	}
}

// collectIDs lists every "id" value in a decoded response.
func collectIDs(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if s, ok := e.(string); ok && k == "id" {
				out = append(out, s)
				continue
			}
			out = append(out, collectIDs(e)...)
		}
	case []any:
		for _, e := range v {
			out = append(out, collectIDs(e)...)
		}
	}
	return out
}
