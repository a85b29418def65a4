package servertest_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/accounts"
	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/server"
	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/store/storetest"
	"github.com/remitbilling/remit/internal/viewer"
)

// wrongKeyQuery posts a query with a key that was never issued.
func wrongKey(t testing.TB, url string) httpResult {
	t.Helper()
	return send(t, http.MethodPost, url+"/graphql", strings.NewReader(`{"query":"{ account { id } }"}`), map[string]string{
		"Content-Type": "application/json", "Authorization": "Bearer sk_test_" + strings.Repeat("x", 40),
	})
}

// assertRateLimited checks a 429 answer: its code and a Retry-After of
// whole seconds within the window.
func assertRateLimited(t testing.TB, what string, res httpResult, window time.Duration) {
	t.Helper()
	if res.Status != http.StatusTooManyRequests {
		t.Fatalf("%s: status %d, want 429: %s", what, res.Status, truncate(res.Body))
	}
	if codes := jsonErrorCodes(t, res.Body); len(codes) != 1 || codes[0] != "RATE_LIMITED" {
		t.Fatalf("%s: codes %v, want RATE_LIMITED", what, codes)
	}
	s, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil || s < 1 || time.Duration(s)*time.Second > window {
		t.Fatalf("%s: Retry-After %q, want 1…%d seconds", what, res.Header.Get("Retry-After"), int(window.Seconds()))
	}
}

// TestFailedAuthBurst sends 300 requests with wrong keys at once, as the
// security review did: before the limit all 300 got 401; now at most
// FailedAuthPerAddress do and the rest get 429 with Retry-After until the
// window ends. A valid key from the same address keeps working.
func TestFailedAuthBurst(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		const burst = 300
		statuses := map[int]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		jobs := make(chan int)
		for range 16 {
			wg.Go(func() {
				for range jobs {
					res := wrongKey(t, e.URL)
					if res.Status == http.StatusTooManyRequests {
						assertRateLimited(t, "burst", res, server.FailedAuthPerAddress.Window)
					}
					mu.Lock()
					statuses[res.Status]++
					mu.Unlock()
				}
			})
		}
		start := time.Now()
		for i := range burst {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		t.Logf("%d wrong-key requests in %s: %d × 401, %d × 429, others %v", burst, time.Since(start).Round(time.Millisecond),
			statuses[http.StatusUnauthorized], statuses[http.StatusTooManyRequests], statuses)
		if statuses[http.StatusUnauthorized] > server.FailedAuthPerAddress.Limit ||
			statuses[http.StatusUnauthorized]+statuses[http.StatusTooManyRequests] != burst {
			t.Fatalf("statuses %v: want at most %d × 401, the rest 429", statuses, server.FailedAuthPerAddress.Limit)
		}
		if ok := e.Do(apitest.Request{Query: `{ account { id } }`}); ok.Status != http.StatusOK {
			t.Fatalf("valid key from the refused address: %d %s", ok.Status, truncate(ok.RawBody))
		}
		if res := wrongKey(t, e.URL); res.Status != http.StatusTooManyRequests {
			t.Fatalf("wrong key from the refused address: %d, want 429", res.Status)
		}
		e.Clock.Advance(server.FailedAuthPerAddress.Window)
		if res := wrongKey(t, e.URL); res.Status != http.StatusUnauthorized {
			t.Fatalf("wrong key after the window: %d, want 401", res.Status)
		}
	})
}

// TestFailedAuthPerAddress checks the limit counts per client address (an
// IPv6 /64 as one): another address is not refused.
func TestFailedAuthPerAddress(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	do := func(addr, key string) int {
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ account { id } }"}`))
		r.RemoteAddr = addr
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+key)
		w := httptest.NewRecorder()
		e.Server.ServeHTTP(w, r)
		return w.Code
	}
	wrong := "sk_test_" + strings.Repeat("y", 40)
	for i := range server.FailedAuthPerAddress.Limit {
		// One /64, many addresses.
		if got := do(fmt.Sprintf("[2001:db8:1:2::%x]:1234", i+1), wrong); got != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, got)
		}
	}
	if got := do("[2001:db8:1:2:ffff::1]:1", wrong); got != http.StatusTooManyRequests {
		t.Fatalf("same /64 past the limit: %d, want 429", got)
	}
	if got := do("[2001:db8:1:3::1]:1", e.Key); got != http.StatusOK {
		t.Fatalf("another /64 with a valid key: %d", got)
	}
	if got := do("198.51.100.7:1", e.Key); got != http.StatusOK {
		t.Fatalf("another address with a valid key: %d", got)
	}
}

// TestLimitsSharedAcrossServers runs two servers on one database, as two
// processes would, then restarts one: failed authentications and hosted
// PDF renders count together and survive the restart.
func TestLimitsSharedAcrossServers(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			cfg := storetest.Fresh(t, d)
			clk := clock.NewFake(time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC))
			logger := slog.New(slog.NewTextHandler(io.Discard, nil))
			start := func(migrate bool) (string, func()) {
				st, err := store.Open(context.Background(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				if migrate {
					if err := st.Migrate(context.Background()); err != nil {
						t.Fatal(err)
					}
				}
				hs := httptest.NewServer(server.New(st, clk, logger))
				stop := sync.OnceFunc(func() { hs.Close(); st.Close() })
				t.Cleanup(stop)
				return hs.URL, stop
			}
			a, stopA := start(true)
			b, _ := start(false)

			// Half the failures on each server: the limit is reached once.
			limit := server.FailedAuthPerAddress.Limit
			for i := range limit {
				url := a
				if i%2 == 1 {
					url = b
				}
				if res := wrongKey(t, url); res.Status != http.StatusUnauthorized {
					t.Fatalf("failure %d: %d", i, res.Status)
				}
			}
			assertRateLimited(t, "server A", wrongKey(t, a), server.FailedAuthPerAddress.Window)
			assertRateLimited(t, "server B", wrongKey(t, b), server.FailedAuthPerAddress.Window)
			stopA()
			a, _ = start(false)
			assertRateLimited(t, "server A restarted", wrongKey(t, a), server.FailedAuthPerAddress.Window)

			// Hosted PDF renders per link, across both servers.
			clk.Advance(server.FailedAuthPerAddress.Window)
			st, err := store.Open(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			ctx := clock.WithContext(context.Background(), clk)
			acct, err := accounts.New(st.Client).Create(ctx, "Acme")
			if err != nil {
				t.Fatal(err)
			}
			k, err := accounts.New(st.Client).CreateKey(ctx, acct.ID, viewer.Test, "test")
			if err != nil {
				t.Fatal(err)
			}
			link := hostedLink(t, a, k.Secret)
			for i := range server.PDFsPerToken.Limit {
				url := a
				if i%2 == 1 {
					url = b
				}
				if res := send(t, http.MethodGet, url+link+"/pdf", nil, nil); res.Status != http.StatusOK {
					t.Fatalf("render %d: %d %s", i, res.Status, truncate(res.Body))
				}
			}
			assertRateLimited(t, "pdf on A", send(t, http.MethodGet, a+link+"/pdf", nil, nil), server.PDFsPerToken.Window)
			assertRateLimited(t, "pdf on B", send(t, http.MethodGet, b+link+"/pdf", nil, nil), server.PDFsPerToken.Window)
		})
	}
}

// hostedLink issues an invoice through the API at url and returns its
// hosted page path (/i/…).
func hostedLink(t testing.TB, url, key string) string {
	t.Helper()
	gql := func(query string, vars map[string]any) string {
		body := canon(t, map[string]any{"query": query, "variables": vars})
		res := send(t, http.MethodPost, url+"/graphql", strings.NewReader(body), map[string]string{
			"Content-Type": "application/json", "Authorization": "Bearer " + key,
		})
		if res.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", query, res.Status, truncate(res.Body))
		}
		return string(res.Body)
	}
	field := func(body, name string) string {
		i := strings.Index(body, `"`+name+`":"`)
		if i < 0 {
			t.Fatalf("no %s in %s", name, body)
		}
		rest := body[i+len(name)+4:]
		return rest[:strings.IndexByte(rest, '"')]
	}
	cus := field(gql(`mutation { customerCreate(input: {customer: {name: "Jenny"}}) { customer { id } } }`, map[string]any{}), "id")
	inv := field(gql(`mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", lines: [{description: "Audit", unitAmount: "100"}]}) { invoice { id } } }`, map[string]any{"c": cus}), "id")
	return field(gql(`mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { hostedInvoiceUrl } } }`, map[string]any{"id": inv}), "hostedInvoiceUrl")
}

// TestHostedPDFLimits renders one link's PDF up to its limit, then links
// from one address up to the address limit; another address and, after
// the window, the same link render again. Unknown links are not counted.
func TestHostedPDFLimits(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	get := func(path, addr string) int {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.RemoteAddr = addr
		w := httptest.NewRecorder()
		e.Server.ServeHTTP(w, r)
		if w.Code == http.StatusTooManyRequests {
			assertRateLimited(t, path, httpResult{Status: w.Code, Header: w.Header(), Body: w.Body.Bytes()}, 10*time.Minute)
		}
		return w.Code
	}
	for range 100 {
		if got := get("/i/unknowntokenunknowntoken12/pdf", "192.0.2.1:1"); got != http.StatusNotFound {
			t.Fatalf("unknown link: %d", got)
		}
	}
	perToken, perAddr := server.PDFsPerToken.Limit, server.PDFsPerAddress.Limit
	var links []string
	// links[0] for the link limit, the middle ones to fill one address's
	// budget, the last one fresh.
	for range perAddr/perToken + 2 {
		links = append(links, hostedLink(t, e.URL, e.Key))
	}
	for i := range perToken {
		if got := get(links[0]+"/pdf", fmt.Sprintf("192.0.2.%d:1", 10+i)); got != http.StatusOK {
			t.Fatalf("render %d: %d", i, got)
		}
	}
	if got := get(links[0]+"/pdf", "192.0.2.99:1"); got != http.StatusTooManyRequests {
		t.Fatalf("link past its limit: %d, want 429", got)
	}
	rendered := 0
	for _, l := range links[1 : len(links)-1] {
		for range perToken {
			if rendered == perAddr {
				break
			}
			if got := get(l+"/pdf", "198.51.100.1:1"); got != http.StatusOK {
				t.Fatalf("render %d from one address: %d", rendered, got)
			}
			rendered++
		}
	}
	if got := get(links[len(links)-1]+"/pdf", "198.51.100.1:1"); got != http.StatusTooManyRequests {
		t.Fatalf("address past its limit: %d, want 429", got)
	}
	if got := get(links[len(links)-1]+"/pdf", "198.51.100.2:1"); got != http.StatusOK {
		t.Fatalf("another address: %d", got)
	}
	e.Clock.Advance(server.PDFsPerToken.Window)
	if got := get(links[0]+"/pdf", "192.0.2.99:1"); got != http.StatusOK {
		t.Fatalf("link after the window: %d", got)
	}
}

// TestMutationLimit caps the root fields of one mutation on both GraphQL
// APIs, counting aliases and fragments; nothing of a refused request runs.
func TestMutationLimit(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		aliases := func(n int, field string) string {
			var b strings.Builder
			for i := range n {
				fmt.Fprintf(&b, "m%d: %s ", i, field)
			}
			return b.String()
		}
		create := `customerCreate(input: {customer: {name: "Batch"}}) { customer { id } }`
		max := server.MaxMutationFields
		for name, c := range map[string]struct {
			query string
			ok    bool
		}{
			"at the cap":          {"mutation { " + aliases(max, create) + "}", true},
			"one over":            {"mutation { " + aliases(max+1, create) + "}", false},
			"600, as reported":    {"mutation { " + aliases(600, create) + "}", false},
			"through a fragment":  {"mutation { ...F m: " + create + " } fragment F on Mutation { " + aliases(max, create) + "}", false},
			"inline fragments":    {"mutation { ... on Mutation { " + aliases(max, create) + "} ... { x: " + create + " } }", false},
			"named operation":     {"query Q { account { id } } mutation M { " + aliases(max+1, create) + "}", false},
			"queries not counted": {"{ " + aliases(100, "account { id }") + "}", true},
		} {
			t.Run(name, func(t *testing.T) {
				before := customerCount(t, e, "")
				req := map[string]any{"query": c.query}
				if name == "named operation" {
					req["operationName"] = "M"
				}
				body := []byte(canon(t, req))
				res := e.Raw(body, "", nil)
				after := customerCount(t, e, "")
				if c.ok {
					if res.Status != http.StatusOK || hasCode(res, "MUTATION_LIMIT_EXCEEDED") {
						t.Fatalf("refused: %d %s", res.Status, truncate(res.RawBody))
					}
					return
				}
				if res.Status != http.StatusUnprocessableEntity || !hasCode(res, "MUTATION_LIMIT_EXCEEDED") || res.Data != nil {
					t.Fatalf("status %d: %s, want 422 MUTATION_LIMIT_EXCEEDED", res.Status, truncate(res.RawBody))
				}
				if after != before {
					t.Fatalf("a refused batch created %v customers", after-before)
				}
			})
		}
		// The portal API: its login mutation, batched.
		slug := enablePortal(t, e, e.Key)
		start := fmt.Sprintf(`portalLoginStart(input: {portal: %q, email: "a@example.com"}) { ok }`, slug)
		c := newPapi(t, e)
		if res := c.post(http.MethodPost, []byte(canon(t, map[string]any{"query": "mutation { " + aliases(max+1, start) + "}"})), nil); res.Status != http.StatusUnprocessableEntity || !hasCode(res, "MUTATION_LIMIT_EXCEEDED") {
			t.Fatalf("portal batch: %d %s", res.Status, truncate(res.RawBody))
		}
		if res := c.post(http.MethodPost, []byte(canon(t, map[string]any{"query": "mutation { " + aliases(2, start) + "}"})), nil); res.Status != http.StatusOK || len(res.Errors) > 0 {
			t.Fatalf("portal small batch: %d %s", res.Status, truncate(res.RawBody))
		}
	})
}

// TestTrailingData refuses a body with anything but white space after its
// JSON object, on both GraphQL APIs, before anything runs.
func TestTrailingData(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		create := `{"query":"mutation { customerCreate(input: {customer: {name: \"Trailing\"}}) { customer { id } } }"}`
		slug := enablePortal(t, e, e.Key)
		login := fmt.Sprintf(`{"query":"mutation { portalLoginStart(input: {portal: \"%s\", email: \"t@example.com\"}) { ok } }"}`, slug)
		for _, c := range []struct {
			name, body string
			status     int
		}{
			{"garbage", create + "garbage", http.StatusBadRequest},
			{"second object", create + create, http.StatusBadRequest},
			{"closing brace", create + "}", http.StatusBadRequest},
			{"NUL", create + "\x00", http.StatusBadRequest},
			{"white space", create + " \r\n\t", http.StatusOK},
		} {
			res := e.Raw([]byte(c.body), "", nil)
			if res.Status != c.status {
				t.Errorf("merchant, %s: %d %s, want %d", c.name, res.Status, truncate(res.RawBody), c.status)
			} else if c.status == http.StatusBadRequest && !hasCode(res, "BAD_REQUEST") {
				t.Errorf("merchant, %s: %s, want BAD_REQUEST", c.name, truncate(res.RawBody))
			}
			pbody := strings.Replace(c.body, create, login, -1)
			pres := newPapi(t, e).post(http.MethodPost, []byte(pbody), nil)
			if pres.Status != c.status {
				t.Errorf("portal, %s: %d %s, want %d", c.name, pres.Status, truncate(pres.RawBody), c.status)
			}
		}
		if n := customerCount(t, e, ""); n != 1 {
			t.Errorf("%v customers, want 1 (the white-space case)", n)
		}
		if n := countLoginMails(t, e, "t@example.com"); n != 0 {
			t.Errorf("%d login emails for an unknown email", n)
		}
	})
}
