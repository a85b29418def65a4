// Package usererr is the typed error a caller can fix: a code, a message and
// the path of the input field at fault. Services return it; the GraphQL layer
// renders it as userErrors. Anything else is an internal error and is masked.
package usererr

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/remitbilling/remit/internal/validate"
)

// Code classifies a user error. Clients switch on it, never on messages.
type Code string

const (
	Invalid                  Code = "INVALID"
	Required                 Code = "REQUIRED"
	NotFound                 Code = "NOT_FOUND"
	Taken                    Code = "TAKEN"
	LimitExceeded            Code = "LIMIT_EXCEEDED"
	InvalidTransition        Code = "INVALID_TRANSITION"
	InvoiceNotEditable       Code = "INVOICE_NOT_EDITABLE"
	CurrencyLocked           Code = "CURRENCY_LOCKED"
	CurrencyMismatch         Code = "CURRENCY_MISMATCH"
	UnknownCurrency          Code = "UNKNOWN_CURRENCY"
	InvalidAmount            Code = "INVALID_AMOUNT"
	AmountTooLarge           Code = "AMOUNT_TOO_LARGE"
	InvalidDecimal           Code = "INVALID_DECIMAL"
	InvalidEmail             Code = "INVALID_EMAIL"
	InvalidLocale            Code = "INVALID_LOCALE"
	InvalidCountry           Code = "INVALID_COUNTRY"
	InvalidPhone             Code = "INVALID_PHONE"
	InvalidTaxID             Code = "INVALID_TAX_ID"
	UnsupportedTaxID         Code = "UNSUPPORTED_TAX_ID_TYPE"
	InvalidSIREN             Code = "INVALID_SIREN"
	InvalidSIRET             Code = "INVALID_SIRET"
	InvalidPrefix            Code = "INVALID_PREFIX"
	InvalidNumber            Code = "INVALID_NUMBER"
	Immutable                Code = "IMMUTABLE"
	Inactive                 Code = "INACTIVE"
	DuplicateEmail           Code = "DUPLICATE_EMAIL"
	InvalidImage             Code = "INVALID_IMAGE"
	ImageTooLarge            Code = "IMAGE_TOO_LARGE"
	InvalidColor             Code = "INVALID_COLOR"
	InvalidCardNumber        Code = "INVALID_CARD_NUMBER"
	ExpiredCard              Code = "EXPIRED_CARD"
	InvalidCard              Code = "INVALID_CARD"
	InvalidBankAccount       Code = "INVALID_BANK_ACCOUNT"
	ProcessorUnavailable     Code = "PROCESSOR_UNAVAILABLE"
	AmountExceedsRemaining   Code = "AMOUNT_EXCEEDS_REMAINING"
	IdempotencyKeyRequired   Code = "IDEMPOTENCY_KEY_REQUIRED"
	PaymentMethodNotAccepted Code = "PAYMENT_METHOD_NOT_ACCEPTED"
	AmountsDueMismatch       Code = "AMOUNTS_DUE_MISMATCH"
	AmountsDueNotAllowed     Code = "AMOUNTS_DUE_NOT_ALLOWED"
	HasPayments              Code = "HAS_PAYMENTS"
	InvalidString            Code = "INVALID_STRING"
	RefundExceedsPayment     Code = "REFUND_EXCEEDS_PAYMENT"
	// TaxIDRequired: a reverse-charge (or intra-community) invoice cannot
	// be issued without the buyer's and the seller's VAT numbers.
	TaxIDRequired Code = "TAX_ID_REQUIRED"
	// InvalidCursor: a list's after cursor was made under another
	// ordering (or by another list): its next page would be wrong.
	InvalidCursor Code = "INVALID_CURSOR"
	// LowContrast is a warning: a colour reads poorly against white.
	LowContrast Code = "LOW_CONTRAST"
)

// Credit notes (internal/billing creditnote*.go).
const (
	// CreditExceedsRemaining: the credit note's total is more than the
	// invoice's total less earlier credit notes and refunds.
	CreditExceedsRemaining Code = "CREDIT_EXCEEDS_REMAINING"
	// CreditQuantityExceedsRemaining: a line credits more of an invoice
	// line's quantity than earlier credit notes left.
	CreditQuantityExceedsRemaining Code = "CREDIT_QUANTITY_EXCEEDS_REMAINING"
	// CreditLineAmountExceedsRemaining: a line credits more of an invoice
	// line's amount than earlier credit notes left.
	CreditLineAmountExceedsRemaining Code = "CREDIT_LINE_AMOUNT_EXCEEDS_REMAINING"
	// CreditMethodMismatch: an invoice line credited by quantity is
	// credited by amount, or the other way round.
	CreditMethodMismatch Code = "CREDIT_METHOD_MISMATCH"
	// CreditAmountMismatch: amount and lines are both given and disagree.
	CreditAmountMismatch Code = "CREDIT_AMOUNT_MISMATCH"
	// CreditSplitExceedsTotal: refundAmount + creditAmount +
	// outOfBandAmount exceed the credit note's total.
	CreditSplitExceedsTotal Code = "CREDIT_SPLIT_EXCEEDS_TOTAL"
	// PrePaymentExceedsRemaining: the pre-payment part (what the split
	// leaves) is more than the invoice still owes.
	PrePaymentExceedsRemaining Code = "PRE_PAYMENT_EXCEEDS_REMAINING"
	// PostPaymentExceedsPaid: the post-payment part is more than was paid
	// (less earlier post-payment credits and refunds).
	PostPaymentExceedsPaid Code = "POST_PAYMENT_EXCEEDS_PAID"
	// HasCreditNotes: an invoice that issued credit notes cannot be voided
	// or revised while they stand (a credit note must correct an invoice
	// that exists).
	HasCreditNotes Code = "HAS_CREDIT_NOTES"
)

// Collection codes.
const (
	// ScheduledAfterDueDate warns that a payment is scheduled after the
	// date it is due by: allowed, late.
	ScheduledAfterDueDate Code = "SCHEDULED_AFTER_DUE_DATE"
	// SchedulingDisabled refuses a scheduled payment the account does not
	// offer.
	SchedulingDisabled Code = "SCHEDULING_DISABLED"
)

// E-invoicing codes.
const (
	// MandatoryMentionMissing: the invoice, its seller or its buyer lacks
	// a mention the e-invoicing rules make mandatory (invoicePreflight).
	MandatoryMentionMissing Code = "MANDATORY_MENTION_MISSING"
)

// Payment processor codes.
const (
	// InvalidProcessorKey: the processor refused the key (wrong, revoked,
	// malformed) or the key lacks a permission Remit needs.
	InvalidProcessorKey Code = "INVALID_PROCESSOR_KEY"
	// ProcessorKeyModeMismatch: a live key given in test mode, or the
	// other way round.
	ProcessorKeyModeMismatch Code = "PROCESSOR_KEY_MODE_MISMATCH"
	// ProcessorInUse: disconnecting would orphan payments or refunds the
	// processor has not finished.
	ProcessorInUse Code = "PROCESSOR_IN_USE"
	// RawPaymentDetailsRefused: card or bank details sent to Remit where
	// the processor's own form must collect them (Stripe's Payment
	// Element); give the processor's payment method id instead.
	RawPaymentDetailsRefused Code = "RAW_PAYMENT_DETAILS_REFUSED"
	// InvalidProcessorPaymentMethod: the processor knows no such payment
	// method, or it is another customer's.
	InvalidProcessorPaymentMethod Code = "INVALID_PROCESSOR_PAYMENT_METHOD"
)

// ProcessorCodes are the payment processors' codes, part of Codes.
var ProcessorCodes = []Code{InvalidProcessorKey, ProcessorKeyModeMismatch, ProcessorInUse, RawPaymentDetailsRefused, InvalidProcessorPaymentMethod}

// EInvoiceCodes are e-invoicing's codes, part of Codes.
var EInvoiceCodes = []Code{MandatoryMentionMissing}

// CollectionCodes are collection's codes, part of Codes.
var CollectionCodes = []Code{ScheduledAfterDueDate, SchedulingDisabled}

// CreditNoteCodes are the credit notes' codes, part of Codes.
var CreditNoteCodes = []Code{
	CreditExceedsRemaining, CreditQuantityExceedsRemaining, CreditLineAmountExceedsRemaining,
	CreditMethodMismatch, CreditAmountMismatch, CreditSplitExceedsTotal, PrePaymentExceedsRemaining,
	PostPaymentExceedsPaid, HasCreditNotes,
}

// Codes lists every code, in the order the GraphQL enum declares them.
var Codes = []Code{
	Invalid, Required, NotFound, Taken, LimitExceeded, InvalidTransition,
	InvoiceNotEditable, CurrencyLocked, CurrencyMismatch, UnknownCurrency,
	InvalidAmount, AmountTooLarge, InvalidDecimal, InvalidEmail, InvalidLocale,
	InvalidCountry, InvalidPhone, InvalidTaxID, UnsupportedTaxID, InvalidSIREN,
	InvalidSIRET, InvalidPrefix, InvalidNumber, Immutable, Inactive, DuplicateEmail,
	InvalidImage, ImageTooLarge, InvalidColor,
	InvalidCardNumber, ExpiredCard, InvalidCard, InvalidBankAccount, ProcessorUnavailable,
	AmountExceedsRemaining, IdempotencyKeyRequired, PaymentMethodNotAccepted,
	AmountsDueMismatch, AmountsDueNotAllowed, HasPayments, InvalidString, LowContrast,
	RefundExceedsPayment,
	TaxIDRequired, InvalidCursor,
}

func init() {
	Codes = append(append(append(append(Codes, CreditNoteCodes...), CollectionCodes...), EInvoiceCodes...), ProcessorCodes...)
}

// MarshalGQL writes the code as a GraphQL enum value.
func (c Code) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(c))) }

// UnmarshalGQL reads a GraphQL enum value.
func (c *Code) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("code must be a string")
	}
	*c = Code(s)
	return nil
}

// Error is one problem with the input.
type Error struct {
	// Field is the path to the input field at fault, e.g. ["input",
	// "lines", "2", "quantity"]; empty when the problem is not one field's.
	Field   []string
	Code    Code
	Message string
}

func (e *Error) Error() string {
	if len(e.Field) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s: %s", strings.Join(e.Field, "."), e.Code, e.Message)
}

// New returns an error with code and message at field path.
func New(code Code, message string, field ...string) *Error {
	return &Error{Field: field, Code: code, Message: message}
}

// Newf is New with a formatted message.
func Newf(code Code, field []string, format string, args ...any) *Error {
	return &Error{Field: field, Code: code, Message: fmt.Sprintf(format, args...)}
}

// List is several user errors reported together, so a form can show them
// all at once.
type List []*Error

func (l List) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// Add appends the user errors in err, prefixed by path, and reports whether
// err was one. A nil err adds nothing and reports true; any other error is
// not added, so callers return it as the internal error it is.
func (l *List) Add(err error, path ...string) bool {
	if err == nil {
		return true
	}
	found := From(err)
	for _, e := range found {
		*l = append(*l, At(e, path...))
	}
	return len(found) > 0
}

// Err returns the list as an error, or nil when empty.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// From extracts the user errors in err; nil when err is not a user error.
func From(err error) []*Error {
	var l List
	if errors.As(err, &l) {
		return l
	}
	var e *Error
	if errors.As(err, &e) {
		return []*Error{e}
	}
	// Pure validators report with their own type; their codes are a subset
	// of ours.
	var ve *validate.Error
	if errors.As(err, &ve) {
		return []*Error{{Field: ve.Field, Code: Code(ve.Code), Message: ve.Message}}
	}
	return nil
}

// At returns a copy of err with path prepended to its field.
func At(err *Error, path ...string) *Error {
	return &Error{Field: append(append([]string{}, path...), err.Field...), Code: err.Code, Message: err.Message}
}
