// Package bench holds Remit's performance benchmarks. They start the real
// HTTP server (internal/server) on a real SQLite file (store.Open + Migrate,
// so the DSN, pragmas and schema are the production ones) and talk GraphQL
// to it over loopback HTTP with a keep-alive client, the way a merchant's
// integration does.
//
// Run them with `make bench`; see README.md in this directory.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/remitbilling/remit/internal/accounts"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/server"
	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/viewer"
)

// clients is the number of concurrent clients of the throughput benchmarks.
const clients = 8

// openStore returns a fresh, migrated SQLite store (a real file in its own
// temp dir): store.Open + Migrate, what `remit serve` does on first start,
// so the DSN, pragmas, pool and writer lock are the production ones.
func openStore(tb testing.TB) *store.Store {
	tb.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: tb.TempDir()})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { st.Close() }) // before the temp dir is removed
	if st.Dialect != dialect.SQLite {
		tb.Fatalf("store dialect %q, want sqlite3", st.Dialect)
	}
	if err := st.Migrate(ctx); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return st
}

// apiEnv is a running server on its own fresh database, with one account,
// a test-mode key, customers and a tax rate.
type apiEnv struct {
	tb        testing.TB
	st        *store.Store
	url       string
	key       string
	http      *http.Client
	customers []string
	taxRate   string
	log       *logSink
	// taxed is whether invoice lines carry the tax rate (see probeTaxed).
	taxed bool
}

// startAPI starts the real server (real clock, so ids and timestamps are
// time-ordered as in production) behind httptest on 127.0.0.1.
func startAPI(tb testing.TB, customers int) *apiEnv {
	tb.Helper()
	return startAPIOn(tb, openStore(tb), customers)
}

// startAPIOn is startAPI on a given (migrated, empty) store.
func startAPIOn(tb testing.TB, st *store.Store, customers int) *apiEnv {
	tb.Helper()
	clk := clock.Real{}
	sink := &logSink{}
	logger := slog.New(slog.NewTextHandler(sink, nil))
	hs := httptest.NewServer(server.New(st, clk, logger))
	tb.Cleanup(hs.Close)

	ctx := clock.WithContext(context.Background(), clk)
	accts := accounts.New(st.Client)
	acct, err := accts.Create(ctx, "Acme SAS")
	if err != nil {
		tb.Fatalf("create account: %v", err)
	}
	key, err := accts.CreateKey(ctx, acct.ID, viewer.Test, "bench")
	if err != nil {
		tb.Fatalf("create key: %v", err)
	}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        4 * clients,
		MaxIdleConnsPerHost: 4 * clients,
		MaxConnsPerHost:     0,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	tb.Cleanup(tr.CloseIdleConnections)
	e := &apiEnv{tb: tb, st: st, log: sink, url: hs.URL + "/graphql", key: key.Secret, http: &http.Client{Transport: tr, Timeout: time.Minute}}

	var acctRes struct {
		AccountUpdate struct {
			UserErrors []userError `json:"userErrors"`
		} `json:"accountUpdate"`
	}
	e.mustDo(`mutation($in: AccountUpdateInput!) { accountUpdate(input: $in) { userErrors { code field message } } }`,
		map[string]any{"in": map[string]any{
			"legalName": "Acme Industries SAS", "email": "billing@acme.example", "phone": "+33 1 23 45 67 89",
			"address": map[string]any{"line1": "12 rue de la Paix", "city": "Paris", "postalCode": "75002", "country": "FR"},
			"siren":   "732829320", "vatNumber": "FR44732829320", "operationCategory": "SERVICES",
		}}, &acctRes)
	if len(acctRes.AccountUpdate.UserErrors) > 0 {
		tb.Fatalf("accountUpdate: %+v", acctRes.AccountUpdate.UserErrors)
	}

	cities := []struct{ city, pc string }{{"Lyon", "69002"}, {"Marseille", "13001"}, {"Lille", "59000"}, {"Nantes", "44000"}, {"Bordeaux", "33000"}}
	for i := range customers {
		var cus struct {
			CustomerCreate struct {
				Customer   struct{ ID string } `json:"customer"`
				UserErrors []userError         `json:"userErrors"`
			} `json:"customerCreate"`
		}
		c := cities[i%len(cities)]
		e.mustDo(`mutation($in: CustomerCreateInput!) { customerCreate(input: $in) { customer { id } userErrors { code field message } } }`,
			map[string]any{"in": map[string]any{"customer": map[string]any{
				"name": fmt.Sprintf("Globex Corporation %d", i+1), "email": fmt.Sprintf("ap%d@globex.example", i+1), "phone": "+33 4 72 00 00 00",
				"address":  map[string]any{"line1": fmt.Sprintf("%d place Bellecour", i+3), "city": c.city, "postalCode": c.pc, "country": "FR"},
				"currency": "EUR", "taxIds": []any{map[string]any{"type": "eu_vat", "value": "FR40303265045"}},
				"preferredLocales": []any{"fr-FR", "en"},
			}}}, &cus)
		if len(cus.CustomerCreate.UserErrors) > 0 {
			tb.Fatalf("customerCreate: %+v", cus.CustomerCreate.UserErrors)
		}
		e.customers = append(e.customers, cus.CustomerCreate.Customer.ID)
	}

	var rate struct {
		TaxRateCreate struct {
			TaxRate    struct{ ID string } `json:"taxRate"`
			UserErrors []userError         `json:"userErrors"`
		} `json:"taxRateCreate"`
	}
	e.mustDo(`mutation($in: TaxRateCreateInput!) { taxRateCreate(input: $in) { taxRate { id } userErrors { code field message } } }`,
		map[string]any{"in": map[string]any{
			"displayName": "TVA", "percentage": "20", "inclusive": false, "country": "FR", "jurisdiction": "FR", "description": "TVA normale",
		}}, &rate)
	if len(rate.TaxRateCreate.UserErrors) > 0 {
		tb.Fatalf("taxRateCreate: %+v", rate.TaxRateCreate.UserErrors)
	}
	e.taxRate = rate.TaxRateCreate.TaxRate.ID
	return e
}

type userError struct {
	Code    string   `json:"code"`
	Field   []string `json:"field"`
	Message string   `json:"message"`
}

type gqlRequest struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables,omitempty"`
}

// do posts one GraphQL request and decodes data into out. It returns an
// error on transport failures, non-200 statuses and top-level errors, so
// worker goroutines can report it (they must not call tb.Fatal).
func (e *apiEnv) do(ctx context.Context, query string, vars map[string]any, out any) error {
	return e.doKeyed(ctx, "", query, vars, out)
}

// doKeyed is do with an Idempotency-Key header when key is not empty.
func (e *apiEnv) doKeyed(ctx context.Context, key, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(gqlRequest{Query: query, Variables: vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.key)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := e.http.Do(req)
	if err != nil {
		return err
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", res.StatusCode, raw)
	}
	// One pass: data decodes straight into out (a pointer held in an
	// interface is decoded into), so the client spends as little of the
	// shared CPU as it can.
	envl := struct {
		Data   any               `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}{Data: out}
	if err := json.Unmarshal(raw, &envl); err != nil {
		return fmt.Errorf("decode response: %v: %s", err, raw)
	}
	if len(envl.Errors) > 0 {
		return fmt.Errorf("graphql errors: %s", raw)
	}
	return nil
}

func (e *apiEnv) mustDo(query string, vars map[string]any, out any) {
	e.tb.Helper()
	if err := e.do(context.Background(), query, vars, out); err != nil {
		e.tb.Fatal(err)
	}
}

// latencies collects per-operation durations.
type latencies []time.Duration

// pct returns the p-th percentile (0 < p ≤ 100, nearest rank) in ms.
func (l latencies) pct(p float64) float64 {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	i = max(0, min(i, len(s)-1))
	return float64(s[i]) / float64(time.Millisecond)
}

// logSink receives the server's log: discarded, unless BENCH_SERVER_LOG is
// set (then stderr), or kept while capturing.
type logSink struct {
	mu        sync.Mutex
	capturing bool
	buf       bytes.Buffer
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.capturing {
		l.buf.Write(p)
	}
	if os.Getenv("BENCH_SERVER_LOG") != "" {
		return os.Stderr.Write(p)
	}
	return len(p), nil
}

func (l *logSink) capture(on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.capturing = on
	if on {
		l.buf.Reset()
	}
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// report prints a benchmark's summary once, after its result line: with
// fmt, since the log of a benchmark that has sub-benchmarks is not shown.
func report(b *testing.B, lines ...string) {
	for _, l := range lines {
		if l != "" {
			fmt.Printf("    %s: %s\n", b.Name(), strings.ReplaceAll(l, "\n", "\n    "))
		}
	}
}

// cpuMeter measures how busy the machine was with work other than this
// process's during a run (other tests, builds, the host): the benchmarks
// share a 2-core VM, and their figures are only comparable between quiet
// runs. It reads /proc/stat and getrusage; elsewhere it reports -1.
type cpuMeter struct {
	wall      time.Time
	busy      float64 // seconds of CPU busy machine-wide
	self      float64 // seconds of CPU used by this process
	available bool
}

func startCPUMeter() cpuMeter {
	busy, ok := machineBusy()
	return cpuMeter{wall: time.Now(), busy: busy, self: selfCPU(), available: ok}
}

// otherPct is the CPU used by other processes, in percent of the machine's
// capacity (100 = every core busy with something else).
func (m cpuMeter) otherPct() float64 {
	busy, ok := machineBusy()
	if !ok || !m.available {
		return -1
	}
	capacity := time.Since(m.wall).Seconds() * float64(runtime.NumCPU())
	other := (busy - m.busy) - (selfCPU() - m.self)
	return max(0, 100*other/capacity)
}

// machineBusy returns the non-idle CPU seconds of all cores since boot.
func machineBusy() (float64, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, false
	}
	var busy float64
	for i, s := range f[1:] {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, false
		}
		// user nice system idle iowait irq softirq steal …: skip idle
		// and iowait; guest time is already counted in user.
		if i == 3 || i == 4 || i >= 8 {
			continue
		}
		busy += v
	}
	return busy / 100, true // USER_HZ is 100 on Linux
}

func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
