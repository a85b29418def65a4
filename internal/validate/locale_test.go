package validate

import (
	"slices"
	"testing"
)

func TestLocales(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
		code string
	}{
		{"nil", nil, []string{}, ""},
		{"canonicalizes case", []string{"fr-ca", "EN", "zh-hant-tw"}, []string{"fr-CA", "en", "zh-Hant-TW"}, ""},
		{"underscore separator", []string{"en_US"}, []string{"en-US"}, ""},
		{"deprecated code", []string{"iw"}, []string{"he"}, ""},
		{"ten", []string{"fr", "en", "de", "es", "it", "nl", "pt", "pl", "sv", "da"}, []string{"fr", "en", "de", "es", "it", "nl", "pt", "pl", "sv", "da"}, ""},
		{"eleven", []string{"fr", "en", "de", "es", "it", "nl", "pt", "pl", "sv", "da", "fi"}, nil, CodeInvalidLocale},
		{"duplicate", []string{"fr", "en", "fr"}, nil, CodeInvalidLocale},
		{"duplicate after canonicalization", []string{"fr-CA", "fr-ca"}, nil, CodeInvalidLocale},
		{"empty string", []string{""}, nil, CodeInvalidLocale},
		{"malformed", []string{"fr-FR-"}, nil, CodeInvalidLocale},
		{"unknown language", []string{"xx"}, nil, CodeInvalidLocale},
		{"und", []string{"und"}, nil, CodeInvalidLocale},
		{"garbage", []string{"français"}, nil, CodeInvalidLocale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Locales(tt.in)
			wantCode(t, err, tt.code)
			if tt.code == "" && !slices.Equal(got, tt.want) {
				t.Fatalf("Locales(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if tt.code != "" && got != nil {
				t.Fatalf("Locales returned %q alongside an error", got)
			}
		})
	}
}

func TestCountry(t *testing.T) {
	tests := []struct {
		in, want, code string
	}{
		{"FR", "FR", ""},
		{"fr", "FR", ""},
		{"De", "DE", ""},
		{"GB", "GB", ""},
		{"RE", "RE", ""}, // Réunion has its own code
		{"XK", "XK", ""},
		{"AQ", "AQ", ""},
		{"UK", "", CodeInvalidCountry},
		{"uk", "", CodeInvalidCountry},
		{"EU", "", CodeInvalidCountry},
		{"UN", "", CodeInvalidCountry},
		{"ZZ", "", CodeInvalidCountry},
		{"AA", "", CodeInvalidCountry},
		{"QO", "", CodeInvalidCountry},
		{"YU", "", CodeInvalidCountry},
		{"AN", "", CodeInvalidCountry},
		{"FX", "", CodeInvalidCountry},
		{"IC", "", CodeInvalidCountry},
		{"XI", "", CodeInvalidCountry},
		{"FRA", "", CodeInvalidCountry},
		{"250", "", CodeInvalidCountry},
		{"", "", CodeInvalidCountry},
		{"F", "", CodeInvalidCountry},
		{"F1", "", CodeInvalidCountry},
		{" FR", "", CodeInvalidCountry},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Country(tt.in)
			wantCode(t, err, tt.code)
			if got != tt.want {
				t.Fatalf("Country(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestCountryCount guards the denylist: ISO 3166-1 assigns 249 alpha-2
// codes, plus XK which we accept deliberately.
func TestCountryCount(t *testing.T) {
	n := 0
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			if _, err := Country(string([]rune{a, b})); err == nil {
				n++
			}
		}
	}
	if n != 250 {
		t.Fatalf("Country accepts %d codes, want 249 ISO 3166-1 codes + XK", n)
	}
}
