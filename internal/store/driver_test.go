package store

import (
	"context"
	"errors"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"
)

func TestIsWriteQuery(t *testing.T) {
	for _, tc := range []struct {
		query string
		write bool
	}{
		{"SELECT 1", false},
		{"  select * from t", false},
		{"-- comment\nSELECT 1", false},
		{"/* c */ (SELECT 1) UNION (SELECT 2)", false},
		{"EXPLAIN QUERY PLAN SELECT 1", false},
		{"VALUES (1)", false},
		{"PRAGMA foreign_keys", false},
		{"PRAGMA foreign_keys = ON", true},
		{"WITH x AS (SELECT 1) SELECT * FROM x", false},
		{"WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", true},
		{"INSERT INTO `t` (`a`) VALUES (?) RETURNING `id`", true},
		{"insert into t values (1)", true},
		{"UPDATE t SET a = 1 RETURNING a", true},
		{"DELETE FROM t", true},
		{"REPLACE INTO t VALUES (1)", true},
		{"CREATE TABLE t (a int)", true},
		{"", true},
		{"-- only a comment", true},
	} {
		if got := isWriteQuery(tc.query); got != tc.write {
			t.Errorf("isWriteQuery(%q) = %v, want %v", tc.query, got, tc.write)
		}
	}
}

// openSerial opens an unmigrated SQLite store with a scratch table.
func openSerial(t *testing.T) (*Store, *serialDriver) {
	t.Helper()
	st, err := Open(context.Background(), Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	drv := st.serial
	if err := drv.Exec(context.Background(), "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)", []any{}, nil); err != nil {
		t.Fatal(err)
	}
	return st, drv
}

// done reports whether ch delivers within d.
func done(ch <-chan error, d time.Duration) (error, bool) {
	select {
	case err := <-ch:
		return err, true
	case <-time.After(d):
		return nil, false
	}
}

func TestSerialDriverExecWaitsForTx(t *testing.T) {
	_, drv := openSerial(t)
	ctx := context.Background()
	tx, err := drv.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Exec(ctx, "INSERT INTO t (n) VALUES (1)", []any{}, nil); err != nil {
		t.Fatal(err)
	}
	execDone := make(chan error, 1)
	go func() { execDone <- drv.Exec(ctx, "INSERT INTO t (n) VALUES (2)", []any{}, nil) }()
	insertDone := make(chan error, 1)
	go func() {
		rows := &entsql.Rows{}
		err := drv.Query(ctx, "INSERT INTO t (n) VALUES (3) RETURNING id", []any{}, rows)
		if err == nil {
			for rows.Next() {
			}
			err = errors.Join(rows.Err(), rows.Close())
		}
		insertDone <- err
	}()
	if _, ok := done(execDone, 100*time.Millisecond); ok {
		t.Fatal("Exec outside the transaction ran while a transaction held the writer lock")
	}
	if _, ok := done(insertDone, 10*time.Millisecond); ok {
		t.Fatal("INSERT … RETURNING through Query ran while a transaction held the writer lock")
	}

	// Reads do not wait for the writer.
	readDone := make(chan error, 1)
	go func() {
		rows := &entsql.Rows{}
		err := drv.Query(ctx, "SELECT count(*) FROM t", []any{}, rows)
		if err == nil {
			err = rows.Close()
		}
		readDone <- err
	}()
	if err, ok := done(readDone, 5*time.Second); !ok || err != nil {
		t.Fatalf("read outside the transaction: done=%v err=%v; want it to run beside the writer", ok, err)
	}

	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	for name, ch := range map[string]chan error{"Exec": execDone, "Query INSERT": insertDone} {
		if err, ok := done(ch, 5*time.Second); !ok || err != nil {
			t.Fatalf("%s after commit: done=%v err=%v", name, ok, err)
		}
	}
}

func TestSerialTxReleasesOnce(t *testing.T) {
	_, drv := openSerial(t)
	ctx := context.Background()
	for _, end := range []string{"commit", "rollback"} {
		tx, err := drv.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if end == "commit" {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		if err != nil {
			t.Fatalf("%s: %v", end, err)
		}
		// Ending it again must not release the lock a second time (which
		// would let two writers in, or block on an empty lock).
		if err := tx.Rollback(); err == nil {
			t.Fatalf("second end after %s succeeded", end)
		}
		if err := tx.Commit(); err == nil {
			t.Fatalf("commit after %s succeeded", end)
		}
	}
	// The lock is free exactly once: one transaction can begin, a second
	// must wait for it.
	tx1, err := drv.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	second := make(chan error, 1)
	go func() {
		tx2, err := drv.Tx(ctx)
		if err == nil {
			err = tx2.Rollback()
		}
		second <- err
	}()
	if _, ok := done(second, 100*time.Millisecond); ok {
		t.Fatal("two transactions held the writer lock at once")
	}
	if err := tx1.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err, ok := done(second, 5*time.Second); !ok || err != nil {
		t.Fatalf("second transaction: done=%v err=%v", ok, err)
	}
}

func TestSerialDriverContext(t *testing.T) {
	_, drv := openSerial(t)
	// A transaction whose context ends frees the lock even if its owner
	// never rolls it back (database/sql rolls it back).
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := drv.Tx(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	next := make(chan error, 1)
	go func() { next <- drv.Exec(context.Background(), "INSERT INTO t (n) VALUES (1)", []any{}, nil) }()
	if err, ok := done(next, 5*time.Second); !ok || err != nil {
		t.Fatalf("write after abandoned transaction: done=%v err=%v", ok, err)
	}

	// A writer queued behind the lock gives up with its context.
	tx, err := drv.Tx(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	wctx, wcancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer wcancel()
	if err := drv.Exec(wctx, "INSERT INTO t (n) VALUES (2)", []any{}, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("queued Exec = %v, want deadline exceeded", err)
	}
	if _, err := drv.BeginTx(wctx, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("queued BeginTx = %v, want deadline exceeded", err)
	}
}
