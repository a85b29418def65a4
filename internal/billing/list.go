package billing

import (
	"context"
	"slices"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/predicate"
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
	// Standings keeps invoices in one of these standings (StandingIn).
	Standings []Standing

	// OrderedBy is the invoice column the list is ordered by
	// (invoice.FieldCreatedAt when empty). Past due then compares the due
	// date in a way SQLite's planner does not take for a range of the due
	// date index, unless the list is in due date order: without value
	// statistics it would read every invoice due before now from that
	// index and sort them, where the list's own index returns the first
	// past-due invoices in order after a few entries.
	OrderedBy string
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
		q = q.Where(currencyIs(f.Currency))
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
	if len(f.Standings) > 0 {
		q = q.Where(StandingIn(clock.Now(ctx), f.Standings))
	}
	if f.PastDue != nil {
		// DueDateNotNil keeps the predicate true or false, never NULL, so
		// its negation keeps invoices without a due date (drafts, automatic
		// collection) instead of dropping them.
		// DueDate NOT NULL keeps the predicate true or false, never NULL.
		due := invoice.And(invoice.DueDateNotNil(), invoice.DueDateLT(clock.Now(ctx)))
		if f.OrderedBy != invoice.FieldDueDate {
			due = dueDateBeforeNoRange(clock.Now(ctx))
		}
		awaiting := awaitingPayment()
		if f.OrderedBy == invoice.FieldTotal || f.OrderedBy == invoice.FieldDueDate {
			// No awaiting-payment index in these orders: keep the status
			// test out of SQLite's choice of ranges, or it reads every
			// awaiting invoice from the status index and sorts them.
			awaiting = statusNoRange(awaitingPayment())
		}
		pastDue := invoice.And(awaiting, due)
		if *f.PastDue {
			q = q.Where(pastDue)
		} else {
			q = q.Where(invoice.Not(pastDue))
		}
	}
	return q
}

// currencyIs matches invoices in currency, case-insensitively. Stored
// currencies are upper-case ISO codes (money.Normalize), so this is an
// equality an index can serve, where a case-insensitive comparison
// (LOWER(currency) = …, ILIKE) must read each row. It matches what the
// case-insensitive comparison matched: the code whose lower case is the
// input's.
func currencyIs(code string) predicate.Invoice {
	lower := strings.ToLower(code)
	for i := 0; i < len(lower); i++ {
		if lower[i] >= 0x80 {
			// No stored code lowers to anything but ASCII.
			return func(s *sql.Selector) { s.Where(sql.False()) }
		}
	}
	return invoice.Currency(strings.ToUpper(lower))
}

// statusNoRange is awaitingPayment written, on SQLite, with a unary plus
// before status, which keeps it a test of each row (or index entry).
func statusNoRange(p predicate.Invoice) predicate.Invoice {
	return func(s *sql.Selector) {
		if s.Dialect() != dialect.SQLite {
			p(s)
			return
		}
		s.Where(sql.P(func(b *sql.Builder) {
			b.WriteString("+").WriteString(s.C(invoice.FieldStatus)).WriteString(" IN ('OPEN', 'UNCOLLECTIBLE')")
		}))
	}
}

// dueDateBeforeNoRange is due_date IS NOT NULL AND due_date < t written,
// on SQLite, with a unary plus before each due_date: that keeps both a
// test of each row (or index entry), out of the planner's choice of index
// ranges.
func dueDateBeforeNoRange(t time.Time) predicate.Invoice {
	return func(s *sql.Selector) {
		col := s.C(invoice.FieldDueDate)
		if s.Dialect() != dialect.SQLite {
			s.Where(sql.And(sql.NotNull(col), sql.LT(col, t)))
			return
		}
		s.Where(sql.P(func(b *sql.Builder) {
			b.WriteString("(+").WriteString(col).WriteString(" IS NOT NULL AND +").WriteString(col).WriteString(" < ").Arg(t).WriteString(")")
		}))
	}
}

// awaitingPayment matches open and uncollectible invoices, written as the
// condition of the partial indexes of invoices awaiting payment
// (ent/schema's awaitingPayment): SQLite uses a partial index only for a
// query whose WHERE clause has its condition as written, constants and
// all, never with bound values.
func awaitingPayment() predicate.Invoice {
	return func(s *sql.Selector) {
		s.Where(sql.P(func(b *sql.Builder) {
			b.WriteString(s.C(invoice.FieldStatus)).WriteString(" IN ('OPEN', 'UNCOLLECTIBLE')")
		}))
	}
}

// ExcludesDrafts reports whether no draft passes the filter: the only
// invoices without a number (every other status was reached through
// finalization, which numbers the invoice).
func (f Filter) ExcludesDrafts() bool {
	if f.Number != "" {
		return true
	}
	set := f.StatusSet()
	return set != nil && !slices.Contains(set, invoice.StatusDraft)
}

// NeedsDueDate reports whether only invoices with a due date pass the
// filter.
func (f Filter) NeedsDueDate() bool {
	return f.DueAfter != nil || f.DueBefore != nil || (f.PastDue != nil && *f.PastDue)
}

// StatusSet returns the statuses an invoice may have to pass the filter
// (Statuses, narrowed by PastDue: true to those awaiting payment), or nil
// when the filter does not restrict the status. The statuses are distinct
// and in no particular order.
func (f Filter) StatusSet() []invoice.Status {
	var set []invoice.Status
	switch {
	case len(f.Statuses) > 0:
		for _, st := range f.Statuses {
			if !slices.Contains(set, st) {
				set = append(set, st)
			}
		}
	case f.PastDue != nil && *f.PastDue:
		return []invoice.Status{invoice.StatusOpen, invoice.StatusUncollectible}
	default:
		return nil
	}
	if f.PastDue != nil && *f.PastDue {
		set = slices.DeleteFunc(set, func(st invoice.Status) bool {
			return st != invoice.StatusOpen && st != invoice.StatusUncollectible
		})
	}
	return set
}

// PastDue reports whether an invoice awaits payment after its due date.
func PastDue(inv *ent.Invoice, now time.Time) bool {
	switch inv.Status {
	case invoice.StatusOpen:
		// As the standing says: a plan is past due once an installment
		// is.
		return overdueAt(inv, now)
	case invoice.StatusUncollectible:
		return inv.DueDate != nil && inv.DueDate.Before(now)
	}
	return false
}

// AmountRemaining is what is left to pay on an invoice.
func AmountRemaining(inv *ent.Invoice) int64 { return inv.AmountDue - inv.AmountPaid }

// AwaitingPayment is awaitingPayment for queries outside billing that
// read the same partial indexes (the receivables aging report).
func AwaitingPayment() predicate.Invoice { return awaitingPayment() }
