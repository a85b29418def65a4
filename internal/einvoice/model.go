// Package einvoice turns an issued invoice or credit note into an
// EN 16931 e-invoice: UN/CEFACT CII D16B as the Factur-X EN 16931 profile
// expects it, and UBL 2.1 following PEPPOL BIS Billing 3.0.
//
// It is pure: a Document is a neutral snapshot of what was frozen at
// finalization (the billing layer assembles it), and the same Document
// always gives the same bytes, so an e-invoice downloaded years later is
// the one first sent. Amounts are int64 minor units of Currency.
package einvoice

import "time"

// TypeCode is the document type (BT-3, UNTDID 1001).
type TypeCode string

const (
	Invoice    TypeCode = "380"
	CreditNote TypeCode = "381"
	// Corrective is an invoice that replaces an issued one (a revision,
	// "facture rectificative"); it names the invoice it corrects (BG-3).
	Corrective TypeCode = "384"
)

// Payment means codes (BT-81, UNTDID 4461).
const (
	MeansCreditTransfer     = "30"
	MeansSEPACreditTransfer = "58"
	MeansSEPADirectDebit    = "59"
	MeansBankCard           = "48"
	MeansCreditCard         = "54"
)

// Note subject codes (BT-21, UNTDID 4451) of the French payment mentions.
const (
	SubjectPenalty  = "PMD" // late-payment penalty (C. com. L441-10)
	SubjectRecovery = "PMT" // fixed recovery indemnity (C. com. D441-5)
	SubjectDiscount = "AAB" // early-payment discount, or that none applies
)

// Document is one issued invoice, corrective invoice or credit note.
type Document struct {
	Type      TypeCode
	Number    string    // BT-1
	IssueDate time.Time // BT-2, a calendar date in its own location
	DueDate   time.Time // BT-9, zero when none
	Currency  string    // BT-5, ISO 4217

	// BuyerReference (BT-10) and PurchaseOrder (BT-13) are what the buyer
	// asked to be quoted; empty when unknown.
	BuyerReference string
	PurchaseOrder  string
	// OperationCategory is the French "cadre de facturation" (BT-23: B1
	// goods, S1 services, M1 both); empty when unknown. Only CII carries
	// it: in PEPPOL UBL the profile ID is PEPPOL's.
	OperationCategory string
	// VATOnDebits is the seller's option to pay VAT on debits: VAT is due
	// at the invoice date (BT-8, code 5 in CII, 3 in UBL), not when paid.
	VATOnDebits bool

	Seller Party
	Buyer  Party
	// Delivery is where and when goods were delivered (BG-13); nil when
	// unknown.
	Delivery *Delivery
	// Period is the invoicing period (BG-14); nil when unknown.
	Period *Period
	// Preceding are the invoices this one corrects or credits (BG-3).
	Preceding []Reference

	PaymentTerms string // BT-20
	Payment      []PaymentMeans
	// RemittanceInfo is what the payer quotes (BT-83): the invoice's ISO
	// 11649 creditor reference.
	RemittanceInfo string
	// CreditorID is the SEPA creditor identifier (BT-90) of direct debits.
	CreditorID string
	// MandateReference is the direct-debit mandate (BT-89).
	MandateReference string

	Notes      []Note
	Lines      []Line
	Allowances []Allowance // document level (BG-20), each with its VAT category and rate
	VAT        []VATBreakdown
	Totals     Totals
}

// Party is the seller (BG-4) or the buyer (BG-7).
type Party struct {
	Name        string // legal name, BT-27 / BT-44
	TradingName string // BT-28 / BT-45, when it differs
	Address     Address
	SIREN       string // legal registration id, scheme 0002 (BT-30 / BT-47)
	SIRET       string // party identifier, scheme 0009 (BT-29 / BT-46)
	VATID       string // BT-31 / BT-48, with its ISO country prefix
	Email       string // electronic address, scheme EM (BT-34 / BT-49)
	// LegalInfo is the seller's additional legal information (BT-33): the
	// legal form, share capital and RCS registration French law asks for.
	// Empty until accounts carry them.
	LegalInfo string
}

// Address is a structured postal address (BG-5, BG-8, BG-15).
type Address struct {
	Lines       []string // up to three (BT-35, BT-36, BT-162)
	City        string
	PostCode    string
	Subdivision string
	Country     string // ISO 3166-1 alpha-2
}

// Delivery is the deliver-to information (BG-13).
type Delivery struct {
	Name    string
	Address *Address
	Date    time.Time // BT-72, zero when unknown
}

// Period is an invoicing or line period; either end may be zero.
type Period struct{ Start, End time.Time }

// Reference is a preceding invoice (BG-3).
type Reference struct {
	Number string
	Date   time.Time
}

// PaymentMeans is one way to pay (BG-16).
type PaymentMeans struct {
	Code        string
	Text        string // BT-82
	IBAN        string // BT-84, electronic form
	AccountName string // BT-85
	BIC         string // BT-86
	DebitedIBAN string // BT-91, direct debit
	CardPAN     string // BT-87, last digits only
}

// Note is a textual note (BG-1) with its subject code.
type Note struct {
	Subject string
	Text    string
}

// Line is one invoice line (BG-25).
type Line struct {
	ID       string
	Name     string
	Quantity string // decimal
	UnitCode string // UN/ECE Rec 20, C62 when empty
	// NetPrice (BT-146) is the unit price excluding VAT, a decimal in
	// major units that may be more precise than the currency.
	NetPrice   string
	NetAmount  int64       // BT-131
	Allowances []Allowance // line level (BG-27); their VAT fields are ignored
	Category   string      // BT-151
	Rate       string      // BT-152, a percentage; empty for O
	Period     *Period
}

// Allowance is a discount at document (BG-20) or line (BG-27) level.
type Allowance struct {
	Amount     int64
	Reason     string // BT-97 / BT-139
	ReasonCode string // UNTDID 5189
	Category   string // document level
	Rate       string // document level
}

// VATBreakdown is one group of the VAT breakdown (BG-23), per category
// and rate.
type VATBreakdown struct {
	Category        string
	Rate            string
	Taxable         int64 // BT-116
	Tax             int64 // BT-117
	ExemptionReason string
	ExemptionCode   string
	// InclusivePrices marks a group computed from VAT-inclusive prices:
	// its tax was taken out of a fixed gross amount, and for some amounts
	// no tax makes BR-CO-17 exact (0.03 at 20 %: neither 0.00 nor 0.01 is
	// 20 % of what remains), so Check allows it the one minor unit EN
	// 16931 tolerates. Exclusive groups are exact.
	InclusivePrices bool
}

// Totals are the document totals (BG-22).
type Totals struct {
	LineNet      int64 // BT-106
	Allowances   int64 // BT-107
	Charges      int64 // BT-108
	TaxExclusive int64 // BT-109
	Tax          int64 // BT-110
	TaxInclusive int64 // BT-112
	Prepaid      int64 // BT-113
	Rounding     int64 // BT-114
	Due          int64 // BT-115
}
