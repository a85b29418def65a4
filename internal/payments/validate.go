package payments

import (
	"github.com/remitbilling/remit/internal/banking"
	"strings"

	"github.com/remitbilling/remit/internal/validate"
)

// digitsOnly strips the spaces and dashes people type into forms and
// reports false if anything else but digits remains.
func digitsOnly(s string) (string, bool) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == ' ' || c == '-':
		default:
			return "", false
		}
	}
	return b.String(), b.Len() > 0
}

// Luhn reports whether number passes the Luhn (mod 10) check. Spaces and
// dashes are ignored; any other character fails.
func Luhn(number string) bool {
	d, ok := digitsOnly(number)
	if !ok {
		return false
	}
	return validate.Luhn(d)
}

// Brand names the card network from the number's prefix, using Stripe's
// brand strings. It does not validate the number.
func Brand(number string) string {
	d, ok := digitsOnly(number)
	if !ok {
		return "unknown"
	}
	return brand(d)
}

func brand(d string) string {
	p := func(n int) int { // first n digits as an int, or -1 if too short
		if len(d) < n {
			return -1
		}
		v := 0
		for i := 0; i < n; i++ {
			v = v*10 + int(d[i]-'0')
		}
		return v
	}
	p2, p3, p4 := p(2), p(3), p(4)
	switch {
	case strings.HasPrefix(d, "4"):
		return "visa"
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720:
		return "mastercard"
	case p2 == 34, p2 == 37:
		return "amex"
	case p4 == 6011, p2 == 65, p3 >= 644 && p3 <= 649:
		return "discover"
	case p2 == 36, p2 == 38, p2 == 39, p3 >= 300 && p3 <= 305:
		return "diners"
	case p4 >= 3528 && p4 <= 3589:
		return "jcb"
	case p2 == 62, p2 == 81:
		return "unionpay"
	}
	return "unknown"
}

// sepaCountries can be debited through SEPA Direct Debit: the EU, the EEA
// and the non-EU scheme members. A valid IBAN elsewhere is not debitable.
var sepaCountries = map[string]bool{
	"AT": true, "BE": true, "BG": true, "HR": true, "CY": true, "CZ": true,
	"DK": true, "EE": true, "FI": true, "FR": true, "DE": true, "GR": true,
	"HU": true, "IE": true, "IT": true, "LV": true, "LT": true, "LU": true,
	"MT": true, "NL": true, "PL": true, "PT": true, "RO": true, "SK": true,
	"SI": true, "ES": true, "SE": true, "IS": true, "LI": true, "NO": true,
	"CH": true, "GB": true, "MC": true, "SM": true, "VA": true, "AD": true,
	"GI": true,
}

// bankCodeSpan locates the national bank code inside the BBAN for the
// largest SEPA markets; elsewhere Method.BankCode stays empty rather than
// guessed.
var bankCodeSpan = map[string][2]int{
	"DE": {0, 8}, "AT": {0, 5}, "FR": {0, 5}, "ES": {0, 4}, "NL": {0, 4},
	"BE": {0, 3}, "IT": {1, 6}, "LU": {0, 3}, "CH": {0, 5}, "GB": {0, 4},
	"IE": {0, 4}, "PT": {0, 4}, "FI": {0, 3}, "PL": {0, 8},
}

// ValidateIBAN checks an IBAN (banking.ParseIBAN: country, length, ISO
// 7064 mod-97 check digits; dashes are forgiven as well as spaces) and
// returns it uppercased without separators. Errors wrap ErrInvalidIBAN.
func ValidateIBAN(iban string) (string, error) {
	s, err := banking.ParseIBAN(strings.ReplaceAll(iban, "-", " "))
	if err != nil {
		return "", inputErr("iban", ErrInvalidIBAN, strings.TrimPrefix(err.Error(), banking.ErrIBAN.Error()+": "))
	}
	return s, nil
}

// ValidateRouting checks a US ABA routing number: nine digits, a Federal
// Reserve prefix, and the 3-7-1 weighted checksum. Errors wrap
// ErrInvalidRouting.
func ValidateRouting(routing string) (string, error) {
	d, ok := digitsOnly(routing)
	if !ok || len(d) != 9 {
		return "", inputErr("routing_number", ErrInvalidRouting, "must be nine digits")
	}
	if d == "000000000" {
		return "", inputErr("routing_number", ErrInvalidRouting, "must not be all zeros")
	}
	// Valid prefixes: 00-12 (banks), 21-32 (thrifts), 61-72 (electronic),
	// 80 (traveler's cheques).
	pre := int(d[0]-'0')*10 + int(d[1]-'0')
	if !(pre <= 12 || pre >= 21 && pre <= 32 || pre >= 61 && pre <= 72 || pre == 80) {
		return "", inputErr("routing_number", ErrInvalidRouting, "unknown Federal Reserve prefix")
	}
	w := [9]int{3, 7, 1, 3, 7, 1, 3, 7, 1}
	sum := 0
	for i := range 9 {
		sum += w[i] * int(d[i]-'0')
	}
	if sum%10 != 0 {
		return "", inputErr("routing_number", ErrInvalidRouting, "checksum does not match")
	}
	return d, nil
}
