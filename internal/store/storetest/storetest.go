// Package storetest gives tests a fresh, migrated database per test, on
// SQLite always and on PostgreSQL when a server is reachable.
//
// PostgreSQL tests use the server at REMIT_TEST_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable); each test gets
// its own schema t_<random>, selected with search_path and dropped when the
// test ends, so tests run in parallel on one database.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/remitbilling/remit/internal/store"
)

// DefaultURL is the server used when REMIT_TEST_DATABASE_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// ServerURL returns the PostgreSQL server URL tests use.
func ServerURL() string {
	if u := os.Getenv("REMIT_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

var pg struct {
	once   sync.Once
	admin  *sql.DB // creates and drops the per-test schemas
	skip   string  // why PostgreSQL tests are skipped, if they are
	failed string  // a configuration error: fail rather than skip
}

// postgres returns the admin connection, or skips t.
func postgres(t testing.TB) *sql.DB {
	t.Helper()
	pg.once.Do(func() {
		raw := ServerURL()
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			pg.failed = "REMIT_TEST_DATABASE_URL is not a postgres:// URL"
			return
		}
		db, err := sql.Open("pgx", raw)
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			err = db.PingContext(ctx)
			cancel()
		}
		if err != nil {
			if db != nil {
				db.Close()
			}
			pg.skip = fmt.Sprintf("storetest: PostgreSQL tests skipped: no server at %s (%v); set REMIT_TEST_DATABASE_URL to run them", u.Redacted(), err)
			fmt.Fprintln(os.Stderr, pg.skip)
			return
		}
		db.SetMaxOpenConns(4)
		if err := trigramExtension(db); err != nil {
			db.Close()
			pg.failed = fmt.Sprintf("storetest: %v", err)
			return
		}
		pg.admin = db
	})
	if pg.failed != "" {
		t.Fatal(pg.failed)
	}
	if pg.skip != "" {
		t.Skip(pg.skip)
	}
	return pg.admin
}

// Dialects returns the dialects to run a test on: dialect.SQLite
// ("sqlite3") and dialect.Postgres ("postgres"). PostgreSQL is always
// listed: when no server is reachable, Open and Fresh skip the test with a
// message saying so (printed once per test binary).
func Dialects() []string {
	return []string{dialect.SQLite, dialect.Postgres}
}

// ForEach runs fn as a subtest per dialect, named "sqlite" and "postgres",
// each with its own fresh migrated store.
func ForEach(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(subtestName(d), func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

func subtestName(d string) string {
	if d == dialect.SQLite {
		return "sqlite"
	}
	return d
}

// Open returns a migrated Store on a fresh, empty database of dialect:
// SQLite in t.TempDir(), PostgreSQL in a new schema dropped at cleanup. The
// store is closed at cleanup.
func Open(t testing.TB, dialect string) *store.Store {
	t.Helper()
	cfg := Fresh(t, dialect)
	ctx := context.Background()
	st, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() { st.Close() }) // runs before Fresh's schema drop
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("storetest: %v", err)
	}
	return st
}

// Fresh returns the configuration of a fresh, empty, unmigrated database
// of dialect, for tests that start the real server: for SQLite a new
// t.TempDir() as DataDir, for PostgreSQL a URL whose search_path selects a
// new schema t_<random>, dropped at cleanup (close the stores first — a
// store opened from the config after Fresh returned is closed before the
// drop if its t.Cleanup was registered later, as Open does).
func Fresh(t testing.TB, d string) store.Config {
	t.Helper()
	switch d {
	case dialect.SQLite, "sqlite":
		return store.Config{DataDir: t.TempDir()}
	case dialect.Postgres:
	default:
		t.Fatalf("storetest: unknown dialect %q", d)
	}
	admin := postgres(t)
	name := "t_" + randomHex(t, 8)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("storetest: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
			t.Errorf("storetest: drop schema %s: %v", name, err)
		}
	})
	u, err := url.Parse(ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return store.Config{DatabaseURL: u.String()}
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// trigramExtension installs pg_trgm, which the migrations use, where every
// test's schema sees it: pg_catalog, searched whatever the search_path. A
// migration's CREATE EXTENSION IF NOT EXISTS then finds it installed;
// without this, the first test to migrate would install it in its own
// schema, invisible to the others and dropped with it. Concurrent test
// binaries take an advisory lock around it.
func trigramExtension(db *sql.DB) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	const lock = 0x72656d6974 // "remit"
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", lock); err != nil {
		return err
	}
	defer conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", lock)
	var schema sql.NullString
	err = conn.QueryRowContext(ctx, "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'").Scan(&schema)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = conn.ExecContext(ctx, "CREATE EXTENSION pg_trgm SCHEMA pg_catalog")
	case err == nil && schema.String != "pg_catalog":
		_, err = conn.ExecContext(ctx, "ALTER EXTENSION pg_trgm SET SCHEMA pg_catalog")
	}
	if err != nil {
		return fmt.Errorf("install pg_trgm (the migrations need it; Debian: postgresql-contrib): %w", err)
	}
	return nil
}
