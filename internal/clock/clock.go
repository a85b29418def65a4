// Package clock is the single source of "now" for domain code.
//
// Domain code never calls time.Now(); it asks the clock carried by the
// request context. That keeps due dates, dunning retries and finalization
// deadlines deterministic in tests, and lets the API offer Stripe-style test
// clocks that move a sandbox through time without waiting for it.
package clock

import (
	"context"
	"sync"
	"time"
)

// Clock reports the current instant.
type Clock interface {
	Now() time.Time
}

// Real is the wall clock. It reports UTC so that values never carry the
// server's local zone into storage or API output.
type Real struct{}

// Now returns the current wall-clock time in UTC.
func (Real) Now() time.Time { return time.Now().UTC() }

// Fake is a manually driven clock for tests and test clocks. It is safe for
// concurrent use because a test clock is advanced by one request while
// workers read it from others.
type Fake struct {
	mu  sync.RWMutex
	now time.Time
}

// NewFake returns a Fake frozen at t.
func NewFake(t time.Time) *Fake {
	return &Fake{now: t}
}

// Now returns the instant the Fake is frozen at.
func (f *Fake) Now() time.Time {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.now
}

// Set moves the Fake to t, backwards as well as forwards.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = t
}

// Advance moves the Fake by d and returns the new instant, so callers can
// advance and observe atomically.
func (f *Fake) Advance(d time.Duration) time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	return f.now
}

// ctxKey is unexported so no other package can overwrite the clock by
// colliding on the key.
type ctxKey struct{}

// WithContext returns a context whose clock is c. A nil c leaves ctx
// unchanged rather than storing a clock that would panic on use.
func WithContext(ctx context.Context, c Clock) context.Context {
	if c == nil {
		return ctx
	}
	return context.WithValue(ctx, ctxKey{}, c)
}

// FromContext returns the clock carried by ctx, or Real when there is none,
// so production paths need no setup.
func FromContext(ctx context.Context) Clock {
	if ctx != nil {
		if c, ok := ctx.Value(ctxKey{}).(Clock); ok && c != nil {
			return c
		}
	}
	return Real{}
}

// Now returns the context clock's time in UTC, truncated to microseconds:
// PostgreSQL timestamps hold microseconds and the SQLite driver would keep
// nanoseconds, so truncating here makes a value read back from either store
// compare equal to the one that was written.
func Now(ctx context.Context) time.Time {
	return FromContext(ctx).Now().UTC().Truncate(time.Microsecond)
}

// Simulated is a test clock's time carried over the process's own clock:
// domain code reads the simulated instant (Now), while infrastructure
// that must act in the process's time, such as when a queued email is
// handed to the SMTP server, reads Base.
type Simulated struct {
	At   time.Time
	Base Clock
}

// Now returns the simulated instant.
func (s Simulated) Now() time.Time { return s.At }

// Simulate returns a context whose clock reads at, over ctx's clock.
func Simulate(ctx context.Context, at time.Time) context.Context {
	return WithContext(ctx, Simulated{At: at.UTC(), Base: Base(ctx)})
}

// Base returns the process's clock under any simulated one in ctx.
func Base(ctx context.Context) Clock {
	c := FromContext(ctx)
	for {
		s, ok := c.(Simulated)
		if !ok {
			return c
		}
		c = s.Base
	}
}
