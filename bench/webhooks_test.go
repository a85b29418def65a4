package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/app"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/webhooks"
)

// webhookEvents is how many events one run fans out, at webhookRate per
// second, to three endpoints.
const (
	webhookEvents = 10_000
	webhookRate   = 500
)

// BenchmarkWebhookFanOut commits events at a steady rate while the
// server's worker runs as in production (its own ticker, every job), and
// measures, at two local receivers, the delay from each event's commit to
// its receipt: with the third endpoint up (all_up) and refusing
// connections (one_down), whose p99 must stay within 10 % of all_up's.
// Metrics: deliveries/s received by the healthy endpoints, p50 and p99
// delay in ms.
func BenchmarkWebhookFanOut(b *testing.B) {
	for _, d := range []string{"sqlite", "postgres"} {
		for _, down := range []bool{false, true} {
			name := d + "_all_up"
			if down {
				name = d + "_one_down"
			}
			b.Run(name, func(b *testing.B) {
				var st *store.Store
				if d == "sqlite" {
					st = openStore(b)
				} else {
					if err := pingPostgres(); err != nil {
						b.Fatal(err)
					}
					st, _ = openPostgres(b)
				}
				for range b.N {
					fanOut(b, st, down)
				}
			})
		}
	}
}

// arrivals records when each event reached a receiver.
type arrivals struct {
	mu sync.Mutex
	at map[string][]time.Time
}

func (a *arrivals) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		body, _ := io.ReadAll(r.Body)
		var p struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(body, &p)
		a.mu.Lock()
		a.at[p.ID] = append(a.at[p.ID], now)
		a.mu.Unlock()
	})
}

func fanOut(b *testing.B, st *store.Store, down bool) {
	b.Helper()
	ctx, meta := seedAccount(b, st)
	_ = meta
	rec := &arrivals{at: map[string][]time.Time{}}
	healthy := []*httptest.Server{httptest.NewServer(rec.handler()), httptest.NewServer(rec.handler())}
	third := httptest.NewServer(http.NotFoundHandler())
	thirdURL := third.URL
	if down {
		third.Close() // refuses connections
	} else {
		defer third.Close()
	}
	for _, s := range healthy {
		defer s.Close()
	}
	a, err := app.New(context.Background(), app.Config{
		DB: st.Client, Dialect: st.Dialect, Changes: st.Changes, Clock: clock.Real{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Mailing: app.DefaultMailing, WorkerInterval: 20 * time.Millisecond,
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, u := range []string{healthy[0].URL, healthy[1].URL, thirdURL} {
		url := u
		if _, _, err := a.Webhooks.Create(ctx, webhooks.EndpointInput{URL: &url, EnabledEvents: []string{"*"}}); err != nil {
			b.Fatal(err)
		}
	}
	wctx, stop := context.WithCancel(clock.WithContext(context.Background(), clock.Real{}))
	done := make(chan error, 1)
	go func() { done <- a.Worker.Run(wctx) }()

	committed := make(map[string]time.Time, webhookEvents)
	b.ResetTimer()
	start := time.Now()
	const batch = 10
	tick := time.NewTicker(time.Second * batch / webhookRate)
	for i := 0; i < webhookEvents; i += batch {
		<-tick.C
		var ids []string
		err := dbtx.Run(ctx, st.Client, func(tx *ent.Tx) error {
			var cs []*ent.EventCreate
			for j := range batch {
				id := fmt.Sprintf("evt_bench%08d", i+j)
				ids = append(ids, id)
				cs = append(cs, tx.Event.Create().SetID(id).SetType("customer.updated").SetObjectType("customer").
					SetObjectID("cus_bench").SetData(json.RawMessage(`{"id":"cus_bench","name":"Bench"}`)).
					SetDataVersion(1).SetActorType("API_KEY"))
			}
			return tx.Event.CreateBulk(cs...).Exec(ctx)
		})
		if err != nil {
			b.Fatal(err)
		}
		at := time.Now()
		for _, id := range ids {
			committed[id] = at
		}
	}
	tick.Stop()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		rec.mu.Lock()
		n := 0
		for _, ts := range rec.at {
			n += len(ts)
		}
		rec.mu.Unlock()
		if n >= 2*webhookEvents || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	stop()
	<-done
	a.Webhooks.Wait()
	var delays []float64
	rec.mu.Lock()
	for id, ts := range rec.at {
		for _, t := range ts {
			delays = append(delays, float64(t.Sub(committed[id]).Microseconds())/1000)
		}
	}
	rec.mu.Unlock()
	if len(delays) < 2*webhookEvents {
		b.Fatalf("%d of %d deliveries arrived", len(delays), 2*webhookEvents)
	}
	slices.Sort(delays)
	b.ReportMetric(float64(len(delays))/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(delays[len(delays)/2], "p50_ms")
	b.ReportMetric(delays[len(delays)*99/100], "p99_ms")
}
