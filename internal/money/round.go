package money

import (
	"fmt"
	"math/bits"

	"github.com/shopspring/decimal"
)

// MinorFromMajor converts an amount in major units to minor units of the
// currency, rounding half away from zero.
func MinorFromMajor(d decimal.Decimal, currency string) (int64, error) {
	minor, _, err := toMinor(d, currency)
	return minor, err
}

// ExactMinorFromMajor is MinorFromMajor for inputs that must already be
// expressible in minor units, such as a price of "10.005" USD where the
// caller wants an error rather than a silently changed amount. It returns
// ErrTooPrecise when rounding would change the value.
func ExactMinorFromMajor(d decimal.Decimal, currency string) (int64, error) {
	minor, exact, err := toMinor(d, currency)
	if err != nil {
		return 0, err
	}
	if !exact {
		digits, _ := Digits(currency)
		return 0, fmt.Errorf("%w: %s has more than %d decimal places", ErrTooPrecise, describe(d), digits)
	}
	return minor, nil
}

// maxMinorDigits is the number of integer digits of MaxAmount.
const maxMinorDigits = 16

func toMinor(d decimal.Decimal, code string) (minor int64, exact bool, err error) {
	digits, ok := Digits(code)
	if !ok {
		return 0, false, errorf(ErrUnknownCurrency, code)
	}
	if d.IsZero() {
		return 0, true, nil
	}
	// Decimals can carry any exponent, and rescaling one like 1e-999999999
	// builds a power of ten that size. Bound the magnitude from the
	// coefficient length and exponent first, so hostile input costs nothing.
	if d.Exponent() > maxMinorDigits {
		return 0, false, fmt.Errorf("%w: %s", ErrAmountTooLarge, describe(d))
	}
	scaled := d.Shift(int32(digits))
	// |scaled| < 10^intDigits and, being non-zero, |scaled| >= 10^(intDigits-1).
	intDigits := scaled.NumDigits() + int(scaled.Exponent())
	if intDigits > maxMinorDigits {
		return 0, false, fmt.Errorf("%w: %s", ErrAmountTooLarge, describe(d))
	}
	if intDigits < 0 {
		// Below a tenth of a minor unit: rounds to zero, and cannot be exact.
		return 0, false, nil
	}
	// decimal.Round is half away from zero, the system's rounding rule.
	rounded := scaled.Round(0)
	minor = rounded.IntPart()
	if minor > MaxAmount || minor < -MaxAmount {
		return 0, false, fmt.Errorf("%w: %s", ErrAmountTooLarge, describe(d))
	}
	return minor, rounded.Cmp(scaled) == 0, nil
}

// describe renders d for error messages. decimal.String expands the
// exponent, which for 1e999999999 means a gigabyte of zeros.
func describe(d decimal.Decimal) string {
	const limit = 40
	if d.NumDigits() > limit {
		return fmt.Sprintf("a %d-digit decimal", d.NumDigits())
	}
	if exp := d.Exponent(); exp > limit || exp < -limit {
		return d.ScientificNotationString()
	}
	return d.String()
}

// MulDivRound returns a×b/c rounded half away from zero. The product is
// computed in 128 bits, so it is exact for all int64 inputs; this is what
// percentages (amount × basis points / 10⁶) and pro rata shares need without
// going through big numbers. It returns ErrAmountTooLarge when the result's
// magnitude exceeds MaxAmount. Like integer division, it panics if c is 0.
func MulDivRound(a, b, c int64) (int64, error) {
	if c == 0 {
		panic("money: MulDivRound division by zero")
	}
	if a == 0 || b == 0 {
		return 0, nil
	}
	negative := (a < 0) != (b < 0) != (c < 0)
	ua, ub, uc := abs(a), abs(b), abs(c)
	hi, lo := bits.Mul64(ua, ub)
	if hi >= uc {
		// The quotient needs more than 64 bits.
		return 0, fmt.Errorf("%w: %d×%d/%d", ErrAmountTooLarge, a, b, c)
	}
	q, r := bits.Div64(hi, lo, uc)
	if q > uint64(MaxAmount) {
		return 0, fmt.Errorf("%w: %d×%d/%d", ErrAmountTooLarge, a, b, c)
	}
	// r >= c/2, written so 2r cannot overflow.
	if r >= uc-r {
		q++
	}
	if q > uint64(MaxAmount) {
		return 0, fmt.Errorf("%w: %d×%d/%d", ErrAmountTooLarge, a, b, c)
	}
	if negative {
		return -int64(q), nil
	}
	return int64(q), nil
}

// abs returns |v| as uint64, which also holds |math.MinInt64|.
func abs(v int64) uint64 {
	if v < 0 {
		return -uint64(v)
	}
	return uint64(v)
}
