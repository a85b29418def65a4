package store

import (
	"context"
	"fmt"
	"sync"
	"time"

	"entgo.io/ent/dialect"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/clock"
)

// sqliteOptimize refreshes the query planner's statistics (sqlite_stat1)
// of the tables that need it: never analysed, grown or shrunk manyfold
// since, or with an index that has no statistics yet (one a migration just
// added). SQLite's planner picks indexes from those statistics; without
// them it guesses, and for the merchant list filtered on past-due invoices
// it guesses the status/due-date index and sorts every past-due row.
//
// 0x10000 checks every table, not only those this connection has queried:
// a pooled connection picked at random has queried nothing in particular.
// 0x02 runs ANALYZE where needed. Since SQLite 3.46 the pragma limits each
// ANALYZE to a sample (analysis_limit), so it stays quick on a large
// database, and it does nothing when the statistics are current, so it is
// harmless to repeat, from any number of processes.
const sqliteOptimize = "PRAGMA optimize=0x10002"

// OptimizeInterval is how often OptimizeJob refreshes the statistics; the
// periodic run SQLite's documentation advises for long-lived connections.
const OptimizeInterval = time.Hour

// Optimize refreshes SQLite's planner statistics where they are missing or
// stale (see sqliteOptimize). On PostgreSQL it does nothing: autovacuum
// keeps statistics current there (the README says to keep it on, or to run
// ANALYZE after a bulk load).
func (s *Store) Optimize(ctx context.Context) error {
	return optimize(ctx, s.Client, s.Dialect)
}

// optimize runs sqliteOptimize through the ent client: when it analyses, it
// writes sqlite_stat1, and the client's ExecContext takes the in-process
// writer lock for it like any other write.
func optimize(ctx context.Context, db *ent.Client, d string) error {
	if d != dialect.SQLite {
		return nil
	}
	if _, err := db.ExecContext(ctx, sqliteOptimize); err != nil {
		return fmt.Errorf("store: optimize: %w", err)
	}
	return nil
}

// OptimizeJob returns the worker job that refreshes the planner statistics
// every OptimizeInterval, judged by the clock in its context: the first
// call runs (a server running for days after a bulk import still gets
// fresh statistics), later calls do nothing until the interval has passed.
// It always reports 0 items, so the scheduler does not call it again at
// once. Several processes each running it is harmless: the pragma only
// analyses what is stale, and the writer lock orders it with the writes.
func OptimizeJob(db *ent.Client, d string) func(ctx context.Context) (int, error) {
	var (
		mu   sync.Mutex
		next time.Time
	)
	return func(ctx context.Context) (int, error) {
		if d != dialect.SQLite {
			return 0, nil
		}
		mu.Lock()
		defer mu.Unlock()
		now := clock.Now(ctx)
		if now.Before(next) {
			return 0, nil
		}
		// Set before running: a failing pragma is retried at the next
		// interval, not at every tick.
		next = now.Add(OptimizeInterval)
		return 0, optimize(ctx, db, d)
	}
}
