package locales

import "testing"

func TestLang(t *testing.T) {
	for tag, want := range map[string]string{
		"de": "de", "de-DE": "de", "de-AT": "de", "de-CH": "de", "de_AT": "de", "DE-de": "de",
		"fr": "fr", "fr-CA": "fr", "fr_FR": "fr", "FR": "fr",
		"en": "en", "en-GB": "en", "": "en", "es": "en", "frr": "en", "dsb": "en", "not a tag!": "en",
	} {
		if got := Lang(tag); got != want {
			t.Errorf("Lang(%q) = %q, want %q", tag, got, want)
		}
	}
}

func TestPreferred(t *testing.T) {
	tests := []struct {
		tags []string
		want string
		ok   bool
	}{
		{[]string{"de-CH"}, "de-CH", true},
		{[]string{"es", "de-AT", "fr"}, "de-AT", true},
		{[]string{"es", "it"}, "", false},
		{nil, "", false},
	}
	for _, tt := range tests {
		got, ok := Preferred(tt.tags)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Preferred(%q) = %q, %v; want %q, %v", tt.tags, got, ok, tt.want, tt.ok)
		}
	}
}
