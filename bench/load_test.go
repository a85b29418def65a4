package bench

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// opFunc performs operation i; steps receives the latency of its parts
// (for an invoice: create and finalize), if it has any.
type opFunc func(ctx context.Context, i int, steps *[2]time.Duration) error

// phase is the outcome of one or more runs of operations by concurrent
// workers.
type phase struct {
	n     int
	lat   latencies    // per operation
	steps [2]latencies // per part of an operation
	// Steady-state throughput: count operations completed over span,
	// leaving out the ramp-up (the first `workers` completions) and the
	// drain (the last `workers`), when fewer than all workers are busy.
	count int
	span  time.Duration
	// cpu is the CPU time this process (server, client and runtime alike)
	// used during the run.
	cpu time.Duration
	// allocs is how many heap allocations this process (server, client
	// and runtime alike) made during the run.
	allocs uint64
	err    error
}

// cpuPerOp is the process CPU time per operation, in ms.
func (p *phase) cpuPerOp() float64 {
	if p.n == 0 {
		return 0
	}
	return float64(p.cpu) / float64(time.Millisecond) / float64(p.n)
}

// perSec is the steady-state throughput in operations per second.
func (p *phase) perSec() float64 {
	if p.span <= 0 {
		return 0
	}
	return float64(p.count) / p.span.Seconds()
}

func (p *phase) add(q phase) {
	p.n += q.n
	p.lat = append(p.lat, q.lat...)
	p.steps[0] = append(p.steps[0], q.steps[0]...)
	p.steps[1] = append(p.steps[1], q.steps[1]...)
	p.count += q.count
	p.span += q.span
	p.cpu += q.cpu
	p.allocs += q.allocs
	if p.err == nil {
		p.err = q.err
	}
}

// runPhase runs operations first..first+n-1 on `workers` goroutines, each
// taking the next operation as soon as it is done with one (a closed loop,
// like clients that wait for each response). The first error stops the
// phase.
func runPhase(workers, n, first int, fn opFunc) phase {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		next atomic.Int64
		mu   sync.Mutex
		wg   sync.WaitGroup
		out  = phase{n: n, lat: make(latencies, 0, n)}
		ends = make([]time.Time, 0, n)
	)
	start, cpu0, allocs0 := time.Now(), selfCPU(), mallocs()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var (
				lat   latencies
				steps [2]latencies
				done  []time.Time
			)
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					break
				}
				var st [2]time.Duration
				t0 := time.Now()
				if err := fn(ctx, first+i, &st); err != nil {
					mu.Lock()
					if out.err == nil {
						out.err = fmt.Errorf("operation %d: %w", first+i, err)
					}
					mu.Unlock()
					cancel()
					break
				}
				t1 := time.Now()
				lat = append(lat, t1.Sub(t0))
				steps[0] = append(steps[0], st[0])
				steps[1] = append(steps[1], st[1])
				done = append(done, t1)
			}
			mu.Lock()
			out.lat = append(out.lat, lat...)
			out.steps[0] = append(out.steps[0], steps[0]...)
			out.steps[1] = append(out.steps[1], steps[1]...)
			ends = append(ends, done...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	end := time.Now()
	out.cpu = time.Duration((selfCPU() - cpu0) * float64(time.Second))
	out.allocs = mallocs() - allocs0
	slices.SortFunc(ends, func(a, b time.Time) int { return a.Compare(b) })
	if a, b := workers-1, len(ends)-workers; len(ends) >= 4*workers && b > a {
		out.count, out.span = b-a, ends[b].Sub(ends[a])
	} else {
		out.count, out.span = len(ends), end.Sub(start)
	}
	return out
}

// allocsPerOp is the process's heap allocations per operation, in
// thousands (the HTTP client's share included).
func (p phase) allocsPerOp() float64 {
	if p.n == 0 {
		return 0
	}
	return float64(p.allocs) / float64(p.n) / 1000
}

// mallocs returns the process's cumulative heap allocations.
func mallocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}

// reportBeside reports the API's phase beside its baseline's, measured in
// the same run: both rates (the baseline's under rateUnit), their ratio
// (returned, in percent), both latencies (the baseline's prefixed by
// name) and the API's CPU per operation.
func reportBeside(b *testing.B, api, base phase, rateUnit, name string) float64 {
	ratio := 100 * api.perSec() / base.perSec()
	b.ReportMetric(base.perSec(), rateUnit)
	b.ReportMetric(api.perSec(), "api_inv/s")
	b.ReportMetric(ratio, "ratio_pct")
	b.ReportMetric(api.lat.pct(50), "api_p50_ms")
	b.ReportMetric(api.lat.pct(99), "api_p99_ms")
	b.ReportMetric(base.lat.pct(50), name+"_p50_ms")
	b.ReportMetric(base.lat.pct(99), name+"_p99_ms")
	b.ReportMetric(api.cpuPerOp(), "api_cpu_ms/inv")
	return ratio
}
