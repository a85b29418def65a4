package document

import "time"

// Invoice is everything the renderer prints. It is a plain snapshot: the
// caller (the billing layer) copies the frozen seller and buyer identity,
// the computed totals and the legal texts into it; the renderer computes
// nothing and looks nothing up, so the same Invoice always gives the same
// bytes.
//
// Amounts are integer minor units of Currency (cents for EUR/USD), exactly
// as internal/totals produced them. Quantities and unit amounts are decimal
// strings in major units ("2.5", "49.99"), as stored on invoice lines.
type Invoice struct {
	// Number is the legal invoice number. It must be empty for a draft
	// (drafts never consume a number) and non-empty otherwise.
	Number string
	// Status is the lifecycle status (DRAFT, OPEN, PAID, VOID,
	// UNCOLLECTIBLE). DRAFT, like Draft, renders a preview; VOID adds a
	// "VOID"/"ANNULÉE" banner.
	Status string
	// Draft forces the draft preview whatever Status says.
	Draft bool
	// Replaces is the number of the invoice this one revises ("annule et
	// remplace"), EN 16931 BG-3; empty for an original invoice.
	Replaces string

	// IssueDate and DueDate are printed as calendar dates in their own
	// time.Location, so pass them in the account's time zone. A zero
	// DueDate is omitted; a zero IssueDate is omitted (drafts).
	IssueDate time.Time
	DueDate   time.Time
	// SupplyDate is the date of delivery or service completion, printed
	// only when set and different from IssueDate (CGI ann. II art. 242
	// nonies A 10°).
	SupplyDate time.Time
	// CreationDate fixes the PDF's CreationDate / XMP dates. When zero,
	// IssueDate is used, and when that is zero too, 2000-01-01T00:00:00Z,
	// so the output never depends on the wall clock.
	CreationDate time.Time

	// Currency is an ISO 4217 code, any letter case.
	Currency string
	// Locale is a BCP 47 tag ("fr", "fr-FR", "de-AT", "en-US"). Its base
	// language picks labels, date and number formats: "fr", "de" or "en";
	// anything else falls back to "en".
	Locale string
	// PageSize is "A4" (default when empty) or "LETTER", any letter case.
	PageSize string

	Seller Party
	Buyer  Party
	// DeliveryAddress, when set, is printed as the delivery address of
	// goods (required when it differs from the buyer's address): the
	// recipient's name and the street lines, then DeliveryCountry (an
	// ISO 3166-1 alpha-2 code printed as the country's name, or text).
	DeliveryAddress []string
	DeliveryCountry string

	// BuyerTaxExempt is the customer's tax status: "NONE" (or empty),
	// "EXEMPT" or "REVERSE". When no entry of Taxes has a Category (an
	// invoice computed before VAT categories), EXEMPT prints the VAT
	// exemption wording and REVERSE the reverse-charge wording; otherwise
	// the wording follows the categories of Taxes.
	BuyerTaxExempt string
	// TaxExemptionReference is the legal provision justifying an
	// exemption, appended to the exemption wording, e.g. "art. 262 ter I
	// du CGI" or "art. 293 B du CGI". French law requires it for EXEMPT
	// (CGI ann. II art. 242 nonies A 12°); the renderer prints the bare
	// wording when it is empty.
	TaxExemptionReference string
	// OperationNature is "GOODS", "SERVICES", "MIXED" or empty (omitted):
	// the nature of the operations required on French invoices by the
	// e-invoicing reform.
	OperationNature string
	// VATOnDebits prints "Option pour le paiement de la taxe d'après les
	// débits" (the seller opted to pay VAT on debits).
	VATOnDebits bool

	Lines []Line
	// Taxes is the VAT breakdown (one entry per category and rate, EN 16931
	// BG-23, computed on the sum of line nets), in display order.
	Taxes []TaxLine

	Subtotal int64
	// Discount is the invoice-level discount as a positive amount; it is
	// printed as a reduction. Zero hides the row.
	Discount          int64
	TotalExcludingTax int64
	TotalTax          int64
	Total             int64
	// AmountPaid is what was already paid or credited; zero hides the row.
	AmountPaid int64
	AmountDue  int64
	// Paid, for an invoice paid in full (Status PAID), says when and how:
	// the headline then reads "Paid on … by …" instead of an amount to pay.
	Paid *Settlement
	// NextInstallment is a payment plan's next installment still owed:
	// the headline asks for it rather than for the whole amount due.
	NextInstallment *Installment

	// CreditNotes is what credit notes took off the amount due (their
	// pre-payment parts), printed as a reduction; zero hides the row.
	CreditNotes int64

	// CustomFields are printed in the header next to the dates, e.g. a
	// purchase-order number, which French law requires when the buyer
	// issued one.
	CustomFields []CustomField
	// Memo is printed above the lines (Stripe's "description").
	Memo string
	// Footer is printed at the end of the document.
	Footer string

	// PaymentTerms is free text such as "Paiement à 30 jours".
	PaymentTerms string
	// PaymentInstructions tells how to pay: bank details (IBAN, BIC), a
	// payment link, a reference to quote.
	PaymentInstructions string
	// BankTransfer, when set, prints the account to pay into, the
	// reference to quote and the EPC QR code with PaymentInstructions.
	BankTransfer *BankTransfer
	// LatePaymentPenalty is the late-payment penalty rate as text, e.g.
	// "trois fois le taux d'intérêt légal" or "10 % per year". When set,
	// the penalty sentence required by French law (C. com. L441-10) is
	// printed with RecoveryIndemnity.
	LatePaymentPenalty string
	// RecoveryIndemnity is the fixed recovery indemnity as text, e.g.
	// "40 €" (C. com. D441-5, B2B only). Empty means "40 €" whenever
	// LatePaymentPenalty is set.
	RecoveryIndemnity string
	// EarlyPaymentDiscount is the early-payment discount wording. When
	// empty and LatePaymentPenalty is set, the standard "no discount"
	// sentence is printed (the statement is mandatory in France).
	EarlyPaymentDiscount string

	Branding Branding

	// CreditNote, when set, makes the document a credit note ("avoir",
	// EN 16931 type 381) correcting an issued invoice: Number is then the
	// credit note's, the totals are what it credits, and DueDate,
	// AmountPaid, AmountDue and the payment texts are not printed.
	CreditNote *CreditNote

	// EInvoice, set on an issued invoice or credit note, makes the PDF a
	// Factur-X e-invoice: its CII XML is embedded as factur-x.xml and
	// declared in the XMP (see Attachment). Nil renders a plain PDF/A-3b;
	// a draft with an EInvoice is refused, a preview being no invoice.
	EInvoice *Attachment
}

// CreditNote is what a credit note prints besides an invoice's fields:
// the invoice it corrects, why, and how its total was settled. Amounts
// are minor units of the document's currency; zero hides a row.
type CreditNote struct {
	// InvoiceNumber and InvoiceDate identify the corrected invoice
	// (EN 16931 BG-3).
	InvoiceNumber string
	InvoiceDate   time.Time
	// Reason is DUPLICATE, FRAUDULENT, ORDER_CHANGE,
	// PRODUCT_UNSATISFACTORY or empty (not printed).
	Reason string
	// PrePayment was deducted from what the invoice still owed; Refunded
	// goes back to the payment(s); Credited went to the customer's credit
	// balance; OutOfBand was returned outside Remit.
	PrePayment int64
	Refunded   int64
	Credited   int64
	OutOfBand  int64
}

// Credit note reasons (CreditNote.Reason).
const (
	ReasonDuplicate             = "DUPLICATE"
	ReasonFraudulent            = "FRAUDULENT"
	ReasonOrderChange           = "ORDER_CHANGE"
	ReasonProductUnsatisfactory = "PRODUCT_UNSATISFACTORY"
)

// Party is the seller or the buyer as frozen on the invoice.
type Party struct {
	// Name is the trading or display name.
	Name string
	// LegalName is printed under Name when it differs from it.
	LegalName string
	// Address holds the street lines, then postal code and city, one line
	// each, as they should be printed.
	Address []string
	// Country is an ISO 3166-1 alpha-2 code ("FR"), printed as the
	// country's name in the invoice locale, or any other text, printed as
	// is.
	Country string
	Email   string
	Phone   string
	// SIREN (9 digits) and SIRET (14 digits) are the French company
	// identifiers.
	SIREN string
	SIRET string
	// VATNumber is the intra-EU VAT identification number ("FR…").
	VATNumber string
	// TaxIDs are other identifiers, printed as "Label: Value".
	TaxIDs []TaxID
	// LegalForm, ShareCapital and Registration are a company's legal
	// form, share capital and trade register entry as printed ("SAS",
	// "10 000 €", "RCS Paris 123 456 789"), repeated in the legal line.
	LegalForm    string
	ShareCapital string
	Registration string
}

// TaxID is an identifier with its printed label, e.g. {"GB VAT", "GB123…"}.
type TaxID struct {
	Label string
	Value string
}

// Line is one invoice line.
type Line struct {
	Description string
	// Quantity is a decimal string ("1", "2.5"); empty prints nothing.
	Quantity string
	// UnitAmount is the unit price excluding tax, a decimal string in
	// major units that may carry more decimals than the currency ("0.0125").
	// Empty prints nothing.
	UnitAmount string
	// Amount is the line net amount (excluding tax) in minor units.
	Amount int64
	// TaxRates are the labels of the tax rates applied, e.g. "20 %".
	TaxRates []string
	// PeriodStart and PeriodEnd, when both set, print the service period.
	PeriodStart time.Time
	PeriodEnd   time.Time
}

// Settlement is how a paid invoice was paid.
type Settlement struct {
	// At is when the invoice became paid (its last payment).
	At time.Time
	// Methods are the means it was paid by online, oldest first, each
	// once: the payment method types of payments through Remit ("CARD",
	// "SEPA_DEBIT", "ACH_DEBIT"), or "balance" (the customer's credit).
	Methods []string
	// Recorded is the means of a payment the seller recorded as received
	// outside Remit ("bank_transfer", "check", "cash", "card",
	// "direct_debit", "other"), with its bank or check Reference.
	Recorded  string
	Reference string
}

// Installment is one amount of a payment plan.
type Installment struct {
	// Number is the installment's rank, from 1, of Of; Label its
	// description, printed instead of "Installment n of N" when set.
	Number, Of int
	Label      string
	// Amount is what remains to pay of it; DueDate when it is due.
	Amount  int64
	DueDate time.Time
}

// TaxLine is one row of the per-rate tax breakdown.
type TaxLine struct {
	// Label names the tax ("TVA", "VAT", "TVA 20 %").
	Label string
	// Percentage is the rate as a decimal string ("20", "5.5"); empty for
	// a tax without a rate.
	Percentage string
	// Taxable is the taxable amount (sum of line nets at this rate).
	Taxable int64
	// Amount is the tax at this rate.
	Amount int64
	// Category is the EN 16931 VAT category code ("S", "Z", "E", "AE",
	// "K", "G", "O"); empty for a breakdown made before categories,
	// which then prints as before (see BuyerTaxExempt).
	Category string
	// ExemptionReason and ExemptionCode (VATEX) say why a category other
	// than S and Z charges nothing; they are printed with its wording.
	ExemptionReason string
	ExemptionCode   string
}

// CustomField is a name/value pair printed in the header.
type CustomField struct {
	Name  string
	Value string
}

// Branding is the account's look on its documents.
type Branding struct {
	// BrandColor colours the title and the table header ("#1f4e79").
	// AccentColor colours the amount-due highlight. Both are "#rgb" or
	// "#rrggbb"; empty picks the defaults.
	BrandColor  string
	AccentColor string
	// Logo is the image data and LogoMIME its type: "image/png",
	// "image/jpeg" or "image/svg+xml". Empty Logo, or one the engine
	// cannot print (see Render), prints the seller's name instead.
	Logo     []byte
	LogoMIME string
}

// Buyer tax statuses (Invoice.BuyerTaxExempt).
const (
	TaxExemptNone    = "NONE"
	TaxExemptExempt  = "EXEMPT"
	TaxExemptReverse = "REVERSE"
)

// Page sizes (Invoice.PageSize).
const (
	PageSizeA4     = "A4"
	PageSizeLetter = "LETTER"
)

// BankTransfer is how to pay an invoice by bank transfer, as every surface
// prints it (the PDF, the hosted page, the portal, the emails): strings
// already in their printed form, so that none formats them again.
type BankTransfer struct {
	// IBAN is grouped by four ("FR76 3000 …").
	IBAN string
	// BIC is empty when unknown.
	BIC string
	// Beneficiary is the account holder's name.
	Beneficiary string
	// Reference is the invoice's ISO 11649 creditor reference grouped by
	// four ("RF97 INV0 042"); empty for a draft.
	Reference string
	// QRCode is the EPC QR code ("SEPA credit transfer") as an SVG
	// element, made by internal/banking from the data above and the
	// amount owed; empty when there is none (not EUR, nothing owed).
	// Pages embed it as is.
	QRCode string
}
