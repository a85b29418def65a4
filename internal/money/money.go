// Package money holds the exact-arithmetic primitives for monetary amounts.
//
// Amounts are int64 counts of a currency's minor unit (cents for USD, yen
// for JPY, fils for KWD). Floats never appear: a float cannot represent 0.10
// and its errors compound across invoice lines, which an auditor will find.
// Decimal inputs such as unit prices use shopspring/decimal and are only
// turned into minor units through this package.
//
// Every function accepts currency codes in any letter case, because Stripe
// style APIs send "usd" while ISO 4217 data is upper case.
//
// # Rounding
//
// The system has exactly one rounding rule: round half away from zero. A
// value is rounded to the nearest minor unit, and a value exactly halfway
// between two minor units goes to the one further from zero (2.5 → 3,
// -2.5 → -3). For non-negative values this is the rule of EN 16931, which
// specifies rounding through XPath's round(); for negative values it is
// the symmetric counterpart, so negating an input negates the result, which
// credit notes rely on to mirror their invoices exactly. MinorFromMajor,
// ExactMinorFromMajor and MulDivRound all apply it; do not round money
// anywhere else.
package money

import (
	"errors"

	"github.com/bojanz/currency"
)

// MaxAmount bounds every amount, in minor units, in either sign. It sits far
// below the int64 range so sums of a few thousand amounts cannot overflow
// before they are checked, and it is above any real invoice.
const MaxAmount int64 = 1_000_000_000_000_000

var (
	// ErrUnknownCurrency reports a code that is not an ISO 4217 currency.
	ErrUnknownCurrency = errors.New("unknown currency")
	// ErrAmountTooLarge reports an amount whose magnitude exceeds MaxAmount.
	ErrAmountTooLarge = errors.New("amount too large")
	// ErrTooPrecise reports a value with more decimals than the currency's
	// minor unit where silently rounding it is not acceptable.
	ErrTooPrecise = errors.New("amount has more decimals than the currency allows")
	// ErrInvalidDecimal reports a string that is not a strict decimal.
	ErrInvalidDecimal = errors.New("invalid decimal")
)

// Digits returns the number of minor-unit digits of an ISO 4217 currency
// (USD 2, EUR 2, JPY 0, KWD 3). ok is false for unknown codes.
func Digits(code string) (digits int, ok bool) {
	canon, ok := canonical(code)
	if !ok {
		return 0, false
	}
	d, ok := currency.GetDigits(canon)
	return int(d), ok
}

// Normalize returns the upper-case form of a known currency code, the form
// to store and compare.
func Normalize(code string) (string, error) {
	canon, ok := canonical(code)
	if !ok {
		return "", errorf(ErrUnknownCurrency, code)
	}
	return canon, nil
}

// minimumCharges mirrors Stripe's published minimum charge amounts.
var minimumCharges = map[string]int64{
	"USD": 50, "EUR": 50, "AUD": 50, "BRL": 50, "CAD": 50, "CHF": 50, "NZD": 50, "SGD": 50,
	"GBP": 30,
	"DKK": 250,
	"NOK": 300, "SEK": 300,
	"HKD": 400,
	"JPY": 50,
	"MXN": 1000,
}

// MinimumCharge returns the smallest amount, in minor units, that a payment
// processor will accept for a single charge.
//
// Currencies missing from the table, unknown codes included, get 1 minor
// unit: the smallest non-zero amount. Guessing a higher floor (say one major
// unit) would block legitimate invoices in currencies where a major unit is
// worth a lot (KWD) and mean nothing where it is worth little (IDR); the
// processor stays the authority and declines anything below its own limit.
func MinimumCharge(code string) int64 {
	canon, ok := canonical(code)
	if !ok {
		return 1
	}
	if m, ok := minimumCharges[canon]; ok {
		return m
	}
	return 1
}

// canonical returns the upper-case form of a known currency code. Codes that
// are already upper case, the common case, are looked up without allocating.
func canonical(code string) (string, bool) {
	// currency.IsValid accepts "", which is never a currency here.
	if len(code) != 3 {
		return "", false
	}
	upper := code
	for i := 0; i < len(code); i++ {
		if c := code[i]; c >= 'a' && c <= 'z' {
			upper = string([]byte{toUpper(code[0]), toUpper(code[1]), toUpper(code[2])})
			break
		}
	}
	if !currency.IsValid(upper) {
		return "", false
	}
	return upper, true
}

func toUpper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}
