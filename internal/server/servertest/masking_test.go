package servertest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/viewer"
)

// breakTable makes every later query of table fail inside the database,
// the way a lost table or a broken migration would.
func breakTable(t *testing.T, e *apitest.Env, table string) {
	t.Helper()
	if _, err := e.Store.Client.ExecContext(context.Background(), "ALTER TABLE "+table+" RENAME TO "+table+"_gone"); err != nil {
		t.Fatalf("rename %s: %v", table, err)
	}
}

// assertMasked checks an internal error is reported as INTERNAL with the
// request id of the X-Request-Id header and nothing else.
func assertMasked(t *testing.T, status int, header http.Header, body []byte, wantStatus int) {
	t.Helper()
	if status != wantStatus {
		t.Errorf("status %d, want %d: %s", status, wantStatus, body)
	}
	codes := jsonErrorCodes(t, body)
	if len(codes) != 1 || codes[0] != "INTERNAL" {
		t.Errorf("codes %v, want [INTERNAL]: %s", codes, body)
	}
	id := header.Get("X-Request-Id")
	if !strings.HasPrefix(id, "req_") {
		t.Errorf("X-Request-Id %q", id)
	}
	if !strings.Contains(string(body), `"requestId":"`+id+`"`) {
		t.Errorf("body does not carry the request id %s: %s", id, body)
	}
	if !strings.Contains(string(body), `"message":"internal error"`) {
		t.Errorf("message is not the masked one: %s", body)
	}
	assertNoLeak(t, "internal error", body)
}

// TestInternalErrorsMasked checks database failures reach the client as a
// bare INTERNAL error with a request id, whichever layer meets them: a
// resolver, the idempotency store, or authentication.
func TestInternalErrorsMasked(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		// Request ids are unique per request.
		a := e.Do(apitest.Request{Query: `{ account { id } }`})
		b := e.Do(apitest.Request{Query: `{ account { id } }`})
		if a.Header.Get("X-Request-Id") == "" || a.Header.Get("X-Request-Id") == b.Header.Get("X-Request-Id") {
			t.Errorf("request ids %q and %q", a.Header.Get("X-Request-Id"), b.Header.Get("X-Request-Id"))
		}

		breakTable(t, e, "tax_rates")
		for name, query := range map[string]string{
			"query":    `{ taxRates(first: 10) { totalCount edges { node { id } } } }`,
			"mutation": `mutation { taxRateCreate(input: {displayName: "VAT", percentage: "20", inclusive: false}) { taxRate { id } userErrors { code } } }`,
		} {
			t.Run("resolver/"+name, func(t *testing.T) {
				res := e.Do(apitest.Request{Query: query})
				assertMasked(t, res.Status, res.Header, res.RawBody, http.StatusOK)
				if res.Data != nil {
					t.Errorf("data %v, want null", res.Data)
				}
			})
		}
		// The rest of the API is unaffected.
		if res := e.Do(apitest.Request{Query: `{ account { id } }`}); res.Status != http.StatusOK || len(res.Errors) > 0 {
			t.Errorf("account after the failure: %d %s", res.Status, res.RawBody)
		}

		breakTable(t, e, "idempotency_keys")
		t.Run("idempotency", func(t *testing.T) {
			res := e.Raw(createCustomerBody(t, "Masked"), "", idem("k-1"))
			assertMasked(t, res.Status, res.Header, res.RawBody, http.StatusInternalServerError)
			if n := customerCount(t, e, ""); n != 0 {
				t.Errorf("%v customers created although the key could not be claimed", n)
			}
		})

		// A key never used yet, so authentication reads the broken table
		// (keys in use are served from memory).
		fresh := e.NewKey(e.Account, viewer.Test)
		breakTable(t, e, "api_keys")
		t.Run("authentication", func(t *testing.T) {
			res := e.Raw([]byte(`{"query":"{ account { id } }"}`), fresh, nil)
			assertMasked(t, res.Status, res.Header, res.RawBody, http.StatusInternalServerError)
		})
	})
}
