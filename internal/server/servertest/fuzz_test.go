package servertest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/remitbilling/remit/ent/migrate"
	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/store/storetest"
)

// fuzzOps are documents of both APIs with one string variable $s, placed
// in every kind of text input: names, descriptions, memo, footer, line
// descriptions, account fields, bank instructions, metadata keys and
// values, ids, filters, cursors, login fields. "portal" ones go to
// /portal/graphql as a signed-in customer.
var fuzzOps = []struct {
	portal bool
	doc    string
}{
	{false, `mutation($s: String) { customerCreate(input: {customer: {name: $s, email: "fz@example.com"}}) { customer { id } userErrors { field code } } }`},
	{false, `mutation($s: String, $c: ID!) { customerUpdate(input: {id: $c, customer: {description: $s, phone: $s}}) { customer { id } userErrors { field code } } }`},
	{false, `mutation($s: ID!) { customerUpdate(input: {id: $s, customer: {name: "x"}}) { customer { id } userErrors { field code } } }`},
	{false, `mutation($s: String!, $c: ID!) { customerUpdate(input: {id: $c, customer: {metadata: {k: $s}}}) { customer { id } userErrors { field code } } }`},
	{false, `mutation($m: Metadata, $c: ID!) { customerUpdate(input: {id: $c, customer: {metadata: $m}}) { customer { id } userErrors { field code } } }`},
	{false, `mutation($s: String, $c: ID!) { customerUpdate(input: {id: $c, customer: {address: {line1: $s, city: $s, country: "FR"}}}) { customer { id } userErrors { field code } } }`},
	{false, `mutation($s: String, $c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", memo: $s, footer: $s, lines: [{description: $s, unitAmount: "1"}]}) { invoice { id } userErrors { field code } } }`},
	{false, `mutation($s: String, $i: ID!) { invoiceUpdate(input: {id: $i, memo: $s}) { invoice { id } userErrors { field code } } }`},
	{false, `mutation($s: ID!) { invoiceVoid(input: {id: $s}) { invoice { id } userErrors { field code } } }`},
	{false, `mutation($s: ID!) { invoiceFinalize(input: {id: $s}) { invoice { id } userErrors { field code } } }`},
	{false, `mutation($s: String) { accountUpdate(input: {legalName: $s}) { account { id } userErrors { field code } } }`},
	{false, `mutation($s: String) { accountPaymentSettingsUpdate(input: {bankTransferInstructions: $s}) { userErrors { field code } } }`},
	{false, `mutation($s: String!) { productCreate(input: {name: $s, description: $s}) { product { id } userErrors { field code } } }`},
	{false, `mutation($s: String!) { taxRateCreate(input: {displayName: $s, percentage: "20", inclusive: false}) { taxRate { id } userErrors { field code } } }`},
	{false, `mutation($s: String!, $c: ID!) { customerBalanceAdjust(input: {customer: $c, amount: "1.00", currency: "EUR", description: $s}) { userErrors { field code } } }`},
	{false, `query($s: String) { customers(first: 10, filter: {query: $s, email: $s}) { edges { node { id } } } }`},
	{false, `query($s: String) { customers(first: 10, filter: {metadataKey: $s, metadataValue: $s}) { edges { node { id } } } }`},
	{false, `query($s: String) { invoices(first: 10, filter: {number: $s, currency: $s}) { edges { node { id } } } }`},
	{false, `query($s: ID!) { node(id: $s) { id } invoice(id: $s) { id } customer(id: $s) { id } }`},
	{false, `query($s: Cursor) { invoices(first: 10, after: $s) { edges { node { id } } } }`},
	{true, `mutation($s: String) { billingDetailsUpdate(input: {name: $s, phone: $s}) { userErrors { field code } } }`},
	{true, `mutation($s: String) { billingDetailsUpdate(input: {address: {line1: $s, country: "FR"}}) { userErrors { field code } } }`},
	{true, `mutation($s: String!) { portalLoginStart(input: {portal: $s, email: $s}) { ok userErrors { field code } } }`},
	{true, `query($s: ID!) { invoice(id: $s) { id } }`},
	{true, `query($s: Cursor) { invoices(first: 10, after: $s) { edges { node { id } } } }`},
}

// fuzzTarget is one server with the objects the documents refer to.
type fuzzTarget struct {
	e        *apitest.Env
	customer string
	invoice  string
	papi     *papiClient
}

// FuzzAPIs sends strings through every kind of text input of both GraphQL
// APIs on both databases. Whatever the string, no answer is INTERNAL or a
// server error, and a request answered with a user error or a top-level
// error wrote nothing. `go test` runs the seed corpus (the injection
// strings, NUL and invalid UTF-8 in every document); `go test -fuzz
// FuzzAPIs ./internal/server/servertest/` searches further.
func FuzzAPIs(f *testing.F) {
	for i := range fuzzOps {
		for _, s := range []string{"ok", "\x00", "a\x00b", "\xff\xfe", "caf\xc3", "\ud7ff"} {
			f.Add(uint8(i), s)
		}
	}
	for i, s := range injections {
		f.Add(uint8(i%len(fuzzOps)), s)
	}
	var targets []*fuzzTarget
	for _, d := range storetest.Dialects() {
		targets = append(targets, newFuzzTarget(f, d))
	}
	f.Fuzz(func(t *testing.T, op uint8, s string) {
		o := fuzzOps[int(op)%len(fuzzOps)]
		for _, tg := range targets {
			tg.run(t, o.portal, o.doc, s)
		}
	})
}

func newFuzzTarget(f *testing.F, dialect string) *fuzzTarget {
	e := apitest.Start(f, dialect)
	slug := enablePortal(f, e, e.Key)
	tg := &fuzzTarget{e: e}
	tg.customer = apitest.Str(f, e.Mutate("customerCreate", `mutation { customerCreate(input: {customer: {name: "Fuzz Customer", email: "fuzz@example.com", currency: "EUR"}}) { customer { id } userErrors { code } } }`, nil), "customer", "id")
	tg.invoice = apitest.Str(f, e.Mutate("invoiceCreate", `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", lines: [{description: "Work", unitAmount: "10.00"}]}) { invoice { id } userErrors { code } } }`, map[string]any{"c": tg.customer}), "invoice", "id")
	tg.papi = newPapi(f, e).login(slug, "fuzz@example.com")
	return tg
}

func (tg *fuzzTarget) run(t *testing.T, portal bool, doc, s string) {
	t.Helper()
	vars := map[string]any{"s": s, "c": tg.customer, "i": tg.invoice, "m": map[string]any{s: "v"}}
	body := rawJSONBody(doc, vars)
	before := fingerprint(t, tg.e)
	var res *apitest.Response
	if portal {
		tg.papi.t = t
		res = tg.papi.post(http.MethodPost, body, nil)
	} else {
		res = tg.e.WithT(t).Raw(body, "", nil)
	}
	if res.Status >= 500 || hasCode(res, "INTERNAL") {
		t.Fatalf("%s with %q: status %d: %s", doc, s, res.Status, truncate(res.RawBody))
	}
	assertNoLeak(t, doc, res.RawBody)
	refused := res.Status != http.StatusOK || len(res.Errors) > 0
	for _, v := range res.Data {
		if pl, ok := v.(map[string]any); ok {
			if ue, ok := pl["userErrors"].([]any); ok && len(ue) > 0 {
				refused = true
			}
		}
	}
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		if !refused && !strings.HasPrefix(doc, "query") {
			t.Errorf("%s with %q: accepted: %s", doc, s, truncate(res.RawBody))
		}
	}
	if refused {
		if after := fingerprint(t, tg.e); after != before {
			t.Errorf("%s with %q: refused (%s) but the data changed", doc, s, truncate(res.RawBody))
		}
	}
}

// rawJSONBody encodes a request like encoding/json, except that strings
// keep their bytes as they are: encoding/json would turn invalid UTF-8
// into U+FFFD, and the server must see (and refuse) what a client can
// really send.
func rawJSONBody(doc string, vars map[string]any) []byte {
	var b bytes.Buffer
	b.WriteString(`{"query":`)
	writeRawString(&b, doc)
	b.WriteString(`,"variables":{`)
	first := true
	for k, v := range vars {
		if !first {
			b.WriteByte(',')
		}
		first = false
		writeRawString(&b, k)
		b.WriteByte(':')
		switch v := v.(type) {
		case string:
			writeRawString(&b, v)
		case map[string]any:
			b.WriteByte('{')
			i := 0
			for mk, mv := range v {
				if i > 0 {
					b.WriteByte(',')
				}
				i++
				writeRawString(&b, mk)
				b.WriteByte(':')
				writeRawString(&b, mv.(string))
			}
			b.WriteByte('}')
		}
	}
	b.WriteString(`}}`)
	return b.Bytes()
}

func writeRawString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

// volatileTables change on every request whatever it carries: a key's
// last use, idempotency records, abuse counters, sessions.
var volatileTables = map[string]bool{
	"api_keys": true, "idempotency_keys": true, "rate_limits": true,
	"portal_sessions": true, "server_secrets": true, "portal_login_codes": true,
}

// fingerprint hashes every row of every table the API writes.
func fingerprint(t *testing.T, e *apitest.Env) string {
	t.Helper()
	h := sha256.New()
	ctx := context.Background()
	for _, tbl := range migrate.Tables {
		if volatileTables[tbl.Name] {
			continue
		}
		rows, err := e.Store.DB.QueryContext(ctx, `SELECT * FROM `+tbl.Name+` ORDER BY 1`)
		if err != nil {
			t.Fatalf("fingerprint %s: %v", tbl.Name, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		n := 0
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				fmt.Fprintf(h, "%v\x1f", v)
			}
			n++
		}
		rows.Close()
		fmt.Fprintf(h, "%s:%s\x1e", tbl.Name, strconv.Itoa(n))
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}
