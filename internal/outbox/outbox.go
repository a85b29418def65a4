// Package outbox is the durable queue of outgoing email.
//
// A message is written with Enqueue inside the transaction of the action
// that causes it (finalizing an invoice, a failed payment, a login code), so
// it exists exactly when that action committed, and it survives restarts
// until delivered. The background worker (internal/worker) claims due
// messages with Claim, sends them, and records the outcome with MarkSent,
// MarkRetry or MarkFailed; List and Get show each message's status (QUEUED,
// SENDING, SENT, FAILED with the error) to the account it belongs to. With
// no SMTP server configured messages simply stay QUEUED, readable here.
//
// Rows are scoped like every row (account and mode from the viewer); the
// delivery functions work across accounts and say so with an explicit
// system privacy decision.
package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"entgo.io/ent/dialect/sql"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/emailmessage"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/ids"
	"github.com/remitbilling/remit/internal/mail"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/validate"
	"github.com/remitbilling/remit/internal/values"
)

// IDPrefix is the prefix of message ids ("em_…").
const IDPrefix = "em"

// Limits of one message. SMTP servers commonly refuse messages over 10–25
// MB; attachments grow by a third in base64.
const (
	MaxKindLen         = 64
	MaxRecipients      = 50 // To, Cc and Bcc together
	MaxNameLen         = 256
	MaxSubjectLen      = 998 // the RFC 5322 line limit
	MaxBodyBytes       = 1 << 20
	MaxAttachments     = 10
	MaxAttachmentName  = 255
	MaxAttachmentBytes = 10 << 20 // all attachments together
)

// Message is an email to enqueue.
type Message struct {
	// Kind says what the message is about: invoice, invoice_updated,
	// payment_failed, login_code… (lowercase letters, digits, _ and .).
	Kind string
	// InvoiceID links the message to an invoice, to list it there.
	InvoiceID string

	From    mail.Address
	ReplyTo string
	To      []string
	Cc      []string
	Bcc     []string

	Subject string
	Text    string
	HTML    string

	Attachments []mail.Attachment
	// Render names documents the worker renders and attaches, after
	// Attachments, when it delivers the message: a message queued in the
	// transaction of a payment carries no PDF rendered inside it, and its
	// documents show the rows as they stand once that transaction
	// committed.
	Render []values.DocumentRef

	// SendAt schedules the message; zero (or a past time) means now.
	SendAt time.Time
}

// Enqueue validates m and writes it, QUEUED, in tx: it is delivered only if
// tx commits. The row belongs to the viewer in ctx. Invalid input is
// reported as usererr errors, with field paths such as ["to", "1"].
func Enqueue(ctx context.Context, tx *ent.Tx, m Message) (*ent.EmailMessage, error) {
	if err := Validate(m); err != nil {
		return nil, err
	}
	now := clock.Now(ctx)
	// Due now in the process's time, even when ctx runs on a test clock:
	// the worker delivers by the process's clock.
	at := clock.Base(ctx).Now().UTC().Truncate(time.Microsecond)
	if m.SendAt.After(now) {
		at = m.SendAt.UTC().Truncate(time.Microsecond)
	}
	id := ids.New(IDPrefix, now)
	c := tx.EmailMessage.Create().
		SetID(id).
		SetKind(m.Kind).
		SetFrom(m.From.Email).
		SetFromName(m.From.Name).
		SetReplyTo(m.ReplyTo).
		SetTo(m.To).
		SetSubject(m.Subject).
		SetTextBody(m.Text).
		SetHTMLBody(m.HTML).
		SetMessageID(messageID(id, m.From.Email)).
		SetStatus(emailmessage.StatusQueued).
		SetNextAttemptAt(at)
	if m.InvoiceID != "" {
		c.SetInvoiceID(m.InvoiceID)
	}
	if len(m.Cc) > 0 {
		c.SetCc(m.Cc)
	}
	if len(m.Bcc) > 0 {
		c.SetBcc(m.Bcc)
	}
	if len(m.Attachments) > 0 {
		b, err := json.Marshal(m.Attachments)
		if err != nil {
			return nil, fmt.Errorf("outbox: encode attachments: %w", err)
		}
		c.SetAttachments(b)
	}
	if len(m.Render) > 0 {
		c.SetRenderedAttachments(m.Render)
	}
	row, err := c.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("outbox: enqueue: %w", err)
	}
	return row, nil
}

// messageID is the Message-ID of message id sent from addr. It depends on
// the row alone, never on the attempt: delivery is at least once (a crash
// after the SMTP server accepted a message and before MarkSent recorded it
// sends it again), and receivers drop a second copy by its Message-ID.
func messageID(id, addr string) string {
	return id + "@" + messageIDDomain(addr)
}

// messageIDDomain is the right side of a Message-ID: the sender's domain,
// or a neutral one when that is internationalized (Message-IDs are ASCII).
func messageIDDomain(addr string) string {
	d := addr[strings.LastIndexByte(addr, '@')+1:]
	for i := 0; i < len(d); i++ {
		if d[i] >= utf8.RuneSelf {
			return "remit.invalid"
		}
	}
	return d
}

// Validate checks m as Enqueue does.
func Validate(m Message) error {
	var errs usererr.List
	add := func(code usererr.Code, msg string, field ...string) {
		errs = append(errs, usererr.New(code, msg, field...))
	}
	switch {
	case m.Kind == "":
		add(usererr.Required, "a message needs a kind", "kind")
	case len(m.Kind) > MaxKindLen || strings.IndexFunc(m.Kind, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' && r != '.'
	}) >= 0:
		add(usererr.Invalid, fmt.Sprintf("kind must be 1-%d lowercase letters, digits, _ or .", MaxKindLen), "kind")
	}
	if m.InvoiceID != "" && !ids.Valid(m.InvoiceID) {
		add(usererr.Invalid, "not an invoice id", "invoiceId")
	}
	errs.Add(validate.Email(m.From.Email), "from", "email")
	if !header(m.From.Name, MaxNameLen) {
		add(usererr.Invalid, fmt.Sprintf("the sender name must be at most %d characters on one line", MaxNameLen), "from", "name")
	}
	if m.ReplyTo != "" {
		errs.Add(validate.Email(m.ReplyTo), "replyTo")
	}
	if len(m.To) == 0 {
		add(usererr.Required, "a message needs at least one recipient", "to")
	}
	if n := len(m.To) + len(m.Cc) + len(m.Bcc); n > MaxRecipients {
		add(usererr.LimitExceeded, fmt.Sprintf("%d recipients; at most %d are allowed", n, MaxRecipients), "to")
	}
	for _, list := range []struct {
		field string
		addrs []string
	}{{"to", m.To}, {"cc", m.Cc}, {"bcc", m.Bcc}} {
		for i, a := range list.addrs {
			errs.Add(validate.Email(a), list.field, fmt.Sprint(i))
		}
	}
	switch {
	case strings.TrimSpace(m.Subject) == "":
		add(usererr.Required, "a message needs a subject", "subject")
	case !header(m.Subject, MaxSubjectLen):
		add(usererr.Invalid, fmt.Sprintf("the subject must be at most %d characters on one line", MaxSubjectLen), "subject")
	}
	if m.Text == "" && m.HTML == "" {
		add(usererr.Required, "a message needs a text or an HTML body", "text")
	}
	for _, b := range []struct{ field, body string }{{"text", m.Text}, {"html", m.HTML}} {
		switch {
		case len(b.body) > MaxBodyBytes:
			add(usererr.LimitExceeded, fmt.Sprintf("the body is %d bytes; at most %d are allowed", len(b.body), MaxBodyBytes), b.field)
		case !utf8.ValidString(b.body):
			add(usererr.Invalid, "the body is not valid UTF-8", b.field)
		}
	}
	if n := len(m.Attachments) + len(m.Render); n > MaxAttachments {
		add(usererr.LimitExceeded, fmt.Sprintf("%d attachments; at most %d are allowed", n, MaxAttachments), "attachments")
	}
	for i, r := range m.Render {
		if r.Kind == "" || strings.IndexFunc(r.Kind, func(c rune) bool { return (c < 'a' || c > 'z') && c != '_' }) >= 0 {
			add(usererr.Invalid, "a document to render needs a kind of lowercase letters and _", "render", fmt.Sprint(i), "kind")
		}
		if !ids.Valid(r.ID) {
			add(usererr.Invalid, "not an id", "render", fmt.Sprint(i), "id")
		}
	}
	total := 0
	for i, a := range m.Attachments {
		at := func(f string) []string { return []string{"attachments", fmt.Sprint(i), f} }
		if a.Name == "" || !header(a.Name, MaxAttachmentName) || strings.ContainsAny(a.Name, `/\`) {
			add(usererr.Invalid, fmt.Sprintf("an attachment needs a file name of at most %d characters, without / or \\", MaxAttachmentName), at("name")...)
		}
		if _, _, err := mime.ParseMediaType(a.ContentType); err != nil || !strings.Contains(a.ContentType, "/") {
			add(usererr.Invalid, "not a MIME type such as application/pdf", at("contentType")...)
		}
		if len(a.Data) == 0 {
			add(usererr.Required, "the attachment is empty", at("data")...)
		}
		total += len(a.Data)
	}
	if total > MaxAttachmentBytes {
		add(usererr.LimitExceeded, fmt.Sprintf("attachments total %d bytes; at most %d are allowed", total, MaxAttachmentBytes), "attachments")
	}
	return errs.Err()
}

// header reports whether s fits one header line of at most n characters
// without control characters.
func header(s string, n int) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > n {
		return false
	}
	return strings.IndexFunc(s, unicode.IsControl) < 0
}

// Attachments decodes the attachments of a stored message.
func Attachments(m *ent.EmailMessage) ([]mail.Attachment, error) {
	if len(m.Attachments) == 0 {
		return nil, nil
	}
	var out []mail.Attachment
	if err := json.Unmarshal(m.Attachments, &out); err != nil {
		return nil, fmt.Errorf("outbox: message %s: decode attachments: %w", m.ID, err)
	}
	return out, nil
}

// ToMail returns the message to hand to a mail.Sender, dated at. Every
// attempt at m gets the same Message-ID (see messageID); only Date is the
// attempt's.
func ToMail(m *ent.EmailMessage, at time.Time) (mail.Message, error) {
	atts, err := Attachments(m)
	if err != nil {
		return mail.Message{}, err
	}
	mid := m.MessageID
	if mid == "" {
		// Enqueue always stores one; should a row lack it, derive the same
		// one again rather than let the sender invent a new one per attempt.
		mid = messageID(m.ID, m.From)
	}
	return mail.Message{
		MessageID:   mid,
		Date:        at,
		From:        mail.Address{Name: m.FromName, Email: m.From},
		ReplyTo:     m.ReplyTo,
		To:          m.To,
		Cc:          m.Cc,
		Bcc:         m.Bcc,
		Subject:     m.Subject,
		Text:        m.TextBody,
		HTML:        m.HTMLBody,
		Attachments: atts,
	}, nil
}

// Get returns the viewer's message id.
func Get(ctx context.Context, client *ent.Client, id string) (*ent.EmailMessage, error) {
	m, err := client.EmailMessage.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, usererr.New(usererr.NotFound, "no such email message", "id")
	}
	if err != nil {
		return nil, fmt.Errorf("outbox: get %s: %w", id, err)
	}
	return m, nil
}

// Filter narrows a listing; zero fields do not filter.
type Filter struct {
	InvoiceID string
	Kind      string
	Statuses  []emailmessage.Status
}

// Apply adds the filter to q.
func (f Filter) Apply(q *ent.EmailMessageQuery) *ent.EmailMessageQuery {
	if f.InvoiceID != "" {
		q = q.Where(emailmessage.InvoiceID(f.InvoiceID))
	}
	if f.Kind != "" {
		q = q.Where(emailmessage.Kind(f.Kind))
	}
	if len(f.Statuses) > 0 {
		q = q.Where(emailmessage.StatusIn(f.Statuses...))
	}
	return q
}

// List returns the viewer's messages matching f, newest first, at most
// limit (1–1000).
func List(ctx context.Context, client *ent.Client, f Filter, limit int) ([]*ent.EmailMessage, error) {
	limit = min(max(limit, 1), 1000)
	out, err := f.Apply(client.EmailMessage.Query()).
		Order(emailmessage.ByCreatedAt(sql.OrderDesc()), emailmessage.ByID(sql.OrderDesc())).
		Limit(limit).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("outbox: list: %w", err)
	}
	return out, nil
}

// Requeue puts a FAILED message of the viewer back in the queue, due now,
// with a fresh count of attempts (an operator fixed the cause).
func Requeue(ctx context.Context, client *ent.Client, id string) (*ent.EmailMessage, error) {
	m, err := Get(ctx, client, id)
	if err != nil {
		return nil, err
	}
	if m.Status != emailmessage.StatusFailed {
		return nil, usererr.New(usererr.InvalidTransition, fmt.Sprintf("only a FAILED message can be queued again; this one is %s", m.Status), "id")
	}
	n, err := client.EmailMessage.Update().
		Where(emailmessage.ID(id), emailmessage.StatusEQ(emailmessage.StatusFailed)).
		SetStatus(emailmessage.StatusQueued).
		SetAttempts(0).
		SetNextAttemptAt(clock.Now(ctx)).
		ClearLeaseUntil().
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("outbox: requeue %s: %w", id, err)
	}
	if n == 0 {
		return nil, usererr.New(usererr.InvalidTransition, "the message changed meanwhile; only a FAILED message can be queued again", "id")
	}
	return Get(ctx, client, id)
}
