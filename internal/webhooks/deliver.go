package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"entgo.io/ent/dialect/sql"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/account"
	"github.com/remitbilling/remit/ent/event"
	"github.com/remitbilling/remit/ent/webhookdelivery"
	"github.com/remitbilling/remit/ent/webhookendpoint"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/mail"
	"github.com/remitbilling/remit/internal/outbox"
	"github.com/remitbilling/remit/internal/values"
	"github.com/remitbilling/remit/internal/viewer"
)

// Delivery timing.
const (
	// lease is how long a claimed delivery is its worker's: longer than
	// an attempt can take.
	lease = 2 * Timeout
	// firstRetry is the first backoff; each failure doubles it, up to
	// maxRetry, with ±20 % jitter so retries of one outage spread out.
	firstRetry = 30 * time.Second
	maxRetry   = 6 * time.Hour
	// maxBody is how much of a receiver's answer is kept.
	maxBody = 2048
	// maxAttemptsKept bounds a delivery's attempt log.
	maxAttemptsKept = 20
)

// GiveUpAfter is how long a delivery is retried: three days in live mode,
// three hours in test mode. An endpoint failing that long is disabled.
func GiveUpAfter(m viewer.Mode) time.Duration {
	if m == viewer.Live {
		return 72 * time.Hour
	}
	return 3 * time.Hour
}

// system is the explicit decision for the worker, which serves every
// account (and writes their rows with their account and mode).
func system(ctx context.Context) context.Context {
	return viewer.Bypass(ctx, "the webhook worker serves every account")
}

// now is the process's time: deliveries are real HTTP requests, even for
// events of a test clock.
func now(ctx context.Context) time.Time {
	return clock.Base(ctx).Now().UTC().Truncate(time.Microsecond)
}

// Dispatch queues the deliveries of up to limit events not yet
// dispatched, oldest first, to the endpoints of their account and mode
// that subscribe to their type, and marks the events dispatched, in one
// transaction: each event's deliveries are queued once, whatever the
// number of processes (PostgreSQL skips events another one holds; SQLite
// runs one writer). It returns how many events it dispatched.
func (s *Service) Dispatch(ctx context.Context, limit int) (int, error) {
	ctx = system(ctx)
	n := 0
	err := dbtx.Run(ctx, s.db, func(tx *ent.Tx) error {
		q := tx.Event.Query().Where(event.DispatchedAtIsNil()).Order(event.ByID()).Limit(limit).
			Select(event.FieldID, event.FieldAccountID, event.FieldMode, event.FieldType)
		if dbtx.Locking(s.dialect) {
			q.ForUpdate(sql.WithLockAction(sql.SkipLocked))
		}
		evs, err := q.All(ctx)
		if err != nil || len(evs) == 0 {
			return err
		}
		eps, err := tx.WebhookEndpoint.Query().Where(webhookendpoint.Disabled(false)).
			Select(webhookendpoint.FieldID, webhookendpoint.FieldAccountID, webhookendpoint.FieldMode, webhookendpoint.FieldEnabledEvents).
			All(ctx)
		if err != nil {
			return err
		}
		at := now(ctx)
		var creates []*ent.WebhookDeliveryCreate
		ids := make([]string, len(evs))
		for i, ev := range evs {
			ids[i] = ev.ID
			for _, ep := range eps {
				if ep.AccountID == ev.AccountID && ep.Mode == ev.Mode && subscribed(ep, ev.Type) {
					creates = append(creates, tx.WebhookDelivery.Create().SetAccountID(ev.AccountID).SetMode(ev.Mode).
						SetEndpointID(ep.ID).SetEventID(ev.ID).SetEventType(ev.Type).SetNextAttemptAt(at))
				}
			}
		}
		for chunk := range slices.Chunk(creates, 200) {
			if err := tx.WebhookDelivery.CreateBulk(chunk...).Exec(ctx); err != nil {
				return fmt.Errorf("queue deliveries: %w", err)
			}
		}
		n, err = tx.Event.Update().Where(event.IDIn(ids...), event.DispatchedAtIsNil()).SetDispatchedAt(at).Save(ctx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("webhooks: dispatch: %w", err)
	}
	return n, nil
}

func subscribed(ep *ent.WebhookEndpoint, typ string) bool {
	return slices.Contains(ep.EnabledEvents, AllEvents) || slices.Contains(ep.EnabledEvents, typ)
}

// MaxInFlight bounds the deliveries one process has under way.
const MaxInFlight = 64

// Deliver starts up to limit due deliveries, claimed for owner, each in
// its own goroutine, and returns how many it started without waiting for
// them: a receiver that takes its 10 seconds holds up no other delivery
// and no other job. At most MaxInFlight are under way at once; Wait waits
// for them.
func (s *Service) Deliver(ctx context.Context, owner string, limit int) (int, error) {
	free := MaxInFlight - int(s.inFlight.Load())
	if free <= 0 {
		return 0, nil
	}
	sys := system(ctx)
	claimed, err := s.claim(sys, owner, min(limit, free))
	if err != nil || len(claimed) == 0 {
		return 0, err
	}
	// The batch's endpoints and events in one query each, not two per
	// delivery.
	eps, evs, err := s.load(sys, claimed)
	if err != nil {
		return 0, err
	}
	for _, d := range claimed {
		s.inFlight.Add(1)
		s.running.Add(1)
		go func() {
			defer s.running.Done()
			defer s.inFlight.Add(-1)
			if err := s.attempt(ctx, d, eps[d.EndpointID], evs[d.EventID]); err != nil && s.log != nil {
				s.log.ErrorContext(ctx, "webhook delivery", "delivery", d.ID, "err", err)
			}
		}()
	}
	return len(claimed), nil
}

// load reads the endpoints and events of ds, by id.
func (s *Service) load(ctx context.Context, ds []*ent.WebhookDelivery) (map[string]*ent.WebhookEndpoint, map[string]*ent.Event, error) {
	var epIDs, evIDs []string
	for _, d := range ds {
		epIDs = append(epIDs, d.EndpointID)
		if d.EventID != "" {
			evIDs = append(evIDs, d.EventID)
		}
	}
	eps, err := s.db.WebhookEndpoint.Query().Where(webhookendpoint.IDIn(slices.Compact(slices.Sorted(slices.Values(epIDs)))...)).All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load endpoints: %w", err)
	}
	epBy := make(map[string]*ent.WebhookEndpoint, len(eps))
	for _, ep := range eps {
		epBy[ep.ID] = ep
	}
	evBy := map[string]*ent.Event{}
	if len(evIDs) > 0 {
		evs, err := s.db.Event.Query().Where(event.IDIn(slices.Compact(slices.Sorted(slices.Values(evIDs)))...)).All(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("load events: %w", err)
		}
		for _, ev := range evs {
			evBy[ev.ID] = ev
		}
	}
	return epBy, evBy, nil
}

// Wait waits for the deliveries under way.
func (s *Service) Wait() { s.running.Wait() }

// claim leases due deliveries: PENDING with next_attempt_at passed (an
// expired lease included, so a worker that died leaves nothing stuck).
func (s *Service) claim(ctx context.Context, owner string, limit int) ([]*ent.WebhookDelivery, error) {
	at := now(ctx)
	var out []*ent.WebhookDelivery
	err := dbtx.Run(ctx, s.db, func(tx *ent.Tx) error {
		q := tx.WebhookDelivery.Query().
			Where(webhookdelivery.StatusEQ(webhookdelivery.StatusPending), webhookdelivery.NextAttemptAtLTE(at)).
			Order(webhookdelivery.ByNextAttemptAt()).Limit(limit)
		if dbtx.Locking(s.dialect) {
			q.ForUpdate(sql.WithLockAction(sql.SkipLocked))
		}
		rows, err := q.All(ctx)
		if err != nil || len(rows) == 0 {
			return err
		}
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		until := at.Add(lease)
		if _, err := tx.WebhookDelivery.Update().
			Where(webhookdelivery.IDIn(ids...), webhookdelivery.StatusEQ(webhookdelivery.StatusPending), webhookdelivery.NextAttemptAtLTE(at)).
			SetNextAttemptAt(until).SetLeaseOwner(owner).AddAttemptCount(1).Save(ctx); err != nil {
			return err
		}
		for _, r := range rows {
			r.NextAttemptAt, r.LeaseOwner, r.AttemptCount = until, owner, r.AttemptCount+1
		}
		out = rows
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("webhooks: claim: %w", err)
	}
	return out, nil
}

// Payload is a delivered event, as receivers read it.
type Payload struct {
	ID         string          `json:"id"`
	Object     string          `json:"object"`
	Type       string          `json:"type"`
	Created    int64           `json:"created"`
	APIVersion string          `json:"apiVersion"`
	Livemode   bool            `json:"livemode"`
	Data       PayloadData     `json:"data"`
	Request    *PayloadRequest `json:"request,omitempty"`
}

// PayloadData holds the object as the change left it.
type PayloadData struct {
	Object json.RawMessage `json:"object"`
}

// PayloadRequest names the API request that caused the event.
type PayloadRequest struct {
	ID string `json:"id"`
}

// body is the JSON d delivers: its event ev, or a ping.
func body(d *ent.WebhookDelivery, ev *ent.Event) ([]byte, error) {
	p := Payload{Object: "event", Type: d.EventType, APIVersion: APIVersion, Livemode: d.Mode == viewer.Live}
	if d.EventID == "" {
		p.ID, p.Created = d.ID, d.CreatedAt.Unix()
		p.Data.Object = json.RawMessage(`{"object":"ping","endpoint":` + strconv.Quote(d.EndpointID) + `}`)
		return json.Marshal(p)
	}
	if ev == nil {
		return nil, fmt.Errorf("event %s of delivery %s is gone", d.EventID, d.ID)
	}
	p.ID, p.Created, p.Data.Object = ev.ID, ev.CreatedAt.Unix(), ev.Data
	if ev.RequestID != "" {
		p.Request = &PayloadRequest{ID: ev.RequestID}
	}
	return json.Marshal(p)
}

// attempt makes one attempt of the claimed delivery d and records it.
func (s *Service) attempt(ctx context.Context, d *ent.WebhookDelivery, ep *ent.WebhookEndpoint, ev *ent.Event) error {
	if ep == nil {
		return fmt.Errorf("endpoint %s of delivery %s is gone", d.EndpointID, d.ID)
	}
	if ep.Disabled {
		return s.record(ctx, d, ep, values.WebhookAttempt{At: now(ctx), Error: "endpoint disabled"}, true)
	}
	payload, err := body(d, ev)
	if err != nil {
		return err
	}
	client := s.test
	if d.Mode == viewer.Live {
		client = s.live
	}
	start := now(ctx)
	var secrets []string
	for _, sec := range ep.Secrets {
		if sec.ExpiresAt == nil || sec.ExpiresAt.After(start) {
			secrets = append(secrets, sec.Secret)
		}
	}
	rctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, ep.URL, bytes.NewReader(payload))
	if err != nil {
		return s.record(ctx, d, ep, values.WebhookAttempt{At: start, Error: err.Error()}, false)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Remit-Webhooks/1 (+"+APIVersion+")")
	req.Header.Set(SignatureHeader, Sign(start, payload, secrets...))
	eventID := d.EventID
	if eventID == "" {
		eventID = d.ID
	}
	req.Header.Set(EventIDHeader, eventID)
	res, err := client.Do(req)
	a := values.WebhookAttempt{At: start}
	if err != nil {
		a.Error = err.Error()
	} else {
		b, _ := io.ReadAll(io.LimitReader(res.Body, maxBody))
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
		res.Body.Close()
		a.StatusCode, a.Body = res.StatusCode, validUTF8(b)
	}
	a.LatencyMS = time.Since(start).Milliseconds()
	return s.record(ctx, d, ep, a, false)
}

func validUTF8(b []byte) string {
	for !utf8.Valid(b) && len(b) > 0 {
		b = b[:len(b)-1]
	}
	return string(b)
}

// record writes attempt a of d: delivered on a 2xx; else due again after
// a backoff, or failed for good once GiveUpAfter has passed (or at once
// when final). The endpoint's run of failures is tracked; three days of
// it (three hours in test mode) disable it and tell the account.
func (s *Service) record(ctx context.Context, d *ent.WebhookDelivery, ep *ent.WebhookEndpoint, a values.WebhookAttempt, final bool) error {
	at := now(ctx)
	ok := a.Error == "" && a.StatusCode >= 200 && a.StatusCode < 300
	attempts := append(slices.Clone(d.Attempts), a)
	if len(attempts) > maxAttemptsKept {
		attempts = attempts[len(attempts)-maxAttemptsKept:]
	}
	sys := system(ctx)
	update := func(c *ent.WebhookDeliveryClient) *ent.WebhookDeliveryUpdate {
		u := c.Update().
			Where(webhookdelivery.ID(d.ID), webhookdelivery.LeaseOwner(d.LeaseOwner), webhookdelivery.AttemptCount(d.AttemptCount)).
			SetAttempts(attempts).SetLastStatusCode(a.StatusCode).SetLastError(a.Error).SetLeaseOwner("")
		switch {
		case ok:
			u.SetStatus(webhookdelivery.StatusSucceeded).SetDeliveredAt(at)
		case final || at.Sub(d.CreatedAt) >= GiveUpAfter(d.Mode):
			u.SetStatus(webhookdelivery.StatusFailed)
		default:
			u.SetNextAttemptAt(at.Add(backoff(d.AttemptCount)))
		}
		return u
	}
	// Most attempts change the delivery alone: one statement, no
	// transaction.
	stillFailing := !ok && ep.FailingSince != nil && at.Sub(*ep.FailingSince) < GiveUpAfter(d.Mode)
	if final || (ok && ep.FailingSince == nil) || stillFailing {
		_, err := update(s.db.WebhookDelivery).Save(sys)
		return err
	}
	return dbtx.Run(sys, s.db, func(tx *ent.Tx) error {
		u := update(tx.WebhookDelivery)
		n, err := u.Save(sys)
		if err != nil || n == 0 || final {
			return err // n == 0: the lease ended and another worker took it
		}
		if ok {
			if ep.FailingSince != nil {
				return tx.WebhookEndpoint.UpdateOneID(ep.ID).ClearFailingSince().Exec(sys)
			}
			return nil
		}
		since := at
		if ep.FailingSince != nil {
			since = *ep.FailingSince
		}
		if at.Sub(since) < GiveUpAfter(d.Mode) {
			if ep.FailingSince == nil {
				return tx.WebhookEndpoint.UpdateOneID(ep.ID).SetFailingSince(at).Exec(sys)
			}
			return nil
		}
		won, err := tx.WebhookEndpoint.Update().Where(webhookendpoint.ID(ep.ID), webhookendpoint.Disabled(false)).
			SetDisabled(true).SetDisabledReason("every delivery failed for " + GiveUpAfter(d.Mode).String()).Save(sys)
		if err != nil || won == 0 {
			return err
		}
		return s.tellDisabled(ctx, tx, ep)
	})
}

// backoff is the wait after the nth failed attempt: doubling from
// firstRetry, at most maxRetry, ±20 %.
func backoff(n int) time.Duration {
	d := firstRetry
	for i := 1; i < n && d < maxRetry; i++ {
		d *= 2
	}
	d = min(d, maxRetry)
	return d + time.Duration((rand.Float64()*0.4-0.2)*float64(d))
}

// tellDisabled emails the account that ep was disabled. ctx is not past
// the privacy rules: the email is stamped with the endpoint's account.
func (s *Service) tellDisabled(ctx context.Context, tx *ent.Tx, ep *ent.WebhookEndpoint) error {
	acct, err := tx.Account.Query().Where(account.ID(ep.AccountID)).Only(system(ctx))
	if err != nil || acct.Email == "" {
		return err
	}
	vctx := viewer.NewContext(ctx, viewer.System(ep.AccountID, ep.Mode, "webhooks"))
	_, err = s.outbox.Enqueue(vctx, tx, outbox.Message{
		Kind:    "webhook_endpoint_disabled",
		From:    mail.Address{Name: "Remit", Email: s.from},
		To:      []string{acct.Email},
		Subject: "Webhook endpoint disabled: " + ep.URL,
		Text: fmt.Sprintf("Hello,\n\nEvery delivery to your %s webhook endpoint\n%s\nhas failed for %s, so Remit disabled it. Events are no longer sent to it.\n\nFix the receiver, then enable the endpoint again (webhookEndpointUpdate with disabled: false) and resend what it missed (eventResend).\n",
			ep.Mode, ep.URL, GiveUpAfter(ep.Mode)),
	})
	return err
}
