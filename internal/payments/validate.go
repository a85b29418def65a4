package payments

import (
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

// ibanLengths is the IBAN registry length per country: every SEPA country
// plus the other common IBAN countries, so a foreign IBAN gets "wrong
// length" rather than "unknown country" when it is merely mistyped.
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16,
	"BG": 22, "BH": 22, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28,
	"CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24,
	"FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18,
	"GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23,
	"IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
	"LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22,
	"MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24,
	"PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
	"SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
	"TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
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

// ValidateIBAN checks an IBAN's country, length and ISO 7064 mod-97 check
// digits, and returns it uppercased without spaces. Errors wrap
// ErrInvalidIBAN.
func ValidateIBAN(iban string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(iban); i++ {
		c := iban[i]
		switch {
		case c == ' ' || c == '-':
		case c >= 'a' && c <= 'z':
			b.WriteByte(c - 'a' + 'A')
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b.WriteByte(c)
		default:
			return "", inputErr("iban", ErrInvalidIBAN, "contains characters other than letters and digits")
		}
	}
	s := b.String()
	if len(s) < 5 {
		return "", inputErr("iban", ErrInvalidIBAN, "too short")
	}
	want, ok := ibanLengths[s[:2]]
	if !ok {
		return "", inputErr("iban", ErrInvalidIBAN, "unknown country code "+s[:2])
	}
	if len(s) != want {
		return "", inputErr("iban", ErrInvalidIBAN, "wrong length for "+s[:2])
	}
	if s[2] < '0' || s[2] > '9' || s[3] < '0' || s[3] > '9' {
		return "", inputErr("iban", ErrInvalidIBAN, "check digits must be numeric")
	}
	// 00, 01 and 99 can satisfy mod 97 but are never issued: the algorithm
	// only yields 02..98.
	if cd := s[2:4]; cd == "00" || cd == "01" || cd == "99" {
		return "", inputErr("iban", ErrInvalidIBAN, "impossible check digits")
	}
	if mod97(s[4:]+s[:4]) != 1 {
		return "", inputErr("iban", ErrInvalidIBAN, "check digits do not match")
	}
	return s, nil
}

// mod97 computes the ISO 7064 remainder digit by digit, with letters
// expanded to 10..35, so no big integers are needed.
func mod97(s string) int {
	r := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' {
			v := int(c-'A') + 10
			r = (r*100 + v) % 97
		} else {
			r = (r*10 + int(c-'0')) % 97
		}
	}
	return r
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
