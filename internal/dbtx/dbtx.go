// Package dbtx runs a unit of work in one database transaction: every
// mutation either writes everything or nothing.
//
// The API is four functions:
//
//   - Run(ctx, client, func(tx) error) runs fn in a transaction;
//   - RunContext(ctx, client, func(ctx, tx) error) does the same and hands
//     fn a context that carries the transaction, so that services fn calls
//     with that context join it instead of opening another;
//   - FromContext(ctx) returns the transaction ctx carries, or nil;
//   - AfterCommit(tx, f) runs f once the transaction has committed, never
//     when it rolls back.
//
// # Joining
//
// When ctx carries a transaction of the same client (it was made by
// RunContext, or is a context derived from one), Run and RunContext do not
// open a second transaction: fn runs in the one already open, and only the
// outermost call commits or rolls back. This is what lets a service call
// another from inside its own transaction: a second transaction would
// deadlock on SQLite, whose store serializes writers in-process (see
// internal/store), and on PostgreSQL it would not see the first one's
// uncommitted rows.
//
// A joined call that fails fails the whole transaction: when its fn
// returns an error (or panics), the outermost call rolls back even if the
// code in between handled the error, and returns an error wrapping
// ErrRolledBack and the inner one. There are no savepoints: a caller that
// wants to try something and carry on after a failure must do it outside
// the transaction.
//
// A context carrying a transaction of another client (another database) is
// ignored: the call opens its own transaction on its client.
//
// # After commit
//
// AfterCommit queues work for after the outermost transaction commits:
// waking the background worker once queued email is visible to it,
// charging after a finalization, and the like. Functions run only when the
// commit succeeded, after the database acknowledged it (and, on SQLite,
// after the writer lock was released), in the reverse order of
// registration, as deferred calls do. They run on the committing
// goroutine, so they must be quick and must not panic: start a goroutine
// or nudge a channel for anything slow.
package dbtx

import (
	"context"
	"errors"
	"fmt"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/remitbilling/remit/ent"
)

// ErrRolledBack is wrapped by the error of an outermost Run or RunContext
// that rolled back because a joined call inside it failed.
var ErrRolledBack = errors.New("transaction rolled back: a joined call failed")

// state is an open transaction as carried in a context.
type state struct {
	client *ent.Client
	tx     *ent.Tx
	// failed is the first error (or panic) of a joined call: the outermost
	// call rolls back when it is set. Calls on one transaction run on one
	// goroutine (ent transactions are not for concurrent use), so it needs
	// no lock.
	failed error
}

type ctxKey struct{}

// FromContext returns the transaction ctx carries (see RunContext), or nil.
func FromContext(ctx context.Context) *ent.Tx {
	if st, ok := ctx.Value(ctxKey{}).(*state); ok {
		return st.tx
	}
	return nil
}

// Run calls fn inside a transaction on client, committing when fn returns
// nil and rolling back on an error or a panic. When ctx carries a
// transaction of client, fn joins it (see the package documentation).
func Run(ctx context.Context, client *ent.Client, fn func(tx *ent.Tx) error) error {
	return RunContext(ctx, client, func(_ context.Context, tx *ent.Tx) error { return fn(tx) })
}

// RunContext is Run handing fn a context that carries the transaction:
// pass it to the services fn calls so they join the transaction.
func RunContext(ctx context.Context, client *ent.Client, fn func(ctx context.Context, tx *ent.Tx) error) error {
	if st, ok := ctx.Value(ctxKey{}).(*state); ok && st.client == client {
		return join(ctx, st, fn)
	}
	return begin(ctx, client, fn)
}

// join runs fn in the open transaction st, marking it failed when fn fails.
func join(ctx context.Context, st *state, fn func(ctx context.Context, tx *ent.Tx) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if st.failed == nil {
				st.failed = fmt.Errorf("panic: %v", p)
			}
			panic(p)
		}
	}()
	if err := fn(ctx, st.tx); err != nil {
		if st.failed == nil {
			st.failed = err
		}
		return err
	}
	return nil
}

// begin opens a transaction, runs fn in it and commits or rolls back.
func begin(ctx context.Context, client *ent.Client, fn func(ctx context.Context, tx *ent.Tx) error) error {
	tx, err := client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	st := &state{client: client, tx: tx}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	err = fn(context.WithValue(ctx, ctxKey{}, st), tx)
	if err == nil && st.failed != nil {
		err = fmt.Errorf("%w: %w", ErrRolledBack, st.failed)
	}
	if err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(err, fmt.Errorf("rollback: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// AfterCommit runs f once tx has committed; never if it rolls back or its
// commit fails. In a joined call tx is the outermost transaction, so f
// waits for the outermost commit.
func AfterCommit(tx *ent.Tx, f func()) {
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			if err := next.Commit(ctx, tx); err != nil {
				return err
			}
			f()
			return nil
		})
	})
}

// Locking reports whether the dialect needs explicit row locks (SELECT …
// FOR UPDATE) to serialize writers. SQLite serializes every write
// transaction already and rejects the syntax.
func Locking(dialectName string) bool { return dialectName == dialect.Postgres }

// ForNoKeyUpdate locks the rows a query reads against concurrent updates
// until the transaction ends (use it where Locking says so). It is the
// lock of an UPDATE that changes no key: unlike FOR UPDATE it does not
// block the KEY SHARE lock a foreign key takes, so inserting an invoice or
// a payment that refers to the row does not wait for it.
func ForNoKeyUpdate(s *sql.Selector) { s.For(sql.LockNoKeyUpdate) }
