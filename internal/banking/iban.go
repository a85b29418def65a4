package banking

import (
	"errors"
	"fmt"
	"strings"

	"github.com/remitbilling/remit/internal/validate"
)

var (
	// ErrIBAN is wrapped by every error ParseIBAN returns.
	ErrIBAN = errors.New("not a valid IBAN")
	// ErrBIC is wrapped by every error ParseBIC returns.
	ErrBIC = errors.New("not a valid BIC")
)

// ibanLengths is the IBAN registry's length per country: every SEPA
// country plus the other common IBAN countries, so a foreign IBAN that is
// merely mistyped gets "wrong length" rather than "unknown country".
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16,
	"BG": 22, "BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22,
	"CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20,
	"EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22,
	"GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28,
	"IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30,
	"KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
	"LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27,
	"MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
	"PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
	"SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
	"SO": 23, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29,
	"VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

// ParseIBAN checks an IBAN as people write it (groups separated by spaces,
// any letter case): a known country, that country's length, and the
// ISO 7064 mod-97 check digits. It returns the electronic form
// ("FR7630006000011234567890189"). Errors wrap ErrIBAN and say what is
// wrong, for the person who typed it.
func ParseIBAN(s string) (string, error) {
	iban := strings.ToUpper(strings.Join(strings.Fields(s), ""))
	switch {
	case iban == "":
		return "", fmt.Errorf("%w: empty", ErrIBAN)
	case alnum(iban) != iban:
		return "", fmt.Errorf("%w: only letters and digits are allowed", ErrIBAN)
	case len(iban) < 5 || !letters(iban[:2]):
		return "", fmt.Errorf("%w: an IBAN starts with a country code such as FR", ErrIBAN)
	}
	want, ok := ibanLengths[iban[:2]]
	if !ok {
		return "", fmt.Errorf("%w: unknown country code %s", ErrIBAN, iban[:2])
	}
	if len(iban) != want {
		return "", fmt.Errorf("%w: %s IBANs have %d characters, not %d", ErrIBAN, iban[:2], want, len(iban))
	}
	// 00, 01 and 99 can satisfy mod 97 but are never issued: the check
	// digit algorithm only yields 02 to 98.
	if cd := iban[2:4]; !digits(cd) || cd == "00" || cd == "01" || cd == "99" {
		return "", fmt.Errorf("%w: the check digits (characters 3 and 4) are wrong", ErrIBAN)
	}
	if mod97(iban[4:]+iban[:4]) != 1 {
		return "", fmt.Errorf("%w: the check digits do not match; is a character mistyped?", ErrIBAN)
	}
	return iban, nil
}

// PrintedIBAN groups an IBAN by four, as it is printed for people to copy
// ("FR76 3000 6000 0112 3456 7890 189").
func PrintedIBAN(iban string) string { return Printed(iban) }

// ParseBIC checks a business identifier code (ISO 9362, also "SWIFT
// code"): four letters for the institution, its ISO 3166 country, two
// letters or digits for the location and optionally three for the branch,
// 8 or 11 characters in all. Spaces and letter case are forgiven; it
// returns the code upper-cased. Errors wrap ErrBIC.
func ParseBIC(s string) (string, error) {
	bic := strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if len(bic) != 8 && len(bic) != 11 {
		return "", fmt.Errorf("%w: a BIC has 8 or 11 characters, not %d", ErrBIC, len(bic))
	}
	if alnum(bic) != bic || !letters(bic[:4]) {
		return "", fmt.Errorf("%w: a BIC is 4 letters (the bank), 2 letters (the country), then letters or digits", ErrBIC)
	}
	if _, err := validate.Country(bic[4:6]); err != nil {
		return "", fmt.Errorf("%w: %s is not a country code", ErrBIC, bic[4:6])
	}
	return bic, nil
}

func letters(s string) bool {
	for _, c := range s {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}
