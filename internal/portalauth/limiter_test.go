package portalauth

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLimiterWindows(t *testing.T) {
	type step struct {
		advance time.Duration
		key     string
		want    bool
	}
	tests := []struct {
		name  string
		limit int
		steps []step
	}{
		{"limit then deny", 3, []step{
			{0, "a", true}, {0, "a", true}, {0, "a", true}, {0, "a", false}, {0, "a", false},
		}},
		{"keys independent", 1, []step{
			{0, "a", true}, {0, "b", true}, {0, "a", false}, {0, "b", false}, {0, "c", true},
		}},
		{"window measured from first request", 2, []step{
			{0, "a", true},
			{10 * time.Minute, "a", true},
			{0, "a", false},
			{5*time.Minute - time.Nanosecond, "a", false}, // 14m59.999s after the first request
			{time.Nanosecond, "a", true},                  // exactly one window later: fresh window
			{0, "a", true},
			{0, "a", false},
		}},
		{"denials do not extend window", 1, []step{
			{0, "a", true},
			{14 * time.Minute, "a", false},
			{time.Minute, "a", true},
		}},
		{"long idle resets", 1, []step{
			{0, "a", true}, {0, "a", false}, {48 * time.Hour, "a", true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock(epoch)
			l := NewLimiter(clk, tt.limit, 15*time.Minute)
			for i, s := range tt.steps {
				clk.Advance(s.advance)
				if got := l.Allow(s.key); got != s.want {
					t.Fatalf("step %d (%q at +%s): Allow = %v, want %v", i, s.key, clk.Now().Sub(epoch), got, s.want)
				}
			}
		})
	}
}

func TestLimiterSuggestedConstants(t *testing.T) {
	clk := newFakeClock(epoch)
	perEmail := NewLimiter(clk, CodeRequestsPerEmail, CodeRequestWindow)
	perIP := NewLimiter(clk, CodeRequestsPerIP, CodeRequestWindow)
	emailOK, ipOK := 0, 0
	for range 30 {
		if perEmail.Allow("a@example.com") {
			emailOK++
		}
		if perIP.Allow("203.0.113.7") {
			ipOK++
		}
	}
	if emailOK != 5 || ipOK != 20 {
		t.Errorf("allowed %d per email and %d per IP, want 5 and 20", emailOK, ipOK)
	}
}

func TestLimiterBoundedMemory(t *testing.T) {
	clk := newFakeClock(epoch)
	l := NewLimiter(clk, 1, time.Minute)
	l.maxKeys = 3

	for i := range 10 {
		l.Allow(fmt.Sprint("k", i))
		if l.Len() > 3 {
			t.Fatalf("tracked %d keys, cap 3", l.Len())
		}
	}
	// The newest keys survive eviction; the oldest were dropped.
	if l.Allow("k9") {
		t.Error("newest key lost its count")
	}
	if !l.Allow("k0") {
		t.Error("evicted key still limited")
	}

	// Expired entries are swept without a cap being hit.
	l.maxKeys = DefaultLimiterMaxKeys
	for i := range 100 {
		l.Allow(fmt.Sprint("x", i))
	}
	clk.Advance(time.Minute)
	l.Allow("fresh")
	if n := l.Len(); n != 1 {
		t.Errorf("after one window %d keys tracked, want 1", n)
	}
}

func TestLimiterClockBackwards(t *testing.T) {
	clk := newFakeClock(epoch)
	l := NewLimiter(clk, 1, time.Minute)
	l.Allow("a")
	clk.Set(epoch.Add(-time.Hour))
	// A window starting in the future would otherwise block for an hour.
	if !l.Allow("a") {
		t.Error("key stuck after clock moved backwards")
	}
	if l.Allow("a") {
		t.Error("restarted window not enforced")
	}
}

func TestLimiterConcurrent(t *testing.T) {
	clk := newFakeClock(epoch)
	l := NewLimiter(clk, 1000, time.Minute)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := range 50 {
		wg.Go(func() {
			for range 100 {
				if l.Allow("shared") {
					allowed.Add(1)
				}
				l.Allow(fmt.Sprint("own", g))
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != 1000 {
		t.Errorf("allowed %d concurrent requests, want exactly 1000", got)
	}
}

func TestNewLimiterPanicsOnInvalidConfig(t *testing.T) {
	clk := newFakeClock(epoch)
	for _, tt := range []struct {
		name   string
		clock  Clock
		limit  int
		window time.Duration
	}{
		{"nil clock", nil, 1, time.Minute},
		{"zero limit", clk, 0, time.Minute},
		{"zero window", clk, 1, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			NewLimiter(tt.clock, tt.limit, tt.window)
		})
	}
}
