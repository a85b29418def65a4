package money

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/bojanz/currency"
	"github.com/shopspring/decimal"
)

// MajorString renders minor units as a plain decimal in major units with
// exactly the currency's number of fraction digits: 500000 USD → "5000.00",
// -5 USD → "-0.05", 1234 JPY → "1234", 1234 KWD → "1.234". It is the
// machine-readable form (APIs, e-invoice XML), exact for every int64.
//
// An unknown currency renders with no fraction digits: the integer is then
// shown as is rather than scaled by a guessed exponent.
func MajorString(minor int64, currency string) string {
	digits, _ := Digits(currency)
	var buf [32]byte
	return string(appendMajor(buf[:0], minor, digits))
}

func appendMajor(b []byte, minor int64, digits int) []byte {
	var tmp [20]byte
	s := strconv.AppendUint(tmp[:0], abs(minor), 10)
	if minor < 0 {
		b = append(b, '-')
	}
	if digits == 0 {
		return append(b, s...)
	}
	if len(s) <= digits {
		b = append(b, '0', '.')
		for range digits - len(s) {
			b = append(b, '0')
		}
		return append(b, s...)
	}
	cut := len(s) - digits
	b = append(b, s[:cut]...)
	b = append(b, '.')
	return append(b, s[cut:]...)
}

// maxDecimalDigits bounds ParseDecimal input: enough for any amount or
// rate, small enough that arithmetic on parsed values stays cheap.
const maxDecimalDigits = 30

// ParseDecimal parses a strict decimal: an optional leading '-', digits,
// and optionally '.' followed by digits. Exponents, spaces, '+', thousands
// separators, and a bare leading or trailing '.' are rejected, so a value
// means the same thing in every client and locale. At most 30 digits are
// accepted; the sign and point do not count.
func ParseDecimal(s string) (decimal.Decimal, error) {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	intStart := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	n := i - intStart
	if n == 0 {
		return decimal.Decimal{}, errorf(ErrInvalidDecimal, s)
	}
	if i < len(s) && s[i] == '.' {
		i++
		fracStart := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == fracStart {
			return decimal.Decimal{}, errorf(ErrInvalidDecimal, s)
		}
		n += i - fracStart
	}
	if i != len(s) || n > maxDecimalDigits {
		return decimal.Decimal{}, errorf(ErrInvalidDecimal, s)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		// Unreachable for the grammar above; kept so a library change
		// surfaces as an error instead of a zero value.
		return decimal.Decimal{}, fmt.Errorf("%w: %q: %v", ErrInvalidDecimal, s, err)
	}
	return d, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Format renders minor units for people in a BCP 47 locale, e.g. en:
// "$5,000.00", fr: "5 000,00 $US". Locales without CLDR data fall back
// through their parents to "en". An unknown currency falls back to
// MajorString followed by the code, so nothing is hidden.
func Format(minor int64, code, locale string) string {
	canon, ok := canonical(code)
	if !ok {
		return MajorString(minor, code) + " " + code
	}
	amount, err := currency.NewAmountFromInt64(minor, canon)
	if err != nil {
		return MajorString(minor, canon) + " " + canon
	}
	return formatter(locale).Format(amount)
}

var (
	// formatters caches one *currency.Formatter per locale string as
	// received. Building one resolves the CLDR parent chain and allocates,
	// and Format runs for every amount in every response. Formatters are
	// read-only after construction, so sharing them is safe.
	formatters     sync.Map
	formatterCount atomic.Int64
)

// maxCachedLocales bounds the cache, because locale strings come from
// clients and an unbounded cache would be a memory leak on demand.
const maxCachedLocales = 512

func formatter(locale string) *currency.Formatter {
	if f, ok := formatters.Load(locale); ok {
		return f.(*currency.Formatter)
	}
	f := currency.NewFormatter(currency.NewLocale(locale))
	if formatterCount.Load() >= maxCachedLocales {
		return f
	}
	if actual, loaded := formatters.LoadOrStore(locale, f); loaded {
		return actual.(*currency.Formatter)
	}
	formatterCount.Add(1)
	return f
}

// errorf wraps a sentinel with the offending input, truncated so a hostile
// megabyte-long value does not end up in logs.
func errorf(sentinel error, input string) error {
	const limit = 40
	if len(input) > limit {
		return fmt.Errorf("%w: %q… (%d bytes)", sentinel, input[:limit], len(input))
	}
	return fmt.Errorf("%w: %q", sentinel, input)
}
