package billingtest_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/viewer"
)

// TestNumbering checks numbers are gapless and assigned only at
// finalization (reference §2.5): deleted drafts and failed finalizations
// use none; per-customer numbering has a sequence per customer prefix; test
// and live mode never share a sequence.
func TestNumbering(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		cus := c.newCustomer("Jenny Rosen", "jenny@example.com", "invoicePrefix", "JENNY")
		number := func(id string) string { t.Helper(); return apitest.Str(t, c.finalize(id), "number") }
		draft := func() string { t.Helper(); return apitest.Str(t, c.createInvoice(cus, nil), "id") }

		// Drafts made before others are numbered in finalization order.
		a, b := draft(), draft()
		eq(t, "first number", number(b), "ACMESAS-0001")
		eq(t, "second number", number(a), "ACMESAS-0002")

		// A deleted draft never had a number.
		d := draft()
		c.Mutate("invoiceDelete", `mutation($input: InvoiceIDInput!) { invoiceDelete(input: $input) { deletedId `+userErrorFields+` } }`,
			map[string]any{"input": map[string]any{"id": d}})
		// A failed finalization (no lines) uses none either.
		empty := apitest.Str(t, c.createInvoice(cus, map[string]any{"lines": nil}), "id")
		db := dbState(t, c.Env)
		wantCodes(t, c.invoiceOp("invoiceFinalize", map[string]any{"id": empty}), "input.lines:INVALID")
		sameDB(t, c.Env, db)
		eq(t, "draft stays a draft", c.invoice(empty)["status"], any("DRAFT"))
		eq(t, "third number", number(draft()), "ACMESAS-0003")
		c.invoiceOK("invoiceLineAdd", map[string]any{"invoice": empty, "lines": []any{line("Support", "1", "10")}})
		eq(t, "fourth number", number(empty), "ACMESAS-0004")

		// Per-customer numbering: the customer's prefix, its own sequence.
		acct := c.accountUpdate(map[string]any{"numberingScheme": "CUSTOMER"})
		eq(t, "numberingScheme", apitest.Str(t, acct, "account", "numberingScheme"), "CUSTOMER")
		bob := c.newCustomer("Bob", "bob@example.com", "invoicePrefix", "BOB")
		eq(t, "customer sequence", number(draft()), "JENNY-0001")
		eq(t, "customer sequence", number(draft()), "JENNY-0002")
		eq(t, "another customer", number(apitest.Str(t, c.createInvoice(bob, nil), "id")), "BOB-0001")
		// A generated prefix works the same way.
		anon := c.newCustomer("Anon", "anon@example.com")
		prefix := apitest.Str(t, c.customer(anon), "invoicePrefix")
		eq(t, "generated prefix", number(apitest.Str(t, c.createInvoice(anon, nil), "id")), prefix+"-0001")
		// Back to account numbering: the account sequence goes on.
		c.accountUpdate(map[string]any{"numberingScheme": "ACCOUNT"})
		eq(t, "account sequence resumes", number(draft()), "ACMESAS-0005")

		// Live mode has its own data and sequence.
		live := c.with(t)
		live.Key = c.NewKey(c.Account, viewer.Live)
		liveCus := live.newCustomer("Live Customer", "live@example.com")
		liveNum := apitest.Str(t, live.finalize(apitest.Str(t, live.createInvoice(liveCus, nil), "id")), "number")
		eq(t, "first live number", liveNum, "ACMESAS-0001")
		eq(t, "test sequence unaffected", number(draft()), "ACMESAS-0006")
		eq(t, "second live number", apitest.Str(t, live.finalize(apitest.Str(t, live.createInvoice(liveCus, nil), "id")), "number"), "ACMESAS-0002")
		// Neither mode sees the other's invoices.
		count := func(c *client) float64 {
			return apitest.Get(t, c.Query(`{ invoices(first: 1) { totalCount } }`, nil), "invoices", "totalCount").(float64)
		}
		eq(t, "live invoices", count(live), 2)
		eq(t, "test invoices", count(c), 10)
		if c.invoice(a) == nil || live.invoice(a) != nil {
			t.Errorf("a test invoice is visible in test mode only")
		}
	})
}

// TestNumberingConcurrent finalizes 200 drafts with 200 simultaneous
// requests: the numbers are exactly 0001 to 0200, none missing, none twice.
func TestNumberingConcurrent(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		const n = 200
		cus := c.newCustomer("Jenny Rosen", "jenny@example.com")
		ids := make([]string, n)
		for i := range ids {
			ids[i] = apitest.Str(t, c.createInvoice(cus, nil), "id")
		}
		const finalize = `mutation($input: InvoiceFinalizeInput!) { invoiceFinalize(input: $input) { invoice { id number status } userErrors { code message } } }`
		numbers := make([]string, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				data, err := post(c.URL, c.Key, finalize, map[string]any{"input": map[string]any{"id": id}})
				if err != nil {
					errs[i] = err
					return
				}
				p := data["invoiceFinalize"].(map[string]any)
				if ue := p["userErrors"].([]any); len(ue) > 0 {
					errs[i] = fmt.Errorf("userErrors: %v", ue)
					return
				}
				numbers[i], _ = p["invoice"].(map[string]any)["number"].(string)
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("finalize %d: %v", i, err)
			}
		}
		want := make([]string, n)
		for i := range want {
			want[i] = fmt.Sprintf("ACMESAS-%04d", i+1)
		}
		got := slices.Clone(numbers)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("numbers are not exactly 0001..%04d: %v", n, got)
		}
		// And as stored.
		data := c.Query(`{ invoices(first: 100, filter: {status: [OPEN]}) { totalCount } }`, nil)
		eq(t, "open invoices", apitest.Get(t, data, "invoices", "totalCount").(float64), n)
		for i, id := range ids[:10] {
			eq(t, "stored number", c.invoice(id)["number"], any(numbers[i]))
		}
	})
}
