package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/accounts"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/ids"
	"github.com/remitbilling/remit/internal/server"
	"github.com/remitbilling/remit/internal/viewer"
)

// Subscription load: subscribers listening over Server-Sent Events while
// events commit at subRate per second for subSeconds.
const (
	subscribers = 1000
	subRate     = 100
	subSeconds  = 10
)

// BenchmarkSubscriptions holds 1,000 subscribers of `events` over SSE on
// the real server (SQLite) while 100 events a second commit for 10 s, and
// reports the delay from each event's commit to each subscriber's receipt
// (p50, p99, in ms), the deliveries per second, and the process's resident
// memory at the end (server and subscribers share the process: an upper
// bound of the server's).
func BenchmarkSubscriptions(b *testing.B) {
	for range b.N {
		subscriptionLoad(b)
	}
}

func subscriptionLoad(b *testing.B) {
	st := openStore(b)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	hs := httptest.NewServer(server.New(st, clock.Real{}, logger))
	defer hs.Close()
	ctx := clock.WithContext(context.Background(), clock.Real{})
	accts := accounts.New(st.Client)
	acct, err := accts.Create(ctx, "Acme SAS")
	if err != nil {
		b.Fatal(err)
	}
	key, err := accts.CreateKey(ctx, acct.ID, viewer.Test, "bench")
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: subscribers}}

	var mu sync.Mutex
	received := map[string][]time.Time{}
	sctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ready, done sync.WaitGroup
	body, _ := json.Marshal(map[string]any{"query": `subscription { events { id } }`})
	for range subscribers {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			req, _ := http.NewRequestWithContext(sctx, http.MethodPost, hs.URL+"/graphql", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+key.Secret)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "text/event-stream")
			res, err := client.Do(req)
			ready.Done()
			if err != nil {
				return
			}
			defer res.Body.Close()
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() {
				line := sc.Text()
				i := strings.Index(line, `"id":"`)
				if !strings.HasPrefix(line, "data:") || i < 0 {
					continue
				}
				id := line[i+6:]
				id = id[:strings.IndexByte(id, '"')]
				now := time.Now()
				mu.Lock()
				received[id] = append(received[id], now)
				mu.Unlock()
			}
		}()
	}
	ready.Wait()
	time.Sleep(500 * time.Millisecond) // every subscription in place

	b.ResetTimer()
	committed := map[string]time.Time{}
	tick := time.NewTicker(time.Second / subRate)
	start := time.Now()
	vctx := viewer.NewContext(ctx, viewer.System(acct.ID, viewer.Test, "bench"))
	for i := range subRate * subSeconds {
		<-tick.C
		id := fmt.Sprintf("evt_%s", strings.TrimPrefix(newEventID(), "evt_"))
		err := dbtx.Run(vctx, st.Client, func(tx *ent.Tx) error {
			return tx.Event.Create().SetID(id).SetType("customer.updated").SetObjectType("customer").
				SetObjectID("cus_bench" + strconv.Itoa(i)).SetData(json.RawMessage(`{"id":"cus_bench"}`)).
				SetDataVersion(1).SetActorType("API_KEY").Exec(vctx)
		})
		if err != nil {
			b.Fatal(err)
		}
		committed[id] = time.Now()
	}
	tick.Stop()
	time.Sleep(2 * time.Second) // the last events reach everyone
	elapsed := time.Since(start)
	b.StopTimer()
	rss := residentMB()
	cancel()
	done.Wait()

	var delays []float64
	n := 0
	for id, at := range committed {
		for _, t := range received[id] {
			delays = append(delays, float64(t.Sub(at).Microseconds())/1000)
			n++
		}
	}
	want := subscribers * len(committed)
	if n < want*99/100 {
		b.Fatalf("%d of %d deliveries", n, want)
	}
	slices.Sort(delays)
	b.ReportMetric(float64(n)/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(delays[len(delays)/2], "p50_ms")
	b.ReportMetric(delays[len(delays)*99/100], "p99_ms")
	b.ReportMetric(rss, "rss_MB")
}

// eventIDs mints event ids in order, as the server does.
var eventIDs ids.Monotonic

// newEventID is an event id of now.
func newEventID() string { return eventIDs.New("evt", time.Now()) }

// residentMB is the process's resident set size.
func residentMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
