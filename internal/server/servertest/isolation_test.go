package servertest_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/viewer"
)

// fixture is what account A holds in test mode, by object type.
type fixture struct {
	account     string
	apiKey      string
	customer    string
	customer2   string // never invoiced: deletable outright
	product     string
	price       string
	taxRate     string
	taxRate2    string
	balanceTxn  string
	draft       string // draft invoice
	draftLine   string
	open        string // finalized invoice
	openLine    string
	transitions []string
}

// ids lists every object of the fixture with its type, for node lookups.
func (f fixture) ids() map[string]string {
	out := map[string]string{
		"account": f.account, "apiKey": f.apiKey, "customer": f.customer, "customer2": f.customer2,
		"product": f.product, "price": f.price, "taxRate": f.taxRate, "taxRate2": f.taxRate2, "balanceTransaction": f.balanceTxn,
		"draftInvoice": f.draft, "draftLine": f.draftLine, "openInvoice": f.open, "openLine": f.openLine,
	}
	for i, id := range f.transitions {
		out["invoiceTransition"+string(rune('0'+i))] = id
	}
	return out
}

const userErrorFields = `userErrors { field code message }`

// seed creates, with the Env's key, one object of every type: customers,
// a product and its price, a tax rate, a balance adjustment, a draft and a
// finalized invoice.
func seed(t *testing.T, e *apitest.Env) fixture {
	t.Helper()
	var f fixture
	f.account = apitest.Str(t, e.Query(`{ account { id } }`, nil), "account", "id")
	f.apiKey = apitest.Str(t, e.Query(`{ apiKeys { id } }`, nil), "apiKeys", 0, "id")

	p := e.Mutate("taxRateCreate", `mutation { taxRateCreate(input: {displayName: "TVA", percentage: "20", inclusive: false, country: "FR"}) { taxRate { id } `+userErrorFields+` } }`, nil)
	f.taxRate = apitest.Str(t, p, "taxRate", "id")
	// A second rate for the second invoice: a tax rate can currently be
	// the default of only one invoice (see the report on
	// ent/schema/invoice.go default_tax_rates).
	p = e.Mutate("taxRateCreate", `mutation { taxRateCreate(input: {displayName: "TVA réduite", percentage: "5.5", inclusive: false, country: "FR"}) { taxRate { id } `+userErrorFields+` } }`, nil)
	f.taxRate2 = apitest.Str(t, p, "taxRate", "id")
	p = e.Mutate("productCreate", `mutation { productCreate(input: {name: "Consulting", unitLabel: "day"}) { product { id } `+userErrorFields+` } }`, nil)
	f.product = apitest.Str(t, p, "product", "id")
	p = e.Mutate("priceCreate", `mutation($p: ID!) { priceCreate(input: {product: $p, currency: "EUR", unitAmount: "800.00"}) { price { id } `+userErrorFields+` } }`, map[string]any{"p": f.product})
	f.price = apitest.Str(t, p, "price", "id")
	p = e.Mutate("customerCreate", `mutation { customerCreate(input: {customer: {email: "billing@client-a.example", name: "Client A", currency: "EUR"}}) { customer { id } `+userErrorFields+` } }`, nil)
	f.customer = apitest.Str(t, p, "customer", "id")
	p = e.Mutate("customerCreate", `mutation { customerCreate(input: {customer: {email: "other@client-b.example", name: "Client B"}}) { customer { id } `+userErrorFields+` } }`, nil)
	f.customer2 = apitest.Str(t, p, "customer", "id")
	p = e.Mutate("customerBalanceAdjust", `mutation($c: ID!) { customerBalanceAdjust(input: {customer: $c, amount: "-10.00", currency: "EUR", description: "goodwill"}) { balanceTransaction { id } `+userErrorFields+` } }`, map[string]any{"c": f.customer})
	f.balanceTxn = apitest.Str(t, p, "balanceTransaction", "id")

	const create = `mutation($c: ID!, $txr: ID!, $price: ID!) {
	  invoiceCreate(input: {customer: $c, defaultTaxRates: [$txr], memo: "original memo",
	    lines: [{price: $price, quantity: "2"}, {description: "Travel", unitAmount: "45.50"}]}) {
	    invoice { id lines { id } history { id } } ` + userErrorFields + ` } }`
	vars := map[string]any{"c": f.customer, "txr": f.taxRate, "price": f.price}
	p = e.Mutate("invoiceCreate", create, vars)
	f.draft = apitest.Str(t, p, "invoice", "id")
	f.draftLine = apitest.Str(t, p, "invoice", "lines", 0, "id")
	f.transitions = append(f.transitions, apitest.Str(t, p, "invoice", "history", 0, "id"))

	vars["txr"] = f.taxRate2
	p = e.Mutate("invoiceCreate", create, vars)
	f.open = apitest.Str(t, p, "invoice", "id")
	f.openLine = apitest.Str(t, p, "invoice", "lines", 0, "id")
	p = e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { id status history { id } } `+userErrorFields+` } }`, map[string]any{"id": f.open})
	if got := apitest.Str(t, p, "invoice", "status"); got != "OPEN" {
		t.Fatalf("finalized invoice is %s", got)
	}
	for _, h := range apitest.Get(t, p, "invoice", "history").([]any) {
		f.transitions = append(f.transitions, apitest.Str(t, h, "id"))
	}
	return f
}

// snapshotQuery reads everything account A has, including timestamps that
// any write would move.
const snapshotQuery = `{
  account { id name invoicePrefix defaultMemo }
  apiKeys { id redacted name revokedAt }
  customers(first: 20) { totalCount edges { node {
    id email name currency deletedAt balance { amount currency }
    balanceTransactions(first: 10) { totalCount edges { node { id amount { amount } endingBalance { amount } } } }
    invoices(first: 10) { totalCount edges { node { id } } } } } }
  invoices(first: 100) { totalCount edges { node {
    id number status memo updatedAt finalizedAt voidedAt paidAt markedUncollectibleAt
    total { amount } amountDue { amount } appliedBalance { amount }
    customer { id } defaultTaxRates { id }
    lines { id description quantity unitAmount price { id } taxRates { id } }
    history { id action toStatus } fromInvoice { id } latestRevision { id } } } }
  products(first: 100) { totalCount edges { node { id name active prices { id unitAmount active nickname } } } }
  taxRates(first: 100) { totalCount edges { node { id displayName active percentage } } }
}`

// TestIsolation checks that a key sees and touches only its own account's
// data in its own mode: account A's live key and account B's test key can
// neither read nor change what A's test key created.
func TestIsolation(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		f := seed(t, e)
		aLive := e.NewKey(e.Account, viewer.Live)
		bAccount, bTest := e.NewAccount("Globex GmbH", viewer.Test)

		before := canon(t, e.Query(snapshotQuery, nil))
		// Positive control: with A's own key every fixture id resolves, so
		// a null below means "hidden", not "never existed".
		assertNodes(t, e, "", f, true)

		others := []struct {
			name    string
			key     string
			account string
			mode    string
			// sameAccount: the account object itself is shared by both
			// modes of one account.
			sameAccount bool
		}{
			{"A-live", aLive, e.Account, "LIVE", true},
			{"B-test", bTest, bAccount, "TEST", false},
		}
		for _, o := range others {
			t.Run(o.name, func(t *testing.T) {
				// Each key sees its own account and mode.
				res := e.Do(apitest.Request{Key: o.key, Query: `{ account { id name mode } apiKeys { id redacted } }`})
				if res.Status != http.StatusOK || len(res.Errors) > 0 {
					t.Fatalf("account: status %d: %s", res.Status, res.RawBody)
				}
				if got := apitest.Str(t, res.Data, "account", "id"); got != o.account {
					t.Errorf("account.id = %s, want %s", got, o.account)
				}
				if got := apitest.Str(t, res.Data, "account", "mode"); got != o.mode {
					t.Errorf("account.mode = %s, want %s", got, o.mode)
				}
				keys := apitest.Get(t, res.Data, "apiKeys").([]any)
				if len(keys) != 1 {
					t.Errorf("apiKeys lists %d keys, want only this account+mode's one: %v", len(keys), keys)
				}
				prefix := "sk_" + strings.ToLower(o.mode) + "_"
				for _, k := range keys {
					if id := apitest.Str(t, k, "id"); id == f.apiKey {
						t.Errorf("apiKeys lists A's test key %s", id)
					}
					if r := apitest.Str(t, k, "redacted"); !strings.HasPrefix(r, prefix) {
						t.Errorf("apiKeys lists %s, want only %s keys", r, prefix)
					}
				}

				// Lists are empty.
				lists := e.Do(apitest.Request{Key: o.key, Query: `{
				  customers(first: 100) { totalCount edges { node { id } } }
				  invoices(first: 100) { totalCount edges { node { id } } }
				  products(first: 100) { totalCount edges { node { id } } }
				  taxRates(first: 100) { totalCount edges { node { id } } } }`})
				if lists.Status != http.StatusOK || len(lists.Errors) > 0 {
					t.Fatalf("lists: status %d: %s", lists.Status, lists.RawBody)
				}
				for _, l := range []string{"customers", "invoices", "products", "taxRates"} {
					if n := apitest.Get(t, lists.Data, l, "totalCount"); n != float64(0) {
						t.Errorf("%s.totalCount = %v, want 0", l, n)
					}
					if edges, _ := apitest.Get(t, lists.Data, l, "edges").([]any); len(edges) != 0 {
						t.Errorf("%s lists %v", l, edges)
					}
				}

				// Direct lookups find nothing.
				look := e.Do(apitest.Request{Key: o.key, Variables: map[string]any{"c": f.customer, "d": f.draft, "o": f.open},
					Query: `query($c: ID!, $d: ID!, $o: ID!) { customer(id: $c) { id } draft: invoice(id: $d) { id } open: invoice(id: $o) { id } }`})
				if look.Status != http.StatusOK || len(look.Errors) > 0 {
					t.Fatalf("lookups: status %d: %s", look.Status, look.RawBody)
				}
				for _, k := range []string{"customer", "draft", "open"} {
					if v := look.Data[k]; v != nil {
						t.Errorf("%s of A is visible: %v", k, v)
					}
				}
				visible := map[string]bool{}
				if o.sameAccount {
					visible[f.account] = true
				}
				assertNodesVisible(t, e, o.key, f, visible)

				// Every mutation naming A's objects is refused as not found
				// and writes nothing.
				for _, m := range foreignMutations(f) {
					t.Run(m.name, func(t *testing.T) {
						res := e.Do(apitest.Request{Key: o.key, Query: m.query, Variables: m.vars})
						if res.Status != http.StatusOK || len(res.Errors) > 0 {
							t.Fatalf("status %d: %s", res.Status, res.RawBody)
						}
						payload, _ := res.Data[m.field].(map[string]any)
						if payload == nil {
							t.Fatalf("no payload: %s", res.RawBody)
						}
						codes := apitest.ErrorCodes(t, payload)
						if !slices.Contains(codes, "NOT_FOUND") {
							t.Errorf("userErrors %v, want NOT_FOUND; payload %v", codes, payload)
						}
						for k, v := range payload {
							if k != "userErrors" && k != "warnings" && v != nil {
								t.Errorf("payload.%s = %v, want null", k, v)
							}
						}
						assertNoLeak(t, m.name, res.RawBody)
					})
				}

				// With an object of its own, the other key still cannot
				// reach A's catalog through references.
				own := e.Do(apitest.Request{Key: o.key, Query: `mutation { customerCreate(input: {customer: {name: "Own", currency: "EUR"}}) { customer { id } ` + userErrorFields + ` } }`})
				ownCustomer := apitest.Str(t, own.Data, "customerCreate", "customer", "id")
				ownDraft := e.Do(apitest.Request{Key: o.key, Variables: map[string]any{"c": ownCustomer},
					Query: `mutation($c: ID!) { invoiceCreate(input: {customer: $c, lines: [{description: "own", unitAmount: "1.00"}]}) { invoice { id lines { id } } ` + userErrorFields + ` } }`})
				ownInvoice := apitest.Str(t, ownDraft.Data, "invoiceCreate", "invoice", "id")
				ownLine := apitest.Str(t, ownDraft.Data, "invoiceCreate", "invoice", "lines", 0, "id")
				refs := []struct {
					name, field, query string
					vars               map[string]any
				}{
					{"invoiceCreate defaultTaxRates", "invoiceCreate", `mutation($c: ID!, $txr: ID!) { invoiceCreate(input: {customer: $c, defaultTaxRates: [$txr]}) { invoice { id } ` + userErrorFields + ` } }`,
						map[string]any{"c": ownCustomer, "txr": f.taxRate}},
					{"invoiceCreate line price", "invoiceCreate", `mutation($c: ID!, $price: ID!) { invoiceCreate(input: {customer: $c, lines: [{price: $price}]}) { invoice { id } ` + userErrorFields + ` } }`,
						map[string]any{"c": ownCustomer, "price": f.price}},
					{"invoiceCreate line taxRates", "invoiceCreate", `mutation($c: ID!, $txr: ID!) { invoiceCreate(input: {customer: $c, lines: [{description: "x", unitAmount: "1.00", taxRates: [$txr]}]}) { invoice { id } ` + userErrorFields + ` } }`,
						map[string]any{"c": ownCustomer, "txr": f.taxRate}},
					{"invoiceUpdate defaultTaxRates", "invoiceUpdate", `mutation($inv: ID!, $txr: ID!) { invoiceUpdate(input: {id: $inv, defaultTaxRates: [$txr]}) { invoice { id } ` + userErrorFields + ` } }`,
						map[string]any{"inv": ownInvoice, "txr": f.taxRate}},
					{"invoiceLineAdd price", "invoiceLineAdd", `mutation($inv: ID!, $price: ID!) { invoiceLineAdd(input: {invoice: $inv, lines: [{price: $price}]}) { invoice { id } ` + userErrorFields + ` } }`,
						map[string]any{"inv": ownInvoice, "price": f.price}},
					{"invoiceLineAdd taxRates", "invoiceLineAdd", `mutation($inv: ID!, $txr: ID!) { invoiceLineAdd(input: {invoice: $inv, lines: [{description: "x", unitAmount: "1.00", taxRates: [$txr]}]}) { invoice { id } ` + userErrorFields + ` } }`,
						map[string]any{"inv": ownInvoice, "txr": f.taxRate}},
					{"invoiceLineUpdate price", "invoiceLineUpdate", `mutation($line: ID!, $price: ID!) { invoiceLineUpdate(input: {id: $line, line: {price: $price}}) { invoice { id } ` + userErrorFields + ` } }`,
						map[string]any{"line": ownLine, "price": f.price}},
					{"invoices filter customer", "", `query($c: ID!) { invoices(first: 10, filter: {customer: $c}) { totalCount edges { node { id } } } }`,
						map[string]any{"c": f.customer}},
				}
				for _, r := range refs {
					t.Run(r.name, func(t *testing.T) {
						res := e.Do(apitest.Request{Key: o.key, Query: r.query, Variables: r.vars})
						if res.Status != http.StatusOK || len(res.Errors) > 0 {
							t.Fatalf("status %d: %s", res.Status, res.RawBody)
						}
						if r.field == "" { // a filter: finds nothing
							if n := apitest.Get(t, res.Data, "invoices", "totalCount"); n != float64(0) {
								t.Errorf("filter on A's customer finds %v invoices: %s", n, res.RawBody)
							}
							return
						}
						codes := apitest.ErrorCodes(t, res.Data[r.field].(map[string]any))
						if !slices.Contains(codes, "NOT_FOUND") {
							t.Errorf("userErrors %v, want NOT_FOUND: %s", codes, res.RawBody)
						}
					})
				}
				// Only the two objects it created legitimately exist for it.
				after := e.Do(apitest.Request{Key: o.key, Query: `{ customers(first: 100) { totalCount } invoices(first: 100) { totalCount edges { node { id lines { id description price { id } taxRates { id } } defaultTaxRates { id } } } } products(first: 100) { totalCount } taxRates(first: 100) { totalCount } }`})
				for l, want := range map[string]float64{"customers": 1, "invoices": 1, "products": 0, "taxRates": 0} {
					if n := apitest.Get(t, after.Data, l, "totalCount"); n != want {
						t.Errorf("after the refused mutations %s.totalCount = %v, want %v: %s", l, n, want, after.RawBody)
					}
				}
				if lines := apitest.Get(t, after.Data, "invoices", "edges", 0, "node", "lines").([]any); len(lines) != 1 {
					t.Errorf("own draft has %d lines, want 1", len(lines))
				} else if d, p, r := apitest.Str(t, lines[0], "description"), apitest.Get(t, lines[0], "price"), apitest.Get(t, lines[0], "taxRates").([]any); d != "own" || p != nil || len(r) != 0 {
					t.Errorf("own line changed: description %q, price %v, taxRates %v", d, p, r)
				}
				if rates := apitest.Get(t, after.Data, "invoices", "edges", 0, "node", "defaultTaxRates").([]any); len(rates) != 0 {
					t.Errorf("own draft picked up tax rates %v", rates)
				}
			})
		}

		// A's data is exactly as it was.
		if got := canon(t, e.Query(snapshotQuery, nil)); got != before {
			t.Errorf("A's data changed:\nbefore %s\nafter  %s", before, got)
		}
		assertNodes(t, e, "", f, true)
	})
}

// assertNodes checks node and nodes resolve every fixture id (visible) or
// none of them.
func assertNodes(t *testing.T, e *apitest.Env, key string, f fixture, visible bool) {
	t.Helper()
	set := map[string]bool{}
	if visible {
		for _, id := range f.ids() {
			set[id] = true
		}
	}
	assertNodesVisible(t, e, key, f, set)
}

// assertNodesVisible checks node(id:) and nodes(ids:) on every fixture id:
// the ids in visible resolve to themselves, the others to null.
func assertNodesVisible(t *testing.T, e *apitest.Env, key string, f fixture, visible map[string]bool) {
	t.Helper()
	var all []any
	for typ, id := range f.ids() {
		all = append(all, id)
		res := e.Do(apitest.Request{Key: key, Query: `query($id: ID!) { node(id: $id) { id __typename } }`, Variables: map[string]any{"id": id}})
		if res.Status != http.StatusOK || len(res.Errors) > 0 {
			t.Errorf("node(%s %s): status %d: %s", typ, id, res.Status, res.RawBody)
			continue
		}
		n := res.Data["node"]
		switch {
		case visible[id] && n == nil:
			t.Errorf("node(%s %s) = null, want the object", typ, id)
		case visible[id] && apitest.Str(t, n, "id") != id:
			t.Errorf("node(%s %s) = %v", typ, id, n)
		case !visible[id] && n != nil:
			t.Errorf("node(%s %s) = %v, want null", typ, id, n)
		}
	}
	res := e.Do(apitest.Request{Key: key, Query: `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, Variables: map[string]any{"ids": all}})
	if res.Status != http.StatusOK || len(res.Errors) > 0 {
		t.Fatalf("nodes: status %d: %s", res.Status, res.RawBody)
	}
	got := apitest.Get(t, res.Data, "nodes").([]any)
	if len(got) != len(all) {
		t.Fatalf("nodes returned %d results for %d ids", len(got), len(all))
	}
	for i, n := range got {
		id := all[i].(string)
		switch {
		case visible[id] && (n == nil || apitest.Str(t, n, "id") != id):
			t.Errorf("nodes[%d] (%s) = %v, want the object", i, id, n)
		case !visible[id] && n != nil:
			t.Errorf("nodes[%d] (%s) = %v, want null", i, id, n)
		}
	}
}

type foreignMutation struct {
	name, field, query string
	vars               map[string]any
}

// foreignMutations lists every mutation that names an existing object of
// f by id.
func foreignMutations(f fixture) []foreignMutation {
	inv := func(field, label, id, extra string) foreignMutation {
		return foreignMutation{
			name: field + "/" + label, field: field,
			query: `mutation($id: ID!) { ` + field + `(input: {id: $id` + extra + `}) { invoice { id } ` + userErrorFields + ` } }`,
			vars:  map[string]any{"id": id},
		}
	}
	ms := []foreignMutation{
		{"customerUpdate", "customerUpdate", `mutation($id: ID!) { customerUpdate(input: {id: $id, customer: {name: "Hijacked"}}) { customer { id } ` + userErrorFields + ` } }`, map[string]any{"id": f.customer}},
		{"customerDelete/invoiced", "customerDelete", `mutation($id: ID!) { customerDelete(input: {id: $id}) { deletedId ` + userErrorFields + ` } }`, map[string]any{"id": f.customer}},
		{"customerDelete/plain", "customerDelete", `mutation($id: ID!) { customerDelete(input: {id: $id}) { deletedId ` + userErrorFields + ` } }`, map[string]any{"id": f.customer2}},
		{"customerBalanceAdjust", "customerBalanceAdjust", `mutation($id: ID!) { customerBalanceAdjust(input: {customer: $id, amount: "-500.00", currency: "EUR", description: "x"}) { balanceTransaction { id } customer { id } ` + userErrorFields + ` } }`, map[string]any{"id": f.customer}},
		{"productUpdate", "productUpdate", `mutation($id: ID!) { productUpdate(input: {id: $id, name: "Hijacked", active: false}) { product { id } ` + userErrorFields + ` } }`, map[string]any{"id": f.product}},
		{"priceCreate", "priceCreate", `mutation($id: ID!) { priceCreate(input: {product: $id, currency: "EUR", unitAmount: "1.00"}) { price { id } ` + userErrorFields + ` } }`, map[string]any{"id": f.product}},
		{"priceUpdate", "priceUpdate", `mutation($id: ID!) { priceUpdate(input: {id: $id, nickname: "Hijacked", active: false}) { price { id } ` + userErrorFields + ` } }`, map[string]any{"id": f.price}},
		{"taxRateUpdate", "taxRateUpdate", `mutation($id: ID!) { taxRateUpdate(input: {id: $id, displayName: "Hijacked", active: false}) { taxRate { id } ` + userErrorFields + ` } }`, map[string]any{"id": f.taxRate}},
		{"invoiceCreate/customer", "invoiceCreate", `mutation($id: ID!) { invoiceCreate(input: {customer: $id, lines: [{description: "x", unitAmount: "1.00"}]}) { invoice { id } ` + userErrorFields + ` } }`, map[string]any{"id": f.customer}},
		inv("invoiceUpdate", "draft", f.draft, `, memo: "hijacked", footer: "hijacked"`),
		inv("invoiceUpdate", "open", f.open, `, memo: "hijacked"`),
		{"invoiceLineAdd", "invoiceLineAdd", `mutation($id: ID!) { invoiceLineAdd(input: {invoice: $id, lines: [{description: "x", unitAmount: "1.00"}]}) { invoice { id } ` + userErrorFields + ` } }`, map[string]any{"id": f.draft}},
		{"invoiceLineUpdate", "invoiceLineUpdate", `mutation($id: ID!) { invoiceLineUpdate(input: {id: $id, line: {quantity: "9"}}) { invoice { id } ` + userErrorFields + ` } }`, map[string]any{"id": f.draftLine}},
		{"invoiceLineUpdate/open", "invoiceLineUpdate", `mutation($id: ID!) { invoiceLineUpdate(input: {id: $id, line: {quantity: "9"}}) { invoice { id } ` + userErrorFields + ` } }`, map[string]any{"id": f.openLine}},
		{"invoiceLineRemove", "invoiceLineRemove", `mutation($id: ID!) { invoiceLineRemove(input: {id: $id}) { invoice { id } ` + userErrorFields + ` } }`, map[string]any{"id": f.draftLine}},
		inv("invoiceFinalize", "draft", f.draft, ""),
		inv("invoiceVoid", "open", f.open, ""),
		inv("invoiceMarkPaid", "open", f.open, `, method: "cash"`),
		inv("invoiceMarkUncollectible", "open", f.open, ""),
		inv("invoiceRevise", "open", f.open, ""),
		inv("invoiceDuplicate", "draft", f.draft, ""),
		inv("invoiceDuplicate", "open", f.open, ""),
		{"invoiceDelete", "invoiceDelete", `mutation($id: ID!) { invoiceDelete(input: {id: $id}) { deletedId ` + userErrorFields + ` } }`, map[string]any{"id": f.draft}},
	}
	return ms
}
