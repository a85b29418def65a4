package portalauth

import (
	"errors"
	"time"
)

const (
	// SessionAbsoluteTTL caps a session regardless of activity, so a stolen
	// session cookie stops working within a day (Kratos default).
	SessionAbsoluteTTL = 24 * time.Hour

	// SessionIdleTTL ends sessions left unattended, e.g. on a shared
	// computer; OWASP suggests 15-30 minutes for low-risk applications.
	SessionIdleTTL = 30 * time.Minute

	// RecentLoginWindow is how fresh the last code verification must be for
	// sensitive actions (payment methods, email change); older sessions must
	// re-verify with a new code first.
	RecentLoginWindow = 10 * time.Minute
)

var (
	// ErrSessionExpired means the session hit its absolute or idle limit.
	ErrSessionExpired = errors.New("portalauth: session expired")
	// ErrSessionRevoked means the session was ended by logout or an operator.
	ErrSessionRevoked = errors.New("portalauth: session revoked")
)

// SessionValid applies the lifetime policy to a session row. lastSeen must
// be set to created when the session is created; a zero time fails closed.
// Revocation is reported first because it is the more specific reason.
// Limits are exclusive: a session is dead at exactly created+SessionAbsoluteTTL.
func SessionValid(created, lastSeen, now time.Time, revoked bool) error {
	if revoked {
		return ErrSessionRevoked
	}
	if created.IsZero() || lastSeen.IsZero() {
		return ErrSessionExpired
	}
	if !now.Before(created.Add(SessionAbsoluteTTL)) || !now.Before(lastSeen.Add(SessionIdleTTL)) {
		return ErrSessionExpired
	}
	return nil
}

// RecentLogin reports whether authenticatedAt is within RecentLoginWindow of
// now. An authentication time in the future (clock moved backwards) or zero
// fails closed, forcing re-verification rather than trusting odd data.
func RecentLogin(authenticatedAt, now time.Time) bool {
	if authenticatedAt.IsZero() {
		return false
	}
	age := now.Sub(authenticatedAt)
	return age >= 0 && age < RecentLoginWindow
}
