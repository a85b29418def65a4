package store_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/store"
)

// statRows counts the planner statistics SQLite holds for index.
func statRows(t *testing.T, st *store.Store, index string) int {
	t.Helper()
	var n int
	if err := st.DB.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'`).Scan(&n); err != nil || n == 0 {
		return 0 // never analysed
	}
	if err := st.DB.QueryRow(`SELECT count(*) FROM sqlite_stat1 WHERE idx = ?`, index).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// fillTable creates a table of 500 rows with one index, outside the
// schema, so the test controls when it was last analysed.
func fillTable(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{
		`CREATE TABLE opt_test (a INTEGER, b INTEGER)`,
		`CREATE INDEX opt_test_a ON opt_test (a)`,
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) INSERT INTO opt_test SELECT i % 7, i FROM n`,
	} {
		if _, err := st.Client.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
}

// Optimize analyses a table it has never seen queried (any pooled
// connection may run it) and, once statistics exist, an index added since.
func TestOptimizeAnalysesStaleTables(t *testing.T) {
	ctx := context.Background()
	st := openFresh(t, store.Config{DataDir: t.TempDir()})
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	fillTable(t, st)
	if n := statRows(t, st, "opt_test_a"); n != 0 {
		t.Fatalf("statistics before Optimize: %d rows", n)
	}
	if err := st.Optimize(ctx); err != nil {
		t.Fatal(err)
	}
	if n := statRows(t, st, "opt_test_a"); n != 1 {
		t.Fatalf("statistics of opt_test_a after Optimize: %d rows, want 1", n)
	}
	// What a migration adding an index leaves: a table with statistics
	// but an index without.
	if _, err := st.Client.ExecContext(ctx, `CREATE INDEX opt_test_b ON opt_test (b)`); err != nil {
		t.Fatal(err)
	}
	if err := st.Optimize(ctx); err != nil {
		t.Fatal(err)
	}
	if n := statRows(t, st, "opt_test_b"); n != 1 {
		t.Fatalf("statistics of the new index opt_test_b after Optimize: %d rows, want 1", n)
	}
}

// Opening an existing database analyses what was never analysed.
func TestOpenAnalyses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	fillTable(t, st)
	if n := statRows(t, st, "opt_test_a"); n != 0 {
		t.Fatalf("statistics before reopening: %d rows", n)
	}
	st.Close()
	st = openFresh(t, store.Config{DataDir: dir})
	if n := statRows(t, st, "opt_test_a"); n != 1 {
		t.Fatalf("statistics of opt_test_a after reopening: %d rows, want 1", n)
	}
}

// The job runs at its first call, then once per OptimizeInterval of the
// clock in its context.
func TestOptimizeJobInterval(t *testing.T) {
	var runs atomic.Int32
	st := openFresh(t, store.Config{DataDir: t.TempDir(), OnQuery: func(_ context.Context, q string) {
		if strings.HasPrefix(q, "PRAGMA optimize") {
			runs.Add(1)
		}
	}})
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	ctx := clock.WithContext(context.Background(), clk)
	job := store.OptimizeJob(st.Client, st.Dialect)
	for i, step := range []struct {
		advance time.Duration
		want    int32
	}{
		{0, 1},
		{0, 1},
		{store.OptimizeInterval - time.Second, 1},
		{time.Second, 2},
		{time.Minute, 2},
	} {
		clk.Advance(step.advance)
		n, err := job(ctx)
		if err != nil || n != 0 {
			t.Fatalf("call %d: %d, %v; want 0, nil", i, n, err)
		}
		if got := runs.Load(); got != step.want {
			t.Fatalf("call %d (%s): pragma ran %d times, want %d", i, clk.Now().Format(time.RFC3339), got, step.want)
		}
	}
}
