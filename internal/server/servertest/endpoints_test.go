package servertest_test

import (
	"net/http"
	"regexp"
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
	// Served from the binary: every script and style from the server,
	// cached for long under versioned names; the page's script points at
	// /graphql with an ASCII header template.
	refs := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(string(res.Body), -1)
	if len(refs) < 5 {
		t.Errorf("GET /: %d assets, want GraphiQL, React, ReactDOM, the style and the page's script", len(refs))
	}
	var script string
	for _, ref := range refs {
		if !strings.HasPrefix(ref[1], "/graphiql/") {
			t.Errorf("GET / loads %s from outside the server", ref[1])
			continue
		}
		asset := send(t, http.MethodGet, e.URL+ref[1], nil, nil)
		if asset.Status != http.StatusOK || !strings.Contains(asset.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("GET %s: %d, Cache-Control %q", ref[1], asset.Status, asset.Header.Get("Cache-Control"))
		}
		if strings.Contains(ref[1], "/remit-") {
			script = string(asset.Body)
		}
	}
	if !strings.Contains(script, "'/graphql'") || !strings.Contains(script, "Bearer sk_test_PASTE_YOUR_KEY") {
		t.Errorf("the page's script does not point GraphiQL at /graphql with the header template: %s", script)
	}
	for _, r := range script {
		if r > 0x7e {
			t.Errorf("the page's script holds %q: a header template must be ASCII", r)
			break
		}
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
