// Package portal is the customer self-service portal's domain: the
// merchant's portal settings and login links, one-time-code login by
// email, and sessions. Its callers (the portal GraphQL API and web UI)
// act for the signed-in customer through a viewer that the data layer
// confines to that customer's rows.
package portal

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/ent/emailmessage"
	"github.com/remitbilling/remit/ent/portalconfig"
	"github.com/remitbilling/remit/ent/portallink"
	"github.com/remitbilling/remit/ent/portallogincode"
	"github.com/remitbilling/remit/ent/portalsession"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/locales"
	"github.com/remitbilling/remit/internal/mail"
	"github.com/remitbilling/remit/internal/outbox"
	"github.com/remitbilling/remit/internal/portalauth"
	"github.com/remitbilling/remit/internal/ratelimit"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/validate"
	"github.com/remitbilling/remit/internal/viewer"
)

// Errors callers tell apart. None says whether an email or a customer
// exists.
var (
	// ErrNotFound: no enabled portal behind this link.
	ErrNotFound = errors.New("portal: not found")
	// ErrInvalidCode: wrong, expired, used or burnt code, or unknown email.
	ErrInvalidCode = errors.New("portal: invalid or expired code")
	// ErrLockedOut: too many wrong codes for this email lately; it is an
	// ErrInvalidCode to callers that do not tell them apart. A login link
	// still works.
	ErrLockedOut = fmt.Errorf("%w: too many wrong codes for this email, try again later or use a login link", ErrInvalidCode)
	// ErrInvalidLink: unknown, expired or used login link.
	ErrInvalidLink = errors.New("portal: invalid or expired login link")
	// ErrUnauthenticated: no valid session.
	ErrUnauthenticated = errors.New("portal: not signed in")
	// ErrReauthenticate: the action needs a login under ten minutes old.
	ErrReauthenticate = errors.New("portal: sign in again to do this")
	// ErrFeatureOff: the merchant turned this feature off.
	ErrFeatureOff = errors.New("portal: this feature is turned off")
)

// LinkTTL is how long a merchant-created login link works.
const LinkTTL = 15 * time.Minute

// Config holds the service's dependencies, keys and settings.
type Config struct {
	DB *ent.Client
	// Dialect is the SQL dialect of DB.
	Dialect string
	// Clock signs and checks session tokens.
	Clock clock.Clock
	// CodeKey hashes login codes; TokenKey signs session tokens (32 bytes
	// each, derived from the server secret).
	CodeKey, TokenKey []byte
	// Mailing is where login codes come from and what links point to.
	From, PublicURL string
	// Outbox queues login codes and wakes their deliverer on commit.
	Outbox *outbox.Queue
	// Limits counts login abuse (shared with the HTTP server's limits).
	Limits *ratelimit.Limiter
}

// Validate reports a missing dependency; the keys are checked by New.
func (c Config) Validate() error {
	var errs []error
	if c.DB == nil {
		errs = append(errs, errors.New("DB is required"))
	}
	if c.Clock == nil {
		errs = append(errs, errors.New("Clock is required"))
	}
	if c.From == "" || c.PublicURL == "" {
		errs = append(errs, errors.New("From and PublicURL are required"))
	}
	if c.Outbox == nil {
		errs = append(errs, errors.New("Outbox is required"))
	}
	if c.Limits == nil {
		errs = append(errs, errors.New("Limits is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("portal: %w", err)
	}
	return nil
}

// Service runs the portal.
type Service struct {
	db      *ent.Client
	dialect string
	clk     clock.Clock
	hasher  portalauth.Hasher
	keys    *portalauth.KeyRing
	cfg     Config
	limits  *ratelimit.Limiter
}

// Login abuse rules, counted in the database (see portalauth for why each
// number). The email rules count per account, mode and email: the same
// address at another merchant is another customer.
var (
	codesPerEmail      = ratelimit.Rule{Name: "portal.code.email", Limit: portalauth.CodeRequestsPerEmail, Window: portalauth.CodeRequestWindow}
	codesPerAddress    = ratelimit.Rule{Name: "portal.code.address", Limit: portalauth.CodeRequestsPerIP, Window: portalauth.CodeRequestWindow}
	wrongCodesPerEmail = ratelimit.Rule{Name: "portal.code.wrong", Limit: portalauth.WrongCodesPerEmail, Window: portalauth.WrongCodeWindow}
)

// New returns a Service built from cfg.
func New(cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	h, err := portalauth.NewHasher(cfg.CodeKey)
	if err != nil {
		return nil, fmt.Errorf("portal: code key: %w", err)
	}
	keys, err := portalauth.KeyRingFromSecret(cfg.Clock, cfg.TokenKey)
	if err != nil {
		return nil, fmt.Errorf("portal: token key: %w", err)
	}
	return &Service{db: cfg.DB, dialect: cfg.Dialect, clk: cfg.Clock, hasher: h, keys: keys, cfg: cfg, limits: cfg.Limits}, nil
}

// --- Merchant side -----------------------------------------------------

// Settings returns the portal of the merchant's account and mode, creating
// it (off) on first use.
func (s *Service) Settings(ctx context.Context) (*ent.PortalConfig, error) {
	c, err := s.db.PortalConfig.Query().Only(ctx)
	if err == nil || !ent.IsNotFound(err) {
		return c, err
	}
	slug, err := portalauth.NewToken(16)
	if err != nil {
		return nil, err
	}
	err = s.db.PortalConfig.Create().SetSlug("bp_" + slug).
		OnConflict(sql.ConflictColumns(portalconfig.FieldAccountID, portalconfig.FieldMode)).DoNothing().Exec(ctx)
	if err != nil && !isNoRows(err) {
		return nil, fmt.Errorf("create portal settings: %w", err)
	}
	return s.db.PortalConfig.Query().Only(ctx)
}

func isNoRows(err error) bool {
	return err != nil && strings.Contains(err.Error(), "no rows in result set")
}

// SettingsInput changes the portal; nil leaves a setting as it is.
type SettingsInput struct {
	Enabled, UpdateBillingDetails, ManagePaymentMethods, PayInvoices, ShowHistory *bool
}

// UpdateSettings turns the portal and its features on or off.
func (s *Service) UpdateSettings(ctx context.Context, in SettingsInput) (*ent.PortalConfig, error) {
	c, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	return c.Update().
		SetNillableEnabled(in.Enabled).
		SetNillableUpdateBillingDetails(in.UpdateBillingDetails).
		SetNillableManagePaymentMethods(in.ManagePaymentMethods).
		SetNillablePayInvoices(in.PayInvoices).
		SetNillableShowHistory(in.ShowHistory).
		Save(ctx)
}

// URL is the portal's shareable link.
func (s *Service) URL(c *ent.PortalConfig) string {
	return strings.TrimRight(s.cfg.PublicURL, "/") + "/portal/" + c.Slug
}

// CreateLink makes a single-use login link for one customer, valid for
// LinkTTL: the merchant's own app redirects a signed-in user there.
func (s *Service) CreateLink(ctx context.Context, customerID string) (string, time.Time, error) {
	c, err := s.Settings(ctx)
	if err != nil {
		return "", time.Time{}, err
	}
	if !c.Enabled {
		return "", time.Time{}, usererr.New(usererr.Invalid, "the customer portal is turned off: enable it first")
	}
	if _, err := s.db.Customer.Query().Where(customer.ID(customerID), customer.DeletedAtIsNil()).Only(ctx); ent.IsNotFound(err) {
		return "", time.Time{}, usererr.New(usererr.NotFound, "no such customer", "customer")
	} else if err != nil {
		return "", time.Time{}, fmt.Errorf("load customer: %w", err)
	}
	token, err := portalauth.NewToken(32)
	if err != nil {
		return "", time.Time{}, err
	}
	exp := clock.Now(ctx).Add(LinkTTL)
	if err := s.db.PortalLink.Create().SetCustomerID(customerID).SetTokenHash(portalauth.HashToken(token)).SetExpiresAt(exp).Exec(ctx); err != nil {
		return "", time.Time{}, fmt.Errorf("create login link: %w", err)
	}
	return s.URL(c) + "/session/" + token, exp, nil
}

// --- Public side -------------------------------------------------------

// Portal is an enabled portal resolved from its link.
type Portal struct {
	Config *ent.PortalConfig
	// Ctx acts for the portal's account and mode, with no customer yet.
	Ctx context.Context
}

// Open resolves a portal link's identifier.
func (s *Service) Open(ctx context.Context, slug string) (*Portal, error) {
	c, err := s.db.PortalConfig.Query().Where(portalconfig.Slug(slug), portalconfig.Enabled(true)).
		Only(viewer.Bypass(ctx, "the link finds its account"))
	if ent.IsNotFound(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("open portal: %w", err)
	}
	vctx := viewer.NewContext(ctx, viewer.PortalVisitor(c.AccountID, c.Mode))
	return &Portal{Config: c, Ctx: vctx}, nil
}

func scope(v viewer.Viewer) string { return v.AccountID + "/" + string(v.Mode) }

// emailKey is what the email rules count by.
func emailKey(v viewer.Viewer, email string) string { return scope(v) + "|" + email }

// errLimited rolls back a login start that lost the race for the last
// slot of a rate limit; StartLogin then answers as usual.
var errLimited = errors.New("portal: rate limited")

// StartLogin emails a one-time code when a customer of the portal's
// account has this email. Whatever happens it returns nil, so that answers
// tell nothing about who is a customer; rate limits (per email and per
// client address, shared by every process through the database) silently
// send nothing.
//
// A known and an unknown email cost the same: both look the customer up,
// count the limits, store a code and write the email in one transaction;
// for an unknown email the message is deleted again before commit (and
// for a known one the same delete matches nothing), so the database does
// the same statements and nothing is sent (a code for an unknown
// email can never be used: verification checks the customer again).
// Without that, the extra outbox row made a known email measurably slower.
func (s *Service) StartLogin(p *Portal, email, clientIP string) error {
	ctx := p.Ctx
	email = portalauth.NormalizeEmail(email)
	if validate.Email(email) != nil {
		return usererr.New(usererr.InvalidEmail, "enter a valid email address", "email")
	}
	v, _ := viewer.FromContext(ctx)
	hits := []ratelimit.Hit{
		{Rule: codesPerAddress, Key: ratelimit.AddressKey(clientIP)},
		{Rule: codesPerEmail, Key: emailKey(v, email)},
	}
	// Over a limit already: a read, no write, nothing sent.
	if d, err := s.limits.Check(ctx, hits...); err != nil || !d.Allowed {
		return err
	}
	code, err := portalauth.NewCode()
	if err != nil {
		return err
	}
	customers, err := s.db.Customer.Query().
		Where(customer.EmailEqualFold(email), customer.DeletedAtIsNil()).
		Order(ent.Desc(customer.FieldCreatedAt)).
		Limit(1).
		All(ctx)
	if err != nil {
		return fmt.Errorf("look up customer: %w", err)
	}
	now := clock.Now(ctx)
	hash := s.hasher.Hash(scope(v), email, code)
	acct, err := s.db.Account.Get(ctx, v.AccountID)
	if err != nil {
		return fmt.Errorf("load account: %w", err)
	}
	to, lang := email, locales.Langs[0]
	if len(customers) > 0 {
		to = customers[0].Email
		// The code reads in the language of the customer's documents.
		if l, ok := locales.Preferred(customers[0].PreferredLocales); ok {
			lang = locales.Lang(l)
		}
	}
	w := codeWords[lang]
	msg := outbox.Message{
		Kind:    "login_code",
		From:    mail.Address{Name: acct.Name, Email: s.cfg.From},
		To:      []string{to},
		Subject: fmt.Sprintf(w[0], code, acct.Name),
		Text:    fmt.Sprintf(w[1], code, acct.Name),
	}
	err = dbtx.Run(ctx, s.db, func(tx *ent.Tx) error {
		// Counted in the transaction that sends: concurrent requests
		// cannot all slip through on the last slot.
		d, err := s.limits.CountTx(ctx, tx, hits...)
		if err != nil {
			return err
		}
		if !d.Allowed {
			return errLimited
		}
		err = tx.PortalLoginCode.Create().
			SetEmail(email).SetCodeHash(hash).SetExpiresAt(now.Add(portalauth.CodeTTL)).
			OnConflict(sql.ConflictColumns(portallogincode.FieldAccountID, portallogincode.FieldMode, portallogincode.FieldEmail)).
			Update(func(u *ent.PortalLoginCodeUpsert) {
				u.SetCodeHash(hash).SetExpiresAt(now.Add(portalauth.CodeTTL)).SetAttempts(0).ClearUsedAt().SetUpdatedAt(now)
			}).
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("store login code: %w", err)
		}
		m, err := s.cfg.Outbox.Enqueue(ctx, tx, msg)
		if err != nil {
			return err
		}
		// The same statement for both, so the work stays the same: it
		// takes back an unknown email's message and, for a customer's,
		// looks up an id that cannot exist and deletes nothing.
		unsent := m.ID
		if len(customers) > 0 {
			unsent = ""
		}
		_, err = tx.EmailMessage.Delete().Where(emailmessage.ID(unsent)).Exec(ctx)
		return err
	})
	if errors.Is(err, errLimited) {
		return nil
	}
	return err
}

var codeWords = map[string][2]string{
	"en": {"%s is your %s billing code", "Your code to sign in to the %[2]s billing portal is:\n\n    %[1]s\n\nIt works once, for 10 minutes. If you did not ask for it, ignore this email.\n"},
	"fr": {"%s est votre code d'accès %s", "Votre code pour accéder à l'espace de facturation %[2]s :\n\n    %[1]s\n\nIl est valable une fois, pendant 10 minutes. Si vous ne l'avez pas demandé, ignorez cet e-mail.\n"},
	"de": {"%s ist Ihr Zugangscode für %s", "Ihr Code für die Anmeldung im Rechnungsportal von %[2]s lautet:\n\n    %[1]s\n\nEr gilt einmalig für 10 Minuten. Wenn Sie ihn nicht angefordert haben, ignorieren Sie diese E-Mail.\n"},
}

// Session is a signed-in customer: the session row and its token.
type Session struct {
	Row       *ent.PortalSession
	Token     string
	ExpiresAt time.Time
	// PortalEnabled is whether the merchant's portal was on when
	// Authenticate read the session (in the same statement, so that a
	// request needs no other read to refuse a portal turned off); nil
	// for a session not read by Authenticate (a login, a switch).
	PortalEnabled *bool
}

// portalEnabledColumn is the extra column of the session read: whether
// the portal of the session's account and mode is on (NULL without one).
const portalEnabledColumn = "portal_enabled"

// withPortalEnabled adds portalEnabledColumn to a read of sessions.
func withPortalEnabled(s *sql.Selector) {
	b := sql.Dialect(s.Dialect())
	c := b.Table(portalconfig.Table)
	s.AppendSelectExprAs(b.Select(c.C(portalconfig.FieldEnabled)).From(c).Where(sql.And(
		sql.ColumnsEQ(c.C(portalconfig.FieldAccountID), s.C(portalsession.FieldAccountID)),
		sql.ColumnsEQ(c.C(portalconfig.FieldMode), s.C(portalsession.FieldMode)),
	)), portalEnabledColumn)
}

// portalEnabled reads portalEnabledColumn from a session read with it:
// a boolean on PostgreSQL, an integer on SQLite, NULL when the account
// has no portal (off).
func portalEnabled(row *ent.PortalSession) *bool {
	v, _ := row.Value(portalEnabledColumn)
	on := false
	switch x := v.(type) {
	case bool:
		on = x
	case int64:
		on = x != 0
	}
	return &on
}

// VerifyLogin checks a code and opens a session for the most recently
// created customer with the email. A code works once, for CodeTTL; the
// MaxAttempts-th wrong try burns it, so even the right code then fails.
// Wrong codes also count per email across codes (WrongCodesPerEmail per
// WrongCodeWindow): past that, no code works for the email until the
// window ends, so requesting new codes gives no new guesses. The count is
// kept in the transaction that holds the code row (locked on PostgreSQL,
// SQLite serializes writers), so parallel guesses cannot overshoot it.
func (s *Service) VerifyLogin(p *Portal, email, code, userAgent string) (*Session, error) {
	ctx := p.Ctx
	email = portalauth.NormalizeEmail(email)
	v, _ := viewer.FromContext(ctx)
	now := clock.Now(ctx)
	var cus *ent.Customer
	err := dbtx.Run(ctx, s.db, func(tx *ent.Tx) error {
		q := tx.PortalLoginCode.Query().Where(portallogincode.Email(email))
		if dbtx.Locking(s.dialect) {
			q = q.ForUpdate()
		}
		lc, err := q.Only(ctx)
		if ent.IsNotFound(err) {
			return ErrInvalidCode
		}
		if err != nil {
			return fmt.Errorf("load login code: %w", err)
		}
		if lc.UsedAt != nil || !now.Before(lc.ExpiresAt) || lc.Attempts >= portalauth.MaxAttempts {
			return ErrInvalidCode
		}
		wrong := ratelimit.Hit{Rule: wrongCodesPerEmail, Key: emailKey(v, email)}
		if d, err := s.limits.CheckTx(ctx, tx, wrong); err != nil {
			return err
		} else if !d.Allowed {
			return ErrLockedOut
		}
		if !s.hasher.Equal(lc.CodeHash, scope(v), email, strings.TrimSpace(code)) {
			if _, err := s.limits.CountTx(ctx, tx, wrong); err != nil {
				return err
			}
			return tx.PortalLoginCode.UpdateOne(lc).AddAttempts(1).Exec(ctx)
		}
		if err := tx.PortalLoginCode.UpdateOne(lc).SetUsedAt(now).Exec(ctx); err != nil {
			return err
		}
		cus, err = tx.Customer.Query().
			Where(customer.EmailEqualFold(email), customer.DeletedAtIsNil()).
			Order(ent.Desc(customer.FieldCreatedAt)).
			First(ctx)
		if ent.IsNotFound(err) {
			return ErrInvalidCode
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if cus == nil {
		return nil, ErrInvalidCode // a wrong try, counted above
	}
	return s.open(ctx, cus, email, userAgent)
}

// RedeemLink opens a session from a merchant-created login link, once.
func (s *Service) RedeemLink(p *Portal, token, userAgent string) (*Session, error) {
	ctx := p.Ctx
	now := clock.Now(ctx)
	var cus *ent.Customer
	err := dbtx.Run(ctx, s.db, func(tx *ent.Tx) error {
		n, err := tx.PortalLink.Update().
			Where(portallink.TokenHash(portalauth.HashToken(token)), portallink.UsedAtIsNil(), portallink.ExpiresAtGT(now)).
			SetUsedAt(now).Save(ctx)
		if err != nil {
			return err
		}
		if n != 1 {
			return ErrInvalidLink
		}
		l, err := tx.PortalLink.Query().Where(portallink.TokenHash(portalauth.HashToken(token))).Only(ctx)
		if err != nil {
			return err
		}
		cus, err = tx.Customer.Query().Where(customer.ID(l.CustomerID), customer.DeletedAtIsNil()).Only(ctx)
		if ent.IsNotFound(err) {
			return ErrInvalidLink
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.open(ctx, cus, cus.Email, userAgent)
}

func (s *Service) open(ctx context.Context, cus *ent.Customer, email, userAgent string) (*Session, error) {
	now := clock.Now(ctx)
	if len(userAgent) > 200 {
		userAgent = userAgent[:200]
	}
	row, err := s.db.PortalSession.Create().
		SetCustomerID(cus.ID).SetEmail(email).SetAuthenticatedAt(now).SetLastSeenAt(now).SetUserAgent(userAgent).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("open session: %w", err)
	}
	return s.issue(ctx, row)
}

func (s *Service) issue(ctx context.Context, row *ent.PortalSession) (*Session, error) {
	now := clock.Now(ctx)
	exp := now.Add(portalauth.AccessTokenTTL)
	if abs := row.CreatedAt.Add(portalauth.SessionAbsoluteTTL); abs.Before(exp) {
		exp = abs
	}
	tok, err := s.keys.Sign(portalauth.SessionClaims{
		SessionID: row.ID, AccountID: row.AccountID, Mode: string(row.Mode), CustomerID: row.CustomerID,
		IssuedAt: now, ExpiresAt: exp,
	})
	if err != nil {
		return nil, err
	}
	return &Session{Row: row, Token: tok, ExpiresAt: exp}, nil
}

// Authenticate turns a session token into a context acting for the
// signed-in customer. The session row is the truth: a revoked, idle or
// too old session fails at once, whatever the token says.
func (s *Service) Authenticate(ctx context.Context, token string) (context.Context, *Session, error) {
	claims, err := s.keys.Verify(token)
	if err != nil {
		return nil, nil, ErrUnauthenticated
	}
	q := s.db.PortalSession.Query().Where(portalsession.ID(claims.SessionID))
	q.Modify(withPortalEnabled)
	row, err := q.Only(viewer.Bypass(ctx, "the signed token finds its session"))
	if err != nil {
		return nil, nil, ErrUnauthenticated
	}
	// The token and the row must agree on who this is.
	if subtle.ConstantTimeCompare([]byte(row.CustomerID), []byte(claims.CustomerID)) != 1 ||
		row.AccountID != claims.AccountID || string(row.Mode) != claims.Mode {
		return nil, nil, ErrUnauthenticated
	}
	now := clock.Now(ctx)
	if err := portalauth.SessionValid(row.CreatedAt, row.LastSeenAt, now, row.RevokedAt != nil); err != nil {
		return nil, nil, ErrUnauthenticated
	}
	vctx := viewer.NewContext(ctx, viewer.PortalCustomer(row.AccountID, row.Mode, row.CustomerID))
	// Touch at most once a minute: idle expiry needs no finer grain.
	if now.Sub(row.LastSeenAt) > time.Minute {
		if err := s.db.PortalSession.UpdateOne(row).SetLastSeenAt(now).Exec(vctx); err != nil {
			return nil, nil, fmt.Errorf("touch session: %w", err)
		}
		row.LastSeenAt = now
	}
	return vctx, &Session{Row: row, Token: token, ExpiresAt: claims.ExpiresAt, PortalEnabled: portalEnabled(row)}, nil
}

// Refresh issues a new short-lived token for a live session.
func (s *Service) Refresh(ctx context.Context, sess *Session) (*Session, error) {
	return s.issue(ctx, sess.Row)
}

// Logout revokes the session: its tokens stop working at once.
func (s *Service) Logout(ctx context.Context, sess *Session) error {
	return s.db.PortalSession.UpdateOne(sess.Row).SetRevokedAt(clock.Now(ctx)).Exec(ctx)
}

// RequireRecentLogin refuses sensitive actions (payment methods) on a
// session whose email proof is older than ten minutes.
func RequireRecentLogin(ctx context.Context, sess *Session) error {
	if !portalauth.RecentLogin(sess.Row.AuthenticatedAt, clock.Now(ctx)) {
		return ErrReauthenticate
	}
	return nil
}

// Accounts lists the customers the session's email may switch between:
// the account's customers with that email, newest first.
func (s *Service) Accounts(ctx context.Context, sess *Session) ([]*ent.Customer, error) {
	v, _ := viewer.FromContext(ctx)
	sys := viewer.NewContext(ctx, v.WithoutCustomer())
	return s.db.Customer.Query().
		Where(customer.EmailEqualFold(sess.Row.Email), customer.DeletedAtIsNil()).
		Order(ent.Desc(customer.FieldCreatedAt)).
		All(sys)
}

// Switch moves a session to another customer with the same email.
func (s *Service) Switch(ctx context.Context, sess *Session, customerID string) (*Session, error) {
	list, err := s.Accounts(ctx, sess)
	if err != nil {
		return nil, err
	}
	for _, c := range list {
		if c.ID == customerID {
			v, _ := viewer.FromContext(ctx)
			sys := viewer.NewContext(ctx, v.WithoutCustomer())
			row, err := s.db.PortalSession.UpdateOne(sess.Row).SetCustomerID(c.ID).Save(sys)
			if err != nil {
				return nil, fmt.Errorf("switch customer: %w", err)
			}
			return s.issue(ctx, row)
		}
	}
	return nil, usererr.New(usererr.NotFound, "no such customer for this email", "customer")
}
