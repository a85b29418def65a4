package store_test

import (
	"context"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/store/storetest"
	"github.com/remitbilling/remit/internal/viewer"
)

// TestChangesAcrossProcesses opens one database twice, as two processes
// would, and checks that a write to a cached table through one moves the
// other's change signal (at once on SQLite, by notification on
// PostgreSQL), that a key's last-used stamp does not, and that a write to
// another table does not either.
func TestChangesAcrossProcesses(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			cfg := storetest.Fresh(t, d)
			ctx := viewer.Bypass(context.Background(), "test")
			a, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			if err := a.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			b, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			eq := func(what string, got, want bool) {
				t.Helper()
				if got != want {
					t.Errorf("%s: %v, want %v", what, got, want)
				}
			}
			eq("immediate", b.Changes.Immediate(), d == dialect.SQLite)

			// moved waits for b's version to leave v (PostgreSQL delivers
			// notifications asynchronously) and says whether it did.
			moved := func(v uint64, wait time.Duration) bool {
				deadline := time.Now().Add(wait)
				for {
					if b.Changes.Version() != v {
						return true
					}
					if time.Now().After(deadline) {
						return false
					}
					time.Sleep(5 * time.Millisecond)
				}
			}
			acct, err := a.Client.Account.Create().SetName("Acme").SetInvoicePrefix("ACME").Save(ctx)
			if err != nil {
				t.Fatal(err)
			}
			key, err := a.Client.APIKey.Create().SetAccountID(acct.ID).SetMode(viewer.Test).
				SetHash([]byte("0123456789abcdef0123456789abcdef")).SetRedacted("sk_test_…0000").SetName("k").Save(ctx)
			if err != nil {
				t.Fatal(err)
			}
			quiet := 300 * time.Millisecond

			v := b.Changes.Version()
			if err := a.Client.APIKey.UpdateOne(key).SetLastUsedAt(time.Now()).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			eq("moved by a last-used stamp", moved(v, quiet), false)

			v = b.Changes.Version()
			if err := a.Client.APIKey.UpdateOne(key).SetRevokedAt(time.Now()).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			wait := time.Duration(0)
			if d != dialect.SQLite {
				wait = 5 * time.Second
			}
			eq("moved by a revocation", moved(v, wait), true)

			// In a transaction: only once it commits.
			v = b.Changes.Version()
			tx, err := a.Client.Tx(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := tx.Account.UpdateOneID(acct.ID).SetName("Acme SAS").Exec(ctx); err != nil {
				t.Fatal(err)
			}
			eq("moved before commit", moved(v, quiet), false)
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			eq("moved by an account change", moved(v, wait), true)
		})
	}
}
