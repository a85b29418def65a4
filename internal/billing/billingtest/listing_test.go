package billingtest_test

import (
	"slices"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/apitest"
)

// invoicePage lists invoices page by page of size and returns their ids
// and the value of field on each (nil when null), checking pageInfo and
// totalCount on the way.
func (c *client) invoicePage(filter, orderBy map[string]any, size int) (ids []string, rows []map[string]any) {
	c.t.Helper()
	var after any
	total := -1
	for page := 0; ; page++ {
		data := c.Query(`query($first: Int!, $after: Cursor, $filter: InvoiceFilter, $orderBy: InvoiceOrder) {
  invoices(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id number status currency dueDate pastDue total { amount } customer { id } createdAt } } } }`,
			map[string]any{"first": size, "after": after, "filter": filter, "orderBy": orderBy})
		conn := apitest.Get(c.t, data, "invoices").(map[string]any)
		n := int(conn["totalCount"].(float64))
		if total >= 0 && n != total {
			c.t.Errorf("totalCount moved from %d to %d between pages", total, n)
		}
		total = n
		edges := conn["edges"].([]any)
		if len(edges) > size {
			c.t.Fatalf("page of %d for first: %d", len(edges), size)
		}
		for _, e := range edges {
			node := e.(map[string]any)["node"].(map[string]any)
			ids = append(ids, node["id"].(string))
			rows = append(rows, node)
		}
		info := conn["pageInfo"].(map[string]any)
		if !info["hasNextPage"].(bool) {
			break
		}
		if page > 50 {
			c.t.Fatal("no end to the pages")
		}
		after = info["endCursor"]
	}
	if total != len(ids) {
		c.t.Errorf("totalCount %d, but %d invoices listed (%v)", total, len(ids), ids)
	}
	return ids, rows
}

// invoiceIDs is invoicePage asking for pageInfo only, as a list that does
// not count does: hasNextPage then comes from the page itself. A page after
// hasNextPage is never empty.
func (c *client) invoiceIDs(filter, orderBy map[string]any, size int) []string {
	c.t.Helper()
	var ids []string
	var after any
	for page := 0; ; page++ {
		data := c.Query(`query($first: Int!, $after: Cursor, $filter: InvoiceFilter, $orderBy: InvoiceOrder) {
  invoices(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id } } } }`,
			map[string]any{"first": size, "after": after, "filter": filter, "orderBy": orderBy})
		conn := apitest.Get(c.t, data, "invoices").(map[string]any)
		edges := conn["edges"].([]any)
		if len(edges) > size || (page > 0 && len(edges) == 0) {
			c.t.Fatalf("page %d of %d invoices for first: %d", page, len(edges), size)
		}
		for _, e := range edges {
			ids = append(ids, apitest.Str(c.t, e, "node", "id"))
		}
		info := conn["pageInfo"].(map[string]any)
		eq(c.t, "hasPreviousPage", info["hasPreviousPage"], any(page > 0))
		if len(edges) > 0 {
			eq(c.t, "endCursor", info["endCursor"], edges[len(edges)-1].(map[string]any)["cursor"])
		}
		if !info["hasNextPage"].(bool) {
			break
		}
		if page > 50 {
			c.t.Fatal("no end to the pages")
		}
		after = info["endCursor"]
	}
	return ids
}

// TestInvoiceListing filters, orders and pages through invoices.
func TestInvoiceListing(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		a := c.newCustomer("Alice", "alice@example.com")
		b := c.newCustomer("Bob", "bob@example.com")
		day := 24 * time.Hour
		type made struct{ id, number string }
		mk := func(cus, currency, amount string, days any, status string) made {
			t.Helper()
			in := map[string]any{"currency": currency, "lines": []any{line("Prestation", "1", amount)}}
			if days == "auto" {
				in["collectionMethod"] = "CHARGE_AUTOMATICALLY"
			} else {
				in["daysUntilDue"] = days
			}
			inv := c.createInvoice(cus, in)
			id := apitest.Str(t, inv, "id")
			c.Clock.Advance(time.Hour)
			if status == "DRAFT" {
				c.Clock.Advance(day - time.Hour)
				return made{id: id}
			}
			n := apitest.Str(t, c.finalize(id), "number")
			switch status {
			case "PAID":
				c.markPaid(id)
			case "UNCOLLECTIBLE":
				c.byID("invoiceMarkUncollectible", id)
			case "VOID":
				c.byID("invoiceVoid", id)
			}
			c.Clock.Advance(day - time.Hour)
			return made{id, n}
		}
		// Created a day apart (day 0 to day 6), finalized an hour after.
		i1 := mk(a, "USD", "100.00", 10, "OPEN")          // due day 10
		i2 := mk(a, "USD", "300.00", 30, "PAID")          // due day 31
		i3 := mk(b, "EUR", "200.00", 5, "OPEN")           // due day 7
		i4 := mk(a, "USD", "50.00", 15, "DRAFT")          // no number, no due date
		i5 := mk(b, "EUR", "400.00", 20, "UNCOLLECTIBLE") // due day 24
		i6 := mk(a, "USD", "250.00", 10, "VOID")          // due day 15
		i7 := mk(a, "USD", "75.00", "auto", "OPEN")       // charged automatically: no due date
		due := func(d int) string { return ts(t0.Add(time.Duration(d)*day + time.Hour)) }
		sameJSON(t, "numbers", []string{i1.number, i2.number, i3.number, i5.number, i6.number, i7.number},
			[]string{"ACMESAS-0001", "ACMESAS-0002", "ACMESAS-0003", "ACMESAS-0004", "ACMESAS-0005", "ACMESAS-0006"})
		newestFirst := []string{i7.id, i6.id, i5.id, i4.id, i3.id, i2.id, i1.id}

		// Pages of every size list the same invoices in the same order.
		all, _ := c.invoicePage(nil, nil, 100)
		sameJSON(t, "default order: newest first", all, newestFirst)
		for _, size := range []int{1, 2, 3} {
			ids, _ := c.invoicePage(nil, nil, size)
			sameJSON(t, "pages", ids, newestFirst)
		}

		// Past due: on day 12, i1 (due day 10) and i3 (due day 7) are.
		c.Clock.Set(t0.Add(12 * day))
		filters := []struct {
			name   string
			filter map[string]any
			want   []made
		}{
			{"status", map[string]any{"status": []any{"OPEN"}}, []made{i7, i3, i1}},
			{"statuses", map[string]any{"status": []any{"OPEN", "UNCOLLECTIBLE"}}, []made{i7, i5, i3, i1}},
			{"customer", map[string]any{"customer": b}, []made{i5, i3}},
			{"currency", map[string]any{"currency": "eur"}, []made{i5, i3}},
			{"number", map[string]any{"number": "ACMESAS-0002"}, []made{i2}},
			{"created range", map[string]any{"createdAfter": ts(t0.Add(day)), "createdBefore": ts(t0.Add(4 * day))}, []made{i4, i3, i2}},
			{"due range", map[string]any{"dueAfter": due(7), "dueBefore": due(24)}, []made{i6, i3, i1}},
			{"past due", map[string]any{"pastDue": true}, []made{i3, i1}},
			{"not past due", map[string]any{"pastDue": false}, []made{i7, i6, i5, i4, i2}},
			{"combined", map[string]any{"customer": a, "status": []any{"OPEN"}, "pastDue": false}, []made{i7}},
		}
		for _, f := range filters {
			var want []string
			for _, m := range f.want {
				want = append(want, m.id)
			}
			for _, size := range []int{1, 100} {
				ids, rows := c.invoicePage(f.filter, nil, size)
				sameJSON(t, f.name, ids, want)
				sameJSON(t, f.name+" without totalCount", c.invoiceIDs(f.filter, nil, size), want)
				if f.name == "past due" {
					for _, r := range rows {
						eq(t, "pastDue", r["pastDue"], any(true))
					}
				}
			}
		}

		// Orders, each paged through by 2 and compared with one page.
		orders := []struct {
			field, direction string
			want             []made // nil: check the values' order only
		}{
			{"TOTAL", "ASC", []made{i4, i7, i1, i3, i6, i2, i5}},
			{"TOTAL", "DESC", []made{i5, i2, i6, i3, i1, i7, i4}},
			{"NUMBER", "ASC", nil},
			{"NUMBER", "DESC", nil},
			{"DUE_DATE", "ASC", nil},
			{"DUE_DATE", "DESC", nil},
			{"CREATED_AT", "ASC", []made{i1, i2, i3, i4, i5, i6, i7}},
			// Then by id, which follows creation.
			{"STATUS", "ASC", []made{i4, i1, i3, i7, i2, i5, i6}},
			{"STATUS", "DESC", []made{i6, i5, i2, i7, i3, i1, i4}},
		}
		for _, o := range orders {
			order := map[string]any{"field": o.field, "direction": o.direction}
			one, rows := c.invoicePage(nil, order, 100)
			paged, _ := c.invoicePage(nil, order, 2)
			sameJSON(t, o.field+" "+o.direction+" paged", paged, one)
			for _, size := range []int{1, 3, 7} {
				sameJSON(t, o.field+" "+o.direction+" paged without totalCount", c.invoiceIDs(nil, order, size), one)
			}
			if len(one) != len(all) {
				t.Errorf("%s %s lists %d invoices, want %d", o.field, o.direction, len(one), len(all))
			}
			if o.want != nil {
				var want []string
				for _, m := range o.want {
					want = append(want, m.id)
				}
				sameJSON(t, o.field+" "+o.direction, one, want)
				continue
			}
			// Nulls (drafts, automatic collection) go wherever the database
			// puts them; the rest is in order.
			key := map[string]string{"NUMBER": "number", "DUE_DATE": "dueDate"}[o.field]
			var values []string
			for _, r := range rows {
				if v, ok := r[key].(string); ok {
					values = append(values, v)
				}
			}
			sorted := slices.Clone(values)
			slices.Sort(sorted)
			if o.direction == "DESC" {
				slices.Reverse(sorted)
			}
			sameJSON(t, o.field+" "+o.direction+" values", values, sorted)
		}

		// Filtered and ordered: an ordering by status under a status
		// filter reads one status after the other, one on a column that
		// may be NULL its values and its NULLs: pages cross from one to
		// the next.
		combos := []struct {
			name             string
			filter           map[string]any
			field, direction string
			want             []made // nil: the same as one page, in order
		}{
			{"statuses by status", map[string]any{"status": []any{"UNCOLLECTIBLE", "OPEN"}}, "STATUS", "ASC", []made{i1, i3, i7, i5}},
			{"statuses by status, descending", map[string]any{"status": []any{"OPEN", "UNCOLLECTIBLE"}}, "STATUS", "DESC", []made{i5, i7, i3, i1}},
			{"past due by status", map[string]any{"pastDue": true}, "STATUS", "DESC", []made{i3, i1}},
			{"past due and statuses by status", map[string]any{"pastDue": true, "status": []any{"OPEN", "PAID"}}, "STATUS", "ASC", []made{i1, i3}},
			{"past due by number", map[string]any{"pastDue": true}, "NUMBER", "DESC", []made{i3, i1}},
			{"past due by due date", map[string]any{"pastDue": true}, "DUE_DATE", "ASC", []made{i3, i1}},
			{"not past due by due date", map[string]any{"pastDue": false}, "DUE_DATE", "ASC", nil},
			{"not past due by number", map[string]any{"pastDue": false}, "NUMBER", "DESC", nil},
			{"customer by total", map[string]any{"customer": a}, "TOTAL", "DESC", []made{i2, i6, i1, i7, i4}},
			{"currency by due date", map[string]any{"currency": "usd"}, "DUE_DATE", "DESC", nil},
		}
		for _, o := range combos {
			order := map[string]any{"field": o.field, "direction": o.direction}
			one, _ := c.invoicePage(o.filter, order, 100)
			if o.want != nil {
				var want []string
				for _, m := range o.want {
					want = append(want, m.id)
				}
				sameJSON(t, o.name, one, want)
			}
			for _, size := range []int{1, 2, 3} {
				paged, _ := c.invoicePage(o.filter, order, size)
				sameJSON(t, o.name+" paged", paged, one)
				sameJSON(t, o.name+" paged without totalCount", c.invoiceIDs(o.filter, order, size), one)
			}
		}

		// Currency is compared case-insensitively, and something that is
		// no currency code matches nothing.
		for _, cur := range []string{"usd", "UsD", "\u212aRW", "üsd", "us"} {
			ids := c.invoiceIDs(map[string]any{"currency": cur}, nil, 100)
			if want := map[string]int{"usd": 5, "UsD": 5}[cur]; len(ids) != want {
				t.Errorf("currency %q: %d invoices, want %d", cur, len(ids), want)
			}
		}
	})
}
