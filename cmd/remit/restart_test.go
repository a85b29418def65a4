package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/mail/mailtest"
)

// TestRestartDeliversQueuedMail sends invoices while no mail server is
// configured, restarts the server with one, and checks that every queued
// message is delivered exactly once.
func TestRestartDeliversQueuedMail(t *testing.T) {
	t.Parallel()
	env := []string{"REMIT_DATA_DIR=" + t.TempDir(), "REMIT_DATABASE_URL="}
	srv := startServer(t, env)
	key := srv.waitStdout(t, keyRE)
	if key == "" {
		t.Fatalf("no test key printed")
	}
	gql := func(s *procServer, q string) map[string]any {
		t.Helper()
		status, res := s.graphql(t, key, q)
		if status != 200 || res["errors"] != nil {
			t.Fatalf("%s: %d %v", q, status, res)
		}
		return res["data"].(map[string]any)
	}
	cus := gql(srv, `mutation { customerCreate(input:{customer:{name:"Jenny Rosen", email:"jenny@example.com"}}) { customer { id } } }`)["customerCreate"].(map[string]any)["customer"].(map[string]any)["id"].(string)
	const n = 3
	for i := range n {
		inv := gql(srv, fmt.Sprintf(`mutation { invoiceCreate(input:{customer:%q, currency:"EUR", lines:[{description:"Item %d", unitAmount:"10"}]}) { invoice { id } } }`, cus, i))
		id := inv["invoiceCreate"].(map[string]any)["invoice"].(map[string]any)["id"].(string)
		fin := gql(srv, fmt.Sprintf(`mutation { invoiceFinalize(input:{id:%q, send:true}) { invoice { emails { status } } userErrors { code } } }`, id))
		if ue := fin["invoiceFinalize"].(map[string]any)["userErrors"].([]any); len(ue) > 0 {
			t.Fatalf("finalize: %v", ue)
		}
	}
	srv.stop()

	mailSrv := mailtest.Start(t, mailtest.Options{})
	srv = startServer(t, append(env, "REMIT_SMTP_URL="+mailSrv.URL()))
	deadline := time.Now().Add(20 * time.Second)
	for mailSrv.Count() < n && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	// Give a duplicate every chance to show up before counting.
	time.Sleep(1500 * time.Millisecond)
	if got := mailSrv.Count(); got != n {
		t.Fatalf("received %d messages after the restart, want exactly %d", got, n)
	}
	emails := gql(srv, `{ emails(first: 10) { edges { node { status attempts } } } }`)["emails"].(map[string]any)["edges"].([]any)
	if len(emails) != n {
		t.Fatalf("%d emails listed", len(emails))
	}
	for _, e := range emails {
		if st := e.(map[string]any)["node"].(map[string]any)["status"]; st != "SENT" {
			t.Errorf("email status %v, want SENT", st)
		}
	}
}
