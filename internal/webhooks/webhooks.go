// Package webhooks tells the merchant's systems what happened: each event
// of the log (internal/events) is handed, by the worker, to the webhook
// endpoints that subscribed to its type, as a signed POST, at least once,
// with every attempt recorded. The request that caused the event never
// waits for it: the dispatcher reads the events not yet dispatched from
// their own index, after they committed.
package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/webhookdelivery"
	"github.com/remitbilling/remit/ent/webhookendpoint"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/events"
	"github.com/remitbilling/remit/internal/outbox"
	"github.com/remitbilling/remit/internal/rowcache"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/values"
	"github.com/remitbilling/remit/internal/viewer"
)

// APIVersion names the shape of delivered events.
const APIVersion = "2026-12-01"

// RotationOverlap is how long a rotated secret keeps signing beside the
// new one.
const RotationOverlap = 24 * time.Hour

// MaxEndpoints bounds an account's endpoints per mode.
const MaxEndpoints = 16

// AllEvents subscribes an endpoint to every type.
const AllEvents = "*"

// PingEvent is the type of webhookEndpointTest's delivery.
const PingEvent = "ping"

// Config is what a Service is built from.
type Config struct {
	DB      *ent.Client
	Dialect string
	// Outbox tells the account's email of an endpoint disabled for
	// failing; From is that email's sender.
	Outbox *outbox.Queue
	From   string
	// Live and Test deliver each mode's webhooks; nil builds Client(true)
	// for live (public addresses only) and Client(false) for test.
	Live, Test *http.Client
	// Resolver checks live URLs at creation; nil is net.DefaultResolver.
	Resolver *net.Resolver
	// Logger reports deliveries that could not be recorded.
	Logger *slog.Logger
	// Changes is the store's signal that endpoints changed: whether an
	// account has any is kept in memory until then (Subscribed).
	Changes rowcache.Versioner
}

// Service manages endpoints and delivers events to them.
type Service struct {
	db         *ent.Client
	dialect    string
	outbox     *outbox.Queue
	from       string
	live, test *http.Client
	resolver   *net.Resolver
	log        *slog.Logger
	// subscribed keeps, by account and mode, whether any endpoint is on.
	subscribed *rowcache.Cache[string, bool]
	// inFlight counts deliveries under way; running waits for them.
	inFlight atomic.Int64
	running  sync.WaitGroup
}

// New returns a Service built from cfg.
func New(cfg Config) (*Service, error) {
	var errs []error
	if cfg.DB == nil {
		errs = append(errs, errors.New("DB is required"))
	}
	if cfg.Changes == nil {
		errs = append(errs, errors.New("Changes is required"))
	}
	if cfg.Outbox == nil || cfg.From == "" {
		errs = append(errs, errors.New("Outbox and From are required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	s := &Service{db: cfg.DB, dialect: cfg.Dialect, outbox: cfg.Outbox, from: cfg.From, live: cfg.Live, test: cfg.Test, resolver: cfg.Resolver, log: cfg.Logger,
		subscribed: rowcache.New[string, bool](cfg.Changes)}
	if s.live == nil {
		s.live = Client(true)
	}
	if s.test == nil {
		s.test = Client(false)
	}
	if s.resolver == nil {
		s.resolver = net.DefaultResolver
	}
	return s, nil
}

// Subscribed reports whether an account has an enabled endpoint in mode:
// its events are queued for dispatch only then (events.Subscribers). It
// is read for every event a request records, from memory while no
// endpoint changed. On PostgreSQL the change reaches other processes some
// milliseconds after it commits: an endpoint receives the events recorded
// from about its creation on.
func (s *Service) Subscribed(ctx context.Context, accountID string, mode viewer.Mode) bool {
	on, err := s.subscribed.Get(accountID+"|"+string(mode), func() (bool, error) {
		return s.db.WebhookEndpoint.Query().
			Where(webhookendpoint.AccountID(accountID), webhookendpoint.ModeEQ(mode), webhookendpoint.Disabled(false)).
			Exist(system(ctx))
	})
	return err != nil || on // in doubt, queue it
}

// EndpointInput is what webhookEndpointCreate and Update set; nil leaves
// a field as it is.
type EndpointInput struct {
	URL           *string
	Description   *string
	EnabledEvents []string
	Disabled      *bool
}

// newSecret is a signing secret: whsec_ and 160 random bits.
func newSecret() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return "whsec_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

func (s *Service) check(ctx context.Context, in EndpointInput, create bool) error {
	var errs usererr.List
	v, _ := viewer.FromContext(ctx)
	if in.URL != nil {
		*in.URL = strings.TrimSpace(*in.URL)
		if err := checkURL(ctx, *in.URL, v.Mode == viewer.Live, s.resolver); err != nil {
			errs = append(errs, usererr.New(usererr.Invalid, err.Error(), "url"))
		}
	} else if create {
		errs = append(errs, usererr.New(usererr.Required, "give the endpoint's URL", "url"))
	}
	if in.Description != nil && len([]rune(*in.Description)) > 500 {
		errs = append(errs, usererr.New(usererr.LimitExceeded, "the description is at most 500 characters", "description"))
	}
	if in.EnabledEvents != nil || create {
		if len(in.EnabledEvents) == 0 {
			errs = append(errs, usererr.New(usererr.Required, `give the event types to deliver, or "*" for all`, "enabledEvents"))
		}
		for i, t := range in.EnabledEvents {
			if t != AllEvents && !events.Known(t) {
				errs = append(errs, usererr.Newf(usererr.Invalid, []string{"enabledEvents", fmt.Sprint(i)}, "%q is not an event type", t))
			}
		}
	}
	return errs.Err()
}

// Create makes an endpoint and returns it with its signing secret, which
// is shown this once.
func (s *Service) Create(ctx context.Context, in EndpointInput) (*ent.WebhookEndpoint, string, error) {
	if err := s.check(ctx, in, true); err != nil {
		return nil, "", err
	}
	n, err := s.db.WebhookEndpoint.Query().Count(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("count endpoints: %w", err)
	}
	if n >= MaxEndpoints {
		return nil, "", usererr.Newf(usererr.LimitExceeded, nil, "at most %d endpoints", MaxEndpoints)
	}
	secret := newSecret()
	c := s.db.WebhookEndpoint.Create().SetURL(*in.URL).SetEnabledEvents(dedupe(in.EnabledEvents)).
		SetSecrets([]values.WebhookSecret{{Secret: secret, CreatedAt: clock.Now(ctx)}})
	if in.Description != nil {
		c.SetDescription(*in.Description)
	}
	if in.Disabled != nil {
		c.SetDisabled(*in.Disabled)
	}
	ep, err := c.Save(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("create endpoint: %w", err)
	}
	return ep, secret, nil
}

func dedupe(ts []string) []string {
	if slices.Contains(ts, AllEvents) {
		return []string{AllEvents}
	}
	out := slices.Clone(ts)
	slices.Sort(out)
	return slices.Compact(out)
}

// Get returns one of the caller's endpoints.
func (s *Service) Get(ctx context.Context, id string) (*ent.WebhookEndpoint, error) {
	ep, err := s.db.WebhookEndpoint.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, usererr.New(usererr.NotFound, "no such webhook endpoint", "id")
	}
	if err != nil {
		return nil, fmt.Errorf("load endpoint: %w", err)
	}
	return ep, nil
}

// Update changes an endpoint; enabling it again clears why it was
// disabled.
func (s *Service) Update(ctx context.Context, id string, in EndpointInput) (*ent.WebhookEndpoint, error) {
	if err := s.check(ctx, in, false); err != nil {
		return nil, err
	}
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	u := s.db.WebhookEndpoint.UpdateOneID(id).SetNillableURL(in.URL).SetNillableDescription(in.Description)
	if in.EnabledEvents != nil {
		u.SetEnabledEvents(dedupe(in.EnabledEvents))
	}
	if in.Disabled != nil {
		u.SetDisabled(*in.Disabled)
		if !*in.Disabled {
			u.SetDisabledReason("").ClearFailingSince()
		}
	}
	return u.Save(ctx)
}

// Delete removes an endpoint and its deliveries.
func (s *Service) Delete(ctx context.Context, id string) error {
	if _, err := s.Get(ctx, id); err != nil {
		return err
	}
	return dbtx.Run(ctx, s.db, func(tx *ent.Tx) error {
		if _, err := tx.WebhookDelivery.Delete().Where(webhookdelivery.EndpointID(id)).Exec(ctx); err != nil {
			return fmt.Errorf("delete deliveries: %w", err)
		}
		return tx.WebhookEndpoint.DeleteOneID(id).Exec(ctx)
	})
}

// RotateSecret gives an endpoint a new signing secret, returned this
// once; the previous one keeps signing beside it for RotationOverlap.
func (s *Service) RotateSecret(ctx context.Context, id string) (*ent.WebhookEndpoint, string, error) {
	ep, err := s.Get(ctx, id)
	if err != nil {
		return nil, "", err
	}
	now := clock.Now(ctx)
	secret := newSecret()
	keep := []values.WebhookSecret{{Secret: secret, CreatedAt: now}}
	for _, old := range ep.Secrets {
		if old.ExpiresAt == nil {
			until := now.Add(RotationOverlap)
			old.ExpiresAt = &until
		}
		if old.ExpiresAt.After(now) {
			keep = append(keep, old)
		}
	}
	ep, err = s.db.WebhookEndpoint.UpdateOneID(id).SetSecrets(keep).Save(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("rotate secret: %w", err)
	}
	return ep, secret, nil
}

// List returns the caller's endpoints, newest first.
func (s *Service) List(ctx context.Context) ([]*ent.WebhookEndpoint, error) {
	return s.db.WebhookEndpoint.Query().Order(ent.Desc(webhookendpoint.FieldCreatedAt)).All(ctx)
}

// DeliveryFilter narrows Deliveries.
type DeliveryFilter struct {
	EndpointID, EventID string
	Status              *webhookdelivery.Status
}

// Deliveries returns up to 100 of the caller's deliveries, newest first.
func (s *Service) Deliveries(ctx context.Context, f DeliveryFilter) ([]*ent.WebhookDelivery, error) {
	q := s.db.WebhookDelivery.Query()
	if f.EndpointID != "" {
		q.Where(webhookdelivery.EndpointID(f.EndpointID))
	}
	if f.EventID != "" {
		q.Where(webhookdelivery.EventID(f.EventID))
	}
	if f.Status != nil {
		q.Where(webhookdelivery.StatusEQ(*f.Status))
	}
	return q.Order(ent.Desc(webhookdelivery.FieldCreatedAt), ent.Desc(webhookdelivery.FieldID)).Limit(100).All(ctx)
}

// Test queues a ping to an endpoint, delivered like any event.
func (s *Service) Test(ctx context.Context, id string) (*ent.WebhookDelivery, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	return s.queue(ctx, id, "", PingEvent)
}

// Resend queues event again to an endpoint, whether or not it subscribes
// to its type (a merchant replaying what their receiver missed).
func (s *Service) Resend(ctx context.Context, eventID, endpointID string) (*ent.WebhookDelivery, error) {
	if _, err := s.Get(ctx, endpointID); err != nil {
		if ue := usererr.From(err); len(ue) == 1 {
			return nil, usererr.New(ue[0].Code, ue[0].Message, "endpoint")
		}
		return nil, err
	}
	ev, err := s.db.Event.Get(ctx, eventID)
	if ent.IsNotFound(err) {
		return nil, usererr.New(usererr.NotFound, "no such event", "event")
	}
	if err != nil {
		return nil, fmt.Errorf("load event: %w", err)
	}
	return s.queue(ctx, endpointID, ev.ID, ev.Type)
}

// queue writes a delivery due now.
func (s *Service) queue(ctx context.Context, endpointID, eventID, eventType string) (*ent.WebhookDelivery, error) {
	d, err := s.db.WebhookDelivery.Create().SetEndpointID(endpointID).SetEventID(eventID).SetEventType(eventType).
		SetNextAttemptAt(clock.Base(ctx).Now().UTC()).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("queue delivery: %w", err)
	}
	return d, nil
}
