//go:build ignore

// Command gen writes the next versioned migration of internal/store, for
// SQLite and PostgreSQL, by diffing ent/schema against the schema the
// existing migration files produce. The files are replayed on a scratch
// database (ent's ModeReplay): an in-memory SQLite database, and a fresh
// temporary schema on a PostgreSQL server.
//
// After changing ent/schema (and running go generate ./ent), from the
// repository root:
//
//	go run ./internal/store/migrations/gen/main.go -name add_invoice_notes
//
// (The file carries //go:build ignore so it stays out of builds and tests,
// which is why it is run by file name rather than as ./…/gen.) It writes
// internal/store/migrations/{sqlite,postgres}/NNNN_add_invoice_notes.sql,
// both with the same next number, and updates each directory's atlas.sum.
// Review the SQL, then commit it with the schema change. A dialect with no
// changes gets no file; when neither has any the command says so and writes
// nothing.
//
// PostgreSQL: by default a schema remit_dev_<random> is created on the
// server at $REMIT_TEST_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable), used through
// search_path and dropped afterwards. -pg-dev-url uses the given, empty,
// database instead.
//
// Never edit a migration that has been applied anywhere; add a new one. If a
// file must be hand-edited before it is committed, run with -rehash to
// rewrite atlas.sum. The TestSchemaMatchesEnt test in internal/store fails
// when ent/schema and the migrations disagree.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"text/template"
	"time"

	atlas "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	"github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3"

	entmigrate "github.com/remitbilling/remit/ent/migrate"
)

const defaultPGURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

var (
	nameFlag    = flag.String("name", "", "name of the migration, e.g. add_invoice_notes (lowercase letters, digits, _)")
	dirFlag     = flag.String("dir", "internal/store/migrations", "migrations directory (holding sqlite/ and postgres/)")
	dialectFlag = flag.String("dialect", "all", "all, sqlite or postgres")
	pgDevURL    = flag.String("pg-dev-url", "", "empty PostgreSQL database to replay migrations on (default: a temporary schema on $REMIT_TEST_DATABASE_URL)")
	rehash      = flag.Bool("rehash", false, "only rewrite atlas.sum of each directory (after a deliberate hand edit)")
)

var (
	validName = regexp.MustCompile(`^[a-z0-9][a-z0-9_]*$`)
	fileNum   = regexp.MustCompile(`^([0-9]+)_.*\.sql$`)
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("gen: ")
	flag.Parse()
	if fi, err := os.Stat(*dirFlag); err != nil || !fi.IsDir() {
		log.Fatalf("%s is not a directory: run from the repository root, or pass -dir", *dirFlag)
	}
	var dialects []string
	switch *dialectFlag {
	case "all":
		// PostgreSQL first: it is the one that can fail for want of a server.
		dialects = []string{dialect.Postgres, dialect.SQLite}
	case "sqlite", dialect.SQLite:
		dialects = []string{dialect.SQLite}
	case dialect.Postgres:
		dialects = []string{dialect.Postgres}
	default:
		log.Fatalf("-dialect %q: want all, sqlite or postgres", *dialectFlag)
	}
	if *rehash {
		for _, d := range dialects {
			if err := rehashDir(dirOf(d)); err != nil {
				log.Fatal(err)
			}
			fmt.Printf("rewrote %s\n", filepath.Join(dirOf(d), "atlas.sum"))
		}
		return
	}
	if !validName.MatchString(*nameFlag) {
		log.Fatalf("-name %q: want lowercase letters, digits and _, e.g. -name add_invoice_notes", *nameFlag)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// One number for both dialects, so a change has the same version
	// everywhere even if a dialect once had nothing to write.
	next := 1
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		n, err := maxNumber(dirOf(d))
		if err != nil {
			log.Fatal(err)
		}
		next = max(next, n+1)
	}
	// On failure, undo this run's files so the dialects stay in step.
	var undo []func()
	fail := func(format string, args ...any) {
		for _, f := range undo {
			f()
		}
		log.Fatalf(format, args...)
	}
	wrote := false
	for _, d := range dialects {
		sumPath := filepath.Join(dirOf(d), "atlas.sum")
		oldSum, sumErr := os.ReadFile(sumPath)
		file, err := generate(ctx, d, next)
		if err != nil {
			fail("%s: %v", d, err)
		}
		if file != "" {
			undo = append(undo, func() {
				os.Remove(file)
				if sumErr == nil {
					os.WriteFile(sumPath, oldSum, 0o644)
				} else {
					os.Remove(sumPath)
				}
			})
		}
		if file == "" {
			fmt.Printf("%s: ent/schema matches the migrations, nothing to write\n", d)
			continue
		}
		wrote = true
		fmt.Printf("%s: wrote %s\n", d, file)
	}
	if !wrote {
		fmt.Println("no changes")
	}
}

func dirOf(d string) string {
	if d == dialect.SQLite {
		return filepath.Join(*dirFlag, "sqlite")
	}
	return filepath.Join(*dirFlag, "postgres")
}

// maxNumber returns the highest NNNN of the dir's migration files (0 if none).
func maxNumber(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if m := fileNum.FindStringSubmatch(e.Name()); m != nil {
			v, err := strconv.Atoi(m[1])
			if err != nil {
				return 0, fmt.Errorf("%s: %w", e.Name(), err)
			}
			n = max(n, v)
		}
	}
	return n, nil
}

func rehashDir(dir string) error {
	ld, err := atlas.NewLocalDir(dir)
	if err != nil {
		return err
	}
	files, err := ld.Files()
	if err != nil {
		return err
	}
	sum, err := atlas.NewHashFile(files)
	if err != nil {
		return err
	}
	return atlas.WriteSumFile(ld, sum)
}

// formatter writes plain SQL files named NNNN_<name>.sql.
func formatter(num int) (atlas.Formatter, error) {
	header := "-- Generated by internal/store/migrations/gen from ent/schema. Do not edit once applied anywhere; add a new migration.\n\n"
	return atlas.NewTemplateFormatter(
		template.Must(template.New("name").Parse(fmt.Sprintf("%04d_{{ .Name }}.sql", num))),
		template.Must(template.New("content").Parse(header+
			"{{ range .Changes }}{{ with .Comment }}-- {{ println . }}{{ end }}{{ printf \"%s;\\n\" .Cmd }}{{ end }}")),
	)
}

// generate writes migration num for dialect d and returns its path, or ""
// when ent/schema already matches the directory.
func generate(ctx context.Context, d string, num int) (string, error) {
	dirPath := dirOf(d)
	if err := os.MkdirAll(dirPath, 0o755); err != nil {
		return "", err
	}
	dir, err := atlas.NewLocalDir(dirPath)
	if err != nil {
		return "", err
	}
	f, err := formatter(num)
	if err != nil {
		return "", err
	}
	opts := []schema.MigrateOption{
		schema.WithDir(dir),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithFormatter(f),
		schema.WithDropIndex(true),
		schema.WithDropColumn(true),
		schema.WithErrNoPlan(true),
	}
	if d == dialect.SQLite {
		err = diffSQLite(ctx, opts)
	} else {
		err = diffPostgres(ctx, opts)
	}
	switch {
	case errors.Is(err, atlas.ErrNoPlan):
		return "", nil
	case err != nil:
		return "", err
	}
	return filepath.Join(dirPath, fmt.Sprintf("%04d_%s.sql", num, *nameFlag)), nil
}

// diffSQLite replays the directory on sqlite://file?mode=memory&_fk=1: a
// private in-memory database, which exists per connection, hence opened
// here with a single connection rather than through atlas' URL opener.
func diffSQLite(ctx context.Context, opts []schema.MigrateOption) error {
	db, err := sql.Open("sqlite3", "file:remit_dev?mode=memory&_fk=1")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	m, err := schema.NewMigrate(entsql.OpenDB(dialect.SQLite, db), opts...)
	if err != nil {
		return err
	}
	return m.NamedDiff(ctx, *nameFlag, entmigrate.Tables...)
}

// diffPostgres replays the directory on a scratch schema (or -pg-dev-url)
// through ent's migrate.NamedDiff. Atlas scopes itself to the schema named
// by the URL's search_path; it opens URLs with the database/sql driver
// "postgres", registered here as pgx.
func diffPostgres(ctx context.Context, opts []schema.MigrateOption) error {
	sql.Register("postgres", stdlib.GetDefaultDriver())
	devURL := *pgDevURL
	if devURL == "" {
		u, drop, err := scratchSchema(ctx)
		if err != nil {
			return err
		}
		defer drop()
		devURL = u
	}
	u, err := url.Parse(devURL)
	if err != nil {
		return errors.New("invalid PostgreSQL URL")
	}
	u.Scheme = "postgres" // ent takes its dialect from the scheme
	return entmigrate.NamedDiff(ctx, u.String(), *nameFlag, opts...)
}

// scratchSchema creates remit_dev_<random> on the dev server and returns a
// URL selecting it, and a function dropping it.
func scratchSchema(ctx context.Context) (string, func(), error) {
	base := os.Getenv("REMIT_TEST_DATABASE_URL")
	if base == "" {
		base = defaultPGURL
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, errors.New("REMIT_TEST_DATABASE_URL is not a valid URL")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("no PostgreSQL dev server (set REMIT_TEST_DATABASE_URL or -pg-dev-url): %w", err)
	}
	// pg_trgm, which the migrations use, installed where the scratch
	// schema sees it (as internal/store/storetest does for tests).
	var ext sql.NullString
	err = admin.QueryRowContext(ctx, "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'").Scan(&ext)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = admin.ExecContext(ctx, "CREATE EXTENSION pg_trgm SCHEMA pg_catalog")
	case err == nil && ext.String != "pg_catalog":
		_, err = admin.ExecContext(ctx, "ALTER EXTENSION pg_trgm SET SCHEMA pg_catalog")
	}
	if err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("install pg_trgm on the dev server: %w", err)
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		admin.Close()
		return "", nil, err
	}
	name := "remit_dev_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+name); err != nil {
		admin.Close()
		return "", nil, err
	}
	drop := func() {
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(dctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
			log.Printf("dropping dev schema %s: %v", name, err)
		}
		admin.Close()
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}
