package ratelimit_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/privacy"

	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/ratelimit"
	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/store/storetest"
)

var start = time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)

func newLimiter(t *testing.T, st *store.Store) *ratelimit.Limiter {
	t.Helper()
	l, err := ratelimit.New(ratelimit.Config{DB: st.Client, Dialect: st.Dialect})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func allow(t *testing.T, ctx context.Context, l *ratelimit.Limiter, hits ...ratelimit.Hit) ratelimit.Decision {
	t.Helper()
	d, err := l.Allow(ctx, hits...)
	if err != nil {
		t.Fatalf("allow: %v", err)
	}
	return d
}

// TestWindow walks one key through its window on both databases: the
// limit admits exactly Limit hits, denials carry the time to the window's
// end and do not extend it, and the next window starts afresh.
func TestWindow(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		clk := clock.NewFake(start)
		ctx := clock.WithContext(context.Background(), clk)
		l := newLimiter(t, st)
		rule := ratelimit.Rule{Name: "test.window", Limit: 3, Window: time.Minute}
		hit := ratelimit.Hit{Rule: rule, Key: "203.0.113.7"}
		steps := []struct {
			advance time.Duration
			allowed bool
			retry   time.Duration
		}{
			{0, true, 0},
			{10 * time.Second, true, 0},
			{10 * time.Second, true, 0},
			{10 * time.Second, false, 30 * time.Second},  // 4th hit at 0:30, window ends at 1:00
			{29 * time.Second, false, time.Second},       // 0:59: denied, not extended
			{500 * time.Millisecond, false, time.Second}, // never below a second
			{500 * time.Millisecond, true, 0},            // 1:00: a new window
			{time.Second, true, 0},
			{time.Second, true, 0},
			{time.Second, false, 57 * time.Second},
		}
		for i, s := range steps {
			clk.Advance(s.advance)
			d := allow(t, ctx, l, hit)
			if d.Allowed != s.allowed || d.RetryAfter != s.retry {
				t.Fatalf("step %d at %s: %+v, want allowed %t retry %s", i, clk.Now().Sub(start), d, s.allowed, s.retry)
			}
		}
		// Another key and another rule on the same key count apart.
		if d := allow(t, ctx, l, ratelimit.Hit{Rule: rule, Key: "203.0.113.8"}); !d.Allowed {
			t.Fatal("another key was denied")
		}
		other := ratelimit.Rule{Name: "test.other", Limit: 1, Window: time.Minute}
		if d := allow(t, ctx, l, ratelimit.Hit{Rule: other, Key: hit.Key}); !d.Allowed {
			t.Fatal("another rule was denied")
		}
		// A clock moved back before the window's start restarts it rather
		// than stranding the key behind a window that never ends.
		clk.Set(start.Add(-time.Hour))
		if d := allow(t, ctx, l, hit); !d.Allowed {
			t.Fatal("denied after the clock went back")
		}
	})
}

// TestCheckAndCount checks that Check never writes, that Allow writes
// nothing when a hit is already over its limit, and that CountTx counts in
// the caller's transaction (a rollback forgets the hit).
func TestCheckAndCount(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		clk := clock.NewFake(start)
		ctx := clock.WithContext(context.Background(), clk)
		l := newLimiter(t, st)
		rule := ratelimit.Rule{Name: "test.check", Limit: 2, Window: time.Hour}
		hit := ratelimit.Hit{Rule: rule, Key: "ada@example.com"}
		for range 5 {
			if d, err := l.Check(ctx, hit); err != nil || !d.Allowed {
				t.Fatalf("check: %+v %v", d, err)
			}
		}
		if n := rows(t, st); n != 0 {
			t.Fatalf("Check wrote %d rows", n)
		}
		tx, err := st.Client.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.CountTx(ctx, tx, hit); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		allow(t, ctx, l, hit)
		allow(t, ctx, l, hit)
		if d := allow(t, ctx, l, hit); d.Allowed {
			t.Fatal("third hit allowed: the rolled-back count was kept?")
		}
		if d, err := l.Check(ctx, hit); err != nil || d.Allowed || d.RetryAfter != time.Hour {
			t.Fatalf("check over the limit: %+v %v", d, err)
		}
		// Several hits: denied when any is over; the others untouched.
		fresh := ratelimit.Hit{Rule: rule, Key: "bob@example.com"}
		if d := allow(t, ctx, l, fresh, hit); d.Allowed {
			t.Fatal("allowed with one hit over the limit")
		}
		if d := allow(t, ctx, l, fresh); !d.Allowed {
			t.Fatal("fresh key denied")
		}
		if d := allow(t, ctx, l, fresh); !d.Allowed {
			t.Fatal("fresh key counted by the denied call")
		}
	})
}

// TestConcurrent fires many hits at one key at once: the single-statement
// upsert admits exactly Limit of them on both databases.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := clock.WithContext(context.Background(), clock.NewFake(start))
		l := newLimiter(t, st)
		rule := ratelimit.Rule{Name: "test.concurrent", Limit: 10, Window: time.Minute}
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for range 40 {
			wg.Go(func() {
				d, err := l.Allow(ctx, ratelimit.Hit{Rule: rule, Key: "k"})
				if err != nil {
					t.Error(err)
				}
				if d.Allowed {
					allowed.Add(1)
				}
			})
		}
		wg.Wait()
		if n := allowed.Load(); n != int32(rule.Limit) {
			t.Fatalf("%d concurrent hits allowed, want %d", n, rule.Limit)
		}
	})
}

// TestSharedAndDurable opens the same database twice, as two server
// processes would, and again after closing both, as after a restart: the
// counters are the same everywhere.
func TestSharedAndDurable(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			cfg := storetest.Fresh(t, d)
			open := func() *store.Store {
				st, err := store.Open(context.Background(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				return st
			}
			a := open()
			if err := a.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			b := open()
			ctx := clock.WithContext(context.Background(), clock.NewFake(start))
			rule := ratelimit.Rule{Name: "test.shared", Limit: 4, Window: time.Hour}
			hit := ratelimit.Hit{Rule: rule, Key: "198.51.100.1"}
			la, lb := newLimiter(t, a), newLimiter(t, b)
			for i, l := range []*ratelimit.Limiter{la, lb, la, lb} {
				if d := allow(t, ctx, l, hit); !d.Allowed {
					t.Fatalf("hit %d denied", i)
				}
			}
			if d := allow(t, ctx, la, hit); d.Allowed {
				t.Fatal("5th hit allowed on process A")
			}
			if d := allow(t, ctx, lb, hit); d.Allowed {
				t.Fatal("5th hit allowed on process B")
			}
			a.Close()
			b.Close()
			c := open()
			if d := allow(t, ctx, newLimiter(t, c), hit); d.Allowed {
				t.Fatal("allowed after a restart: the counter was forgotten")
			}
		})
	}
}

// TestSweep deletes only the rows whose window is over.
func TestSweep(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		clk := clock.NewFake(start)
		ctx := clock.WithContext(context.Background(), clk)
		l := newLimiter(t, st)
		short := ratelimit.Rule{Name: "test.short", Limit: 1, Window: time.Minute}
		long := ratelimit.Rule{Name: "test.long", Limit: 1, Window: time.Hour}
		allow(t, ctx, l, ratelimit.Hit{Rule: short, Key: "a"}, ratelimit.Hit{Rule: long, Key: "a"})
		clk.Advance(time.Minute)
		n, err := l.Sweep(ctx)
		if err != nil || n != 1 {
			t.Fatalf("sweep: %d %v, want 1", n, err)
		}
		if n := rows(t, st); n != 1 {
			t.Fatalf("%d rows left, want 1", n)
		}
		if d := allow(t, ctx, l, ratelimit.Hit{Rule: long, Key: "a"}); d.Allowed {
			t.Fatal("the live window was swept")
		}
	})
}

// TestKeysAreData sends keys made of SQL and JSON syntax: each is just a
// key, stored as a digest, and counts apart from the others.
func TestKeysAreData(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := clock.WithContext(context.Background(), clock.NewFake(start))
		l := newLimiter(t, st)
		rule := ratelimit.Rule{Name: "test.keys", Limit: 1, Window: time.Minute}
		keys := []string{"", "'", `"`, "`", "'; DROP TABLE rate_limits; --", "a\x00b", `\`, "$.a[0]", "é", string(make([]byte, 5000))}
		for _, k := range keys {
			if d := allow(t, ctx, l, ratelimit.Hit{Rule: rule, Key: k}); !d.Allowed {
				t.Errorf("key %q denied on its first hit", k)
			}
		}
		for _, k := range keys {
			if d := allow(t, ctx, l, ratelimit.Hit{Rule: rule, Key: k}); d.Allowed {
				t.Errorf("key %q allowed twice", k)
			}
		}
		if n := rows(t, st); n != len(keys) {
			t.Fatalf("%d rows, want %d", n, len(keys))
		}
	})
}

func TestInvalidRule(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite3")
	l := newLimiter(t, st)
	for _, r := range []ratelimit.Rule{
		{Name: "", Limit: 1, Window: time.Second},
		{Name: "Bad Name", Limit: 1, Window: time.Second},
		{Name: "ok", Limit: 0, Window: time.Second},
		{Name: "ok", Limit: 1, Window: 0},
	} {
		if _, err := l.Allow(context.Background(), ratelimit.Hit{Rule: r, Key: "k"}); err == nil {
			t.Errorf("rule %+v accepted", r)
		}
	}
	if _, err := ratelimit.New(ratelimit.Config{DB: st.Client, Dialect: "mysql"}); err == nil {
		t.Error("unsupported dialect accepted")
	}
}

func TestAddressKey(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"203.0.113.7", "203.0.113.7"},
		{"::ffff:203.0.113.7", "203.0.113.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"not an address", "not an address"},
		{"", ""},
	} {
		if got := ratelimit.AddressKey(c.in); got != c.want {
			t.Errorf("AddressKey(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func rows(t *testing.T, st *store.Store) int {
	t.Helper()
	n, err := st.Client.RateLimit.Query().Count(privacy.DecisionContext(context.Background(), privacy.Allow))
	if err != nil {
		t.Fatal(err)
	}
	return n
}
