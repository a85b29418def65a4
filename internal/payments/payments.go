// Package payments is the boundary between billing and whoever moves money.
//
// Billing code only ever sees a Processor: it tokenizes raw payment details
// once, stores the returned Method (an opaque token plus display details),
// and later charges that token. Raw card numbers, CVCs, IBANs and account
// numbers never leave Tokenize, so nothing downstream is in PCI scope.
//
// Two processors ship with the package:
//
//   - Simulator, for test mode. It behaves like Stripe's test cards, test
//     IBANs and test bank accounts, including 3-D Secure, delayed bank
//     debits and refunds (those of debits settle later; those of
//     4000000000005126 fail after succeeding), so invoices, dunning,
//     receipts and refunds can be exercised end to end without a network.
//   - Refusing, for live mode when no real provider is configured. Failing
//     loudly beats silently simulating money in production.
//
// A decline is not an error: Charge returns a FAILED ChargeResult carrying
// Stripe's failure and decline codes, because a decline is an ordinary
// business outcome that dunning must record and react to. Errors are kept
// for requests that could never succeed as sent (bad token, bad amount,
// unsupported method) and for infrastructure failures.
package payments

import (
	"context"
	"errors"
	"time"

	"github.com/remitbilling/remit/internal/viewer"
)

// Clock reports the current instant. It has the same method set as
// internal/clock.Clock so callers can pass that clock straight in.
type Clock interface {
	Now() time.Time
}

// MethodType is the kind of payment method. The values match the GraphQL
// enum style used across the API.
type MethodType string

const (
	Card         MethodType = "CARD"
	SEPADebit    MethodType = "SEPA_DEBIT"
	ACHDebit     MethodType = "ACH_DEBIT"
	BankTransfer MethodType = "BANK_TRANSFER"
)

// Delayed reports whether charges on this kind of method start PROCESSING
// and only resolve later, so callers know to poll Settle.
func (t MethodType) Delayed() bool { return t == SEPADebit || t == ACHDebit }

// CardInput is what a customer types into a card form. Number and CVC are
// accepted with spaces or dashes; ExpYear may have two or four digits.
type CardInput struct {
	Number   string
	ExpMonth int
	ExpYear  int
	CVC      string
}

// SEPAInput authorizes a SEPA Direct Debit mandate. Tokenizing it means the
// caller has collected the customer's mandate acceptance; the caller must
// record when and how (IP, user agent) because the scheme requires proof.
type SEPAInput struct {
	IBAN          string
	AccountHolder string
}

// ACHInput authorizes a US ACH debit. AccountType is "checking" (default)
// or "savings".
type ACHInput struct {
	RoutingNumber string
	AccountNumber string
	AccountHolder string
	AccountType   string
}

// Method is the storable result of tokenization: safe to persist and to
// show back to the customer ("Visa •••• 4242").
type Method struct {
	Type MethodType
	// Token is the processor's opaque reference; pass it back in
	// ChargeRequest.Method. It is not a secret, but it is the only handle
	// on the payment details.
	Token string

	Brand string // card brand: visa, mastercard, amex, discover, diners, jcb, unionpay, unknown
	// Last4 is the last four digits of the card number, IBAN or account
	// number, whichever applies.
	Last4    string
	ExpMonth int
	ExpYear  int // four digits
	// Fingerprint is equal for the same card number or bank account, so
	// callers can spot duplicates without seeing the number. It is only
	// comparable between processors built with the same key.
	Fingerprint string

	BankCode         string // debits: bank code from the IBAN or the ABA routing number
	Country          string // debits: ISO 3166-1 alpha-2 of the account
	MandateReference string // debits: reference shown on the customer's bank statement
	AccountType      string // ACH: checking or savings
}

// Status is where a charge stands. The values follow Stripe's
// PaymentIntent lifecycle, collapsed to what invoicing cares about.
type Status string

const (
	// StatusProcessing means a bank debit was submitted and its outcome is
	// not known yet; call Settle later.
	StatusProcessing Status = "PROCESSING"
	StatusSucceeded  Status = "SUCCEEDED"
	StatusFailed     Status = "FAILED"
	// StatusRequiresAction means the customer must authenticate (3-D
	// Secure) before money moves; call Confirm with the outcome.
	StatusRequiresAction Status = "REQUIRES_ACTION"
	// StatusCanceled exists for real providers; the simulator never
	// produces it.
	StatusCanceled Status = "CANCELED"
)

// Final reports whether the status will never change again.
func (s Status) Final() bool {
	return s == StatusSucceeded || s == StatusFailed || s == StatusCanceled
}

// ChargeRequest asks to move Amount (in the currency's minor unit) from
// Method.
type ChargeRequest struct {
	Method   Method
	Amount   int64
	Currency string // ISO 4217, any case
	// IdempotencyKey makes retries safe: the same key returns the first
	// result instead of charging twice. Keys are global to the processor, so
	// callers must namespace them (e.g. by account and invoice payment).
	IdempotencyKey string
	// OffSession marks charges made without the customer present (automatic
	// invoice collection, dunning retries).
	OffSession bool
	// Description and Metadata travel with the charge to a real provider
	// (its dashboard, its webhooks): Remit's payment and invoice ids, so
	// an outcome can be matched even when its reference was never stored.
	Description string
	Metadata    map[string]string
}

// ChargeResult is the outcome of a charge attempt.
type ChargeResult struct {
	Status Status
	// Reference identifies the charge at the processor; Confirm and Settle
	// take it, and it belongs on receipts and in reconciliation.
	Reference string
	// FailureCode is Stripe's error code (card_declined, expired_card,
	// incorrect_cvc, processing_error, insufficient_funds, ...).
	FailureCode string
	// DeclineCode refines FailureCode "card_declined" the way Stripe does
	// (generic_decline, insufficient_funds, lost_card, stolen_card).
	DeclineCode string
	// FailureMessage is safe to show to the customer.
	FailureMessage string
	// SettlesAt is when a PROCESSING debit resolves; zero otherwise.
	SettlesAt time.Time
}

// Stripe's failure and decline codes that the simulator produces. Callers
// should compare against these rather than string literals.
const (
	CodeCardDeclined         = "card_declined"
	CodeGenericDecline       = "generic_decline"
	CodeInsufficientFunds    = "insufficient_funds"
	CodeLostCard             = "lost_card"
	CodeStolenCard           = "stolen_card"
	CodeExpiredCard          = "expired_card"
	CodeIncorrectCVC         = "incorrect_cvc"
	CodeProcessingError      = "processing_error"
	CodeAuthenticationFailed = "authentication_failed"
	CodeDebitNotAuthorized   = "debit_not_authorized"
	CodeAccountClosed        = "account_closed"
)

// hardDeclines are the codes Stripe's Smart Retries never retries: retrying
// the same method cannot succeed and may look like card testing to issuers.
// Bank-side equivalents (closed or unauthorized accounts) are included.
var hardDeclines = map[string]bool{
	"incorrect_number":                 true,
	CodeLostCard:                       true,
	"pickup_card":                      true,
	CodeStolenCard:                     true,
	"revocation_of_authorization":      true,
	"revocation_of_all_authorizations": true,
	"authentication_required":          true,
	CodeAccountClosed:                  true,
	"no_account":                       true,
	CodeDebitNotAuthorized:             true,
}

// HardDecline reports whether the failure rules out retrying the same
// method, so dunning should stop and ask the customer for a new one.
func (r ChargeResult) HardDecline() bool {
	if r.Status != StatusFailed {
		return false
	}
	return hardDeclines[r.DeclineCode] || hardDeclines[r.FailureCode]
}

// RefundRequest asks to give back Amount (minor units) of a succeeded
// charge.
type RefundRequest struct {
	// Charge is the processor's reference of the charge
	// (ChargeResult.Reference).
	Charge   string
	Amount   int64
	Currency string // ISO 4217, any case; the charge's
	// IdempotencyKey makes retries safe, as for charges: the same key
	// returns the first refund instead of refunding twice.
	IdempotencyKey string
	// Reason is Stripe's: duplicate, fraudulent, requested_by_customer,
	// or empty.
	Reason string
	// Metadata travels with the refund to a real provider, as for charges.
	Metadata map[string]string
}

// RefundStatus is where a refund stands: pending (bank debits refund
// later), succeeded or failed. The values follow Stripe's Refund.
type RefundStatus string

const (
	RefundPending   RefundStatus = "PENDING"
	RefundSucceeded RefundStatus = "SUCCEEDED"
	RefundFailed    RefundStatus = "FAILED"
)

// RefundResult is what a processor says of a refund.
type RefundResult struct {
	Status RefundStatus
	// Reference identifies the refund at the processor; SettleRefund takes
	// it.
	Reference string
	// FailureCode is Stripe's refund failure_reason (declined,
	// expired_or_canceled_card, lost_or_stolen_card, insufficient_funds,
	// unknown); FailureMessage is safe to show.
	FailureCode    string
	FailureMessage string
	// SettlesAt is when to ask again with SettleRefund: when a pending
	// refund is expected to settle, or until when a succeeded one may
	// still fail (Stripe's asynchronous refund failure, which a real
	// provider reports by webhook). Zero when the status is final.
	SettlesAt time.Time
}

// Processor moves money. Implementations must be safe for concurrent use.
type Processor interface {
	// Tokenize validates raw details and returns a storable Method. input
	// is a CardInput, SEPAInput or ACHInput (or a pointer to one).
	Tokenize(ctx context.Context, input any) (Method, error)
	// Charge attempts a payment. Declines are a FAILED result, not an
	// error.
	Charge(ctx context.Context, req ChargeRequest) (ChargeResult, error)
	// Confirm reports the customer's 3-D Secure outcome for a charge that
	// returned REQUIRES_ACTION.
	Confirm(ctx context.Context, reference string, succeed bool) (ChargeResult, error)
	// Settle returns the current state of a PROCESSING debit: still
	// PROCESSING before its SettlesAt, final afterwards.
	Settle(ctx context.Context, reference string) (ChargeResult, error)
	// Refund gives back part or all of a succeeded charge. A refund the
	// bank refuses is a FAILED result, not an error; errors are for
	// requests that could never succeed as sent (ErrInvalidReference,
	// ErrInvalidRequest) and for infrastructure failures.
	Refund(ctx context.Context, req RefundRequest) (RefundResult, error)
	// SettleRefund returns the current state of a refund whose result
	// carried a SettlesAt: unchanged before it, final afterwards.
	SettleRefund(ctx context.Context, reference string) (RefundResult, error)
}

// Customer is who a saved method belongs to, as a processor that keeps
// its own customers needs to know them.
type Customer struct {
	ID, Name, Email string
}

// Collecting is implemented by a processor that collects payment details
// itself, in the payer's browser (Stripe's Payment Element), so card and
// bank details never reach Remit: its Tokenize refuses them
// (ErrCollectedByProvider), and the methods it collected are turned into
// storable Methods by their token.
type Collecting interface {
	Processor
	// PublishableKey is what the payer's browser loads the provider's form
	// with.
	PublishableKey() string
	// SetupSession starts saving a method of one of types for customer,
	// and returns the client secret the provider's form confirms.
	SetupSession(ctx context.Context, customer Customer, types []MethodType) (string, error)
	// Collected returns what Remit stores of a method the provider's form
	// collected: attached to customer for later charges when save, else
	// for one payment (and refused if it is another customer's).
	Collected(ctx context.Context, customer Customer, token string, save bool) (Method, error)
	// ActionSecret is what the payer's browser needs to finish a charge
	// that REQUIRES_ACTION (3-D Secure, a bank redirect).
	ActionSecret(ctx context.Context, reference string) (string, error)
}

// Metadata keys Remit gives a real provider's charges and refunds: its own
// ids, by which a provider's later notice finds the row.
const (
	MetadataPaymentID = "remit_payment_id"
	MetadataRefundID  = "remit_refund_id"
	MetadataInvoiceID = "remit_invoice_id"
)

// Canceler is implemented by a processor whose charges awaiting the payer
// can be canceled, so that a payment Remit gives up on (authentication
// never completed) cannot take money later. Cancel returns the charge's
// state afterwards: it may have succeeded meanwhile.
type Canceler interface {
	Cancel(ctx context.Context, reference string) (ChargeResult, error)
}

// InProcess is implemented by a processor whose Charge answers at once
// from this process, with no network and no real money (the Simulator).
// Its caller may charge inside the database transaction that records the
// payment, and write the payment once, with its outcome, instead of
// reserving it before the call and settling it after. A real provider must
// not implement it: a charge made in a transaction that then fails to
// commit would be money moved without a record.
type InProcess interface {
	Processor
	ChargesInProcess()
}

// MessageDeclined is what a payer is told of a declined card when the
// processor gives nothing safer to show: every processor says it alike.
const MessageDeclined = "Your card was declined."

// Errors returned by processors. Input errors arrive wrapped in an
// *InputError naming the field, so match them with errors.Is.
var (
	ErrInvalidNumber  = errors.New("payments: card number is invalid")
	ErrInvalidExpiry  = errors.New("payments: card expiry date is invalid")
	ErrExpiredCard    = errors.New("payments: card has expired")
	ErrInvalidCVC     = errors.New("payments: card security code is invalid")
	ErrInvalidIBAN    = errors.New("payments: IBAN is invalid")
	ErrInvalidRouting = errors.New("payments: routing number is invalid")
	ErrInvalidAccount = errors.New("payments: bank account is invalid")
	ErrMissingHolder  = errors.New("payments: account holder name is required")
	// ErrUnsupported covers method types, countries or currencies the
	// processor cannot handle.
	ErrUnsupported = errors.New("payments: unsupported payment method or currency")
	// ErrInvalidRequest covers charge requests that are malformed as sent
	// (non-positive amount, malformed currency).
	ErrInvalidRequest = errors.New("payments: invalid charge request")
	// ErrInvalidToken means the token was not issued by this processor or
	// does not match the method type.
	ErrInvalidToken = errors.New("payments: unknown payment method token")
	// ErrInvalidReference means the reference was not issued by this
	// processor or the charge is not in a state the call applies to.
	ErrInvalidReference = errors.New("payments: unknown or inapplicable charge reference")
	// ErrIdempotencyConflict means an idempotency key was reused with a
	// different request, which Stripe also rejects.
	ErrIdempotencyConflict = errors.New("payments: idempotency key reused with different parameters")
	// ErrCollectedByProvider means raw card or bank details were given to
	// a processor that collects them itself, in the payer's browser
	// (Stripe's Payment Element): give the method it collected instead.
	ErrCollectedByProvider = errors.New("payments: raw card or bank details are not accepted; the processor's own form collects them")
	// ErrUnavailable means the processor could not be reached, timed out
	// or failed on its side: the outcome of the call is unknown, and a
	// charge that gets it stays PROCESSING until it is reconciled.
	ErrUnavailable = errors.New("payments: the payment processor is unavailable; the outcome is unknown")
	// ErrLiveModeUnavailable is returned by Refusing.
	ErrLiveModeUnavailable = errors.New("payments: live mode is unavailable because no payment provider is configured; use test mode or configure a provider")
)

// InputError pins a tokenization failure to the offending field so the API
// can point the customer at it. Unwrap yields one of the Err* sentinels.
type InputError struct {
	Field  string // e.g. "number", "exp_month", "iban", "routing_number"
	Reason string
	Err    error
}

func (e *InputError) Error() string {
	if e.Reason == "" {
		return e.Err.Error()
	}
	return e.Err.Error() + ": " + e.Reason
}

func (e *InputError) Unwrap() error { return e.Err }

func inputErr(field string, err error, reason string) error {
	return &InputError{Field: field, Reason: reason, Err: err}
}

// Refusing is the live-mode processor when no real provider is configured.
// Every call fails with ErrLiveModeUnavailable so a misconfiguration is
// visible on the first payment instead of simulated money reaching books.
type Refusing struct{}

var (
	_ Processor = Refusing{}
	_ Processor = (*Simulator)(nil)
	_ InProcess = (*Simulator)(nil)
)

func (Refusing) Tokenize(context.Context, any) (Method, error) {
	return Method{}, ErrLiveModeUnavailable
}

func (Refusing) Charge(context.Context, ChargeRequest) (ChargeResult, error) {
	return ChargeResult{}, ErrLiveModeUnavailable
}

func (Refusing) Confirm(context.Context, string, bool) (ChargeResult, error) {
	return ChargeResult{}, ErrLiveModeUnavailable
}

func (Refusing) Settle(context.Context, string) (ChargeResult, error) {
	return ChargeResult{}, ErrLiveModeUnavailable
}

func (Refusing) Refund(context.Context, RefundRequest) (RefundResult, error) {
	return RefundResult{}, ErrLiveModeUnavailable
}

func (Refusing) SettleRefund(context.Context, string) (RefundResult, error) {
	return RefundResult{}, ErrLiveModeUnavailable
}

// Lookup finds the processor serving an account in a mode: the one the
// account connected, or the mode's default (the simulator in test,
// Refusing in live). An error means the lookup itself failed (the
// database); a missing processor is Refusing, never nil.
type Lookup interface {
	For(ctx context.Context, accountID string, mode viewer.Mode) (Processor, error)
}

// ByMode is a Lookup serving every account of a mode with one processor,
// for tools and tests; a nil answer is Refusing.
type ByMode func(viewer.Mode) Processor

// For returns f(mode).
func (f ByMode) For(_ context.Context, _ string, mode viewer.Mode) (Processor, error) {
	if p := f(mode); p != nil {
		return p, nil
	}
	return Refusing{}, nil
}
