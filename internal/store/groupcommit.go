package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// maxGroup bounds how many transactions share one commit. Small groups
// win: with unbounded ones every waiting request resumes at once after the
// shared fsync and competes for the CPU while the writer idles; groups of
// four keep half the clients computing while the other half write. In
// `make bench` (8 clients, 2 cores) 4 beat 2, 3, 6, 8 and 32, by +5 points
// of the raw baseline over 32 (31 interleaved pairs).
const maxGroup = 4

// group implements group commit for SQLite. With synchronous=FULL every
// COMMIT waits for an fsync, and SQLite admits one writer at a time, so
// writers queue behind each other's fsyncs. Instead, the transactions of
// queued writers run one after another inside one outer transaction, each
// in its own SAVEPOINT, and share a single COMMIT:
//
//   - a transaction's Rollback undoes its savepoint only: others are not
//     affected;
//   - its Commit releases its savepoint and returns only once the shared
//     COMMIT is durable (or failed, then with that error), so a caller
//     never reports a write that could still be lost;
//   - the group commits when the last transaction in it ends with nobody
//     waiting for the writer lock, or when it reaches maxGroup.
//
// Everything here runs under the driver's writer lock.
type group struct {
	drv     *entsql.Driver
	outer   dialect.Tx   // open outer transaction, or nil
	pending []chan error // committed members waiting for the shared COMMIT
	size    int          // members so far
	waiting atomic.Int32 // callers queued for the writer lock
	flushMu sync.Mutex   // serializes background flushes
	lock    writeLock    // the driver's writer lock
	onFlush func(n int)  // test hook: a group of n committed
}

// begin starts a member transaction; the writer lock is held.
func (g *group) begin(ctx context.Context, opts *sql.TxOptions) (*memberTx, error) {
	// The first member of a group needs no savepoint: the outer
	// transaction holds nothing else, so rolling it back undoes just that
	// member, and committing releases nothing.
	first := g.outer == nil
	if first {
		// The outer transaction outlives the request that opens it:
		// database/sql would roll it back when that request's context ends.
		outer, err := g.drv.BeginTx(context.Background(), opts)
		if err != nil {
			return nil, err
		}
		g.outer, g.size = outer, 0
	}
	if !first {
		if err := g.outer.Exec(ctx, "SAVEPOINT remit_member", []any{}, nil); err != nil {
			g.abort(fmt.Errorf("savepoint: %w", err))
			return nil, err
		}
	}
	g.size++
	t := &memberTx{g: g, first: first}
	// An abandoned transaction must not hold the writer lock forever: when
	// its context ends, it rolls back, as database/sql does with its own.
	t.stop = context.AfterFunc(ctx, func() { _ = t.end(false) })
	return t, nil
}

// commit makes the open group durable and tells its members.
func (g *group) commit() {
	if g.outer == nil {
		return
	}
	err := g.outer.Commit()
	if err != nil {
		err = fmt.Errorf("group commit: %w", err)
	}
	g.finish(err)
}

// abort rolls the whole group back: a member's changes can no longer be
// trusted to commit, so none of them may.
func (g *group) abort(cause error) {
	if g.outer == nil {
		return
	}
	_ = g.outer.Rollback()
	g.finish(fmt.Errorf("group rolled back: %w", cause))
}

func (g *group) finish(err error) {
	n := len(g.pending)
	for _, done := range g.pending {
		done <- err
	}
	g.outer, g.pending, g.size = nil, nil, 0
	if g.onFlush != nil && n > 0 {
		g.onFlush(n)
	}
}

// settle decides, as a member ends, whether the group commits now: when no
// writer is queued to join it, or when it is full. Then it releases the
// writer lock.
func (g *group) settle() {
	if g.outer != nil && (g.waiting.Load() == 0 || g.size >= maxGroup) {
		g.commit()
	}
	g.lock.unlock()
}

// flush commits an open group on behalf of a queued writer that gave up:
// it was the reason the group stayed open.
func (g *group) flush() {
	g.flushMu.Lock()
	defer g.flushMu.Unlock()
	if err := g.lock.lock(context.Background()); err != nil {
		return
	}
	if g.waiting.Load() == 0 {
		g.commit()
	}
	g.lock.unlock()
}

// memberTx is one caller's transaction inside a group. Its mutex orders
// statements against a rollback triggered by its context ending.
type memberTx struct {
	g     *group
	stop  func() bool
	mu    sync.Mutex
	done  bool
	first bool // opened the group: no savepoint of its own
}

var _ dialect.Tx = (*memberTx)(nil)

var errTxDone = errors.New("store: transaction already ended")

// stmtCtx keeps a request's cancellation from interrupting a statement:
// SQLite aborts the whole outer transaction on an interrupted write, which
// would take the group's other members with it.
func stmtCtx(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// Exec implements dialect.ExecQuerier.
func (t *memberTx) Exec(ctx context.Context, query string, args, v any) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return errTxDone
	}
	return t.g.outer.Exec(stmtCtx(ctx), query, args, v)
}

// Query implements dialect.ExecQuerier.
func (t *memberTx) Query(ctx context.Context, query string, args, v any) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return errTxDone
	}
	return t.g.outer.Query(stmtCtx(ctx), query, args, v)
}

// ExecContext backs ent.Tx's ExecContext.
func (t *memberTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return nil, errTxDone
	}
	return t.g.outer.(*entsql.Tx).ExecContext(stmtCtx(ctx), query, args...)
}

// QueryContext backs ent.Tx's QueryContext.
func (t *memberTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return nil, errTxDone
	}
	return t.g.outer.(*entsql.Tx).QueryContext(stmtCtx(ctx), query, args...)
}

// Commit keeps the member's changes and waits for them to be durable.
func (t *memberTx) Commit() error {
	t.stop()
	return t.end(true)
}

// Rollback undoes the member's changes only.
func (t *memberTx) Rollback() error {
	t.stop()
	return t.end(false)
}

func (t *memberTx) end(commit bool) error {
	t.mu.Lock()
	if t.done {
		t.mu.Unlock()
		return errTxDone
	}
	t.done = true
	t.mu.Unlock()
	g := t.g
	ctx := context.Background()
	if commit {
		if !t.first {
			if err := g.outer.Exec(ctx, "RELEASE remit_member", []any{}, nil); err != nil {
				g.abort(fmt.Errorf("release savepoint: %w", err))
				g.lock.unlock()
				return fmt.Errorf("commit: %w", err)
			}
		}
		done := make(chan error, 1)
		g.pending = append(g.pending, done)
		g.settle()
		return <-done
	}
	if t.first {
		// Alone in the group so far: roll the outer transaction back.
		err := g.outer.Rollback()
		g.outer, g.size = nil, 0
		g.lock.unlock()
		return err
	}
	err := g.outer.Exec(ctx, "ROLLBACK TO remit_member", []any{}, nil)
	if err == nil {
		err = g.outer.Exec(ctx, "RELEASE remit_member", []any{}, nil)
	}
	if err != nil {
		g.abort(fmt.Errorf("roll back savepoint: %w", err))
	}
	g.settle()
	return err
}
