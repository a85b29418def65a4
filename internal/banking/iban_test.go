package banking

import (
	"errors"
	"strings"
	"testing"
)

func TestParseIBAN(t *testing.T) {
	tests := []struct {
		in, want, printed string
	}{
		{"FR76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890189", "FR76 3000 6000 0112 3456 7890 189"},
		{"de89370400440532013000", "DE89370400440532013000", "DE89 3704 0044 0532 0130 00"},
		{"  GB29 NWBK 6016 1331 9268 19 ", "GB29NWBK60161331926819", "GB29 NWBK 6016 1331 9268 19"},
		{"BE68539007547034", "BE68539007547034", "BE68 5390 0754 7034"},
		{"NO9386011117947", "NO9386011117947", "NO93 8601 1117 947"},
		{"CH9300762011623852957", "CH9300762011623852957", "CH93 0076 2011 6238 5295 7"},
		{"FR1420041010050500013M02606", "FR1420041010050500013M02606", "FR14 2004 1010 0505 0001 3M02 606"},
	}
	for _, tt := range tests {
		got, err := ParseIBAN(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseIBAN(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			continue
		}
		if p := PrintedIBAN(got); p != tt.printed {
			t.Errorf("PrintedIBAN(%q) = %q, want %q", got, p, tt.printed)
		}
	}
}

func TestParseIBANRefuses(t *testing.T) {
	tests := []struct{ in, why string }{
		{"", "empty"},
		{"FR76-3000-6000-0112-3456-7890-189", "letters and digits"},
		{"FR763000600001123456789018", "27 characters, not 26"},
		{"FR77 3000 6000 0112 3456 7890 189", "do not match"},
		{"FR76 3000 6000 0112 3456 7890 198", "do not match"}, // transposed digits
		{"ZZ76 3000 6000 0112 3456 7890 189", "unknown country"},
		{"12FR30006000011234567890189", "country code"},
		{"FRAB30006000011234567890189", "check digits"},
		{"FR0030006000011234567890189", "check digits"},
		{"FRÉ6 3000 6000 0112 3456 7890 189", "letters and digits"},
	}
	for _, tt := range tests {
		_, err := ParseIBAN(tt.in)
		if !errors.Is(err, ErrIBAN) || !strings.Contains(err.Error(), tt.why) {
			t.Errorf("ParseIBAN(%q) = %v; want ErrIBAN saying %q", tt.in, err, tt.why)
		}
	}
}

func TestParseBIC(t *testing.T) {
	tests := []struct{ in, want string }{
		{"AGRIFRPP", "AGRIFRPP"},
		{"deutdeff500", "DEUTDEFF500"},
		{"BPOT BE B1", "BPOTBEB1"},
		{"NWBKGB2L", "NWBKGB2L"},
		{"RZBAXK2P", "RZBAXK2P"}, // Kosovo, user-assigned but used by banks
	}
	for _, tt := range tests {
		if got, err := ParseBIC(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseBIC(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "AGRIFR", "AGRIFRPP1", "AGRIFRPP12345", "AGR1FRPP", "AGRIZZPP", "AGRIUKPP", "AGRI12PP", "AGRIFRP-", "AGRIFRPPXXÉ"} {
		if _, err := ParseBIC(in); !errors.Is(err, ErrBIC) {
			t.Errorf("ParseBIC(%q) = %v; want ErrBIC", in, err)
		}
	}
}
