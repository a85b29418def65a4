package store

import (
	"context"
	"slices"

	entgo "entgo.io/ent"
	"entgo.io/ent/dialect/sql"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/balancetransaction"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/invoiceline"
	"github.com/remitbilling/remit/ent/invoicetransition"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/ent/paymentmethod"
)

// prepareReads installs the query interceptors every read relies on (the
// GraphQL APIs' above all), on the client Open builds, so that no caller
// can read through a client without them:
//
//   - entgql prunes selected columns to the GraphQL fields asked for, but
//     every Money field renders in its row's currency, which clients rarely
//     select: rows carrying money always read their currency column;
//   - ent's edge loaders do not order, and PostgreSQL returns rows in no
//     particular order without ORDER BY: an invoice's lines read in
//     position order, its history in time order;
//   - ent makes a query that follows an edge DISTINCT, for paths that can
//     reach a row twice. A line belongs to one invoice, and lines are only
//     reached from one invoice (Invoice.lines): DISTINCT over their JSON
//     columns would only cost the database a sort of every column.
func prepareReads(db *ent.Client) *ent.Client {
	db.Invoice.Intercept(reading(func(q *ent.InvoiceQuery) {
		q.Modify(selectAlso(invoice.FieldCurrency))
	}))
	db.InvoiceLine.Intercept(reading(func(q *ent.InvoiceLineQuery) {
		q.Order(ent.Asc(invoiceline.FieldPosition), ent.Asc(invoiceline.FieldID))
		q.Modify(selectAlso(invoiceline.FieldCurrency, invoiceline.FieldPosition))
		q.Unique(false)
	}))
	db.InvoiceTransition.Intercept(reading(func(q *ent.InvoiceTransitionQuery) {
		q.Order(ent.Asc(invoicetransition.FieldCreatedAt), ent.Asc(invoicetransition.FieldID))
		q.Modify(selectAlso(invoicetransition.FieldCreatedAt))
	}))
	db.Customer.Intercept(reading(func(q *ent.CustomerQuery) {
		// paymentmethods.Service.IsDefault reads the customer a method was listed with.
		q.Modify(selectAlso(customer.FieldCurrency, customer.FieldDefaultPaymentMethodID))
	}))
	db.BalanceTransaction.Intercept(reading(func(q *ent.BalanceTransactionQuery) {
		q.Modify(selectAlso(balancetransaction.FieldCurrency))
	}))
	// Payments and payment methods loaded with a list are ordered (and the
	// methods filtered) in Go: billing.InvoicePayments, paymentmethods.Of.
	db.Payment.Intercept(reading(func(q *ent.PaymentQuery) {
		q.Modify(selectAlso(payment.FieldCurrency, payment.FieldCreatedAt))
	}))
	db.PaymentMethod.Intercept(reading(func(q *ent.PaymentMethodQuery) {
		q.Modify(selectAlso(paymentmethod.FieldCreatedAt, paymentmethod.FieldDetachedAt, paymentmethod.FieldCustomerID))
	}))
	return db
}

// reading returns an interceptor applying adjust to queries of type Q that
// load entities (not counts or single columns). Eager loads run in their
// parent's query context, whose operation is a read too.
func reading[Q ent.Query](adjust func(Q)) ent.Interceptor {
	return ent.InterceptFunc(func(next ent.Querier) ent.Querier {
		return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
			if tq, ok := q.(Q); ok && loadsRows(ctx) {
				adjust(tq)
			}
			return next.Query(ctx, q)
		})
	})
}

func loadsRows(ctx context.Context) bool {
	qc := entgo.QueryFromContext(ctx)
	if qc == nil {
		return false
	}
	switch qc.Op {
	case entgo.OpQueryAll, entgo.OpQueryOnly, entgo.OpQueryFirst:
		return true
	}
	return false
}

// selectAlso adds columns to a selection that lacks them; a read of every
// column already has them.
func selectAlso(columns ...string) func(*sql.Selector) {
	return func(s *sql.Selector) {
		selected := s.SelectedColumns()
		for _, c := range columns {
			if qc := s.C(c); !slices.Contains(selected, qc) {
				s.AppendSelect(qc)
			}
		}
	}
}
