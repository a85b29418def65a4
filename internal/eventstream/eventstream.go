// Package eventstream follows the event log for live subscribers (the
// GraphQL subscriptions): one poller per process reads the events
// committed since its last look, by any process on the database, and
// hands each to the subscribers whose filter takes it. It is a live
// view, best effort: a subscriber that falls behind loses events rather
// than slow the others, and webhooks are the channel that never loses one.
package eventstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/event"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/ids"
	"github.com/remitbilling/remit/internal/viewer"
)

// Config is what a Hub is built from.
type Config struct {
	DB *ent.Client
	// Interval between looks at the log; default 200 ms.
	Interval time.Duration
	// Lookback is how far back each look reads, so that an event whose
	// transaction committed after a later one's is still seen; default 3 s.
	Lookback time.Duration
	Logger   *slog.Logger
}

// pageSize is how many events one read of the log brings.
const pageSize = 500

// Hub follows the log while it has subscribers.
type Hub struct {
	db       *ent.Client
	interval time.Duration
	lookback time.Duration
	log      *slog.Logger

	mu   sync.Mutex
	subs map[*sub]struct{}
	stop context.CancelFunc
}

type sub struct {
	keep func(*ent.Event) bool
	ch   chan *ent.Event
}

// New returns a Hub built from cfg.
func New(cfg Config) (*Hub, error) {
	if cfg.DB == nil {
		return nil, errors.New("eventstream: DB is required")
	}
	h := &Hub{db: cfg.DB, interval: cfg.Interval, lookback: cfg.Lookback, log: cfg.Logger, subs: map[*sub]struct{}{}}
	if h.interval <= 0 {
		h.interval = 200 * time.Millisecond
	}
	if h.lookback <= 0 {
		h.lookback = 3 * time.Second
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	return h, nil
}

// Subscribe returns the events committed from now on that keep takes,
// until ctx ends (the channel is then closed). The poller starts with the
// first subscriber and stops with the last.
func (h *Hub) Subscribe(ctx context.Context, keep func(*ent.Event) bool) <-chan *ent.Event {
	s := &sub{keep: keep, ch: make(chan *ent.Event, 64)}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	if h.stop == nil {
		pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		h.stop = cancel
		go h.poll(pctx, clock.Now(ctx))
	}
	h.mu.Unlock()
	go func() {
		<-ctx.Done()
		h.mu.Lock()
		delete(h.subs, s)
		if len(h.subs) == 0 && h.stop != nil {
			h.stop()
			h.stop = nil
		}
		h.mu.Unlock()
		close(s.ch)
	}()
	return s.ch
}

// ForViewer keeps the events of v's account and mode, of types (all when
// empty), and, for a portal customer, about their own invoices only.
func ForViewer(v viewer.Viewer, types []string) func(*ent.Event) bool {
	return func(ev *ent.Event) bool {
		if !v.Sees(ev.AccountID, ev.Mode) {
			return false
		}
		if len(types) > 0 && !contains(types, ev.Type) {
			return false
		}
		if v.CustomerID != "" {
			var about struct {
				Customer string `json:"customer"`
			}
			if ev.ObjectType != "invoice" || json.Unmarshal(ev.Data, &about) != nil || about.Customer != v.CustomerID {
				return false
			}
		}
		return true
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// poll reads the log from since on, until ctx ends.
func (h *Hub) poll(ctx context.Context, since time.Time) {
	sys := viewer.Bypass(ctx, "the event stream reads every account's log and filters per subscriber")
	seen := map[string]time.Time{}
	t := time.NewTicker(h.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := clock.Now(ctx)
		from := now.Add(-h.lookback)
		if from.Before(since) {
			from = since
		}
		// Page by id through the window, however many events it holds.
		page := event.IDGTE(ids.Floor("evt", from))
		for {
			evs, err := h.db.Event.Query().Where(page).Order(event.ByID()).Limit(pageSize).All(sys)
			if err != nil {
				if ctx.Err() == nil {
					h.log.Error("event stream", "err", fmt.Errorf("read the log: %w", err))
				}
				break
			}
			for _, ev := range evs {
				if _, ok := seen[ev.ID]; !ok {
					seen[ev.ID] = now
					h.publish(ev)
				}
			}
			if len(evs) < pageSize {
				break
			}
			page = event.IDGT(evs[len(evs)-1].ID)
		}
		for id, at := range seen {
			if now.Sub(at) > 2*h.lookback {
				delete(seen, id)
			}
		}
	}
}

// publish hands ev to every subscriber that takes it, dropping it for one
// whose buffer is full.
func (h *Hub) publish(ev *ent.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if !s.keep(ev) {
			continue
		}
		select {
		case s.ch <- ev:
		default:
		}
	}
}
