package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
)

// The migration files. Each dialect has its own directory of NNNN_name.sql
// files, generated from ent/schema by
//
//	go run ./internal/store/migrations/gen/main.go -name <change>
//
// (from the repository root). atlas.sum, kept by the generator, is not
// embedded: only *.sql files are migrations.
//
//go:embed migrations/sqlite/*.sql
var sqliteMigrations embed.FS

//go:embed migrations/postgres/*.sql
var postgresMigrations embed.FS

// migration is one versioned migration file.
type migration struct {
	Version string // file name without .sql, e.g. "0001_init"; the schema_migrations key
	Num     int    // numeric prefix; orders the files
	Stmts   []string
}

var migrationName = regexp.MustCompile(`^([0-9]{4,})_([a-z0-9][a-z0-9_]*)\.sql$`)

// loadMigrations reads the *.sql files of dir in fsys, in order. Other files
// (atlas.sum) are skipped; a .sql file with a malformed name or a reused
// number is an error, so two branches that both add 0002_… cannot silently
// shadow each other.
func loadMigrations(fsys fs.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("store: read migrations: %w", err)
	}
	var out []migration
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		m := migrationName.FindStringSubmatch(name)
		if m == nil {
			return nil, fmt.Errorf("store: migration %s/%s: name must look like 0001_some_change.sql", dir, name)
		}
		num, err := strconv.Atoi(m[1])
		if err != nil {
			return nil, fmt.Errorf("store: migration %s/%s: %w", dir, name, err)
		}
		if prev, dup := seen[num]; dup {
			return nil, fmt.Errorf("store: migrations %s and %s in %s share number %d: renumber one (and regenerate atlas.sum)", prev, name, dir, num)
		}
		seen[num] = name
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("store: read migration %s: %w", name, err)
		}
		stmts, err := migrate.NewLocalFile(name, b).Stmts()
		if err != nil {
			return nil, fmt.Errorf("store: parse migration %s/%s: %w", dir, name, err)
		}
		out = append(out, migration{Version: strings.TrimSuffix(name, ".sql"), Num: num, Stmts: stmts})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Num < out[j].Num })
	return out, nil
}

func (s *Store) migrations() ([]migration, error) {
	switch s.Dialect {
	case dialect.SQLite:
		return loadMigrations(sqliteMigrations, "migrations/sqlite")
	case dialect.Postgres:
		return loadMigrations(postgresMigrations, "migrations/postgres")
	}
	return nil, fmt.Errorf("store: no migrations for dialect %q", s.Dialect)
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version TEXT PRIMARY KEY,
	applied_at TIMESTAMP NOT NULL
)`

// Pending returns the versions (file names without .sql, e.g. "0001_init")
// of the migrations not yet applied, in order.
func (s *Store) Pending(ctx context.Context) ([]string, error) {
	migs, err := s.migrations()
	if err != nil {
		return nil, err
	}
	return s.pendingOf(ctx, migs)
}

func (s *Store) pendingOf(ctx context.Context, migs []migration) ([]string, error) {
	applied, err := s.applied(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range migs {
		if !applied[m.Version] {
			out = append(out, m.Version)
		}
	}
	return out, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// applied returns the recorded versions; none if the table does not exist.
func (s *Store) applied(ctx context.Context, q querier) (map[string]bool, error) {
	exists := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`
	if s.Dialect == dialect.Postgres {
		exists = `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'`
	}
	var n int
	if err := q.QueryRowContext(ctx, exists).Scan(&n); err != nil {
		return nil, fmt.Errorf("store: read applied migrations: %w", err)
	}
	applied := map[string]bool{}
	if n == 0 {
		return applied, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("store: read applied migrations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("store: read applied migrations: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read applied migrations: %w", err)
	}
	return applied, nil
}

// checkKnown refuses a database carrying migrations this binary does not
// have: it was migrated by newer (or other-branch) code, and running older
// code on it could corrupt data.
func checkKnown(migs []migration, applied map[string]bool) error {
	known := make(map[string]bool, len(migs))
	for _, m := range migs {
		known[m.Version] = true
	}
	var unknown []string
	for v := range applied {
		if !known[v] {
			unknown = append(unknown, v)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("store: database has migrations this build does not know (%s): it was migrated by a newer or different version", strings.Join(unknown, ", "))
	}
	return nil
}

// Migrate applies the pending migrations in order, each in its own
// transaction together with its schema_migrations row. It is idempotent and
// safe when several processes race: on SQLite each migration runs in a BEGIN
// IMMEDIATE transaction that re-checks schema_migrations once it holds the
// write lock; on PostgreSQL the run holds a session advisory lock keyed on
// the current schema.
func (s *Store) Migrate(ctx context.Context) error {
	migs, err := s.migrations()
	if err != nil {
		return err
	}
	return s.migrate(ctx, migs)
}

func (s *Store) migrate(ctx context.Context, migs []migration) error {
	// Fast path: nothing to do needs no lock.
	applied, err := s.applied(ctx, s.DB)
	if err != nil {
		return err
	}
	if err := checkKnown(migs, applied); err != nil {
		return err
	}
	pending := 0
	for _, m := range migs {
		if !applied[m.Version] {
			pending++
		}
	}
	if pending == 0 {
		return nil
	}
	conn, err := s.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer conn.Close()
	switch s.Dialect {
	case dialect.SQLite:
		if err := s.migrateSQLite(ctx, conn, migs); err != nil {
			return err
		}
		// A new index has no statistics until analysed, and the planner
		// weighs it against indexes that have: give it some now rather
		// than at the next OptimizeJob run.
		return s.Optimize(ctx)
	case dialect.Postgres:
		return s.migratePostgres(ctx, conn, migs)
	}
	return fmt.Errorf("store: migrate: unsupported dialect %q", s.Dialect)
}

// discard makes database/sql close conn instead of pooling it, for a
// connection left in a non-default session state.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}

func (s *Store) migrateSQLite(ctx context.Context, conn *sql.Conn, migs []migration) (err error) {
	// Table changes on SQLite are table rebuilds (create, copy, drop,
	// rename); with foreign keys enforced, dropping a parent would cascade
	// deletes into its children. The pragma is a no-op inside a
	// transaction, so it is set on the connection around the run and
	// integrity is checked with foreign_key_check before each commit.
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, rerr := conn.ExecContext(rctx, "PRAGMA foreign_keys = ON"); rerr != nil {
			discard(conn)
		}
	}()
	for _, m := range migs {
		if err := s.applySQLite(ctx, conn, m); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) applySQLite(ctx context.Context, conn *sql.Conn, m migration) error {
	if s.serial != nil {
		// Commits any open write group: DDL runs on another connection.
		if err := s.serial.acquireAlone(ctx); err != nil {
			return err
		}
		defer s.serial.lock.unlock()
	}
	// BEGIN IMMEDIATE (the DSN's _txlock): holds the database write lock
	// from the start, so the check below cannot race another process.
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migrate %s: begin: %w", m.Version, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("store: migrate: create schema_migrations: %w", err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
		return fmt.Errorf("store: migrate %s: %w", m.Version, err)
	}
	if n > 0 {
		return nil // applied by a concurrent process meanwhile
	}
	for i, stmt := range m.Stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("store: migrate %s: statement %d: %w\n%s", m.Version, i+1, err, stmt)
		}
	}
	if err := sqliteForeignKeyCheck(ctx, tx); err != nil {
		return fmt.Errorf("store: migrate %s: %w", m.Version, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, m.Version, time.Now().UTC()); err != nil {
		return fmt.Errorf("store: migrate %s: record: %w", m.Version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migrate %s: commit: %w", m.Version, err)
	}
	return nil
}

func sqliteForeignKeyCheck(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return err
	}
	defer rows.Close()
	var bad []string
	for rows.Next() {
		var (
			table, parent string
			rowid         sql.NullInt64
			fkid          int
		)
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return err
		}
		bad = append(bad, fmt.Sprintf("%s row %d references missing %s", table, rowid.Int64, parent))
		if len(bad) == 10 {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("foreign key violations after migration: %s", strings.Join(bad, "; "))
	}
	return nil
}

// advisoryKey is the pg_advisory_lock key guarding migrations of one schema.
func advisoryKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("remit.schema_migrations\x00" + schema))
	return int64(h.Sum64())
}

func (s *Store) migratePostgres(ctx context.Context, conn *sql.Conn, migs []migration) (err error) {
	var schema sql.NullString
	if err := conn.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	if !schema.Valid {
		return errors.New("store: migrate: no schema selected: the search_path names no existing schema")
	}
	key := advisoryKey(schema.String)
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		return fmt.Errorf("store: migrate: take advisory lock: %w", err)
	}
	defer func() {
		// The lock belongs to the session: if it cannot be released, the
		// connection must not go back to the pool holding it.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		var ok bool
		if rerr := conn.QueryRowContext(rctx, "SELECT pg_advisory_unlock($1)", key).Scan(&ok); rerr != nil || !ok {
			discard(conn)
		}
	}()
	if _, err := conn.ExecContext(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("store: migrate: create schema_migrations: %w", err)
	}
	// Re-read under the lock: another process may have migrated meanwhile.
	applied, err := s.applied(ctx, conn)
	if err != nil {
		return err
	}
	if err := checkKnown(migs, applied); err != nil {
		return err
	}
	for _, m := range migs {
		if applied[m.Version] {
			continue
		}
		if err := applyPostgres(ctx, conn, m); err != nil {
			return err
		}
	}
	return nil
}

func applyPostgres(ctx context.Context, conn *sql.Conn, m migration) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migrate %s: begin: %w", m.Version, err)
	}
	defer tx.Rollback()
	for i, stmt := range m.Stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("store: migrate %s: statement %d: %w\n%s", m.Version, i+1, err, stmt)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, m.Version, time.Now().UTC()); err != nil {
		return fmt.Errorf("store: migrate %s: record: %w", m.Version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migrate %s: commit: %w", m.Version, err)
	}
	return nil
}
