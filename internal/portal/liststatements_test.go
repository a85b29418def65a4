package portal_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/remitbilling/remit/internal/apitest"
)

// TestPortalListStatements counts the SQL statements of the portal's
// invoice list with lines (bench/portal_test.go's query) through
// /portal/graphql: the session with whether its portal is on, the page of
// invoices and their lines, whatever the page size. A portal turned off
// still signs its sessions out.
func TestPortalListStatements(t *testing.T) {
	t.Parallel()
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var rec *[]string
			e := apitest.StartWith(t, d, apitest.Options{OnQuery: func(_ context.Context, q string) {
				mu.Lock()
				defer mu.Unlock()
				if rec != nil {
					*rec = append(*rec, q)
				}
			}})
			l := newLoginEnv(t, e)
			for range 3 {
				q := `mutation($in: InvoiceCreateInput!) { invoiceCreate(input: $in) { invoice { id } userErrors { code } } }`
				id := apitest.Str(t, e.Mutate("invoiceCreate", q, map[string]any{"in": map[string]any{"customer": l.ada, "currency": "EUR", "lines": []any{
					map[string]any{"description": "Subscription", "quantity": "1", "unitAmount": "100.00"},
					map[string]any{"description": "Support", "quantity": "2", "unitAmount": "10.00"},
				}}}), "invoice", "id")
				e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { id } userErrors { code } } }`, map[string]any{"id": id})
			}
			sess, err := l.svc.VerifyLogin(l.p, "ada@example.com", l.code(t, "ada@example.com", 1), "test")
			if err != nil {
				t.Fatal(err)
			}
			list := func() (*apitest.Response, []string) {
				var got []string
				mu.Lock()
				rec = &got
				mu.Unlock()
				res := e.Do(apitest.Request{Path: "/portal/graphql", Key: sess.Token,
					Query: `query { invoices(first: 20) { edges { node { number status total { amount } lines { description amount { amount } } } } } }`})
				mu.Lock()
				rec = nil
				mu.Unlock()
				return res, got
			}
			res, stmts := list()
			if len(res.Errors) > 0 {
				t.Fatalf("list: %s", res.RawBody)
			}
			if edges := res.Data["invoices"].(map[string]any)["edges"].([]any); len(edges) != 3 {
				t.Fatalf("%d invoices listed, want 3", len(edges))
			}
			for _, s := range stmts {
				t.Logf("%.160s", s)
			}
			want := []string{"portal_sessions", "invoices", "invoice_lines"}
			if len(stmts) != len(want) {
				t.Fatalf("%d statements, want %d (%s)", len(stmts), len(want), strings.Join(want, ", "))
			}
			for i, table := range want {
				if !strings.Contains(stmts[i], "FROM `"+table+"`") && !strings.Contains(stmts[i], `FROM "`+table+`"`) {
					t.Errorf("statement %d reads %.80s, want %s", i+1, stmts[i], table)
				}
			}

			e.Mutate("portalSettingsUpdate", `mutation { portalSettingsUpdate(input: {enabled: false}) { portalSettings { url } userErrors { code } } }`, nil)
			if res, _ := list(); len(res.Errors) == 0 || res.Errors[0]["extensions"].(map[string]any)["code"] != "UNAUTHENTICATED" {
				t.Fatalf("list with the portal off: %s", res.RawBody)
			}
		})
	}
}
