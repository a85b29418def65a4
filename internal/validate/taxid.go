package validate

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Tax ID types, named as in Stripe's API so integrations can pass values
// through unchanged.
const (
	TaxIDAUABN   = "au_abn"
	TaxIDBRCNPJ  = "br_cnpj"
	TaxIDCABN    = "ca_bn"
	TaxIDCHVAT   = "ch_vat"
	TaxIDEUVAT   = "eu_vat"
	TaxIDFRSIREN = "fr_siren"
	TaxIDFRSIRET = "fr_siret"
	TaxIDGBVAT   = "gb_vat"
	TaxIDINGST   = "in_gst"
	TaxIDJPTRN   = "jp_trn"
	TaxIDNOVAT   = "no_vat"
	TaxIDUSEIN   = "us_ein"
)

// MaxGenericTaxIDLen bounds tax IDs of types we accept without knowing
// their format.
const MaxGenericTaxIDLen = 64

// taxIDCheckers maps a type to a function returning the normalized value or
// a message describing the expected format.
var taxIDCheckers = map[string]func(string) (string, string){
	TaxIDFRSIREN: checkFRSIRENTaxID,
	TaxIDFRSIRET: checkFRSIRETTaxID,
	TaxIDEUVAT:   checkEUVAT,
	TaxIDGBVAT:   checkGBVAT,
	TaxIDCHVAT:   checkCHVAT,
	TaxIDUSEIN:   checkUSEIN,
	// These are stored for display on invoices only; we do not compute
	// anything from them, so a wrong format costs less than refusing a
	// customer whose valid number we failed to anticipate.
	TaxIDAUABN:  checkGeneric,
	TaxIDCABN:   checkGeneric,
	TaxIDINGST:  checkGeneric,
	TaxIDJPTRN:  checkGeneric,
	TaxIDNOVAT:  checkGeneric,
	TaxIDBRCNPJ: checkGeneric,
}

// TaxIDTypes returns the supported tax ID types, sorted, for API docs and
// error messages.
func TaxIDTypes() []string {
	types := make([]string, 0, len(taxIDCheckers))
	for t := range taxIDCheckers {
		types = append(types, t)
	}
	slices.Sort(types)
	return types
}

// TaxID validates a customer or merchant tax ID of the given type and
// returns it normalized for storage: trimmed, upper-cased and, where the
// format has no significant separators, stripped of spaces, dots and dashes
// ("fr 44 732.829.320" → "FR44732829320"). Storing one spelling keeps
// duplicate detection and VIES lookups exact. US EINs keep their canonical
// NN-NNNNNNN form, and types validated only generically keep their inner
// punctuation because we do not know which of it is significant.
//
// Passing these checks means the number is well-formed, not that it is
// registered: that needs a VIES (or equivalent) lookup.
func TaxID(typ, value string) (string, error) {
	check, ok := taxIDCheckers[typ]
	if !ok {
		return "", newError(CodeUnsupportedTaxIDType, fmt.Sprintf("tax ID type %s is not supported; use one of %s", quote(typ), strings.Join(TaxIDTypes(), ", ")))
	}
	norm, problem := check(value)
	if problem != "" {
		return "", newError(CodeInvalidTaxID, problem)
	}
	return norm, nil
}

// SIREN checks the merchant's own 9-digit SIREN. Unlike TaxID it does not
// normalize: the merchant identity is printed verbatim on every invoice as
// French law requires, so it must already be in canonical form.
func SIREN(s string) error {
	if p := sirenProblem(s); p != "" {
		return newError(CodeInvalidSIREN, p)
	}
	return nil
}

// SIRET checks the merchant's own 14-digit SIRET, without normalizing for
// the same reason as SIREN.
func SIRET(s string) error {
	if p := siretProblem(s); p != "" {
		return newError(CodeInvalidSIRET, p)
	}
	return nil
}

const (
	sirenFormat = "SIREN numbers are 9 digits, without spaces"
	siretFormat = "SIRET numbers are 14 digits (9-digit SIREN + 5-digit establishment number), without spaces"
)

func sirenProblem(s string) string {
	if !isDigits(s, 9) {
		return sirenFormat
	}
	// All zeros satisfies Luhn but is only ever a placeholder.
	if s == "000000000" {
		return "SIREN 000000000 is a placeholder, not a real SIREN"
	}
	if !Luhn(s) {
		return "SIREN " + s + " has a wrong check digit"
	}
	return ""
}

// laPosteSIREN is La Poste's SIREN. Its establishments were numbered before
// the Luhn rule was applied to SIRETs, so INSEE validates them with a
// digit-sum rule instead; only the head office SIRET follows Luhn.
const (
	laPosteSIREN      = "356000000"
	laPosteHeadOffice = "35600000000048"
)

func siretProblem(s string) string {
	if !isDigits(s, 14) {
		return siretFormat
	}
	if p := sirenProblem(s[:9]); p != "" {
		return "SIRET " + s + " does not start with a valid SIREN: " + p
	}
	if strings.HasPrefix(s, laPosteSIREN) && s != laPosteHeadOffice {
		if digitSum(s)%5 != 0 {
			return "SIRET " + s + " has a wrong check digit"
		}
		return ""
	}
	if !Luhn(s) {
		return "SIRET " + s + " has a wrong check digit"
	}
	return ""
}

func checkFRSIRENTaxID(v string) (string, string) {
	c := compact(v)
	if !isDigits(c, 9) {
		return "", "French SIREN numbers are 9 digits"
	}
	return c, sirenProblem(c)
}

func checkFRSIRETTaxID(v string) (string, string) {
	c := compact(v)
	if !isDigits(c, 14) {
		return "", "French SIRET numbers are 14 digits (9-digit SIREN + 5-digit establishment number)"
	}
	return c, siretProblem(c)
}

// euVATFormat is one member state's national part, from the formats the
// European Commission publishes for VIES.
type euVATFormat struct {
	re   *regexp.Regexp
	desc string
}

func vatFormat(country, pattern, desc string) euVATFormat {
	return euVATFormat{
		re:   regexp.MustCompile(`^(?:` + pattern + `)$`),
		desc: country + " VAT numbers are " + desc,
	}
}

// euVATFormats covers the 27 member states plus XI: Northern Ireland stayed
// in the EU VAT area for goods after Brexit, and its traders are looked up
// in VIES with the XI prefix and GB-style numbers.
var euVATFormats = map[string]euVATFormat{
	"AT": vatFormat("AT", `U\d{8}`, "ATU + 8 digits"),
	"BE": vatFormat("BE", `[01]\d{9}`, "BE + 10 digits starting with 0 or 1"),
	"BG": vatFormat("BG", `\d{9,10}`, "BG + 9 or 10 digits"),
	"CY": vatFormat("CY", `\d{8}[A-Z]`, "CY + 8 digits + 1 letter"),
	"CZ": vatFormat("CZ", `\d{8,10}`, "CZ + 8 to 10 digits"),
	"DE": vatFormat("DE", `\d{9}`, "DE + 9 digits"),
	"DK": vatFormat("DK", `\d{8}`, "DK + 8 digits"),
	"EE": vatFormat("EE", `\d{9}`, "EE + 9 digits"),
	"EL": vatFormat("EL", `\d{9}`, "EL + 9 digits"),
	"ES": vatFormat("ES", `[0-9A-Z]\d{7}[0-9A-Z]`, "ES + a letter or digit, 7 digits and a letter or digit, with the first and last not both digits"),
	"FI": vatFormat("FI", `\d{8}`, "FI + 8 digits"),
	// The key excludes I and O, which would be confused with 1 and 0.
	"FR": vatFormat("FR", `[0-9A-HJ-NP-Z]{2}\d{9}`, "FR + 2-character key + 9-digit SIREN"),
	"HR": vatFormat("HR", `\d{11}`, "HR + 11 digits"),
	"HU": vatFormat("HU", `\d{8}`, "HU + 8 digits"),
	"IE": vatFormat("IE", `\d{7}[A-W][A-IW]?|\d[A-Z+*]\d{5}[A-W]`, "IE + 7 digits + 1 or 2 letters, or the old form digit + letter/+/* + 5 digits + letter"),
	"IT": vatFormat("IT", `\d{11}`, "IT + 11 digits"),
	"LT": vatFormat("LT", `\d{9}|\d{12}`, "LT + 9 or 12 digits"),
	"LU": vatFormat("LU", `\d{8}`, "LU + 8 digits"),
	"LV": vatFormat("LV", `\d{11}`, "LV + 11 digits"),
	"MT": vatFormat("MT", `\d{8}`, "MT + 8 digits"),
	"NL": vatFormat("NL", `\d{9}B\d{2}`, "NL + 9 digits + B + 2 digits"),
	"PL": vatFormat("PL", `\d{10}`, "PL + 10 digits"),
	"PT": vatFormat("PT", `\d{9}`, "PT + 9 digits"),
	"RO": vatFormat("RO", `[1-9]\d{1,9}`, "RO + 2 to 10 digits, not starting with 0"),
	"SE": vatFormat("SE", `\d{10}01`, "SE + 12 digits ending in 01"),
	"SI": vatFormat("SI", `\d{8}`, "SI + 8 digits"),
	"SK": vatFormat("SK", `\d{10}`, "SK + 10 digits"),
	"XI": vatFormat("XI", `\d{9}|\d{12}|GD\d{3}|HA\d{3}`, "XI + 9 or 12 digits, or XIGD/XIHA + 3 digits"),
}

func checkEUVAT(v string) (string, string) {
	c := compact(v)
	if len(c) < 2 {
		return "", "EU VAT numbers start with a 2-letter country code, e.g. FR44732829320"
	}
	country, national := c[:2], c[2:]
	f, ok := euVATFormats[country]
	if !ok {
		switch country {
		case "GR":
			return "", "Greek VAT numbers use the EL prefix, not GR"
		case "GB":
			return "", "GB VAT numbers are not EU VAT numbers; use type gb_vat, or the XI prefix for Northern Ireland"
		}
		return "", "EU VAT numbers start with the country code of an EU member state (EL for Greece) or XI for Northern Ireland"
	}
	if !f.re.MatchString(national) {
		return "", f.desc
	}
	switch country {
	case "ES":
		if isDigit(national[0]) && isDigit(national[8]) {
			return "", f.desc
		}
	case "FR":
		if p := frVATProblem(national); p != "" {
			return "", p
		}
	}
	return c, ""
}

// frVATProblem checks an FR VAT number's national part (key + SIREN) that
// already matches the format.
func frVATProblem(national string) string {
	key, siren := national[:2], national[2:]
	// Monaco businesses get FR VAT numbers (Monaco is in the French VAT
	// area) built on a "000" pseudo-SIREN that is not Luhn-valid.
	if !strings.HasPrefix(siren, "000") && !Luhn(siren) {
		return "FR VAT numbers are FR + 2-character key + 9-digit SIREN; SIREN " + siren + " has a wrong check digit"
	}
	// Alphanumeric keys are issued by the tax office without a published
	// formula we can rely on; only numeric keys are derived from the SIREN.
	if isDigit(key[0]) && isDigit(key[1]) {
		n, _ := strconv.Atoi(siren) // 9 digits: always fits, already matched
		k, _ := strconv.Atoi(key)
		if k != (12+3*(n%97))%97 {
			return "FR VAT numbers are FR + 2-character key + 9-digit SIREN; key " + key + " does not match SIREN " + siren
		}
	}
	return ""
}

var gbVATRe = regexp.MustCompile(`^GB(?:\d{9}|\d{12}|GD\d{3}|HA\d{3})$`)

func checkGBVAT(v string) (string, string) {
	c := compact(v)
	if !gbVATRe.MatchString(c) {
		return "", "GB VAT numbers are GB + 9 or 12 digits, or GBGD/GBHA + 3 digits"
	}
	return c, ""
}

// chVATRe matches the compacted Swiss VAT number: the UID followed by the
// VAT suffix in German, French, Italian or Romansh.
var chVATRe = regexp.MustCompile(`^CHE(\d{9})(MWST|TVA|IVA|TPV)$`)

func checkCHVAT(v string) (string, string) {
	const format = "Swiss VAT numbers are CHE-123.456.789 followed by MWST, TVA or IVA"
	c := compact(v)
	m := chVATRe.FindStringSubmatch(c)
	if m == nil {
		return "", format
	}
	// The UID's last digit is a weighted mod-11 check digit; a result of 10
	// is never issued.
	digits := m[1]
	weights := [8]int{5, 4, 3, 2, 7, 6, 5, 4}
	sum := 0
	for i, w := range weights {
		sum += w * int(digits[i]-'0')
	}
	check := (11 - sum%11) % 11
	if check == 10 || int(digits[8]-'0') != check {
		return "", format + "; the check digit is wrong"
	}
	return c, ""
}

// usEINRe allows the dash only where the IRS prints it, so stray
// separators are reported rather than guessed around.
var usEINRe = regexp.MustCompile(`^(\d{2})-?(\d{7})$`)

func checkUSEIN(v string) (string, string) {
	m := usEINRe.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil {
		return "", "US EINs are NN-NNNNNNN (9 digits)"
	}
	return m[1] + "-" + m[2], ""
}

func checkGeneric(v string) (string, string) {
	const format = "tax IDs of this type are 1 to 64 printable characters"
	t := strings.TrimSpace(v)
	if t == "" || !utf8.ValidString(t) || utf8.RuneCountInString(t) > MaxGenericTaxIDLen {
		return "", format
	}
	for _, r := range t {
		if !unicode.IsPrint(r) {
			return "", format
		}
	}
	return strings.ToUpper(t), ""
}

// compact strips the separators people type or paste into identifiers,
// including non-breaking and narrow no-break spaces that French number
// formatting inserts, and upper-cases the rest.
func compact(s string) string {
	return strings.ToUpper(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '.' || r == '-' {
			return -1
		}
		return r
	}, s))
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// Luhn reports whether the all-digit string s has a valid Luhn (mod 10)
// check digit: SIREN, SIRET and card numbers use it.
func Luhn(s string) bool {
	sum := 0
	double := false
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

func digitSum(s string) int {
	sum := 0
	for i := 0; i < len(s); i++ {
		sum += int(s[i] - '0')
	}
	return sum
}
