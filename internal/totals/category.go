package totals

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
)

// Category is an EN 16931 VAT category (BT-118, BT-151; the UNCL5305 codes
// France accepts, BR-FR-15). It says why a rate is what it is: only
// Standard carries a positive percentage; every other category is 0 % and,
// but for Zero, states why no VAT is charged (an exemption reason text
// BT-120 or a VATEX code BT-121).
type Category string

const (
	Standard       Category = "S"  // standard rate
	Zero           Category = "Z"  // zero rated goods
	Exempt         Category = "E"  // exempt from VAT (reason required)
	ReverseCharge  Category = "AE" // VAT reverse charge: the buyer accounts for it
	IntraCommunity Category = "K"  // intra-community supply of goods (VAT exempt for EEA)
	Export         Category = "G"  // export outside the EU (free export item)
	OutOfScope     Category = "O"  // services outside the scope of tax
)

// Categories lists the categories in the order breakdowns print them.
var Categories = []Category{Standard, Zero, Exempt, ReverseCharge, IntraCommunity, Export, OutOfScope}

// ParseCategory reads a category code ("S", "ae", …).
func ParseCategory(s string) (Category, bool) {
	c := Category(strings.ToUpper(strings.TrimSpace(s)))
	return c, slices.Contains(Categories, c)
}

// CategoryOr is c when set, else the category a rate of percentage p had
// before rates carried one: Standard above 0 %, Zero at 0 %.
func CategoryOr(c Category, p decimal.Decimal) Category {
	if c != "" {
		return c
	}
	if p.IsPositive() {
		return Standard
	}
	return Zero
}

// Taxed reports whether the category charges VAT (only Standard does).
func (c Category) Taxed() bool { return c == Standard }

// NeedsExemption reports whether a breakdown of this category must say why
// no VAT is charged (BR-E-10, BR-AE-10, BR-IC-10, BR-G-10, BR-O-10), and
// ForbidsExemption whether it must not (BR-S-10, BR-Z-10).
func (c Category) NeedsExemption() bool   { return c != Standard && c != Zero }
func (c Category) ForbidsExemption() bool { return c == Standard || c == Zero }

// DefaultExemptionCode is the VATEX code a breakdown of the category
// carries when its rate gives neither a reason nor a code: the generic code
// of the category, where there is one (there is none for Exempt: the
// exemption's legal basis is the merchant's to state).
func (c Category) DefaultExemptionCode() string {
	switch c {
	case ReverseCharge:
		return "VATEX-EU-AE"
	case IntraCommunity:
		return "VATEX-EU-IC"
	case Export:
		return "VATEX-EU-G"
	case OutOfScope:
		return "VATEX-EU-O"
	}
	return ""
}

// CheckRate reports what is wrong with a rate of category c at percentage
// p with the exemption reason and VATEX code given, as EN 16931 states it
// (BR-S-05, BR-Z-05, BR-E-05, …, BR-*-10, BR-CL-22); nil when nothing is.
// Field names the offending part: "percentage", "exemptionReason" or
// "exemptionCode".
func CheckRate(c Category, p decimal.Decimal, reason, code string) *RateError {
	switch {
	case c == Standard && !p.IsPositive():
		return &RateError{"percentage", "a standard rate (S) is above 0 %; use category Z, E, AE, K, G or O for 0 %"}
	case c != Standard && !p.IsZero():
		return &RateError{"percentage", fmt.Sprintf("a rate of category %s is 0 %%", c)}
	case c.ForbidsExemption() && (reason != "" || code != ""):
		field := "exemptionReason"
		if code != "" {
			field = "exemptionCode"
		}
		return &RateError{field, fmt.Sprintf("a rate of category %s gives no exemption reason (EN 16931 BR-%s-10)", c, brPrefix(c))}
	case c == Exempt && reason == "":
		return &RateError{"exemptionReason", "an exempt rate (E) states its exemption reason, e.g. \"TVA non applicable, art. 293 B du CGI\""}
	}
	if code != "" {
		want, ok := VATEXCategory(code)
		switch {
		case !ok:
			return &RateError{"exemptionCode", fmt.Sprintf("%q is not a code of the CEF VATEX list (e.g. VATEX-EU-132, VATEX-EU-AE)", code)}
		case want != c:
			return &RateError{"exemptionCode", fmt.Sprintf("%s is a code of category %s, not %s", code, want, c)}
		}
	}
	return nil
}

// RateError is what CheckRate finds wrong, and in which part of the rate.
type RateError struct{ Field, Message string }

func (e *RateError) Error() string { return e.Field + ": " + e.Message }

func brPrefix(c Category) string {
	if c == IntraCommunity {
		return "IC"
	}
	return string(c)
}

// Exemption is a buyer's tax status applied to an invoice: every taxed
// (Standard) rate of its lines becomes a 0 % rate of Category, with the
// reason and code given (the code defaults to the category's own). The zero
// value applies nothing.
type Exemption struct {
	Category Category // Exempt or ReverseCharge; "" for none
	Reason   string
	Code     string
}

// IsZero reports whether the exemption applies nothing.
func (e Exemption) IsZero() bool { return e.Category == "" }

// apply returns the rate r becomes under e.
func (e Exemption) apply(r TaxRate) TaxRate {
	if e.IsZero() || !CategoryOr(r.Category, r.Percentage).Taxed() {
		return r
	}
	r.Percentage = decimal.Zero
	r.Category = e.Category
	r.ExemptionReason = e.Reason
	r.ExemptionCode = e.Code
	if r.ExemptionCode == "" {
		r.ExemptionCode = e.Category.DefaultExemptionCode()
	}
	return r
}
