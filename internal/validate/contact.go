package validate

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxEmailLen bounds addresses well above the SMTP limit of 254 octets so
// that no real address is refused, while still capping what is stored.
const MaxEmailLen = 512

// Email checks that s is a bare addr-spec ("ada@example.com") that invoices
// can actually be sent to. Display names, angle brackets, comments,
// surrounding spaces and quoted local parts are refused rather than
// stripped: the stored value is what appears on the invoice and in the
// To: header, so it must be exactly what the merchant typed.
func Email(s string) error {
	if s == "" {
		return newError(CodeInvalidEmail, "email address must not be empty")
	}
	if n := utf8.RuneCountInString(s); n > MaxEmailLen {
		return newError(CodeInvalidEmail, fmt.Sprintf("email address is %d characters; at most %d are allowed", n, MaxEmailLen))
	}
	addr, err := mail.ParseAddress(s)
	if err != nil {
		return newError(CodeInvalidEmail, fmt.Sprintf("%s is not a valid email address", quote(s)))
	}
	if addr.Name != "" || addr.Address != s {
		return newError(CodeInvalidEmail, fmt.Sprintf("%s must be a bare address like name@example.com, without display name, brackets or quotes", quote(s)))
	}
	domain := s[strings.LastIndexByte(s, '@')+1:]
	if !validDomain(domain) {
		return newError(CodeInvalidEmail, fmt.Sprintf("%s does not have a valid domain such as example.com", quote(s)))
	}
	return nil
}

// validDomain accepts dotted hostnames, including internationalized ones,
// and refuses the RFC 5322 forms no mail provider delivers to from a
// billing system: single-label hosts, IP literals and bare IPs.
func validDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	return strings.IndexFunc(tld, unicode.IsLetter) >= 0
}

// MaxPhoneLen matches the column width; E.164 numbers are at most 15 digits,
// leaving room for a + and some separators.
const MaxPhoneLen = 20

// Phone is deliberately loose: invoices only print the number, nothing
// dials it, so it accepts national and international notations alike
// ("+33 1 23 45 67 89", "(555) 123-4567", "01.23.45.67.89").
func Phone(s string) error {
	if s == "" {
		return newError(CodeInvalidPhone, "phone number must not be empty")
	}
	if n := utf8.RuneCountInString(s); n > MaxPhoneLen {
		return newError(CodeInvalidPhone, fmt.Sprintf("phone number is %d characters; at most %d are allowed", n, MaxPhoneLen))
	}
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+':
			// A + anywhere but first is a typo, not an international prefix.
			if i != 0 {
				return newError(CodeInvalidPhone, "phone number may only contain '+' as its first character")
			}
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return newError(CodeInvalidPhone, fmt.Sprintf("phone number contains %q; only digits, spaces and + - ( ) . are allowed", r))
		}
	}
	if digits < 4 {
		return newError(CodeInvalidPhone, "phone number must contain at least 4 digits")
	}
	return nil
}
