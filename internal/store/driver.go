package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"unicode"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// writeLock is a mutex whose Lock can be abandoned when the caller's context
// ends, so a request queued behind a long write gives up with its deadline
// instead of waiting forever.
type writeLock chan struct{}

func newWriteLock() writeLock { return make(writeLock, 1) }

func (l writeLock) lock(ctx context.Context) error {
	select {
	case l <- struct{}{}:
		return nil
	default:
	}
	select {
	case l <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l writeLock) unlock() { <-l }

// serialDriver is the ent driver for SQLite. SQLite admits one writer at a
// time, and go-sqlite3's busy handler retries in coarse sleeps, so writers
// contending through busy_timeout waste most of their time asleep. The
// driver queues writers on an in-process lock instead:
//
//   - Tx/BeginTx take the lock; the returned transaction releases it, once,
//     on Commit or Rollback (or when the transaction's context ends, since
//     database/sql then rolls the transaction back itself);
//   - Exec/ExecContext outside a transaction hold it for the statement;
//   - Query outside a transaction takes it only for statements that write
//     (INSERT … RETURNING, which ent uses for creates), held until the rows
//     are closed; reads run concurrently with the writer (WAL).
//
// busy_timeout stays the fallback between processes. QueryContext (the raw
// escape hatch on ent.Client) never locks: it is for reads.
//
// Do not start a transaction while holding one in the same goroutine, nor
// write through the non-transactional client inside a transaction: both wait
// for the lock the goroutine already holds.
type serialDriver struct {
	drv   *entsql.Driver
	lock  writeLock
	group *group
}

var _ dialect.Driver = (*serialDriver)(nil)

func newSerialDriver(drv *entsql.Driver) *serialDriver {
	lock := newWriteLock()
	return &serialDriver{drv: drv, lock: lock, group: &group{drv: drv, lock: lock}}
}

// acquire takes the writer lock, counting the caller as queued meanwhile so
// an open group waits for it (see group.settle).
func (d *serialDriver) acquire(ctx context.Context) error {
	d.group.waiting.Add(1)
	err := d.lock.lock(ctx)
	d.group.waiting.Add(-1)
	if err != nil {
		// The group may have stayed open for us: make sure it commits.
		go d.group.flush()
	}
	return err
}

// acquireAlone takes the writer lock for a statement outside any
// transaction, committing an open group first: the statement runs on
// another connection, which SQLite would block behind the group's lock.
func (d *serialDriver) acquireAlone(ctx context.Context) error {
	if err := d.acquire(ctx); err != nil {
		return err
	}
	d.group.commit()
	return nil
}

// Dialect implements dialect.Driver.
func (d *serialDriver) Dialect() string { return d.drv.Dialect() }

// Close implements dialect.Driver.
// It commits an open group first, so nothing acknowledged is lost.
func (d *serialDriver) Close() error {
	if err := d.lock.lock(context.Background()); err == nil {
		d.group.commit()
		d.lock.unlock()
	}
	return d.drv.Close()
}

// DB returns the underlying pool.
func (d *serialDriver) DB() *sql.DB { return d.drv.DB() }

// Exec implements dialect.ExecQuerier; it holds the writer lock.
func (d *serialDriver) Exec(ctx context.Context, query string, args, v any) error {
	if err := d.acquireAlone(ctx); err != nil {
		return err
	}
	defer d.lock.unlock()
	return d.drv.Exec(ctx, query, args, v)
}

// ExecContext backs ent.Client.ExecContext; it holds the writer lock.
func (d *serialDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := d.acquireAlone(ctx); err != nil {
		return nil, err
	}
	defer d.lock.unlock()
	return d.drv.ExecContext(ctx, query, args...)
}

// Query implements dialect.ExecQuerier. Reads do not lock; a writing
// statement holds the lock until its rows are closed, because SQLite
// performs (and auto-commits) the write while the rows are stepped.
func (d *serialDriver) Query(ctx context.Context, query string, args, v any) error {
	if !isWriteQuery(query) {
		return d.drv.Query(ctx, query, args, v)
	}
	if err := d.acquireAlone(ctx); err != nil {
		return err
	}
	if err := d.drv.Query(ctx, query, args, v); err != nil {
		d.lock.unlock()
		return err
	}
	rows, ok := v.(*entsql.Rows)
	if !ok || rows.ColumnScanner == nil {
		// entsql.Conn.Query only succeeds with a *Rows; be safe anyway.
		d.lock.unlock()
		return nil
	}
	rows.ColumnScanner = &unlockingRows{ColumnScanner: rows.ColumnScanner, release: sync.OnceFunc(d.lock.unlock)}
	return nil
}

// QueryContext backs ent.Client.QueryContext; it does not lock (reads only).
func (d *serialDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.drv.QueryContext(ctx, query, args...)
}

// Tx implements dialect.Driver.
func (d *serialDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	return d.BeginTx(ctx, nil)
}

// BeginTx backs ent.Client.BeginTx. The DSN makes every transaction BEGIN
// IMMEDIATE, read-only ones included, so every transaction is a writer. It
// joins the open commit group, if any (see group).
func (d *serialDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	if err := d.acquire(ctx); err != nil {
		return nil, err
	}
	tx, err := d.group.begin(ctx, opts)
	if err != nil {
		d.lock.unlock()
		return nil, err
	}
	return tx, nil
}

// unlockingRows releases the writer lock when the rows are closed.
type unlockingRows struct {
	entsql.ColumnScanner
	release func()
}

func (r *unlockingRows) Close() error {
	defer r.release()
	return r.ColumnScanner.Close()
}

// isWriteQuery reports whether a statement run through Query may write.
// It errs on the side of writing: locking a read only costs concurrency.
func isWriteQuery(query string) bool {
	switch strings.ToUpper(firstWord(query)) {
	case "SELECT", "VALUES", "EXPLAIN":
		return false
	case "PRAGMA":
		return strings.Contains(query, "=")
	case "WITH":
		// A CTE reads unless its main statement is DML.
		for _, w := range strings.FieldsFunc(strings.ToUpper(query), func(r rune) bool {
			return !unicode.IsLetter(r) && r != '_'
		}) {
			switch w {
			case "INSERT", "UPDATE", "DELETE", "REPLACE":
				return true
			}
		}
		return false
	}
	return true
}

// firstWord returns the first keyword of query, skipping blanks, comments
// and opening parentheses.
func firstWord(q string) string {
	for {
		q = strings.TrimLeftFunc(q, func(r rune) bool { return unicode.IsSpace(r) || r == '(' })
		switch {
		case strings.HasPrefix(q, "--"):
			i := strings.IndexByte(q, '\n')
			if i < 0 {
				return ""
			}
			q = q[i+1:]
		case strings.HasPrefix(q, "/*"):
			i := strings.Index(q[2:], "*/")
			if i < 0 {
				return ""
			}
			q = q[i+4:]
		default:
			end := strings.IndexFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && r != '_' })
			if end < 0 {
				return q
			}
			return q[:end]
		}
	}
}
