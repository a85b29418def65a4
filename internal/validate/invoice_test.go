package validate

import (
	"strings"
	"testing"
)

func TestInvoicePrefix(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ABC", ""},
		{"ACME2025", ""},
		{"123", ""},
		{"ABCDEFGHIJKL", ""},
		{"ABCDEFGHIJKLM", CodeInvalidPrefix},
		{"AB", CodeInvalidPrefix},
		{"", CodeInvalidPrefix},
		{"abc", CodeInvalidPrefix},
		{"AB-C", CodeInvalidPrefix},
		{"AB C", CodeInvalidPrefix},
		{"ÉCOLE", CodeInvalidPrefix},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			wantCode(t, InvoicePrefix(tt.in), tt.want)
		})
	}
}

func TestInvoiceNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1", ""},
		{"ACME-0001", ""},
		{"F2025/01_0042", ""},
		{"abc-DEF_123/45", ""},
		{strings.Repeat("9", 35), ""},
		{strings.Repeat("9", 36), CodeInvalidNumber},
		{"", CodeInvalidNumber},
		{"ACME 0001", CodeInvalidNumber},
		{"ACME.0001", CodeInvalidNumber},
		{"N°42", CodeInvalidNumber},
		{"A#1", CodeInvalidNumber},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			wantCode(t, InvoiceNumber(tt.in), tt.want)
		})
	}
}
