package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/remitbilling/remit/ent/privacy"
	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/store/storetest"
	"github.com/remitbilling/remit/internal/viewer"
)

type ctxMark struct{}

// TestOnQuery checks the observer sees every statement the client sends —
// in and out of transactions, ent builders and raw SQL — with the caller's
// context, and that a store without one works as before.
func TestOnQuery(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			var (
				mu   sync.Mutex
				seen []string
			)
			cfg := storetest.Fresh(t, d)
			cfg.OnQuery = func(ctx context.Context, q string) {
				if ctx.Value(ctxMark{}) == nil {
					return // migrations and the like
				}
				mu.Lock()
				seen = append(seen, q)
				mu.Unlock()
			}
			ctx := context.Background()
			st, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			if err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			ctx = context.WithValue(privacy.DecisionContext(ctx, privacy.Allow), ctxMark{}, true)
			take := func() []string {
				mu.Lock()
				defer mu.Unlock()
				out := seen
				seen = nil
				return out
			}
			want := func(step string, n int, prefixes ...string) {
				t.Helper()
				got := take()
				if len(got) != n {
					t.Fatalf("%s: %d statements observed, want %d: %q", step, len(got), n, got)
				}
				for i, p := range prefixes {
					if !strings.HasPrefix(strings.ToUpper(strings.TrimSpace(got[i])), p) {
						t.Errorf("%s: statement %d = %q, want %s…", step, i, got[i], p)
					}
				}
			}

			acct, err := st.Client.Account.Create().SetName("Acme").Save(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want("create", 1, "INSERT")
			if _, err := st.Client.Account.Query().All(ctx); err != nil {
				t.Fatal(err)
			}
			want("query", 1, "SELECT")
			raw := "UPDATE sequences SET next = next + 1 WHERE scope = ?"
			if st.Dialect == dialect.Postgres {
				raw = "UPDATE sequences SET next = next + 1 WHERE scope = $1"
			}
			tx, err := st.Client.Tx(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Sequence.Create().SetAccountID(acct.ID).SetMode(viewer.Test).SetScope("x").Save(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Sequence.Update().AddNext(1).Save(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Sequence.Query().Count(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.ExecContext(ctx, raw, "x"); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			want("transaction", 4, "INSERT", "UPDATE", "SELECT", "UPDATE")
			if _, err := st.Client.ExecContext(ctx, raw, "x"); err != nil {
				t.Fatal(err)
			}
			rows, err := st.Client.QueryContext(ctx, "SELECT next FROM sequences")
			if err != nil {
				t.Fatal(err)
			}
			var next int
			for rows.Next() {
				if err := rows.Scan(&next); err != nil {
					t.Fatal(err)
				}
			}
			rows.Close()
			if next != 4 {
				t.Errorf("next = %d, want 4", next)
			}
			want("raw", 2, "UPDATE", "SELECT")
		})
	}
}
