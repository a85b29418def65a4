// Package viewer carries who is acting — a merchant API key, the portal
// customer, or the system itself — through a context. The data layer reads it
// to scope every query, so isolation never depends on a resolver remembering.
//
// Viewers are made only by the named constructors below (Merchant, CLI,
// PortalCustomer, PortalVisitor, HostedPayer, System) and narrowed or
// widened only by named methods (WithoutCustomer), never as struct
// literals outside tests; and the data layer's privacy rules are bypassed
// only through Bypass. So every place that grants or changes a privilege
// is found with grep:
//
//	grep -rn 'viewer\.\(Merchant\|CLI\|PortalCustomer\|PortalVisitor\|HostedPayer\|System\|Bypass\)(\|WithoutCustomer()' --include=*.go
package viewer

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"entgo.io/ent/privacy"
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

// Actors that are not an id. Events (internal/events) read these back:
// keep them in step with events.ActorOf.
const (
	actorCLI     = "cli"
	actorPortal  = "portal"
	actorHosted  = "hosted_page"
	customerPrfx = "customer:"
)

// Merchant is a merchant's secret API key keyID acting on its account and
// mode: everything of that account and mode, nothing else.
func Merchant(accountID string, mode Mode, keyID string) Viewer {
	return Viewer{AccountID: accountID, Mode: mode, Actor: keyID}
}

// CLI is the operator at the command line acting on an account and mode,
// with a merchant's reach.
func CLI(accountID string, mode Mode) Viewer {
	return Viewer{AccountID: accountID, Mode: mode, Actor: actorCLI}
}

// PortalCustomer is a customer signed in to the portal: confined to that
// customer's own rows of the account and mode.
func PortalCustomer(accountID string, mode Mode, customerID string) Viewer {
	return Viewer{AccountID: accountID, Mode: mode, CustomerID: customerID, Actor: customerPrfx + customerID}
}

// PortalVisitor is the portal acting for its merchant before anyone signs
// in: it finds the customer behind an email and sends the login code.
func PortalVisitor(accountID string, mode Mode) Viewer {
	return Viewer{AccountID: accountID, Mode: mode, Actor: actorPortal}
}

// HostedPayer is whoever holds a hosted invoice link, acting on the
// invoice's account and mode (the link itself confines them to the
// invoice).
func HostedPayer(accountID string, mode Mode) Viewer {
	return Viewer{AccountID: accountID, Mode: mode, Actor: actorHosted}
}

// System is Remit itself acting on an account and mode: a job of the
// worker or the scheduler. reason names the job ("worker", "scheduler")
// and is recorded as the actor; it must not look like another actor.
func System(accountID string, mode Mode, reason string) Viewer {
	return Viewer{AccountID: accountID, Mode: mode, Actor: reason}
}

// WithoutCustomer is v without its customer confinement, keeping account,
// mode and actor: the portal reading its merchant's settings and branding,
// or the session's other customers, on a signed-in customer's behalf.
func (v Viewer) WithoutCustomer() Viewer {
	v.CustomerID = ""
	return v
}

// Sees reports whether a row of accountID and mode is v's, as the data
// layer's privacy rules scope a read: for rows already in memory (a
// stream of events, kept customers). A portal customer's confinement
// depends on the row and is the caller's to check.
func (v Viewer) Sees(accountID string, mode Mode) bool {
	return v.AccountID == accountID && v.Mode == mode
}

// Bypass returns ctx past the data layer's privacy rules: what runs with
// it reads and writes every account's rows, so say why in reason (it is
// for the reader of the call; nothing records it). Use it for work that
// is across accounts by nature (the worker's claims, key lookups before
// anyone is known, system tables), never to get around a scope.
func Bypass(ctx context.Context, reason string) context.Context {
	_ = reason
	return privacy.DecisionContext(ctx, privacy.Allow)
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
