// Package ratelimit counts abuse-prone events — failed authentications,
// PDF renders, login codes requested, wrong login codes — per key in fixed
// windows, and says when a key is over its rule's limit.
//
// The counters are rows of one table (ent schema RateLimit), so every
// server process on one database counts together and a restart forgets
// nothing: an in-memory limiter gives an attacker a fresh budget per
// process and per restart. Each count is a single INSERT … ON CONFLICT …
// DO UPDATE … RETURNING statement, atomic on SQLite and PostgreSQL alike,
// with the key and times as bound parameters; keys are stored as digests,
// so no client address or email sits in the table in clear.
//
// A window starts at a key's first hit and lasts the rule's Window; hits
// past the limit are denied and do not extend it, so a client that keeps
// hammering is released on schedule. As with any fixed window, up to twice
// the limit can pass within one Window across a boundary; sustained, a key
// gets at most Limit hits per Window. Expired rows are worth nothing and
// are deleted by Sweep.
//
// Time comes from internal/clock through the context.
package ratelimit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"time"

	"entgo.io/ent/dialect"

	"github.com/remitbilling/remit/ent"
	entratelimit "github.com/remitbilling/remit/ent/ratelimit"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/viewer"
)

// Rule is a limit: at most Limit hits per key per Window.
type Rule struct {
	// Name identifies the rule in stored keys: lowercase letters, digits,
	// '_' and '.'. Renaming a rule starts its counters afresh.
	Name   string
	Limit  int
	Window time.Duration
}

var ruleName = regexp.MustCompile(`^[a-z0-9_.]{1,64}$`)

func (r Rule) validate() error {
	if !ruleName.MatchString(r.Name) || r.Limit <= 0 || r.Window <= 0 {
		// Rules are the program's constants: this is a bug, not input.
		return fmt.Errorf("ratelimit: invalid rule %q (limit %d, window %s)", r.Name, r.Limit, r.Window)
	}
	return nil
}

// Hit is one event to count: a key under a rule.
type Hit struct {
	Rule Rule
	Key  string
}

// Decision is the outcome of checking or counting hits.
type Decision struct {
	// Allowed is false when a hit is over its rule's limit.
	Allowed bool
	// RetryAfter, when not Allowed, is how long until the latest of the
	// blocking windows ends (at least a second): the Retry-After to send.
	RetryAfter time.Duration
}

// Config configures a Limiter.
type Config struct {
	DB *ent.Client
	// Dialect is dialect.SQLite or dialect.Postgres: the two spell bound
	// parameters differently.
	Dialect string
}

// Limiter counts hits in the database.
type Limiter struct {
	db       *ent.Client
	postgres bool
}

// New returns a Limiter on cfg.DB.
func New(cfg Config) (*Limiter, error) {
	if cfg.DB == nil {
		return nil, errors.New("ratelimit: no database")
	}
	l := &Limiter{db: cfg.DB}
	switch cfg.Dialect {
	case dialect.SQLite:
	case dialect.Postgres:
		l.postgres = true
	default:
		return nil, fmt.Errorf("ratelimit: unsupported dialect %q", cfg.Dialect)
	}
	return l, nil
}

// upsert counts one hit and returns the key's count and window end. A row
// whose window is over (or starts in the future: the clock went back)
// restarts at 1 with a new window; otherwise its count goes up by one and
// its window stays. SQL evaluates every SET expression on the row as it
// was, so the three CASEs agree. Parameters: id, window start (now),
// window end (now + rule window). The text is constant; only the
// placeholders differ by dialect.
const (
	upsertSQLite = `INSERT INTO "rate_limits" ("id", "count", "window_start", "expires_at") VALUES (?, 1, ?, ?)
ON CONFLICT ("id") DO UPDATE SET
  "count" = CASE WHEN "rate_limits"."expires_at" <= excluded."window_start" OR "rate_limits"."window_start" > excluded."window_start" THEN 1 ELSE "rate_limits"."count" + 1 END,
  "window_start" = CASE WHEN "rate_limits"."expires_at" <= excluded."window_start" OR "rate_limits"."window_start" > excluded."window_start" THEN excluded."window_start" ELSE "rate_limits"."window_start" END,
  "expires_at" = CASE WHEN "rate_limits"."expires_at" <= excluded."window_start" OR "rate_limits"."window_start" > excluded."window_start" THEN excluded."expires_at" ELSE "rate_limits"."expires_at" END
RETURNING "count", "expires_at"`
	upsertPostgres = `INSERT INTO "rate_limits" ("id", "count", "window_start", "expires_at") VALUES ($1, 1, $2, $3)
ON CONFLICT ("id") DO UPDATE SET
  "count" = CASE WHEN "rate_limits"."expires_at" <= excluded."window_start" OR "rate_limits"."window_start" > excluded."window_start" THEN 1 ELSE "rate_limits"."count" + 1 END,
  "window_start" = CASE WHEN "rate_limits"."expires_at" <= excluded."window_start" OR "rate_limits"."window_start" > excluded."window_start" THEN excluded."window_start" ELSE "rate_limits"."window_start" END,
  "expires_at" = CASE WHEN "rate_limits"."expires_at" <= excluded."window_start" OR "rate_limits"."window_start" > excluded."window_start" THEN excluded."expires_at" ELSE "rate_limits"."expires_at" END
RETURNING "count", "expires_at"`
)

// id is the stored key of a hit: the rule's name and a digest of the key,
// so addresses and emails are not kept in clear and every id has the same
// short length whatever the key.
func id(h Hit) string {
	sum := sha256.Sum256([]byte(h.Rule.Name + "\x00" + h.Key))
	return h.Rule.Name + ":" + base64.RawURLEncoding.EncodeToString(sum[:16])
}

// now is the context's clock, in UTC and at the microsecond PostgreSQL
// keeps, so the times compared in SQL are the same on both databases
// (SQLite compares them as text, which orders correctly in UTC).
func now(ctx context.Context) time.Time {
	return clock.Now(ctx).UTC().Truncate(time.Microsecond)
}

// system is the privacy decision of this package: the table belongs to
// no account.
func system(ctx context.Context) context.Context {
	return viewer.Bypass(ctx, "the table belongs to no account")
}

// Check reports whether every hit is still within its limit, without
// counting anything: callers that count only failures check first, and a
// denied caller costs a read rather than a write.
func (l *Limiter) Check(ctx context.Context, hits ...Hit) (Decision, error) {
	return check(ctx, l.db.RateLimit, hits)
}

// CheckTx is Check inside tx.
func (l *Limiter) CheckTx(ctx context.Context, tx *ent.Tx, hits ...Hit) (Decision, error) {
	return check(ctx, tx.RateLimit, hits)
}

func check(ctx context.Context, rows *ent.RateLimitClient, hits []Hit) (Decision, error) {
	t := now(ctx)
	d := Decision{Allowed: true}
	for _, h := range hits {
		if err := h.Rule.validate(); err != nil {
			return Decision{}, err
		}
		row, err := rows.Get(system(ctx), id(h))
		if ent.IsNotFound(err) {
			continue
		}
		if err != nil {
			return Decision{}, fmt.Errorf("ratelimit: read %s: %w", h.Rule.Name, err)
		}
		live := t.Before(row.ExpiresAt) && !t.Before(row.WindowStart)
		if live && row.Count >= h.Rule.Limit {
			d.deny(row.ExpiresAt.Sub(t))
		}
	}
	return d, nil
}

func (d *Decision) deny(retry time.Duration) {
	d.Allowed = false
	if retry < time.Second {
		// Retry-After is in whole seconds; 0 would invite an instant retry.
		retry = time.Second
	}
	d.RetryAfter = max(d.RetryAfter, retry)
}

// Allow counts every hit, in one transaction, unless one of them is
// already over its limit (then nothing is written), and reports whether
// all of them were within their limits.
func (l *Limiter) Allow(ctx context.Context, hits ...Hit) (Decision, error) {
	d, err := l.Check(ctx, hits...)
	if err != nil || !d.Allowed {
		return d, err
	}
	return l.Count(ctx, hits...)
}

// Count counts every hit, in one transaction, without checking first:
// for callers that checked already and count only what failed.
func (l *Limiter) Count(ctx context.Context, hits ...Hit) (Decision, error) {
	var d Decision
	err := dbtx.Run(ctx, l.db, func(tx *ent.Tx) error {
		var err error
		d, err = l.CountTx(ctx, tx, hits...)
		return err
	})
	return d, err
}

// CountTx counts every hit inside tx, the caller's transaction, and reports
// whether all of them are within their limits. Counting in the caller's
// transaction makes the count and what it guards one atomic change.
func (l *Limiter) CountTx(ctx context.Context, tx *ent.Tx, hits ...Hit) (Decision, error) {
	t := now(ctx)
	d := Decision{Allowed: true}
	for _, h := range hits {
		if err := h.Rule.validate(); err != nil {
			return Decision{}, err
		}
		count, end, err := l.count(ctx, tx, id(h), t, t.Add(h.Rule.Window))
		if err != nil {
			return Decision{}, fmt.Errorf("ratelimit: count %s: %w", h.Rule.Name, err)
		}
		if count > h.Rule.Limit {
			d.deny(end.Sub(t))
		}
	}
	return d, nil
}

func (l *Limiter) count(ctx context.Context, tx *ent.Tx, key string, start, end time.Time) (int, time.Time, error) {
	// Constant text per dialect (internal/sqlaudit checks it stays so).
	upsert := upsertSQLite
	if l.postgres {
		upsert = upsertPostgres
	}
	rows, err := tx.QueryContext(ctx, upsert, key, start, end)
	if err != nil {
		return 0, time.Time{}, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return 0, time.Time{}, err
		}
		return 0, time.Time{}, sql.ErrNoRows
	}
	var count int
	var expires timeValue
	if err := rows.Scan(&count, &expires); err != nil {
		return 0, time.Time{}, err
	}
	return count, expires.t, rows.Close()
}

// timeValue scans a timestamp: PostgreSQL returns a time, SQLite the text
// go-sqlite3 wrote (RETURNING carries no declared column type, so the
// driver does not convert it).
type timeValue struct{ t time.Time }

// sqliteTimeLayout is how go-sqlite3 writes a time.Time parameter.
const sqliteTimeLayout = "2006-01-02 15:04:05.999999999-07:00"

func (v *timeValue) Scan(src any) error {
	switch s := src.(type) {
	case time.Time:
		v.t = s
		return nil
	case string:
		return v.parse(s)
	case []byte:
		return v.parse(string(s))
	}
	return fmt.Errorf("ratelimit: cannot read a time from %T", src)
}

func (v *timeValue) parse(s string) error {
	t, err := time.Parse(sqliteTimeLayout, s)
	if err != nil {
		return fmt.Errorf("ratelimit: read time %q: %w", s, err)
	}
	v.t = t
	return nil
}

// Sweep deletes the counters whose window is over; an expired row counts
// exactly like an absent one, so nothing is lost.
func (l *Limiter) Sweep(ctx context.Context) (int, error) {
	return l.db.RateLimit.Delete().Where(entratelimit.ExpiresAtLTE(now(ctx))).Exec(system(ctx))
}

// AddressKey is the key a client address is counted under: the address
// itself for IPv4, its /64 network for IPv6, since one subscriber usually
// holds a whole /64 and could otherwise rotate through 2^64 addresses.
// Anything that does not parse as an address is its own key.
func AddressKey(host string) string {
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String()
	}
	p, err := ip.WithZone("").Prefix(64)
	if err != nil {
		return host
	}
	return p.String()
}
