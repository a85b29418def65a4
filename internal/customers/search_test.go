package customers

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"entgo.io/ent/dialect"
	"entgo.io/ent/privacy"

	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/store/storetest"
	"github.com/remitbilling/remit/internal/viewer"
)

// TestSearchDenseAndSparse checks both ways SQLite reads a search (the
// matching terms looked up, or each customer's terms tested in the list's
// order) list the same customers, and that Prepare tells them apart.
func TestSearchDenseAndSparse(t *testing.T) {
	st := storetest.Open(t, dialect.SQLite)
	ctx := clock.WithContext(context.Background(), clock.Real{})
	acct, err := st.Client.Account.Create().SetName("Acme").Save(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil {
		t.Fatal(err)
	}
	ctx = viewer.NewContext(ctx, viewer.Viewer{AccountID: acct.ID, Mode: viewer.Test, Actor: "test"})
	for i := range 40 {
		name := fmt.Sprintf("Client %d Martin", i)
		if i%3 == 0 {
			name = fmt.Sprintf("Client %d Durand", i)
		}
		if _, err := st.Client.Customer.Create().SetName(name).SetEmail(fmt.Sprintf("c%d@example.com", i)).SetInvoicePrefix(fmt.Sprintf("SEARCH%02d", i)).Save(ctx); err != nil {
			t.Fatal(err)
		}
	}
	list := func(f Filter) []string {
		t.Helper()
		q, err := f.Apply(ctx, st.Client.Customer.Query())
		if err != nil {
			t.Fatal(err)
		}
		ids, err := q.Order(customer.ByCreatedAt(), customer.ByID()).IDs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	for _, q := range []string{"martin", "durand", "client", "c1", "example.com", "nobody"} {
		sparse, dense := list(Filter{Query: q}), list(Filter{Query: q, dense: true})
		if !slices.Equal(sparse, dense) {
			t.Errorf("%q: looked up %v, tested %v", q, sparse, dense)
		}
		f := Filter{Query: q}
		if err := f.Prepare(ctx, st.Client); err != nil {
			t.Fatal(err)
		}
		if f.dense {
			t.Errorf("%q: dense with %d customers", q, len(sparse))
		}
	}
}
