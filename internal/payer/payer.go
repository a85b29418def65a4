// Package payer is the payer's side of Remit: what a customer sees of an
// invoice (View) and what they may do (Pay, Confirm, the card actions,
// UpdateBilling), wherever they do it. The hosted invoice page
// (internal/server), the portal's web pages (portal/web) and the portal's
// GraphQL API (portal/graph) only render what this package answers, so the
// rules are written once: which portal features the merchant turned on,
// that card changes need a recent login, how a payer's idempotency key is
// kept apart from everyone else's, and what the payer reads (words).
package payer

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/customers"
	"github.com/remitbilling/remit/internal/paymentmethods"
	"github.com/remitbilling/remit/internal/payments"
	iportal "github.com/remitbilling/remit/internal/portal"
	"github.com/remitbilling/remit/internal/usererr"
)

// Deps are the services the payer's actions call.
type Deps struct {
	DB        *ent.Client
	Billing   *billing.Service
	Methods   *paymentmethods.Service
	Customers *customers.Service
	// Processors tell whether the account's processor collects details
	// with its own form (Stripe's Payment Element), which the pages then
	// show instead of Remit's card fields.
	Processors payments.Lookup
}

// Service answers for payers. It holds no state of its own: each surface
// makes one from the services it is given.
type Service struct{ d Deps }

// New returns the payer service over d.
func New(d Deps) *Service { return &Service{d: d} }

// Surface is where a payer acts.
type Surface int

const (
	// Hosted is the hosted invoice page: whoever holds the link pays that
	// one invoice, and nothing else.
	Hosted Surface = iota
	// Portal is a signed-in customer of the portal, web or API.
	Portal
)

// Payer is who acts, and where.
type Payer struct {
	Surface Surface
	// Token is the hosted page's link token (Hosted).
	Token string
	// Session and Config are the portal's signed-in session and the
	// merchant's settings of that portal (Portal).
	Session *iportal.Session
	Config  *ent.PortalConfig
	// Base is where the portal's web pages live ("/portal/bp_…"), for the
	// links a view carries; empty for the API.
	Base string
}

// HostedPayer is whoever opened the hosted page of token.
func HostedPayer(token string) Payer { return Payer{Surface: Hosted, Token: token} }

// PortalPayer is the customer signed in with sess on a portal set up as
// cfg; base is the web portal's path ("" for the API).
func PortalPayer(cfg *ent.PortalConfig, sess *iportal.Session, base string) Payer {
	return Payer{Surface: Portal, Session: sess, Config: cfg, Base: base}
}

// CustomerID is the signed-in customer ("" on the hosted page).
func (p Payer) CustomerID() string {
	if p.Session == nil {
		return ""
	}
	return p.Session.Row.CustomerID
}

// Feature is something a payer may do, which the merchant may turn off in
// the portal.
type Feature int

const (
	FeaturePay Feature = iota
	FeatureMethods
	FeatureBilling
	FeatureHistory
)

// Allows tells whether p may use f. The hosted page pays and shows the
// invoice's own payments; the portal does what its settings turn on.
func (p Payer) Allows(f Feature) bool {
	if p.Surface == Hosted {
		return f == FeaturePay || f == FeatureHistory
	}
	if p.Config == nil {
		return false
	}
	switch f {
	case FeaturePay:
		return p.Config.PayInvoices
	case FeatureMethods:
		return p.Config.ManagePaymentMethods
	case FeatureBilling:
		return p.Config.UpdateBillingDetails
	case FeatureHistory:
		return p.Config.ShowHistory
	}
	return false
}

// Require refuses f when p may not use it (iportal.ErrFeatureOff).
func (p Payer) Require(f Feature) error {
	if !p.Allows(f) {
		return iportal.ErrFeatureOff
	}
	return nil
}

// requireRecent refuses card changes on a portal login over ten minutes
// old (iportal.ErrReauthenticate): a stolen session cookie alone cannot
// swap the card the merchant charges.
func (p Payer) requireRecent(ctx context.Context) error {
	if p.Session == nil {
		return iportal.ErrFeatureOff
	}
	return iportal.RequireRecentLogin(ctx, p.Session)
}

// invoiceURL is where p reads invoice id (hosted token or portal page);
// "" when the surface has no page for it.
func (p Payer) invoiceURL(id string) string {
	if p.Surface == Hosted {
		return "/i/" + p.Token
	}
	if p.Base == "" {
		return ""
	}
	return p.Base + "/invoices/" + url.PathEscape(id)
}

// creditNoteURL is where p downloads the PDF of credit note id; "" when
// the surface has no page for it.
func (p Payer) creditNoteURL(id string) string {
	if p.Surface == Hosted {
		return "/i/" + p.Token + "/credit_notes/" + url.PathEscape(id) + "/pdf"
	}
	if p.Base == "" {
		return ""
	}
	return p.Base + "/credit_notes/" + url.PathEscape(id) + "/pdf"
}

// CodeIdempotencyKeyInvalid: a payer's Idempotency-Key is too long or not
// printable ASCII.
const CodeIdempotencyKeyInvalid usererr.Code = "IDEMPOTENCY_KEY_INVALID"

// MaxKeyLength leaves room for the payer's namespace within the 255
// characters a payment's key may have.
const MaxKeyLength = 200

// namespacedKey checks a payer's idempotency key and puts it in the
// payer's own namespace: a key the merchant, another customer or another
// hosted link used never replays their payment.
func (p Payer) namespacedKey(invoiceID, key string) (string, error) {
	if key == "" {
		return "", usererr.New(usererr.IdempotencyKeyRequired, "payments need an Idempotency-Key header, so that a retry never charges twice")
	}
	if len(key) > MaxKeyLength {
		return "", usererr.New(CodeIdempotencyKeyInvalid, fmt.Sprintf("the Idempotency-Key header is at most %d characters", MaxKeyLength))
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return "", usererr.New(CodeIdempotencyKeyInvalid, "the Idempotency-Key header is printable ASCII without spaces")
		}
	}
	if p.Surface == Hosted {
		// By invoice, not by link token: the token is the link's secret and
		// stays out of other columns.
		return "hosted:" + invoiceID + ":" + key, nil
	}
	return "portal:" + p.CustomerID() + ":" + key, nil
}

// PayRequest is a payment a payer asks for.
type PayRequest struct {
	InvoiceID string
	// Key is the payer's idempotency key: the API's Idempotency-Key
	// header, or the key a rendered form carries (one per rendering, so a
	// double submit pays once).
	Key string
	// PaymentMethodID is one of the customer's saved methods (portal);
	// Card pays with a card given now. Neither: the customer's default.
	PaymentMethodID string
	Card            *payments.CardInput
	// Collected is a method the processor's own form collected in the
	// payer's browser (Stripe's PaymentMethod id), to pay with once.
	Collected string
	// All pays all that remains; otherwise a plan's next installment (or
	// all that remains without a plan).
	All bool
}

// Pay charges an invoice for its payer. A decline is a result (the
// payment FAILED), not an error.
func (s *Service) Pay(ctx context.Context, who Payer, in PayRequest) (*ent.Invoice, *ent.Payment, error) {
	if err := who.Require(FeaturePay); err != nil {
		return nil, nil, err
	}
	key, err := who.namespacedKey(in.InvoiceID, in.Key)
	if err != nil {
		return nil, nil, err
	}
	given := 0
	for _, set := range []bool{in.Card != nil, in.PaymentMethodID != "", in.Collected != ""} {
		if set {
			given++
		}
	}
	if given > 1 {
		return nil, nil, usererr.New(usererr.Invalid, "give one of paymentMethod, card and processorPaymentMethod", "card")
	}
	source := payment.SourcePortal
	if who.Surface == Hosted {
		source = payment.SourceHostedPage
		in.PaymentMethodID = "" // a link holder never charges the customer's saved cards
		if in.Card == nil && in.Collected == "" {
			in.Card = &payments.CardInput{}
		}
	}
	return s.d.Billing.Pay(ctx, billing.PayInput{
		InvoiceID: in.InvoiceID, PaymentMethodID: in.PaymentMethodID, Card: in.Card, Collected: in.Collected,
		All: in.All, IdempotencyKey: key, Source: source,
	})
}

// Confirm answers the (simulated) 3-D Secure challenge of a payment of
// invoice invoiceID.
func (s *Service) Confirm(ctx context.Context, who Payer, invoiceID, paymentID string, approve bool) (*ent.Invoice, *ent.Payment, error) {
	if err := who.Require(FeaturePay); err != nil {
		return nil, nil, err
	}
	p, err := s.d.DB.Payment.Query().Where(payment.ID(paymentID), payment.InvoiceID(invoiceID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil, usererr.New(usererr.NotFound, "no such payment", "payment")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load payment: %w", err)
	}
	return s.d.Billing.Confirm(ctx, p.ID, approve)
}

// AddCard saves a card for the signed-in customer.
func (s *Service) AddCard(ctx context.Context, who Payer, card *payments.CardInput, setDefault bool) (*ent.PaymentMethod, error) {
	if err := s.cardChange(ctx, who); err != nil {
		return nil, err
	}
	return s.d.Methods.Attach(ctx, paymentmethods.AttachInput{CustomerID: who.CustomerID(), Card: card, SetDefault: setDefault})
}

// AddCollected saves for the signed-in customer a method the processor's
// own form collected (a SetupIntent Stripe.js confirmed: MethodSetup).
func (s *Service) AddCollected(ctx context.Context, who Payer, token string, setDefault bool) (*ent.PaymentMethod, error) {
	if err := s.cardChange(ctx, who); err != nil {
		return nil, err
	}
	return s.d.Methods.Attach(ctx, paymentmethods.AttachInput{CustomerID: who.CustomerID(), Collected: token, SetDefault: setDefault})
}

// CollectsDetails reports whether the viewer's processor collects card
// and bank details with its own form (then methods are saved through
// MethodSetup), without starting anything at the processor.
func (s *Service) CollectsDetails(ctx context.Context) (bool, error) {
	c, err := s.collector(ctx)
	return c != nil, err
}

// MethodSetup starts saving a method with the processor's own form for
// the signed-in customer of acct's portal (a card, or a debit mandate the
// form collects, as the account accepts): nil when the processor takes
// details through Remit's own form.
func (s *Service) MethodSetup(ctx context.Context, who Payer, acct *ent.Account) (*Collect, error) {
	if err := s.cardChange(ctx, who); err != nil {
		return nil, err
	}
	var types []payments.MethodType
	for _, t := range billing.AcceptedMethodTypes(acct, nil) {
		types = append(types, payments.MethodType(t))
	}
	setup, err := s.d.Methods.SetupSession(ctx, who.CustomerID(), types)
	if err != nil || setup == nil {
		return nil, err
	}
	return &Collect{PublishableKey: setup.PublishableKey, ClientSecret: setup.ClientSecret, Intent: IntentSetup}, nil
}

// SetDefault makes one of the customer's methods the one charged by
// default.
func (s *Service) SetDefault(ctx context.Context, who Payer, id string) (*ent.PaymentMethod, error) {
	if err := s.cardChange(ctx, who); err != nil {
		return nil, err
	}
	if _, err := s.d.Methods.SetDefault(ctx, who.CustomerID(), id); err != nil {
		return nil, err
	}
	return s.d.DB.PaymentMethod.Get(ctx, id)
}

// RemoveCard removes one of the customer's methods (the data layer finds
// only the customer's own).
func (s *Service) RemoveCard(ctx context.Context, who Payer, id string) (*ent.PaymentMethod, error) {
	if err := s.cardChange(ctx, who); err != nil {
		return nil, err
	}
	return s.d.Methods.Detach(ctx, id)
}

func (s *Service) cardChange(ctx context.Context, who Payer) error {
	if err := who.Require(FeatureMethods); err != nil {
		return err
	}
	return who.requireRecent(ctx)
}

// UpdateBilling changes the customer's billing details. The email is how
// the customer signs in, so it never changes here.
func (s *Service) UpdateBilling(ctx context.Context, who Payer, in customers.Input) (*ent.Customer, error) {
	if err := who.Require(FeatureBilling); err != nil {
		return nil, err
	}
	in.Email = nil
	return s.d.Customers.Update(ctx, who.CustomerID(), in)
}

// NewMethodForm reads the new method a pay or add-card form posted: the
// processor's own form posts what it collected (payment_method, Stripe's
// PaymentMethod id) and no card field; Remit's form posts the card.
func NewMethodForm(r *http.Request) (card *payments.CardInput, collected string) {
	if pm := r.PostFormValue("payment_method"); pm != "" {
		return nil, pm
	}
	return CardForm(r), ""
}

// CardForm reads the card fields of a pay or add-card form: number,
// expiry "MM/YY" and cvc.
func CardForm(r *http.Request) *payments.CardInput {
	month, year, _ := strings.Cut(strings.ReplaceAll(r.PostFormValue("expiry"), " ", ""), "/")
	m, _ := strconv.Atoi(month)
	y, _ := strconv.Atoi(year)
	return &payments.CardInput{Number: r.PostFormValue("number"), ExpMonth: m, ExpYear: y, CVC: strings.TrimSpace(r.PostFormValue("cvc"))}
}
