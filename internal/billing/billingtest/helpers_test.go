// Package billingtest_test drives invoices, customers and the catalog
// through the public GraphQL API over HTTP (internal/apitest), on SQLite
// and PostgreSQL, and checks the outcomes against the seed walkthroughs and
// the Stripe Invoicing reference.
package billingtest_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/store/storetest"
)

// t0 is when apitest's fake clock starts.
var t0 = time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)

// each runs fn once per dialect, in parallel subtests, each on a fresh
// server.
func each(t *testing.T, fn func(t *testing.T, c *client)) {
	t.Helper()
	forDialects(t, func(t *testing.T, d string) { fn(t, &client{Env: apitest.Start(t, d), t: t}) })
}

// forDialects runs fn once per dialect, in parallel subtests named sqlite
// and postgres.
func forDialects(t *testing.T, fn func(t *testing.T, d string)) {
	t.Helper()
	for _, d := range storetest.Dialects() {
		name := d
		if d == dialect.SQLite {
			name = "sqlite"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}

// client wraps an apitest.Env with the calls these tests make. Its Env is
// bound to one test: use with(t) in subtests.
type client struct {
	*apitest.Env
	t testing.TB
}

// with returns the client bound to t, so failures are reported on t.
func (c *client) with(t testing.TB) *client {
	e := *c.Env
	e.T = t
	return &client{Env: &e, t: t}
}

const userErrorFields = `userErrors { field code message }`

// invoiceFields selects everything about an invoice the tests look at.
const invoiceFields = `
fragment Inv on Invoice {
  id number status availableActions currency collectionMethod daysUntilDue dueDate pastDue
  memo footer customFields { name value } metadata
  discounts { percent amountOffMinor name }
  defaultTaxRates { id percentage inclusive }
  customer { id name email }
  lines {
    id position description quantity unitAmount
    price { id }
    amount { amount currency } discountAmount { amount } invoiceDiscountAmount { amount } netAmount { amount }
    discounts { percent amountOffMinor name }
    taxRates { id percentage } taxRatesOverridden
    taxAmounts { taxRateId displayName percentage inclusive taxableAmount { amount } amount { amount } }
    metadata
  }
  subtotal { amount currency } totalDiscount { amount } totalTax { amount } totalExcludingTax { amount }
  taxes { taxRateId displayName percentage inclusive jurisdiction taxableAmount { amount currency } amount { amount } }
  total { amount currency minorUnits }
  startingBalance { amount } appliedBalance { amount } endingBalance { amount }
  amountDue { amount } amountPaid { amount } amountRemaining { amount }
  issuer { name legalName email phone address { line1 line2 city postalCode country } siren siret vatNumber taxIds { type value } }
  customerDetails {
    name email phone address { line1 line2 city state postalCode country }
    shipping { name phone address { line1 city postalCode country } }
    taxIds { type value } taxExempt locales
  }
  finalizedAt paidAt voidedAt markedUncollectibleAt
  outOfBandPayment { method reference paidAt note }
  fromInvoice { id number status }
  latestRevision { id number status }
  duplicatedFrom { id }
  history { action fromStatus toStatus actor note createdAt }
  createdAt updatedAt
}`

// invoiceMutation is a mutation returning an InvoicePayload.
func invoiceMutation(field, inputType string) string {
	return fmt.Sprintf(`mutation($input: %s!) { %s(input: $input) { invoice { ...Inv } %s } }`,
		inputType, field, userErrorFields) + invoiceFields
}

// The invoice mutations and their input types.
var invoiceInputTypes = map[string]string{
	"invoiceCreate":            "InvoiceCreateInput",
	"invoiceUpdate":            "InvoiceUpdateInput",
	"invoiceLineAdd":           "InvoiceLineAddInput",
	"invoiceLineUpdate":        "InvoiceLineUpdateInput",
	"invoiceLineRemove":        "InvoiceLineRemoveInput",
	"invoiceFinalize":          "InvoiceFinalizeInput",
	"invoiceVoid":              "InvoiceIDInput",
	"invoiceMarkUncollectible": "InvoiceIDInput",
	"invoiceMarkPaid":          "InvoiceMarkPaidInput",
	"invoiceRevise":            "InvoiceIDInput",
	"invoiceDuplicate":         "InvoiceIDInput",
	"invoicePay":               "InvoicePayInput",
}

// invoiceOp runs an invoice mutation and returns its payload, userErrors
// and all.
func (c *client) invoiceOp(field string, input map[string]any) map[string]any {
	c.t.Helper()
	typ, ok := invoiceInputTypes[field]
	if !ok {
		c.t.Fatalf("unknown invoice mutation %s", field)
	}
	return c.MutateErr(field, invoiceMutation(field, typ), map[string]any{"input": input})
}

// invoiceOK runs an invoice mutation that must succeed and returns the
// invoice.
func (c *client) invoiceOK(field string, input map[string]any) map[string]any {
	c.t.Helper()
	p := c.invoiceOp(field, input)
	if ue := p["userErrors"].([]any); len(ue) > 0 {
		c.t.Fatalf("%s: unexpected userErrors: %v", field, ue)
	}
	inv, ok := p["invoice"].(map[string]any)
	if !ok {
		c.t.Fatalf("%s: no invoice in %v", field, p)
	}
	return inv
}

// byID runs an invoice mutation that takes only the invoice id.
func (c *client) byID(field, id string) map[string]any {
	c.t.Helper()
	return c.invoiceOK(field, map[string]any{"id": id})
}

func (c *client) finalize(id string) map[string]any {
	c.t.Helper()
	return c.byID("invoiceFinalize", id)
}

func (c *client) markPaid(id string) map[string]any {
	c.t.Helper()
	return c.invoiceOK("invoiceMarkPaid", map[string]any{"id": id, "method": "bank_transfer", "reference": "VIR-" + id[len(id)-6:]})
}

// invoice reads an invoice, nil when not found.
func (c *client) invoice(id string) map[string]any {
	c.t.Helper()
	data := c.Query(`query($id: ID!) { invoice(id: $id) { ...Inv } }`+invoiceFields, map[string]any{"id": id})
	inv, _ := data["invoice"].(map[string]any)
	return inv
}

// createInvoice creates a draft; input defaults: customer, USD, one line.
func (c *client) createInvoice(customer string, input map[string]any) map[string]any {
	c.t.Helper()
	in := map[string]any{
		"customer": customer,
		"currency": "USD",
		"lines":    []any{line("Accès Premium 1 an", "1", "5000")},
	}
	for k, v := range input {
		if v == nil {
			delete(in, k)
			continue
		}
		in[k] = v
	}
	return c.invoiceOK("invoiceCreate", in)
}

// line is an invoice line input.
func line(description, quantity, unitAmount string, extra ...any) map[string]any {
	l := map[string]any{"description": description, "quantity": quantity, "unitAmount": unitAmount}
	for i := 0; i+1 < len(extra); i += 2 {
		l[extra[i].(string)] = extra[i+1]
	}
	return l
}

const customerFields = `
fragment Cus on Customer {
  id email name phone description
  address { line1 line2 city state postalCode country }
  shipping { name phone address { line1 line2 city state postalCode country } }
  preferredLocales currency currencyLocked taxExempt taxIds { type value } invoicePrefix
  balance { amount currency } metadata createdAt deletedAt
}`

// customerCreate runs customerCreate and returns its payload.
func (c *client) customerCreate(input map[string]any) map[string]any {
	c.t.Helper()
	return c.MutateErr("customerCreate",
		`mutation($input: CustomerCreateInput!) { customerCreate(input: $input) { customer { ...Cus } warnings { field code message } `+userErrorFields+` } }`+customerFields,
		map[string]any{"input": map[string]any{"customer": input}})
}

// newCustomer creates a customer and returns its id.
func (c *client) newCustomer(name, email string, extra ...any) string {
	c.t.Helper()
	in := map[string]any{"name": name, "email": email}
	for i := 0; i+1 < len(extra); i += 2 {
		in[extra[i].(string)] = extra[i+1]
	}
	p := c.customerCreate(in)
	if ue := p["userErrors"].([]any); len(ue) > 0 {
		c.t.Fatalf("customerCreate: %v", ue)
	}
	return apitest.Str(c.t, p, "customer", "id")
}

func (c *client) customerUpdate(id string, input map[string]any) map[string]any {
	c.t.Helper()
	return c.MutateErr("customerUpdate",
		`mutation($input: CustomerUpdateInput!) { customerUpdate(input: $input) { customer { ...Cus } `+userErrorFields+` } }`+customerFields,
		map[string]any{"input": map[string]any{"id": id, "customer": input}})
}

// customer reads a customer, nil when not found.
func (c *client) customer(id string) map[string]any {
	c.t.Helper()
	data := c.Query(`query($id: ID!) { customer(id: $id) { ...Cus } }`+customerFields, map[string]any{"id": id})
	cus, _ := data["customer"].(map[string]any)
	return cus
}

func (c *client) adjustBalance(customer, amount, currency, description string) map[string]any {
	c.t.Helper()
	return c.MutateErr("customerBalanceAdjust", `mutation($input: CustomerBalanceAdjustInput!) {
  customerBalanceAdjust(input: $input) {
    balanceTransaction { id type amount { amount currency } endingBalance { amount } description invoice { id } }
    customer { id balance { amount currency } currency currencyLocked }
    `+userErrorFields+`
  }
}`, map[string]any{"input": map[string]any{"customer": customer, "amount": amount, "currency": currency, "description": description}})
}

// taxRate creates a tax rate and returns its id.
func (c *client) taxRate(name, percentage string, inclusive bool) string {
	c.t.Helper()
	p := c.Mutate("taxRateCreate", `mutation($input: TaxRateCreateInput!) { taxRateCreate(input: $input) { taxRate { id } `+userErrorFields+` } }`,
		map[string]any{"input": map[string]any{"displayName": name, "percentage": percentage, "inclusive": inclusive, "jurisdiction": "FR"}})
	return apitest.Str(c.t, p, "taxRate", "id")
}

func (c *client) accountUpdate(input map[string]any) map[string]any {
	c.t.Helper()
	return c.Mutate("accountUpdate", `mutation($input: AccountUpdateInput!) { accountUpdate(input: $input) {
  account { id name legalName numberingScheme invoicePrefix } `+userErrorFields+` } }`, map[string]any{"input": input})
}

// keyID returns the id of the API key the client uses, the actor its
// mutations are recorded under.
func (c *client) keyID() string {
	c.t.Helper()
	keys := apitest.Get(c.t, c.Query(`{ apiKeys { id redacted } }`, nil), "apiKeys").([]any)
	suffix := c.Key[len(c.Key)-4:]
	for _, k := range keys {
		if strings.HasSuffix(k.(map[string]any)["redacted"].(string), suffix) {
			return k.(map[string]any)["id"].(string)
		}
	}
	c.t.Fatalf("no key ending in %s among %v", suffix, keys)
	return ""
}

// codes returns "field:code" for each user error of a payload, the field
// path joined with dots.
func codes(payload map[string]any) []string {
	var out []string
	for _, e := range payload["userErrors"].([]any) {
		m := e.(map[string]any)
		var path []string
		if f, ok := m["field"].([]any); ok {
			for _, p := range f {
				path = append(path, p.(string))
			}
		}
		out = append(out, strings.Join(path, ".")+":"+m["code"].(string))
	}
	return out
}

// wantCodes fails unless the payload's user errors are exactly want
// ("input.field:CODE").
func wantCodes(t testing.TB, payload map[string]any, want ...string) {
	t.Helper()
	if got := codes(payload); !slices.Equal(got, want) {
		t.Errorf("userErrors = %q, want %q (%v)", got, want, payload["userErrors"])
	}
}

// money reads the amount of a Money field.
func money(t testing.TB, v any, path ...any) string {
	t.Helper()
	return apitest.Str(t, v, append(path, "amount")...)
}

// eq fails when got != want, naming what.
func eq[T comparable](t testing.TB, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// sameJSON fails when two decoded values differ, showing both.
func sameJSON(t testing.TB, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("%s changed:\n got: %s\nwant: %s", what, g, w)
	}
}

// statuses lists the actions of availableActions.
func strs(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}

// ts formats a time as the API does.
func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// dbState reads every row of every table but the ones that change on any
// request (API keys record their last use) and the migration log, so a
// test can check a refused mutation wrote nothing at all.
func dbState(t testing.TB, e *apitest.Env) map[string][]string {
	t.Helper()
	ctx := context.Background()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if e.Store.Dialect == dialect.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	tables := queryStrings(t, e.Store.DB, q)
	out := map[string][]string{}
	for _, tbl := range tables {
		switch tbl {
		case "api_keys", "schema_migrations", "idempotency_keys":
			continue
		}
		rows, err := e.Store.DB.QueryContext(ctx, "SELECT * FROM "+tbl)
		if err != nil {
			t.Fatalf("dump %s: %v", tbl, err)
		}
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("dump %s: %v", tbl, err)
			}
			var b strings.Builder
			for i, v := range vals {
				if b1, ok := v.([]byte); ok {
					v = string(b1)
				}
				fmt.Fprintf(&b, "%s=%v;", cols[i], v)
			}
			lines = append(lines, b.String())
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("dump %s: %v", tbl, err)
		}
		rows.Close()
		sort.Strings(lines)
		out[tbl] = lines
	}
	return out
}

func queryStrings(t testing.TB, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// sameDB fails when the database differs from before, naming the tables
// that changed.
func sameDB(t testing.TB, e *apitest.Env, before map[string][]string) {
	t.Helper()
	after := dbState(t, e)
	for tbl, rows := range before {
		if !slices.Equal(rows, after[tbl]) {
			t.Errorf("table %s changed: %d rows before, %d after\nbefore: %q\nafter:  %q", tbl, len(rows), len(after[tbl]), rows, after[tbl])
		}
	}
}

// post sends one GraphQL request without touching testing.T, so it can run
// on any goroutine.
func post(url, key, query string, vars map[string]any) (map[string]any, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []any          `json:"errors"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("status %d: %w: %s", res.StatusCode, err, raw)
	}
	if res.StatusCode != http.StatusOK || len(out.Errors) > 0 {
		return nil, fmt.Errorf("status %d: %s", res.StatusCode, raw)
	}
	return out.Data, nil
}
