package billing

import (
	"context"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/internal/clock"
)

// Filter narrows an invoice listing; zero fields do not filter.
type Filter struct {
	Statuses      []invoice.Status
	CustomerID    string
	Currency      string
	Number        string
	CreatedAfter  *time.Time
	CreatedBefore *time.Time
	DueAfter      *time.Time
	DueBefore     *time.Time
	PastDue       *bool
}

// Apply adds the filter to q, judging "past due" by the clock in ctx.
func (f Filter) Apply(ctx context.Context, q *ent.InvoiceQuery) *ent.InvoiceQuery {
	if len(f.Statuses) > 0 {
		q = q.Where(invoice.StatusIn(f.Statuses...))
	}
	if f.CustomerID != "" {
		q = q.Where(invoice.CustomerID(f.CustomerID))
	}
	if f.Currency != "" {
		q = q.Where(invoice.CurrencyEqualFold(f.Currency))
	}
	if f.Number != "" {
		q = q.Where(invoice.Number(f.Number))
	}
	if f.CreatedAfter != nil {
		q = q.Where(invoice.CreatedAtGTE(*f.CreatedAfter))
	}
	if f.CreatedBefore != nil {
		q = q.Where(invoice.CreatedAtLT(*f.CreatedBefore))
	}
	if f.DueAfter != nil {
		q = q.Where(invoice.DueDateGTE(*f.DueAfter))
	}
	if f.DueBefore != nil {
		q = q.Where(invoice.DueDateLT(*f.DueBefore))
	}
	if f.PastDue != nil {
		// DueDateNotNil keeps the predicate true or false, never NULL, so
		// its negation keeps invoices without a due date (drafts, automatic
		// collection) instead of dropping them.
		pastDue := invoice.And(
			invoice.StatusIn(invoice.StatusOpen, invoice.StatusUncollectible),
			invoice.DueDateNotNil(),
			invoice.DueDateLT(clock.Now(ctx)),
		)
		if *f.PastDue {
			q = q.Where(pastDue)
		} else {
			q = q.Where(invoice.Not(pastDue))
		}
	}
	return q
}

// PastDue reports whether an invoice awaits payment after its due date.
func PastDue(ctx context.Context, inv *ent.Invoice) bool {
	if inv.Status != invoice.StatusOpen && inv.Status != invoice.StatusUncollectible {
		return false
	}
	return inv.DueDate != nil && inv.DueDate.Before(clock.Now(ctx))
}

// AmountRemaining is what is left to pay on an invoice.
func AmountRemaining(inv *ent.Invoice) int64 { return inv.AmountDue - inv.AmountPaid }
