// Package store opens the database behind Remit — an embedded SQLite file by
// default, PostgreSQL when a URL is configured — builds the ent client on it
// and applies the versioned SQL migrations kept in migrations/.
//
// Writers on SQLite are serialized in-process (see serialDriver), so code
// that writes must go through Store.Client (ent builders, Client.Tx,
// Client.ExecContext), not through Store.DB directly.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "github.com/mattn/go-sqlite3"    // registers the "sqlite3" database/sql driver

	"github.com/remitbilling/remit/ent"
	// Registers the schema hooks and privacy policies with the generated
	// client; without it ent would run mutations unguarded.
	_ "github.com/remitbilling/remit/ent/runtime"
)

// DBFile is the name of the SQLite database file inside Config.DataDir.
const DBFile = "remit.db"

// Pool sizes. SQLite has one writer at a time (serialized in-process), the
// rest of its pool serves concurrent WAL readers.
const (
	sqliteMaxConns   = 8
	postgresMaxConns = 16
)

// Config selects the database.
type Config struct {
	DataDir     string // SQLite file lives at DataDir/remit.db (dir created 0o700 if missing)
	DatabaseURL string // if set (postgres://… or postgresql://…), use PostgreSQL instead

	// OnQuery, when set, is called with every SQL statement the ent client
	// sends (Exec and Query, in and out of transactions) before it runs,
	// with the context of the call. For tests and diagnostics: it runs on
	// the request path, so keep it cheap.
	OnQuery func(ctx context.Context, query string)
	// OnStatement is OnQuery with the statement's arguments, for tools that
	// replay a statement (the benchmarks EXPLAIN what the server ran). The
	// arguments are the caller's: read them, never change them.
	OnStatement func(ctx context.Context, query string, args []any)
}

// Store is an open database with its ent client.
type Store struct {
	Client  *ent.Client
	DB      *sql.DB
	Dialect string // dialect.SQLite or dialect.Postgres from entgo.io/ent/dialect

	// Changes says when cached rows (keys, accounts, tax rates) changed.
	Changes Changes

	// serial is the writer-serializing driver of a SQLite store (nil on
	// PostgreSQL); migrations take its lock too.
	serial *serialDriver
}

// Open opens and pings the configured database. It does not migrate: call
// Migrate (or check Pending) before serving.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.DatabaseURL != "" {
		return openPostgres(ctx, cfg.DatabaseURL, observer(cfg))
	}
	if cfg.DataDir == "" {
		return nil, errors.New("store: neither DataDir nor DatabaseURL is set")
	}
	return openSQLite(ctx, cfg.DataDir, observer(cfg))
}

// Close closes the client and its connection pool.
func (s *Store) Close() error {
	err := s.Client.Close()
	if s.Changes != nil {
		s.Changes.Close()
	}
	return err
}

// sqliteDSN returns the go-sqlite3 DSN used for the database file at path:
// foreign keys on, WAL journal, durable (FULL) commits, a 10 s busy timeout
// as the cross-process fallback, and BEGIN IMMEDIATE for every transaction
// so a write transaction never fails on an un-retryable read-to-write lock
// upgrade. go-sqlite3 applies these to every new pooled connection.
func sqliteDSN(path string) string {
	// SQLite decodes %HH in URI filenames; escape what would end the path.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(filepath.ToSlash(path))
	return "file:" + esc + "?_fk=1&_journal_mode=WAL&_busy_timeout=10000&_synchronous=FULL&_txlock=immediate&_stmt_cache_size=128"
}

func openSQLite(ctx context.Context, dataDir string, onQuery queryObserver) (*Store, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create data dir: %w", err)
	}
	path := filepath.Join(dataDir, DBFile)
	db, err := sql.Open("sqlite3", sqliteDSN(path))
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(sqliteMaxConns)
	db.SetMaxIdleConns(sqliteMaxConns)
	db.SetConnMaxLifetime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	// WAL is what lets readers run beside the writer; SQLite silently keeps
	// another journal mode where WAL is unsupported, so check.
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		db.Close()
		return nil, fmt.Errorf("store: open sqlite %s: journal mode is %q, want wal", path, mode)
	}
	// Statistics for the planner before the first query (see
	// sqliteOptimize); OptimizeJob keeps them current afterwards. Nothing
	// else uses the pool yet, so it needs no writer lock; another process
	// writing meanwhile is waited for by the busy timeout.
	if _, err := db.ExecContext(ctx, sqliteOptimize); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	changes, err := openFileChanges(dataDir)
	if err != nil {
		db.Close()
		return nil, err
	}
	drv := newSerialDriver(entsql.OpenDB(dialect.SQLite, db))
	client := prepareReads(ent.NewClient(ent.Driver(observe(drv, onQuery))))
	client.Use(bumpOnWrite(changes))
	return &Store{
		Client:  client,
		DB:      db,
		Dialect: dialect.SQLite,
		Changes: changes,
		serial:  drv,
	}, nil
}

func openPostgres(ctx context.Context, rawURL string, onQuery queryObserver) (*Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// The error would echo the URL, password included.
		return nil, errors.New("store: DatabaseURL is not a valid URL")
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return nil, fmt.Errorf("store: DatabaseURL scheme %q: want postgres:// or postgresql:// (SQLite is configured with DataDir)", u.Scheme)
	}
	// pgx sends unknown URL parameters such as search_path as run-time
	// parameters of every connection, which is how tests isolate schemas.
	//
	// PostgreSQL's own plan cache is kept (plan_cache_mode=auto unless the
	// URL sets it): a pooled connection reuses a prepared statement's
	// generic plan, and every ANALYZE of a table, autovacuum's included,
	// invalidates the plans that read it, so they follow the tables as
	// they grow. Planning every execution instead (force_custom_plan)
	// costs the server about 3 ms of CPU per invoice created and
	// finalized, foreign-key checks included, and helps little where the
	// statistics are stale: a custom plan made from the statistics of an
	// empty table scans it too. Hence the README's advice: keep autovacuum
	// on, and ANALYZE after a bulk load.
	db, err := sql.Open("pgx", rawURL)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	db.SetMaxOpenConns(postgresMaxConns)
	db.SetMaxIdleConns(postgresMaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open postgres %s: %w", u.Redacted(), err)
	}
	changes, err := openPGChanges(ctx, rawURL)
	if err != nil {
		db.Close()
		return nil, err
	}
	client := prepareReads(ent.NewClient(ent.Driver(observe(entsql.OpenDB(dialect.Postgres, db), onQuery))))
	client.Use(bumpOnWrite(changes))
	return &Store{
		Client:  client,
		DB:      db,
		Dialect: dialect.Postgres,
		Changes: changes,
	}, nil
}
