// Package locales decides which of Remit's languages a customer reads:
// one decision for the PDFs, the emails, the hosted invoice page and the
// portal, so that a customer never gets a German invoice in a French
// email. It is a leaf package: documents, words and billing all use it.
package locales

import "strings"

// Langs are the languages documents, emails and pages are written in; the
// first is the fallback.
var Langs = []string{"en", "fr", "de"}

// Supported is the language tag names (its primary subtag, "de" in
// "de-CH" or "de_AT", any case), if Remit writes it.
func Supported(tag string) (string, bool) {
	base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
	base, _, _ = strings.Cut(base, "_")
	for _, l := range Langs {
		if base == l {
			return l, true
		}
	}
	return "", false
}

// Lang is the language tag names, English when Remit does not write it.
func Lang(tag string) string {
	if l, ok := Supported(tag); ok {
		return l
	}
	return Langs[0]
}

// Preferred is the first of a customer's preferred locales that Remit
// writes, as the customer spelled it (a document keeps "de-CH" for its
// region), if any.
func Preferred(tags []string) (string, bool) {
	for _, t := range tags {
		if _, ok := Supported(t); ok {
			return t, true
		}
	}
	return "", false
}
