// Package testclocks runs Stripe-style test clocks: a test-mode clock that
// customers are created on, frozen until advanced. Advancing it moves its
// customers through time: in time order, everything that falls due for
// them in between (due dates passing, reminders, retries, scheduled
// payments, debits settling, authentication timing out) is done by the
// same services the scheduler runs in real time, on the clock's time.
// Nothing in live mode sees a test clock, and the real-time scheduler
// never touches what lives on one.
package testclocks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/balancetransaction"
	"github.com/remitbilling/remit/ent/creditnote"
	"github.com/remitbilling/remit/ent/creditnoteline"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/ent/customerterm"
	"github.com/remitbilling/remit/ent/emailmessage"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/invoiceline"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/ent/paymentmethod"
	"github.com/remitbilling/remit/ent/portalsession"
	"github.com/remitbilling/remit/ent/refund"
	"github.com/remitbilling/remit/ent/testclock"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/viewer"
)

// MaxAdvance is the furthest one advance may move a clock (Stripe's limit
// without subscriptions).
const MaxAdvance = 2 * 366 * 24 * time.Hour

// maxSteps bounds the instants one advance stops at, so that a plan that
// keeps rescheduling itself cannot hold a request forever.
const maxSteps = 10000

// batch is how many items each job handles per call during an advance.
const batch = 100

// Jobs are the scheduler's time-driven jobs, each scoped to one test
// clock's customers and run on the clock's time (clock.Now(ctx)).
type Jobs interface {
	// NextOnClock is when something next falls due on the clock.
	NextOnClock(ctx context.Context, clockID string) (*time.Time, error)
	MarkOverdue(ctx context.Context, clockID string, limit int) (int, error)
	SettleDue(ctx context.Context, clockID string, limit int) (int, error)
	RunCollections(ctx context.Context, clockID string, limit int) (int, error)
}

// Config is what a Service is built from.
type Config struct {
	DB   *ent.Client
	Jobs Jobs
	// Extra jobs run at every instant an advance stops at, with no time
	// of their own to report (the card-expiry notice).
	Extra []func(ctx context.Context, clockID string, limit int) (int, error)
}

// Service creates, advances and deletes test clocks.
type Service struct {
	db    *ent.Client
	jobs  Jobs
	extra []func(ctx context.Context, clockID string, limit int) (int, error)
}

// New returns a Service built from cfg.
func New(cfg Config) (*Service, error) {
	var errs []error
	if cfg.DB == nil {
		errs = append(errs, errors.New("DB is required"))
	}
	if cfg.Jobs == nil {
		errs = append(errs, errors.New("Jobs is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("testclocks: %w", err)
	}
	return &Service{db: cfg.DB, jobs: cfg.Jobs, extra: cfg.Extra}, nil
}

func testModeOnly(ctx context.Context) error {
	if v, _ := viewer.FromContext(ctx); v.Mode != viewer.Test {
		return usererr.New(usererr.Invalid, "test clocks are for test mode only: use a test key")
	}
	return nil
}

// Create makes a clock frozen at frozenTime (truncated to the second).
func (s *Service) Create(ctx context.Context, frozenTime time.Time, name string) (*ent.TestClock, error) {
	if err := testModeOnly(ctx); err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if len([]rune(name)) > 300 {
		return nil, usererr.New(usererr.Invalid, "the name is at most 300 characters", "name")
	}
	if frozenTime.IsZero() {
		return nil, usererr.New(usererr.Required, "give the clock's starting time", "frozenTime")
	}
	tc, err := s.db.TestClock.Create().SetName(name).SetFrozenTime(frozenTime.UTC().Truncate(time.Second)).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create test clock: %w", err)
	}
	return tc, nil
}

// Get returns one of the caller's clocks.
func (s *Service) Get(ctx context.Context, id string) (*ent.TestClock, error) {
	tc, err := s.db.TestClock.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, usererr.New(usererr.NotFound, "no such test clock", "id")
	}
	if err != nil {
		return nil, fmt.Errorf("load test clock: %w", err)
	}
	return tc, nil
}

// List returns the caller's clocks, newest first.
func (s *Service) List(ctx context.Context) ([]*ent.TestClock, error) {
	return s.db.TestClock.Query().Order(ent.Desc(testclock.FieldCreatedAt), ent.Desc(testclock.FieldID)).Limit(100).All(ctx)
}

// Advance moves clock id forward to to and, on the way, does in time
// order everything that falls due for its customers: at each instant
// something is planned for, the clock reads that instant and the
// scheduler's jobs run for the clock. The clock is ADVANCING meanwhile
// (a second advance is refused) and READY after; a job that fails leaves
// it INTERNAL_FAILURE at the instant it reached, with the reason, and a
// new advance resumes from there.
func (s *Service) Advance(ctx context.Context, id string, to time.Time) (*ent.TestClock, error) {
	if err := testModeOnly(ctx); err != nil {
		return nil, err
	}
	to = to.UTC().Truncate(time.Second)
	tc, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	switch {
	case !to.After(tc.FrozenTime):
		return nil, usererr.New(usererr.Invalid, "a test clock only moves forward: give a time after its frozen time", "to")
	case to.Sub(tc.FrozenTime) > MaxAdvance:
		return nil, usererr.New(usererr.Invalid, "a test clock moves at most two years at a time", "to")
	}
	// Claimed by a conditional update, so two advances never run at once.
	n, err := s.db.TestClock.Update().
		Where(testclock.ID(id), testclock.StatusNEQ(testclock.StatusAdvancing)).
		SetStatus(testclock.StatusAdvancing).SetAdvancingTo(to).SetFailure("").
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("start advancing test clock: %w", err)
	}
	if n == 0 {
		return nil, usererr.New(usererr.InvalidTransition, "the test clock is advancing already", "id")
	}
	at := tc.FrozenTime
	if runErr := s.run(ctx, id, &at, to); runErr != nil {
		if err := s.db.TestClock.UpdateOneID(id).SetStatus(testclock.StatusInternalFailure).SetFrozenTime(at).
			SetFailure(runErr.Error()).ClearAdvancingTo().Exec(ctx); err != nil {
			return nil, errors.Join(runErr, err)
		}
		return nil, fmt.Errorf("advance test clock %s: %w", id, runErr)
	}
	return s.db.TestClock.UpdateOneID(id).SetStatus(testclock.StatusReady).SetFrozenTime(to).ClearAdvancingTo().Save(ctx)
}

// run moves *at forward to to, stopping at each instant something falls
// due.
func (s *Service) run(ctx context.Context, id string, at *time.Time, to time.Time) error {
	for range maxSteps {
		next, err := s.jobs.NextOnClock(ctx, id)
		if err != nil {
			return err
		}
		step := to
		if next != nil && next.Before(to) {
			step = *next
		}
		if step.Before(*at) {
			step = *at // due already: now
		}
		if err := s.db.TestClock.UpdateOneID(id).SetFrozenTime(step).Exec(ctx); err != nil {
			return fmt.Errorf("move test clock: %w", err)
		}
		*at = step
		handled, err := s.runJobs(clock.Simulate(ctx, step), id)
		if err != nil {
			return err
		}
		if step.Equal(to) && handled == 0 {
			return nil
		}
		if handled == 0 {
			// Something reports itself due and no job takes it (a debit
			// the processor still holds): go on to the next instant
			// rather than ask again at this one.
			again, err := s.jobs.NextOnClock(ctx, id)
			if err != nil {
				return err
			}
			if again != nil && !again.After(step) {
				return s.finish(ctx, id, at, to)
			}
		}
	}
	return fmt.Errorf("more than %d instants fell due in one advance; advance by smaller steps", maxSteps)
}

// finish runs the jobs once at to, for an advance that stopped finding
// progress on its way.
func (s *Service) finish(ctx context.Context, id string, at *time.Time, to time.Time) error {
	if err := s.db.TestClock.UpdateOneID(id).SetFrozenTime(to).Exec(ctx); err != nil {
		return fmt.Errorf("move test clock: %w", err)
	}
	*at = to
	_, err := s.runJobs(clock.Simulate(ctx, to), id)
	return err
}

// runJobs runs every job for the clock at ctx's time until none has
// anything left, and returns how much they handled.
func (s *Service) runJobs(ctx context.Context, id string) (int, error) {
	// The jobs read across accounts and act as each row's account: they
	// get the caller's context, not one past the privacy rules, which
	// would also skip stamping the rows they write with their account.
	jobs := []func(context.Context, string, int) (int, error){s.jobs.MarkOverdue, s.jobs.SettleDue, s.jobs.RunCollections}
	jobs = append(jobs, s.extra...)
	total := 0
	for range maxSteps {
		round := 0
		for _, job := range jobs {
			n, err := job(ctx, id, batch)
			if err != nil {
				return total, err
			}
			round += n
		}
		total += round
		if round == 0 {
			return total, nil
		}
	}
	return total, errors.New("the clock's jobs did not settle")
}

// Delete removes clock id and everything of its customers: invoices,
// payments, refunds, credit notes, payment methods, balance entries,
// portal sessions, emails, and the customers. Events stay: they are the
// account's log.
func (s *Service) Delete(ctx context.Context, id string) error {
	if err := testModeOnly(ctx); err != nil {
		return err
	}
	if _, err := s.Get(ctx, id); err != nil {
		return err
	}
	return dbtx.Run(ctx, s.db, func(tx *ent.Tx) error {
		cus, err := tx.Customer.Query().Where(customer.TestClockID(id)).IDs(ctx)
		if err != nil {
			return fmt.Errorf("find the clock's customers: %w", err)
		}
		invs, err := tx.Invoice.Query().Where(invoice.CustomerIDIn(cus...)).IDs(ctx)
		if err != nil {
			return fmt.Errorf("find the clock's invoices: %w", err)
		}
		cns, err := tx.CreditNote.Query().Where(creditnote.InvoiceIDIn(invs...)).IDs(ctx)
		if err != nil {
			return fmt.Errorf("find the clock's credit notes: %w", err)
		}
		steps := []struct {
			what string
			del  func() (int, error)
		}{
			{"refunds", func() (int, error) { return tx.Refund.Delete().Where(refund.CustomerIDIn(cus...)).Exec(ctx) }},
			{"balance entries", func() (int, error) {
				return tx.BalanceTransaction.Delete().Where(balancetransaction.CustomerIDIn(cus...)).Exec(ctx)
			}},
			{"credit note lines", func() (int, error) {
				return tx.CreditNoteLine.Delete().Where(creditnoteline.CreditNoteIDIn(cns...)).Exec(ctx)
			}},
			{"credit notes", func() (int, error) { return tx.CreditNote.Delete().Where(creditnote.IDIn(cns...)).Exec(ctx) }},
			{"payments", func() (int, error) { return tx.Payment.Delete().Where(payment.CustomerIDIn(cus...)).Exec(ctx) }},
			{"emails", func() (int, error) {
				return tx.EmailMessage.Delete().Where(emailmessage.InvoiceIDIn(invs...)).Exec(ctx)
			}},
			{"invoice lines", func() (int, error) {
				return tx.InvoiceLine.Delete().Where(invoiceline.InvoiceIDIn(invs...)).Exec(ctx)
			}},
			{"invoices", func() (int, error) { return tx.Invoice.Delete().Where(invoice.IDIn(invs...)).Exec(ctx) }},
			{"payment methods", func() (int, error) {
				return tx.PaymentMethod.Delete().Where(paymentmethod.CustomerIDIn(cus...)).Exec(ctx)
			}},
			{"portal sessions", func() (int, error) {
				return tx.PortalSession.Delete().Where(portalsession.CustomerIDIn(cus...)).Exec(ctx)
			}},
			{"search terms", func() (int, error) {
				return tx.CustomerTerm.Delete().Where(customerterm.CustomerIDIn(cus...)).Exec(ctx)
			}},
			{"customers", func() (int, error) { return tx.Customer.Delete().Where(customer.IDIn(cus...)).Exec(ctx) }},
			{"test clock", func() (int, error) { return tx.TestClock.Delete().Where(testclock.ID(id)).Exec(ctx) }},
		}
		for _, st := range steps {
			if _, err := st.del(); err != nil {
				return fmt.Errorf("delete the clock's %s: %w", st.what, err)
			}
		}
		return nil
	})
}
