// Package corsbrowser_test calls the merchant API from pages on other
// origins in headless Chromium: the browser itself enforces CORS.
package corsbrowser_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/store/storetest"
	"github.com/remitbilling/remit/internal/testtool"
)

// page is a page that POSTs a query to api with key and shows the
// outcome in its title: the account's name, or "blocked" when the browser
// refused the answer.
func page(api, key string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>waiting</title><script>
fetch(%q, {method: "POST", headers: {"Authorization": "Bearer %s", "Content-Type": "application/json", "Idempotency-Key": "k1"},
  body: JSON.stringify({query: "{ account { name } }"})})
  .then(r => r.json()).then(j => { document.title = "ok:" + j.data.account.name })
  .catch(() => { document.title = "blocked" });
</script>`, api+"/graphql", key)
	})
}

// TestCrossOriginCalls: a page on an allowed origin reads the API's
// answer (the preflight for Authorization passes); a page on another
// origin does not.
func TestCrossOriginCalls(t *testing.T) {
	bin := testtool.Chromium(t)
	// The pages live on 127.0.0.1 ports, the API on localhost: other
	// origins. The allowed page's origin is known only once it listens.
	allowed := httptest.NewServer(nil)
	origin := allowed.URL
	e := apitest.StartWith(t, storetest.Dialects()[0], apitest.Options{CORSOrigins: []string{origin}})
	api := strings.Replace(e.URL, "127.0.0.1", "localhost", 1)
	allowed.Config.Handler = page(api, e.Key)
	t.Cleanup(allowed.Close)
	other := httptest.NewServer(page(api, e.Key))
	t.Cleanup(other.Close)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(cancelCtx)
	ctx, cancel := context.WithTimeout(bctx, 60*time.Second)
	t.Cleanup(cancel)
	title := func(url string) string {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
			t.Fatalf("load %s: %v", url, err)
		}
		if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`document.title !== "waiting"`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Fatalf("%s: no outcome: %v", url, err)
		}
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.title`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if got := title(origin + "/"); got != "ok:Acme SAS" {
		t.Errorf("allowed origin: %q", got)
	}
	if got := title(other.URL + "/"); got != "blocked" {
		t.Errorf("other origin: %q", got)
	}
}
