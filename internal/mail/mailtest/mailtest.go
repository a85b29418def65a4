// Package mailtest runs an in-process SMTP server (github.com/emersion/go-smtp)
// on 127.0.0.1 that records what it receives, for tests of code that sends
// mail. It can offer STARTTLS or speak implicit TLS with a self-signed
// certificate, require authentication, refuse messages with a chosen SMTP
// reply, and accept a message but never answer (see DropReplies).
package mailtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"math/big"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Received is one message the server accepted.
type Received struct {
	From string   // envelope sender (MAIL FROM)
	To   []string // envelope recipients (RCPT TO)
	Data []byte   // the message as received, headers and body
	TLS  bool     // the session was encrypted
	User string   // authenticated user, if any
	Helo string
	Conn int // number of the connection it came on (1, 2, …)
}

// Options configure Start.
type Options struct {
	// STARTTLS makes the server offer STARTTLS with a self-signed
	// certificate for 127.0.0.1 (see Server.RootCAs).
	STARTTLS bool
	// ImplicitTLS makes the server speak TLS from the first byte (smtps).
	ImplicitTLS bool
	// Username and Password, when set, make AUTH PLAIN mandatory.
	Username, Password string
	// Addr to listen on; default 127.0.0.1:0.
	Addr string
}

// Server is a running test SMTP server.
type Server struct {
	// Addr is host:port of the listener.
	Addr string
	// RootCAs trusts the server's certificate (TLS options only).
	RootCAs *x509.CertPool

	opts Options
	srv  *smtp.Server
	ln   net.Listener

	mu       sync.Mutex
	received []Received
	reject   error // returned at DATA, when set
	rcptErr  error // returned at RCPT TO, when set
	hold     chan struct{}
	dropRply bool // keep each message, then hang up instead of replying
	conns    int
	live     map[*smtp.Conn]struct{}
	notify   chan struct{}
}

// Start runs a server until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := Listen(opts)
	if err != nil {
		t.Fatalf("mailtest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Listen runs a server until Close.
func Listen(opts Options) (*Server, error) {
	s := &Server{opts: opts, live: map[*smtp.Conn]struct{}{}, notify: make(chan struct{})}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "mailtest.local"
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = 64 << 20
	srv.MaxRecipients = 100
	srv.ErrorLog = log.New(io.Discard, "", 0)
	var tlsCfg *tls.Config
	if opts.STARTTLS || opts.ImplicitTLS {
		cert, pool, err := selfSigned()
		if err != nil {
			return nil, err
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.RootCAs = pool
		srv.TLSConfig = tlsCfg
	}
	// Only the test's own client talks to it, on loopback.
	srv.AllowInsecureAuth = true
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if opts.ImplicitTLS {
		ln = tls.NewListener(ln, tlsCfg)
	}
	s.ln, s.srv, s.Addr = ln, srv, ln.Addr().String()
	go srv.Serve(ln)
	return s, nil
}

// URL returns an SMTP URL for the server: smtp:// (with tls=none unless
// STARTTLS is offered) or smtps://, with the credentials when set.
func (s *Server) URL() string {
	u := url.URL{Scheme: "smtp", Host: s.Addr}
	q := url.Values{}
	switch {
	case s.opts.ImplicitTLS:
		u.Scheme = "smtps"
	case s.opts.STARTTLS:
		q.Set("tls", "required")
	default:
		q.Set("tls", "none")
	}
	q.Set("timeout", "5s")
	if s.opts.Username != "" {
		u.User = url.UserPassword(s.opts.Username, s.opts.Password)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// TLSConfig returns a client TLS configuration trusting the server.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.RootCAs, MinVersion: tls.VersionTLS12}
}

// Close stops the server and closes its connections.
func (s *Server) Close() {
	s.srv.Close()
}

// Reply returns an SMTP error reply such as 451 4.3.0 or 550 5.1.1.
func Reply(code int, enhanced [3]int, msg string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode(enhanced), Message: msg}
}

// RejectData makes the server answer DATA with err (see Reply); nil
// accepts again.
func (s *Server) RejectData(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject = err
}

// RejectRcpt makes the server refuse every RCPT TO with err; nil accepts
// again.
func (s *Server) RejectRcpt(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rcptErr = err
}

// Hold makes DATA wait until the returned function is called, to test
// timeouts and cancellation; call it before the test ends.
func (s *Server) Hold() (release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	s.hold = ch
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			if s.hold == ch {
				s.hold = nil
			}
			s.mu.Unlock()
			close(ch)
		})
	}
}

// DropReplies makes the server keep each message it receives, then close
// the connection instead of answering 250: the message is delivered but
// the client cannot know, as when the server or the network dies right
// after accepting it. false answers again.
func (s *Server) DropReplies(drop bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropRply = drop
}

// DropConnections closes every open session, as a server restart or idle
// timeout does.
func (s *Server) DropConnections() {
	s.mu.Lock()
	live := make([]*smtp.Conn, 0, len(s.live))
	for c := range s.live {
		live = append(live, c)
	}
	s.mu.Unlock()
	for _, c := range live {
		c.Conn().Close()
	}
}

// Messages returns what was received so far.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// Count returns the number of messages received.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.received)
}

// Connections returns the number of sessions opened so far.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// Wait waits until n messages have been received or d has passed, and
// returns the count.
func (s *Server) Wait(n int, d time.Duration) int {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, ch := len(s.received), s.notify
		s.mu.Unlock()
		if got >= n {
			return got
		}
		select {
		case <-ch:
		case <-deadline.C:
			return s.Count()
		}
	}
}

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	s := b.s
	s.mu.Lock()
	s.conns++
	n := s.conns
	s.live[c] = struct{}{}
	s.mu.Unlock()
	return &session{s: s, c: c, n: n}, nil
}

type session struct {
	s    *Server
	c    *smtp.Conn
	n    int
	user string
	from string
	to   []string
}

var errAuthRequired = smtp.ErrAuthRequired

func (ss *session) authOK() error {
	if ss.s.opts.Username != "" && ss.user == "" {
		return errAuthRequired
	}
	return nil
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != ss.s.opts.Username || password != ss.s.opts.Password {
			return smtp.ErrAuthFailed
		}
		ss.user = username
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if err := ss.authOK(); err != nil {
		return err
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	err := ss.s.rcptErr
	ss.s.mu.Unlock()
	if err != nil {
		return err
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	reject, hold := ss.s.reject, ss.s.hold
	ss.s.mu.Unlock()
	if hold != nil {
		<-hold
	}
	if reject != nil {
		return reject
	}
	_, isTLS := ss.c.TLSConnectionState()
	rec := Received{From: ss.from, To: append([]string(nil), ss.to...), Data: data, TLS: isTLS, User: ss.user, Helo: ss.c.Hostname(), Conn: ss.n}
	ss.s.mu.Lock()
	ss.s.received = append(ss.s.received, rec)
	close(ss.s.notify)
	ss.s.notify = make(chan struct{})
	drop := ss.s.dropRply
	ss.s.mu.Unlock()
	if drop {
		// Closing the socket before go-smtp writes the reply: the
		// client reads EOF where it expected 250.
		ss.c.Conn().Close()
	}
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error {
	ss.s.mu.Lock()
	delete(ss.s.live, ss.c)
	ss.s.mu.Unlock()
	return nil
}

// selfSigned makes a certificate for 127.0.0.1 and localhost, and a pool
// trusting it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mailtest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

// FreeAddr returns a loopback address nothing listens on (a listener
// opened and closed), for "server down" tests.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil && !errors.Is(err, fs.ErrClosed) {
		return "", fmt.Errorf("mailtest: %w", err)
	}
	return addr, nil
}
