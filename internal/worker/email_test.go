package worker_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/emailmessage"
	"github.com/remitbilling/remit/ent/hook"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/mail"
	"github.com/remitbilling/remit/internal/mail/mailtest"
	"github.com/remitbilling/remit/internal/outbox"
	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/store/storetest"
	"github.com/remitbilling/remit/internal/worker"
)

func TestDeliver(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		e := setup(t, st)
		srv := mailtest.Start(t, mailtest.Options{STARTTLS: true})
		sched := worker.New(worker.Options{Logger: quiet}, job(e, smtpSender(t, srv), worker.EmailOptions{}))
		row := enqueue(t, e, 1)[0]
		e.clk.Advance(time.Minute)

		n, err := sched.Tick(e.sys)
		if err != nil || n != 1 {
			t.Fatalf("Tick = %d, %v; want 1 message", n, err)
		}
		got := srv.Messages()
		if len(got) != 1 {
			t.Fatalf("server received %d messages, want 1", len(got))
		}
		r := got[0]
		want := invoiceMail(0)
		if !r.TLS {
			t.Error("sent without STARTTLS")
		}
		if r.From != want.From.Email || strings.Join(r.To, ",") != "customer0@example.com,accounts@example.com,archive@acme.example" {
			t.Errorf("envelope: from %s to %v", r.From, r.To)
		}
		p, err := r.Parse()
		if err != nil {
			t.Fatal(err)
		}
		if p.MessageID != row.MessageID || p.Subject != want.Subject || p.From[0] != "Acme SAS <billing@acme.example>" ||
			strings.Join(p.To, ",") != "customer0@example.com" || strings.Join(p.Cc, ",") != "accounts@example.com" ||
			strings.Join(p.ReplyTo, ",") != "support@acme.example" || p.Header.Get("Bcc") != "" {
			t.Errorf("headers: id %s subject %q from %v to %v cc %v reply-to %v bcc %q", p.MessageID, p.Subject, p.From, p.To, p.Cc, p.ReplyTo, p.Header.Get("Bcc"))
		}
		if d, _ := p.Header.Date(); !d.Equal(e.clk.Now()) {
			t.Errorf("Date = %v, want the send time %v", d, e.clk.Now())
		}
		if strings.ReplaceAll(p.Text, "\r\n", "\n") != want.Text || p.HTML != want.HTML {
			t.Errorf("bodies: %q / %q", p.Text, p.HTML)
		}
		if len(p.Attachments) != 1 || p.Attachments[0].Name != "INV-0000.pdf" || p.Attachments[0].ContentType != "application/pdf" ||
			!bytes.Equal(p.Attachments[0].Data, want.Attachments[0].Data) {
			t.Errorf("attachments: %+v", p.Attachments)
		}

		m := get(t, e, row.ID)
		if m.Status != emailmessage.StatusSent || m.SentAt == nil || !m.SentAt.Equal(e.clk.Now()) || m.Attempts != 1 || m.LastError != "" || m.LeaseUntil != nil || m.LeaseOwner == "" {
			t.Errorf("after delivery: %s sent %v attempts %d error %q lease %v owner %q", m.Status, m.SentAt, m.Attempts, m.LastError, m.LeaseUntil, m.LeaseOwner)
		}
		// Visible to its account.
		if v, err := outbox.Get(e.ctx, st.Client, row.ID); err != nil || v.Status != emailmessage.StatusSent {
			t.Errorf("outbox.Get: %v, %v", v, err)
		}

		// Delivered once: later ticks find nothing.
		e.clk.Advance(time.Hour)
		if n, err := sched.Tick(e.sys); n != 0 || err != nil {
			t.Fatalf("second Tick = %d, %v", n, err)
		}
		if srv.Count() != 1 {
			t.Fatalf("delivered %d times", srv.Count())
		}
	})
}

func TestTemporaryFailureRetriesWithBackoff(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		e := setup(t, st)
		srv := mailtest.Start(t, mailtest.Options{})
		j := job(e, smtpSender(t, srv), worker.EmailOptions{})
		row := enqueue(t, e, 1)[0]

		srv.RejectData(mailtest.Reply(451, [3]int{4, 3, 0}, "mailbox busy, try later"))
		if n, err := j.RunDue(e.sys); n != 1 || err != nil {
			t.Fatalf("RunDue = %d, %v", n, err)
		}
		m := get(t, e, row.ID)
		now := e.clk.Now()
		if m.Status != emailmessage.StatusQueued || m.Attempts != 1 || !strings.Contains(m.LastError, "451") || m.SentAt != nil || m.LeaseUntil != nil {
			t.Fatalf("after 451: %s attempts %d error %q sent %v lease %v", m.Status, m.Attempts, m.LastError, m.SentAt, m.LeaseUntil)
		}
		if d := m.NextAttemptAt.Sub(now); d < 24*time.Second || d > 36*time.Second {
			t.Fatalf("retry in %v, want 30s ± 20%%", d)
		}

		// The server recovers, but the message is not due yet.
		srv.RejectData(nil)
		if n := drain(t, e.sys, j); n != 0 || srv.Count() != 0 {
			t.Fatalf("claimed %d before the backoff ended", n)
		}
		e.clk.Set(m.NextAttemptAt)
		if n := drain(t, e.sys, j); n != 1 || srv.Count() != 1 {
			t.Fatalf("after the backoff: claimed %d, server got %d", n, srv.Count())
		}
		m = get(t, e, row.ID)
		if m.Status != emailmessage.StatusSent || m.Attempts != 2 || m.LastError != "" {
			t.Fatalf("after retry: %s attempts %d error %q", m.Status, m.Attempts, m.LastError)
		}
	})
}

func TestBackoffGrowsAndGivesUp(t *testing.T) {
	st := storetest.Open(t, "sqlite3")
	e := setup(t, st)
	srv := mailtest.Start(t, mailtest.Options{})
	var delays []int
	j := job(e, smtpSender(t, srv), worker.EmailOptions{MaxAttempts: 3, Backoff: func(attempt int) time.Duration {
		delays = append(delays, attempt)
		return time.Duration(attempt) * time.Minute
	}})
	row := enqueue(t, e, 1)[0]
	srv.RejectData(mailtest.Reply(421, [3]int{4, 4, 2}, "closing"))
	for attempt := 1; attempt <= 3; attempt++ {
		if n := drain(t, e.sys, j); n != 1 {
			t.Fatalf("attempt %d: claimed %d", attempt, n)
		}
		m := get(t, e, row.ID)
		if attempt < 3 {
			if m.Status != emailmessage.StatusQueued || !m.NextAttemptAt.Equal(e.clk.Now().Add(time.Duration(attempt)*time.Minute)) {
				t.Fatalf("attempt %d: %s next %v", attempt, m.Status, m.NextAttemptAt)
			}
			e.clk.Set(m.NextAttemptAt)
			continue
		}
		if m.Status != emailmessage.StatusFailed || m.Attempts != 3 || !strings.Contains(m.LastError, "giving up after 3 attempts") || !strings.Contains(m.LastError, "421") {
			t.Fatalf("after the last attempt: %s attempts %d error %q", m.Status, m.Attempts, m.LastError)
		}
	}
	if len(delays) != 2 || delays[0] != 1 || delays[1] != 2 {
		t.Fatalf("backoff called for attempts %v, want [1 2]", delays)
	}
	e.clk.Advance(24 * time.Hour)
	if n := drain(t, e.sys, j); n != 0 {
		t.Fatalf("a FAILED message was claimed again")
	}

	// The default backoff doubles, with jitter, up to its cap.
	b := worker.Exponential(30*time.Second, 6*time.Hour)
	for attempt, want := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 5: 8 * time.Minute, 10: 256 * time.Minute} {
		if d := b(attempt); d < want*8/10 || d > want*12/10 {
			t.Errorf("backoff(%d) = %v, want %v ± 20%%", attempt, d, want)
		}
	}
	if d := b(30); d != 6*time.Hour {
		t.Errorf("backoff(30) = %v, want the 6h cap", d)
	}
}

func TestPermanentFailure(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		e := setup(t, st)
		srv := mailtest.Start(t, mailtest.Options{})
		j := job(e, smtpSender(t, srv), worker.EmailOptions{})
		row := enqueue(t, e, 1)[0]
		srv.RejectRcpt(mailtest.Reply(550, [3]int{5, 1, 1}, "no such mailbox"))
		if n := drain(t, e.sys, j); n != 1 {
			t.Fatalf("claimed %d", n)
		}
		m := get(t, e, row.ID)
		if m.Status != emailmessage.StatusFailed || m.Attempts != 1 || !strings.Contains(m.LastError, "550") || m.SentAt != nil {
			t.Fatalf("after 550: %s attempts %d error %q", m.Status, m.Attempts, m.LastError)
		}
		srv.RejectRcpt(nil)
		e.clk.Advance(24 * time.Hour)
		if n := drain(t, e.sys, j); n != 0 || srv.Count() != 0 {
			t.Fatalf("a refused message was tried again")
		}
	})
}

func TestServerDownThenUp(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		e := setup(t, st)
		addr, err := mailtest.FreeAddr()
		if err != nil {
			t.Fatal(err)
		}
		sender, err := mail.NewSMTP("smtp://" + addr + "?tls=none&timeout=2s")
		if err != nil {
			t.Fatal(err)
		}
		defer sender.Close()
		j := job(e, sender, worker.EmailOptions{})
		rows := enqueue(t, e, 3)
		if n := drain(t, e.sys, j); n != 3 {
			t.Fatalf("claimed %d", n)
		}
		for _, r := range rows {
			m := get(t, e, r.ID)
			if m.Status != emailmessage.StatusQueued || m.Attempts != 1 || !strings.Contains(m.LastError, "connect") {
				t.Fatalf("server down: %s attempts %d error %q", m.Status, m.Attempts, m.LastError)
			}
		}
		srv := mailtest.Start(t, mailtest.Options{Addr: addr})
		e.clk.Advance(time.Minute)
		if n := drain(t, e.sys, j); n != 3 {
			t.Fatalf("server up: claimed %d", n)
		}
		if srv.Count() != 3 || countStatus(t, e, emailmessage.StatusSent) != 3 {
			t.Fatalf("server got %d, %d SENT", srv.Count(), countStatus(t, e, emailmessage.StatusSent))
		}
	})
}

func TestNoSenderKeepsMessagesQueued(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		e := setup(t, st)
		sched := worker.New(worker.Options{Logger: quiet}, job(e, nil, worker.EmailOptions{}))
		row := enqueue(t, e, 1)[0]
		e.clk.Advance(time.Hour)
		if n, err := sched.Tick(e.sys); n != 0 || err != nil {
			t.Fatalf("Tick = %d, %v", n, err)
		}
		m, err := outbox.Get(e.ctx, st.Client, row.ID)
		if err != nil || m.Status != emailmessage.StatusQueued || m.Attempts != 0 || m.Subject != invoiceMail(0).Subject {
			t.Fatalf("without SMTP: %+v, %v", m, err)
		}
	})
}

func TestExpiredLeaseIsRedelivered(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		e := setup(t, st)
		srv := mailtest.Start(t, mailtest.Options{})
		j := job(e, smtpSender(t, srv), worker.EmailOptions{Owner: "survivor"})
		row := enqueue(t, e, 1)[0]

		// A worker claims the message and dies before sending it.
		crashed, err := outbox.Claim(e.sys, st.Client, st.Dialect, "crashed", 10, worker.DefaultLease)
		if err != nil || len(crashed) != 1 {
			t.Fatalf("claim: %d, %v", len(crashed), err)
		}
		if n := drain(t, e.sys, j); n != 0 {
			t.Fatalf("claimed %d while the lease holds", n)
		}
		e.clk.Advance(worker.DefaultLease - time.Second)
		if n := drain(t, e.sys, j); n != 0 {
			t.Fatalf("claimed %d while the lease holds", n)
		}
		e.clk.Advance(time.Second)
		if n := drain(t, e.sys, j); n != 1 || srv.Count() != 1 {
			t.Fatalf("after the lease: claimed %d, delivered %d", n, srv.Count())
		}
		m := get(t, e, row.ID)
		if m.Status != emailmessage.StatusSent || m.Attempts != 2 || m.LeaseOwner != "survivor" {
			t.Fatalf("redelivered: %s attempts %d owner %s", m.Status, m.Attempts, m.LeaseOwner)
		}
		if err := outbox.MarkRetry(e.sys, st.Client, crashed[0], e.clk.Now(), errors.New("late")); !errors.Is(err, outbox.ErrLeaseLost) {
			t.Fatalf("the dead worker's late outcome: %v, want ErrLeaseLost", err)
		}
		if m := get(t, e, row.ID); m.Status != emailmessage.StatusSent {
			t.Fatalf("late outcome overwrote SENT: %s", m.Status)
		}
	})
}

func TestTwoProcessesDeliverEachMessageOnce(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(dialectName(d), func(t *testing.T) {
			ctx := context.Background()
			cfg := storetest.Fresh(t, d)
			open := func() *store.Store {
				st, err := store.Open(ctx, cfg)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				if err := st.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
				return st
			}
			st1, st2 := open(), open()
			e1 := setup(t, st1)
			e2 := e1.on(st2)
			const total = 200
			enqueue(t, e1, total)

			srv := mailtest.Start(t, mailtest.Options{})
			opts := func(owner string) worker.EmailOptions {
				return worker.EmailOptions{Owner: owner, BatchSize: 10, Concurrency: 4}
			}
			jobs := []*worker.EmailDelivery{job(e1, smtpSender(t, srv), opts("p1")), job(e2, smtpSender(t, srv), opts("p2"))}
			claimed := make([]int, 2)
			var wg sync.WaitGroup
			for i, j := range jobs {
				wg.Go(func() { claimed[i] = drain(t, e1.sys, j) })
			}
			wg.Wait()
			t.Logf("p1 claimed %d, p2 claimed %d", claimed[0], claimed[1])
			if claimed[0]+claimed[1] != total {
				t.Errorf("claimed %d + %d, want %d in all", claimed[0], claimed[1], total)
			}
			got := srv.Messages()
			seen := map[string]int{}
			for _, r := range got {
				p, err := r.Parse()
				if err != nil {
					t.Fatal(err)
				}
				seen[p.MessageID]++
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("%s delivered %d times", id, n)
				}
			}
			if len(got) != total || len(seen) != total {
				t.Fatalf("server got %d messages, %d distinct; want %d", len(got), len(seen), total)
			}
			if n := countStatus(t, e1, emailmessage.StatusSent); n != total {
				t.Fatalf("%d SENT, want %d", n, total)
			}
			if n, _ := st1.Client.EmailMessage.Query().Where(emailmessage.AttemptsNEQ(1)).Count(allow(e1)); n != 0 {
				t.Fatalf("%d messages were claimed more than once", n)
			}
		})
	}
}

func TestRestartKeepsTheQueue(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(dialectName(d), func(t *testing.T) {
			ctx := context.Background()
			cfg := storetest.Fresh(t, d)
			st, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			e := setup(t, st)
			srv := mailtest.Start(t, mailtest.Options{})
			enqueue(t, e, 3)
			srv.RejectData(mailtest.Reply(451, [3]int{4, 3, 0}, "not now"))
			if n := drain(t, e.sys, job(e, smtpSender(t, srv), worker.EmailOptions{})); n != 3 {
				t.Fatalf("claimed %d", n)
			}
			more := enqueue(t, e, 2) // never attempted before the restart
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}

			// The server restarts.
			st2, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st2.Close() })
			if err := st2.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			e2 := e.on(st2)
			if n := countStatus(t, e2, emailmessage.StatusQueued); n != 5 {
				t.Fatalf("%d QUEUED after the restart, want 5", n)
			}
			srv.RejectData(nil)
			j := job(e2, smtpSender(t, srv), worker.EmailOptions{})
			if n := drain(t, e2.sys, j); n != 2 {
				t.Fatalf("claimed %d right after the restart, want the 2 new ones", n)
			}
			e2.clk.Advance(time.Minute)
			if n := drain(t, e2.sys, j); n != 3 {
				t.Fatalf("claimed %d after the backoff, want the 3 retried", n)
			}
			if srv.Count() != 5 || countStatus(t, e2, emailmessage.StatusSent) != 5 {
				t.Fatalf("server got %d, %d SENT; want 5", srv.Count(), countStatus(t, e2, emailmessage.StatusSent))
			}
			if m := get(t, e2, more[0].ID); m.Attempts != 1 {
				t.Fatalf("attempts = %d", m.Attempts)
			}
		})
	}
}

// clockSender sends through next after moving the fake clock by step, to
// make a batch outlast its lease.
type clockSender struct {
	next mail.Sender
	clk  *clock.Fake
	step time.Duration
}

func (s clockSender) Send(ctx context.Context, m mail.Message) error {
	s.clk.Advance(s.step)
	return s.next.Send(ctx, m)
}

func TestBatchOutlastingItsLeaseGivesMessagesBack(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		e := setup(t, st)
		srv := mailtest.Start(t, mailtest.Options{})
		j := job(e, clockSender{smtpSender(t, srv), e.clk, 20 * time.Second},
			worker.EmailOptions{BatchSize: 2, Concurrency: 1, Lease: 30 * time.Second, SendTimeout: 15 * time.Second})
		rows := enqueue(t, e, 2)
		if n, err := j.RunDue(e.sys); n != 2 || err != nil {
			t.Fatalf("RunDue = %d, %v", n, err)
		}
		if srv.Count() != 1 {
			t.Fatalf("sent %d, want 1: the second had 10s of lease left for a 15s send", srv.Count())
		}
		var back = get(t, e, rows[1].ID)
		if get(t, e, rows[0].ID).Status != emailmessage.StatusSent {
			back = get(t, e, rows[0].ID)
		}
		if back.Status != emailmessage.StatusQueued || back.Attempts != 0 || !back.NextAttemptAt.Equal(e.clk.Now()) {
			t.Fatalf("given back: %s attempts %d next %v (now %v)", back.Status, back.Attempts, back.NextAttemptAt, e.clk.Now())
		}
		if n := drain(t, e.sys, j); n != 1 || srv.Count() != 2 {
			t.Fatalf("next run: claimed %d, sent %d", n, srv.Count())
		}
	})
}

func TestShutdownGivesMessagesBack(t *testing.T) {
	st := storetest.Open(t, "sqlite3")
	e := setup(t, st)
	srv := mailtest.Start(t, mailtest.Options{})
	release := srv.Hold()
	defer release()
	j := job(e, smtpSender(t, srv), worker.EmailOptions{Concurrency: 1})
	rows := enqueue(t, e, 3)
	ctx, cancel := context.WithTimeout(e.sys, 300*time.Millisecond)
	defer cancel()
	if n, err := j.RunDue(ctx); n != 3 || err != nil {
		t.Fatalf("RunDue = %d, %v", n, err)
	}
	for _, r := range rows {
		m := get(t, e, r.ID)
		if m.Status != emailmessage.StatusQueued || m.Attempts != 0 || m.LastError != "" {
			t.Errorf("after shutdown: %s attempts %d error %q", m.Status, m.Attempts, m.LastError)
		}
	}
}

// TestCrashAfterAcceptRedeliversWithTheSameMessageID simulates the window
// between the SMTP server accepting a message and the outbox recording it
// SENT: delivery is at least once, so the message goes out again, and both
// copies the server received carry the Message-ID derived from the outbox
// row, by which mail clients drop the second.
func TestCrashAfterAcceptRedeliversWithTheSameMessageID(t *testing.T) {
	for _, tt := range []struct {
		name string
		// crash makes a first attempt that reaches the server but whose
		// outcome is never recorded, then moves the clock to when the
		// message is due again.
		crash func(t *testing.T, e *env, srv *mailtest.Server)
	}{
		{"worker killed after the server accepted", func(t *testing.T, e *env, srv *mailtest.Server) {
			// The dead worker's last steps: claim, send, and nothing more.
			claimed, err := outbox.Claim(e.sys, e.st.Client, e.st.Dialect, "killed", 10, worker.DefaultLease)
			if err != nil || len(claimed) != 1 {
				t.Fatalf("claim: %d, %v", len(claimed), err)
			}
			msg, err := outbox.ToMail(claimed[0], e.clk.Now())
			if err != nil {
				t.Fatal(err)
			}
			if err := smtpSender(t, srv).Send(e.sys, msg); err != nil {
				t.Fatal(err)
			}
			e.clk.Advance(worker.DefaultLease)
		}},
		{"recording SENT fails", func(t *testing.T, e *env, srv *mailtest.Server) {
			var broken atomic.Bool
			broken.Store(true)
			e.st.Client.EmailMessage.Use(func(next ent.Mutator) ent.Mutator {
				return hook.EmailMessageFunc(func(ctx context.Context, m *ent.EmailMessageMutation) (ent.Value, error) {
					if s, ok := m.Status(); ok && s == emailmessage.StatusSent && broken.Load() {
						return nil, errors.New("database connection lost")
					}
					return next.Mutate(ctx, m)
				})
			})
			n, err := job(e, smtpSender(t, srv), worker.EmailOptions{Owner: "broken"}).RunDue(e.sys)
			if n != 1 || err == nil {
				t.Fatalf("RunDue = %d, %v; want 1 and the failed MarkSent", n, err)
			}
			broken.Store(false)
			e.clk.Advance(worker.DefaultLease)
		}},
		{"the server's reply is lost", func(t *testing.T, e *env, srv *mailtest.Server) {
			srv.DropReplies(true)
			if n, err := job(e, smtpSender(t, srv), worker.EmailOptions{Owner: "first"}).RunDue(e.sys); n != 1 || err != nil {
				t.Fatalf("RunDue = %d, %v", n, err)
			}
			srv.DropReplies(false)
			e.clk.Advance(time.Hour) // past the backoff
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			storetest.ForEach(t, func(t *testing.T, st *store.Store) {
				e := setup(t, st)
				srv := mailtest.Start(t, mailtest.Options{})
				row := enqueue(t, e, 1)[0]

				tt.crash(t, e, srv)
				if srv.Count() != 1 {
					t.Fatalf("the crashed attempt delivered %d messages, want 1", srv.Count())
				}
				if m := get(t, e, row.ID); m.Status == emailmessage.StatusSent {
					t.Fatalf("the crashed attempt was recorded: %s", m.Status)
				}
				if n := drain(t, e.sys, job(e, smtpSender(t, srv), worker.EmailOptions{Owner: "survivor"})); n != 1 {
					t.Fatalf("the retry claimed %d, want 1", n)
				}

				got := srv.Messages()
				if len(got) != 2 {
					t.Fatalf("server received %d messages, want 2 (at least once)", len(got))
				}
				want := row.ID + "@acme.example"
				for i, r := range got {
					p, err := r.Parse()
					if err != nil {
						t.Fatal(err)
					}
					if p.MessageID != want || p.Subject != invoiceMail(0).Subject {
						t.Errorf("delivery %d: Message-ID %q subject %q, want %q, the outbox row's", i+1, p.MessageID, p.Subject, want)
					}
				}
				m := get(t, e, row.ID)
				if m.Status != emailmessage.StatusSent || m.Attempts != 2 || m.MessageID != want {
					t.Errorf("after the retry: %s attempts %d Message-ID %s", m.Status, m.Attempts, m.MessageID)
				}
			})
		})
	}
}
