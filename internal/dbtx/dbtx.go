// Package dbtx runs a unit of work in one database transaction: every
// mutation either writes everything or nothing.
package dbtx

import (
	"context"
	"errors"
	"fmt"

	"entgo.io/ent/dialect"

	"github.com/remitbilling/remit/ent"
)

// Run calls fn inside a transaction on client, committing when fn returns
// nil and rolling back on an error or a panic.
func Run(ctx context.Context, client *ent.Client, fn func(tx *ent.Tx) error) (err error) {
	tx, err := client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(err, fmt.Errorf("rollback: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Locking reports whether the dialect needs explicit row locks (SELECT …
// FOR UPDATE) to serialize writers. SQLite serializes every write
// transaction already and rejects the syntax.
func Locking(dialectName string) bool { return dialectName == dialect.Postgres }
