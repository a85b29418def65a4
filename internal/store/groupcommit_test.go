package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGroupCommit runs concurrent writers through the driver: some roll
// back, the others commit. Every commit must be durable and visible to
// another connection as soon as Commit returns, no rolled-back row may
// appear, and commits must actually share fsyncs.
func TestGroupCommit(t *testing.T) {
	st, drv := openSerial(t)
	var groups, grouped atomic.Int64
	drv.group.onFlush = func(n int) {
		groups.Add(1)
		grouped.Add(int64(n))
	}
	const writers, each = 16, 40
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for i := range each {
				n := w*1000 + i
				tx, err := drv.Tx(ctx)
				if err != nil {
					errs <- err
					return
				}
				if err := tx.Exec(ctx, "INSERT INTO t (n) VALUES (?)", []any{n}, nil); err != nil {
					errs <- err
					_ = tx.Rollback()
					return
				}
				if i%5 == 4 {
					if err := tx.Rollback(); err != nil {
						errs <- fmt.Errorf("rollback %d: %w", n, err)
					}
					continue
				}
				if err := tx.Commit(); err != nil {
					errs <- fmt.Errorf("commit %d: %w", n, err)
					continue
				}
				// Acknowledged means committed: another connection sees it.
				var got int
				if err := st.DB.QueryRowContext(ctx, "SELECT count(*) FROM t WHERE n = ?", n).Scan(&got); err != nil || got != 1 {
					errs <- fmt.Errorf("row %d after commit: count %d, err %v", n, got, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var total, rolledBack int
	if err := st.DB.QueryRow("SELECT count(*) FROM t").Scan(&total); err != nil {
		t.Fatal(err)
	}
	if err := st.DB.QueryRow("SELECT count(*) FROM t WHERE n % 1000 % 5 = 4").Scan(&rolledBack); err != nil {
		t.Fatal(err)
	}
	if want := writers * each * 4 / 5; total != want || rolledBack != 0 {
		t.Fatalf("rows = %d (rolled back ones: %d), want %d and 0", total, rolledBack, want)
	}
	if groups.Load() == 0 || grouped.Load() != int64(total) {
		t.Fatalf("groups committed %d members, want %d", grouped.Load(), total)
	}
	if avg := float64(grouped.Load()) / float64(groups.Load()); avg <= 1.2 {
		t.Errorf("average group size %.2f: concurrent commits did not share fsyncs", avg)
	} else {
		t.Logf("%d commits in %d groups (%.1f per fsync)", grouped.Load(), groups.Load(), avg)
	}
}

// TestGroupCommitOutsideWrite checks a write outside any transaction
// commits an open group first instead of waiting on SQLite's lock.
func TestGroupCommitOutsideWrite(t *testing.T) {
	st, drv := openSerial(t)
	ctx := context.Background()
	tx, err := drv.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Exec(ctx, "INSERT INTO t (n) VALUES (1)", []any{}, nil); err != nil {
		t.Fatal(err)
	}
	// A writer queued now keeps the group open after this commit...
	drv.group.waiting.Add(1)
	committed := make(chan error, 1)
	go func() { committed <- tx.Commit() }()
	if _, ok := done(committed, 100*time.Millisecond); ok {
		t.Fatal("commit returned while a queued writer kept the group open")
	}
	// ...until a write outside a transaction flushes it.
	drv.group.waiting.Add(-1)
	if err := drv.Exec(ctx, "INSERT INTO t (n) VALUES (2)", []any{}, nil); err != nil {
		t.Fatal(err)
	}
	if err, ok := done(committed, 5*time.Second); !ok || err != nil {
		t.Fatalf("commit: done=%v err=%v", ok, err)
	}
	var n int
	if err := st.DB.QueryRow("SELECT count(*) FROM t").Scan(&n); err != nil || n != 2 {
		t.Fatalf("rows = %d, %v; want 2", n, err)
	}
}
