package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/remitbilling/remit/internal/clock"
)

// Listener is `remit webhook listen`: for local development, it follows
// an account's events through the API (as `stripe listen` does), prints
// each as it happens and forwards it to a local URL, signed with a
// secret of its own, exactly as an endpoint would receive it, so a
// receiver under development needs no public URL.
type Listener struct {
	// API is the server's base URL, Key a secret API key of the account
	// and mode to follow.
	API, Key string
	// ForwardTo receives the events; empty only prints them.
	ForwardTo string
	// Types keeps these event types; empty keeps all.
	Types []string
	// Secret signs the forwarded requests; empty makes one.
	Secret string
	// Out receives one line per event.
	Out io.Writer
	// Interval between polls; default one second.
	Interval time.Duration
	// Client talks to the API and the receiver; default a 10-second one.
	Client *http.Client
}

const listenQuery = `query($f: EventFilter) { events(first: 100, filter: $f) { edges { node { id type createdAt data requestId } } } }`

type listenedEvent struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"createdAt"`
	Data      json.RawMessage `json:"data"`
	RequestID string          `json:"requestId"`
}

// Run follows events created from now until ctx ends. It prints the
// signing secret first.
func (l *Listener) Run(ctx context.Context) error {
	if l.API == "" || l.Key == "" {
		return errors.New("webhook listen needs the server's URL and an API key")
	}
	if l.Secret == "" {
		l.Secret = newSecret()
	}
	if l.Interval <= 0 {
		l.Interval = time.Second
	}
	if l.Client == nil {
		l.Client = &http.Client{Timeout: Timeout}
	}
	if l.Out == nil {
		l.Out = io.Discard
	}
	fmt.Fprintf(l.Out, "Ready. Your webhook signing secret is %s\n", l.Secret)
	since := clock.Now(ctx).Add(-time.Second)
	seen := map[string]bool{}
	tick := time.NewTicker(l.Interval)
	defer tick.Stop()
	for {
		evs, err := l.poll(ctx, since)
		if err != nil && ctx.Err() == nil {
			fmt.Fprintf(l.Out, "poll: %v\n", err)
		}
		for _, ev := range evs {
			if seen[ev.ID] {
				continue
			}
			seen[ev.ID] = true
			l.forward(ctx, ev)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// poll reads the events created since since, oldest first.
func (l *Listener) poll(ctx context.Context, since time.Time) ([]listenedEvent, error) {
	filter := map[string]any{"createdAfter": since.Format(time.RFC3339Nano)}
	if len(l.Types) > 0 {
		filter["types"] = l.Types
	}
	body, _ := json.Marshal(map[string]any{"query": listenQuery, "variables": map[string]any{"f": filter}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(l.API, "/")+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+l.Key)
	req.Header.Set("Content-Type", "application/json")
	res, err := l.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var out struct {
		Data struct {
			Events struct {
				Edges []struct {
					Node listenedEvent `json:"node"`
				} `json:"edges"`
			} `json:"events"`
		} `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	if len(out.Errors) > 0 {
		return nil, errors.New(out.Errors[0].Message)
	}
	evs := make([]listenedEvent, 0, len(out.Data.Events.Edges))
	for _, e := range out.Data.Events.Edges {
		evs = append(evs, e.Node)
	}
	slices.Reverse(evs) // newest first → oldest first
	return evs, nil
}

// forward prints ev and POSTs it, signed, to ForwardTo.
func (l *Listener) forward(ctx context.Context, ev listenedEvent) {
	line := fmt.Sprintf("%s  %-32s %s", ev.CreatedAt.Format(time.RFC3339), ev.Type, ev.ID)
	if l.ForwardTo == "" {
		fmt.Fprintln(l.Out, line)
		return
	}
	p := Payload{ID: ev.ID, Object: "event", Type: ev.Type, Created: ev.CreatedAt.Unix(), APIVersion: APIVersion,
		Livemode: strings.HasPrefix(l.Key, "sk_live_"), Data: PayloadData{Object: ev.Data}}
	if ev.RequestID != "" {
		p.Request = &PayloadRequest{ID: ev.RequestID}
	}
	body, _ := json.Marshal(p)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.ForwardTo, bytes.NewReader(body))
	if err != nil {
		fmt.Fprintf(l.Out, "%s → %v\n", line, err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(clock.Now(ctx), body, l.Secret))
	req.Header.Set(EventIDHeader, ev.ID)
	res, err := l.Client.Do(req)
	if err != nil {
		fmt.Fprintf(l.Out, "%s → %v\n", line, err)
		return
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	fmt.Fprintf(l.Out, "%s → %d\n", line, res.StatusCode)
}
