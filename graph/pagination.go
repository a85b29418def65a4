package graph

import (
	"context"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/internal/billing"
)

// paginateInvoices pages through invoices, newest first by default.
func paginateInvoices(ctx context.Context, q *ent.InvoiceQuery, first int, after *entgql.Cursor[string], f billing.Filter, orderBy *ent.InvoiceOrder) (*ent.InvoiceConnection, error) {
	if orderBy == nil {
		orderBy = &ent.InvoiceOrder{Direction: entgql.OrderDirectionDesc, Field: ent.InvoiceOrderFieldCreatedAt}
	}
	return q.Paginate(ctx, after, &first, nil, nil,
		ent.WithInvoiceFilter(func(q *ent.InvoiceQuery) (*ent.InvoiceQuery, error) { return f.Apply(ctx, q), nil }),
		ent.WithInvoiceOrder(orderBy))
}

// nullableInvoiceOrder returns the column of an invoice ordering whose
// values may be NULL (drafts have no number, drafts and automatically
// collected invoices no due date), or "".
func nullableInvoiceOrder(field string) string {
	switch field {
	case "NUMBER":
		return invoice.FieldNumber
	case "DUE_DATE":
		return invoice.FieldDueDate
	}
	return ""
}

// invoicesAfter selects the invoices that follow cursor in an ordering by
// the nullable column then id, in direction. entgql's own cursor predicate
// compares (column, id) as a row, which never matches a NULL, and for a
// cursor on a NULL compares ids alone: pages lose and repeat invoices once
// they reach the NULLs. The database decides where NULLs sort (PostgreSQL
// after every value, SQLite before), so this asks it which.
func invoicesAfter(column string, cursor *entgql.Cursor[string], direction entgql.OrderDirection) func(*sql.Selector) {
	return func(s *sql.Selector) {
		col, id := s.C(column), s.C(invoice.FieldID)
		asc := direction == entgql.OrderDirectionAsc
		nullsLargest := s.Dialect() == dialect.Postgres
		// Whether the NULLs come after the values in this direction.
		nullsAfter := nullsLargest == asc
		idAfter := sql.GT(id, cursor.ID)
		if !asc {
			idAfter = sql.LT(id, cursor.ID)
		}
		if cursor.Value == nil {
			p := sql.And(sql.IsNull(col), idAfter)
			if !nullsAfter {
				p = sql.Or(p, sql.NotNull(col))
			}
			s.Where(p)
			return
		}
		valueAfter := sql.GT(col, cursor.Value)
		if !asc {
			valueAfter = sql.LT(col, cursor.Value)
		}
		p := sql.Or(valueAfter, sql.And(sql.EQ(col, cursor.Value), idAfter))
		if nullsAfter {
			p = sql.Or(p, sql.IsNull(col))
		}
		s.Where(p)
	}
}
