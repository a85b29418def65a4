package store_test

import (
	"context"
	"testing"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/remitbilling/remit/ent/privacy"
	"github.com/remitbilling/remit/internal/store/storetest"
	"github.com/remitbilling/remit/internal/usererr"
)

// TestTextGuard checks the data layer's wall: a write or a read carrying
// NUL or invalid UTF-8 is refused with INVALID_STRING on both databases
// (PostgreSQL would fail with an internal error, SQLite would store it),
// and the database is left as it was.
func TestTextGuard(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			st := storetest.Open(t, d)
			ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
			for _, bad := range []string{"Acme\x00", "\xff", "caf\xc3"} {
				_, err := st.Client.Account.Create().SetName(bad).SetInvoicePrefix("ACME").Save(ctx)
				if ue := usererr.From(err); len(ue) != 1 || ue[0].Code != usererr.InvalidString {
					t.Errorf("create with %q: %v, want INVALID_STRING", bad, err)
				}
				_, err = st.Client.Account.Query().Where(func(s *entsql.Selector) { s.Where(entsql.EQ(s.C("name"), bad)) }).All(ctx)
				if ue := usererr.From(err); len(ue) != 1 || ue[0].Code != usererr.InvalidString {
					t.Errorf("query with %q: %v, want INVALID_STRING", bad, err)
				}
			}
			if n, err := st.Client.Account.Query().Count(ctx); err != nil || n != 0 {
				t.Errorf("accounts: %d, %v; want none", n, err)
			}
		})
	}
}
