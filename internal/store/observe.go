package store

import (
	"context"
	"database/sql"
	"fmt"

	"entgo.io/ent/dialect"
)

// observedDriver sees every statement sent through the ent client — Exec
// and Query, outside and inside transactions, and the raw
// ExecContext/QueryContext escape hatches — before it runs: it refuses one
// whose arguments hold text no database should store (checkArgs), and
// reports it to onQuery when set. BEGIN, COMMIT and ROLLBACK are not
// statements ent sends as text and are not reported.
type observedDriver struct {
	dialect.Driver
	onQuery queryObserver
}

// queryObserver is what observedDriver reports a statement to: nil, or
// Config.OnQuery and Config.OnStatement combined.
type queryObserver func(ctx context.Context, query string, args []any)

// observer combines Config's two callbacks, or returns nil when neither is
// set.
func observer(cfg Config) queryObserver {
	onQuery, onStatement := cfg.OnQuery, cfg.OnStatement
	if onQuery == nil && onStatement == nil {
		return nil
	}
	return func(ctx context.Context, query string, args []any) {
		if onQuery != nil {
			onQuery(ctx, query)
		}
		if onStatement != nil {
			onStatement(ctx, query, args)
		}
	}
}

var _ dialect.Driver = (*observedDriver)(nil)

func observe(drv dialect.Driver, onQuery queryObserver) dialect.Driver {
	return &observedDriver{Driver: drv, onQuery: onQuery}
}

// before checks a statement's arguments and reports it.
func before(ctx context.Context, onQuery queryObserver, query string, args []any) error {
	if err := checkArgList(args); err != nil {
		return err
	}
	if onQuery != nil {
		onQuery(ctx, query, args)
	}
	return nil
}

// Exec implements dialect.ExecQuerier.
func (d *observedDriver) Exec(ctx context.Context, query string, args, v any) error {
	list, _ := args.([]any)
	if err := before(ctx, d.onQuery, query, list); err != nil {
		return err
	}
	return d.Driver.Exec(ctx, query, args, v)
}

// Query implements dialect.ExecQuerier.
func (d *observedDriver) Query(ctx context.Context, query string, args, v any) error {
	list, _ := args.([]any)
	if err := before(ctx, d.onQuery, query, list); err != nil {
		return err
	}
	return d.Driver.Query(ctx, query, args, v)
}

// ExecContext backs ent.Client.ExecContext.
func (d *observedDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ex, ok := d.Driver.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, fmt.Errorf("store: driver %T does not support ExecContext", d.Driver)
	}
	if err := before(ctx, d.onQuery, query, args); err != nil {
		return nil, err
	}
	return ex.ExecContext(ctx, query, args...)
}

// QueryContext backs ent.Client.QueryContext.
func (d *observedDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q, ok := d.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, fmt.Errorf("store: driver %T does not support QueryContext", d.Driver)
	}
	if err := before(ctx, d.onQuery, query, args); err != nil {
		return nil, err
	}
	return q.QueryContext(ctx, query, args...)
}

// DB returns the underlying pool.
func (d *observedDriver) DB() *sql.DB {
	if db, ok := d.Driver.(interface{ DB() *sql.DB }); ok {
		return db.DB()
	}
	return nil
}

// Tx implements dialect.Driver.
func (d *observedDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &observedTx{Tx: tx, onQuery: d.onQuery}, nil
}

// BeginTx backs ent.Client.BeginTx.
func (d *observedDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	b, ok := d.Driver.(interface {
		BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
	})
	if !ok {
		return nil, fmt.Errorf("store: driver %T does not support BeginTx", d.Driver)
	}
	tx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &observedTx{Tx: tx, onQuery: d.onQuery}, nil
}

// observedTx reports the statements of a transaction.
type observedTx struct {
	dialect.Tx
	onQuery queryObserver
}

// Exec implements dialect.ExecQuerier.
func (t *observedTx) Exec(ctx context.Context, query string, args, v any) error {
	list, _ := args.([]any)
	if err := before(ctx, t.onQuery, query, list); err != nil {
		return err
	}
	return t.Tx.Exec(ctx, query, args, v)
}

// Query implements dialect.ExecQuerier.
func (t *observedTx) Query(ctx context.Context, query string, args, v any) error {
	list, _ := args.([]any)
	if err := before(ctx, t.onQuery, query, list); err != nil {
		return err
	}
	return t.Tx.Query(ctx, query, args, v)
}

// ExecContext backs ent.Tx's ExecContext.
func (t *observedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ex, ok := t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, fmt.Errorf("store: transaction %T does not support ExecContext", t.Tx)
	}
	if err := before(ctx, t.onQuery, query, args); err != nil {
		return nil, err
	}
	return ex.ExecContext(ctx, query, args...)
}

// QueryContext backs ent.Tx's QueryContext.
func (t *observedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q, ok := t.Tx.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, fmt.Errorf("store: transaction %T does not support QueryContext", t.Tx)
	}
	if err := before(ctx, t.onQuery, query, args); err != nil {
		return nil, err
	}
	return q.QueryContext(ctx, query, args...)
}
