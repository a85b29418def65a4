package web

import (
	"strings"
	"testing"
)

func TestLabelsComplete(t *testing.T) {
	for _, l := range langs {
		for k := range labels["en"] {
			if labels[l][k] == "" {
				t.Errorf("%s lacks %q", l, k)
			}
		}
		for k, v := range labels[l] {
			if _, ok := labels["en"][k]; !ok {
				t.Errorf("%s has %q, en has not", l, k)
			}
			if strings.Count(v, "%s") != strings.Count(labels["en"][k], "%s") {
				t.Errorf("%s %q: placeholders differ from en", l, k)
			}
		}
	}
}

func TestLanguage(t *testing.T) {
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
		if got := language(header); got != want {
			t.Errorf("language(%q) = %q, want %q", header, got, want)
		}
	}
}
