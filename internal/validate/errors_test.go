package validate

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Code: CodeInvalid, Message: "bad"}, "bad"},
		{&Error{Field: []string{"customer", "email"}, Code: CodeInvalidEmail, Message: "bad"}, "customer.email: bad"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestAt(t *testing.T) {
	base := &Error{Field: []string{"email"}, Code: CodeInvalidEmail, Message: "bad"}
	plain := errors.New("boom")
	tests := []struct {
		name      string
		err       error
		path      []string
		wantField []string
		wantSame  error
	}{
		{"nil stays nil", nil, []string{"x"}, nil, nil},
		{"other error unchanged", plain, []string{"x"}, nil, plain},
		{"prefixes path", base, []string{"customer"}, []string{"customer", "email"}, nil},
		{"wrapped", fmt.Errorf("ctx: %w", base), []string{"a", "b"}, []string{"a", "b", "email"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := At(tt.err, tt.path...)
			if tt.wantField == nil {
				if got != tt.wantSame {
					t.Fatalf("At = %v, want %v", got, tt.wantSame)
				}
				return
			}
			var ve *Error
			if !errors.As(got, &ve) || !slices.Equal(ve.Field, tt.wantField) || ve.Code != CodeInvalidEmail {
				t.Fatalf("At = %#v, want field %v", got, tt.wantField)
			}
		})
	}
	if !slices.Equal(base.Field, []string{"email"}) {
		t.Fatalf("At mutated its input: %v", base.Field)
	}
}

func TestQuoteTruncates(t *testing.T) {
	if got := quote(strings.Repeat("é", 100)); !strings.HasSuffix(got, "…") || strings.Count(got, "é") != 40 {
		t.Fatalf("quote = %s", got)
	}
	if got := quote("abc"); got != `"abc"` {
		t.Fatalf("quote = %s", got)
	}
}
