package portalauth

import (
	"container/list"
	"fmt"
	"sync"
	"time"
)

// Suggested throttles for requesting login codes. The per-email cap stops an
// attacker flooding a customer's inbox and bounds guesses per mailbox (with
// MaxAttempts per code); the per-IP cap stops one client spraying many
// addresses.
const (
	CodeRequestsPerEmail = 5
	CodeRequestsPerIP    = 20
	CodeRequestWindow    = 15 * time.Minute
)

// DefaultLimiterMaxKeys bounds a Limiter's memory (roughly 100 bytes per
// key) so an attacker cycling through addresses or IPs cannot grow it
// without limit.
const DefaultLimiterMaxKeys = 100_000

// Limiter is a fixed-window rate limiter keyed by string: each key may pass
// limit times per window, the window starting at the key's first request.
// A burst of up to 2×limit is possible across a window boundary, which is
// acceptable for these coarse abuse throttles.
//
// It is in-memory and per process, so it complements rather than replaces
// the attempt counters stored with each login challenge. It is safe for
// concurrent use.
type Limiter struct {
	clock   Clock
	limit   int
	window  time.Duration
	maxKeys int

	mu      sync.Mutex
	entries map[string]*list.Element // of *limiterEntry
	// order holds entries by window start, oldest first, so expired entries
	// are swept from the front in amortised O(1) per call.
	order *list.List
}

type limiterEntry struct {
	key   string
	start time.Time
	count int
}

// NewLimiter returns a Limiter admitting limit requests per key per window.
// It panics on a non-positive limit or window: such a limiter would
// silently block or admit everything, and the arguments are always
// programmer-supplied constants.
func NewLimiter(c Clock, limit int, window time.Duration) *Limiter {
	if c == nil || limit <= 0 || window <= 0 {
		panic(fmt.Sprintf("portalauth: invalid limiter (clock nil: %t, limit %d, window %s)", c == nil, limit, window))
	}
	return &Limiter{
		clock:   c,
		limit:   limit,
		window:  window,
		maxKeys: DefaultLimiterMaxKeys,
		entries: make(map[string]*list.Element),
		order:   list.New(),
	}
}

// Allow records a request for key and reports whether it is within the
// limit. Denied requests do not extend the window, so a client that keeps
// hammering is released on schedule rather than locked out forever.
func (l *Limiter) Allow(key string) bool {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()

	l.sweep(now)

	if el, ok := l.entries[key]; ok {
		e := el.Value.(*limiterEntry)
		if l.expired(e, now) {
			// Only reachable when the clock went backwards past the sweep
			// order; restart the window as for a new key.
			e.start, e.count = now, 0
			l.order.MoveToBack(el)
		}
		if e.count >= l.limit {
			return false
		}
		e.count++
		return true
	}

	// Evicting the oldest live window resets that key's count; that is the
	// price of bounded memory and only happens under a flood of distinct keys.
	for len(l.entries) >= l.maxKeys {
		l.remove(l.order.Front())
	}
	l.entries[key] = l.order.PushBack(&limiterEntry{key: key, start: now, count: 1})
	return true
}

// Len reports how many keys are currently tracked.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// expired reports whether e's window is over. A window that starts in the
// future (clock moved backwards) is also treated as over so a rewound clock
// cannot strand a key behind a window that never ends.
func (l *Limiter) expired(e *limiterEntry, now time.Time) bool {
	return !now.Before(e.start.Add(l.window)) || now.Before(e.start)
}

// sweep drops entries whose window has passed; dropping them loses nothing,
// since an expired window behaves exactly like an absent key.
func (l *Limiter) sweep(now time.Time) {
	for el := l.order.Front(); el != nil; el = l.order.Front() {
		if !l.expired(el.Value.(*limiterEntry), now) {
			return
		}
		l.remove(el)
	}
}

func (l *Limiter) remove(el *list.Element) {
	delete(l.entries, el.Value.(*limiterEntry).key)
	l.order.Remove(el)
}
