package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"
)

// Security is how the connection to the SMTP server is protected.
type Security int

const (
	// STARTTLS upgrades the connection when the server offers it and goes
	// on in clear text otherwise (smtp://…, the default).
	STARTTLS Security = iota
	// STARTTLSRequired refuses a server that does not offer STARTTLS
	// (smtp://…?tls=required).
	STARTTLSRequired
	// ImplicitTLS speaks TLS from the first byte (smtps://…).
	ImplicitTLS
	// NoTLS never encrypts (smtp://…?tls=none), for a local relay or a
	// development mail catcher.
	NoTLS
)

func (s Security) String() string {
	switch s {
	case STARTTLS:
		return "starttls"
	case STARTTLSRequired:
		return "starttls-required"
	case ImplicitTLS:
		return "implicit-tls"
	case NoTLS:
		return "none"
	}
	return "unknown"
}

// Default ports and timeout.
const (
	DefaultSubmissionPort  = 587 // smtp://
	DefaultImplicitTLSPort = 465 // smtps://
	DefaultTimeout         = 30 * time.Second
)

// Config is a parsed SMTP URL.
type Config struct {
	Host     string
	Port     int
	Username string // empty: no authentication
	Password string
	Security Security
	// Auth is the SASL mechanism used when Username is set: PLAIN
	// (default), LOGIN, CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256 or XOAUTH2.
	Auth string
	// Timeout bounds connecting and each SMTP command.
	Timeout time.Duration
	// HELO is the name announced in EHLO; default the local host name.
	HELO string
}

// Addr returns host:port.
func (c Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

var authMechs = map[string]gomail.SMTPAuthType{
	"PLAIN":         gomail.SMTPAuthPlain,
	"LOGIN":         gomail.SMTPAuthLogin,
	"CRAM-MD5":      gomail.SMTPAuthCramMD5,
	"SCRAM-SHA-1":   gomail.SMTPAuthSCRAMSHA1,
	"SCRAM-SHA-256": gomail.SMTPAuthSCRAMSHA256,
	"XOAUTH2":       gomail.SMTPAuthXOAUTH2,
}

// ParseURL reads an SMTP URL (REMIT_SMTP_URL):
//
//	smtp://[user[:password]@]host[:port][?tls=required|none]   STARTTLS when offered (port 587)
//	smtps://[user[:password]@]host[:port]                       implicit TLS (port 465)
//
// Other parameters: auth=PLAIN|LOGIN|CRAM-MD5|SCRAM-SHA-1|SCRAM-SHA-256|XOAUTH2
// (default PLAIN, used when a user is given), timeout=30s, helo=name.
// User and password are percent-decoded. Errors never echo the password.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, errors.New("mail: SMTP URL is not a valid URL")
	}
	cfg := Config{Timeout: DefaultTimeout, Auth: "PLAIN"}
	switch u.Scheme {
	case "smtp":
		cfg.Security, cfg.Port = STARTTLS, DefaultSubmissionPort
	case "smtps":
		cfg.Security, cfg.Port = ImplicitTLS, DefaultImplicitTLSPort
	default:
		return Config{}, fmt.Errorf("mail: SMTP URL %s: scheme must be smtp or smtps", u.Redacted())
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return Config{}, fmt.Errorf("mail: SMTP URL %s: want smtp://[user:password@]host[:port][?options]", u.Redacted())
	}
	cfg.Host = u.Hostname()
	if cfg.Host == "" {
		return Config{}, fmt.Errorf("mail: SMTP URL %s: no host", u.Redacted())
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Config{}, fmt.Errorf("mail: SMTP URL %s: invalid port %q", u.Redacted(), p)
		}
		cfg.Port = n
	}
	if u.User != nil {
		cfg.Username = u.User.Username()
		cfg.Password, _ = u.User.Password()
	}
	for key, vals := range u.Query() {
		if len(vals) != 1 {
			return Config{}, fmt.Errorf("mail: SMTP URL %s: %s given %d times", u.Redacted(), key, len(vals))
		}
		v := vals[0]
		switch key {
		case "tls":
			switch {
			case cfg.Security == ImplicitTLS && (v == "required" || v == "implicit"):
			case cfg.Security == ImplicitTLS:
				return Config{}, fmt.Errorf("mail: SMTP URL %s: smtps:// always uses TLS; tls=%q is not allowed", u.Redacted(), v)
			case v == "required":
				cfg.Security = STARTTLSRequired
			case v == "opportunistic" || v == "starttls":
				cfg.Security = STARTTLS
			case v == "none":
				cfg.Security = NoTLS
			default:
				return Config{}, fmt.Errorf("mail: SMTP URL %s: tls=%q: want required, opportunistic or none", u.Redacted(), v)
			}
		case "auth":
			m := strings.ToUpper(v)
			if _, ok := authMechs[m]; !ok {
				return Config{}, fmt.Errorf("mail: SMTP URL %s: auth=%q: want PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256 or XOAUTH2", u.Redacted(), v)
			}
			cfg.Auth = m
		case "timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return Config{}, fmt.Errorf("mail: SMTP URL %s: timeout=%q: want a positive duration such as 30s", u.Redacted(), v)
			}
			cfg.Timeout = d
		case "helo":
			if v == "" || strings.ContainsAny(v, " \r\n\t") {
				return Config{}, fmt.Errorf("mail: SMTP URL %s: helo=%q is not a host name", u.Redacted(), v)
			}
			cfg.HELO = v
		default:
			return Config{}, fmt.Errorf("mail: SMTP URL %s: unknown parameter %q (known: tls, auth, timeout, helo)", u.Redacted(), key)
		}
	}
	return cfg, nil
}

// Option tunes an SMTP sender.
type Option func(*SMTP)

// WithTLSConfig sets the TLS configuration (for STARTTLS and implicit TLS),
// e.g. RootCAs trusting a private CA. ServerName defaults to the URL's host.
func WithTLSConfig(c *tls.Config) Option {
	return func(s *SMTP) { s.tlsConfig = c.Clone() }
}

// WithMaxIdle sets how many open connections are kept for reuse (default
// 8; 0 closes each connection after its message).
func WithMaxIdle(n int) Option {
	return func(s *SMTP) { s.maxIdle = max(n, 0) }
}

// WithIdleTimeout sets how long an unused connection is kept (default 10s).
func WithIdleTimeout(d time.Duration) Option {
	return func(s *SMTP) { s.idleTimeout = d }
}

// WithMaxPerConnection sets how many messages one connection carries before
// it is closed (default 100; many servers limit messages per session).
func WithMaxPerConnection(n int) Option {
	return func(s *SMTP) { s.maxPerConn = max(n, 1) }
}

// SMTP sends messages to one SMTP server. It keeps a few connections open
// between messages (each used by one Send at a time), so a burst does not
// pay a TCP, TLS and AUTH handshake per message. It is safe for concurrent
// use; Close closes the idle connections.
//
// Connection housekeeping (idle timeout) uses the wall clock: it is about
// sockets, not about domain time.
type SMTP struct {
	cfg         Config
	client      *gomail.Client
	tlsConfig   *tls.Config
	maxIdle     int
	idleTimeout time.Duration
	maxPerConn  int

	mu     sync.Mutex
	idle   []*conn // most recently used last
	closed bool
}

var _ Sender = (*SMTP)(nil)

// conn is one open SMTP session.
type conn struct {
	c        *gosmtp.Client
	sock     net.Conn // the TCP socket, closed to abort a send when its context ends
	sent     int
	lastUsed time.Time
}

// NewSMTP returns a sender for the SMTP URL raw (see ParseURL). It does not
// connect: a server that is down shows as temporary Send errors.
func NewSMTP(raw string, opts ...Option) (*SMTP, error) {
	cfg, err := ParseURL(raw)
	if err != nil {
		return nil, err
	}
	return NewSMTPConfig(cfg, opts...)
}

// NewSMTPConfig is NewSMTP with a parsed configuration.
func NewSMTPConfig(cfg Config, opts ...Option) (*SMTP, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Auth == "" {
		cfg.Auth = "PLAIN"
	}
	s := &SMTP{cfg: cfg, maxIdle: 8, idleTimeout: 10 * time.Second, maxPerConn: 100}
	for _, o := range opts {
		o(s)
	}
	if s.tlsConfig == nil {
		s.tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if s.tlsConfig.ServerName == "" {
		s.tlsConfig.ServerName = cfg.Host
	}
	gopts := []gomail.Option{
		gomail.WithPort(cfg.Port),
		gomail.WithTimeout(cfg.Timeout),
		gomail.WithTLSConfig(s.tlsConfig),
		gomail.WithDialContextFunc(s.dial),
		// A connection is checked by using it (see Send), and after a
		// completed DATA the server is ready for the next MAIL FROM: NOOP
		// and RSET would only add round trips per message.
		gomail.WithoutNoop(),
		gomail.WithoutRset(),
	}
	switch cfg.Security {
	case STARTTLS:
		gopts = append(gopts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case STARTTLSRequired:
		gopts = append(gopts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case NoTLS:
		gopts = append(gopts, gomail.WithTLSPolicy(gomail.NoTLS))
	case ImplicitTLS:
		// The dial function does the TLS handshake; this only stops
		// go-mail from attempting STARTTLS inside it.
		gopts = append(gopts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("mail: unknown security %d", cfg.Security)
	}
	if cfg.Username != "" {
		mech, ok := authMechs[strings.ToUpper(cfg.Auth)]
		if !ok {
			return nil, fmt.Errorf("mail: unknown auth mechanism %q", cfg.Auth)
		}
		gopts = append(gopts, gomail.WithSMTPAuth(mech), gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	if cfg.HELO != "" {
		gopts = append(gopts, gomail.WithHELO(cfg.HELO))
	}
	c, err := gomail.NewClient(cfg.Host, gopts...)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP client: %w", err)
	}
	s.client = c
	return s, nil
}

// String describes the server, without credentials.
func (s *SMTP) String() string {
	return fmt.Sprintf("smtp %s (%s)", s.cfg.Addr(), s.cfg.Security)
}

// dialKey carries the record of the connection being dialed back to Send.
type dialKey struct{}

// dialed records the TCP socket of a connection being set up, so that the
// context ending can close it from another goroutine.
type dialed struct {
	mu      sync.Mutex
	sock    net.Conn
	aborted bool
}

func (d *dialed) set(sock net.Conn) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sock = sock
	return !d.aborted
}

func (d *dialed) abort() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.aborted = true
	if d.sock != nil {
		d.sock.Close()
	}
}

// dial connects, doing the TLS handshake itself for implicit TLS, and
// records the TCP socket so that Send can close it when its context ends.
// go-mail sees a *tls.Conn, so it knows the session is encrypted.
func (s *SMTP) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: s.cfg.Timeout}
	sock, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if rec, ok := ctx.Value(dialKey{}).(*dialed); ok && !rec.set(sock) {
		sock.Close()
		return nil, context.Cause(ctx)
	}
	if s.cfg.Security != ImplicitTLS {
		return sock, nil
	}
	tc := tls.Client(sock, s.tlsConfig)
	if err := tc.HandshakeContext(ctx); err != nil {
		sock.Close()
		return nil, err
	}
	return tc, nil
}

// connect opens a new SMTP session: TCP, TLS, EHLO, STARTTLS, AUTH.
func (s *SMTP) connect(ctx context.Context) (*conn, error) {
	rec := &dialed{}
	// The steps after the dial are bounded by the command timeout only;
	// the context may end sooner, and then closes the socket.
	stop := context.AfterFunc(ctx, rec.abort)
	c, err := s.client.DialToSMTPClientWithContext(context.WithValue(ctx, dialKey{}, rec))
	aborted := !stop()
	rec.mu.Lock()
	sock := rec.sock
	rec.mu.Unlock()
	if err == nil && aborted {
		err = context.Cause(ctx)
	}
	if err != nil {
		if sock != nil {
			sock.Close()
		}
		return nil, err
	}
	return &conn{c: c, sock: sock}, nil
}

// get returns an idle connection (reused=true) or a new one.
func (s *SMTP) get(ctx context.Context) (c *conn, reused bool, err error) {
	now := time.Now()
	s.mu.Lock()
	var stale []*conn
	for len(s.idle) > 0 {
		n := len(s.idle) - 1
		c = s.idle[n]
		s.idle = s.idle[:n]
		if now.Sub(c.lastUsed) < s.idleTimeout {
			break
		}
		stale = append(stale, c)
		c = nil
	}
	s.mu.Unlock()
	for _, old := range stale {
		go old.quit()
	}
	if c != nil {
		return c, true, nil
	}
	c, err = s.connect(ctx)
	return c, false, err
}

// put keeps c for reuse, or closes it.
func (s *SMTP) put(c *conn) {
	c.lastUsed = time.Now()
	s.mu.Lock()
	keep := !s.closed && c.sent < s.maxPerConn && len(s.idle) < s.maxIdle
	if keep {
		s.idle = append(s.idle, c)
	}
	s.mu.Unlock()
	if !keep {
		go c.quit()
	}
}

// quit ends a healthy session politely.
func (c *conn) quit() {
	_ = c.c.UpdateDeadline(5 * time.Second)
	if err := c.c.Quit(); err != nil {
		c.sock.Close()
	}
}

// Close closes the idle connections and stops keeping new ones; sends in
// flight finish, and later sends still work, each on its own connection.
func (s *SMTP) Close() error {
	s.mu.Lock()
	idle := s.idle
	s.idle, s.closed = nil, true
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range idle {
		wg.Go(c.quit)
	}
	wg.Wait()
	return nil
}

// Send delivers m. The error is an *Error; see Permanent.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := build(m)
	if err != nil {
		return err
	}
	for try := 0; ; try++ {
		if err := context.Cause(ctx); err != nil {
			return temporary(0, fmt.Errorf("%s: %w", s, err))
		}
		c, reused, err := s.get(ctx)
		if err != nil {
			return temporary(0, fmt.Errorf("%s: connect: %w", s, err))
		}
		// SMTP commands have their own timeout but ignore the context:
		// closing the socket is what interrupts them.
		stop := context.AfterFunc(ctx, func() { c.sock.Close() })
		err = s.client.SendWithSMTPClient(c.c, msg)
		if !stop() {
			c.sock.Close()
			return temporary(0, fmt.Errorf("%s: %w", s, context.Cause(ctx)))
		}
		if err == nil {
			c.sent++
			s.put(c)
			return nil
		}
		c.sock.Close()
		if reused && try == 0 && brokenBeforeMail(err) {
			// The server closed the idle session (timeout, restart):
			// nothing of the message was sent, so try a fresh one.
			continue
		}
		return classify(s, err)
	}
}

// brokenBeforeMail reports whether err is a dead connection found at MAIL
// FROM: no reply code, so the server never saw the command.
func brokenBeforeMail(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return false
	}
	return se.ErrorCode() == 0 && (se.Reason == gomail.ErrSMTPMailFrom || se.Reason == gomail.ErrConnCheck)
}

// classify turns a go-mail error into an *Error.
func classify(s *SMTP, err error) error {
	wrapped := fmt.Errorf("%s: %w", s, err)
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return temporary(0, wrapped)
	}
	code := se.ErrorCode()
	switch {
	case code == 530 || code == 534 || code == 535 || code == 538:
		// Authentication required or refused: the server's configuration
		// is at fault, not the message; the operator can fix it.
		return temporary(code, wrapped)
	case code >= 500 && code < 600:
		return &Error{Permanent: true, Code: code, Err: wrapped}
	case code == 0 && (se.Reason == gomail.ErrGetSender || se.Reason == gomail.ErrGetRcpts || se.Reason == gomail.ErrNoUnencoded):
		return &Error{Permanent: true, Err: wrapped}
	}
	return temporary(code, wrapped)
}

// autoSubmitted marks messages as sent by a program (RFC 3834), so
// vacation responders do not answer them.
const autoSubmitted gomail.Header = "Auto-Submitted"

// build renders m as a go-mail message; its errors are permanent.
func build(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if m.From.Email == "" {
		return nil, permanent(0, "mail: message has no From address")
	}
	msg.FromMailAddress(&netmail.Address{Name: m.From.Name, Address: m.From.Email})
	if len(m.To)+len(m.Cc)+len(m.Bcc) == 0 {
		return nil, permanent(0, "mail: message has no recipient")
	}
	if len(m.To) > 0 {
		if err := msg.To(m.To...); err != nil {
			return nil, permanent(0, "mail: To: %w", err)
		}
	}
	if len(m.Cc) > 0 {
		if err := msg.Cc(m.Cc...); err != nil {
			return nil, permanent(0, "mail: Cc: %w", err)
		}
	}
	if len(m.Bcc) > 0 {
		if err := msg.Bcc(m.Bcc...); err != nil {
			return nil, permanent(0, "mail: Bcc: %w", err)
		}
	}
	if m.ReplyTo != "" {
		if err := msg.ReplyTo(m.ReplyTo); err != nil {
			return nil, permanent(0, "mail: Reply-To: %w", err)
		}
	}
	msg.Subject(m.Subject)
	if m.MessageID != "" {
		if strings.ContainsAny(m.MessageID, "<> \r\n") || !strings.Contains(m.MessageID, "@") {
			return nil, permanent(0, "mail: invalid Message-ID %q", m.MessageID)
		}
		msg.SetMessageIDWithValue(m.MessageID)
	}
	if !m.Date.IsZero() {
		msg.SetDateWithValue(m.Date)
	}
	msg.SetGenHeader(autoSubmitted, "auto-generated")
	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.HTML != "":
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	default:
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	}
	for _, a := range m.Attachments {
		if a.Name == "" || strings.ContainsAny(a.Name, "\r\n") {
			return nil, permanent(0, "mail: attachment with an invalid name %q", a.Name)
		}
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		if err := msg.AttachReader(a.Name, bytes.NewReader(a.Data), gomail.WithFileContentType(gomail.ContentType(ct))); err != nil {
			return nil, permanent(0, "mail: attachment %q: %w", a.Name, err)
		}
	}
	return msg, nil
}
