package banking

import (
	"errors"
	"testing"
)

func TestReference(t *testing.T) {
	tests := []struct{ body, want string }{
		// ISO 11649's own example.
		{"539007547034", "RF18539007547034"},
		{"inv-0042", "RF97INV0042"},
	}
	for _, tt := range tests {
		got := Reference(tt.body)
		if got != tt.want {
			t.Errorf("Reference(%q) = %q, want %q", tt.body, got, tt.want)
		}
		if ref, _, err := ParseReference(Printed(got)); err != nil || ref != got {
			t.Errorf("ParseReference(Printed(%q)) = %q, %v", got, ref, err)
		}
	}
	long := Reference("ACME-CORPORATION-EUROPE-2026-000000042")
	if len(long) != 25 || long != Reference("acme corporation europe 2026 000000042") {
		t.Errorf("long body: %q", long)
	}
	if _, _, err := ParseReference(long); err != nil {
		t.Errorf("long reference does not parse: %v", err)
	}
}

func TestParseReferenceRefuses(t *testing.T) {
	for _, s := range []string{"", "RF", "RF19539007547034", "RF18 5390 0754 7035", "XX18539007547034", "RF1A539007547034", "RF18539007547034-"} {
		if _, _, err := ParseReference(s); !errors.Is(err, ErrReference) {
			t.Errorf("ParseReference(%q) = %v, want ErrReference", s, err)
		}
	}
}
