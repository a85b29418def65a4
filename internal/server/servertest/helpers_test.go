// Package servertest_test exercises the HTTP server as a client does: every
// test talks GraphQL over HTTP to a real server on a fresh database, through
// internal/apitest, and asserts status codes, error codes and that data did
// not change.
package servertest_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"entgo.io/ent/privacy"

	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/mail"
	"github.com/remitbilling/remit/internal/mail/mailtest"
	"github.com/remitbilling/remit/internal/worker"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/store/storetest"
)

// forEachDialect runs fn as a parallel subtest per database, each on its
// own server and database.
func forEachDialect(t *testing.T, fn func(t *testing.T, e *apitest.Env)) {
	t.Helper()
	for _, d := range storetest.Dialects() {
		name := d
		if d == "sqlite3" {
			name = "sqlite"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, apitest.Start(t, d))
		})
	}
}

// leakMarkers must never appear in a response: they betray a Go stack
// trace, a panic or database text behind a masked error.
var leakMarkers = []string{"sql", "ent:", "goroutine", "panic", ".go:", "runtime/", "pq:", "pgx", "SQLSTATE"}

// assertNoLeak fails when body carries internals.
func assertNoLeak(t testing.TB, what string, body []byte) {
	t.Helper()
	low := strings.ToLower(string(body))
	for _, m := range leakMarkers {
		if strings.Contains(low, strings.ToLower(m)) {
			t.Errorf("%s: response leaks %q: %s", what, m, truncate(body))
		}
	}
}

func truncate(b []byte) string {
	const max = 2000
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

// topCodes lists extensions.code of a response's top-level errors.
func topCodes(res *apitest.Response) []string {
	var out []string
	for _, e := range res.Errors {
		ext, _ := e["extensions"].(map[string]any)
		code, _ := ext["code"].(string)
		out = append(out, code)
	}
	return out
}

// hasCode reports whether the response carries a top-level error of code.
func hasCode(res *apitest.Response, code string) bool {
	for _, c := range topCodes(res) {
		if c == code {
			return true
		}
	}
	return false
}

// httpResult is a response read in full, for endpoints that are not
// GraphQL or answers that may not be JSON.
type httpResult struct {
	Status int
	Header http.Header
	Body   []byte
}

// send issues a request and reads the whole response.
func send(t testing.TB, method, url string, body io.Reader, header map[string]string) httpResult {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read %s %s: %v", method, url, err)
	}
	return httpResult{Status: res.StatusCode, Header: res.Header, Body: raw}
}

// jsonErrorCodes decodes a GraphQL-shaped error body and returns its codes;
// it fails the test when the body is not such JSON.
func jsonErrorCodes(t testing.TB, body []byte) []string {
	t.Helper()
	var decoded struct {
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &decoded); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, truncate(body))
	}
	if len(decoded.Errors) == 0 {
		t.Fatalf("no errors in body: %s", truncate(body))
	}
	var out []string
	for _, e := range decoded.Errors {
		if e.Message == "" {
			t.Errorf("error without a message: %s", truncate(body))
		}
		code, _ := e.Extensions["code"].(string)
		out = append(out, code)
	}
	return out
}

// canon re-encodes decoded JSON so two reads can be compared for equality.
func canon(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mailWorker runs the email delivery job against srv; each call of the
// returned tick delivers what is due on the test clock.
func mailWorker(t *testing.T, e *apitest.Env, srv *mailtest.Server, opts ...mail.Option) func() int {
	t.Helper()
	sender, err := mail.NewSMTP(srv.URL(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sender.Close() })
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	sched := worker.New(worker.Options{Logger: quiet}, worker.NewEmailDelivery(e.Store.Client, e.Store.Dialect, sender, worker.EmailOptions{Logger: quiet, Documents: e.App.Billing}))
	return func() int {
		t.Helper()
		n, err := sched.Tick(clock.WithContext(privacy.DecisionContext(context.Background(), privacy.Allow), e.Clock))
		if err != nil {
			t.Fatalf("tick: %v", err)
		}
		return n
	}
}
