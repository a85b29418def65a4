package words

import (
	"strings"
	"testing"
	"time"
)

func TestTableComplete(t *testing.T) {
	for _, l := range Langs {
		for k := range table["en"] {
			if table[l][k] == "" {
				t.Errorf("%s lacks %q", l, k)
			}
		}
		for k, v := range table[l] {
			if _, ok := table["en"][k]; !ok {
				t.Errorf("%s has %q, en has not", l, k)
			}
			if strings.Count(v, "%s") != strings.Count(table["en"][k], "%s") {
				t.Errorf("%s %q: placeholders differ from en", l, k)
			}
		}
	}
}

func TestFromHeader(t *testing.T) {
	for header, want := range map[string]string{
		"":                        "en",
		"fr-FR,fr;q=0.9,en;q=0.8": "fr",
		"en-US,en;q=0.9,fr;q=0.8": "en",
		"de-DE,de;q=0.9":          "de",
		"de-DE,fr;q=0.5,en;q=0.4": "de",
		"es-ES,fr;q=0.5,en;q=0.4": "fr",
		"it-IT,it;q=0.9":          "en",
		"de-CH;q=0.8, en;q=0.9":   "en",
		"en;q=0.2, fr-CA":         "fr",
		"fr;q=0, en;q=0.1":        "en",
		"FR":                      "fr",
	} {
		if got := FromHeader(header); got != want {
			t.Errorf("FromHeader(%q) = %q, want %q", header, got, want)
		}
	}
}

func TestChoose(t *testing.T) {
	tests := []struct {
		preferred []string
		header    string
		want      string
	}{
		{[]string{"fr"}, "en-US,en;q=0.9", "fr"},        // the customer's locale comes first
		{[]string{"en-GB"}, "fr-FR", "en"},              // English is a choice too
		{[]string{"es", "fr-CA"}, "en", "fr"},           // the first supported one
		{[]string{"it", "de-AT", "fr"}, "en", "de"},     // German is one of them
		{[]string{"de-CH"}, "fr-FR", "de"},              // Swiss German reads German
		{[]string{"fr_FR"}, "", "fr"},                   // POSIX spelling
		{[]string{"FR-fr"}, "en", "fr"},                 // any case
		{[]string{"frr"}, "en", "en"},                   // North Frisian is not French
		{[]string{"es"}, "fr-FR,fr;q=0.9", "fr"},        // none supported: the browser's
		{nil, "de-DE", "de"},                            // the browser's German
		{nil, "it-IT", "en"},                            // nothing supported: English
		{[]string{"es-419"}, "en;q=0.5,fr;q=0.6", "fr"}, // the browser's weights
		{[]string{"fr"}, "*;q=0", "fr"},                 // a refusal in the header does not matter
	}
	for _, tt := range tests {
		if got := Choose(tt.preferred, tt.header); got != tt.want {
			t.Errorf("Choose(%q, %q) = %q, want %q", tt.preferred, tt.header, got, tt.want)
		}
	}
}

func TestDateAndMoney(t *testing.T) {
	d := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	for lang, want := range map[string]string{"en": "Mar 4, 2026", "fr": "04/03/2026", "de": "04.03.2026", "de-AT": "04.03.2026", "es": "Mar 4, 2026", "fr-CA": "04/03/2026"} {
		if got := Date(d, lang); got != want {
			t.Errorf("Date(%s) = %q, want %q", lang, got, want)
		}
	}
	// English reads without the French spacing before a colon.
	if got := Label("en", "DueNow", Money(200000, "USD", "en")); got != "Due now: $2,000.00" {
		t.Errorf("en DueNow: %q", got)
	}
	if got := Label("fr", "DueNow", "x"); got != "À régler maintenant : x" {
		t.Errorf("fr DueNow: %q", got)
	}
	if got := Label("de-DE", "DueNow", Money(123456, "EUR", "de-DE")); got != "Jetzt fällig: 1.234,56\u00a0€" {
		t.Errorf("de DueNow: %q", got)
	}
}

func TestStatusesReadTheSame(t *testing.T) {
	for _, l := range Langs {
		if table[l]["UNCOLLECTIBLE"] != table[l]["OPEN"] {
			t.Errorf("%s: UNCOLLECTIBLE reads %q, OPEN %q", l, table[l]["UNCOLLECTIBLE"], table[l]["OPEN"])
		}
	}
}

func TestReasonOf(t *testing.T) {
	for _, tt := range []struct{ code, lang, want string }{
		{"card_declined", "fr", "la carte a été refusée"},
		{"generic_decline", "fr", "la carte a été refusée"},
		{"expired_card", "en", "the card has expired"},
		{"expired_card", "de-DE", "die Karte ist abgelaufen"},
	} {
		if got := ReasonOf(tt.code, tt.lang); got != tt.want {
			t.Errorf("ReasonOf(%s, %s) = %q, want %q", tt.code, tt.lang, got, tt.want)
		}
	}
}

// Every language says every outcome and every failure reason English says.
func TestOutcomesComplete(t *testing.T) {
	for _, l := range Langs {
		m, ok := byLang[l]
		if !ok || m.succeeded == "" || m.failed == "" || m.processing == "" || m.action == "" {
			t.Errorf("%s lacks an outcome", l)
		}
		for code := range byLang["en"].reasons {
			if m.reasons[code] == "" {
				t.Errorf("%s lacks the reason %q", l, code)
			}
		}
	}
}
