package servertest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/viewer"
)

const countCustomers = `{ customers(first: 100) { totalCount } }`

func customerCount(t *testing.T, e *apitest.Env, key string) float64 {
	t.Helper()
	res := e.Do(apitest.Request{Key: key, Query: countCustomers})
	if res.Status != http.StatusOK || len(res.Errors) > 0 {
		t.Fatalf("count customers: status %d: %s", res.Status, res.RawBody)
	}
	return apitest.Get(t, res.Data, "customers", "totalCount").(float64)
}

// assertUnauthenticated checks a refused request: 401, a Bearer challenge
// and one UNAUTHENTICATED error in the GraphQL response shape.
func assertUnauthenticated(t *testing.T, res *apitest.Response) {
	t.Helper()
	if res.Status != http.StatusUnauthorized {
		t.Errorf("status %d, want 401: %s", res.Status, res.RawBody)
	}
	if codes := topCodes(res); len(codes) != 1 || codes[0] != "UNAUTHENTICATED" {
		t.Errorf("error codes %v, want [UNAUTHENTICATED]: %s", codes, res.RawBody)
	}
	if res.Data != nil {
		t.Errorf("data %v, want none", res.Data)
	}
	if ch := res.Header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, "Bearer") {
		t.Errorf("WWW-Authenticate %q, want a Bearer challenge", ch)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want JSON", ct)
	}
	assertNoLeak(t, "401", res.RawBody)
}

// TestAuthentication checks every way of not presenting a usable key is
// refused with 401 before anything runs.
func TestAuthentication(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		mutation, _ := json.Marshal(map[string]any{
			"query": `mutation { customerCreate(input: {customer: {name: "Intruder"}}) { customer { id } userErrors { code } } }`,
		})
		// A well-formed key that was never issued: same shape as a real one.
		unknown := "sk_test_" + strings.Repeat("a", len(e.Key)-len("sk_test_"))
		liveKey := e.NewKey(e.Account, viewer.Live)
		cases := []struct {
			name   string
			header string // "" sends none
		}{
			{"no header", ""},
			{"empty bearer", "Bearer "},
			{"bearer without space", "Bearer"},
			{"basic scheme", "Basic dXNlcjpwYXNzd29yZA=="},
			{"token scheme with a valid key", "Token " + e.Key},
			{"bare valid key", e.Key},
			{"garbage", "Bearer garbage"},
			{"unknown test key", "Bearer " + unknown},
			{"unknown live key", "Bearer sk_live_" + strings.Repeat("b", len(e.Key)-len("sk_test_"))},
			{"valid key with suffix", "Bearer " + e.Key + "x"},
			{"valid key truncated", "Bearer " + e.Key[:len(e.Key)-1]},
			{"valid key upper-cased", "Bearer " + strings.ToUpper(e.Key)},
			{"publishable-looking key", "Bearer pk_test_" + e.Key[len("sk_test_"):]},
			{"test key with live prefix", "Bearer sk_live_" + e.Key[len("sk_test_"):]},
			{"live key with test prefix", "Bearer sk_test_" + liveKey[len("sk_live_"):]},
			{"very long key", "Bearer sk_test_" + strings.Repeat("z", 8000)},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				h := map[string]string{}
				if c.header != "" {
					h["Authorization"] = c.header
				}
				assertUnauthenticated(t, e.Raw(mutation, "-", h))
			})
		}
		if n := customerCount(t, e, ""); n != 0 {
			t.Errorf("refused requests created %v customers", n)
		}
		// The scheme is case-insensitive (RFC 7235) and the valid key works.
		for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
			res := e.Raw([]byte(`{"query":"{ account { id } }"}`), "-", map[string]string{"Authorization": scheme + " " + e.Key})
			if res.Status != http.StatusOK || len(res.Errors) > 0 {
				t.Errorf("scheme %q: status %d: %s", scheme, res.Status, res.RawBody)
			}
		}
	})
}

// TestRevokedKey checks revocation takes effect on the very next request
// and only for the revoked key.
func TestRevokedKey(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		ctx := clock.WithContext(context.Background(), e.Clock)
		k, err := e.Server.Accounts.CreateKey(ctx, e.Account, viewer.Test, "to revoke")
		if err != nil {
			t.Fatal(err)
		}
		// It works before revocation (and is cached in nothing that
		// outlives the request).
		res := e.Do(apitest.Request{Key: k.Secret, Query: `{ account { id } }`})
		if res.Status != http.StatusOK || len(res.Errors) > 0 {
			t.Fatalf("before revocation: status %d: %s", res.Status, res.RawBody)
		}
		if _, err := e.Server.Accounts.RevokeKey(ctx, k.Key.ID); err != nil {
			t.Fatal(err)
		}
		res = e.Do(apitest.Request{Key: k.Secret, Query: `mutation { customerCreate(input: {customer: {name: "After revocation"}}) { customer { id } userErrors { code } } }`})
		assertUnauthenticated(t, res)
		// An unknown key and a revoked one read the same.
		unknown := e.Do(apitest.Request{Key: "sk_test_" + strings.Repeat("q", len(k.Secret)-len("sk_test_")), Query: `{ account { id } }`})
		if got, want := apitest.Str(t, res.Errors[0], "message"), apitest.Str(t, unknown.Errors[0], "message"); got != want {
			t.Errorf("revoked key message %q differs from unknown key message %q", got, want)
		}
		// Revoking again is harmless and still refused.
		if _, err := e.Server.Accounts.RevokeKey(ctx, k.Key.ID); err != nil {
			t.Fatal(err)
		}
		assertUnauthenticated(t, e.Do(apitest.Request{Key: k.Secret, Query: `{ account { id } }`}))

		// The other key of the account is unaffected and sees the revocation.
		if n := customerCount(t, e, ""); n != 0 {
			t.Errorf("revoked key created %v customers", n)
		}
		keys := apitest.Get(t, e.Query(`{ apiKeys { id revokedAt } }`, nil), "apiKeys").([]any)
		found := false
		for _, key := range keys {
			if apitest.Str(t, key, "id") == k.Key.ID {
				found = true
				if key.(map[string]any)["revokedAt"] != "2026-01-15T09:00:00Z" {
					t.Errorf("revokedAt = %v, want 2026-01-15T09:00:00Z", key.(map[string]any)["revokedAt"])
				}
			}
		}
		if !found {
			t.Errorf("revoked key not listed in %v", keys)
		}
	})
}

// TestLastUsedAt checks a key records when it was last used, to the minute.
func TestLastUsedAt(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		second := e.NewKey(e.Account, viewer.Test)
		lastUsed := func(key string) map[string]any {
			t.Helper()
			out := map[string]any{}
			for _, k := range apitest.Get(t, e.Do(apitest.Request{Key: key, Query: `{ apiKeys { redacted lastUsedAt } }`}).Data, "apiKeys").([]any) {
				out[apitest.Str(t, k, "redacted")[len("sk_test_…"):]] = k.(map[string]any)["lastUsedAt"]
			}
			return out
		}
		tail := func(secret string) string { return secret[len(secret)-4:] }

		got := lastUsed("")
		if got[tail(e.Key)] != "2026-01-15T09:00:00Z" {
			t.Errorf("the key in use: lastUsedAt %v, want 2026-01-15T09:00:00Z", got[tail(e.Key)])
		}
		if v, ok := got[tail(second)]; !ok || v != nil {
			t.Errorf("an unused key: lastUsedAt %v (listed %v), want null", v, ok)
		}

		e.Clock.Advance(5*time.Minute + 30*time.Second)
		got = lastUsed(second)
		if got[tail(second)] != "2026-01-15T09:05:00Z" {
			t.Errorf("after use at 09:05:30: lastUsedAt %v, want 2026-01-15T09:05:00Z", got[tail(second)])
		}
		if got[tail(e.Key)] != "2026-01-15T09:00:00Z" {
			t.Errorf("another key's lastUsedAt moved to %v", got[tail(e.Key)])
		}

		e.Clock.Advance(2 * time.Minute)
		got = lastUsed(second)
		if got[tail(second)] != "2026-01-15T09:07:00Z" {
			t.Errorf("after use at 09:07:30: lastUsedAt %v, want 2026-01-15T09:07:00Z", got[tail(second)])
		}
	})
}
