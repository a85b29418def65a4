package outbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"entgo.io/ent/dialect/sql"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/emailmessage"
	"github.com/remitbilling/remit/ent/predicate"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/events"
	"github.com/remitbilling/remit/internal/viewer"
)

// ErrLeaseLost is returned when recording the outcome of a message whose
// lease ended and which another worker claimed meanwhile: its outcome is
// that worker's to record.
var ErrLeaseLost = errors.New("outbox: lease lost: the message was claimed again")

// MaxErrorLen bounds the stored last_error.
const MaxErrorLen = 2000

// system is the explicit decision for the worker, which serves every
// account.
func system(ctx context.Context) context.Context {
	return viewer.Bypass(ctx, "the worker serves every account")
}

// Claim leases up to limit due messages, of any account, to owner for
// lease: it moves them to SENDING, counts an attempt, and sets
// next_attempt_at to the end of the lease, so a message whose worker dies
// becomes due again when its lease ends. Due means QUEUED with
// next_attempt_at <= now, or SENDING with an expired lease; oldest first.
//
// Several workers, in one process or many, may claim concurrently: on
// PostgreSQL the rows are selected FOR UPDATE SKIP LOCKED, so concurrent
// claims take disjoint rows without waiting for each other; on SQLite the
// claim transaction holds the database's write lock (BEGIN IMMEDIATE),
// which serializes claims. The returned rows carry the claimed state.
func Claim(ctx context.Context, client *ent.Client, dialect, owner string, limit int, lease time.Duration) ([]*ent.EmailMessage, error) {
	if owner == "" || limit < 1 || lease <= 0 {
		return nil, errors.New("outbox: claim needs an owner, a positive limit and a positive lease")
	}
	ctx = system(ctx)
	now := clock.Now(ctx)
	until := storable(now.Add(lease))
	var claimed []*ent.EmailMessage
	err := dbtx.Run(ctx, client, func(tx *ent.Tx) error {
		// Expired leases first, then the queue, each an index range scan
		// on (status, next_attempt_at) in order, so the claim stays cheap
		// however long the backlog (one query over both statuses would
		// sort every due row).
		var rows []*ent.EmailMessage
		for _, st := range []emailmessage.Status{emailmessage.StatusSending, emailmessage.StatusQueued} {
			q := tx.EmailMessage.Query().
				Where(emailmessage.StatusEQ(st), emailmessage.NextAttemptAtLTE(now)).
				Order(emailmessage.ByNextAttemptAt(), emailmessage.ByID()).
				Limit(limit - len(rows))
			if dbtx.Locking(dialect) {
				q = q.ForUpdate(sql.WithLockAction(sql.SkipLocked))
			}
			found, err := q.All(ctx)
			if err != nil {
				return err
			}
			if rows = append(rows, found...); len(rows) == limit {
				break
			}
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		n, err := tx.EmailMessage.Update().
			Where(emailmessage.IDIn(ids...), due(now)).
			SetStatus(emailmessage.StatusSending).
			SetLeaseOwner(owner).
			SetLeaseUntil(until).
			SetNextAttemptAt(until).
			AddAttempts(1).
			SetUpdatedAt(now).
			Save(ctx)
		if err != nil {
			return err
		}
		if n != len(rows) {
			// Cannot happen with the rows locked (PostgreSQL) or the
			// database locked (SQLite); refuse rather than guess.
			return fmt.Errorf("claimed %d of %d selected messages", n, len(rows))
		}
		for _, r := range rows {
			r.Status = emailmessage.StatusSending
			r.LeaseOwner = owner
			r.LeaseUntil = &until
			r.NextAttemptAt = until
			r.Attempts++
			r.UpdatedAt = now
		}
		claimed = rows
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", err)
	}
	return claimed, nil
}

// due selects the messages a worker may claim at now.
func due(now time.Time) predicate.EmailMessage {
	return emailmessage.And(
		emailmessage.StatusIn(emailmessage.StatusQueued, emailmessage.StatusSending),
		emailmessage.NextAttemptAtLTE(now),
	)
}

// leased selects m only while the claim that produced it still holds.
func leased(m *ent.EmailMessage) predicate.EmailMessage {
	return emailmessage.And(
		emailmessage.ID(m.ID),
		emailmessage.StatusEQ(emailmessage.StatusSending),
		emailmessage.LeaseOwner(m.LeaseOwner),
		emailmessage.Attempts(m.Attempts),
	)
}

// finish applies upd to the claimed message m, in a transaction of its
// own (SQLite commits concurrent ones together), if the claim still holds.
// When event is set, the message as upd left it is recorded with it in
// the same transaction.
func finish(ctx context.Context, client *ent.Client, m *ent.EmailMessage, event events.Type, upd func(*ent.EmailMessageUpdate) *ent.EmailMessageUpdate) error {
	ctx = system(ctx)
	var n int
	err := dbtx.Run(ctx, client, func(tx *ent.Tx) error {
		var err error
		u := upd(tx.EmailMessage.Update().Where(leased(m)))
		n, err = u.ClearLeaseUntil().SetUpdatedAt(clock.Now(ctx)).Save(ctx)
		if err != nil || n == 0 || event == "" {
			return err
		}
		// The message as it now stands, without reading it back.
		after := *m
		mu := u.Mutation()
		if v, ok := mu.Status(); ok {
			after.Status = v
		}
		if v, ok := mu.SentAt(); ok {
			after.SentAt = &v
		}
		if v, ok := mu.LastError(); ok {
			after.LastError = v
		}
		return events.Record(ctx, tx, event, &after)
	})
	if err != nil {
		return fmt.Errorf("outbox: message %s: %w", m.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("message %s: %w", m.ID, ErrLeaseLost)
	}
	return nil
}

// MarkSent records that the SMTP server accepted the claimed message m.
func MarkSent(ctx context.Context, client *ent.Client, m *ent.EmailMessage) error {
	return finish(ctx, client, m, events.EmailSent, func(u *ent.EmailMessageUpdate) *ent.EmailMessageUpdate {
		return u.SetStatus(emailmessage.StatusSent).SetSentAt(clock.Now(ctx)).SetLastError("")
	})
}

// MarkRetry puts the claimed message m back in the queue, due at next,
// recording why this attempt failed.
func MarkRetry(ctx context.Context, client *ent.Client, m *ent.EmailMessage, next time.Time, cause error) error {
	return finish(ctx, client, m, "", func(u *ent.EmailMessageUpdate) *ent.EmailMessageUpdate {
		return u.SetStatus(emailmessage.StatusQueued).SetNextAttemptAt(storable(next)).SetLastError(errorText(cause))
	})
}

// MarkFailed gives up on the claimed message m, recording why.
func MarkFailed(ctx context.Context, client *ent.Client, m *ent.EmailMessage, cause error) error {
	return finish(ctx, client, m, events.EmailFailed, func(u *ent.EmailMessageUpdate) *ent.EmailMessageUpdate {
		return u.SetStatus(emailmessage.StatusFailed).SetLastError(errorText(cause))
	})
}

// Release gives the claimed message m back unattempted: QUEUED, due now,
// its attempt not counted.
func Release(ctx context.Context, client *ent.Client, m *ent.EmailMessage) error {
	return finish(ctx, client, m, "", func(u *ent.EmailMessageUpdate) *ent.EmailMessageUpdate {
		return u.SetStatus(emailmessage.StatusQueued).SetNextAttemptAt(clock.Now(ctx)).AddAttempts(-1)
	})
}

// storable returns t as both stores keep it (UTC, microseconds, as
// clock.Now), so it compares equal to a clock reading once stored.
func storable(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func errorText(err error) string {
	s := "unknown error"
	if err != nil {
		s = err.Error()
	}
	if !utf8.ValidString(s) {
		s = string([]rune(s)) // replaces invalid bytes
	}
	s = strings.ReplaceAll(s, "\x00", "") // PostgreSQL text cannot hold NUL
	if r := []rune(s); len(r) > MaxErrorLen {
		s = string(r[:MaxErrorLen-1]) + "…"
	}
	return s
}
