// Package portalauth holds the security primitives behind customer-portal
// login: email one-time codes, signed session tokens, session lifetime
// policy, the login abuse limits and the session cookie.
//
// It deliberately knows nothing about storage, GraphQL or mail so that each
// rule can be tested in isolation with a fake clock; the portal service
// composes these pieces with its database rows (login challenges, sessions,
// and the abuse counters of internal/ratelimit).
// Domain code here never reads the wall clock directly: every time-dependent
// decision takes a Clock or an explicit instant.
//
// The parameters follow common practice (Ory Kratos, WorkOS, OWASP):
// 6-digit codes, 10-minute code TTL, 5 attempts per code, short-lived access
// tokens backed by a revocable server-side session.
package portalauth

import "time"

// Clock reports the current instant. It has the same method set as
// internal/clock.Clock so callers can pass that clock straight in without
// this package importing it.
type Clock interface {
	Now() time.Time
}
