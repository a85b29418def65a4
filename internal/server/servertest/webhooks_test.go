package servertest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/remitbilling/remit/ent/event"
	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/app"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/viewer"
	"github.com/remitbilling/remit/internal/webhooks"
)

// receiver is a webhook receiver on loopback that records what it gets
// and answers with the status its answer function says.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	answer func(n int) int
}

type received struct {
	body      []byte
	signature string
	eventID   string
}

func newReceiver(t *testing.T, answer func(n int) int) *receiver {
	r := &receiver{answer: answer}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{b, req.Header.Get(webhooks.SignatureHeader), req.Header.Get(webhooks.EventIDHeader)})
		n := len(r.got)
		r.mu.Unlock()
		code := http.StatusOK
		if r.answer != nil {
			code = r.answer(n)
		}
		if code == http.StatusFound {
			w.Header().Set("Location", "http://127.0.0.1:1/elsewhere")
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, `{"received":true}`)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) all() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

const endpointCreate = `mutation($in: WebhookEndpointCreateInput!) { webhookEndpointCreate(input: $in) {
  webhookEndpoint { id url enabledEvents disabled } secret userErrors { code field message } } }`

func createEndpoint(t *testing.T, e *apitest.Env, key, url string, types ...string) (string, string) {
	t.Helper()
	res := e.Do(apitest.Request{Key: key, Query: endpointCreate, Variables: map[string]any{"in": map[string]any{"url": url, "enabledEvents": types}}})
	pl := res.Data["webhookEndpointCreate"].(map[string]any)
	if ue := pl["userErrors"].([]any); len(ue) > 0 || len(res.Errors) > 0 {
		t.Fatalf("webhookEndpointCreate: %s", res.RawBody)
	}
	return apitest.Str(t, pl, "webhookEndpoint", "id"), apitest.Str(t, pl, "secret")
}

// tickAll runs the application's scheduler until it has nothing left,
// waiting each time for the deliveries it started.
func tickAll(t *testing.T, e *apitest.Env) {
	t.Helper()
	tickUntilIdle(t, e.App, e.Clock)
}

func tickUntilIdle(t *testing.T, a *app.App, clk clock.Clock) {
	t.Helper()
	ctx := clock.WithContext(context.Background(), clk)
	for range 20 {
		n, err := a.Worker.Tick(ctx)
		a.Webhooks.Wait()
		if err != nil {
			t.Fatalf("tick: %v", err)
		}
		if n == 0 {
			return
		}
	}
}

// TestWebhookDelivery: events of the subscribed types reach the endpoint
// as signed POSTs (Stripe's scheme, checked with its algorithm), once
// each, with the event's snapshot; other types do not.
func TestWebhookDelivery(t *testing.T) {
	t.Parallel()
	apitest.ForEachDialect(t, func(t *testing.T, e *apitest.Env) {
		rcv := newReceiver(t, nil)
		_, secret := createEndpoint(t, e, e.Key, rcv.URL+"/hook", "invoice.finalized", "invoice.paid")
		if !strings.HasPrefix(secret, "whsec_") {
			t.Fatalf("secret %q", secret)
		}
		p := newPayT(t, e)
		cus := newCustomer(t, e, "jenny@example.com", "en")
		id := p.open(cus, "EUR", "100.00", nil)
		p.payOK(id, "", p.card(cus, cardOK))
		tickAll(t, e)
		got := rcv.all()
		if len(got) != 2 {
			t.Fatalf("%d deliveries, want invoice.finalized and invoice.paid", len(got))
		}
		var types []string
		for _, g := range got {
			if err := webhooks.Verify(g.signature, g.body, secret, e.Clock.Now()); err != nil {
				t.Errorf("signature %q: %v", g.signature, err)
			}
			var p webhooks.Payload
			if err := json.Unmarshal(g.body, &p); err != nil {
				t.Fatal(err)
			}
			var obj map[string]any
			_ = json.Unmarshal(p.Data.Object, &obj)
			if p.ID != g.eventID || p.Livemode || p.APIVersion != webhooks.APIVersion || obj["id"] != id {
				t.Errorf("payload %s", g.body)
			}
			types = append(types, p.Type)
		}
		if strings.Join(types, ",") != "invoice.finalized,invoice.paid" && strings.Join(types, ",") != "invoice.paid,invoice.finalized" {
			t.Errorf("types %v", types)
		}
		if err := webhooks.Verify(got[0].signature, got[0].body, "whsec_other", e.Clock.Now()); err == nil {
			t.Error("a wrong secret verified")
		}
		tickAll(t, e)
		if len(rcv.all()) != 2 {
			t.Errorf("delivered again: %d", len(rcv.all()))
		}
	})
}

const deliveriesQuery = `query($ep: ID) { webhookDeliveries(endpoint: $ep) { id status attemptCount lastStatusCode nextAttemptAt attempts { statusCode latencyMs body error } } }`

// TestWebhookRetriesAndDisable: a failing receiver is retried with
// backoff, each attempt recorded; a redirect is a failure, not followed;
// an endpoint failing for the whole retry span (three hours in test mode)
// is disabled and the account told.
func TestWebhookRetriesAndDisable(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	e.Mutate("accountUpdate", `mutation { accountUpdate(input: {email: "ops@acme.example"}) { account { id } userErrors { code } } }`, nil)
	flaky := newReceiver(t, func(n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	ep, _ := createEndpoint(t, e, e.Key, flaky.URL, "customer.created")
	newCustomer(t, e, "jenny@example.com", "en")
	tickAll(t, e)
	d := apitest.Get(t, e.Query(deliveriesQuery, map[string]any{"ep": ep}), "webhookDeliveries", 0).(map[string]any)
	if d["status"] != "PENDING" || d["lastStatusCode"].(float64) != 500 || apitest.Str(t, d, "attempts", 0, "body") != `{"received":true}` {
		t.Fatalf("after a 500: %v", d)
	}
	e.Clock.Advance(time.Minute)
	tickAll(t, e)
	d = apitest.Get(t, e.Query(deliveriesQuery, map[string]any{"ep": ep}), "webhookDeliveries", 0).(map[string]any)
	if d["status"] != "SUCCEEDED" || d["attemptCount"].(float64) != 2 || len(flaky.all()) != 2 {
		t.Fatalf("after the retry: %v", d)
	}

	moved := newReceiver(t, func(int) int { return http.StatusFound })
	down, _ := createEndpoint(t, e, e.Key, moved.URL, "customer.created")
	newCustomer(t, e, "oscar@example.com", "en")
	for range 12 {
		tickAll(t, e)
		e.Clock.Advance(30 * time.Minute)
	}
	tickAll(t, e)
	for _, g := range moved.all() {
		if len(g.body) == 0 {
			t.Error("empty delivery")
		}
	}
	d = apitest.Get(t, e.Query(deliveriesQuery, map[string]any{"ep": down}), "webhookDeliveries", 0).(map[string]any)
	if d["status"] != "FAILED" || d["lastStatusCode"].(float64) != 302 {
		t.Fatalf("a redirecting receiver: %v", d)
	}
	eps := e.Query(`{ webhookEndpoints { id disabled disabledReason } }`, nil)
	for _, x := range apitest.Get(t, eps, "webhookEndpoints").([]any) {
		x := x.(map[string]any)
		if x["id"] == down && x["disabled"] != true {
			t.Errorf("failing endpoint still enabled: %v", x)
		}
		if x["id"] == ep && x["disabled"] != false {
			t.Errorf("healthy endpoint disabled: %v", x)
		}
	}
	mails := e.Query(`{ emails(first: 20) { edges { node { kind to subject } } } }`, nil)
	if !strings.Contains(string(must(json.Marshal(mails))), "webhook_endpoint_disabled") {
		t.Errorf("the account was not told: %v", mails)
	}
}

// TestWebhookRotationPingAndResend: after a rotation both secrets sign for
// a day; a ping and a resent event are delivered.
func TestWebhookRotationPingAndResend(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	rcv := newReceiver(t, nil)
	ep, old := createEndpoint(t, e, e.Key, rcv.URL, "customer.created")
	pl := e.Mutate("webhookEndpointRotateSecret", `mutation($id: ID!) { webhookEndpointRotateSecret(input: {id: $id}) { secret userErrors { code } } }`, map[string]any{"id": ep})
	fresh := apitest.Str(t, pl, "secret")
	e.Mutate("webhookEndpointTest", `mutation($id: ID!) { webhookEndpointTest(input: {id: $id}) { delivery { id eventType } userErrors { code } } }`, map[string]any{"id": ep})
	newCustomer(t, e, "jenny@example.com", "en")
	tickAll(t, e)
	got := rcv.all()
	if len(got) != 2 {
		t.Fatalf("%d deliveries, want the ping and the event", len(got))
	}
	for _, g := range got {
		if webhooks.Verify(g.signature, g.body, old, e.Clock.Now()) != nil || webhooks.Verify(g.signature, g.body, fresh, e.Clock.Now()) != nil {
			t.Errorf("during the rotation both secrets sign: %q", g.signature)
		}
	}
	var ev webhooks.Payload
	for _, g := range got {
		_ = json.Unmarshal(g.body, &ev)
		if ev.Type == "customer.created" {
			break
		}
	}
	e.Mutate("eventResend", `mutation($ev: ID!, $ep: ID!) { eventResend(input: {event: $ev, endpoint: $ep}) { delivery { id } userErrors { code } } }`, map[string]any{"ev": ev.ID, "ep": ep})
	e.Clock.Advance(25 * time.Hour)
	tickAll(t, e)
	got = rcv.all()
	last := got[len(got)-1]
	if len(got) != 3 || last.eventID != ev.ID {
		t.Fatalf("resend: %d deliveries, last %s", len(got), last.eventID)
	}
	if webhooks.Verify(last.signature, last.body, fresh, e.Clock.Now()) != nil || webhooks.Verify(last.signature, last.body, old, e.Clock.Now()) == nil {
		t.Errorf("after a day only the new secret signs: %q", last.signature)
	}
}

// TestLiveWebhookURLs: live endpoints are https to public addresses; a
// loopback or private address is refused at creation.
func TestLiveWebhookURLs(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	live := e.NewKey(e.Account, viewer.Live)
	for _, url := range []string{"http://example.com/hook", "https://127.0.0.1/hook", "https://10.0.0.7/hook", "https://[::1]/hook", "https://localhost/hook"} {
		res := e.Do(apitest.Request{Key: live, Query: endpointCreate, Variables: map[string]any{"in": map[string]any{"url": url, "enabledEvents": []string{"*"}}}})
		codes := apitest.ErrorCodes(t, res.Data["webhookEndpointCreate"].(map[string]any))
		if len(codes) != 1 || codes[0] != "INVALID" {
			t.Errorf("%s: %s", url, res.RawBody)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestWebhookReceiversThatFail: an unreachable receiver, one whose TLS
// certificate is not trusted, one that answers 2xx after 9 s (delivered)
// and one that takes 30 s (timed out at 10 s) are each recorded as such;
// a second server process started in the middle of a retry schedule
// finishes it, nothing delivered twice.
func TestWebhookReceiversThatFail(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	untrusted := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	t.Cleanup(untrusted.Close)
	slow := func(d time.Duration) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Read to the end, so the server notices the client leaving.
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-time.After(d):
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(s.Close)
		return s
	}
	cases := map[string]string{
		"unreachable": closedURL,
		"tls":         untrusted.URL,
		"9s":          slow(9 * time.Second).URL,
		"30s":         slow(30 * time.Second).URL,
	}
	eps := map[string]string{}
	for name, url := range cases {
		eps[name], _ = createEndpoint(t, e, e.Key, url, "customer.created")
	}
	newCustomer(t, e, "jenny@example.com", "en")
	start := time.Now()
	tickAll(t, e)
	if took := time.Since(start); took > 25*time.Second {
		t.Errorf("the deliveries took %s: a slow receiver held up the others", took)
	}
	for name, ep := range eps {
		d := apitest.Get(t, e.Query(deliveriesQuery, map[string]any{"ep": ep}), "webhookDeliveries", 0).(map[string]any)
		a := apitest.Get(t, d, "attempts", 0).(map[string]any)
		switch name {
		case "9s":
			if d["status"] != "SUCCEEDED" || a["latencyMs"].(float64) < 9000 {
				t.Errorf("%s: %v", name, d)
			}
		default:
			if d["status"] != "PENDING" || a["error"] == "" {
				t.Errorf("%s: %v", name, d)
			}
		}
	}

	// The failing ones stop: their pending retries end at once.
	for _, ep := range eps {
		e.Mutate("webhookEndpointUpdate", `mutation($id: ID!) { webhookEndpointUpdate(input: {id: $id, disabled: true}) { webhookEndpoint { disabled } userErrors { code } } }`, map[string]any{"id": ep})
	}

	// A restart mid-schedule: another process takes the pending retries.
	flaky := newReceiver(t, func(n int) int {
		if n == 1 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	ep, _ := createEndpoint(t, e, e.Key, flaky.URL, "customer.updated")
	cus := newCustomer(t, e, "oscar@example.com", "en")
	e.Mutate("customerUpdate", `mutation($id: ID!) { customerUpdate(input: {id: $id, customer: {name: "Oscar"}}) { customer { id } userErrors { code } } }`, map[string]any{"id": cus})
	tickAll(t, e)
	restarted := e.SecondProcess(apitest.Options{})
	e.Clock.Advance(time.Minute)
	tickUntilIdle(t, restarted, e.Clock)
	d := apitest.Get(t, e.Query(deliveriesQuery, map[string]any{"ep": ep}), "webhookDeliveries", 0).(map[string]any)
	if d["status"] != "SUCCEEDED" || len(flaky.all()) != 2 {
		t.Errorf("after the restart: %v, %d requests", d, len(flaky.all()))
	}
}

// TestWebhookListen: `remit webhook listen` follows the account's events
// through the API, prints them and forwards them, signed with the secret
// it printed, to a local receiver.
func TestWebhookListen(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	rcv := newReceiver(t, nil)
	var out strings.Builder
	var mu sync.Mutex
	l := &webhooks.Listener{API: e.URL, Key: e.Key, ForwardTo: rcv.URL, Types: []string{"customer.created"}, Interval: 50 * time.Millisecond,
		Out: writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(p) })}
	ctx, cancel := context.WithCancel(clock.WithContext(context.Background(), e.Clock))
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	time.Sleep(100 * time.Millisecond)
	cus := newCustomer(t, e, "jenny@example.com", "en")
	deadline := time.Now().Add(5 * time.Second)
	for len(rcv.all()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := rcv.all()
	if len(got) != 1 {
		t.Fatalf("%d forwarded", len(got))
	}
	if err := webhooks.Verify(got[0].signature, got[0].body, l.Secret, e.Clock.Now()); err != nil {
		t.Errorf("forwarded signature: %v", err)
	}
	mu.Lock()
	printed := out.String()
	mu.Unlock()
	if !strings.Contains(printed, l.Secret) || !strings.Contains(printed, "customer.created") || !strings.Contains(printed, "→ 200") || !strings.Contains(string(got[0].body), cus) {
		t.Errorf("printed:\n%s", printed)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestEventsQueuedOnlyForSubscribers: an event of an account without an
// endpoint is recorded as dispatched (the dispatcher's queue never holds
// it); once an endpoint exists, the account's next events are queued and
// delivered.
func TestEventsQueuedOnlyForSubscribers(t *testing.T) {
	t.Parallel()
	apitest.ForEachDialect(t, func(t *testing.T, e *apitest.Env) {
		sys := viewer.Bypass(context.Background(), "test")
		before := newCustomer(t, e, "jenny@example.com", "en")
		queued := func(objectID string) bool {
			ev, err := e.Store.Client.Event.Query().Where(event.ObjectID(objectID)).Only(sys)
			if err != nil {
				t.Fatal(err)
			}
			return ev.DispatchedAt == nil
		}
		if queued(before) {
			t.Error("an event nobody subscribes to was queued")
		}
		rcv := newReceiver(t, nil)
		createEndpoint(t, e, e.Key, rcv.URL, "customer.created")
		after := newCustomer(t, e, "oscar@example.com", "en")
		if !queued(after) {
			t.Error("an event of a subscribed account was not queued")
		}
		tickAll(t, e)
		if got := rcv.all(); len(got) != 1 || !strings.Contains(string(got[0].body), after) {
			t.Errorf("delivered %d", len(got))
		}
	})
}
