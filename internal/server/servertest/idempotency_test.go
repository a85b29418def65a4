package servertest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/viewer"
)

func createCustomerBody(t *testing.T, name string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"query":     `mutation($name: String!) { customerCreate(input: {customer: {name: $name, email: "ap@example.com"}}) { customer { id name } userErrors { code field message } } }`,
		"variables": map[string]any{"name": name},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func idem(key string) map[string]string { return map[string]string{"Idempotency-Key": key} }

// assertCreated checks a first, executed response: 200, one new customer,
// not marked replayed. It returns the customer id.
func assertCreated(t *testing.T, res *apitest.Response) string {
	t.Helper()
	if res.Status != http.StatusOK || len(res.Errors) > 0 {
		t.Fatalf("status %d: %s", res.Status, res.RawBody)
	}
	if h := res.Header.Get("Idempotent-Replayed"); h != "" {
		t.Errorf("a first request is marked Idempotent-Replayed: %q", h)
	}
	return apitest.Str(t, res.Data, "customerCreate", "customer", "id")
}

// TestIdempotencyKey checks retries with an Idempotency-Key replay the first
// response instead of acting twice, per account and mode, for 24 hours.
func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		body := createCustomerBody(t, "Once Only")
		const key = "create-customer-7f3a"

		first := e.Raw(body, "", idem(key))
		id := assertCreated(t, first)
		for i := range 2 {
			again := e.Raw(body, "", idem(key))
			if again.Status != first.Status {
				t.Errorf("retry %d: status %d, want %d", i, again.Status, first.Status)
			}
			if !bytes.Equal(again.RawBody, first.RawBody) {
				t.Errorf("retry %d: body differs:\n first %s\n retry %s", i, first.RawBody, again.RawBody)
			}
			if h := again.Header.Get("Idempotent-Replayed"); h != "true" {
				t.Errorf("retry %d: Idempotent-Replayed %q, want true", i, h)
			}
			if ct := again.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("retry %d: Content-Type %q", i, ct)
			}
		}
		if n := customerCount(t, e, ""); n != 1 {
			t.Fatalf("%v customers after retries, want 1", n)
		}

		// Same key, different request: refused, nothing written, and the
		// key still replays the original.
		other := e.Raw(createCustomerBody(t, "Someone Else"), "", idem(key))
		if other.Status != http.StatusUnprocessableEntity || !hasCode(other, "IDEMPOTENCY_KEY_REUSED") {
			t.Errorf("reused key: status %d, codes %v, want 422 IDEMPOTENCY_KEY_REUSED: %s", other.Status, topCodes(other), other.RawBody)
		}
		if n := customerCount(t, e, ""); n != 1 {
			t.Errorf("%v customers after a reused key, want 1", n)
		}
		if again := e.Raw(body, "", idem(key)); !bytes.Equal(again.RawBody, first.RawBody) {
			t.Errorf("after a refused reuse the key replays %s, want %s", again.RawBody, first.RawBody)
		}

		// Malformed keys.
		for name, bad := range map[string]string{
			"256 characters": strings.Repeat("k", 256),
			"space":          "two words",
			"non-ASCII":      "clé-1",
			"control":        "a\tb",
		} {
			t.Run("invalid key/"+name, func(t *testing.T) {
				res := e.Raw(createCustomerBody(t, "Bad Key "+name), "", idem(bad))
				if res.Status != http.StatusBadRequest || !hasCode(res, "IDEMPOTENCY_KEY_INVALID") {
					t.Errorf("status %d, codes %v, want 400 IDEMPOTENCY_KEY_INVALID: %s", res.Status, topCodes(res), res.RawBody)
				}
			})
		}
		if n := customerCount(t, e, ""); n != 1 {
			t.Errorf("%v customers after invalid keys, want 1", n)
		}
		// The longest key allowed works.
		long := strings.Repeat("k", 255)
		longBody := createCustomerBody(t, "Long Key")
		assertCreated(t, e.Raw(longBody, "", idem(long)))
		if res := e.Raw(longBody, "", idem(long)); res.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("255-character key not replayed: %d %s", res.Status, res.RawBody)
		}

		// A refused (unauthenticated) request does not claim the key.
		fresh := "claimed-after-401"
		if res := e.Raw(body, "-", idem(fresh)); res.Status != http.StatusUnauthorized {
			t.Errorf("no key: status %d", res.Status)
		}
		assertCreated(t, e.Raw(body, "", idem(fresh)))

		// The key is scoped to the account and mode: the same key and body
		// act anew for another account and for the live mode.
		_, bKey := e.NewAccount("Globex GmbH", viewer.Test)
		liveKey := e.NewKey(e.Account, viewer.Live)
		for name, k := range map[string]string{"B-test": bKey, "A-live": liveKey} {
			res := e.Raw(body, k, idem(key))
			otherID := assertCreated(t, res)
			if otherID == id {
				t.Errorf("%s: got A's customer %s", name, id)
			}
			if n := customerCount(t, e, k); n != 1 {
				t.Errorf("%s: %v customers, want its own 1", name, n)
			}
			if res := e.Raw(body, k, idem(key)); res.Header.Get("Idempotent-Replayed") != "true" || !bytes.Contains(res.RawBody, []byte(otherID)) {
				t.Errorf("%s: retry not replayed from its own record: %s", name, res.RawBody)
			}
		}
		if n := customerCount(t, e, ""); n != 3 {
			t.Errorf("A-test: %v customers, want 3", n)
		}

		// Within 24 hours the key still replays; after, it is free again.
		e.Clock.Advance(23 * time.Hour)
		if res := e.Raw(body, "", idem(key)); res.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("after 23 h: not replayed: %s", res.RawBody)
		}
		e.Clock.Advance(2 * time.Hour)
		renewed := assertCreated(t, e.Raw(body, "", idem(key)))
		if renewed == id {
			t.Errorf("after 25 h the key replayed the old customer %s", id)
		}
		if n := customerCount(t, e, ""); n != 4 {
			t.Errorf("after 25 h: %v customers, want 4", n)
		}
		// And it now binds to the new request.
		if res := e.Raw(body, "", idem(key)); res.Header.Get("Idempotent-Replayed") != "true" || !bytes.Contains(res.RawBody, []byte(renewed)) {
			t.Errorf("renewed key does not replay the new customer: %s", res.RawBody)
		}
		// An expired key may also be reused with a different body.
		e.Clock.Advance(25 * time.Hour)
		assertCreated(t, e.Raw(createCustomerBody(t, "Different Body"), "", idem(key)))
	})
}

// TestIdempotencyKeyConcurrent checks simultaneous requests with one key
// act once: each answer is the response or a conflict, never a second
// customer.
func TestIdempotencyKeyConcurrent(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		body := createCustomerBody(t, "Raced")
		const n = 8
		type result struct {
			status int
			body   []byte
			err    error
		}
		results := make(chan result, n)
		for range n {
			go func() {
				// No t.Fatal off the test goroutine: report errors back.
				req, err := http.NewRequest(http.MethodPost, e.URL+"/graphql", bytes.NewReader(body))
				if err != nil {
					results <- result{err: err}
					return
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+e.Key)
				req.Header.Set("Idempotency-Key", "race-1")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					results <- result{err: err}
					return
				}
				defer res.Body.Close()
				raw, err := io.ReadAll(res.Body)
				results <- result{res.StatusCode, raw, err}
			}()
		}
		var bodies [][]byte
		for range n {
			res := <-results
			switch {
			case res.err != nil:
				t.Errorf("request: %v", res.err)
			case res.status == http.StatusOK:
				bodies = append(bodies, res.body)
			case res.status == http.StatusConflict && slices.Contains(jsonErrorCodes(t, res.body), "IDEMPOTENCY_IN_PROGRESS"):
			default:
				t.Errorf("status %d: %s", res.status, res.body)
			}
		}
		if len(bodies) == 0 {
			t.Fatal("no request succeeded")
		}
		for _, b := range bodies[1:] {
			if !bytes.Equal(b, bodies[0]) {
				t.Errorf("answers differ:\n %s\n %s", bodies[0], b)
			}
		}
		if c := customerCount(t, e, ""); c != 1 {
			t.Errorf("%v customers, want 1", c)
		}
	})
}

// TestIdempotencyKeyNotBurnedByInvalidRequest checks that a request refused
// before execution does not claim its key: the corrected request, sent with
// the same key, runs.
func TestIdempotencyKeyNotBurnedByInvalidRequest(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	bad := e.Raw([]byte(`{"query":"mutation { customerCreate(input: {customer: {nme: \"x\"}}) { customer { id } } }"}`), "", idem("fix-and-retry"))
	if bad.Status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid request: status %d, want 422: %s", bad.Status, bad.RawBody)
	}
	good := e.Raw(createCustomerBody(t, "Fixed"), "", idem("fix-and-retry"))
	if good.Status != http.StatusOK || good.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("corrected request: status %d, replayed %q: %s", good.Status, good.Header.Get("Idempotent-Replayed"), good.RawBody)
	}
	assertCreated(t, good)
}
