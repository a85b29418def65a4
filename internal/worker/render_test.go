package worker_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/remitbilling/remit/ent/emailmessage"
	"github.com/remitbilling/remit/ent/privacy"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/mail"
	"github.com/remitbilling/remit/internal/mail/mailtest"
	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/store/storetest"
	"github.com/remitbilling/remit/internal/values"
	"github.com/remitbilling/remit/internal/viewer"
	"github.com/remitbilling/remit/internal/worker"
)

// fakeDocuments renders a document as its kind and id, and records the
// viewer, clock and privacy decision each render ran with.
type fakeDocuments struct {
	mu    sync.Mutex
	fail  error
	calls []renderCall
}

type renderCall struct {
	ref      values.DocumentRef
	viewer   viewer.Viewer
	now      time.Time
	bypassed bool
}

func (f *fakeDocuments) RenderDocument(ctx context.Context, ref values.DocumentRef) (mail.Attachment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, _ := viewer.FromContext(ctx)
	_, bypassed := privacy.DecisionFromContext(ctx)
	f.calls = append(f.calls, renderCall{ref, v, clock.Now(ctx), bypassed})
	if f.fail != nil {
		return mail.Attachment{}, f.fail
	}
	return mail.Attachment{Name: ref.Kind + ".pdf", ContentType: "application/pdf", Data: []byte("%PDF " + ref.ID)}, nil
}

var receiptDocs = []values.DocumentRef{
	{Kind: "invoice", ID: "in_01kf3qv0m0a0b0c0d0e0f0g0h0"},
	{Kind: "receipt", ID: "py_01kf3qv0m0a0b0c0d0e0f0g0h0"},
}

// TestRenderedAttachments: documents a message names are rendered at
// delivery, as the message's account and mode and on the worker's clock
// but without the worker's privacy bypass, and attached after the stored
// attachments.
func TestRenderedAttachments(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		e := setup(t, st)
		srv := mailtest.Start(t, mailtest.Options{})
		docs := &fakeDocuments{}
		j := job(e, smtpSender(t, srv), worker.EmailOptions{Documents: docs})
		m := invoiceMail(0)
		m.Kind, m.Render = "receipt", receiptDocs
		row := enqueueMessage(t, e, m)

		if n := drain(t, allow(e), j); n != 1 || srv.Count() != 1 {
			t.Fatalf("claimed %d, server got %d", n, srv.Count())
		}
		p, err := srv.Messages()[0].Parse()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, a := range p.Attachments {
			names = append(names, a.Name+"="+string(a.Data[:min(len(a.Data), 8)]))
		}
		if len(p.Attachments) != 3 || p.Attachments[0].Name != "INV-0000.pdf" ||
			p.Attachments[1].Name != "invoice.pdf" || string(p.Attachments[1].Data) != "%PDF "+receiptDocs[0].ID ||
			p.Attachments[2].Name != "receipt.pdf" || string(p.Attachments[2].Data) != "%PDF "+receiptDocs[1].ID {
			t.Errorf("attachments %v", names)
		}
		want, _ := viewer.FromContext(e.ctx)
		if len(docs.calls) != 2 {
			t.Fatalf("%d renders, want 2", len(docs.calls))
		}
		for _, c := range docs.calls {
			if c.viewer.AccountID != want.AccountID || c.viewer.Mode != viewer.Test || c.viewer.CustomerID != "" || c.bypassed || !c.now.Equal(e.clk.Now()) {
				t.Errorf("render of %v as %+v at %v, bypass %v", c.ref, c.viewer, c.now, c.bypassed)
			}
		}
		if got := get(t, e, row.ID); got.Status != emailmessage.StatusSent {
			t.Errorf("status %s", got.Status)
		}
	})
}

// TestRenderFailureIsRetried: a document that cannot be rendered is a
// temporary failure, tried again after the backoff, and nothing is sent
// without it.
func TestRenderFailureIsRetried(t *testing.T) {
	st := storetest.Open(t, "sqlite3")
	e := setup(t, st)
	srv := mailtest.Start(t, mailtest.Options{})
	docs := &fakeDocuments{fail: errors.New("engine out of memory")}
	j := job(e, smtpSender(t, srv), worker.EmailOptions{Documents: docs, Backoff: func(int) time.Duration { return time.Minute }})
	m := invoiceMail(0)
	m.Render = receiptDocs
	row := enqueueMessage(t, e, m)

	if n := drain(t, allow(e), j); n != 1 || srv.Count() != 0 {
		t.Fatalf("claimed %d, server got %d", n, srv.Count())
	}
	got := get(t, e, row.ID)
	if got.Status != emailmessage.StatusQueued || got.Attempts != 1 || !strings.Contains(got.LastError, "engine out of memory") ||
		!strings.Contains(got.LastError, "invoice "+receiptDocs[0].ID) || !got.NextAttemptAt.Equal(e.clk.Now().Add(time.Minute)) {
		t.Fatalf("after a failed render: %s attempts %d error %q next %v", got.Status, got.Attempts, got.LastError, got.NextAttemptAt)
	}
	docs.fail = nil
	e.clk.Advance(time.Minute)
	if n := drain(t, allow(e), j); n != 1 || srv.Count() != 1 {
		t.Fatalf("retry: claimed %d, server got %d", n, srv.Count())
	}
	if got := get(t, e, row.ID); got.Status != emailmessage.StatusSent || got.Attempts != 2 {
		t.Errorf("after the retry: %s attempts %d", got.Status, got.Attempts)
	}
}

// TestNoRendererFailsMessagesThatNeedOne: without a renderer a message
// naming documents fails at once, saying why; others are sent.
func TestNoRendererFailsMessagesThatNeedOne(t *testing.T) {
	st := storetest.Open(t, "sqlite3")
	e := setup(t, st)
	srv := mailtest.Start(t, mailtest.Options{})
	j := job(e, smtpSender(t, srv), worker.EmailOptions{})
	m := invoiceMail(0)
	m.Render = receiptDocs
	needs := enqueueMessage(t, e, m)
	plain := enqueueMessage(t, e, invoiceMail(1))

	if n := drain(t, allow(e), j); n != 2 || srv.Count() != 1 {
		t.Fatalf("claimed %d, server got %d", n, srv.Count())
	}
	if got := get(t, e, needs.ID); got.Status != emailmessage.StatusFailed || !strings.Contains(got.LastError, "no document renderer") {
		t.Errorf("message needing a renderer: %s %q", got.Status, got.LastError)
	}
	if got := get(t, e, plain.ID); got.Status != emailmessage.StatusSent {
		t.Errorf("plain message: %s", got.Status)
	}
}
