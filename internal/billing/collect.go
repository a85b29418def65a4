package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/collection"
	"github.com/remitbilling/remit/internal/events"
	"github.com/remitbilling/remit/internal/payments"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/values"
	"github.com/remitbilling/remit/internal/viewer"
)

// Collection is what happens to an open invoice after it is issued, on
// its own: reminders before and after its due date, retries of a failed
// automatic charge, a payment its customer scheduled and the notice
// before it. What is planned lives on the invoice (last_reminder_at,
// next_payment_attempt_at, scheduled_payment), and next_collection_at is
// the earliest of it: the collections job reads due invoices from one
// partial index and, for each, does in one transaction what has come due
// and plans the next step. Every write that changes what is planned
// (finalization, a payment, a schedule, leaving OPEN) sets
// next_collection_at in the same update.

// collectionLease is how long the collections job holds an invoice it
// charges outside a transaction: a process that dies mid-charge leaves
// it to be picked up again after this, and the payment's Idempotency-Key
// makes the second try find the first one's payment.
const collectionLease = 5 * time.Minute

// collectionBackoff is how long an invoice whose step failed waits before
// the job tries it again, so that it never holds up the others.
const collectionBackoff = 5 * time.Minute

// ScheduledNoticeDays is how many days before a scheduled payment the
// customer is told it is coming.
const ScheduledNoticeDays = 3

// RunCollections does the collection steps due at clock.Now(ctx) for up
// to limit invoices, across accounts: those on real time when testClockID
// is empty, else those on that test clock. It returns how many invoices
// it acted on. A step that fails is reported and its invoice put back
// collectionBackoff later; the others still run.
func (s *Service) RunCollections(ctx context.Context, testClockID string, limit int) (int, error) {
	sys := viewer.Bypass(ctx, "the collections job serves every account")
	now := clock.Now(ctx)
	q := s.db.Invoice.Query().Where(invoice.NextCollectionAtLTE(now))
	if testClockID == "" {
		q.Where(invoice.TestClockIDIsNil())
	} else {
		q.Where(invoice.TestClockID(testClockID))
	}
	// In the index's order alone: ties need no order, and a second key
	// would sort every due row.
	due, err := q.Order(invoice.ByNextCollectionAt()).Limit(limit).
		Select(invoice.FieldID, invoice.FieldAccountID, invoice.FieldMode, invoice.FieldNextCollectionAt).
		All(sys)
	if err != nil {
		return 0, fmt.Errorf("find invoices to collect: %w", err)
	}
	n := 0
	var errs []error
	for _, inv := range due {
		vctx := viewer.NewContext(ctx, viewer.System(inv.AccountID, inv.Mode, "scheduler"))
		acted, err := s.collect(vctx, inv.ID, *inv.NextCollectionAt)
		if err != nil {
			errs = append(errs, fmt.Errorf("collect invoice %s: %w", inv.ID, err))
			if berr := s.postpone(vctx, inv.ID, *inv.NextCollectionAt, now.Add(collectionBackoff)); berr != nil {
				errs = append(errs, berr)
			}
		}
		if acted || err != nil {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// postpone moves an invoice's next collection step from planned to at,
// unless it changed meanwhile.
func (s *Service) postpone(ctx context.Context, id string, planned, at time.Time) error {
	err := s.db.Invoice.Update().
		Where(invoice.ID(id), invoice.NextCollectionAt(planned)).
		SetNextCollectionAt(at).Exec(ctx)
	if err != nil {
		return fmt.Errorf("postpone invoice %s: %w", id, err)
	}
	return nil
}

// collect does what is due for invoice id, which the job found due at
// planned. The invoice is read locked (PostgreSQL) or under the
// database's write lock (SQLite), and nothing happens unless it is still
// open and still planned for then: a step is taken once, whatever the
// number of processes, and an invoice paid or voided a moment before gets
// nothing. Reminders and notices are written in that transaction; a
// charge is made after it, through Pay, which records its outcome and
// plans what follows.
func (s *Service) collect(ctx context.Context, id string, planned time.Time) (bool, error) {
	var charge *PayInput
	acted := false
	err := s.run(ctx, func(tx *ent.Tx) error {
		inv, err := s.lockInvoice(ctx, tx, id, "id")
		if ue := usererr.From(err); len(ue) > 0 {
			return nil // deleted with its test clock
		}
		if err != nil {
			return err
		}
		if inv.NextCollectionAt == nil || !inv.NextCollectionAt.Equal(planned) {
			return nil // done by another process, or replanned
		}
		ctx, err = s.invoiceClock(ctx, tx, inv)
		if err != nil {
			return err
		}
		now := clock.Now(ctx)
		u := update(tx, inv)
		if inv.Status != invoice.StatusOpen {
			clearCollection(u)
			return u.Exec(ctx)
		}
		set, err := s.collectionSettings(ctx, tx, inv, nil)
		if err != nil {
			return err
		}
		var steps []step
		var extra []events.Type
		if r := dueReminder(set, inv, now); r != nil {
			u.SetLastReminderAt(r.At).AddReminderCount(1)
			// The reminder's link works for as long as after issuing.
			if exp := inv.HostedTokenExpiresAt; exp != nil && exp.Before(now.Add(hostedAfterDue)) {
				u.SetHostedTokenExpiresAt(now.Add(hostedAfterDue))
			}
			if err := s.enqueueReminder(ctx, tx, inv, *r); err != nil {
				return err
			}
			steps = append(steps, step{HistoryReminder, "", events.InvoiceReminderSent, describeReminder(*r)})
			if r.OffsetDays < 0 {
				extra = append(extra, events.InvoiceWillBeDue)
			}
		}
		if sp := inv.ScheduledPayment; sp != nil {
			if !sp.NoticeSent && !noticeAt(sp).After(now) {
				sent := *sp
				sent.NoticeSent = true
				u.SetScheduledPayment(&sent)
				if set.Emails.ScheduledPayment {
					if err := s.enqueueScheduledPayment(ctx, tx, inv, &sent, true); err != nil {
						return err
					}
				}
				acted = true
			}
			if !sp.At.After(now) {
				charge = &PayInput{InvoiceID: inv.ID, PaymentMethodID: sp.PaymentMethodID, Source: payment.SourceScheduled,
					IdempotencyKey: "scheduled:" + inv.ID + ":" + sp.ScheduledAt.Format(time.RFC3339Nano)}
				if sp.Amount > 0 {
					amount := sp.Amount
					charge.Amount = &amount
				}
			}
		}
		if charge == nil && inv.NextPaymentAttemptAt != nil && !inv.NextPaymentAttemptAt.After(now) {
			charge = &PayInput{InvoiceID: inv.ID, Source: payment.SourceAutomatic,
				IdempotencyKey: fmt.Sprintf("retry:%s:%d", inv.ID, inv.AttemptCount+1)}
		}
		next := nextCollection(set, applied(inv, u.Mutation()))
		if charge != nil {
			// Held while the charge is made outside this transaction:
			// another process finds it planned for later and leaves it;
			// the charge's outcome plans what follows.
			lease := now.Add(collectionLease)
			next = &lease
		}
		setNextCollection(u, next)
		if len(steps) == 0 {
			return u.Exec(ctx)
		}
		acted = true
		after, err := transition(ctx, tx, inv, u, steps...)
		if err != nil {
			return err
		}
		for _, t := range extra {
			if err := events.Record(ctx, tx, t, after); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || charge == nil {
		return acted, err
	}
	_, _, err = s.Pay(ctx, *charge)
	if ue := usererr.From(err); len(ue) > 0 {
		return true, s.chargeNotMade(ctx, charge, ue[0])
	}
	return true, err
}

// chargeNotMade records that a due automatic or scheduled charge could
// not even be attempted (no usable payment method, nothing left to pay):
// the retries stop, as after a hard decline, and the scheduled payment is
// dropped.
func (s *Service) chargeNotMade(ctx context.Context, charge *PayInput, why *usererr.Error) error {
	return s.run(ctx, func(tx *ent.Tx) error {
		inv, err := s.lockInvoice(ctx, tx, charge.InvoiceID, "id")
		if err != nil || inv.Status != invoice.StatusOpen {
			return err
		}
		ctx, err = s.invoiceClock(ctx, tx, inv)
		if err != nil {
			return err
		}
		set, err := s.collectionSettings(ctx, tx, inv, nil)
		if err != nil {
			return err
		}
		u := update(tx, inv)
		what := "automatic retry"
		if charge.Source == payment.SourceScheduled {
			what = "scheduled payment"
			u.ClearScheduledPayment().ClearScheduledPaymentAt()
		} else {
			u.ClearNextPaymentAttemptAt()
		}
		setNextCollection(u, nextCollection(set, applied(inv, u.Mutation())))
		_, err = transition(ctx, tx, inv, u, step{HistoryPaymentFailed, "", events.InvoicePaymentFailed, what + " not attempted: " + why.Message})
		return err
	})
}

// dueReminder is the reminder of inv to send at now, if any: reminders
// are for send-invoice invoices with money owed.
func dueReminder(set collection.Settings, inv *ent.Invoice, now time.Time) *collection.Reminder {
	if inv.CollectionMethod != invoice.CollectionMethodSendInvoice || AmountRemaining(inv) <= 0 {
		return nil
	}
	due, _ := collection.DueAt(collection.Reminders(set, inv.DueDate, installmentDues(inv)), reminderStart(inv), now)
	return due
}

// nextReminder is inv's next reminder not yet sent, if any.
func nextReminder(set collection.Settings, inv *ent.Invoice) *collection.Reminder {
	if inv.CollectionMethod != invoice.CollectionMethodSendInvoice || AmountRemaining(inv) <= 0 {
		return nil
	}
	start := reminderStart(inv)
	for _, r := range collection.Reminders(set, inv.DueDate, installmentDues(inv)) {
		if r.At.After(start) {
			return &r
		}
	}
	return nil
}

// reminderStart is the time after which inv's reminders count: the last
// one sent, else its finalization (a reminder whose time had passed when
// the invoice was issued is never sent).
func reminderStart(inv *ent.Invoice) time.Time {
	if inv.LastReminderAt != nil {
		return *inv.LastReminderAt
	}
	if inv.FinalizedAt != nil {
		return *inv.FinalizedAt
	}
	return inv.CreatedAt
}

// installmentDues are a plan's installments as reminders see them: a
// settled one is reminded no more.
func installmentDues(inv *ent.Invoice) []collection.Due {
	if len(inv.AmountsDue) == 0 {
		return nil
	}
	out := make([]collection.Due, 0, len(inv.AmountsDue))
	covered := inv.AmountPaid + inv.AmountPending
	for _, it := range inv.AmountsDue {
		if it.DueDate == nil {
			continue
		}
		settled := covered >= it.Amount
		covered -= min(covered, it.Amount)
		out = append(out, collection.Due{Date: *it.DueDate, Settled: settled})
	}
	return out
}

// noticeAt is when the customer is told a scheduled payment is coming.
// A payment scheduled closer than that is scheduled with its notice sent
// (the confirmation said it all).
func noticeAt(sp *values.ScheduledPayment) time.Time {
	return sp.At.AddDate(0, 0, -ScheduledNoticeDays)
}

// nextCollection is when the collections job next looks at inv (as it
// stands after the caller's changes): the earliest of its next reminder,
// its next retry, its scheduled payment and the notice before it; nil
// when nothing is planned.
func nextCollection(set collection.Settings, inv *ent.Invoice) *time.Time {
	if inv.Status != invoice.StatusOpen {
		return nil
	}
	var next *time.Time
	consider := func(t time.Time) {
		if next == nil || t.Before(*next) {
			next = &t
		}
	}
	if r := nextReminder(set, inv); r != nil {
		consider(r.At)
	}
	if inv.NextPaymentAttemptAt != nil {
		consider(*inv.NextPaymentAttemptAt)
	}
	if sp := inv.ScheduledPayment; sp != nil {
		if !sp.NoticeSent {
			consider(noticeAt(sp))
		}
		consider(sp.At)
	}
	return next
}

// replan sets on u inv's next collection step as u leaves inv, when it
// changes.
func replan(u *ent.InvoiceUpdate, set collection.Settings, inv *ent.Invoice) {
	next := nextCollection(set, applied(inv, u.Mutation()))
	cur := inv.NextCollectionAt
	if (next == nil) == (cur == nil) && (next == nil || next.Equal(*cur)) {
		return
	}
	setNextCollection(u, next)
}

func setNextCollection(u *ent.InvoiceUpdate, next *time.Time) {
	u.Mutation().ResetNextCollectionAt()
	if next == nil {
		u.ClearNextCollectionAt()
		return
	}
	u.SetNextCollectionAt(*next)
}

// clearCollection drops everything planned for an invoice that is no
// longer open.
func clearCollection(u *ent.InvoiceUpdate) {
	// Reset first: a column both set and cleared would be assigned twice.
	m := u.Mutation()
	m.ResetNextCollectionAt()
	m.ResetNextPaymentAttemptAt()
	m.ResetScheduledPayment()
	m.ResetScheduledPaymentAt()
	u.ClearNextCollectionAt().ClearNextPaymentAttemptAt().ClearScheduledPayment().ClearScheduledPaymentAt()
}

// afterAttempt sets on u (an update of inv, the invoice before the
// payment p) what an automatic or scheduled payment does to collection:
// first says p was just attempted (its first outcome), which counts an
// automatic attempt and consumes the retry or the schedule it made. A
// failed automatic charge of a charge-automatically invoice plans the
// next retry under the invoice's settings, unless the decline rules it
// out or the retries are spent; then the invoice stays open or, when the
// settings say so, the returned step marks it uncollectible. It returns
// the history note of the outcome, for the caller's step.
func afterAttempt(set collection.Settings, inv *ent.Invoice, p *ent.Payment, res payments.ChargeResult, u *ent.InvoiceUpdate, first bool, now time.Time) (note string, exhausted *step) {
	auto := p.Source == payment.SourceAutomatic
	if first {
		switch p.Source {
		case payment.SourceAutomatic:
			u.AddAttemptCount(1).ClearNextPaymentAttemptAt()
		case payment.SourceScheduled:
			u.ClearScheduledPayment().ClearScheduledPaymentAt()
		}
	}
	failed := res.Status == payments.StatusFailed || res.Status == payments.StatusCanceled
	if auto && failed && inv.CollectionMethod == invoice.CollectionMethodChargeAutomatically {
		attempts := inv.AttemptCount
		if first {
			attempts++
		}
		start := now
		if inv.RetryStartedAt != nil {
			start = *inv.RetryStartedAt
		} else {
			u.SetRetryStartedAt(now)
		}
		// The next retry still ahead: slots missed while nothing ran are
		// skipped, not made back to back.
		n := attempts
		next, planned := collection.RetryAt(set, start, n)
		for planned && !next.After(now) {
			n++
			next, planned = collection.RetryAt(set, start, n)
		}
		switch {
		case res.HardDecline():
			note = "not retried: the decline rules out charging this method again"
		case isDebit(p.MethodType) && !(set.DirectDebitRetries && res.FailureCode == payments.CodeInsufficientFunds):
			note = "not retried: debits are retried only for insufficient funds"
		case !set.RetriesEnabled:
			note = "automatic retries are off"
		case planned:
			u.Mutation().ResetNextPaymentAttemptAt() // cleared above when first
			u.SetNextPaymentAttemptAt(next)
			note = "next attempt " + next.Format("2006-01-02 15:04 MST")
		default:
			note = fmt.Sprintf("automatic retries exhausted after %d attempts", attempts)
			if set.WhenExhausted == collection.MarkUncollectible {
				exhausted = &step{HistoryMarkUncollectible, ActionMarkUncollectible, events.InvoiceMarkedUncollectible, note}
			}
		}
	}
	return note, exhausted
}

func isDebit(t payment.MethodType) bool {
	return t == payment.MethodTypeSEPADebit || t == payment.MethodTypeACHDebit
}
