// Package values holds the small value objects stored inside rows as JSON:
// addresses, tax IDs, party snapshots, custom fields, discounts and tax
// breakdowns. They have no identity of their own.
package values

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Address is a postal address.
type Address struct {
	Line1      string `json:"line1,omitempty"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`
	Country    string `json:"country,omitempty"`
}

// IsZero reports whether no part of the address is set.
func (a Address) IsZero() bool { return a == Address{} }

// Shipping is where goods go and who receives them.
type Shipping struct {
	Name    string  `json:"name,omitempty"`
	Phone   string  `json:"phone,omitempty"`
	Address Address `json:"address"`
}

// TaxID is a customer's or seller's tax identifier.
type TaxID struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Party freezes the identity of a seller or buyer on an issued invoice, so
// that later edits of the account or customer never change it.
type Party struct {
	Name      string    `json:"name,omitempty"`
	LegalName string    `json:"legalName,omitempty"`
	Email     string    `json:"email,omitempty"`
	Phone     string    `json:"phone,omitempty"`
	Address   *Address  `json:"address,omitempty"`
	Shipping  *Shipping `json:"shipping,omitempty"`
	TaxIDs    []TaxID   `json:"taxIds,omitempty"`
	TaxExempt string    `json:"taxExempt,omitempty"`
	// TaxExemptionReason and TaxExemptionCode say why an exempt or
	// reverse-charge buyer pays no VAT (EN 16931 BT-120, BT-121).
	TaxExemptionReason string   `json:"taxExemptionReason,omitempty"`
	TaxExemptionCode   string   `json:"taxExemptionCode,omitempty"`
	Locales            []string `json:"locales,omitempty"`
	SIREN              string   `json:"siren,omitempty"`
	SIRET              string   `json:"siret,omitempty"`
	VATNumber          string   `json:"vatNumber,omitempty"`
	// A company's legal form, share capital and trade register entry, as
	// the seller prints them (C. com. R123-237).
	LegalForm    string `json:"legalForm,omitempty"`
	ShareCapital string `json:"shareCapital,omitempty"`
	Registration string `json:"registration,omitempty"`
}

// CustomField is a name/value pair printed on the invoice.
type CustomField struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Discount is an amount or a percentage off a line or an invoice. Exactly
// one of Percent (a decimal string) and AmountOff (minor units) is set.
type Discount struct {
	Percent   string `json:"percent,omitempty"`
	AmountOff int64  `json:"amountOff,omitempty"`
	Name      string `json:"name,omitempty"`
}

// TaxAmount is one line of the tax breakdown (EN 16931 BG-23), with the rate
// as it was when computed, so an issued invoice never changes. Category
// (BT-118) is empty in breakdowns computed before categories existed: S
// above 0 %, Z at 0 %. ExemptionReason (BT-120) and ExemptionCode (a VATEX
// code, BT-121) say why a category other than S and Z charges nothing.
type TaxAmount struct {
	TaxRateID       string `json:"taxRateId"`
	DisplayName     string `json:"displayName"`
	Percentage      string `json:"percentage"`
	Inclusive       bool   `json:"inclusive"`
	Jurisdiction    string `json:"jurisdiction,omitempty"`
	Category        string `json:"category,omitempty"`
	ExemptionReason string `json:"exemptionReason,omitempty"`
	ExemptionCode   string `json:"exemptionCode,omitempty"`
	TaxableAmount   int64  `json:"taxableAmount"`
	Amount          int64  `json:"amount"`
}

// TaxExemption is a buyer's tax status as applied to an invoice: Status is
// EXEMPT or REVERSE, with the reason and VATEX code the customer gives.
type TaxExemption struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	Code   string `json:"code,omitempty"`
}

// OutOfBandPayment records an invoice marked paid outside the system.
type OutOfBandPayment struct {
	Method    string    `json:"method"`
	Reference string    `json:"reference,omitempty"`
	PaidAt    time.Time `json:"paidAt"`
	Note      string    `json:"note,omitempty"`
}

// InvoiceSettings are a customer's overrides of the account's invoice
// template. A nil field inherits the account's setting.
type InvoiceSettings struct {
	Memo         *string       `json:"memo,omitempty"`
	Footer       *string       `json:"footer,omitempty"`
	DaysUntilDue *int          `json:"daysUntilDue,omitempty"`
	CustomFields []CustomField `json:"customFields,omitempty"`
	// CustomFieldsSet distinguishes "no custom fields" from "inherit".
	CustomFieldsSet bool    `json:"customFieldsSet,omitempty"`
	PageSize        *string `json:"pageSize,omitempty"`
	AutoSend        *bool   `json:"autoSend,omitempty"`
}

// InvoiceTerms are the payment terms an invoice prints, frozen at
// finalization with the seller's identity: an issued invoice keeps the
// penalty terms it was issued under.
type InvoiceTerms struct {
	PageSize             string `json:"pageSize,omitempty"`
	LatePaymentPenalty   string `json:"latePaymentPenalty,omitempty"`
	RecoveryIndemnity    string `json:"recoveryIndemnity,omitempty"`
	EarlyPaymentDiscount string `json:"earlyPaymentDiscount,omitempty"`
	// Bank is the account the customer was told to pay into: a transfer
	// the customer prepared from the invoice must still reach the
	// merchant after the account's details change. Nil when the account
	// had no IBAN, and on invoices finalized before it was kept.
	Bank *BankAccount `json:"bank,omitempty"`
	// VATOnDebits is the seller's option to pay VAT on debits.
	VATOnDebits bool `json:"vatOnDebits,omitempty"`
	// DirectDebit is the SEPA mandate an automatically charged invoice
	// was to be debited under, as it stood when issued.
	DirectDebit *DirectDebit `json:"directDebit,omitempty"`
}

// DirectDebit is a SEPA direct-debit mandate an invoice is collected
// under (EN 16931 BG-19).
type DirectDebit struct {
	MandateReference string `json:"mandateReference"`
	Last4            string `json:"last4,omitempty"`
}

// BankAccount is where transfers are paid: an IBAN and a BIC in their
// electronic form, and the beneficiary's name.
type BankAccount struct {
	IBAN        string `json:"iban"`
	BIC         string `json:"bic,omitempty"`
	Beneficiary string `json:"beneficiary"`
}

// Installment is one amount of a payment plan: due a number of days after
// finalization or on a date. DueDate is set for every installment at
// finalization.
type Installment struct {
	Amount       int64      `json:"amount"`
	DaysUntilDue *int       `json:"daysUntilDue,omitempty"`
	DueDate      *time.Time `json:"dueDate,omitempty"`
	Description  string     `json:"description,omitempty"`
}

// CollectionSettings is how unpaid invoices are chased. The same shape is
// stored on the account, on a customer and on an invoice: every field left
// nil inherits from the level above (the account inherits Remit's
// defaults), so a customer or an invoice overrides only what it sets.
type CollectionSettings struct {
	Reminders *ReminderSettings `json:"reminders,omitempty"`
	Retries   *RetrySettings    `json:"retries,omitempty"`
	Emails    *CollectionEmails `json:"emails,omitempty"`
	// ScheduledPayments lets customers choose a date to be charged on
	// (hosted page, portal).
	ScheduledPayments *bool `json:"scheduledPayments,omitempty"`
}

// ReminderSettings are the reminders of unpaid send-invoice invoices.
type ReminderSettings struct {
	Enabled *bool `json:"enabled,omitempty"`
	// OffsetDays are days relative to the due date: -3 is three days
	// before, 0 the day itself, 7 a week after. Nil inherits; an empty
	// list (OffsetDaysSet) sends none.
	OffsetDays    []int `json:"offsetDays,omitempty"`
	OffsetDaysSet bool  `json:"offsetDaysSet,omitempty"`
	// InstallmentDaysBefore is how many days before each installment of
	// a payment plan its reminder goes.
	InstallmentDaysBefore *int `json:"installmentDaysBefore,omitempty"`
}

// RetrySettings are the automatic retries of failed automatic charges.
type RetrySettings struct {
	Enabled *bool `json:"enabled,omitempty"`
	// Policy is SMART (Tries spread over Window) or CUSTOM (ScheduleDays).
	Policy       *string `json:"policy,omitempty"`
	Tries        *int    `json:"tries,omitempty"`
	Window       *string `json:"window,omitempty"`
	ScheduleDays []int   `json:"scheduleDays,omitempty"`
	// DirectDebit retries SEPA and ACH debits that failed for
	// insufficient funds.
	DirectDebit *bool `json:"directDebit,omitempty"`
	// WhenExhausted is LEAVE_OPEN or MARK_UNCOLLECTIBLE.
	WhenExhausted *string `json:"whenExhausted,omitempty"`
}

// CollectionEmails switch each automatic customer email on or off.
type CollectionEmails struct {
	Reminder         *bool `json:"reminder,omitempty"`
	PaymentFailed    *bool `json:"paymentFailed,omitempty"`
	ActionRequired   *bool `json:"actionRequired,omitempty"`
	Receipt          *bool `json:"receipt,omitempty"`
	CardExpiring     *bool `json:"cardExpiring,omitempty"`
	ScheduledPayment *bool `json:"scheduledPayment,omitempty"`
}

// ScheduledPayment is a payment the customer asked to be charged on a
// date of their choice.
type ScheduledPayment struct {
	At              time.Time `json:"at"`
	PaymentMethodID string    `json:"paymentMethodId"`
	// Amount in minor units, in Currency; zero charges what is payable on
	// the day.
	Amount   int64  `json:"amount,omitempty"`
	Currency string `json:"currency"`
	// Source is where the customer scheduled it (HOSTED_PAGE, PORTAL).
	Source      string    `json:"source"`
	ScheduledAt time.Time `json:"scheduledAt"`
	// NoticeSent records that the "charged in three days" email went.
	NoticeSent bool `json:"noticeSent,omitempty"`
}

// DocumentRef names a document to render and attach when an email is
// delivered: Kind is "invoice" or "receipt", ID the invoice or payment.
type DocumentRef struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// WebhookSecret is one signing secret of a webhook endpoint.
type WebhookSecret struct {
	Secret    string    `json:"secret"`
	CreatedAt time.Time `json:"createdAt"`
	// ExpiresAt ends a rotated secret's overlap; nil for the current one.
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
}

// WebhookAttempt is one attempt to deliver a webhook.
type WebhookAttempt struct {
	At         time.Time `json:"at"`
	StatusCode int       `json:"statusCode,omitempty"`
	LatencyMS  int64     `json:"latencyMs"`
	// Body is the first 2 KB of the receiver's answer.
	Body  string `json:"body,omitempty"`
	Error string `json:"error,omitempty"`
}

// CardBrand is a card brand as printed on cards ("visa" → "Visa"), the
// way every page, email and document names it.
func CardBrand(b string) string {
	switch b = strings.TrimSpace(b); strings.ToLower(b) {
	case "visa":
		return "Visa"
	case "mastercard":
		return "Mastercard"
	case "amex", "american express":
		return "American Express"
	case "":
		return "Card"
	}
	r, n := utf8.DecodeRuneInString(b)
	return string(unicode.ToUpper(r)) + b[n:]
}
