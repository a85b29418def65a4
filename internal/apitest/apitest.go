// Package apitest starts the real HTTP server on a fresh database and talks
// GraphQL to it over HTTP, the way a client does. Tests use it to assert
// behaviour through the public interface only.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/accounts"
	"github.com/remitbilling/remit/internal/app"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/mail"
	"github.com/remitbilling/remit/internal/server"
	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/store/storetest"
	"github.com/remitbilling/remit/internal/viewer"
)

// Env is a running server with one account and a test key.
type Env struct {
	T      testing.TB
	URL    string
	Store  *store.Store
	Server *server.Server
	// App is the application the server serves, built by app.New as the
	// binary builds it; its Worker is not running unless the test runs it.
	App     *app.App
	Clock   *clock.Fake
	Account string
	// Key is the test-mode secret of Account.
	Key string

	storeConfig store.Config
	logger      *slog.Logger
}

// SecondProcess builds another application on the same database, with
// its own connections, as a second server process would be: its Worker
// competes with App.Worker for the same work. It reads the Env's clock.
func (e *Env) SecondProcess(opts Options) *app.App {
	e.T.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, e.storeConfig)
	if err != nil {
		e.T.Fatalf("apitest: second process: %v", err)
	}
	e.T.Cleanup(func() { st.Close() })
	a, err := app.New(ctx, app.Config{
		DB: st.Client, Dialect: st.Dialect, Changes: st.Changes, Clock: e.Clock, Logger: e.logger, Mailing: app.DefaultMailing,
		Sender: opts.Sender, WorkerInterval: opts.WorkerInterval, FacturX: opts.FacturX, Stripe: opts.Stripe,
	})
	if err != nil {
		e.T.Fatalf("apitest: second process: %v", err)
	}
	return a
}

// Start runs the server on a fresh database of dialect ("sqlite3" or
// "postgres"); the clock starts at 2026-01-15 09:00 UTC and only moves when
// the test says so.
func Start(t testing.TB, dialect string) *Env {
	t.Helper()
	return StartWith(t, dialect, Options{})
}

// Options tune StartWith.
type Options struct {
	// OnQuery, when set, observes every SQL statement the server's ent
	// client sends (see store.Config.OnQuery). Statements of the test's
	// own setup through Env (accounts, keys) are reported too.
	OnQuery func(ctx context.Context, query string)
	// Sender delivers the email of App.Worker; nil leaves it queued.
	Sender mail.Sender
	// WorkerInterval is App.Worker's tick interval (app.Config).
	WorkerInterval time.Duration
	// Log receives the server's log (text, info level and up) besides
	// the test's own when verbose.
	Log io.Writer
	// CORSOrigins is server.Config.CORSOrigins.
	CORSOrigins []string
	// FacturX is app.Config.FacturX: the XML issued PDFs embed.
	FacturX billing.FacturXFunc
	// Stripe is app.Config.Stripe: where Stripe's API is (stripe-mock).
	Stripe app.StripeOptions
}

// StartWith is Start with options.
func StartWith(t testing.TB, dialect string, opts Options) *Env {
	t.Helper()
	cfg := storetest.Fresh(t, dialect)
	base := cfg
	cfg.OnQuery = opts.OnQuery
	ctx := context.Background()
	st, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("apitest: %v", err)
	}
	t.Cleanup(func() { st.Close() }) // before Fresh's schema drop
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("apitest: %v", err)
	}
	clk := clock.NewFake(time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC))
	var logTo []io.Writer
	if testing.Verbose() {
		logTo = append(logTo, testWriter{t})
	}
	if opts.Log != nil {
		logTo = append(logTo, opts.Log)
	}
	logger := slog.New(slog.NewTextHandler(io.MultiWriter(logTo...), nil))
	a, err := app.New(ctx, app.Config{
		DB: st.Client, Dialect: st.Dialect, Changes: st.Changes, Clock: clk, Logger: logger, Mailing: app.DefaultMailing,
		Sender: opts.Sender, WorkerInterval: opts.WorkerInterval, FacturX: opts.FacturX, Stripe: opts.Stripe,
	})
	if err != nil {
		t.Fatalf("apitest: %v", err)
	}
	srv, err := server.NewFromConfig(server.Config{App: a, CORSOrigins: opts.CORSOrigins})
	if err != nil {
		t.Fatalf("apitest: %v", err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	e := &Env{T: t, URL: hs.URL, Store: st, Server: srv, App: a, Clock: clk, storeConfig: base, logger: logger}
	e.Account, e.Key = e.NewAccount("Acme SAS", viewer.Test)
	return e
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// ForEachDialect runs fn once per database, as subtests.
func ForEachDialect(t *testing.T, fn func(t *testing.T, e *Env)) {
	for _, d := range storetest.Dialects() {
		name := d
		if d == "sqlite3" {
			name = "sqlite"
		}
		t.Run(name, func(t *testing.T) { fn(t, Start(t, d)) })
	}
}

// WithT returns the Env reporting to t, for a test that shares one server
// between subtests (or the inputs of a fuzz target).
func (e *Env) WithT(t testing.TB) *Env {
	c := *e
	c.T = t
	return &c
}

// NewAccount creates another account and returns its id and a key of mode.
func (e *Env) NewAccount(name string, mode viewer.Mode) (string, string) {
	e.T.Helper()
	ctx := clock.WithContext(context.Background(), e.Clock)
	accts := accounts.New(e.Store.Client)
	a, err := accts.Create(ctx, name)
	if err != nil {
		e.T.Fatalf("create account: %v", err)
	}
	return a.ID, e.NewKey(a.ID, mode)
}

// NewKey creates a key for an account.
func (e *Env) NewKey(accountID string, mode viewer.Mode) string {
	e.T.Helper()
	ctx := clock.WithContext(context.Background(), e.Clock)
	k, err := accounts.New(e.Store.Client).CreateKey(ctx, accountID, mode, "test")
	if err != nil {
		e.T.Fatalf("create key: %v", err)
	}
	return k.Secret
}

// Response is a decoded GraphQL response.
type Response struct {
	Status  int
	Header  http.Header
	Data    map[string]any
	Errors  []map[string]any
	RawBody []byte
}

// Request is one call to the API.
type Request struct {
	Query     string
	Variables map[string]any
	Key       string // default: the Env's key; "-" for none
	Headers   map[string]string
	// Path is the endpoint; default "/graphql" (the merchant API).
	Path string
}

// Do sends req and decodes the response; it fails the test on transport
// errors only.
func (e *Env) Do(req Request) *Response {
	e.T.Helper()
	body, err := json.Marshal(map[string]any{"query": req.Query, "variables": req.Variables})
	if err != nil {
		e.T.Fatalf("encode request: %v", err)
	}
	return e.rawAt(req.Path, body, req.Key, req.Headers)
}

// Raw posts body as is.
func (e *Env) Raw(body []byte, key string, headers map[string]string) *Response {
	e.T.Helper()
	return e.rawAt("", body, key, headers)
}

func (e *Env) rawAt(path string, body []byte, key string, headers map[string]string) *Response {
	e.T.Helper()
	if path == "" {
		path = "/graphql"
	}
	hr, err := http.NewRequest(http.MethodPost, e.URL+path, bytes.NewReader(body))
	if err != nil {
		e.T.Fatal(err)
	}
	hr.Header.Set("Content-Type", "application/json")
	switch key {
	case "":
		hr.Header.Set("Authorization", "Bearer "+e.Key)
	case "-":
	default:
		hr.Header.Set("Authorization", "Bearer "+key)
	}
	for k, v := range headers {
		hr.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		e.T.Fatalf("post: %v", err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.T.Fatalf("read response: %v", err)
	}
	out := &Response{Status: res.StatusCode, Header: res.Header, RawBody: raw}
	var decoded struct {
		Data   map[string]any   `json:"data"`
		Errors []map[string]any `json:"errors"`
	}
	if err := json.Unmarshal(raw, &decoded); err != nil {
		e.T.Fatalf("decode response (status %d): %v: %s", res.StatusCode, err, raw)
	}
	out.Data, out.Errors = decoded.Data, decoded.Errors
	return out
}

// Query runs a query or mutation with the Env's key and fails the test on
// any top-level error.
func (e *Env) Query(query string, vars map[string]any) map[string]any {
	e.T.Helper()
	res := e.Do(Request{Query: query, Variables: vars})
	if len(res.Errors) > 0 || res.Status != http.StatusOK {
		e.T.Fatalf("query failed (status %d): %s", res.Status, res.RawBody)
	}
	return res.Data
}

// Mutate runs a mutation, returns its payload (data[field]) and fails the
// test if the payload carries userErrors.
func (e *Env) Mutate(field, query string, vars map[string]any) map[string]any {
	e.T.Helper()
	payload := e.MutateErr(field, query, vars)
	if ue := payload["userErrors"].([]any); len(ue) > 0 {
		e.T.Fatalf("%s: unexpected userErrors: %v", field, ue)
	}
	return payload
}

// MutateErr runs a mutation and returns its payload, userErrors and all.
func (e *Env) MutateErr(field, query string, vars map[string]any) map[string]any {
	e.T.Helper()
	data := e.Query(query, vars)
	payload, ok := data[field].(map[string]any)
	if !ok {
		e.T.Fatalf("no payload %q in %v", field, data)
	}
	return payload
}

// MutateKeyed runs a mutation with an Idempotency-Key header and returns
// its payload, userErrors and all.
func (e *Env) MutateKeyed(field, query string, vars map[string]any, idempotencyKey string) map[string]any {
	e.T.Helper()
	res := e.Do(Request{Query: query, Variables: vars, Headers: map[string]string{"Idempotency-Key": idempotencyKey}})
	if len(res.Errors) > 0 || res.Status != http.StatusOK {
		e.T.Fatalf("%s failed (status %d): %s", field, res.Status, res.RawBody)
	}
	payload, ok := res.Data[field].(map[string]any)
	if !ok {
		e.T.Fatalf("no payload %q in %v", field, res.Data)
	}
	return payload
}

// Get walks a decoded JSON value by path elements (map keys or slice
// indexes), failing the test when the path does not exist.
func Get(t testing.TB, v any, path ...any) any {
	t.Helper()
	cur := v
	for i, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				t.Fatalf("path %v: element %d: not an object: %v", path, i, cur)
			}
			cur, ok = m[k]
			if !ok {
				t.Fatalf("path %v: no key %q in %v", path, k, m)
			}
		case int:
			s, ok := cur.([]any)
			if !ok || k >= len(s) {
				t.Fatalf("path %v: element %d: no index %d in %v", path, i, k, cur)
			}
			cur = s[k]
		default:
			panic(fmt.Sprintf("bad path element %T", p))
		}
	}
	return cur
}

// Str is Get for a string value.
func Str(t testing.TB, v any, path ...any) string {
	t.Helper()
	s, ok := Get(t, v, path...).(string)
	if !ok {
		t.Fatalf("path %v: not a string: %v", path, Get(t, v, path...))
	}
	return s
}

// ErrorCodes lists the codes of a payload's userErrors.
func ErrorCodes(t testing.TB, payload map[string]any) []string {
	t.Helper()
	var out []string
	for _, e := range payload["userErrors"].([]any) {
		out = append(out, e.(map[string]any)["code"].(string))
	}
	return out
}
