package servertest_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/portalauth"
	"github.com/remitbilling/remit/internal/server"
	"github.com/remitbilling/remit/internal/viewer"
)

// sseEvents subscribes with key over Server-Sent Events and sends each
// streamed payload's data to the returned channel until ctx ends.
func sseEvents(t *testing.T, ctx context.Context, e *apitest.Env, key, query string) <-chan map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("subscribe: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	out := make(chan map[string]any, 16)
	go func() {
		defer close(out)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			line := sc.Text()
			if !strings.HasPrefix(line, "data:") {
				continue
			}
			var p struct {
				Data   map[string]any `json:"data"`
				Errors []any          `json:"errors"`
			}
			if json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(line, "data:"))), &p) == nil && p.Data != nil {
				out <- p.Data
			}
		}
	}()
	return out
}

// TestEventsSubscription: a merchant subscribed over SSE receives the
// events of its account and mode as they commit, of the types it asked
// for; another account's, or another mode's, never reach it.
func TestEventsSubscription(t *testing.T) {
	t.Parallel()
	apitest.ForEachDialect(t, func(t *testing.T, e *apitest.Env) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		stream := sseEvents(t, ctx, e, e.Key, `subscription { events(types: ["customer.created"]) { id type objectId } }`)
		time.Sleep(300 * time.Millisecond) // the subscription is in place
		other, _ := e.NewAccount("Other SAS", viewer.Test)
		otherKey := e.NewKey(other, viewer.Test)
		e.Do(apitest.Request{Key: otherKey, Query: `mutation { customerCreate(input: {customer: {name: "Not yours"}}) { customer { id } userErrors { code } } }`})
		live := e.NewKey(e.Account, viewer.Live)
		e.Do(apitest.Request{Key: live, Query: `mutation { customerCreate(input: {customer: {name: "Live one"}}) { customer { id } userErrors { code } } }`})
		mine := newCustomer(t, e, "jenny@example.com", "en")
		e.Mutate("customerUpdate", `mutation($id: ID!) { customerUpdate(input: {id: $id, customer: {name: "Jenny"}}) { customer { id } userErrors { code } } }`, map[string]any{"id": mine})
		select {
		case got, ok := <-stream:
			if !ok {
				t.Fatal("the stream ended")
			}
			ev := got["events"].(map[string]any)
			if ev["type"] != "customer.created" || ev["objectId"] != mine {
				t.Fatalf("first event %v, want the creation of %s", ev, mine)
			}
		case <-ctx.Done():
			t.Fatal("no event within the time")
		}
		select {
		case got := <-stream:
			t.Errorf("a second event reached the subscriber: %v", got)
		case <-time.After(time.Second):
		}
	})
}

// TestPortalInvoiceSubscription: a portal customer subscribed over SSE
// sees their invoices change as it happens, and never another
// customer's.
func TestPortalInvoiceSubscription(t *testing.T) {
	t.Parallel()
	apitest.ForEachDialect(t, func(t *testing.T, e *apitest.Env) {
		p := newPayT(t, e)
		slug := enablePortal(t, e, e.Key)
		jenny := newCustomer(t, e, "jenny@example.com", "en")
		oscar := newCustomer(t, e, "oscar@example.com", "en")
		c := newPapi(t, e).login(slug, "jenny@example.com")
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		body, _ := json.Marshal(map[string]any{"query": `subscription { invoiceUpdated { id status } }`})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.URL+"/portal/graphql", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "text/event-stream")
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("subscribe: %v %v", err, res)
		}
		defer res.Body.Close()
		got := make(chan map[string]any, 16)
		go func() {
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() {
				if line := sc.Text(); strings.HasPrefix(line, "data:") {
					var p struct {
						Data map[string]any `json:"data"`
					}
					if json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(line, "data:"))), &p) == nil && p.Data != nil {
						got <- p.Data["invoiceUpdated"].(map[string]any)
					}
				}
			}
		}()
		time.Sleep(300 * time.Millisecond)
		p.open(oscar, "EUR", "10.00", nil)
		mine := p.open(jenny, "EUR", "20.00", nil)
		deadline := time.After(10 * time.Second)
		for {
			select {
			case inv := <-got:
				if inv["id"] != mine {
					t.Fatalf("another invoice reached the customer: %v", inv)
				}
				if inv["status"] == "OPEN" {
					return
				}
			case <-deadline:
				t.Fatal("the customer's invoice never came")
			}
		}
	})
}

// TestEventsOverWebSocket: the same subscription over graphql-transport-ws,
// authenticated by the connection_init payload; a wrong key is refused.
func TestEventsOverWebSocket(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dial := func(key string) *websocket.Conn {
		t.Helper()
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.URL, "http")+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		t.Cleanup(func() { c.CloseNow() })
		if err := wsjson.Write(ctx, c, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + key}}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	bad := dial("sk_test_nope")
	var m map[string]any
	if err := wsjson.Read(ctx, bad, &m); err == nil && m["type"] == "connection_ack" {
		t.Fatal("a wrong key was acknowledged")
	}

	c := dial(e.Key)
	if err := wsjson.Read(ctx, c, &m); err != nil || m["type"] != "connection_ack" {
		t.Fatalf("init: %v %v", m, err)
	}
	if err := wsjson.Write(ctx, c, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query": `subscription { events(types: ["customer.created"]) { type objectId } }`}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	cus := newCustomer(t, e, "jenny@example.com", "en")
	for {
		if err := wsjson.Read(ctx, c, &m); err != nil {
			t.Fatalf("read: %v", err)
		}
		if m["type"] == "ping" || m["type"] == "ka" {
			continue
		}
		payload, _ := json.Marshal(m["payload"])
		if m["type"] != "next" || !strings.Contains(string(payload), cus) {
			t.Fatalf("got %v", m)
		}
		return
	}
}

// TestPortalSubscriptionOverWebSocket: the portal's subscription over
// graphql-transport-ws signs in with the session token of its init
// payload; a payload without one is refused, whatever cookie the upgrade
// carried.
func TestPortalSubscriptionOverWebSocket(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	p := newPayT(t, e)
	slug := enablePortal(t, e, e.Key)
	jenny := newCustomer(t, e, "jenny@example.com", "en")
	c := newPapi(t, e).login(slug, "jenny@example.com")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dial := func(payload map[string]any, cookie string) *websocket.Conn {
		t.Helper()
		h := http.Header{}
		if cookie != "" {
			h.Set("Cookie", cookie)
		}
		conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.URL, "http")+"/portal/graphql",
			&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: h})
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		t.Cleanup(func() { conn.CloseNow() })
		if err := wsjson.Write(ctx, conn, map[string]any{"type": "connection_init", "payload": payload}); err != nil {
			t.Fatal(err)
		}
		return conn
	}
	var m map[string]any
	cookieOnly := dial(map[string]any{}, portalauth.CookieName+"="+c.token)
	if err := wsjson.Read(ctx, cookieOnly, &m); err == nil && m["type"] == "connection_ack" {
		t.Fatal("a connection without a token in its payload was acknowledged")
	}
	conn := dial(map[string]any{"Authorization": "Bearer " + c.token}, "")
	if err := wsjson.Read(ctx, conn, &m); err != nil || m["type"] != "connection_ack" {
		t.Fatalf("init: %v %v", m, err)
	}
	if err := wsjson.Write(ctx, conn, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": `subscription { invoiceUpdated { id status } }`}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	id := p.open(jenny, "EUR", "20.00", nil)
	for {
		if err := wsjson.Read(ctx, conn, &m); err != nil {
			t.Fatalf("read: %v", err)
		}
		if m["type"] != "next" {
			continue
		}
		payload, _ := json.Marshal(m["payload"])
		if !strings.Contains(string(payload), id) {
			t.Fatalf("got %s", payload)
		}
		if strings.Contains(string(payload), `"OPEN"`) {
			return
		}
	}
}

// TestSubscriptionAcrossProcesses: a subscriber of one server process
// receives an event another process committed (both databases).
func TestSubscriptionAcrossProcesses(t *testing.T) {
	t.Parallel()
	apitest.ForEachDialect(t, func(t *testing.T, e *apitest.Env) {
		second, err := server.NewFromConfig(server.Config{App: e.SecondProcess(apitest.Options{})})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(second)
		t.Cleanup(hs.Close)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		other := *e
		other.URL = hs.URL
		stream := sseEvents(t, ctx, &other, e.Key, `subscription { events(types: ["customer.created"]) { objectId } }`)
		time.Sleep(300 * time.Millisecond)
		cus := newCustomer(t, e, "jenny@example.com", "en") // through the first process
		select {
		case got := <-stream:
			if got["events"].(map[string]any)["objectId"] != cus {
				t.Fatalf("got %v", got)
			}
		case <-ctx.Done():
			t.Fatal("the other process's subscriber never heard of it")
		}
	})
}
