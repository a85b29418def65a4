// Package viewer carries who is acting — a merchant API key, the portal
// customer, or the system itself — through a context. The data layer reads it
// to scope every query, so isolation never depends on a resolver remembering.
package viewer

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Mode separates test data from live data inside one account.
type Mode string

const (
	Test Mode = "test"
	Live Mode = "live"
)

// Values lists the modes; ent uses it to store Mode as an enum column.
func (Mode) Values() []string { return []string{string(Test), string(Live)} }

// ParseMode accepts "test" or "live".
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case Test, Live:
		return Mode(s), nil
	}
	return "", fmt.Errorf("mode %q: want test or live", s)
}

// Viewer is the caller on whose behalf data is read or written.
type Viewer struct {
	AccountID string
	Mode      Mode
	// Actor identifies who acts, recorded in invoice history: an API key id
	// ("key_…"), "cli", or "system".
	Actor string
	// CustomerID is set for a customer signed in to the portal: the data
	// layer then also confines every read and write to that customer's
	// own rows (ent/schema ScopeMixin).
	CustomerID string
}

type ctxKey struct{}

// NewContext returns ctx carrying v.
func NewContext(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, ctxKey{}, v)
}

// FromContext returns the viewer in ctx, if any.
func FromContext(ctx context.Context) (Viewer, bool) {
	v, ok := ctx.Value(ctxKey{}).(Viewer)
	return v, ok && v.AccountID != ""
}

// MarshalGQL renders the mode as a GraphQL enum value (TEST, LIVE).
func (m Mode) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(strings.ToUpper(string(m))))
}

// UnmarshalGQL reads a GraphQL enum value.
func (m *Mode) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("mode must be a string")
	}
	parsed, err := ParseMode(strings.ToLower(s))
	if err != nil {
		return err
	}
	*m = parsed
	return nil
}
