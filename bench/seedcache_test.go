package bench

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/store/storetest"
)

// Seeded databases are kept between runs, so a million invoices are written
// once, not on every run:
//
//   - SQLite: a file under $BENCH_CACHE_DIR, by default
//     os.UserCacheDir()/remit-bench, one directory per data set;
//   - PostgreSQL: a database of its own, remit_bench_<data set>, on the
//     server of REMIT_TEST_DATABASE_URL.
//
// A data set is named by what it holds and the version of the code that
// wrote it (seedVersion). Its bench_seed table records, last, that seeding
// finished, and which migrations the schema had then, with a hash of each
// file: a later run whose migrations extend that list applies the new ones
// (CREATE INDEX on the seeded rows, as a deployment would) and refreshes
// the statistics; a run whose migrations differ otherwise (a migration
// rewritten before it was committed) seeds again. BENCH_CACHE=off seeds a
// fresh, throw-away database every run; BENCH_CACHE=reseed replaces the
// cached one.
//
// Runs only read the seeded rows; the server writes what any request writes
// (an API key's last use).

// seedMaxAge is how long a data set is reused. Its dates are relative to
// when it was seeded (the last 45 days' invoices open, not yet due), so an
// old one has drifted: more past due, fewer recent.
const seedMaxAge = 14 * 24 * time.Hour

// seeded is an open, migrated store holding a data set, with what the seed
// recorded about it.
type seeded struct {
	st   *store.Store
	meta map[string]string
	// fresh is whether this run seeded it.
	fresh bool
	// seededAt is when it was seeded.
	seededAt time.Time
}

// openSeeded opens data set name on dialect d, seeding it with seed when it
// is not cached (or not usable). seed writes the rows and returns what the
// benchmark needs to find them again (ids, the API key); its map is stored
// in bench_seed. cfg's observers are set on the returned store.
func openSeeded(b *testing.B, d, name string, observe store.Config, seed func(st *store.Store) map[string]string) *seeded {
	b.Helper()
	ctx := context.Background()
	mode := os.Getenv("BENCH_CACHE")
	if mode != "" && mode != "off" && mode != "reseed" {
		b.Fatalf("BENCH_CACHE=%q: want off, reseed or nothing", mode)
	}
	want, err := migrationHashes(d)
	if err != nil {
		b.Fatal(err)
	}
	var loc seedLocation
	switch {
	case mode == "off" && d == dialect.SQLite:
		loc = &sqliteLocation{dir: b.TempDir()}
	case mode == "off":
		loc = &schemaLocation{cfg: storetest.Fresh(b, dialect.Postgres)}
	case d == dialect.SQLite:
		loc = &sqliteLocation{dir: filepath.Join(cacheDir(b), name)}
	default:
		loc = newPGLocation(b, name)
	}

	if mode == "" {
		if s := reuseSeeded(b, loc, want, observe); s != nil {
			return s
		}
	}
	if err := loc.reset(ctx); err != nil {
		b.Fatalf("seed cache %s: %v", loc, err)
	}
	cfg := loc.config()
	cfg.OnQuery, cfg.OnStatement = observe.OnQuery, observe.OnStatement
	st, err := store.Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	meta := seed(st)
	if err := seedStatistics(ctx, st); err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	meta["seeded_at"] = now.Format(time.RFC3339Nano)
	meta["seed_seconds"] = fmt.Sprintf("%.1f", time.Since(t0).Seconds())
	meta["migrations"] = strings.Join(want, ",")
	if err := writeMeta(ctx, st.DB, d, meta); err != nil {
		b.Fatal(err)
	}
	fmt.Printf("    seeded %s in %s (cached in %s)\n", name, time.Since(t0).Round(time.Second), loc)
	return &seeded{st: st, meta: meta, fresh: true, seededAt: now}
}

// reuseSeeded opens the cached data set at loc when it is complete, recent
// and its migrations are a prefix of want (then applies the rest), or
// returns nil.
func reuseSeeded(b *testing.B, loc seedLocation, want []string, observe store.Config) *seeded {
	b.Helper()
	ctx := context.Background()
	if !loc.exists(ctx) {
		return nil
	}
	cfg := loc.config()
	cfg.OnQuery, cfg.OnStatement = observe.OnQuery, observe.OnStatement
	st, err := store.Open(ctx, cfg)
	if err != nil {
		fmt.Printf("    cached data set %s does not open (%v): seeding it again\n", loc, err)
		return nil
	}
	meta, err := readMeta(ctx, st.DB)
	why := ""
	var at time.Time
	switch {
	case err != nil:
		why = "it was not seeded to the end"
	default:
		at, err = time.Parse(time.RFC3339Nano, meta["seeded_at"])
		have := strings.Split(meta["migrations"], ",")
		switch {
		case err != nil:
			why = "it has no seed date"
		case time.Since(at) > seedMaxAge:
			why = fmt.Sprintf("it is %s old", time.Since(at).Round(time.Hour))
		case len(have) > len(want) || !slices.Equal(have, want[:len(have)]):
			why = "its migrations are not a prefix of today's"
		}
	}
	if why != "" {
		st.Close()
		fmt.Printf("    cached data set %s is not reused (%s): seeding it again\n", loc, why)
		return nil
	}
	b.Cleanup(func() { st.Close() })
	if have := strings.Split(meta["migrations"], ","); len(have) < len(want) {
		t0 := time.Now()
		if err := st.Migrate(ctx); err != nil {
			b.Fatalf("migrating the cached data set %s: %v", loc, err)
		}
		if err := seedStatistics(ctx, st); err != nil {
			b.Fatal(err)
		}
		meta["migrations"] = strings.Join(want, ",")
		if err := writeMeta(ctx, st.DB, st.Dialect, meta); err != nil {
			b.Fatal(err)
		}
		fmt.Printf("    applied %d new migrations to the cached data set %s in %s\n", len(want)-len(have), loc, time.Since(t0).Round(time.Millisecond))
	}
	return &seeded{st: st, meta: meta, seededAt: at}
}

// seedStatistics gathers planner statistics after a bulk load, as the README asks
// of operators: SQLite's PRAGMA optimize through the store (what the
// server's job runs), VACUUM ANALYZE on PostgreSQL (statistics, and the
// visibility map that lets index-only scans skip the heap; autovacuum
// would get there later, and is off on some servers).
func seedStatistics(ctx context.Context, st *store.Store) error {
	if st.Dialect == dialect.Postgres {
		_, err := st.DB.ExecContext(ctx, "VACUUM (ANALYZE)")
		return err
	}
	return st.Optimize(ctx)
}

// migrationHashes lists the migration files of dialect d as name:sha256
// prefix, in order.
func migrationHashes(d string) ([]string, error) {
	dir := "sqlite"
	if d == dialect.Postgres {
		dir = "postgres"
	}
	files, err := filepath.Glob(filepath.Join("..", "internal", "store", "migrations", dir, "*.sql"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no migrations found (%v)", err)
	}
	slices.Sort(files)
	var out []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(raw)
		out = append(out, strings.TrimSuffix(filepath.Base(f), ".sql")+":"+hex.EncodeToString(sum[:6]))
	}
	return out, nil
}

const metaTable = "bench_seed"

func readMeta(ctx context.Context, db *sql.DB) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT k, v FROM "+metaTable)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	meta := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		meta[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if meta["seeded_at"] == "" {
		return nil, fmt.Errorf("incomplete")
	}
	return meta, nil
}

func writeMeta(ctx context.Context, db *sql.DB, d string, meta map[string]string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmts := []string{"CREATE TABLE IF NOT EXISTS " + metaTable + " (k TEXT PRIMARY KEY, v TEXT NOT NULL)", "DELETE FROM " + metaTable}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	ins := "INSERT INTO " + metaTable + " (k, v) VALUES (?, ?)"
	if d == dialect.Postgres {
		ins = "INSERT INTO " + metaTable + " (k, v) VALUES ($1, $2)"
	}
	for k, v := range meta {
		if _, err := tx.ExecContext(ctx, ins, k, v); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// cacheDir is where SQLite data sets are kept.
func cacheDir(b *testing.B) string {
	if d := os.Getenv("BENCH_CACHE_DIR"); d != "" {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		b.Fatalf("no cache directory (%v): set BENCH_CACHE_DIR or BENCH_CACHE=off", err)
	}
	return filepath.Join(d, "remit-bench")
}

// seedLocation is where a data set lives.
type seedLocation interface {
	exists(ctx context.Context) bool
	// reset makes it empty.
	reset(ctx context.Context) error
	config() store.Config
	String() string
}

type sqliteLocation struct{ dir string }

func (l *sqliteLocation) exists(context.Context) bool {
	_, err := os.Stat(filepath.Join(l.dir, store.DBFile))
	return err == nil
}

func (l *sqliteLocation) reset(context.Context) error {
	if err := os.RemoveAll(l.dir); err != nil {
		return err
	}
	return os.MkdirAll(l.dir, 0o700)
}

func (l *sqliteLocation) config() store.Config { return store.Config{DataDir: l.dir} }
func (l *sqliteLocation) String() string       { return l.dir }

// schemaLocation is a fresh schema of the test server (BENCH_CACHE=off).
type schemaLocation struct{ cfg store.Config }

func (l *schemaLocation) exists(context.Context) bool { return false }
func (l *schemaLocation) reset(context.Context) error { return nil }
func (l *schemaLocation) config() store.Config        { return l.cfg }
func (l *schemaLocation) String() string              { return "a throw-away schema" }

// pgLocation is a database of its own on the test server.
type pgLocation struct {
	admin *sql.DB
	name  string
	url   string
}

var pgNameChars = regexp.MustCompile(`[^a-z0-9_]`)

func newPGLocation(b *testing.B, name string) *pgLocation {
	b.Helper()
	u, err := url.Parse(storetest.ServerURL())
	if err != nil {
		b.Fatal(err)
	}
	admin, err := sql.Open("pgx", u.String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { admin.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		b.Skipf("no PostgreSQL server at %s (%v): set REMIT_TEST_DATABASE_URL", u.Redacted(), err)
	}
	db := "remit_bench_" + pgNameChars.ReplaceAllString(strings.ToLower(name), "_")
	u.Path = "/" + db
	return &pgLocation{admin: admin, name: db, url: u.String()}
}

func (l *pgLocation) exists(ctx context.Context) bool {
	var n int
	err := l.admin.QueryRowContext(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", l.name).Scan(&n)
	return err == nil && n == 1
}

func (l *pgLocation) reset(ctx context.Context) error {
	// The name is made of [a-z0-9_] by newPGLocation.
	if _, err := l.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+l.name+" WITH (FORCE)"); err != nil {
		return err
	}
	_, err := l.admin.ExecContext(ctx, "CREATE DATABASE "+l.name)
	return err
}

func (l *pgLocation) config() store.Config { return store.Config{DatabaseURL: l.url} }
func (l *pgLocation) String() string       { return "PostgreSQL database " + l.name }
