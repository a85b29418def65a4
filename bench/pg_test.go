package bench

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/accounts"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/store/storetest"
	"github.com/remitbilling/remit/internal/values"
	"github.com/remitbilling/remit/internal/viewer"
)

// pgbenchScript is the transaction mix pgbench runs: one invoice per run
// of the script, in the two transactions of the raw baseline.
const pgbenchScript = "pgbench/create_finalize.sql"

// BenchmarkPostgresCreateFinalize is BenchmarkInvoiceCreateFinalize on
// PostgreSQL (the test server, REMIT_TEST_DATABASE_URL): 8 clients each
// create a 10-line invoice with the 20 % tax rate and finalize it through
// the API, and, in the same run, pgbench -c 8 writes the same rows in the
// same two transactions per invoice (pgbench/create_finalize.sql), each
// side on its own fresh schema migrated by store.Migrate. The sides run
// interleaved in rounds (pgbench, API, pgbench, …), as the SQLite one
// does, and the timer runs during the API rounds only.
//
// Two sub-benchmarks: every invoice for one customer, and invoices spread
// over 10,000 customers (round-robin through the API, at random in
// pgbench), which tells the cost of locks that serialize a customer's
// invoices from the rest.
//
// Metrics: api_inv/s and pgbench_tps (steady-state invoices per second;
// one pgbench transaction is one invoice), ratio_pct (API / pgbench; goal
// ≥ 50), p50/p99 of one invoice on both sides, and the CPU of this process
// per API invoice. The benchmark fails, saying what to install, without a
// reachable PostgreSQL server or pgbench.
func BenchmarkPostgresCreateFinalize(b *testing.B) {
	pgbench, err := findPgbench()
	if err != nil {
		b.Fatal(err)
	}
	if err := pingPostgres(); err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 10_000} {
		var summary string
		b.Run(fmt.Sprintf("postgres_%dclients_%dcustomers", clients, n), func(b *testing.B) {
			summary = pgInvoiceBench(b, pgbench, n)
		})
		report(b, summary)
	}
}

// findPgbench returns the pgbench to run: $PGBENCH, else the one on PATH.
func findPgbench() (string, error) {
	path := os.Getenv("PGBENCH")
	if path == "" {
		var err error
		if path, err = exec.LookPath("pgbench"); err != nil {
			return "", errors.New("pgbench is not installed: Debian and Ubuntu ship it with the server (apt-get install postgresql), other systems with the PostgreSQL client tools; or set PGBENCH to its path")
		}
	}
	// Debian's /usr/bin/pgbench is a wrapper that fails when no server
	// package provides the real program.
	if out, err := exec.Command(path, "--version").CombinedOutput(); err != nil {
		return "", fmt.Errorf("%s --version: %v: %s (Debian and Ubuntu ship pgbench with the server: apt-get install postgresql)", path, err, strings.TrimSpace(string(out)))
	}
	return path, nil
}

// pingPostgres checks that the test server answers.
func pingPostgres() error {
	raw := storetest.ServerURL()
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("REMIT_TEST_DATABASE_URL: %v", err)
	}
	db, err := sql.Open("pgx", raw)
	if err == nil {
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		err = db.PingContext(ctx)
	}
	if err != nil {
		return fmt.Errorf("PostgreSQL is not reachable at %s (%v): install and start it (Debian and Ubuntu: apt-get install postgresql), or set REMIT_TEST_DATABASE_URL to a server this benchmark may create schemas on", u.Redacted(), err)
	}
	return nil
}

// openPostgres returns a migrated store on a fresh schema of the test
// server (dropped when the benchmark ends) and the schema's name.
func openPostgres(b *testing.B) (*store.Store, string) {
	b.Helper()
	cfg := storetest.Fresh(b, dialect.Postgres)
	u, err := url.Parse(cfg.DatabaseURL)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, cfg)
	if err != nil {
		b.Fatalf("open store: %v", err)
	}
	b.Cleanup(func() { st.Close() }) // before the schema is dropped
	if err := st.Migrate(ctx); err != nil {
		b.Fatalf("migrate: %v", err)
	}
	return st, u.Query().Get("search_path")
}

// analyze gathers the planner's statistics of the tables the benchmark
// reads and writes, as the README asks after a bulk load: after the seed,
// and after the warm-up.
func analyze(b *testing.B, db *sql.DB) {
	b.Helper()
	if _, err := db.Exec("ANALYZE accounts, api_keys, customers, tax_rates, invoices, invoice_lines, invoice_line_tax_rates, events, sequences"); err != nil {
		b.Fatalf("analyze: %v", err)
	}
}

// seedCustomers inserts n customers of the account the way the API
// stores the benchmark's (name, email, address, EUR, VAT number, locales),
// through ent in batches, and returns their ids; id(i), when given, names
// customer i.
func seedCustomers(b *testing.B, st *store.Store, accountID string, n int, id func(i int) string) []string {
	b.Helper()
	ctx := viewer.NewContext(clock.WithContext(context.Background(), clock.Real{}),
		viewer.Viewer{AccountID: accountID, Mode: viewer.Test, Actor: "bench"})
	cities := []struct{ city, pc string }{{"Lyon", "69002"}, {"Marseille", "13001"}, {"Lille", "59000"}, {"Nantes", "44000"}, {"Bordeaux", "33000"}}
	out := make([]string, 0, n)
	for lo := 0; lo < n; lo += 1000 {
		err := dbtx.Run(ctx, st.Client, func(tx *ent.Tx) error {
			batch := make([]*ent.CustomerCreate, 0, 1000)
			for i := lo; i < min(lo+1000, n); i++ {
				c := cities[i%len(cities)]
				cc := tx.Customer.Create().
					SetName(fmt.Sprintf("Globex Corporation S%d", i+1)).SetEmail(fmt.Sprintf("ap-s%d@globex.example", i+1)).SetPhone("+33 4 72 00 00 00").
					SetAddress(&values.Address{Line1: fmt.Sprintf("%d place Bellecour", i+3), City: c.city, PostalCode: c.pc, Country: "FR"}).
					SetCurrency("EUR").SetTaxIds([]values.TaxID{{Type: "eu_vat", Value: "FR40303265045"}}).
					SetPreferredLocales([]string{"fr-FR", "en"}).SetInvoicePrefix(fmt.Sprintf("S%07d", i))
				if id != nil {
					cc.SetID(id(i))
				}
				batch = append(batch, cc)
			}
			saved, err := tx.Customer.CreateBulk(batch...).Save(ctx)
			for _, c := range saved {
				out = append(out, c.ID)
			}
			return err
		})
		if err != nil {
			b.Fatalf("seed customers: %v", err)
		}
	}
	return out
}

// pgbenchSide runs the script on its own schema.
type pgbenchSide struct {
	path, schema, dir string
	vars              []string // -D name=value
}

// pgbenchCustomer is the id of the pgbench side's customer i, as the
// script computes it.
func pgbenchCustomer(i int) string { return fmt.Sprintf("cus_pg%022d", i) }

// newPgbenchSide prepares a fresh schema for pgbench: migrated, with an
// account, the tax rate and ncus customers.
func newPgbenchSide(b *testing.B, path string, ncus int) (*pgbenchSide, *store.Store) {
	b.Helper()
	st, schema := openPostgres(b)
	ctx := clock.WithContext(context.Background(), clock.Real{})
	acct, err := accounts.New(st.Client).Create(ctx, "Acme SAS")
	if err != nil {
		b.Fatalf("create account: %v", err)
	}
	seedCustomers(b, st, acct.ID, ncus, pgbenchCustomer)
	vctx := viewer.NewContext(ctx, viewer.Viewer{AccountID: acct.ID, Mode: viewer.Test, Actor: "bench"})
	rate, err := st.Client.TaxRate.Create().SetDisplayName("TVA").SetPercentage("20").SetInclusive(false).
		SetCountry("FR").SetJurisdiction("FR").SetDescription("TVA normale").Save(vctx)
	if err != nil {
		b.Fatalf("create tax rate: %v", err)
	}
	return &pgbenchSide{path: path, schema: schema, dir: b.TempDir(), vars: []string{
		"acct=" + acct.ID, "prefix=" + acct.InvoicePrefix, "actor=key_pgbench", "txr=" + rate.ID, "ncus=" + strconv.Itoa(ncus),
	}}, st
}

// copyAPIValues adds to the script's variables the values the API wrote
// for its latest finalized invoice (amounts, taxes, terms, snapshots, the
// data of its events), so that pgbench writes rows of the same sizes.
func (p *pgbenchSide) copyAPIValues(b *testing.B, db *sql.DB) {
	b.Helper()
	var id, taxes, terms, buyer, issuer string
	var subtotal, tax, total int64
	err := db.QueryRow(`SELECT id, subtotal, total_tax, total, COALESCE(taxes::text, 'null'), COALESCE(terms::text, 'null'),
		COALESCE(customer_snapshot::text, 'null'), COALESCE(issuer_snapshot::text, 'null')
		FROM invoices WHERE status = 'OPEN' ORDER BY created_at DESC LIMIT 1`).
		Scan(&id, &subtotal, &tax, &total, &taxes, &terms, &buyer, &issuer)
	if err != nil {
		b.Fatalf("read the API's invoice: %v", err)
	}
	p.vars = append(p.vars, "subtotal="+strconv.FormatInt(subtotal, 10), "tax="+strconv.FormatInt(tax, 10),
		"total="+strconv.FormatInt(total, 10), "taxes="+taxes, "terms="+terms, "buyer="+buyer, "issuer="+issuer)
	rows, err := db.Query(`SELECT amount, COALESCE(tax_amounts::text, 'null') FROM invoice_lines WHERE invoice_id = $1 ORDER BY position`, id)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for ; rows.Next(); n++ {
		var amount int64
		var taxAmounts string
		if err := rows.Scan(&amount, &taxAmounts); err != nil {
			b.Fatal(err)
		}
		p.vars = append(p.vars, fmt.Sprintf("amt%d=%d", n, amount), fmt.Sprintf("tax%d=%s", n, taxAmounts))
	}
	rows.Close()
	if n != linesPerInvoice {
		b.Fatalf("the API's invoice has %d lines", n)
	}
	for _, ev := range []struct{ name, typ string }{{"evcreated", "invoice.created"}, {"evfinalized", "invoice.finalized"}} {
		var data string
		if err := db.QueryRow(`SELECT data::text FROM events WHERE object_id = $1 AND type = $2`, id, ev.typ).Scan(&data); err != nil {
			b.Fatalf("read the API's %s event: %v", ev.typ, err)
		}
		p.vars = append(p.vars, ev.name+"="+data)
	}
}

// run runs n invoices (rounded up to a multiple of the clients) through
// pgbench -c 8 and reads its per-transaction log: latency of each
// invoice, and the steady-state rate as runPhase counts it.
func (p *pgbenchSide) run(n int, round int) (phase, float64) {
	perClient := (n + clients - 1) / clients
	prefix := filepath.Join(p.dir, fmt.Sprintf("round%d", round))
	args := []string{"-n", "-M", "prepared", "-c", strconv.Itoa(clients), "-j", "2", "-t", strconv.Itoa(perClient),
		"-f", pgbenchScript, "-l", "--log-prefix", prefix}
	for _, v := range p.vars {
		args = append(args, "-D", v)
	}
	args = append(args, pgbenchConnString())
	cmd := exec.Command(p.path, args...)
	cmd.Env = append(os.Environ(), "PGOPTIONS=-c search_path="+p.schema)
	start, cpu0 := time.Now(), selfCPU()
	out, err := cmd.CombinedOutput()
	end := time.Now()
	ph := phase{n: perClient * clients, cpu: time.Duration((selfCPU() - cpu0) * float64(time.Second))}
	if err != nil {
		ph.err = fmt.Errorf("pgbench: %v: %s", err, out)
		return ph, 0
	}
	var tps float64
	if m := regexp.MustCompile(`tps = ([0-9.]+)`).FindSubmatch(out); m != nil {
		tps, _ = strconv.ParseFloat(string(m[1]), 64)
	}
	logs, _ := filepath.Glob(prefix + ".*")
	var ends []time.Time
	for _, f := range logs {
		fh, err := os.Open(f)
		if err != nil {
			ph.err = err
			return ph, 0
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			// client_id transaction_no time script_no time_epoch time_us
			f := strings.Fields(sc.Text())
			if len(f) < 6 {
				continue
			}
			lat, err1 := strconv.ParseInt(f[2], 10, 64)
			sec, err2 := strconv.ParseInt(f[4], 10, 64)
			us, err3 := strconv.ParseInt(f[5], 10, 64)
			if err1 != nil || err2 != nil || err3 != nil {
				ph.err = fmt.Errorf("pgbench log %s: %q", f, sc.Text())
				continue
			}
			ph.lat = append(ph.lat, time.Duration(lat)*time.Microsecond)
			ends = append(ends, time.Unix(sec, us*1000))
		}
		fh.Close()
		os.Remove(f)
	}
	if len(ends) != ph.n {
		ph.err = fmt.Errorf("pgbench logged %d transactions, want %d: %s", len(ends), ph.n, out)
	}
	slices.SortFunc(ends, func(a, b time.Time) int { return a.Compare(b) })
	if a, b := clients-1, len(ends)-clients; len(ends) >= 4*clients && b > a {
		ph.count, ph.span = b-a, ends[b].Sub(ends[a])
	} else {
		ph.count, ph.span = len(ends), end.Sub(start)
	}
	return ph, tps
}

// check verifies that the script wrote what it claims: n open invoices,
// numbered 1 to n, each with its lines, their tax rate and two events.
func (p *pgbenchSide) check(b *testing.B, db *sql.DB, n int) {
	b.Helper()
	var invoices, numbers, lines, links, events int
	err := db.QueryRow(`SELECT (SELECT count(*) FROM invoices WHERE status = 'OPEN' AND number IS NOT NULL),
		(SELECT count(DISTINCT number) FROM invoices), (SELECT count(*) FROM invoice_lines),
		(SELECT count(*) FROM invoice_line_tax_rates), (SELECT count(*) FROM events)`).Scan(&invoices, &numbers, &lines, &links, &events)
	if err != nil {
		b.Fatal(err)
	}
	if invoices != n || numbers != n || lines != linesPerInvoice*n || links != linesPerInvoice*n || events != 2*n {
		b.Fatalf("pgbench wrote %d open invoices (%d numbers), %d lines, %d tax rate links and %d events; want %d invoices",
			invoices, numbers, lines, links, events, n)
	}
}

// pgbenchConnString is the test server's URL for libpq: pgx's own
// parameters (none in the default) would be refused, and the schema comes
// from PGOPTIONS.
func pgbenchConnString() string {
	u, err := url.Parse(storetest.ServerURL())
	if err != nil {
		return storetest.ServerURL()
	}
	q := u.Query()
	for k := range q {
		switch k {
		case "sslmode", "connect_timeout", "application_name", "sslrootcert", "sslcert", "sslkey", "passfile":
		default:
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func pgInvoiceBench(b *testing.B, pgbench string, ncus int) string {
	apiStore, _ := openPostgres(b)
	api := startAPIOn(b, apiStore, 1)
	if ncus > 1 {
		acct := apiStore.Client.Account.Query().OnlyX(viewer.Bypass(context.Background(), "the benchmark reads its account"))
		api.customers = append(api.customers, seedCustomers(b, apiStore, acct.ID, ncus-1, nil)...)
	}
	if taxed, why := api.probeTaxed(); !taxed {
		b.Fatalf("an invoice whose lines share a tax rate cannot be created: %s", why)
	}
	api.taxed = true
	pg, pgStore := newPgbenchSide(b, pgbench, ncus)
	analyze(b, apiStore.DB)
	analyze(b, pgStore.DB)

	// Warm up both sides (connections, caches, prepared statements); the
	// API's warm-up invoices give pgbench its values.
	if p := runPhase(clients, 4*clients, 1_000_000_000, api.apiInvoice); p.err != nil {
		b.Fatal(p.err)
	}
	pg.copyAPIValues(b, apiStore.DB)
	if p, _ := pg.run(4*clients, -1); p.err != nil {
		b.Fatal(p.err)
	}
	// The statistics the rounds plan with are those of tables holding
	// invoices, as autovacuum keeps a running server's: taken after the
	// seed, they describe empty tables, which then grow to thousands of
	// rows within seconds (faster than autovacuum's naptime), and plans
	// made for empty tables scan them.
	analyze(b, apiStore.DB)
	analyze(b, pgStore.DB)

	rounds := max(1, min(8, b.N/150))
	var pgP, apiP phase
	var tps []float64
	b.ResetTimer()
	for r := range rounds {
		n := b.N / rounds
		if r < b.N%rounds {
			n++
		}
		b.StopTimer()
		p, t := pg.run(n, r)
		pgP.add(p)
		tps = append(tps, t)
		b.StartTimer()
		apiP.add(runPhase(clients, n, apiP.n, api.apiInvoice))
	}
	b.StopTimer()
	if pgP.err != nil {
		b.Fatal(pgP.err)
	}
	pg.check(b, pgStore.DB, pgP.n+4*clients)
	if apiP.err != nil {
		b.Fatalf("api: %v", apiP.err)
	}
	ratio := reportBeside(b, apiP, pgP, "pgbench_tps", "pgbench")
	var tpsText []string
	for _, t := range tps {
		tpsText = append(tpsText, fmt.Sprintf("%.0f", t))
	}
	return fmt.Sprintf("%d invoices/side in %d rounds, %d clients, %d customers\n"+
		"  pgbench: %6.0f inv/s  p50 %6.2f ms  p99 %6.2f ms  (pgbench's own tps per round: %s)\n"+
		"  API:     %6.0f inv/s  p50 %6.2f ms  p99 %6.2f ms  (invoiceCreate p50 %.2f ms, invoiceFinalize p50 %.2f ms; CPU of this process %.2f ms/invoice)\n"+
		"  API/pgbench = %.1f %% (goal >= 50 %%)",
		b.N, rounds, clients, ncus,
		pgP.perSec(), pgP.lat.pct(50), pgP.lat.pct(99), strings.Join(tpsText, ", "),
		apiP.perSec(), apiP.lat.pct(50), apiP.lat.pct(99), apiP.steps[0].pct(50), apiP.steps[1].pct(50), apiP.cpuPerOp(),
		ratio)
}
