// Package clienttest runs Remit's API through the JavaScript tools browser
// apps and their back ends use (internal/clienttest/node): Apollo Client,
// graphql-ws and Stripe's webhook verification, against the real server.
package clienttest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/store/storetest"
	"github.com/remitbilling/remit/internal/webhooks"
)

func TestJavaScriptClients(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: install Node.js 20 or later (Debian: apt-get install nodejs npm)")
	}
	if _, err := os.Stat(filepath.Join("node", "node_modules", "@apollo", "client")); err != nil {
		t.Fatal("the client test's packages are not installed: run `npm ci` in internal/clienttest/node (make test does)")
	}
	e := apitest.Start(t, storetest.Dialects()[0])

	// A webhook delivery to check with Stripe's code.
	type delivery struct{ body, signature string }
	got := make(chan delivery, 4)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- delivery{string(b), r.Header.Get(webhooks.SignatureHeader)}
	}))
	defer rcv.Close()
	pl := e.Mutate("webhookEndpointCreate", `mutation($u: String!) { webhookEndpointCreate(input: {url: $u, enabledEvents: ["customer.created"]}) { webhookEndpoint { id } secret userErrors { code } } }`,
		map[string]any{"u": rcv.URL})
	secret := apitest.Str(t, pl, "secret")
	cus := apitest.Str(t, e.Mutate("customerCreate", `mutation { customerCreate(input: {customer: {name: "Jenny Rosen", email: "jenny@example.com"}}) { customer { id } userErrors { code } } }`, nil), "customer", "id")
	ctx := clock.WithContext(context.Background(), e.Clock)
	for range 5 {
		if _, err := e.App.Worker.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		e.App.Webhooks.Wait()
	}
	var d delivery
	select {
	case d = <-got:
	default:
		t.Fatal("no webhook delivered")
	}
	var payload webhooks.Payload
	if err := json.Unmarshal([]byte(d.body), &payload); err != nil {
		t.Fatal(err)
	}

	// 250 invoices to page through, and one open invoice to pay.
	var invoices []string
	for range 250 {
		pl := e.Mutate("invoiceCreate", `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", lines: [{description: "Support", unitAmount: "10"}]}) { invoice { id } userErrors { code } } }`,
			map[string]any{"c": cus})
		invoices = append(invoices, apitest.Str(t, pl, "invoice", "id"))
	}
	open := invoices[0]
	e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { id } userErrors { code } } }`, map[string]any{"id": open})

	cfg := map[string]any{
		"url": e.URL, "key": e.Key, "invoices": invoices, "open": open,
		"webhook": map[string]any{"body": d.body, "signature": d.signature, "secret": secret, "eventId": payload.ID, "now": e.Clock.Now().Unix()},
	}
	f := filepath.Join(t.TempDir(), "env.json")
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "--test", "--test-reporter=spec", "client.test.mjs")
	cmd.Dir = "node"
	cmd.Env = append(os.Environ(), "REMIT_CLIENT_TEST="+f)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node client test: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
