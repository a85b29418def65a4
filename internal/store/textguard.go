package store

import (
	"bytes"

	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/validate"
)

// errInvalidText refuses a statement with a text argument no database
// should store: PostgreSQL rejects NUL in text and jsonb (an internal
// error) while SQLite keeps it, and invalid UTF-8 would come back altered.
// It is the data layer's wall behind the APIs' own checks (gqlkit's
// InputGuard), so both databases refuse the same values with a typed error.
var errInvalidText = usererr.New(usererr.InvalidString, "text must be valid UTF-8 without NUL characters")

// checkArgList returns errInvalidText when a bound argument is a string with a
// NUL or invalid UTF-8, or JSON text carrying an escaped NUL. Binary
// values (PDFs, images) are []byte that are not JSON and pass.
func checkArgList(args []any) error {
	for _, a := range args {
		switch v := a.(type) {
		case string:
			if !validate.ValidText(v) {
				return errInvalidText
			}
		case []byte:
			if len(v) > 0 && (v[0] == '{' || v[0] == '[' || v[0] == '"') && bytes.Contains(v, []byte(`\u0000`)) {
				return errInvalidText
			}
		}
	}
	return nil
}
