package validate

import (
	"fmt"
	"strings"
	"testing"
)

func manyKeys(n int) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		m[fmt.Sprintf("k%d", i)] = "v"
	}
	return m
}

func TestMetadata(t *testing.T) {
	tests := []struct {
		name string
		m    map[string]string
		want string
	}{
		{"nil", nil, ""},
		{"empty", map[string]string{}, ""},
		{"simple", map[string]string{"order_id": "6735", "note": "é à ç"}, ""},
		{"empty value means unset", map[string]string{"k": ""}, ""},
		{"50 keys", manyKeys(50), ""},
		{"51 keys", manyKeys(51), CodeLimitExceeded},
		{"key 40 runes", map[string]string{strings.Repeat("é", 40): "v"}, ""},
		{"key 41 runes", map[string]string{strings.Repeat("é", 41): "v"}, CodeInvalid},
		{"empty key", map[string]string{"": "v"}, CodeInvalid},
		{"open bracket", map[string]string{"a[b": "v"}, CodeInvalid},
		{"close bracket", map[string]string{"a]": "v"}, CodeInvalid},
		{"value 500 runes", map[string]string{"k": strings.Repeat("€", 500)}, ""},
		{"value 501 runes", map[string]string{"k": strings.Repeat("€", 501)}, CodeLimitExceeded},
		{"key invalid utf8", map[string]string{"a\xff": "v"}, CodeInvalid},
		{"value invalid utf8", map[string]string{"k": "\xc3"}, CodeInvalid},
		{"value NUL", map[string]string{"k": "a\x00b"}, CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, Metadata(tt.m), tt.want)
		})
	}
}

func TestMetadataDeterministic(t *testing.T) {
	m := map[string]string{"a[": "v", "b]": "v", "c[": "v"}
	first := Metadata(m).Error()
	for range 20 {
		if got := Metadata(m).Error(); got != first {
			t.Fatalf("error varies between calls: %q vs %q", got, first)
		}
	}
	if !strings.Contains(first, `"a["`) {
		t.Fatalf("error should name the first key in sort order: %q", first)
	}
}

func TestCustomFields(t *testing.T) {
	ok := CustomField{Name: "PO number", Value: "PO-2025-001"}
	tests := []struct {
		name   string
		fields []CustomField
		want   string
	}{
		{"none", nil, ""},
		{"one", []CustomField{ok}, ""},
		{"four", []CustomField{ok, ok, ok, ok}, ""},
		{"five", []CustomField{ok, ok, ok, ok, ok}, CodeLimitExceeded},
		{"name 40 runes", []CustomField{{strings.Repeat("ñ", 40), "v"}}, ""},
		{"name 41 runes", []CustomField{{strings.Repeat("ñ", 41), "v"}}, CodeLimitExceeded},
		{"empty name", []CustomField{{"", "v"}}, CodeInvalid},
		{"blank name", []CustomField{{"   ", "v"}}, CodeInvalid},
		{"value 140 runes", []CustomField{{"n", strings.Repeat("ü", 140)}}, ""},
		{"value 141 runes", []CustomField{{"n", strings.Repeat("ü", 141)}}, CodeLimitExceeded},
		{"empty value", []CustomField{{"n", ""}}, CodeInvalid},
		{"invalid utf8 value", []CustomField{{"n", "\xff"}}, CodeInvalid},
		{"second field bad", []CustomField{ok, {"n", ""}}, CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, CustomFields(tt.fields), tt.want)
		})
	}
}
