package worker_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/remitbilling/remit/ent/emailmessage"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/mail/mailtest"
	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/store/storetest"
	"github.com/remitbilling/remit/internal/worker"
)

// fakeJob records its runs and returns what it is told.
type fakeJob struct {
	name  string
	runs  atomic.Int32
	work  func(run int32) (int, error)
	clock atomic.Value // the time it saw last
}

func (j *fakeJob) Name() string { return j.name }

func (j *fakeJob) RunDue(ctx context.Context) (int, error) {
	j.clock.Store(clock.Now(ctx))
	run := j.runs.Add(1)
	if j.work == nil {
		return 0, nil
	}
	return j.work(run)
}

func TestTickRunsEveryJob(t *testing.T) {
	boom := errors.New("boom")
	failing := &fakeJob{name: "failing", work: func(int32) (int, error) { return 0, boom }}
	panicking := &fakeJob{name: "panicking", work: func(int32) (int, error) { panic("bug") }}
	busy := &fakeJob{name: "busy", work: func(int32) (int, error) { return 3, nil }}
	s := worker.New(worker.Options{Logger: quiet}, failing, panicking, busy)
	clk := clock.NewFake(start)
	n, err := s.Tick(clock.WithContext(context.Background(), clk))
	if n != 3 {
		t.Errorf("Tick handled %d, want 3", n)
	}
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "panicking: panic: bug") {
		t.Errorf("Tick error = %v", err)
	}
	for _, j := range []*fakeJob{failing, panicking, busy} {
		if j.runs.Load() != 1 {
			t.Errorf("%s ran %d times", j.name, j.runs.Load())
		}
	}
	if got := busy.clock.Load().(time.Time); !got.Equal(start) {
		t.Errorf("the job saw %v, want the context's clock %v", got, start)
	}
}

func TestRunDrainsThenWaits(t *testing.T) {
	// Busy for 5 runs, then idle: the loop runs it back to back while
	// busy, then only once per tick.
	j := &fakeJob{name: "batches", work: func(run int32) (int, error) {
		if run <= 5 {
			return 10, nil
		}
		return 0, nil
	}}
	s := worker.New(worker.Options{Interval: time.Hour, Logger: quiet}, j)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for j.runs.Load() < 6 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if n := j.runs.Load(); n != 6 {
		t.Fatalf("ran %d times before the first tick, want 6 (5 busy + 1 idle)", n)
	}
	s.Wake()
	for j.runs.Load() < 7 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := j.runs.Load(); n != 7 {
		t.Fatalf("Wake: ran %d times, want 7", n)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestRunDeliversTheOutbox(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		e := setup(t, st)
		srv := mailtest.Start(t, mailtest.Options{})
		s := worker.New(worker.Options{Interval: 20 * time.Millisecond, Logger: quiet}, job(e, smtpSender(t, srv), worker.EmailOptions{}))
		ctx, cancel := context.WithCancel(e.sys)
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		defer func() {
			cancel()
			<-done
		}()

		enqueue(t, e, 5)
		if n := srv.Wait(5, 10*time.Second); n != 5 {
			t.Fatalf("delivered %d, want 5", n)
		}
		// A message scheduled for later leaves when the clock gets there.
		m := invoiceMail(99)
		m.SendAt = start.Add(time.Hour)
		enqueueMessage(t, e, m)
		time.Sleep(100 * time.Millisecond)
		if n := srv.Count(); n != 5 {
			t.Fatalf("the scheduled message left early (%d delivered)", n)
		}
		e.clk.Set(m.SendAt)
		if n := srv.Wait(6, 10*time.Second); n != 6 {
			t.Fatalf("delivered %d, want 6", n)
		}
		deadline := time.Now().Add(5 * time.Second)
		for countStatus(t, e, emailmessage.StatusSent) != 6 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := countStatus(t, e, emailmessage.StatusSent); n != 6 {
			t.Fatalf("%d SENT, want 6", n)
		}
	})
}
