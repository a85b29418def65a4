package document

import (
	"reflect"
	"strings"
	"testing"
)

// Every language has every label: the labels struct makes a missing field
// a compile error, but an empty one or a missing key of a map (categories,
// payment methods, reasons) or of the statement's words would print
// nothing, so they are checked against English here.
func TestLabelsComplete(t *testing.T) {
	en := reflect.ValueOf(langEN.l)
	for _, lg := range []*lang{langFR, langDE} {
		v := reflect.ValueOf(lg.l)
		for i := range v.NumField() {
			name := v.Type().Field(i).Name
			switch f := v.Field(i); f.Kind() {
			case reflect.String:
				if f.String() == "" {
					t.Errorf("%s: %s is empty", lg.code, name)
				}
				if strings.Count(f.String(), "%") != strings.Count(en.Field(i).String(), "%") {
					t.Errorf("%s: %s has other placeholders than en", lg.code, name)
				}
			case reflect.Map:
				for _, k := range en.Field(i).MapKeys() {
					if s := f.MapIndex(k); !s.IsValid() || s.String() == "" {
						t.Errorf("%s: %s lacks %q", lg.code, name, k)
					}
				}
				if f.Len() != en.Field(i).Len() {
					t.Errorf("%s: %s has %d entries, en %d", lg.code, name, f.Len(), en.Field(i).Len())
				}
			}
		}
	}
	for code, words := range statementWords {
		for k, w := range statementWords["en"] {
			if words[k] == "" {
				t.Errorf("statement %s lacks %q", code, k)
			}
			if strings.Count(words[k], "%") != strings.Count(w, "%") {
				t.Errorf("statement %s %q: placeholders differ from en", code, k)
			}
		}
		if len(words) != len(statementWords["en"]) {
			t.Errorf("statement %s has %d words, en %d", code, len(words), len(statementWords["en"]))
		}
	}
	for _, code := range []string{"en", "fr", "de"} {
		if resolveLang(code).code != code || statementWords[code] == nil {
			t.Errorf("%s is not a document language", code)
		}
	}
}
