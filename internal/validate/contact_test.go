package validate

import (
	"strings"
	"testing"
)

func TestEmail(t *testing.T) {
	long := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 443) + ".com" // 512
	tests := []struct {
		in   string
		want string
	}{
		{"ada@example.com", ""},
		{"ada.lovelace+invoices@sub.example.co.uk", ""},
		{"o'brien@example.ie", ""},
		{"josé@exämple.fr", ""},
		{"x@a-b.fr", ""},
		{long, ""},
		{long + "m", CodeInvalidEmail},
		{"", CodeInvalidEmail},
		{"ada", CodeInvalidEmail},
		{"ada@example", CodeInvalidEmail},
		{"Ada <ada@example.com>", CodeInvalidEmail},
		{"<ada@example.com>", CodeInvalidEmail},
		{"ada@example.com (Ada)", CodeInvalidEmail},
		{" ada@example.com", CodeInvalidEmail},
		{"ada@example.com ", CodeInvalidEmail},
		{`"ada l"@example.com`, CodeInvalidEmail},
		{"ada@example.com, bob@example.com", CodeInvalidEmail},
		{"ada..l@example.com", CodeInvalidEmail},
		{"ada@example..com", CodeInvalidEmail},
		{"ada@example.com.", CodeInvalidEmail},
		{"ada@[192.0.2.1]", CodeInvalidEmail},
		{"ada@192.0.2.1", CodeInvalidEmail},
		{"ada@-example.com", CodeInvalidEmail},
		{"ada@example-.com", CodeInvalidEmail},
		{"ada@ex_ample.com", CodeInvalidEmail},
		{"ada@@example.com", CodeInvalidEmail},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			wantCode(t, Email(tt.in), tt.want)
		})
	}
}

func TestPhone(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"+33 1 23 45 67 89", ""},
		{"01.23.45.67.89", ""},
		{"(555) 123-4567", ""},
		{"+1-555-123-4567", ""},
		{"1234", ""},
		{"12345678901234567890", ""},
		{"123456789012345678901", CodeInvalidPhone},
		{"", CodeInvalidPhone},
		{"123", CodeInvalidPhone},
		{"+(1) 2-3", CodeInvalidPhone},
		{"555 123 4567 ext 2", CodeInvalidPhone},
		{"33+123456", CodeInvalidPhone},
		{"++33123456", CodeInvalidPhone},
		{"١٢٣٤٥", CodeInvalidPhone}, // Arabic-Indic digits
		{"0123456789\n", CodeInvalidPhone},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			wantCode(t, Phone(tt.in), tt.want)
		})
	}
}
