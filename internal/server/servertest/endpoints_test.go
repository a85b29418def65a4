package servertest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/store/storetest"
)

// TestEndpoints checks the unauthenticated pages: GraphiQL at / and the
// health check, and that nothing else is served.
func TestEndpoints(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, storetest.Dialects()[0])

	res := send(t, http.MethodGet, e.URL+"/", nil, nil)
	if res.Status != http.StatusOK {
		t.Errorf("GET /: status %d", res.Status)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET /: Content-Type %q, want HTML", ct)
	}
	page := strings.ToLower(string(res.Body))
	if !strings.Contains(page, "graphiql") {
		t.Errorf("GET / does not mention GraphiQL: %s", truncate(res.Body))
	}
	if !strings.Contains(page, "/graphql") {
		t.Errorf("GET / does not point GraphiQL at /graphql")
	}
	if strings.Contains(string(res.Body), e.Key) {
		t.Errorf("GET / embeds a real secret key")
	}

	res = send(t, http.MethodGet, e.URL+"/healthz", nil, nil)
	if res.Status != http.StatusOK || strings.TrimSpace(string(res.Body)) != "ok" {
		t.Errorf("GET /healthz: %d %q, want 200 ok", res.Status, res.Body)
	}

	for _, path := range []string{"/nope", "/graphql/", "/index.html", "/healthz/x"} {
		if res := send(t, http.MethodGet, e.URL+path, nil, nil); res.Status != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, res.Status)
		}
	}
	if res := send(t, http.MethodPost, e.URL+"/", strings.NewReader(`{"query":"{ account { id } }"}`), map[string]string{"Authorization": "Bearer " + e.Key}); res.Status != http.StatusMethodNotAllowed {
		t.Errorf("POST /: status %d, want 405", res.Status)
	}
}
