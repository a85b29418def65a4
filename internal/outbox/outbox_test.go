package outbox_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/emailmessage"
	"github.com/remitbilling/remit/internal/accounts"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/mail"
	"github.com/remitbilling/remit/internal/outbox"
	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/store/storetest"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/values"
	"github.com/remitbilling/remit/internal/viewer"
)

var start = time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)

type env struct {
	st  *store.Store
	clk *clock.Fake
	ctx context.Context // the account's test-mode viewer, fake clock
}

func setup(t *testing.T, st *store.Store) *env {
	t.Helper()
	clk := clock.NewFake(start)
	ctx := clock.WithContext(context.Background(), clk)
	a, err := accounts.New(st.Client).Create(ctx, "Acme SAS")
	if err != nil {
		t.Fatal(err)
	}
	return &env{st: st, clk: clk, ctx: viewer.NewContext(ctx, viewer.Viewer{AccountID: a.ID, Mode: viewer.Test, Actor: "test"})}
}

func invoiceMail() outbox.Message {
	return outbox.Message{
		Kind:      "invoice",
		InvoiceID: "in_01kf3qv0m0a0b0c0d0e0f0g0h0",
		From:      mail.Address{Name: "Acme SAS", Email: "billing@acme.example"},
		ReplyTo:   "support@acme.example",
		To:        []string{"jenny.rosen@example.com"},
		Cc:        []string{"accounts@example.com"},
		Bcc:       []string{"archive@acme.example"},
		Subject:   "Invoice INV-0001 from Acme SAS",
		Text:      "Your invoice is attached.",
		HTML:      "<p>Your invoice is attached.</p>",
		Attachments: []mail.Attachment{
			{Name: "INV-0001.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.7 \x00\x01\xff")},
		},
	}
}

func enqueue(t *testing.T, e *env, m outbox.Message) *ent.EmailMessage {
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

func TestEnqueueIsTransactional(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		e := setup(t, st)
		boom := errors.New("the invoice could not be finalized")
		err := dbtx.Run(e.ctx, st.Client, func(tx *ent.Tx) error {
			if _, err := outbox.Enqueue(e.ctx, tx, invoiceMail()); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		if list, err := outbox.List(e.ctx, st.Client, outbox.Filter{}, 10); err != nil || len(list) != 0 {
			t.Fatalf("after rollback: %d messages (%v), want none", len(list), err)
		}

		row := enqueue(t, e, invoiceMail())
		if !strings.HasPrefix(row.ID, "em_") || row.MessageID != row.ID+"@acme.example" {
			t.Errorf("id %s, Message-ID %s", row.ID, row.MessageID)
		}
		got, err := outbox.Get(e.ctx, st.Client, row.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != emailmessage.StatusQueued || got.Attempts != 0 || !got.NextAttemptAt.Equal(start) || got.SentAt != nil || got.LeaseUntil != nil {
			t.Errorf("new message: status %s, attempts %d, next %v, sent %v, lease %v", got.Status, got.Attempts, got.NextAttemptAt, got.SentAt, got.LeaseUntil)
		}
		want := invoiceMail()
		if got.Kind != want.Kind || *got.InvoiceID != want.InvoiceID || got.From != want.From.Email || got.FromName != want.From.Name ||
			got.ReplyTo != want.ReplyTo || strings.Join(got.To, ",") != want.To[0] || got.Cc[0] != want.Cc[0] || got.Bcc[0] != want.Bcc[0] ||
			got.Subject != want.Subject || got.TextBody != want.Text || got.HTMLBody != want.HTML {
			t.Errorf("stored %+v", got)
		}
		atts, err := outbox.Attachments(got)
		if err != nil || len(atts) != 1 || atts[0].Name != "INV-0001.pdf" || atts[0].ContentType != "application/pdf" || !bytes.Equal(atts[0].Data, want.Attachments[0].Data) {
			t.Errorf("attachments = %+v, %v", atts, err)
		}
		m, err := outbox.ToMail(got, start)
		if err != nil || m.MessageID != got.MessageID || m.From != want.From || len(m.Attachments) != 1 {
			t.Errorf("ToMail = %+v, %v", m, err)
		}
		if got.RenderedAttachments != nil {
			t.Errorf("documents to render %v, want none", got.RenderedAttachments)
		}

		// Listed per invoice, newest first.
		other := invoiceMail()
		other.InvoiceID = ""
		other.Kind = "login_code"
		e.clk.Advance(time.Second)
		second := enqueue(t, e, other)
		list, err := outbox.List(e.ctx, st.Client, outbox.Filter{}, 10)
		if err != nil || len(list) != 2 || list[0].ID != second.ID || list[1].ID != row.ID {
			t.Fatalf("List = %v, %v", ids(list), err)
		}
		list, err = outbox.List(e.ctx, st.Client, outbox.Filter{InvoiceID: want.InvoiceID}, 10)
		if err != nil || len(list) != 1 || list[0].ID != row.ID {
			t.Fatalf("List(invoice) = %v, %v", ids(list), err)
		}
		list, err = outbox.List(e.ctx, st.Client, outbox.Filter{Kind: "login_code", Statuses: []emailmessage.Status{emailmessage.StatusQueued}}, 10)
		if err != nil || len(list) != 1 || list[0].ID != second.ID {
			t.Fatalf("List(kind) = %v, %v", ids(list), err)
		}

		// Documents to render at delivery are stored with the message.
		receipt := invoiceMail()
		receipt.Kind, receipt.Attachments = "receipt", nil
		receipt.Render = []values.DocumentRef{{Kind: "invoice", ID: want.InvoiceID}, {Kind: "receipt", ID: "py_01kf3qv0m0a0b0c0d0e0f0g0h0"}}
		stored, err := outbox.Get(e.ctx, st.Client, enqueue(t, e, receipt).ID)
		if err != nil || len(stored.RenderedAttachments) != 2 || stored.RenderedAttachments[1] != receipt.Render[1] || len(stored.Attachments) != 0 {
			t.Errorf("documents to render stored as %v (%v)", stored.RenderedAttachments, err)
		}
	})
}

// TestToMailKeepsTheMessageID checks every attempt at a message carries
// the Message-ID derived from its row, whatever the time of the attempt,
// so receivers drop the copy a retry after a crash delivers.
func TestToMailKeepsTheMessageID(t *testing.T) {
	st := storetest.Open(t, "sqlite3")
	e := setup(t, st)
	row := enqueue(t, e, invoiceMail())
	if row.MessageID != row.ID+"@acme.example" {
		t.Fatalf("stored Message-ID %q, want %s@acme.example", row.MessageID, row.ID)
	}
	without := *row
	without.MessageID = ""
	idn := without
	idn.From = "facturation@société.example"
	for _, tt := range []struct {
		name string
		row  *ent.EmailMessage
		want string
	}{
		{"as stored", row, row.MessageID},
		{"row without one", &without, row.ID + "@acme.example"},
		{"internationalized sender", &idn, row.ID + "@remit.invalid"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, at := range []time.Time{start, start.Add(time.Hour), start.Add(72 * time.Hour)} {
				m, err := outbox.ToMail(tt.row, at)
				if err != nil {
					t.Fatal(err)
				}
				if m.MessageID != tt.want || !m.Date.Equal(at) {
					t.Errorf("attempt at %v: Message-ID %q Date %v, want %q", at, m.MessageID, m.Date, tt.want)
				}
			}
		})
	}
}

func ids(ms []*ent.EmailMessage) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func TestScopedToViewer(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		e := setup(t, st)
		row := enqueue(t, e, invoiceMail())
		v, _ := viewer.FromContext(e.ctx)

		live := viewer.NewContext(e.ctx, viewer.Viewer{AccountID: v.AccountID, Mode: viewer.Live})
		b, err := accounts.New(st.Client).Create(e.ctx, "Other")
		if err != nil {
			t.Fatal(err)
		}
		other := viewer.NewContext(e.ctx, viewer.Viewer{AccountID: b.ID, Mode: viewer.Test})
		for name, ctx := range map[string]context.Context{"live mode": live, "other account": other} {
			if list, err := outbox.List(ctx, st.Client, outbox.Filter{}, 10); err != nil || len(list) != 0 {
				t.Errorf("%s lists %d messages (%v)", name, len(list), err)
			}
			if _, err := outbox.Get(ctx, st.Client, row.ID); usererr.From(err) == nil || usererr.From(err)[0].Code != usererr.NotFound {
				t.Errorf("%s: Get err = %v, want NOT_FOUND", name, err)
			}
		}
		// No viewer, no data.
		if _, err := st.Client.EmailMessage.Query().All(context.Background()); err == nil {
			t.Error("query without a viewer succeeded")
		}
	})
}

func TestValidate(t *testing.T) {
	big := make([]byte, outbox.MaxAttachmentBytes/2+1)
	for _, tc := range []struct {
		name  string
		edit  func(*outbox.Message)
		field string
		code  usererr.Code
	}{
		{"no kind", func(m *outbox.Message) { m.Kind = "" }, "kind", usererr.Required},
		{"bad kind", func(m *outbox.Message) { m.Kind = "Invoice Sent" }, "kind", usererr.Invalid},
		{"bad invoice id", func(m *outbox.Message) { m.InvoiceID = "nope" }, "invoiceId", usererr.Invalid},
		{"bad from", func(m *outbox.Message) { m.From.Email = "Acme <billing@acme.example>" }, "from.email", usererr.InvalidEmail},
		{"from name with newline", func(m *outbox.Message) { m.From.Name = "Acme\r\nBcc: x@y.z" }, "from.name", usererr.Invalid},
		{"bad reply-to", func(m *outbox.Message) { m.ReplyTo = "support" }, "replyTo", usererr.InvalidEmail},
		{"no recipient", func(m *outbox.Message) { m.To = nil }, "to", usererr.Required},
		{"bad to", func(m *outbox.Message) { m.To = []string{"a@example.com", "b@localhost"} }, "to.1", usererr.InvalidEmail},
		{"bad cc", func(m *outbox.Message) { m.Cc = []string{""} }, "cc.0", usererr.InvalidEmail},
		{"bad bcc", func(m *outbox.Message) { m.Bcc = []string{"x"} }, "bcc.0", usererr.InvalidEmail},
		{"too many recipients", func(m *outbox.Message) {
			m.Bcc = nil
			for range outbox.MaxRecipients {
				m.Bcc = append(m.Bcc, "x@example.com")
			}
		}, "to", usererr.LimitExceeded},
		{"no subject", func(m *outbox.Message) { m.Subject = " " }, "subject", usererr.Required},
		{"subject header injection", func(m *outbox.Message) { m.Subject = "Hi\nBcc: victim@example.com" }, "subject", usererr.Invalid},
		{"long subject", func(m *outbox.Message) { m.Subject = strings.Repeat("x", outbox.MaxSubjectLen+1) }, "subject", usererr.Invalid},
		{"no body", func(m *outbox.Message) { m.Text, m.HTML = "", "" }, "text", usererr.Required},
		{"huge body", func(m *outbox.Message) { m.HTML = strings.Repeat("x", outbox.MaxBodyBytes+1) }, "html", usererr.LimitExceeded},
		{"invalid utf-8", func(m *outbox.Message) { m.Text = "caf\xe9" }, "text", usererr.Invalid},
		{"attachment name", func(m *outbox.Message) { m.Attachments[0].Name = "../etc/passwd" }, "attachments.0.name", usererr.Invalid},
		{"attachment type", func(m *outbox.Message) { m.Attachments[0].ContentType = "pdf" }, "attachments.0.contentType", usererr.Invalid},
		{"empty attachment", func(m *outbox.Message) { m.Attachments[0].Data = nil }, "attachments.0.data", usererr.Required},
		{"attachments too big", func(m *outbox.Message) {
			m.Attachments = []mail.Attachment{{Name: "a.bin", ContentType: "application/octet-stream", Data: big}, {Name: "b.bin", ContentType: "application/octet-stream", Data: big}}
		}, "attachments", usererr.LimitExceeded},
		{"render kind", func(m *outbox.Message) {
			m.Render = []values.DocumentRef{{Kind: "Invoice PDF", ID: "in_01kf3qv0m0a0b0c0d0e0f0g0h0"}}
		}, "render.0.kind", usererr.Invalid},
		{"render id", func(m *outbox.Message) { m.Render = []values.DocumentRef{{Kind: "receipt", ID: "py_nope"}} }, "render.0.id", usererr.Invalid},
		{"attachments and renders too many", func(m *outbox.Message) {
			m.Render = make([]values.DocumentRef, outbox.MaxAttachments)
			for i := range m.Render {
				m.Render[i] = values.DocumentRef{Kind: "invoice", ID: "in_01kf3qv0m0a0b0c0d0e0f0g0h0"}
			}
		}, "attachments", usererr.LimitExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := invoiceMail()
			m.Attachments = append([]mail.Attachment(nil), m.Attachments...)
			tc.edit(&m)
			errs := usererr.From(outbox.Validate(m))
			for _, e := range errs {
				if strings.Join(e.Field, ".") == tc.field && e.Code == tc.code {
					return
				}
			}
			t.Fatalf("errors %v, want %s at %s", errs, tc.code, tc.field)
		})
	}
	if err := outbox.Validate(invoiceMail()); err != nil {
		t.Fatalf("valid message: %v", err)
	}
}

func TestEnqueueRefusesInvalid(t *testing.T) {
	st := storetest.Open(t, "sqlite3")
	e := setup(t, st)
	m := invoiceMail()
	m.To = []string{"not-an-address"}
	err := dbtx.Run(e.ctx, st.Client, func(tx *ent.Tx) error {
		_, err := outbox.Enqueue(e.ctx, tx, m)
		return err
	})
	if usererr.From(err) == nil {
		t.Fatalf("err = %v, want a user error", err)
	}
	if n, _ := st.Client.EmailMessage.Query().Count(e.ctx); n != 0 {
		t.Fatalf("%d messages stored", n)
	}
}

func TestScheduledSend(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		e := setup(t, st)
		m := invoiceMail()
		m.SendAt = start.Add(48 * time.Hour)
		row := enqueue(t, e, m)
		if !row.NextAttemptAt.Equal(m.SendAt) {
			t.Fatalf("next_attempt_at = %v, want %v", row.NextAttemptAt, m.SendAt)
		}
		claimed, err := outbox.Claim(e.ctx, st.Client, st.Dialect, "w1", 10, 30*time.Second)
		if err != nil || len(claimed) != 0 {
			t.Fatalf("claimed %d (%v) before the scheduled time", len(claimed), err)
		}
		e.clk.Set(m.SendAt)
		claimed, err = outbox.Claim(e.ctx, st.Client, st.Dialect, "w1", 10, 30*time.Second)
		if err != nil || len(claimed) != 1 {
			t.Fatalf("claimed %d (%v) at the scheduled time", len(claimed), err)
		}
	})
}

func TestClaimAndLeases(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		e := setup(t, st)
		a := enqueue(t, e, invoiceMail())
		e.clk.Advance(time.Second)
		b := enqueue(t, e, invoiceMail())
		e.clk.Advance(time.Second)
		now := e.clk.Now()
		c := context.Background() // the worker has no viewer: Claim is system work
		c = clock.WithContext(c, e.clk)

		got, err := outbox.Claim(c, st.Client, st.Dialect, "w1", 1, 30*time.Second)
		if err != nil || len(got) != 1 || got[0].ID != a.ID {
			t.Fatalf("first claim = %v, %v; want the oldest, %s", ids(got), err, a.ID)
		}
		m := got[0]
		until := now.Add(30 * time.Second)
		if m.Status != emailmessage.StatusSending || m.Attempts != 1 || m.LeaseOwner != "w1" || !m.LeaseUntil.Equal(until) || !m.NextAttemptAt.Equal(until) {
			t.Fatalf("claimed row: %s attempts %d owner %s lease %v next %v", m.Status, m.Attempts, m.LeaseOwner, m.LeaseUntil, m.NextAttemptAt)
		}
		stored, _ := outbox.Get(e.ctx, st.Client, a.ID)
		if stored.Status != emailmessage.StatusSending || stored.Attempts != 1 || stored.LeaseOwner != "w1" || !stored.LeaseUntil.Equal(until) {
			t.Fatalf("stored row: %s attempts %d owner %s lease %v", stored.Status, stored.Attempts, stored.LeaseOwner, stored.LeaseUntil)
		}

		got, err = outbox.Claim(c, st.Client, st.Dialect, "w2", 10, 30*time.Second)
		if err != nil || len(got) != 1 || got[0].ID != b.ID {
			t.Fatalf("second claim = %v, %v; want only %s (the other is leased)", ids(got), err, b.ID)
		}
		if err := outbox.MarkSent(c, st.Client, got[0]); err != nil {
			t.Fatal(err)
		}

		// w1 dies; its lease expires and w2 takes the message over.
		e.clk.Advance(31 * time.Second)
		got, err = outbox.Claim(c, st.Client, st.Dialect, "w2", 10, 30*time.Second)
		if err != nil || len(got) != 1 || got[0].ID != a.ID || got[0].Attempts != 2 {
			t.Fatalf("claim after expiry = %v, %v", ids(got), err)
		}
		// w1 wakes up: its outcome is not recorded over w2's claim.
		if err := outbox.MarkSent(c, st.Client, m); !errors.Is(err, outbox.ErrLeaseLost) {
			t.Fatalf("late MarkSent: err = %v, want ErrLeaseLost", err)
		}
		next := e.clk.Now().Add(time.Minute)
		if err := outbox.MarkRetry(c, st.Client, got[0], next, errors.New("451 4.3.0 try later")); err != nil {
			t.Fatal(err)
		}
		stored, _ = outbox.Get(e.ctx, st.Client, a.ID)
		if stored.Status != emailmessage.StatusQueued || stored.Attempts != 2 || !stored.NextAttemptAt.Equal(next) || stored.LastError != "451 4.3.0 try later" || stored.LeaseUntil != nil {
			t.Fatalf("after retry: %s attempts %d next %v err %q lease %v", stored.Status, stored.Attempts, stored.NextAttemptAt, stored.LastError, stored.LeaseUntil)
		}

		// Requeue only FAILED messages.
		if _, err := outbox.Requeue(e.ctx, st.Client, a.ID); usererr.From(err) == nil {
			t.Fatalf("requeue of a QUEUED message: %v", err)
		}
		e.clk.Set(next)
		got, _ = outbox.Claim(c, st.Client, st.Dialect, "w2", 10, 30*time.Second)
		if len(got) != 1 {
			t.Fatalf("claimed %d", len(got))
		}
		if err := outbox.MarkFailed(c, st.Client, got[0], errors.New(strings.Repeat("é", 3000))); err != nil {
			t.Fatal(err)
		}
		stored, _ = outbox.Get(e.ctx, st.Client, a.ID)
		if stored.Status != emailmessage.StatusFailed || len([]rune(stored.LastError)) != outbox.MaxErrorLen {
			t.Fatalf("after failure: %s, error of %d characters", stored.Status, len([]rune(stored.LastError)))
		}
		again, err := outbox.Requeue(e.ctx, st.Client, a.ID)
		if err != nil || again.Status != emailmessage.StatusQueued || again.Attempts != 0 || !again.NextAttemptAt.Equal(e.clk.Now()) {
			t.Fatalf("requeue: %+v, %v", again, err)
		}
	})
}
