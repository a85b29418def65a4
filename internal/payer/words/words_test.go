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
		"de-DE,de;q=0.9":          "en",
		"de-DE,fr;q=0.5,en;q=0.4": "fr",
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
		{[]string{"fr"}, "en-US,en;q=0.9", "fr"},          // the customer's locale wins
		{[]string{"de", "fr-CA"}, "en", "fr"},             // its first supported one
		{[]string{"en-GB"}, "fr-FR", "en"},                // English is a choice too
		{[]string{"de"}, "fr-FR,fr;q=0.9", "fr"},          // none supported: the browser
		{nil, "de-DE", "en"},                              // nothing: English
		{[]string{}, "fr", "fr"},                          // no locales: the browser
		{[]string{"fr_FR"}, "", "fr"},                     // POSIX spelling
		{[]string{"  "}, "en;q=0.1,fr;q=0.5", "fr"},       // blank is none
		{[]string{"es", "pt", "FR"}, "en", "fr"},          // case
		{[]string{"english"}, "fr", "fr"},                 // not a tag of ours
		{[]string{"en"}, "", "en"},                        // plain
		{[]string{"fr"}, "", "fr"},                        // plain
		{[]string{"fr-x-private"}, "en", "fr"},            // subtags
		{[]string{"frr"}, "en", "en"},                     // North Frisian is not French
		{[]string{"f"}, "fr", "fr"},                       // too short
		{[]string{""}, "", "en"},                          // empty
		{nil, "fr;q=0", "en"},                             // refused
		{nil, "*", "en"},                                  // any
		{nil, "fr-FR;q=0.3, en;q=0.2, de;q=1", "fr"},      // weights
		{nil, "en, fr", "en"},                             // order on ties
		{nil, "fr, en", "fr"},                             // order on ties
		{[]string{"de", "es"}, "", "en"},                  // fallback
		{[]string{"en"}, "fr-FR,fr;q=0.9,en;q=0.8", "en"}, // the customer again
		{[]string{"fr-BE", "en"}, "en-US,en;q=0.9", "fr"}, // first one
		{[]string{"it", "en", "fr"}, "fr", "en"},          // first supported
		{[]string{"it"}, "it, fr;q=0.1", "fr"},            // browser's supported
		{[]string{"nl"}, "nl, de", "en"},                  // none anywhere
		{[]string{"en-US"}, "fr", "en"},                   // region
		{[]string{"FR-fr"}, "en", "fr"},                   // case and region
		{[]string{" fr "}, "en", "fr"},                    // spaces
		{[]string{"zh-Hant-TW", "fr"}, "en", "fr"},        // script subtag skipped
		{[]string{"i-klingon"}, "fr", "fr"},               // grandfathered
		{[]string{"x-private"}, "en", "en"},               // private use
		{[]string{"fr"}, "fr", "fr"},                      // agree
		{[]string{"en"}, "en", "en"},                      // agree
		{nil, "", "en"},                                   // nothing at all
		{[]string{"en", "fr"}, "", "en"},                  // first
		{[]string{"fr", "en"}, "", "fr"},                  // first
		{nil, "fr-FR", "fr"},                              // browser only
		{nil, "en-GB", "en"},                              // browser only
		{[]string{"es-419"}, "en;q=0.5,fr;q=0.6", "fr"},   // numeric region
		{[]string{"de-CH"}, "de-CH, fr-CH;q=0.8", "fr"},   // Swiss
		{[]string{"fr-CH"}, "de-CH", "fr"},                // Swiss French
		{[]string{"ar"}, "ar, en;q=0.1", "en"},            // low weight still counts
		{[]string{"ja"}, "ja", "en"},                      // unsupported both
		{[]string{"fr"}, "*;q=0", "fr"},                   // refusal does not matter
		{[]string{"en"}, "*;q=0", "en"},                   // refusal does not matter
		{[]string{"FR"}, "*", "fr"},                       // upper case
		{[]string{"Fr-Ca"}, "*", "fr"},                    // mixed case
		{[]string{"en-fr"}, "*", "en"},                    // base decides
	}
	for _, tt := range tests {
		if got := Choose(tt.preferred, tt.header); got != tt.want {
			t.Errorf("Choose(%q, %q) = %q, want %q", tt.preferred, tt.header, got, tt.want)
		}
	}
}

func TestDateAndMoney(t *testing.T) {
	d := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	for lang, want := range map[string]string{"en": "Mar 4, 2026", "fr": "04/03/2026", "de": "Mar 4, 2026", "fr-CA": "04/03/2026"} {
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
	} {
		if got := ReasonOf(tt.code, tt.lang); got != tt.want {
			t.Errorf("ReasonOf(%s, %s) = %q, want %q", tt.code, tt.lang, got, tt.want)
		}
	}
}
