package billing

import (
	"strings"
	"testing"

	"github.com/remitbilling/remit/internal/locales"
	"github.com/remitbilling/remit/internal/values"
)

// Every email and printed phrase billing writes exists in every language
// Remit writes, with the placeholders English has, so that a language
// added to internal/locales without its words fails here rather than
// sending an email with an empty subject.
func TestWordsComplete(t *testing.T) {
	tables := map[string]map[string]map[string]string{
		"emailWords": emailWords, "paymentFailedWords": paymentFailedWords, "receiptWords": receiptWords,
		"refundWords": refundWords, "creditNoteWords": creditNoteWords, "cardExpiringWords": cardExpiringWords,
		"collectionWords": collectionWords,
	}
	for name, table := range tables {
		for _, l := range locales.Langs {
			for k, en := range table["en"] {
				got := table[l][k]
				if got == "" {
					t.Errorf("%s %s lacks %q", name, l, k)
				}
				if strings.Count(got, "%") != strings.Count(en, "%") {
					t.Errorf("%s %s %q: placeholders differ from en", name, l, k)
				}
			}
			if len(table[l]) != len(table["en"]) {
				t.Errorf("%s %s has %d entries, en %d", name, l, len(table[l]), len(table["en"]))
			}
		}
	}
	for _, l := range locales.Langs {
		for name, table := range map[string]map[string]string{
			"numberPlaceholder": numberPlaceholder, "receiptFileName": receiptFileName,
			"discountWords": discountWords, "lumpWords": lumpWords,
		} {
			if table[l] == "" {
				t.Errorf("%s lacks %s", name, l)
			}
		}
		if w, ok := termsWords[l]; !ok || w.within == "" || w.head == "" || w.paid == "" || w.part == "" || w.late == "" || w.name == "" {
			t.Errorf("termsWords lacks %s", l)
		}
	}
}

func TestDocumentLocale(t *testing.T) {
	fr := &values.Party{Address: &values.Address{Country: "FR"}}
	tests := []struct {
		buyer  []string
		seller *values.Party
		want   string
	}{
		{[]string{"de-DE"}, fr, "de-DE"},
		{[]string{"es", "de-AT", "fr"}, fr, "de-AT"}, // the first Remit writes, as the pages pick
		{[]string{"es"}, fr, "es"},                   // none: the first (English)
		{nil, fr, "fr"},                              // none at all: the seller's country's
		{nil, &values.Party{}, "en"},
	}
	for _, tt := range tests {
		if got := documentLocale(&values.Party{Locales: tt.buyer}, tt.seller); got != tt.want {
			t.Errorf("documentLocale(%q) = %q, want %q", tt.buyer, got, tt.want)
		}
	}
}
