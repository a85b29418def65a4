package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/dbtx"
)

// Changes is the signal that rows a process may keep in memory — API keys,
// accounts, tax rates: read on every request, rarely written — changed in
// the database, by this process or another one sharing it (the CLI
// revoking a key, a second server). A reader notes Version before it reads
// the rows and keeps them only while Version stays the same; every write
// to those tables bumps it once its transaction commits (see
// cachedTables), so a revoked key stops working at once.
//
// On SQLite the version is a counter in a small file beside the database,
// mapped into the memory of every process that opens it (as SQLite's own
// -shm file is): reading it costs no system call. On PostgreSQL a write
// sends NOTIFY in its transaction, delivered when it commits, and each
// process LISTENs on one connection of its own; while that connection is
// down, Version changes on every call, so nothing is kept.
type Changes interface {
	// Version changes whenever a cached table changed.
	Version() uint64
	// Immediate reports whether a change committed by any process moves
	// Version before that process's next statement: true on SQLite (shared
	// memory), false on PostgreSQL, where the notification arrives some
	// milliseconds later. What must stop at once (a revoked key) is cached
	// only when it is.
	Immediate() bool
	// written signals that m, run in tx (nil outside one), wrote a cached
	// table: once tx commits, for every process.
	written(ctx context.Context, tx *ent.Tx, m ent.Mutation) error
	Close() error
}

// cachedTables are the ent types whose rows processes cache.
var cachedTables = map[string]bool{ent.TypeAPIKey: true, ent.TypeAccount: true, ent.TypeTaxRate: true, ent.TypeWebhookEndpoint: true, ent.TypeProcessorConnection: true}

// changesChannel is the PostgreSQL notification channel.
const changesChannel = "remit_cached_rows"

// notifyChanges is the statement a PostgreSQL writer sends. Channels are
// per database, so the payload names the writer's schema: processes on
// other schemas of the database (tests, other tenants) ignore it.
const notifyChanges = "SELECT pg_notify('" + changesChannel + "', current_schema())"

// bumpOnWrite is the ent hook that tells c of every write to a cached
// table (c.written). A key's last-used stamp, written once a minute, is
// not a change anyone caches.
func bumpOnWrite(c Changes) ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			if !cachedTables[m.Type()] || onlyStamps(m) {
				return next.Mutate(ctx, m)
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return v, err
			}
			if err := c.written(ctx, txOf(m), m); err != nil {
				return nil, err
			}
			return v, nil
		})
	}
}

// onlyStamps reports whether m changes nothing but bookkeeping times.
func onlyStamps(m ent.Mutation) bool {
	if m.Op().Is(ent.OpDelete | ent.OpDeleteOne) {
		return false
	}
	if m.Op().Is(ent.OpCreate) && m.Type() != ent.TypeTaxRate && m.Type() != ent.TypeWebhookEndpoint && m.Type() != ent.TypeProcessorConnection {
		// A new key or account is in no cache yet; a new tax rate joins
		// its account's rates, which are kept whole, a new webhook
		// endpoint makes its account's events wanted, and a new processor
		// connection replaces the mode's default (kept as "none").
		return true
	}
	for _, f := range m.Fields() {
		if f != "last_used_at" && f != "updated_at" {
			return false
		}
	}
	return len(m.ClearedFields()) == 0 && len(m.AddedFields()) == 0
}

// txOf returns the transaction m runs in, if any.
func txOf(m ent.Mutation) *ent.Tx {
	type txer interface{ Tx() (*ent.Tx, error) }
	if t, ok := m.(txer); ok {
		if tx, err := t.Tx(); err == nil {
			return tx
		}
	}
	return nil
}

// clientOf returns the client a mutation outside a transaction ran on.
func clientOf(m ent.Mutation) *ent.Client {
	type clienter interface{ Client() *ent.Client }
	if c, ok := m.(clienter); ok {
		return c.Client()
	}
	return nil
}

// pgChanges follows the notifications of one LISTEN connection.
type pgChanges struct {
	url     string
	schema  string // the schema this process works in, read at LISTEN
	version atomic.Uint64
	up      atomic.Bool
	cancel  context.CancelFunc
	done    sync.WaitGroup
}

func openPGChanges(ctx context.Context, url string) (*pgChanges, error) {
	c := &pgChanges{url: url}
	conn, err := c.listen(ctx)
	if err != nil {
		return nil, err
	}
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c.cancel = cancel
	c.done.Add(1)
	go c.follow(lctx, conn)
	return c, nil
}

func (c *pgChanges) listen(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, c.url)
	if err != nil {
		return nil, fmt.Errorf("store: listen for changes: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+changesChannel); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("store: listen for changes: %w", err)
	}
	if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&c.schema); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("store: listen for changes: %w", err)
	}
	// Whatever changed while nobody listened is unknown: start afresh.
	c.version.Add(1)
	c.up.Store(true)
	return conn, nil
}

// follow counts notifications until ctx ends, reconnecting (with backoff)
// when the connection drops; meanwhile the version is unreliable.
func (c *pgChanges) follow(ctx context.Context, conn *pgx.Conn) {
	defer c.done.Done()
	backoff := 100 * time.Millisecond
	for {
		for conn != nil {
			n, err := conn.WaitForNotification(ctx)
			if err != nil {
				c.up.Store(false)
				conn.Close(context.Background())
				conn = nil
				break
			}
			if n.Payload == c.schema {
				c.version.Add(1)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		var err error
		if conn, err = c.listen(ctx); err != nil {
			conn = nil
			backoff = min(2*backoff, 10*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
	}
}

func (c *pgChanges) Version() uint64 {
	if !c.up.Load() {
		return c.version.Add(1)
	}
	return c.version.Load()
}

// written sends the notification in tx, so other processes learn of the
// change when it commits; this process moves its own version at once
// (after the commit).
func (c *pgChanges) written(ctx context.Context, tx *ent.Tx, m ent.Mutation) error {
	if tx != nil {
		if _, err := tx.ExecContext(ctx, notifyChanges); err != nil {
			return fmt.Errorf("store: signal change: %w", err)
		}
		dbtx.AfterCommit(tx, func() { c.version.Add(1) })
		return nil
	}
	c.version.Add(1)
	client := clientOf(m)
	if client == nil {
		return nil
	}
	if _, err := client.ExecContext(ctx, notifyChanges); err != nil {
		return fmt.Errorf("store: signal change: %w", err)
	}
	return nil
}

func (c *pgChanges) Immediate() bool { return false }

func (c *pgChanges) Close() error {
	c.cancel()
	c.done.Wait()
	return nil
}
