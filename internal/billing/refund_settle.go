package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/refund"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/payments"
	"github.com/remitbilling/remit/internal/viewer"
)

// SettleRefunds asks the processor again about refunds whose time has
// come: pending refunds of bank debits that settle, succeeded refunds that
// may still fail (the asynchronous-failure test card), and refunds whose
// processor call was lost (a timeout, a crash between reserving and
// sending), which it sends again with the same key. It serves every
// account: run it from the worker. Several processes may run it at once:
// an outcome is applied only from the status it was read in (see
// applyRefund), and the processor deduplicates a refund sent twice.
func (s *Service) SettleRefunds(ctx context.Context, limit int) (int, error) {
	sys := viewer.Bypass(ctx, "the worker settles every account's refunds")
	now := clock.Now(ctx)
	due, err := s.db.Refund.Query().
		Where(refund.Or(
			refund.And(refund.StatusIn(refund.StatusPending, refund.StatusSucceeded), refund.SettlesAtLTE(now)),
			// Not sent, or sent without a time to ask again: after a
			// minute, so that a request still sending it goes first.
			refund.And(refund.StatusEQ(refund.StatusPending), refund.SettlesAtIsNil(), refund.CreatedAtLT(now.Add(-time.Minute))),
		)).
		Order(ent.Asc(refund.FieldCreatedAt), ent.Asc(refund.FieldID)).
		Limit(limit).
		WithPayment().
		All(sys)
	if err != nil {
		return 0, fmt.Errorf("find refunds to settle: %w", err)
	}
	n := 0
	for _, r := range due {
		vctx := viewer.NewContext(ctx, viewer.System(r.AccountID, r.Mode, "worker"))
		if r.ProcessorReference == "" {
			after, err := s.sendRefund(vctx, r)
			if err != nil {
				return n, err
			}
			if after.ProcessorReference != "" {
				n++
			}
			continue
		}
		proc, err := s.processor(vctx, r.AccountID, r.Mode)
		if err != nil {
			return n, err
		}
		res, err := proc.SettleRefund(vctx, r.ProcessorReference)
		if err != nil {
			if !definitive(err) {
				continue // unknown; try on the next run
			}
			// The processor does not know the refund as recorded: it
			// cannot settle, so it fails and its amount is released.
			res = payments.RefundResult{Status: payments.RefundFailed, FailureCode: payments.CodeProcessingError, FailureMessage: err.Error()}
		}
		if res.Status == payments.RefundPending && res.SettlesAt.IsZero() {
			// No date given (a real provider): ask again later, not on
			// every run; its webhook normally tells first.
			res.SettlesAt = now.Add(reconcileWait(r.CreatedAt, now))
		}
		if string(res.Status) == string(r.Status) && !res.SettlesAt.IsZero() && r.SettlesAt != nil && res.SettlesAt.Equal(*r.SettlesAt) {
			continue // nothing new before its time
		}
		if _, err := s.applyRefund(vctx, r, res); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
