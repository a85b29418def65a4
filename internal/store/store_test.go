package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/remitbilling/remit/ent"
	entmigrate "github.com/remitbilling/remit/ent/migrate"
	"github.com/remitbilling/remit/ent/privacy"
	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/store/storetest"
	"github.com/remitbilling/remit/internal/viewer"
)

// embeddedVersions lists the migration files of dialect on disk, as the
// versions Pending reports.
func embeddedVersions(t *testing.T, d string) []string {
	t.Helper()
	dir := "migrations/sqlite"
	if d == dialect.Postgres {
		dir = "migrations/postgres"
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations in %s (%v)", dir, err)
	}
	var out []string
	for _, f := range files {
		out = append(out, strings.TrimSuffix(filepath.Base(f), ".sql"))
	}
	return out
}

func countApplied(t *testing.T, st *store.Store) int {
	t.Helper()
	var n int
	if err := st.DB.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func openFresh(t *testing.T, cfg store.Config) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestMigrateEmptyAndIdempotent(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			cfg := storetest.Fresh(t, d)
			want := embeddedVersions(t, d)
			st := openFresh(t, cfg)
			if st.Dialect != d {
				t.Fatalf("Dialect = %q, want %q", st.Dialect, d)
			}

			pending, err := st.Pending(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(pending, ",") != strings.Join(want, ",") {
				t.Fatalf("Pending on an empty database = %v, want %v", pending, want)
			}
			if pending[0] != "0001_init" {
				t.Errorf("first migration = %q, want 0001_init", pending[0])
			}

			for run := 1; run <= 2; run++ {
				if err := st.Migrate(ctx); err != nil {
					t.Fatalf("Migrate run %d: %v", run, err)
				}
				if pending, err := st.Pending(ctx); err != nil || len(pending) != 0 {
					t.Fatalf("Pending after run %d = %v, %v; want none", run, pending, err)
				}
				if n := countApplied(t, st); n != len(want) {
					t.Fatalf("schema_migrations has %d rows after run %d, want %d", n, run, len(want))
				}
			}

			// A new process on the same database sees nothing to do.
			st.Close()
			st2 := openFresh(t, cfg)
			if pending, err := st2.Pending(ctx); err != nil || len(pending) != 0 {
				t.Fatalf("Pending after reopen = %v, %v; want none", pending, err)
			}
			if err := st2.Migrate(ctx); err != nil {
				t.Fatalf("Migrate after reopen: %v", err)
			}
		})
	}
}

var registerPostgres sync.Once

// TestSchemaMatchesEnt fails when ent/schema changed without a migration:
// replaying the migration files on an empty database and diffing ent/schema
// against the result must plan nothing. It replays, as the generator does,
// rather than inspecting a database migrated by Migrate, because a replay
// normalizes ent/schema through the database first: PostgreSQL rewrites a
// partial index's condition (status IN ('OPEN', …) reads back as
// (status)::text = ANY (ARRAY[…])), which an inspection would report as a
// change forever. TestMigrateEmptyAndIdempotent checks Migrate applies
// every file.
func TestSchemaMatchesEnt(t *testing.T) {
	for _, d := range storetest.Dialects() {
		name := map[string]string{dialect.SQLite: "sqlite", dialect.Postgres: "postgres"}[d]
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			cfg := storetest.Fresh(t, d)
			st := openFresh(t, cfg) // empty: not migrated
			// A copy of the files, since a plan would be written beside them.
			dirPath := t.TempDir()
			files, err := filepath.Glob(filepath.Join("migrations", name, "*"))
			if err != nil || len(files) == 0 {
				t.Fatalf("no migrations (%v)", err)
			}
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dirPath, filepath.Base(f)), b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			dir, err := atlasmigrate.NewLocalDir(dirPath)
			if err != nil {
				t.Fatal(err)
			}
			opts := []schema.MigrateOption{
				schema.WithDir(dir),
				schema.WithMigrationMode(schema.ModeReplay),
				schema.WithFormatter(atlasmigrate.DefaultFormatter),
				schema.WithDropIndex(true),
				schema.WithDropColumn(true),
				schema.WithErrNoPlan(true),
			}
			before, _ := dir.Files()
			if d == dialect.Postgres {
				// Through its URL, so the replay sees the test's schema (its
				// search_path) alone, not the other tests' schemas.
				registerPostgres.Do(func() {
					if !slices.Contains(sql.Drivers(), "postgres") {
						sql.Register("postgres", stdlib.GetDefaultDriver())
					}
				})
				err = entmigrate.NamedDiff(ctx, cfg.DatabaseURL, "drift", opts...)
			} else {
				var m *schema.Atlas
				if m, err = schema.NewMigrate(entsql.OpenDB(st.Dialect, st.DB), opts...); err != nil {
					t.Fatal(err)
				}
				err = m.NamedDiff(ctx, "drift", entmigrate.Tables...)
			}
			if errors.Is(err, atlasmigrate.ErrNoPlan) {
				return
			}
			if err != nil {
				t.Fatalf("diffing ent/schema against the migrations: %v", err)
			}
			var stmts strings.Builder
			after, _ := dir.Files()
			for _, f := range after[len(before):] {
				stmts.Write(f.Bytes())
			}
			t.Fatalf("ent/schema does not match internal/store/migrations/%s: the migrated database still needs\n\n%s\n"+
				"Run, from the repository root:\n\n\tgo run ./internal/store/migrations/gen/main.go -name <describe_the_change>\n\n"+
				"then review and commit the new migration files with the schema change.", name, stmts.String())
		})
	}
}

func TestSQLitePragmas(t *testing.T) {
	st := storetest.Open(t, dialect.SQLite)
	ctx := context.Background()
	const conns = 8
	if got := st.DB.Stats().MaxOpenConnections; got != conns {
		t.Fatalf("MaxOpenConnections = %d, want %d", got, conns)
	}
	pragmas := []struct{ name, want string }{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"synchronous", "2"}, // FULL
		{"busy_timeout", "10000"},
	}
	// Hold every pooled connection at once, so each is a distinct one.
	var held []interface{ Close() error }
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for i := range conns {
		c, err := st.DB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		for _, p := range pragmas {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+p.name).Scan(&got); err != nil {
				t.Fatalf("conn %d: PRAGMA %s: %v", i, p.name, err)
			}
			if !strings.EqualFold(got, p.want) {
				t.Errorf("conn %d: PRAGMA %s = %s, want %s", i, p.name, got, p.want)
			}
		}
	}
	if got := st.DB.Stats().OpenConnections; got != conns {
		t.Errorf("checked %d connections, want %d", got, conns)
	}
}

// dbPath returns the main database file of a SQLite store.
func dbPath(t *testing.T, st *store.Store) string {
	t.Helper()
	var seq int
	var name, file string
	if err := st.DB.QueryRow("PRAGMA database_list").Scan(&seq, &name, &file); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestOpenSQLiteCreatesDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	st := openFresh(t, store.Config{DataDir: dir})
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Errorf("data dir mode = %o, want 700", perm)
	}
	if got, want := dbPath(t, st), filepath.Join(dir, store.DBFile); got != want {
		t.Errorf("database file = %s, want %s", got, want)
	}
}

func TestOpenErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  store.Config
		want string
	}{
		{"empty", store.Config{}, "neither DataDir nor DatabaseURL"},
		{"scheme", store.Config{DatabaseURL: "mysql://x/y"}, "want postgres://"},
		{"unreachable", store.Config{DatabaseURL: "postgres://postgres:secret@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"}, "127.0.0.1:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := store.Open(context.Background(), tc.cfg)
			if err == nil {
				st.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error leaks the password: %q", err)
			}
		})
	}
}

// TestConcurrentWrites hammers one counter row from 16 goroutines through
// every write path of the ent driver: transactions, ent updates and creates
// outside transactions (creates are INSERT … RETURNING queries), and raw
// ExecContext. None may fail (no "database is locked") and no increment may
// be lost.
func TestConcurrentWrites(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
		acct, err := st.Client.Account.Create().SetName("Acme").Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		seq, err := st.Client.Sequence.Create().
			SetAccountID(acct.ID).SetMode(viewer.Test).SetScope("account").SetNext(0).
			Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		raw := `UPDATE sequences SET next = next + 1 WHERE id = ?`
		if st.Dialect == dialect.Postgres {
			raw = `UPDATE sequences SET next = next + 1 WHERE id = $1`
		}
		const workers, perWorker = 16, 50
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			errs    []error
			created int
		)
		start := time.Now()
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perWorker {
					var err error
					switch (w + i) % 4 {
					case 0: // ent transaction
						err = withTx(ctx, st.Client, func(tx *ent.Tx) error {
							return tx.Sequence.UpdateOneID(seq.ID).AddNext(1).Exec(ctx)
						})
					case 1: // ent update outside a transaction
						err = st.Client.Sequence.UpdateOneID(seq.ID).AddNext(1).Exec(ctx)
					case 2: // raw SQL through the driver
						_, err = st.Client.ExecContext(ctx, raw, seq.ID)
					case 3: // a create (INSERT … RETURNING) and an increment in one transaction
						err = withTx(ctx, st.Client, func(tx *ent.Tx) error {
							if _, err := tx.Product.Create().SetAccountID(acct.ID).SetMode(viewer.Test).
								SetName(fmt.Sprintf("p%d-%d", w, i)).Save(ctx); err != nil {
								return err
							}
							return tx.Sequence.UpdateOneID(seq.ID).AddNext(1).Exec(ctx)
						})
						if err == nil {
							// and one outside a transaction
							_, err = st.Client.Product.Create().SetAccountID(acct.ID).SetMode(viewer.Test).
								SetName(fmt.Sprintf("q%d-%d", w, i)).Save(ctx)
						}
						if err == nil {
							mu.Lock()
							created += 2
							mu.Unlock()
						}
					}
					if err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
						return
					}
				}
			}()
		}
		wg.Wait()
		t.Logf("%s: %d write operations in %v", st.Dialect, workers*perWorker, time.Since(start))
		for _, err := range errs {
			t.Error(err)
		}
		got, err := st.Client.Sequence.Get(ctx, seq.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Next != workers*perWorker {
			t.Errorf("counter = %d, want %d", got.Next, workers*perWorker)
		}
		n, err := st.Client.Product.Query().Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != created {
			t.Errorf("products = %d, want %d", n, created)
		}
	})
}

func withTx(ctx context.Context, c *ent.Client, fn func(*ent.Tx) error) error {
	tx, err := c.Tx(ctx)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}

func TestConcurrentMigrate(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			cfg := storetest.Fresh(t, d)
			stores := []*store.Store{openFresh(t, cfg), openFresh(t, cfg), openFresh(t, cfg)}
			var wg sync.WaitGroup
			errs := make([]error, len(stores))
			for i, st := range stores {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = st.Migrate(ctx)
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("store %d: Migrate: %v", i, err)
				}
			}
			for i, st := range stores {
				if pending, err := st.Pending(ctx); err != nil || len(pending) != 0 {
					t.Errorf("store %d: Pending = %v, %v; want none", i, pending, err)
				}
			}
			if n, want := countApplied(t, stores[0]), len(embeddedVersions(t, d)); n != want {
				t.Errorf("schema_migrations has %d rows, want %d", n, want)
			}
		})
	}
}

// TestPostgresSearchPath checks that a search_path in the URL scopes the
// store to that schema, as per-test isolation relies on.
func TestPostgresSearchPath(t *testing.T) {
	cfg := storetest.Fresh(t, dialect.Postgres)
	ctx := context.Background()
	st := openFresh(t, cfg)
	var schemaName string
	if err := st.DB.QueryRow("SELECT current_schema()").Scan(&schemaName); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(schemaName, "t_") || !strings.Contains(cfg.DatabaseURL, "search_path="+schemaName) {
		t.Fatalf("current_schema() = %q; URL %s", schemaName, cfg.DatabaseURL)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// Every pooled connection carries the search_path.
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var s string
			if err := st.DB.QueryRowContext(ctx, "SELECT current_schema() FROM pg_sleep(0.05)").Scan(&s); err != nil || s != schemaName {
				t.Errorf("current_schema() = %q, %v; want %q", s, err, schemaName)
			}
		}()
	}
	wg.Wait()
	var tables int
	if err := st.DB.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name IN ('invoices', 'schema_migrations')`, schemaName).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 2 {
		t.Fatalf("found %d of invoices, schema_migrations in schema %s, want 2", tables, schemaName)
	}
	actx := privacy.DecisionContext(ctx, privacy.Allow)
	if _, err := st.Client.Account.Create().SetName("Scoped").Save(actx); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := st.DB.QueryRow(fmt.Sprintf(`SELECT count(*) FROM %q.accounts`, schemaName)).Scan(&n); err != nil || n != 1 {
		t.Fatalf("accounts in %s = %d, %v; want 1", schemaName, n, err)
	}
}
