package mail_test

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/mail"
	"github.com/remitbilling/remit/internal/mail/mailtest"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want mail.Config
	}{
		{"smtp://mail.example.com", mail.Config{Host: "mail.example.com", Port: 587, Security: mail.STARTTLS, Auth: "PLAIN", Timeout: mail.DefaultTimeout}},
		{"smtps://mail.example.com", mail.Config{Host: "mail.example.com", Port: 465, Security: mail.ImplicitTLS, Auth: "PLAIN", Timeout: mail.DefaultTimeout}},
		{"smtp://u%40x:p%3Ass@mail.example.com:2525?tls=required&auth=login&timeout=5s&helo=remit.example.com",
			mail.Config{Host: "mail.example.com", Port: 2525, Username: "u@x", Password: "p:ss", Security: mail.STARTTLSRequired, Auth: "LOGIN", Timeout: 5 * time.Second, HELO: "remit.example.com"}},
		{"smtp://127.0.0.1:1025?tls=none", mail.Config{Host: "127.0.0.1", Port: 1025, Security: mail.NoTLS, Auth: "PLAIN", Timeout: mail.DefaultTimeout}},
		{"smtps://[::1]:4650/", mail.Config{Host: "::1", Port: 4650, Security: mail.ImplicitTLS, Auth: "PLAIN", Timeout: mail.DefaultTimeout}},
	} {
		got, err := mail.ParseURL(tc.url)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", tc.url, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseURL(%q) = %+v, want %+v", tc.url, got, tc.want)
		}
	}
	for _, bad := range []string{
		"http://mail.example.com",
		"smtp://",
		"smtp://user:secret@mail.example.com:0",
		"smtp://user:secret@mail.example.com:99999",
		"smtp://user:secret@mail.example.com?tls=maybe",
		"smtps://user:secret@mail.example.com?tls=none",
		"smtp://user:secret@mail.example.com?auth=kerberos",
		"smtp://user:secret@mail.example.com?timeout=-1s",
		"smtp://user:secret@mail.example.com?tsl=required",
		"smtp://user:secret@mail.example.com/path",
	} {
		_, err := mail.ParseURL(bad)
		if err == nil {
			t.Errorf("ParseURL(%q) accepted", bad)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("ParseURL(%q) error echoes the password: %v", bad, err)
		}
	}
}

func message(to ...string) mail.Message {
	return mail.Message{
		MessageID: "em_test1@example.com",
		Date:      time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC),
		From:      mail.Address{Name: "Acmé SAS", Email: "billing@example.com"},
		ReplyTo:   "support@example.com",
		To:        to,
		Cc:        []string{"cc@example.org"},
		Bcc:       []string{"archive@example.com"},
		Subject:   "Facture n° 42 — à régler",
		Text:      "Bonjour,\nvotre facture est jointe.\n",
		HTML:      "<p>Bonjour, votre facture est jointe.</p>",
		Attachments: []mail.Attachment{
			{Name: "facture-42.pdf", ContentType: "application/pdf", Data: append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte{0, 1, 2, 0xff}, 1000)...)},
		},
	}
}

func sender(t *testing.T, srv *mailtest.Server, opts ...mail.Option) *mail.SMTP {
	t.Helper()
	s, err := mail.NewSMTP(srv.URL(), append([]mail.Option{mail.WithTLSConfig(srv.TLSConfig())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func checkDelivered(t *testing.T, got mailtest.Received, want mail.Message) {
	t.Helper()
	if got.From != want.From.Email {
		t.Errorf("MAIL FROM = %q, want %q", got.From, want.From.Email)
	}
	rcpts := append(append(append([]string{}, want.To...), want.Cc...), want.Bcc...)
	if strings.Join(got.To, ",") != strings.Join(rcpts, ",") {
		t.Errorf("RCPT TO = %v, want %v", got.To, rcpts)
	}
	p, err := got.Parse()
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != want.Subject {
		t.Errorf("Subject = %q, want %q", p.Subject, want.Subject)
	}
	if p.MessageID != want.MessageID {
		t.Errorf("Message-ID = %q, want %q", p.MessageID, want.MessageID)
	}
	if len(p.From) != 1 || p.From[0] != want.From.Name+" <"+want.From.Email+">" {
		t.Errorf("From = %v, want %s <%s>", p.From, want.From.Name, want.From.Email)
	}
	if strings.Join(p.To, ",") != strings.Join(want.To, ",") {
		t.Errorf("To = %v, want %v", p.To, want.To)
	}
	if strings.Join(p.Cc, ",") != strings.Join(want.Cc, ",") {
		t.Errorf("Cc = %v, want %v", p.Cc, want.Cc)
	}
	if len(p.ReplyTo) != 1 || p.ReplyTo[0] != want.ReplyTo {
		t.Errorf("Reply-To = %v, want %v", p.ReplyTo, want.ReplyTo)
	}
	if p.Header.Get("Bcc") != "" || bytes.Contains(got.Data, []byte("archive@example.com")) {
		t.Errorf("the Bcc address leaked into the message")
	}
	if d, err := p.Header.Date(); err != nil || !d.Equal(want.Date) {
		t.Errorf("Date = %v (%v), want %v", d, err, want.Date)
	}
	if p.Header.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("Auto-Submitted = %q", p.Header.Get("Auto-Submitted"))
	}
	if strings.ReplaceAll(p.Text, "\r\n", "\n") != want.Text {
		t.Errorf("text = %q, want %q", p.Text, want.Text)
	}
	if p.HTML != want.HTML {
		t.Errorf("html = %q, want %q", p.HTML, want.HTML)
	}
	if len(p.Attachments) != len(want.Attachments) {
		t.Fatalf("%d attachments, want %d", len(p.Attachments), len(want.Attachments))
	}
	for i, a := range p.Attachments {
		w := want.Attachments[i]
		if a.Name != w.Name || a.ContentType != w.ContentType || !bytes.Equal(a.Data, w.Data) {
			t.Errorf("attachment %d = %s %s (%d bytes), want %s %s (%d bytes)", i, a.Name, a.ContentType, len(a.Data), w.Name, w.ContentType, len(w.Data))
		}
	}
}

func TestSendPlain(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	s := sender(t, srv)
	m := message("jenny@example.org")
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("server got %d messages, want 1", len(got))
	}
	if got[0].TLS {
		t.Error("tls=none session was encrypted")
	}
	checkDelivered(t, got[0], m)
}

func TestSendSTARTTLS(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{STARTTLS: true, Username: "remit", Password: "s3cr:t"})
	s := sender(t, srv) // URL says tls=required
	m := message("jenny@example.org")
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 1 || !got[0].TLS || got[0].User != "remit" {
		t.Fatalf("got %+v, want one message over TLS from user remit", got)
	}
	checkDelivered(t, got[0], m)

	// Opportunistic STARTTLS upgrades too.
	opp, err := mail.NewSMTP(strings.Replace(srv.URL(), "tls=required", "tls=opportunistic", 1), mail.WithTLSConfig(srv.TLSConfig()))
	if err != nil {
		t.Fatal(err)
	}
	defer opp.Close()
	if err := opp.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got := srv.Messages(); len(got) != 2 || !got[1].TLS {
		t.Fatalf("opportunistic: got %d messages (tls %v)", len(got), len(got) == 2 && got[1].TLS)
	}

	// Without trusting the certificate, the handshake fails: temporary.
	untrusted, err := mail.NewSMTP(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	err = untrusted.Send(context.Background(), m)
	if err == nil || mail.Permanent(err) {
		t.Fatalf("untrusted certificate: err = %v, want a temporary error", err)
	}

	// A wrong password is the operator's problem: temporary.
	u, _ := url.Parse(srv.URL())
	u.User = url.UserPassword("remit", "wrong")
	bad, err := mail.NewSMTP(u.String(), mail.WithTLSConfig(srv.TLSConfig()))
	if err != nil {
		t.Fatal(err)
	}
	err = bad.Send(context.Background(), m)
	if err == nil || mail.Permanent(err) {
		t.Fatalf("wrong password: err = %v, want a temporary error", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error echoes the password: %v", err)
	}
	if n := srv.Count(); n != 2 {
		t.Errorf("server got %d messages, want 2", n)
	}
}

func TestSTARTTLSRequiredRefusesPlainServer(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	s, err := mail.NewSMTP(strings.Replace(srv.URL(), "tls=none", "tls=required", 1))
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), message("jenny@example.org"))
	if err == nil || mail.Permanent(err) || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("err = %v, want a temporary STARTTLS error", err)
	}
	if srv.Count() != 0 {
		t.Fatal("message sent in clear text")
	}
}

func TestSendImplicitTLS(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{ImplicitTLS: true, Username: "remit", Password: "pw"})
	if !strings.HasPrefix(srv.URL(), "smtps://") {
		t.Fatalf("URL = %s", srv.URL())
	}
	s := sender(t, srv)
	m := message("jenny@example.org")
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 1 || !got[0].TLS || got[0].User != "remit" {
		t.Fatalf("got %+v, want one message over TLS from user remit", got)
	}
	checkDelivered(t, got[0], m)
}

func TestClassification(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	s := sender(t, srv)
	ctx := context.Background()

	srv.RejectData(mailtest.Reply(451, [3]int{4, 3, 0}, "try again later"))
	err := s.Send(ctx, message("jenny@example.org"))
	var me *mail.Error
	if !errors.As(err, &me) || me.Permanent || me.Code != 451 || !strings.Contains(err.Error(), "451") {
		t.Fatalf("451: err = %#v", err)
	}

	srv.RejectData(nil)
	srv.RejectRcpt(mailtest.Reply(550, [3]int{5, 1, 1}, "no such user"))
	err = s.Send(ctx, message("nobody@example.org"))
	if !errors.As(err, &me) || !me.Permanent || me.Code != 550 || !mail.Permanent(err) {
		t.Fatalf("550: err = %#v", err)
	}

	srv.RejectRcpt(nil)
	if err := s.Send(ctx, message("jenny@example.org")); err != nil {
		t.Fatalf("after the rejections: %v", err)
	}

	// Accepted but the reply lost: the sender cannot know, so temporary
	// (the outbox sends it again, with the same Message-ID).
	srv.DropReplies(true)
	err = s.Send(ctx, message("jenny@example.org"))
	srv.DropReplies(false)
	if err == nil || mail.Permanent(err) {
		t.Fatalf("reply lost: err = %v, want temporary", err)
	}
	if n := srv.Count(); n != 2 {
		t.Fatalf("reply lost: server has %d messages, want 2", n)
	}

	// A message that cannot be built is permanent.
	m := message("jenny@example.org")
	m.To, m.Cc, m.Bcc = []string{"not an address"}, nil, nil
	if err := s.Send(ctx, m); !mail.Permanent(err) {
		t.Fatalf("bad address: err = %v, want permanent", err)
	}

	// Down: temporary.
	addr, err := mailtest.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	down, err := mail.NewSMTP("smtp://" + addr + "?tls=none&timeout=2s")
	if err != nil {
		t.Fatal(err)
	}
	err = down.Send(ctx, message("jenny@example.org"))
	if err == nil || mail.Permanent(err) {
		t.Fatalf("server down: err = %v, want temporary", err)
	}
	if n := srv.Count(); n != 2 {
		t.Fatalf("server got %d messages, want 2", n)
	}
}

func TestConnectionReuse(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	s := sender(t, srv, mail.WithMaxPerConnection(3))
	ctx := context.Background()
	for range 3 {
		if err := s.Send(ctx, message("jenny@example.org")); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.Connections(); n != 1 {
		t.Fatalf("3 messages used %d connections, want 1", n)
	}
	// The connection carried its 3 messages and was closed: a new one.
	if err := s.Send(ctx, message("jenny@example.org")); err != nil {
		t.Fatal(err)
	}
	if n := srv.Connections(); n != 2 {
		t.Fatalf("after 4 messages: %d connections, want 2", n)
	}

	// The server drops the idle session: the next send notices and
	// redials, without failing the message.
	srv.DropConnections()
	time.Sleep(50 * time.Millisecond)
	if err := s.Send(ctx, message("jenny@example.org")); err != nil {
		t.Fatalf("after the server dropped the idle connection: %v", err)
	}
	if n := srv.Count(); n != 5 {
		t.Fatalf("server got %d messages, want 5", n)
	}
}

func TestSendHonoursContext(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	s := sender(t, srv)
	release := srv.Hold()
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.Send(ctx, message("jenny@example.org"))
	if err == nil || mail.Permanent(err) {
		t.Fatalf("err = %v, want a temporary error", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Send took %v after its context ended", d)
	}
}
