package billing

import (
	"context"
	"fmt"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/events"
	"github.com/remitbilling/remit/internal/viewer"
)

// MarkOverdue records invoice.overdue, once, for open invoices whose due
// date has passed unpaid, up to limit of them, across every account: run
// it from the worker, for invoices on real time (testClockID empty) or on
// one test clock. The status does not change (overdue is a standing
// of an open invoice, not a status); overdue_at is set by a conditional
// update, so several processes running it at once record each invoice
// once.
func (s *Service) MarkOverdue(ctx context.Context, testClockID string, limit int) (int, error) {
	sys := viewer.Bypass(ctx, "the scheduler serves every account")
	now := clock.Now(ctx)
	onClock := invoice.TestClockIDIsNil()
	if testClockID != "" {
		onClock = invoice.TestClockID(testClockID)
	}
	due, err := s.db.Invoice.Query().
		Where(invoice.StatusEQ(invoice.StatusOpen), invoice.DueDateLT(now), invoice.OverdueAtIsNil(), onClock).
		Order(invoice.ByDueDate(), invoice.ByID()).
		Limit(limit).
		All(sys)
	if err != nil {
		return 0, fmt.Errorf("find overdue invoices: %w", err)
	}
	n := 0
	for _, inv := range due {
		vctx := viewer.NewContext(ctx, viewer.System(inv.AccountID, inv.Mode, "scheduler"))
		recorded := false
		err := s.run(vctx, func(tx *ent.Tx) error {
			u := tx.Invoice.Update().
				Where(invoice.ID(inv.ID), invoice.StatusEQ(invoice.StatusOpen), invoice.OverdueAtIsNil()).
				SetOverdueAt(now)
			won, err := u.Save(vctx)
			if err != nil || won == 0 {
				return err // paid, voided or recorded by another process meanwhile
			}
			after := *inv
			after.OverdueAt = &now
			recorded = true
			return events.Record(vctx, tx, events.InvoiceOverdue, &after)
		})
		if err != nil {
			return n, fmt.Errorf("mark invoice %s overdue: %w", inv.ID, err)
		}
		if recorded {
			n++
		}
	}
	return n, nil
}
