// Package worker runs Remit's background work: one scheduler loop that, at
// every tick, asks each registered Job to do whatever is due. Delivering
// the email outbox is the first job (see EmailDelivery); scheduled invoice
// sends and reminders are later ones.
//
// The loop ticks on a real ticker (Options.Interval), but every job judges
// what is due by the clock in the context (internal/clock), so a test or a
// test clock moves time for the worker too, and a test drives it tick by
// tick with Tick.
//
// Jobs must be safe with several server processes on one database: they
// claim their rows with leases (see outbox.Claim), never by assuming they
// are alone.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"
)

// Job is one kind of due work.
type Job interface {
	// Name identifies the job in logs.
	Name() string
	// RunDue does some of the work due at clock.Now(ctx) and returns how
	// many items it handled. When it returns more than zero the scheduler
	// calls it again without waiting for the next tick, so a job may work
	// in batches and still drain a backlog quickly.
	RunDue(ctx context.Context) (int, error)
}

// DefaultInterval is the tick interval when Options.Interval is zero.
const DefaultInterval = time.Second

// Options configure a Scheduler.
type Options struct {
	Interval time.Duration // between ticks; default DefaultInterval
	Logger   *slog.Logger  // default slog.Default()
	// Signal wakes the scheduler (see Signal); default a new one, woken
	// through Scheduler.Wake.
	Signal Signal
}

// Signal is a wake-up call for a Scheduler, made before it: the services
// that queue work hold it, and the scheduler's jobs hold those services,
// so it is what lets both be built once, in order, without a forward
// reference.
type Signal chan struct{}

// NewSignal returns a Signal.
func NewSignal() Signal { return make(Signal, 1) }

// Wake makes the scheduler listening on s tick now rather than at the next
// interval. It never blocks: wake-ups before the tick merge into one.
func (s Signal) Wake() {
	select {
	case s <- struct{}{}:
	default:
	}
}

// Scheduler runs jobs.
type Scheduler struct {
	interval time.Duration
	log      *slog.Logger
	wake     Signal
	// jobs are fixed at construction: a job needing a service is built
	// after it (see Signal), never added later.
	jobs []Job
}

// New returns a scheduler running jobs, in order, at every tick.
func New(opts Options, jobs ...Job) *Scheduler {
	s := &Scheduler{interval: opts.Interval, log: opts.Logger, wake: opts.Signal}
	if s.wake == nil {
		s.wake = NewSignal()
	}
	if s.interval <= 0 {
		s.interval = DefaultInterval
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.jobs = append(s.jobs, jobs...)
	return s
}

// Wake makes a running loop tick now rather than at the next interval,
// e.g. after enqueuing a message that should leave at once. It never
// blocks.
func (s *Scheduler) Wake() { s.wake.Wake() }

// Run ticks until ctx ends, then returns nil once the current tick has
// finished. ctx carries the clock (and is where a job's work is cancelled
// from on shutdown).
func (s *Scheduler) Run(ctx context.Context) error {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		n, _ := s.Tick(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if n > 0 {
			continue // more may be due: drain before sleeping
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-s.wake:
		}
	}
}

// Tick calls RunDue once on every job and returns the total handled and
// the jobs' errors, which it also logs. A panicking job is logged and
// reported as an error; the others still run.
func (s *Scheduler) Tick(ctx context.Context) (int, error) {
	total := 0
	var errs []error
	for _, j := range s.jobs {
		if ctx.Err() != nil {
			break
		}
		n, err := s.runJob(ctx, j)
		total += n
		if err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "background job failed", "job", j.Name(), "err", err)
			errs = append(errs, fmt.Errorf("%s: %w", j.Name(), err))
		}
	}
	return total, errors.Join(errs...)
}

func (s *Scheduler) runJob(ctx context.Context, j Job) (n int, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return j.RunDue(ctx)
}

// JobFunc adapts a function to Job.
type JobFunc struct {
	JobName string
	Run     func(ctx context.Context) (int, error)
}

// Name identifies the job in logs.
func (j JobFunc) Name() string { return j.JobName }

// RunDue runs the function.
func (j JobFunc) RunDue(ctx context.Context) (int, error) { return j.Run(ctx) }
