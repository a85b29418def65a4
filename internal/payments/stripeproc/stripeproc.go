// Package stripeproc is the live payments.Processor backed by Stripe.
//
// Card and bank details never reach Remit: the browser hands them to
// Stripe.js (Payment Element, SetupIntents), and Remit only ever sees
// Stripe's PaymentMethod id, which AttachMethod turns into a storable
// payments.Method. Tokenize therefore refuses raw details.
//
// Every charge is a PaymentIntent created and confirmed in one call with
// Remit's idempotency key, so a retry after a crash or a timeout returns
// the first PaymentIntent instead of charging twice. Stripe is the source
// of truth for outcomes that arrive later (debits, 3-D Secure, refunds,
// disputes): Settle, Confirm and SettleRefund ask it, and ParseEvent
// decodes what its webhooks push.
//
// Processor deliberately does not implement payments.InProcess: a charge
// moves real money over the network and must be recorded before and after.
package stripeproc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v82"

	"github.com/remitbilling/remit/internal/payments"
)

// Errors beyond the payments.Err* sentinels, which are used where they fit
// (ErrInvalidRequest, ErrInvalidToken, ErrInvalidReference,
// ErrIdempotencyConflict, ErrUnsupported).
var (
	// ErrUnavailable means Stripe could not be reached, timed out or
	// answered with a server error, so the outcome of the call is unknown.
	// A charge that gets it must stay PROCESSING and be reconciled later
	// (Settle, or the webhook); retrying with the same idempotency key is
	// safe.
	ErrUnavailable = fmt.Errorf("stripeproc: Stripe is unavailable: %w", payments.ErrUnavailable)
	// ErrInvalidKey means Stripe rejected the secret key (401): wrong,
	// revoked or expired.
	ErrInvalidKey = errors.New("stripeproc: Stripe rejected the secret key")
	// ErrRestrictedKey means the key is valid but lacks a permission the
	// call needs (403), typically a restricted key (rk_…).
	ErrRestrictedKey = errors.New("stripeproc: the Stripe key is not allowed to make this call")
	// ErrRawDetails is returned by Tokenize: live card and bank details
	// must be collected by Stripe.js, never sent to Remit.
	ErrRawDetails = fmt.Errorf("%w: collect them with Stripe's Payment Element and give the PaymentMethod id (pm_…)", payments.ErrCollectedByProvider)
)

// Config configures a Processor.
type Config struct {
	// SecretKey is the account's Stripe secret key (sk_live_…, sk_test_…)
	// or restricted key (rk_…).
	SecretKey string
	// BaseURL overrides https://api.stripe.com, for stripe-mock in tests.
	BaseURL string
	// HTTPClient carries timeouts and transport; nil means a client with
	// a 30-second timeout (stripe-go's default is 80 s, too long to hold a
	// payer's request).
	HTTPClient *http.Client
	// NetworkRetries is how many times stripe-go retries a failed request
	// (with the same idempotency key, so retries are safe). Zero means
	// none: the caller's reconciliation handles an unknown outcome, and a
	// payer's request should fail fast.
	NetworkRetries int64
}

// defaultTimeout bounds a call when the caller gives no client.
const defaultTimeout = 30 * time.Second

// Processor implements payments.Processor with Stripe. It is safe for
// concurrent use.
type Processor struct {
	key string
	sc  *stripe.Client
}

var (
	_ payments.Processor = (*Processor)(nil)
	_ payments.Canceler  = (*Processor)(nil)
)

// New returns a Processor for one Stripe account and mode.
func New(cfg Config) *Processor {
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	bc := &stripe.BackendConfig{
		HTTPClient:        hc,
		MaxNetworkRetries: stripe.Int64(cfg.NetworkRetries),
		// stripe-go logs every 4xx at error level by default; declines are
		// ordinary outcomes here and the caller logs what matters.
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	}
	if cfg.BaseURL != "" {
		bc.URL = stripe.String(strings.TrimRight(cfg.BaseURL, "/"))
	}
	backends := &stripe.Backends{
		API:     stripe.GetBackendWithConfig(stripe.APIBackend, bc),
		Connect: stripe.GetBackendWithConfig(stripe.ConnectBackend, bc),
		Uploads: stripe.GetBackendWithConfig(stripe.UploadsBackend, bc),
	}
	return &Processor{key: cfg.SecretKey, sc: stripe.NewClient(cfg.SecretKey, stripe.WithBackends(backends))}
}

// Mode tells live from test by the key's prefix (sk_live_, rk_live_,
// sk_test_, rk_test_); "" for anything else.
func Mode(key string) string {
	for _, p := range []string{"sk_", "rk_"} {
		switch {
		case strings.HasPrefix(key, p+"live_"):
			return "live"
		case strings.HasPrefix(key, p+"test_"):
			return "test"
		}
	}
	return ""
}

// VerifyKey checks the secret key against Stripe by reading the balance,
// which every full key and any restricted key fit for payments may do, and
// returns the key's mode ("live" or "test"). A malformed key is refused
// without a request.
func (p *Processor) VerifyKey(ctx context.Context) (string, error) {
	mode := Mode(p.key)
	if mode == "" {
		return "", fmt.Errorf("%w: a Stripe secret key starts with sk_live_, sk_test_, rk_live_ or rk_test_", ErrInvalidKey)
	}
	if _, err := p.sc.V1Balance.Retrieve(ctx, &stripe.BalanceRetrieveParams{}); err != nil {
		return "", classify(err)
	}
	return mode, nil
}

// Tokenize refuses raw details: see ErrRawDetails and AttachMethod.
func (p *Processor) Tokenize(context.Context, any) (payments.Method, error) {
	return payments.Method{}, ErrRawDetails
}

// AttachMethod makes a Stripe PaymentMethod (pm_…, collected by Stripe.js)
// usable for charges: it attaches it to the Stripe customer customerRef
// unless it already is (SetupIntents with a customer attach it
// themselves), and returns what Remit stores. A method attached to another
// customer is refused: charging it would fail, and it is someone else's.
func (p *Processor) AttachMethod(ctx context.Context, customerRef, pmID string) (payments.Method, error) {
	if !strings.HasPrefix(pmID, "pm_") {
		return payments.Method{}, fmt.Errorf("%w: a Stripe PaymentMethod id starts with pm_", payments.ErrInvalidToken)
	}
	pm, err := p.paymentMethod(ctx, pmID)
	if err != nil {
		return payments.Method{}, err
	}
	switch {
	case pm.Customer != nil && pm.Customer.ID != "" && customerRef != "" && pm.Customer.ID != customerRef:
		return payments.Method{}, fmt.Errorf("%w: the PaymentMethod belongs to another Stripe customer", payments.ErrInvalidToken)
	case (pm.Customer == nil || pm.Customer.ID == "") && customerRef != "":
		pm, err = p.sc.V1PaymentMethods.Attach(ctx, pmID, &stripe.PaymentMethodAttachParams{Customer: stripe.String(customerRef)})
		if err != nil {
			return payments.Method{}, classify(err)
		}
	}
	return methodFrom(pm)
}

// paymentMethod reads a PaymentMethod; a missing one is a bad token, not
// a bad charge reference.
func (p *Processor) paymentMethod(ctx context.Context, id string) (*stripe.PaymentMethod, error) {
	pm, err := p.sc.V1PaymentMethods.Retrieve(ctx, id, &stripe.PaymentMethodRetrieveParams{})
	if err != nil {
		err = classify(err)
		if errors.Is(err, payments.ErrInvalidReference) {
			err = fmt.Errorf("%w: %v", payments.ErrInvalidToken, err)
		}
		return nil, err
	}
	return pm, nil
}

func methodFrom(pm *stripe.PaymentMethod) (payments.Method, error) {
	m := payments.Method{Token: pm.ID}
	switch {
	case pm.Type == stripe.PaymentMethodTypeCard && pm.Card != nil:
		m.Type = payments.Card
		m.Brand = string(pm.Card.Brand)
		m.Last4, m.Fingerprint, m.Country = pm.Card.Last4, pm.Card.Fingerprint, pm.Card.Country
		m.ExpMonth, m.ExpYear = int(pm.Card.ExpMonth), int(pm.Card.ExpYear)
	case pm.Type == stripe.PaymentMethodTypeSEPADebit && pm.SEPADebit != nil:
		m.Type = payments.SEPADebit
		m.Last4, m.Fingerprint, m.Country, m.BankCode = pm.SEPADebit.Last4, pm.SEPADebit.Fingerprint, pm.SEPADebit.Country, pm.SEPADebit.BankCode
	case pm.Type == stripe.PaymentMethodTypeUSBankAccount && pm.USBankAccount != nil:
		m.Type = payments.ACHDebit
		m.Last4, m.Fingerprint, m.Country = pm.USBankAccount.Last4, pm.USBankAccount.Fingerprint, "US"
		m.BankCode, m.AccountType = pm.USBankAccount.RoutingNumber, string(pm.USBankAccount.AccountType)
	default:
		return payments.Method{}, fmt.Errorf("%w: Stripe PaymentMethod type %q", payments.ErrUnsupported, pm.Type)
	}
	return m, nil
}

var stripeMethodType = map[payments.MethodType]string{
	payments.Card:      string(stripe.PaymentMethodTypeCard),
	payments.SEPADebit: string(stripe.PaymentMethodTypeSEPADebit),
	payments.ACHDebit:  string(stripe.PaymentMethodTypeUSBankAccount),
}

// Charge creates and confirms a PaymentIntent for the saved method. The
// PaymentIntent id is the result's Reference. A decline is a FAILED
// result; ErrUnavailable means the outcome is unknown (retry with the same
// IdempotencyKey, or reconcile with Settle once the reference is known).
//
// A method saved on a Stripe customer can only be charged with that
// customer named, and payments.Method does not carry it, so Charge reads
// the PaymentMethod first; that read is idempotent and cheap next to the
// charge.
func (p *Processor) Charge(ctx context.Context, req payments.ChargeRequest) (payments.ChargeResult, error) {
	typ, ok := stripeMethodType[req.Method.Type]
	switch {
	case !ok:
		return payments.ChargeResult{}, fmt.Errorf("%w: method type %q", payments.ErrUnsupported, req.Method.Type)
	case !strings.HasPrefix(req.Method.Token, "pm_"):
		return payments.ChargeResult{}, payments.ErrInvalidToken
	case req.Amount <= 0:
		return payments.ChargeResult{}, fmt.Errorf("%w: amount must be positive", payments.ErrInvalidRequest)
	case len(req.Currency) != 3:
		return payments.ChargeResult{}, fmt.Errorf("%w: currency must be an ISO 4217 code", payments.ErrInvalidRequest)
	case req.IdempotencyKey == "":
		// Without a key a timeout could charge twice; refuse rather than
		// invent one that a retry would not repeat.
		return payments.ChargeResult{}, fmt.Errorf("%w: an idempotency key is required", payments.ErrInvalidRequest)
	}
	pm, err := p.paymentMethod(ctx, req.Method.Token)
	if err != nil {
		return payments.ChargeResult{}, err
	}
	params := &stripe.PaymentIntentCreateParams{
		Amount:             stripe.Int64(req.Amount),
		Currency:           stripe.String(strings.ToLower(req.Currency)),
		PaymentMethod:      stripe.String(req.Method.Token),
		PaymentMethodTypes: []*string{stripe.String(typ)},
		Confirm:            stripe.Bool(true),
	}
	if pm.Customer != nil && pm.Customer.ID != "" {
		params.Customer = stripe.String(pm.Customer.ID)
	}
	if req.OffSession {
		params.OffSession = stripe.Bool(true)
	}
	if req.Description != "" {
		params.Description = stripe.String(req.Description)
	}
	for k, v := range req.Metadata {
		params.AddMetadata(k, v)
	}
	params.SetIdempotencyKey(req.IdempotencyKey)
	pi, err := p.sc.V1PaymentIntents.Create(ctx, params)
	if err != nil {
		return declineOrError(err)
	}
	return chargeResult(pi), nil
}

// declineOrError turns Stripe's 402 for a declined confirmation into a
// FAILED result (the PaymentIntent it carries is the reference) and
// anything else into an error.
func declineOrError(err error) (payments.ChargeResult, error) {
	var se *stripe.Error
	if errors.As(err, &se) && se.Type == stripe.ErrorTypeCard {
		res := resultFromStatus("requires_payment_method", string(se.Code), string(se.DeclineCode), se.Msg)
		if se.PaymentIntent != nil {
			res.Reference = se.PaymentIntent.ID
		}
		return res, nil
	}
	return payments.ChargeResult{}, classify(err)
}

func chargeResult(pi *stripe.PaymentIntent) payments.ChargeResult {
	var code, decline, msg string
	if e := pi.LastPaymentError; e != nil {
		code, decline, msg = string(e.Code), string(e.DeclineCode), e.Msg
	}
	res := resultFromStatus(string(pi.Status), code, decline, msg)
	res.Reference = pi.ID
	return res
}

// Confirm reports where a PaymentIntent that required 3-D Secure stands.
// The outcome comes from Stripe, not from succeed: the payer
// authenticates with their bank through Stripe.js, and Remit only learns
// the result by asking (or from the webhook). succeed is ignored; a
// PaymentIntent still awaiting the payer stays REQUIRES_ACTION.
func (p *Processor) Confirm(ctx context.Context, reference string, _ bool) (payments.ChargeResult, error) {
	return p.Settle(ctx, reference)
}

// Settle returns the PaymentIntent's current state. Stripe gives no
// settlement date for debits, so SettlesAt stays zero; the webhook
// normally answers first, and this is the reconciliation for a lost one.
func (p *Processor) Settle(ctx context.Context, reference string) (payments.ChargeResult, error) {
	pi, err := p.paymentIntent(ctx, reference)
	if err != nil {
		return payments.ChargeResult{}, err
	}
	return chargeResult(pi), nil
}

func (p *Processor) paymentIntent(ctx context.Context, reference string) (*stripe.PaymentIntent, error) {
	if !strings.HasPrefix(reference, "pi_") {
		return nil, payments.ErrInvalidReference
	}
	pi, err := p.sc.V1PaymentIntents.Retrieve(ctx, reference, &stripe.PaymentIntentRetrieveParams{})
	if err != nil {
		return nil, classify(err)
	}
	return pi, nil
}

// Action is what the payer's browser needs to finish a REQUIRES_ACTION
// charge: Stripe.js's handleNextAction takes ClientSecret; RedirectURL is
// set when Stripe asks for a plain redirect instead. ChargeResult has no
// room for these, and the client secret should not be stored anyway: the
// page fetches it when it renders.
type Action struct {
	Type         string
	ClientSecret string
	RedirectURL  string
}

// NextAction returns the pending action of a PaymentIntent, or
// ErrInvalidReference when it does not require one.
func (p *Processor) NextAction(ctx context.Context, reference string) (Action, error) {
	pi, err := p.paymentIntent(ctx, reference)
	if err != nil {
		return Action{}, err
	}
	if pi.Status != stripe.PaymentIntentStatusRequiresAction || pi.NextAction == nil {
		return Action{}, fmt.Errorf("%w: payment does not require an action", payments.ErrInvalidReference)
	}
	a := Action{Type: string(pi.NextAction.Type), ClientSecret: pi.ClientSecret}
	if r := pi.NextAction.RedirectToURL; r != nil {
		a.RedirectURL = r.URL
	}
	return a, nil
}

// Refund refunds part or all of a PaymentIntent (or a charge, ch_…).
func (p *Processor) Refund(ctx context.Context, req payments.RefundRequest) (payments.RefundResult, error) {
	params := &stripe.RefundCreateParams{Amount: stripe.Int64(req.Amount)}
	switch {
	case strings.HasPrefix(req.Charge, "pi_"):
		params.PaymentIntent = stripe.String(req.Charge)
	case strings.HasPrefix(req.Charge, "ch_"):
		params.Charge = stripe.String(req.Charge)
	default:
		return payments.RefundResult{}, payments.ErrInvalidReference
	}
	switch {
	case req.Amount <= 0:
		return payments.RefundResult{}, fmt.Errorf("%w: amount must be positive", payments.ErrInvalidRequest)
	case req.IdempotencyKey == "":
		return payments.RefundResult{}, fmt.Errorf("%w: an idempotency key is required", payments.ErrInvalidRequest)
	}
	if req.Reason != "" {
		params.Reason = stripe.String(req.Reason)
	}
	for k, v := range req.Metadata {
		params.AddMetadata(k, v)
	}
	params.SetIdempotencyKey(req.IdempotencyKey)
	r, err := p.sc.V1Refunds.Create(ctx, params)
	if err != nil {
		return payments.RefundResult{}, classify(err)
	}
	return refundResult(r), nil
}

// SettleRefund returns the refund's current state. A pending refund has no
// known settlement date, so SettlesAt stays zero; refund.updated normally
// tells first.
func (p *Processor) SettleRefund(ctx context.Context, reference string) (payments.RefundResult, error) {
	if !strings.HasPrefix(reference, "re_") && !strings.HasPrefix(reference, "pyr_") {
		return payments.RefundResult{}, payments.ErrInvalidReference
	}
	r, err := p.sc.V1Refunds.Retrieve(ctx, reference, &stripe.RefundRetrieveParams{})
	if err != nil {
		return payments.RefundResult{}, classify(err)
	}
	return refundResult(r), nil
}

func refundResult(r *stripe.Refund) payments.RefundResult {
	return RefundResult(r.ID, string(r.Status), string(r.FailureReason))
}

// RefundResult maps a Stripe refund's status and failure_reason (from the
// API or a webhook) onto Remit's.
func RefundResult(id, status, failureReason string) payments.RefundResult {
	res := payments.RefundResult{Reference: id}
	switch stripe.RefundStatus(status) {
	case stripe.RefundStatusSucceeded:
		res.Status = payments.RefundSucceeded
	case stripe.RefundStatusFailed, stripe.RefundStatusCanceled:
		res.Status = payments.RefundFailed
		res.FailureCode = failureReason
		if res.FailureCode == "" {
			res.FailureCode = "unknown"
		}
		res.FailureMessage = "The refund could not be completed."
	default: // pending, requires_action
		res.Status = payments.RefundPending
	}
	return res
}

// classify maps a stripe-go error onto the package's and payments'
// sentinels, keeping Stripe's message for logs.
func classify(err error) error {
	var se *stripe.Error
	if !errors.As(err, &se) {
		// Network failure, timeout, cancellation or a body that is not a
		// Stripe error (a proxy's 502 page): the request may or may not
		// have reached Stripe.
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	switch {
	case se.HTTPStatusCode == http.StatusUnauthorized:
		return fmt.Errorf("%w: %s", ErrInvalidKey, se.Msg)
	case se.HTTPStatusCode == http.StatusForbidden:
		return fmt.Errorf("%w: %s", ErrRestrictedKey, se.Msg)
	case se.HTTPStatusCode >= 500, se.HTTPStatusCode == http.StatusTooManyRequests, se.Type == stripe.ErrorTypeAPI:
		return fmt.Errorf("%w: %s", ErrUnavailable, se.Msg)
	case se.Type == stripe.ErrorTypeIdempotency:
		return fmt.Errorf("%w: %s", payments.ErrIdempotencyConflict, se.Msg)
	case se.Code == stripe.ErrorCodeResourceMissing && se.Param == "payment_method":
		return fmt.Errorf("%w: %s", payments.ErrInvalidToken, se.Msg)
	case se.Code == stripe.ErrorCodeResourceMissing || se.HTTPStatusCode == http.StatusNotFound:
		return fmt.Errorf("%w: %s", payments.ErrInvalidReference, se.Msg)
	default:
		return fmt.Errorf("%w: %s", payments.ErrInvalidRequest, se.Msg)
	}
}
