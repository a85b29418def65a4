package graph

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/customers"
)

// Lists page with the cursor as an index range, and say whether a next
// page exists from one row more than the page, never from a count:
//
//   - entgql's generated Paginate counts every matching row whenever
//     pageInfo is selected (it needs the count only when edges are not), and
//     its cursor predicate (v > ? OR (v = ? AND id > ?)) is an OR that
//     neither database reads as a range of the list's index: pages further
//     down read more of it. The lists here call Paginate without pageInfo,
//     totalCount or cursor in sight (pagerContext), pass the cursor as a row
//     comparison ((v, id) > (?, ?)), which both databases answer from the
//     index from the cursor on, and count only for totalCount.
//   - An ordering on a column that may be NULL (an invoice's number, due
//     date) is read as two ranges, the values and the NULLs, in the order
//     the database sorts them (SQLite puts NULLs first, PostgreSQL last): a
//     row comparison never matches a NULL, and an OR of both would be no
//     range at all. Ordered by status under a status filter, the list is
//     one range per status: PostgreSQL (before 17) does not read an index in
//     order under an IN list on any but its first column.

// pagerContext returns ctx as entgql's Paginate should see it: the
// connection's selection without pageInfo and totalCount, so it neither
// counts nor builds pageInfo (the callers do, from one row more than the
// page), and edges kept. It returns ctx unchanged outside a GraphQL field
// or when the selection has no edges (Paginate then only counts).
func pagerContext(ctx context.Context) context.Context {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return ctx
	}
	oc := graphql.GetOperationContext(ctx)
	var kept ast.SelectionSet
	edges := false
	for _, f := range graphql.CollectFields(oc, fc.Field.Selections, nil) {
		switch f.Name {
		case "pageInfo", "totalCount":
			continue
		case "edges":
			edges = true
		}
		kept = append(kept, f.Field)
	}
	if !edges {
		return ctx
	}
	pc := *fc
	pc.Field.Selections = kept
	return graphql.WithFieldContext(ctx, &pc)
}

// selects reports whether the connection's selection asks for field
// (pageInfo, totalCount, edges), under any alias.
func selects(ctx context.Context, field string) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return true
	}
	for _, f := range graphql.CollectFields(graphql.GetOperationContext(ctx), fc.Field.Selections, nil) {
		if f.Name == field {
			return true
		}
	}
	return false
}

// invoiceRange is part of an ordering of invoices: its rows follow those
// of the ranges before it.
type invoiceRange struct {
	// where selects the range's rows.
	where func(*sql.Selector)
	// null: the rows whose ordering column is NULL, ordered by id.
	null bool
	// status: the rows of one status (an ordering by status, filtered).
	status *invoice.Status
}

// invoiceOrderColumn returns the column an ordering sorts on, and whether
// it may be NULL (drafts have no number, drafts and automatically collected
// invoices no due date).
func invoiceOrderColumn(o *ent.InvoiceOrder) (column string, nullable bool) {
	if o.Field == nil {
		return invoice.FieldID, false
	}
	switch o.Field.String() {
	case "CREATED_AT":
		return invoice.FieldCreatedAt, false
	case "NUMBER":
		return invoice.FieldNumber, true
	case "STATUS":
		return invoice.FieldStatus, false
	case "DUE_DATE":
		return invoice.FieldDueDate, true
	case "TOTAL":
		return invoice.FieldTotal, false
	}
	return invoice.FieldID, false
}

// dialects remembers each client's SQL dialect, learnt from the first
// statement that needed it: ent's client does not say.
var dialects sync.Map // *ent.Client → string

// dialectOf returns db's SQL dialect, asking the database the first time
// (one statement that reads nothing).
func dialectOf(ctx context.Context, db *ent.Client) (string, error) {
	if d, ok := dialects.Load(db); ok {
		return d.(string), nil
	}
	var d string
	_, err := db.Invoice.Query().Where(func(s *sql.Selector) {
		d = s.Dialect()
		s.Where(sql.False())
	}).Exist(ctx)
	if err != nil {
		return "", err
	}
	dialects.Store(db, d)
	return d, nil
}

// invoiceRanges splits the ordering o into the ranges it reads, in order.
func invoiceRanges(ctx context.Context, db *ent.Client, o *ent.InvoiceOrder, f billing.Filter) ([]invoiceRange, error) {
	column, nullable := invoiceOrderColumn(o)
	desc := o.Direction == entgql.OrderDirectionDesc
	switch {
	case column == invoice.FieldNumber && f.ExcludesDrafts(), column == invoice.FieldDueDate && f.NeedsDueDate():
		// Every matching invoice has a value: skip the NULLs (a range the
		// database would read through, rejecting each).
		return []invoiceRange{{where: func(s *sql.Selector) { s.Where(sql.NotNull(s.C(column))) }}}, nil
	case nullable:
		d, err := dialectOf(ctx, db)
		if err != nil {
			return nil, err
		}
		values := invoiceRange{where: func(s *sql.Selector) { s.Where(sql.NotNull(s.C(column))) }}
		nulls := invoiceRange{where: func(s *sql.Selector) { s.Where(sql.IsNull(s.C(column))) }, null: true}
		// PostgreSQL sorts NULLs after every value, SQLite before.
		if (d == dialect.Postgres) == desc {
			return []invoiceRange{nulls, values}, nil
		}
		return []invoiceRange{values, nulls}, nil
	case column == invoice.FieldStatus:
		statuses := f.StatusSet()
		if len(statuses) < 2 {
			break
		}
		slices.Sort(statuses)
		if desc {
			slices.Reverse(statuses)
		}
		var out []invoiceRange
		for _, st := range statuses {
			out = append(out, invoiceRange{where: func(s *sql.Selector) { s.Where(sql.EQ(s.C(column), st)) }, status: &st})
		}
		return out, nil
	}
	return []invoiceRange{{where: func(*sql.Selector) {}}}, nil
}

// after returns the predicate selecting the rows of r that follow cursor c
// in o, and whether r holds any (false: the cursor is past r, skip it).
// seen is whether an earlier range held the cursor (r then follows it
// whole).
func (r invoiceRange) after(o *ent.InvoiceOrder, c *entgql.Cursor[string], seen bool) (func(*sql.Selector), bool) {
	all := func(*sql.Selector) {}
	if c == nil || seen {
		return all, true
	}
	column, _ := invoiceOrderColumn(o)
	desc := o.Direction == entgql.OrderDirectionDesc
	idAfter := func(s *sql.Selector) {
		if desc {
			s.Where(sql.LT(s.C(invoice.FieldID), c.ID))
		} else {
			s.Where(sql.GT(s.C(invoice.FieldID), c.ID))
		}
	}
	switch {
	case r.null:
		if c.Value != nil {
			return nil, false // the cursor is in the values' range
		}
		return idAfter, true
	case r.status != nil:
		v, _ := c.Value.(string)
		switch cmp := compareStatus(invoice.Status(v), *r.status); {
		case cmp == 0:
			return idAfter, true
		case (cmp < 0) != desc:
			return all, true // the cursor sorts before this range
		default:
			return nil, false
		}
	case column == invoice.FieldID:
		return idAfter, true
	}
	if c.Value == nil {
		return nil, false // the cursor is in the NULLs' range
	}
	// (column, id) beyond (value, id): a range of the ordering's index.
	return func(s *sql.Selector) {
		cols := []string{s.C(column), s.C(invoice.FieldID)}
		if desc {
			s.Where(sql.CompositeLT(cols, c.Value, c.ID))
		} else {
			s.Where(sql.CompositeGT(cols, c.Value, c.ID))
		}
	}, true
}

// holds reports whether the cursor c lies in r (the ranges after it then
// follow it whole).
func (r invoiceRange) holds(c *entgql.Cursor[string]) bool {
	switch {
	case c == nil:
		return false
	case r.null:
		return c.Value == nil
	case r.status != nil:
		v, _ := c.Value.(string)
		return invoice.Status(v) == *r.status
	}
	return c.Value != nil
}

func compareStatus(a, b invoice.Status) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// listInvoices answers the merchant list: first invoices after the cursor
// under the filter, in orderBy (newest first by default).
func listInvoices(ctx context.Context, db *ent.Client, first int, after *entgql.Cursor[string], f billing.Filter, orderBy *ent.InvoiceOrder) (*ent.InvoiceConnection, error) {
	if orderBy == nil {
		orderBy = &ent.InvoiceOrder{Direction: entgql.OrderDirectionDesc, Field: ent.InvoiceOrderFieldCreatedAt}
	}
	var field string
	if orderBy.Field != nil {
		field = orderBy.Field.String()
	}
	order := orderKey("invoices", field, orderBy.Direction)
	after, err := untagCursor(after, order)
	if err != nil {
		return nil, err
	}
	f.OrderedBy, _ = invoiceOrderColumn(orderBy)
	filter := ent.WithInvoiceFilter(func(q *ent.InvoiceQuery) (*ent.InvoiceQuery, error) { return f.Apply(ctx, q), nil })
	entOrder := ent.WithInvoiceOrder(orderBy)
	ranges, err := invoiceRanges(ctx, db, orderBy, f)
	if err != nil {
		return nil, err
	}
	pctx := pagerContext(ctx)
	withEdges := selects(ctx, "edges")
	// On PostgreSQL an IN list of statuses (several statuses, past due) is
	// no index condition on any but an index's first column: an index scan
	// reads each entry's row to test it, and a page of a rare combination
	// reads many rows. Its ids alone come from an index-only scan, which
	// tests the entry itself (the lists' indexes hold status and due date;
	// the visibility map autovacuum keeps lets it skip the rows).
	// (Ordered by status, the ranges are one status each: an equality.)
	deferred := false
	if column, _ := invoiceOrderColumn(orderBy); column != invoice.FieldStatus && (len(f.StatusSet()) > 1 || f.PastDue != nil) {
		d, err := dialectOf(ctx, db)
		if err != nil {
			return nil, err
		}
		deferred = d == dialect.Postgres
	}
	conn := &ent.InvoiceConnection{Edges: []*ent.InvoiceEdge{}}
	left, seen := first, false
	for _, r := range ranges {
		beyond, ok := r.after(orderBy, after, seen)
		seen = seen || r.holds(after)
		if !ok {
			continue
		}
		q := db.Invoice.Query().Where(r.where, beyond)
		if left == 0 || !withEdges {
			// The page is full (or no edges asked): only whether more follow.
			more, err := f.Apply(ctx, q).Limit(left + 1).IDs(ctx)
			if err != nil {
				return nil, err
			}
			if len(more) > left {
				conn.PageInfo.HasNextPage = true
				break
			}
			left -= len(more)
			continue
		}
		if deferred {
			// The page's ids first, from the index alone, then its rows.
			ids, err := f.Apply(ctx, q.Clone()).Order(orderTerms(orderBy)).Limit(left + 1).IDs(ctx)
			if err != nil {
				return nil, err
			}
			if len(ids) == 0 {
				continue
			}
			q = q.Where(invoice.IDIn(ids...))
		}
		page, err := q.Paginate(pctx, nil, &left, nil, nil, filter, entOrder)
		if err != nil {
			return nil, err
		}
		conn.Edges = append(conn.Edges, page.Edges...)
		if page.PageInfo.HasNextPage {
			conn.PageInfo.HasNextPage = true
			break
		}
		left -= len(page.Edges)
	}
	conn.PageInfo.HasPreviousPage = after != nil
	cursors := make([]*entgql.Cursor[string], len(conn.Edges))
	for i, e := range conn.Edges {
		cursors[i] = &e.Cursor
	}
	tagCursors(cursors, order)
	if n := len(conn.Edges); n > 0 {
		conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
		conn.PageInfo.EndCursor = &conn.Edges[n-1].Cursor
	}
	if selects(ctx, "totalCount") {
		if conn.TotalCount, err = f.Apply(ctx, db.Invoice.Query()).Count(ctx); err != nil {
			return nil, fmt.Errorf("count invoices: %w", err)
		}
	}
	return conn, nil
}

// listCustomers answers the merchant's customers list, newest first by
// default, the way listInvoices pages (one ordering: creation, then id).
func listCustomers(ctx context.Context, db *ent.Client, first int, after *entgql.Cursor[string], f customers.Filter, orderBy *ent.CustomerOrder) (*ent.CustomerConnection, error) {
	if orderBy == nil {
		orderBy = &ent.CustomerOrder{Direction: entgql.OrderDirectionDesc, Field: ent.CustomerOrderFieldCreatedAt}
	}
	var field string
	if orderBy.Field != nil {
		field = orderBy.Field.String()
	}
	order := orderKey("customers", field, orderBy.Direction)
	after, err := untagCursor(after, order)
	if err != nil {
		return nil, err
	}
	if f.Query != "" {
		d, err := dialectOf(ctx, db)
		if err != nil {
			return nil, err
		}
		if d == dialect.SQLite {
			if err := f.Prepare(ctx, db); err != nil {
				return nil, err
			}
		}
	}
	apply := func(q *ent.CustomerQuery) (*ent.CustomerQuery, error) { return f.Apply(ctx, q) }
	column := customer.FieldID
	if orderBy.Field != nil {
		column = customer.FieldCreatedAt // the only ordering field
	}
	desc := orderBy.Direction == entgql.OrderDirectionDesc
	q := db.Customer.Query()
	if after != nil {
		q = q.Where(func(s *sql.Selector) {
			switch {
			case column == customer.FieldID && desc:
				s.Where(sql.LT(s.C(customer.FieldID), after.ID))
			case column == customer.FieldID:
				s.Where(sql.GT(s.C(customer.FieldID), after.ID))
			case desc:
				s.Where(sql.CompositeLT([]string{s.C(customer.FieldCreatedAt), s.C(customer.FieldID)}, after.Value, after.ID))
			default:
				s.Where(sql.CompositeGT([]string{s.C(customer.FieldCreatedAt), s.C(customer.FieldID)}, after.Value, after.ID))
			}
		})
	}
	var conn *ent.CustomerConnection
	if selects(ctx, "edges") {
		var err error
		conn, err = q.Paginate(pagerContext(ctx), nil, &first, nil, nil, ent.WithCustomerFilter(apply), ent.WithCustomerOrder(orderBy))
		if err != nil {
			return nil, err
		}
	} else {
		conn = &ent.CustomerConnection{Edges: []*ent.CustomerEdge{}}
		fq, err := apply(q)
		if err != nil {
			return nil, err
		}
		ids, err := fq.Limit(first + 1).IDs(ctx)
		if err != nil {
			return nil, err
		}
		conn.PageInfo.HasNextPage = len(ids) > first
	}
	conn.PageInfo.HasPreviousPage = after != nil
	cursors := make([]*entgql.Cursor[string], len(conn.Edges))
	for i, e := range conn.Edges {
		cursors[i] = &e.Cursor
	}
	tagCursors(cursors, order)
	if selects(ctx, "totalCount") {
		fq, err := apply(db.Customer.Query())
		if err != nil {
			return nil, err
		}
		if conn.TotalCount, err = fq.Count(ctx); err != nil {
			return nil, fmt.Errorf("count customers: %w", err)
		}
	}
	return conn, nil
}

// orderTerms orders invoices as entgql's pager does for o: by its column,
// then id, both in its direction.
func orderTerms(o *ent.InvoiceOrder) func(*sql.Selector) {
	column, _ := invoiceOrderColumn(o)
	return func(s *sql.Selector) {
		if o.Direction == entgql.OrderDirectionDesc {
			s.OrderBy(sql.Desc(s.C(column)), sql.Desc(s.C(invoice.FieldID)))
		} else {
			s.OrderBy(sql.Asc(s.C(column)), sql.Asc(s.C(invoice.FieldID)))
		}
	}
}
