package store

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	for _, tc := range []struct {
		name    string
		files   fstest.MapFS
		want    []string // versions, in order
		wantErr string
	}{
		{
			name: "ordered, non-sql skipped",
			files: fstest.MapFS{
				"m/0010_later.sql": file("CREATE TABLE b (x int);"),
				"m/0002_next.sql":  file("CREATE TABLE a (x int);\n-- c\nCREATE INDEX i ON a (x);"),
				"m/0001_init.sql":  file("SELECT 1;"),
				"m/atlas.sum":      file("h1:..."),
				"m/README.md":      file("notes"),
			},
			want: []string{"0001_init", "0002_next", "0010_later"},
		},
		{name: "empty", files: fstest.MapFS{"m/atlas.sum": file("")}},
		{
			name:    "bad name",
			files:   fstest.MapFS{"m/init.sql": file("SELECT 1;")},
			wantErr: "name must look like",
		},
		{
			name:    "short number",
			files:   fstest.MapFS{"m/1_init.sql": file("SELECT 1;")},
			wantErr: "name must look like",
		},
		{
			name: "duplicate number",
			files: fstest.MapFS{
				"m/0002_a.sql": file("SELECT 1;"),
				"m/0002_b.sql": file("SELECT 2;"),
			},
			wantErr: "share number 2",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			migs, err := loadMigrations(tc.files, "m")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range migs {
				got = append(got, m.Version)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("versions = %v, want %v", got, tc.want)
			}
			if len(migs) > 1 && len(migs[1].Stmts) != 2 {
				t.Errorf("0002_next has %d statements, want 2: %q", len(migs[1].Stmts), migs[1].Stmts)
			}
		})
	}
}

func TestEmbeddedMigrationsLoad(t *testing.T) {
	for _, tc := range []struct {
		fsys fs.FS
		dir  string
	}{
		{sqliteMigrations, "migrations/sqlite"},
		{postgresMigrations, "migrations/postgres"},
	} {
		migs, err := loadMigrations(tc.fsys, tc.dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(migs) == 0 || migs[0].Version != "0001_init" || len(migs[0].Stmts) == 0 {
			t.Fatalf("%s: want 0001_init first, with statements; got %d migrations", tc.dir, len(migs))
		}
	}
}

// A SQLite table change is a rebuild: create a copy, move the rows, drop the
// old table, rename. With foreign keys enforced, dropping the parent would
// cascade into its children; Migrate runs with them off and checks them
// before committing.
func TestSQLiteRebuildKeepsChildren(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v1 := []migration{{Version: "0001_init", Num: 1, Stmts: []string{
		"CREATE TABLE parents (id TEXT PRIMARY KEY, name TEXT NOT NULL)",
		"CREATE TABLE children (id TEXT PRIMARY KEY, parent_id TEXT NOT NULL REFERENCES parents (id) ON DELETE CASCADE)",
		"INSERT INTO parents VALUES ('p1', 'one')",
		"INSERT INTO children VALUES ('c1', 'p1')",
	}}}
	if err := st.migrate(ctx, v1); err != nil {
		t.Fatal(err)
	}
	rebuild := migration{Version: "0002_parent_default", Num: 2, Stmts: []string{
		"PRAGMA foreign_keys = off", // as atlas writes it; a no-op in a transaction
		"CREATE TABLE new_parents (id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '')",
		"INSERT INTO new_parents (id, name) SELECT id, name FROM parents",
		"DROP TABLE parents",
		"ALTER TABLE new_parents RENAME TO parents",
		"PRAGMA foreign_keys = on",
	}}
	if err := st.migrate(ctx, append(v1, rebuild)); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := st.DB.QueryRow("SELECT count(*) FROM children").Scan(&n); err != nil || n != 1 {
		t.Fatalf("children after rebuild = %d, %v; want 1", n, err)
	}
	// Foreign keys are back on for the pooled connections.
	if _, err := st.DB.Exec("INSERT INTO children VALUES ('c2', 'nope')"); err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Fatalf("orphan insert after migrating = %v, want a foreign key error", err)
	}

	// A migration leaving dangling references is rolled back.
	bad := migration{Version: "0003_orphans", Num: 3, Stmts: []string{
		"DELETE FROM parents",
	}}
	err = st.migrate(ctx, append(v1, rebuild, bad))
	if err == nil || !strings.Contains(err.Error(), "foreign key violations") {
		t.Fatalf("orphaning migration = %v, want foreign key violations", err)
	}
	if err := st.DB.QueryRow("SELECT count(*) FROM parents").Scan(&n); err != nil || n != 1 {
		t.Fatalf("parents after failed migration = %d, %v; want 1 (rolled back)", n, err)
	}
	pending, err := st.pendingOf(ctx, append(v1, rebuild, bad))
	if err != nil || len(pending) != 1 || pending[0] != "0003_orphans" {
		t.Fatalf("pending = %v, %v; want [0003_orphans]", pending, err)
	}
}

func TestMigrateRefusesUnknownVersions(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES ('9999_from_the_future', CURRENT_TIMESTAMP)"); err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err == nil || !strings.Contains(err.Error(), "9999_from_the_future") {
		t.Fatalf("Migrate = %v, want refusal naming 9999_from_the_future", err)
	}
}
