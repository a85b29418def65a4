// Package portal serves the customer portal over HTTP: its GraphQL API
// (portal/graph) and its web UI (portal/web), both signed in through the
// sessions of internal/portal.
package portal

import (
	"context"
	"net"
	"net/http"
	"strings"

	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/portal"
	"github.com/remitbilling/remit/internal/portalauth"
)

type sessionKey struct{}

// SessionFrom returns the signed-in session of a request handled behind
// Authenticate.
func SessionFrom(ctx context.Context) (*portal.Session, bool) {
	s, ok := ctx.Value(sessionKey{}).(*portal.Session)
	return s, ok
}

// WithSession stores a session in ctx (after login, for the rest of the
// request).
func WithSession(ctx context.Context, s *portal.Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// Token reads the session token of a request: a Bearer token (API
// clients), else the HttpOnly cookie (the web UI).
func Token(r *http.Request) (string, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		t, ok := strings.CutPrefix(h, "Bearer ")
		return strings.TrimSpace(t), ok
	}
	c, err := r.Cookie(portalauth.CookieName)
	if err != nil || c.Value == "" {
		return "", false
	}
	return c.Value, true
}

// Authenticate resolves the session of requests that carry one: the
// request then acts for the signed-in customer (viewer with CustomerID).
// Requests without a valid session pass through unauthenticated; handlers
// decide what that allows. A cookie session is refreshed when its token
// has less than half its life left.
func Authenticate(svc *portal.Service, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := Token(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		ctx, sess, err := svc.Authenticate(r.Context(), tok)
		if err != nil {
			if r.Header.Get("Authorization") == "" {
				http.SetCookie(w, portalauth.ClearSessionCookie())
			}
			next.ServeHTTP(w, r)
			return
		}
		if r.Header.Get("Authorization") == "" && sess.ExpiresAt.Sub(clock.Now(ctx)) < portalauth.AccessTokenTTL/2 {
			if fresh, err := svc.Refresh(ctx, sess); err == nil {
				SetCookie(w, fresh)
				sess = fresh
			}
		}
		next.ServeHTTP(w, r.WithContext(WithSession(ctx, sess)))
	})
}

// SetCookie stores a session token in the portal's HttpOnly cookie. The
// cookie lives as long as the session may (the token inside expires
// sooner and is refreshed by Authenticate).
func SetCookie(w http.ResponseWriter, s *portal.Session) {
	http.SetCookie(w, portalauth.SessionCookie(s.Token, portalauth.SessionAbsoluteTTL))
}

// ClientIP is the address login-code rate limits count by: the peer's,
// since forwarded headers are whatever the client says.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
