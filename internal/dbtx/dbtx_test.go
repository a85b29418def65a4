package dbtx_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/privacy"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/store/storetest"
)

var errBoom = errors.New("boom")

// system is a context past the privacy rules: these tests are about
// transactions, not about who may write.
func system() context.Context { return privacy.DecisionContext(context.Background(), privacy.Allow) }

// create writes one account named name in tx.
func create(ctx context.Context, tx *ent.Tx, name string) error {
	return tx.Account.Create().SetName(name).Exec(ctx)
}

func accountNames(t *testing.T, st *store.Store) []string {
	t.Helper()
	all, err := st.Client.Account.Query().All(system())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range all {
		out = append(out, a.Name)
	}
	slices.Sort(out)
	return out
}

// TestNested runs a transaction inside another, as a service calling
// another from its own transaction does. Without joining, the inner call
// waits forever for SQLite's writer lock (the deadline turns that into an
// error) and, on PostgreSQL, commits on its own whatever the outer one does.
func TestNested(t *testing.T) {
	cases := []struct {
		name string
		// inner is the nested call's work; outer returns what the outer fn
		// returns after it, given the nested call's error.
		inner     func(ctx context.Context, tx *ent.Tx) error
		outer     func(innerErr error) error
		wantErr   error // errors.Is on the outermost result; nil for success
		wantNames []string
		wantAfter []string // after-commit calls, in the order they ran
	}{
		{
			name:      "both commit together",
			inner:     func(ctx context.Context, tx *ent.Tx) error { return create(ctx, tx, "inner") },
			outer:     func(innerErr error) error { return innerErr },
			wantNames: []string{"inner", "outer"}, // sorted
			wantAfter: []string{"inner", "outer"},
		},
		{
			name:    "the outer error rolls back the inner work",
			inner:   func(ctx context.Context, tx *ent.Tx) error { return create(ctx, tx, "inner") },
			outer:   func(innerErr error) error { return errBoom },
			wantErr: errBoom,
		},
		{
			name: "an inner error rolls back everything",
			inner: func(ctx context.Context, tx *ent.Tx) error {
				if err := create(ctx, tx, "inner"); err != nil {
					return err
				}
				return errBoom
			},
			outer:   func(innerErr error) error { return innerErr },
			wantErr: errBoom,
		},
		{
			name: "an inner error handled by the caller still rolls back everything",
			inner: func(ctx context.Context, tx *ent.Tx) error {
				if err := create(ctx, tx, "inner"); err != nil {
					return err
				}
				return errBoom
			},
			outer:   func(innerErr error) error { return nil },
			wantErr: dbtx.ErrRolledBack,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storetest.ForEach(t, func(t *testing.T, st *store.Store) {
				ctx, cancel := context.WithTimeout(system(), 5*time.Second)
				defer cancel()
				var after []string
				err := dbtx.RunContext(ctx, st.Client, func(ctx context.Context, outer *ent.Tx) error {
					if dbtx.FromContext(ctx) != outer {
						t.Error("FromContext does not return the open transaction")
					}
					dbtx.AfterCommit(outer, func() { after = append(after, "outer") })
					if err := create(ctx, outer, "outer"); err != nil {
						return err
					}
					// The old signature joins too, given the context.
					innerErr := dbtx.Run(ctx, st.Client, func(inner *ent.Tx) error {
						if inner != outer {
							t.Error("the nested call opened a second transaction")
						}
						dbtx.AfterCommit(inner, func() { after = append(after, "inner") })
						return tc.inner(ctx, inner)
					})
					if len(after) != 0 {
						t.Errorf("after-commit work ran before the outer commit: %v", after)
					}
					return tc.outer(innerErr)
				})
				if tc.wantErr == nil && err != nil {
					t.Fatalf("Run: %v", err)
				}
				if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
					t.Fatalf("Run = %v, want %v", err, tc.wantErr)
				}
				if got := accountNames(t, st); !slices.Equal(got, tc.wantNames) {
					t.Errorf("accounts = %v, want %v", got, tc.wantNames)
				}
				if !slices.Equal(after, tc.wantAfter) {
					t.Errorf("after-commit calls = %v, want %v", after, tc.wantAfter)
				}
			})
		})
	}
}

// TestPanic checks that a panic, in the outer or a joined call, rolls
// everything back, runs no after-commit work and reaches the caller.
func TestPanic(t *testing.T) {
	cases := []struct {
		name string
		// recoverInner makes the outer fn swallow the joined call's panic.
		recoverInner bool
		outerPanics  bool
		wantPanic    bool
		wantErr      error
	}{
		{name: "outer panics", outerPanics: true, wantPanic: true},
		{name: "joined call panics", wantPanic: true},
		{name: "joined call panics and the caller recovers", recoverInner: true, wantErr: dbtx.ErrRolledBack},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storetest.ForEach(t, func(t *testing.T, st *store.Store) {
				ctx, cancel := context.WithTimeout(system(), 5*time.Second)
				defer cancel()
				ran := false
				var err error
				panicked := func() (p any) {
					defer func() { p = recover() }()
					err = dbtx.RunContext(ctx, st.Client, func(ctx context.Context, tx *ent.Tx) error {
						dbtx.AfterCommit(tx, func() { ran = true })
						if err := create(ctx, tx, "outer"); err != nil {
							return err
						}
						if tc.outerPanics {
							panic("outer")
						}
						func() {
							if tc.recoverInner {
								defer func() { _ = recover() }()
							}
							_ = dbtx.Run(ctx, st.Client, func(tx *ent.Tx) error {
								if err := create(ctx, tx, "inner"); err != nil {
									return err
								}
								panic("inner")
							})
						}()
						return nil
					})
					return nil
				}()
				if (panicked != nil) != tc.wantPanic {
					t.Fatalf("panic = %v, want a panic: %v", panicked, tc.wantPanic)
				}
				if !tc.wantPanic && !errors.Is(err, tc.wantErr) {
					t.Fatalf("Run = %v, want %v", err, tc.wantErr)
				}
				if got := accountNames(t, st); len(got) != 0 {
					t.Errorf("accounts after a panic = %v, want none", got)
				}
				if ran {
					t.Error("after-commit work ran although the transaction rolled back")
				}
				// The store is usable afterwards: the writer lock was released.
				if err := dbtx.Run(ctx, st.Client, func(tx *ent.Tx) error { return create(ctx, tx, "next") }); err != nil {
					t.Fatalf("next transaction: %v", err)
				}
			})
		})
	}
}

// TestAfterCommit checks after-commit work against the transaction's
// outcome, without nesting.
func TestAfterCommit(t *testing.T) {
	cases := []struct {
		name    string
		fnErr   error
		wantRan bool
	}{
		{name: "commit", wantRan: true},
		{name: "rollback", fnErr: errBoom},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storetest.ForEach(t, func(t *testing.T, st *store.Store) {
				ctx := system()
				ran := 0
				err := dbtx.Run(ctx, st.Client, func(tx *ent.Tx) error {
					dbtx.AfterCommit(tx, func() {
						ran++
						// The work sees the committed rows from outside the
						// transaction (the writer lock is free on SQLite).
						if n, err := st.Client.Account.Query().Count(ctx); err != nil || n != 1 {
							t.Errorf("after commit: %d accounts, %v; want 1", n, err)
						}
					})
					if err := create(ctx, tx, "a"); err != nil {
						return err
					}
					return tc.fnErr
				})
				if !errors.Is(err, tc.fnErr) {
					t.Fatalf("Run = %v, want %v", err, tc.fnErr)
				}
				if want := map[bool]int{true: 1}[tc.wantRan]; ran != want {
					t.Errorf("after-commit work ran %d times, want %d", ran, want)
				}
			})
		})
	}
}

// TestOtherClient checks that a transaction of another database is not
// joined: the call opens its own on its client.
func TestOtherClient(t *testing.T) {
	a, b := storetest.Open(t, "sqlite3"), storetest.Open(t, "sqlite3")
	ctx := system()
	err := dbtx.RunContext(ctx, a.Client, func(ctx context.Context, txA *ent.Tx) error {
		return dbtx.Run(ctx, b.Client, func(txB *ent.Tx) error {
			if txA == txB {
				t.Error("joined a transaction of another client")
			}
			return create(ctx, txB, "b")
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := accountNames(t, b); !slices.Equal(got, []string{"b"}) {
		t.Errorf("accounts of b = %v", got)
	}
	if dbtx.FromContext(ctx) != nil {
		t.Error("FromContext of a bare context is not nil")
	}
}
