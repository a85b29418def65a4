package validate

import (
	"errors"
	"testing"
)

// wantCode fails the test unless err is nil (want == "") or a *Error with
// the given code and a non-empty message.
func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var ve *Error
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v (%T), want *Error with code %s", err, err, want)
	}
	if ve.Code != want {
		t.Fatalf("code = %s (%q), want %s", ve.Code, ve.Message, want)
	}
	if ve.Message == "" {
		t.Fatalf("code %s has an empty message", ve.Code)
	}
	if ve.Field != nil {
		t.Fatalf("Field = %v, want nil: the caller fills it", ve.Field)
	}
}
