package worker_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/emailmessage"
	"github.com/remitbilling/remit/ent/privacy"
	"github.com/remitbilling/remit/internal/accounts"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/mail"
	"github.com/remitbilling/remit/internal/mail/mailtest"
	"github.com/remitbilling/remit/internal/outbox"
	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/viewer"
	"github.com/remitbilling/remit/internal/worker"
)

var start = time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// env is one account on a store, with a fake clock.
type env struct {
	st  *store.Store
	clk *clock.Fake
	ctx context.Context // the account's test-mode viewer and the fake clock
	sys context.Context // the worker's context: the fake clock, no viewer
}

func setup(t testing.TB, st *store.Store) *env {
	t.Helper()
	clk := clock.NewFake(start)
	sys := clock.WithContext(context.Background(), clk)
	a, err := accounts.New(st.Client).Create(sys, "Acme SAS")
	if err != nil {
		t.Fatal(err)
	}
	return &env{st: st, clk: clk, sys: sys, ctx: viewer.NewContext(sys, viewer.Viewer{AccountID: a.ID, Mode: viewer.Test, Actor: "test"})}
}

// on returns e for another store (another "process") on the same database.
func (e *env) on(st *store.Store) *env {
	c := *e
	c.st = st
	return &c
}

func invoiceMail(i int) outbox.Message {
	return outbox.Message{
		Kind:      "invoice",
		InvoiceID: "in_01kf3qv0m0a0b0c0d0e0f0g0h0",
		From:      mail.Address{Name: "Acme SAS", Email: "billing@acme.example"},
		ReplyTo:   "support@acme.example",
		To:        []string{fmt.Sprintf("customer%d@example.com", i)},
		Cc:        []string{"accounts@example.com"},
		Bcc:       []string{"archive@acme.example"},
		Subject:   fmt.Sprintf("Facture INV-%04d — Acme SAS", i),
		Text:      "Bonjour,\nvotre facture est jointe.\n",
		HTML:      "<p>Bonjour, votre facture est jointe.</p>",
		Attachments: []mail.Attachment{
			{Name: fmt.Sprintf("INV-%04d.pdf", i), ContentType: "application/pdf", Data: []byte(fmt.Sprintf("%%PDF-1.7 invoice %d \x00\x01\xff", i))},
		},
	}
}

// enqueueMessage writes m in a transaction of its own.
func enqueueMessage(t testing.TB, e *env, m outbox.Message) *ent.EmailMessage {
	t.Helper()
	var row *ent.EmailMessage
	err := dbtx.Run(e.ctx, e.st.Client, func(tx *ent.Tx) error {
		var err error
		row, err = outbox.Enqueue(e.ctx, tx, m)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return row
}

// enqueue writes n messages, in transactions of up to 100.
func enqueue(t testing.TB, e *env, n int) []*ent.EmailMessage {
	t.Helper()
	var out []*ent.EmailMessage
	for done := 0; done < n; {
		batch := min(n-done, 100)
		err := dbtx.Run(e.ctx, e.st.Client, func(tx *ent.Tx) error {
			for i := range batch {
				m, err := outbox.Enqueue(e.ctx, tx, invoiceMail(done+i))
				if err != nil {
					return err
				}
				out = append(out, m)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		done += batch
	}
	return out
}

func smtpSender(t testing.TB, srv *mailtest.Server) *mail.SMTP {
	t.Helper()
	s, err := mail.NewSMTP(srv.URL(), mail.WithTLSConfig(srv.TLSConfig()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func job(e *env, sender mail.Sender, opts worker.EmailOptions) *worker.EmailDelivery {
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	return worker.NewEmailDelivery(e.st.Client, e.st.Dialect, sender, opts)
}

// allow is the worker's context with the system decision, to read any
// account's messages.
func allow(e *env) context.Context { return privacy.DecisionContext(e.sys, privacy.Allow) }

// get reads a message back, whatever its account.
func get(t testing.TB, e *env, id string) *ent.EmailMessage {
	t.Helper()
	m, err := e.st.Client.EmailMessage.Get(allow(e), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func countStatus(t testing.TB, e *env, s emailmessage.Status) int {
	t.Helper()
	n, err := e.st.Client.EmailMessage.Query().Where(emailmessage.StatusEQ(s)).Count(allow(e))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// drain runs j until it finds nothing due.
func drain(t testing.TB, ctx context.Context, j worker.Job) int {
	t.Helper()
	total := 0
	for {
		n, err := j.RunDue(ctx)
		if err != nil {
			t.Error(err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
}

// dialectName names subtests as storetest.ForEach does.
func dialectName(d string) string {
	if d == "sqlite3" {
		return "sqlite"
	}
	return d
}
