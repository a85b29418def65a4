package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/viewer"
)

// invoiceClock returns ctx on the time of inv's test clock, when its
// customer lives on one: due dates, reminders, retries and "past due" are
// judged on the clock's frozen time. Other invoices keep ctx's clock, at
// no cost.
func (s *Service) invoiceClock(ctx context.Context, tx *ent.Tx, inv *ent.Invoice) (context.Context, error) {
	if inv.TestClockID == nil {
		return ctx, nil
	}
	return s.testClockContext(ctx, tx, *inv.TestClockID)
}

// testClockContext returns ctx on test clock id's time.
func (s *Service) testClockContext(ctx context.Context, tx *ent.Tx, id string) (context.Context, error) {
	// The merchant's clock, read for its customer too (the portal): its
	// time is what their invoices live by.
	rctx := ctx
	if v, ok := viewer.FromContext(ctx); ok && v.CustomerID != "" {
		rctx = viewer.NewContext(ctx, v.WithoutCustomer())
	}
	var tc *ent.TestClock
	var err error
	if tx != nil {
		tc, err = tx.TestClock.Get(rctx, id)
	} else {
		tc, err = s.db.TestClock.Get(rctx, id)
	}
	if err != nil {
		return nil, fmt.Errorf("load test clock %s: %w", id, err)
	}
	return clock.Simulate(ctx, tc.FrozenTime), nil
}

// Now is the time inv lives on: its test clock's, or ctx's.
func (s *Service) Now(ctx context.Context, inv *ent.Invoice) time.Time {
	if inv.TestClockID != nil {
		if tctx, err := s.testClockContext(ctx, nil, *inv.TestClockID); err == nil {
			return clock.Now(tctx)
		}
	}
	return clock.Now(ctx)
}

// NextOnClock is the earliest time at which something falls due for the
// invoices and payments on test clock id (a collection step, a due date
// passing, a debit settling, a payment left awaiting authentication
// timing out), or nil when nothing is planned.
func (s *Service) NextOnClock(ctx context.Context, id string) (*time.Time, error) {
	var next *time.Time
	consider := func(t *time.Time, after time.Duration) {
		if t == nil {
			return
		}
		at := t.Add(after)
		if next == nil || at.Before(*next) {
			next = &at
		}
	}
	inv, err := s.db.Invoice.Query().
		Where(invoice.TestClockID(id), invoice.NextCollectionAtNotNil()).
		Order(invoice.ByNextCollectionAt()).First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, fmt.Errorf("next collection on test clock: %w", err)
	}
	if inv != nil {
		consider(inv.NextCollectionAt, 0)
	}
	// MarkOverdue takes invoices due strictly before now.
	inv, err = s.db.Invoice.Query().
		Where(invoice.TestClockID(id), invoice.StatusEQ(invoice.StatusOpen), invoice.OverdueAtIsNil(), invoice.DueDateNotNil()).
		Order(invoice.ByDueDate()).First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, fmt.Errorf("next due date on test clock: %w", err)
	}
	if inv != nil {
		consider(inv.DueDate, time.Second)
	}
	p, err := s.db.Payment.Query().
		Where(payment.TestClockID(id), payment.StatusEQ(payment.StatusProcessing), payment.SettlesAtNotNil()).
		Order(payment.BySettlesAt()).First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, fmt.Errorf("next settlement on test clock: %w", err)
	}
	if p != nil {
		consider(p.SettlesAt, 0)
	}
	waiting, err := s.db.Payment.Query().
		Where(payment.TestClockID(id), payment.StatusEQ(payment.StatusRequiresAction)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("payments awaiting authentication on test clock: %w", err)
	}
	for _, p := range waiting {
		timeout := RequiresActionTimeout
		if offSession(p) {
			timeout = OffSessionActionTimeout
		}
		consider(&p.CreatedAt, timeout+time.Second)
	}
	return next, nil
}
