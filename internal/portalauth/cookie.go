package portalauth

import (
	"net/http"
	"time"
)

// CookieName uses the __Host- prefix so browsers only accept the cookie when
// it is Secure, has Path=/ and no Domain: a sibling or parent subdomain
// (e.g. a compromised merchant site on another subdomain) cannot set or
// shadow the portal session.
//
// Because __Host- requires Secure, local development must run in a secure
// context. Chrome and Firefox treat http://localhost as one and accept the
// cookie over plain HTTP there; other hosts (LAN IPs, custom dev domains)
// and some browsers (notably Safari) need HTTPS.
const CookieName = "__Host-remit_portal"

// SessionCookie returns the portal session cookie carrying value for maxAge.
// HttpOnly keeps the credential away from page scripts; SameSite=Lax stops
// the browser attaching it to cross-site subrequests and POSTs while still
// allowing a top-level navigation from an emailed login link. SameSite is
// defence in depth: unsafe requests still need http.CrossOriginProtection.
//
// Only Max-Age is set, not Expires, so the cookie needs no wall-clock read.
// A maxAge <= 0 yields a cookie that deletes the session cookie.
func SessionCookie(value string, maxAge time.Duration) *http.Cookie {
	c := &http.Cookie{
		Name:     CookieName,
		Value:    value,
		Path:     "/",
		Secure:   true,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
	switch {
	case maxAge <= 0:
		c.Value = ""
		c.MaxAge = -1 // serialised as Max-Age=0: delete now
	default:
		secs := int((maxAge + time.Second - 1) / time.Second) // round up so sub-second ages don't become "delete"
		c.MaxAge = secs
	}
	return c
}

// ClearSessionCookie returns a cookie that makes the browser drop the
// session cookie, for logout. Attributes must match the original so the
// __Host- rules accept the overwrite.
func ClearSessionCookie() *http.Cookie {
	return SessionCookie("", 0)
}
