package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	"entgo.io/ent/privacy"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/customerterm"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/store/storetest"
	"github.com/remitbilling/remit/internal/viewer"
)

// TestCustomerTermsBackfill checks the statement of migration 0013 that
// writes the search terms of the customers stored before it gives the
// terms the hook on Customer writes (internal/searchterms), on both
// databases: names and emails with punctuation, digits, upper case,
// non-ASCII letters and more than 64 characters.
func TestCustomerTermsBackfill(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := clock.WithContext(context.Background(), clock.Real{})
		sys := privacy.DecisionContext(ctx, privacy.Allow)
		acct, err := st.Client.Account.Create().SetName("Acme").Save(sys)
		if err != nil {
			t.Fatal(err)
		}
		ctx = viewer.NewContext(ctx, viewer.Viewer{AccountID: acct.ID, Mode: viewer.Test, Actor: "test"})
		people := [][2]string{
			{"Jenny Rosen-Martin", "Jenny.Rosen@Example.com"},
			{"ÉMILE Zola (Paris 8e)", "emile+factures@zola.example"},
			{"  O'Brien & Sons, Ltd.", ""},
			{"", "X@Y.Z"},
			{strings.Repeat("Longname", 20) + " End", "ap@" + strings.Repeat("sub.", 30) + "example"},
			{"Ünïcödé ßtraße 42", "ünï@straße.example"},
		}
		for i, p := range people {
			_, err := st.Client.Customer.Create().SetName(p[0]).SetEmail(p[1]).
				SetInvoicePrefix(fmt.Sprintf("BACKFIL%d", i)).Save(ctx)
			if err != nil {
				t.Fatal(err)
			}
		}
		// A name changed later: its terms follow.
		c, err := st.Client.Customer.Query().Order(ent.Asc("created_at"), ent.Asc("id")).First(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Client.Customer.UpdateOne(c).SetName("Jenny Martin").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		read := func() []string {
			t.Helper()
			terms, err := st.Client.CustomerTerm.Query().All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, term := range terms {
				out = append(out, term.CustomerID+" "+term.Term)
			}
			slices.Sort(out)
			return out
		}
		hook := read()
		if !slices.Contains(hook, c.ID+" martin") || slices.Contains(hook, c.ID+" rosen-martin") {
			t.Errorf("after the name changed, terms are %q", hook)
		}
		if _, err := st.Client.CustomerTerm.Delete().Where(customerterm.IDGT(0)).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		name := "sqlite"
		if st.Dialect == dialect.Postgres {
			name = "postgres"
		}
		raw, err := os.ReadFile(filepath.Join("migrations", name, "0013_customer_search.sql"))
		if err != nil {
			t.Fatal(err)
		}
		backfill := raw[strings.Index(string(raw), "INSERT INTO"):]
		if _, err := st.DB.ExecContext(ctx, string(backfill)); err != nil {
			t.Fatalf("backfill: %v", err)
		}
		if got := read(); !slices.Equal(got, hook) {
			t.Errorf("backfill wrote\n%q\nthe hook wrote\n%q", got, hook)
		}
	})
}
