package validate

import (
	"fmt"
	"strings"

	"golang.org/x/text/language"
)

// MaxLocales bounds a customer's preferred_locales list; only the first
// supported entry is ever used to render documents.
const MaxLocales = 10

// Locales parses BCP 47 tags and returns them canonicalized ("fr-ca" →
// "fr-CA", "iw" → "he") so that stored values compare equal regardless of
// how a client spelled them. Duplicates are detected after canonicalization
// because "fr-ca" and "fr-CA" are the same preference.
func Locales(tags []string) ([]string, error) {
	if len(tags) > MaxLocales {
		return nil, newError(CodeInvalidLocale, fmt.Sprintf("%d locales given; at most %d are allowed", len(tags), MaxLocales))
	}
	out := make([]string, 0, len(tags))
	for _, raw := range tags {
		tag, err := language.Parse(raw)
		if err != nil {
			return nil, newError(CodeInvalidLocale, fmt.Sprintf("%s is not a valid BCP 47 language tag such as fr-FR", quote(raw)))
		}
		// "und" parses but names no language, so it cannot select a
		// translation.
		if tag == language.Und {
			return nil, newError(CodeInvalidLocale, fmt.Sprintf("%s does not name a language", quote(raw)))
		}
		canon := tag.String()
		for _, prev := range out {
			if prev == canon {
				return nil, newError(CodeInvalidLocale, fmt.Sprintf("locale %s is listed more than once", quote(canon)))
			}
		}
		out = append(out, canon)
	}
	return out, nil
}

// notISOCountries are codes x/text reports as countries although they are
// not assigned ISO 3166-1 alpha-2 codes: exceptionally reserved (UK, EU
// relatives, Canary Islands…), transitionally reserved or withdrawn (YU, AN,
// ZR…) and CLDR/legacy oddities. Accepting them would let an address carry a
// country no payment or tax system recognizes.
var notISOCountries = map[string]bool{
	"AC": true, "AN": true, "BU": true, "CP": true, "CQ": true, "CS": true,
	"CT": true, "DD": true, "DG": true, "DY": true, "EA": true, "EZ": true,
	"FQ": true, "FX": true, "HV": true, "IC": true, "JT": true, "MI": true,
	"NH": true, "NQ": true, "NT": true, "PC": true, "PU": true, "PZ": true,
	"RH": true, "SU": true, "TA": true, "TP": true, "UK": true, "UN": true,
	"VD": true, "WK": true, "YD": true, "YU": true, "ZR": true,
}

// Country returns the upper-cased ISO 3166-1 alpha-2 code for code. XK
// (Kosovo) is accepted although user-assigned, because the EU, banks and
// card networks use it. Alpha-3 and numeric forms are refused: addresses and
// tax rules key on alpha-2 only, and silently converting "FRA" would hide a
// client bug.
func Country(code string) (string, error) {
	if len(code) != 2 || !isASCIILetter(code[0]) || !isASCIILetter(code[1]) {
		return "", newError(CodeInvalidCountry, fmt.Sprintf("%s is not a two-letter ISO 3166-1 country code such as FR", quote(code)))
	}
	upper := strings.ToUpper(code)
	// UK is the most common mistake: it is reserved, not assigned.
	if upper == "UK" {
		return "", newError(CodeInvalidCountry, `"UK" is not an ISO 3166-1 country code; use GB for the United Kingdom`)
	}
	r, err := language.ParseRegion(upper)
	if err != nil || !r.IsCountry() || r.String() != upper || notISOCountries[upper] {
		return "", newError(CodeInvalidCountry, fmt.Sprintf("%s is not an assigned ISO 3166-1 country code", quote(code)))
	}
	return upper, nil
}

func isASCIILetter(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}
