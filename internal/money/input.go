package money

import (
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/remitbilling/remit/internal/usererr"
)

// MaxUnitDecimals is how many decimals a unit price may carry beyond the
// currency's own (usage prices such as 0.0015 per call need them).
const MaxUnitDecimals = 12

// ParseAmount reads an amount in major units ("49.99") that must be exact
// in the currency's minor unit, as any amount that is charged must be.
func ParseAmount(s, currency string, field ...string) (int64, error) {
	d, err := ParseDecimal(s)
	if err != nil {
		return 0, usererr.Newf(usererr.InvalidDecimal, field, "%q is not a decimal number like 49.99", s)
	}
	minor, err := ExactMinorFromMajor(d, currency)
	switch {
	case errors.Is(err, ErrTooPrecise):
		digits, _ := Digits(currency)
		return 0, usererr.Newf(usererr.InvalidAmount, field, "%s amounts have at most %d decimals", currency, digits)
	case errors.Is(err, ErrAmountTooLarge):
		return 0, usererr.New(usererr.AmountTooLarge, "amount is too large", field...)
	case errors.Is(err, ErrUnknownCurrency):
		return 0, usererr.Newf(usererr.UnknownCurrency, field, "unknown currency %q", currency)
	case err != nil:
		return 0, fmt.Errorf("parse amount: %w", err)
	}
	return minor, nil
}

// ParseUnitAmount reads a non-negative unit price in major units with up to
// MaxUnitDecimals decimals, or, when minorUnits is true, an integral count of
// minor units, and returns it in major units.
func ParseUnitAmount(s, currency string, minorUnits bool, field ...string) (decimal.Decimal, error) {
	d, err := ParseDecimal(s)
	if err != nil {
		return decimal.Decimal{}, usererr.Newf(usererr.InvalidDecimal, field, "%q is not a decimal number like 49.99", s)
	}
	if d.IsNegative() {
		return decimal.Decimal{}, usererr.New(usererr.InvalidAmount, "unit amounts cannot be negative; credit the customer with a credit balance instead", field...)
	}
	digits, ok := Digits(currency)
	if !ok {
		return decimal.Decimal{}, usererr.Newf(usererr.UnknownCurrency, field, "unknown currency %q", currency)
	}
	if minorUnits {
		if !d.Equal(d.Truncate(0)) {
			return decimal.Decimal{}, usererr.New(usererr.InvalidAmount, "minor-unit amounts are whole numbers", field...)
		}
		d = d.Shift(int32(-digits))
	}
	if -d.Exponent() > int32(digits+MaxUnitDecimals) {
		return decimal.Decimal{}, usererr.Newf(usererr.InvalidAmount, field, "unit amounts have at most %d decimals", digits+MaxUnitDecimals)
	}
	if d.GreaterThan(decimal.New(MaxAmount, int32(-digits))) {
		return decimal.Decimal{}, usererr.New(usererr.AmountTooLarge, "unit amount is too large", field...)
	}
	return d, nil
}
