package validate

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Metadata limits match Stripe's so merchants migrating from it can bring
// their metadata unchanged.
const (
	MaxMetadataKeys        = 50
	MaxMetadataKeyRunes    = 40
	MaxMetadataValueRunes  = 500
	MaxCustomFields        = 4
	MaxCustomFieldNameLen  = 40
	MaxCustomFieldValueLen = 140
)

// Metadata checks a merchant-supplied key/value map. An empty value is
// accepted because the API layer uses it to mean "unset this key".
func Metadata(m map[string]string) error {
	if len(m) > MaxMetadataKeys {
		return newError(CodeLimitExceeded, fmt.Sprintf("metadata has %d keys; at most %d are allowed", len(m), MaxMetadataKeys))
	}
	// Sorted so the same bad input always reports the same key.
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := MetadataKey(k); err != nil {
			return err
		}
		v := m[k]
		if err := text("metadata value for key "+quote(k), v); err != nil {
			return err
		}
		if n := utf8.RuneCountInString(v); n > MaxMetadataValueRunes {
			return newError(CodeLimitExceeded, fmt.Sprintf("metadata value for key %s is %d characters; at most %d are allowed", quote(k), n, MaxMetadataValueRunes))
		}
	}
	return nil
}

// MetadataKey checks one metadata key: what may be stored is also all a
// filter may ask for, so a key that fails here can be refused before it
// reaches a query.
func MetadataKey(k string) error {
	if err := text("metadata key", k); err != nil {
		return err
	}
	if k == "" {
		return newError(CodeInvalid, "metadata keys must not be empty")
	}
	if n := utf8.RuneCountInString(k); n > MaxMetadataKeyRunes {
		return newError(CodeInvalid, fmt.Sprintf("metadata key %s is %d characters; at most %d are allowed", quote(k), n, MaxMetadataKeyRunes))
	}
	// Brackets would be ambiguous with form-encoded nesting
	// (metadata[a][b]=...), so a key containing them could not be
	// addressed in an update request.
	if strings.ContainsAny(k, "[]") {
		return newError(CodeInvalid, fmt.Sprintf("metadata key %s must not contain '[' or ']'", quote(k)))
	}
	return nil
}

// CustomField is a name/value pair printed in an invoice's header, e.g. a
// purchase-order number the buyer requires on every invoice.
type CustomField struct {
	Name  string
	Value string
}

// CustomFields checks invoice custom fields. The limits keep the fields on a
// single line of the rendered PDF.
func CustomFields(fields []CustomField) error {
	if len(fields) > MaxCustomFields {
		return newError(CodeLimitExceeded, fmt.Sprintf("%d custom fields given; at most %d are allowed", len(fields), MaxCustomFields))
	}
	for i, f := range fields {
		if err := boundedText(fmt.Sprintf("custom field %d name", i), f.Name, MaxCustomFieldNameLen); err != nil {
			return err
		}
		if err := boundedText(fmt.Sprintf("custom field %d value", i), f.Value, MaxCustomFieldValueLen); err != nil {
			return err
		}
	}
	return nil
}

// boundedText requires 1..limit runes of non-blank text: a blank name or
// value would print as an empty label on the invoice.
func boundedText(what, s string, limit int) error {
	if err := text(what, s); err != nil {
		return err
	}
	if strings.TrimSpace(s) == "" {
		return newError(CodeInvalid, what+" must not be blank")
	}
	if n := utf8.RuneCountInString(s); n > limit {
		return newError(CodeLimitExceeded, fmt.Sprintf("%s is %d characters; at most %d are allowed", what, n, limit))
	}
	return nil
}

// text rejects strings PostgreSQL cannot store in a text column (invalid
// UTF-8 or NUL bytes); SQLite would accept them, so without this check the
// two backends would disagree.
// ValidText reports whether s may be stored: valid UTF-8 without NUL.
// PostgreSQL refuses NUL in text and SQLite would keep it, so refusing it
// everywhere makes both databases behave the same.
func ValidText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

func text(what, s string) error {
	if !utf8.ValidString(s) {
		return newError(CodeInvalid, what+" is not valid UTF-8")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return newError(CodeInvalid, what+" must not contain NUL characters")
	}
	return nil
}
