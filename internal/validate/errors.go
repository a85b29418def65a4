// Package validate holds pure input checks shared by the API layers.
//
// Every check returns nil or a *Error carrying a stable UPPER_SNAKE code that
// clients can branch on and a message a merchant can act on. The checks know
// nothing about where a value came from, so they leave Error.Field empty and
// the caller, which knows the request shape, fills it in (see At).
package validate

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error codes. They are part of the public API contract: clients match on
// them, so they must never be renamed.
const (
	CodeInvalid              = "INVALID"
	CodeLimitExceeded        = "LIMIT_EXCEEDED"
	CodeInvalidEmail         = "INVALID_EMAIL"
	CodeInvalidLocale        = "INVALID_LOCALE"
	CodeInvalidCountry       = "INVALID_COUNTRY"
	CodeInvalidPrefix        = "INVALID_PREFIX"
	CodeInvalidNumber        = "INVALID_NUMBER"
	CodeUnsupportedTaxIDType = "UNSUPPORTED_TAX_ID_TYPE"
	CodeInvalidTaxID         = "INVALID_TAX_ID"
	CodeInvalidSIREN         = "INVALID_SIREN"
	CodeInvalidSIRET         = "INVALID_SIRET"
	CodeInvalidPhone         = "INVALID_PHONE"
)

// Error is a validation failure on one input field.
type Error struct {
	// Field is the path to the offending input, e.g. ["customer", "email"].
	Field []string
	// Code is a stable UPPER_SNAKE identifier such as INVALID_EMAIL.
	Code string
	// Message explains the rule that was broken, in English.
	Message string
}

// Error renders "path.to.field: message", or just the message when no path
// has been attached yet.
func (e *Error) Error() string {
	if len(e.Field) == 0 {
		return e.Message
	}
	return strings.Join(e.Field, ".") + ": " + e.Message
}

// At prefixes the field path of a *Error (wrapped or not) with path and
// returns it as a fresh *Error, leaving the original untouched so a shared
// error value is never mutated. Any other error, including nil, is returned
// unchanged, which lets callers write `return validate.At(validate.Email(s),
// "email")`.
func At(err error, path ...string) error {
	var ve *Error
	if !errors.As(err, &ve) {
		return err
	}
	out := *ve
	out.Field = append(slices.Clone(path), ve.Field...)
	return &out
}

func newError(code, msg string) *Error {
	return &Error{Code: code, Message: msg}
}

// quote renders a user-supplied value for an error message, shortened so a
// huge input cannot bloat logs and API responses.
func quote(s string) string {
	const limit = 40
	if utf8.RuneCountInString(s) <= limit {
		return strconv.Quote(s)
	}
	runes := []rune(s)
	return strconv.Quote(string(runes[:limit])) + "…"
}
