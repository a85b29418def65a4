// Package processors connects an account to the payment processor that
// moves its money, one per mode: Stripe, reached with the account's own
// secret key, or by default the simulator in test mode and nothing in live
// mode (payments.Refusing). It implements payments.Lookup for billing and
// payment methods, so they never know which processor they talk to.
//
// Keys are stored sealed (AES-256-GCM under a key derived from the
// server's root secret, bound to the account and mode) and never leave
// this package: the API shows their last four characters.
package processors

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/ent/processorconnection"
	"github.com/remitbilling/remit/ent/refund"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/payments"
	"github.com/remitbilling/remit/internal/payments/stripeproc"
	"github.com/remitbilling/remit/internal/rowcache"
	"github.com/remitbilling/remit/internal/secrets"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/viewer"
)

// Config configures a Service.
type Config struct {
	DB *ent.Client
	// Changes tells when connections changed in any process, so they are
	// read once and kept until then.
	Changes rowcache.Versioner
	// Root is the server's root secret; the sealing key derives from it.
	Root []byte
	// Simulator serves test mode when no processor is connected.
	Simulator payments.Processor
	// StripeURL overrides https://api.stripe.com (stripe-mock in tests).
	StripeURL string
	// HTTPClient carries timeouts to Stripe; nil is stripeproc's default.
	HTTPClient *http.Client
	// PublicURL is where Stripe reaches this server (https://billing.example.com);
	// with it, connecting registers the webhook endpoint at Stripe. Empty:
	// the merchant registers it and gives its signing secret.
	PublicURL string
}

func (c Config) validate() error {
	var errs []error
	if c.DB == nil {
		errs = append(errs, errors.New("DB is required"))
	}
	if c.Changes == nil {
		errs = append(errs, errors.New("Changes is required"))
	}
	if len(c.Root) < 32 {
		errs = append(errs, errors.New("Root must be at least 32 bytes"))
	}
	if c.Simulator == nil {
		errs = append(errs, errors.New("Simulator is required"))
	}
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "https://") && !strings.HasPrefix(c.PublicURL, "http://") {
		errs = append(errs, errors.New("PublicURL must be an http(s) URL"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("processors: %w", err)
	}
	return nil
}

// Service finds and manages accounts' processors.
type Service struct {
	cfg   Config
	key   []byte
	cache *rowcache.Cache[scope, *connected]
}

type scope struct {
	account string
	mode    viewer.Mode
}

// connected is what is kept of a scope: its connection, if any, ready to
// use.
type connected struct {
	row           *ent.ProcessorConnection
	stripe        *Stripe
	webhookSecret string
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Service{
		cfg:   cfg,
		key:   secrets.Derive(cfg.Root, "processor credentials"),
		cache: rowcache.New[scope, *connected](cfg.Changes),
	}, nil
}

var _ payments.Lookup = (*Service)(nil)

// For returns the processor serving accountID in mode: its connected
// Stripe account, else the simulator in test mode and Refusing in live.
func (s *Service) For(ctx context.Context, accountID string, mode viewer.Mode) (payments.Processor, error) {
	c, err := s.connected(ctx, accountID, mode)
	if err != nil {
		return nil, err
	}
	switch {
	case c.stripe != nil:
		return c.stripe, nil
	case mode == viewer.Test:
		return s.cfg.Simulator, nil
	}
	return payments.Refusing{}, nil
}

// sealContext binds sealed credentials to their account and mode: a row
// copied to another account cannot be opened there.
func sealContext(accountID string, mode viewer.Mode) string {
	return "processor:" + accountID + ":" + string(mode)
}

func (s *Service) connected(ctx context.Context, accountID string, mode viewer.Mode) (*connected, error) {
	return s.cache.Get(scope{accountID, mode}, func() (*connected, error) {
		row, err := s.cfg.DB.ProcessorConnection.Query().
			Where(processorconnection.AccountID(accountID), processorconnection.ModeEQ(mode)).
			Only(viewer.Bypass(ctx, "the processor of an account serves its payments, whoever pays"))
		if ent.IsNotFound(err) {
			return &connected{}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("processors: load connection: %w", err)
		}
		return s.open(row)
	})
}

// open unseals a connection's credentials and makes its processor.
func (s *Service) open(row *ent.ProcessorConnection) (*connected, error) {
	sc := sealContext(row.AccountID, row.Mode)
	key, err := secrets.Open(s.key, row.SecretKeySealed, sc)
	if err != nil {
		return nil, fmt.Errorf("processors: connection %s: %w", row.ID, err)
	}
	c := &connected{row: row, stripe: &Stripe{
		Processor: s.stripeClient(string(key)), svc: s, conn: row,
	}}
	if len(row.WebhookSecretSealed) > 0 {
		ws, err := secrets.Open(s.key, row.WebhookSecretSealed, sc+":webhook")
		if err != nil {
			return nil, fmt.Errorf("processors: connection %s webhook secret: %w", row.ID, err)
		}
		c.webhookSecret = string(ws)
	}
	return c, nil
}

func (s *Service) stripeClient(key string) *stripeproc.Processor {
	return stripeproc.New(stripeproc.Config{SecretKey: key, BaseURL: s.cfg.StripeURL, HTTPClient: s.cfg.HTTPClient})
}

// Current returns the viewer's connection in its mode, or nil.
func (s *Service) Current(ctx context.Context) (*ent.ProcessorConnection, error) {
	v, ok := viewer.FromContext(ctx)
	if !ok {
		return nil, errors.New("processors: no viewer")
	}
	c, err := s.connected(ctx, v.AccountID, v.Mode)
	if err != nil {
		return nil, err
	}
	return c.row, nil
}

// WebhookPath is where Stripe posts an account's events, below the
// server's root; both modes share it (each event says its mode, and is
// verified with that mode's signing secret).
func WebhookPath(accountID string) string { return "/processors/stripe/webhook/" + accountID }

// WebhookURL is the full URL of WebhookPath, or "" without a PublicURL.
func (s *Service) WebhookURL(accountID string) string {
	if s.cfg.PublicURL == "" {
		return ""
	}
	return strings.TrimRight(s.cfg.PublicURL, "/") + WebhookPath(accountID)
}

// ConnectInput connects Stripe to the viewer's account in its mode.
type ConnectInput struct {
	SecretKey      string
	PublishableKey string
	// WebhookSecret is the signing secret (whsec_…) of a webhook endpoint
	// the merchant registered; empty registers one when the server knows
	// its public URL.
	WebhookSecret string
}

// Connection is a connection as the API shows it.
type Connection struct {
	Row *ent.ProcessorConnection
	// WebhookURL is where the webhook endpoint must point; WebhookEvents
	// what it must be enabled for.
	WebhookURL    string
	WebhookEvents []string
}

// Connect checks the key with Stripe, registers the webhook endpoint
// (unless given its secret) and stores the connection, replacing the
// mode's previous one. Nothing is stored when a check fails.
func (s *Service) Connect(ctx context.Context, in ConnectInput) (*Connection, error) {
	v, ok := viewer.FromContext(ctx)
	if !ok {
		return nil, errors.New("processors: no viewer")
	}
	in.SecretKey, in.PublishableKey, in.WebhookSecret = strings.TrimSpace(in.SecretKey), strings.TrimSpace(in.PublishableKey), strings.TrimSpace(in.WebhookSecret)
	if err := checkInput(in, v.Mode); err != nil {
		return nil, err
	}
	proc := s.stripeClient(in.SecretKey)
	if _, err := proc.VerifyKey(ctx); err != nil {
		return nil, keyError(err)
	}
	// Which Stripe account the key opens, so that a new key of the same
	// account (a rolled key) may replace the old one while payments are in
	// flight; a restricted key may not tell.
	stripeAccount, err := proc.AccountID(ctx)
	if err != nil && !errors.Is(err, stripeproc.ErrRestrictedKey) {
		return nil, keyError(err)
	}
	webhookSecret, endpointRef := in.WebhookSecret, ""
	if webhookSecret == "" && s.cfg.PublicURL != "" {
		id, secret, err := proc.RegisterWebhook(ctx, s.WebhookURL(v.AccountID))
		switch {
		case errors.Is(err, stripeproc.ErrRestrictedKey), errors.Is(err, payments.ErrInvalidRequest):
			// A restricted key may not manage webhooks, and Stripe refuses
			// a URL it cannot use (live mode wants https): connected all
			// the same, and the merchant registers the endpoint.
		case err != nil:
			return nil, keyError(err)
		default:
			webhookSecret, endpointRef = secret, id
		}
	}
	sc := sealContext(v.AccountID, v.Mode)
	sealedKey, err := secrets.Seal(s.key, []byte(in.SecretKey), sc)
	if err != nil {
		return nil, err
	}
	var sealedWebhook []byte
	if webhookSecret != "" {
		if sealedWebhook, err = secrets.Seal(s.key, []byte(webhookSecret), sc+":webhook"); err != nil {
			return nil, err
		}
	}
	var row, previous *ent.ProcessorConnection
	err = dbtx.Run(ctx, s.cfg.DB, func(tx *ent.Tx) error {
		previous, err = tx.ProcessorConnection.Query().Only(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return fmt.Errorf("load connection: %w", err)
		}
		if previous != nil {
			sameAccount := previous.ProcessorAccountRef != "" && previous.ProcessorAccountRef == stripeAccount
			if !sameAccount {
				if err := noneInFlight(ctx, tx, "payments or refunds are still in flight at the connected Stripe account; connect a key of that same account, or wait until they have settled"); err != nil {
					return err
				}
			}
			if err := tx.ProcessorConnection.DeleteOne(previous).Exec(ctx); err != nil {
				return fmt.Errorf("replace connection: %w", err)
			}
		}
		row, err = tx.ProcessorConnection.Create().
			SetAccountID(v.AccountID).SetMode(v.Mode).
			SetProvider(processorconnection.ProviderStripe).
			SetSecretKeySealed(sealedKey).SetSecretKeyLast4(last4(in.SecretKey)).SetProcessorAccountRef(stripeAccount).
			SetPublishableKey(in.PublishableKey).
			SetWebhookSecretSealed(sealedWebhook).SetWebhookEndpointRef(endpointRef).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("save connection: %w", err)
		}
		return nil
	})
	if err != nil {
		if endpointRef != "" {
			_ = proc.DeleteWebhook(context.WithoutCancel(ctx), endpointRef)
		}
		return nil, err
	}
	if previous != nil && previous.WebhookEndpointRef != "" && previous.WebhookEndpointRef != endpointRef {
		s.forgetWebhook(ctx, previous)
	}
	return s.View(row.Unwrap()), nil
}

// View is how the API shows a connection.
func (s *Service) View(row *ent.ProcessorConnection) *Connection {
	return &Connection{Row: row, WebhookURL: s.WebhookURL(row.AccountID), WebhookEvents: stripeproc.WebhookEvents}
}

// forgetWebhook deletes the webhook endpoint Remit registered for a
// connection that is gone. Best effort: a leftover endpoint only posts
// events the server no longer accepts.
func (s *Service) forgetWebhook(ctx context.Context, row *ent.ProcessorConnection) {
	c, err := s.open(row)
	if err != nil {
		return
	}
	_ = c.stripe.DeleteWebhook(context.WithoutCancel(ctx), row.WebhookEndpointRef)
}

// Disconnect removes the viewer's connection in its mode: live payments
// are refused again, test mode returns to the simulator. It is refused
// while the processor still has payments or refunds to finish, which
// only it can settle.
func (s *Service) Disconnect(ctx context.Context) (*ent.ProcessorConnection, error) {
	var gone *ent.ProcessorConnection
	err := dbtx.Run(ctx, s.cfg.DB, func(tx *ent.Tx) error {
		row, err := tx.ProcessorConnection.Query().Only(ctx)
		if ent.IsNotFound(err) {
			return usererr.New(usererr.NotFound, "no payment processor is connected in this mode", "provider")
		}
		if err != nil {
			return fmt.Errorf("load connection: %w", err)
		}
		if err := noneInFlight(ctx, tx, "payments or refunds are still in flight at the processor; disconnect once they have settled"); err != nil {
			return err
		}
		if err := tx.ProcessorConnection.DeleteOne(row).Exec(ctx); err != nil {
			return fmt.Errorf("delete connection: %w", err)
		}
		gone = row
		return nil
	})
	if err != nil {
		return nil, err
	}
	if gone.WebhookEndpointRef != "" {
		s.forgetWebhook(ctx, gone)
	}
	return gone.Unwrap(), nil
}

// noneInFlight refuses (PROCESSOR_IN_USE, with why) while the viewer's
// mode has payments or refunds only the connected processor can settle:
// another would not know them, and they would fail with money moved.
func noneInFlight(ctx context.Context, tx *ent.Tx, why string) error {
	inFlight, err := tx.Payment.Query().Where(
		payment.StatusIn(payment.StatusProcessing, payment.StatusRequiresAction),
		payment.MethodTypeNEQ(payment.MethodTypeOutOfBand),
	).Exist(ctx)
	if err != nil {
		return fmt.Errorf("find payments in flight: %w", err)
	}
	if !inFlight {
		if inFlight, err = tx.Refund.Query().Where(refund.StatusEQ(refund.StatusPending)).Exist(ctx); err != nil {
			return fmt.Errorf("find refunds in flight: %w", err)
		}
	}
	if inFlight {
		return usererr.New(usererr.ProcessorInUse, why, "provider")
	}
	return nil
}

func checkInput(in ConnectInput, mode viewer.Mode) error {
	var errs usererr.List
	want := "live"
	if mode == viewer.Test {
		want = "test"
	}
	switch got := stripeproc.Mode(in.SecretKey); {
	case in.SecretKey == "":
		errs = append(errs, usererr.New(usererr.Required, "give the Stripe secret key (sk_… or a restricted rk_…)", "secretKey"))
	case got == "":
		errs = append(errs, usererr.New(usererr.InvalidProcessorKey, "a Stripe secret key starts with sk_live_, sk_test_, rk_live_ or rk_test_", "secretKey"))
	case got != want:
		errs = append(errs, usererr.Newf(usererr.ProcessorKeyModeMismatch, []string{"secretKey"}, "this is a %s key; connect a %s key in %s mode", got, want, want))
	}
	switch {
	case in.PublishableKey == "":
		errs = append(errs, usererr.New(usererr.Required, "give the Stripe publishable key (pk_…): the payment pages load Stripe.js with it", "publishableKey"))
	case !strings.HasPrefix(in.PublishableKey, "pk_"+want+"_"):
		errs = append(errs, usererr.Newf(usererr.ProcessorKeyModeMismatch, []string{"publishableKey"}, "give the %s publishable key (pk_%s_…)", want, want))
	}
	if in.WebhookSecret != "" && !strings.HasPrefix(in.WebhookSecret, "whsec_") {
		errs = append(errs, usererr.New(usererr.Invalid, "a Stripe webhook signing secret starts with whsec_", "webhookSigningSecret"))
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// keyError explains why Stripe refused a connection.
func keyError(err error) error {
	switch {
	case errors.Is(err, stripeproc.ErrInvalidKey):
		return usererr.New(usererr.InvalidProcessorKey, "Stripe refused this secret key: check that it is current and copied whole", "secretKey")
	case errors.Is(err, stripeproc.ErrRestrictedKey):
		return usererr.New(usererr.InvalidProcessorKey, "this restricted key lacks a permission Remit needs (balance read, PaymentIntents, SetupIntents, Customers, PaymentMethods and Refunds write)", "secretKey")
	case errors.Is(err, payments.ErrInvalidRequest):
		return usererr.New(usererr.InvalidProcessorKey, "Stripe refused a request made with this key: check that it belongs to an active account", "secretKey")
	case errors.Is(err, payments.ErrUnavailable):
		return usererr.New(usererr.ProcessorUnavailable, "Stripe could not be reached to check the key; nothing was changed, try again")
	}
	return fmt.Errorf("processors: %w", err)
}

func last4(s string) string {
	if len(s) <= 4 {
		return s
	}
	return s[len(s)-4:]
}
