package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// corsMaxAge is how long a browser may reuse a preflight answer.
const corsMaxAge = 600 // seconds

// ParseOrigins reads REMIT_CORS_ORIGINS: comma-separated exact origins
// (scheme://host[:port], no path, no wildcard). "" allows none.
func ParseOrigins(s string) ([]string, error) {
	var out []string
	for _, o := range strings.Split(s, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.Contains(o, "*") {
			return nil, fmt.Errorf("%q is not an origin: write scheme://host[:port], nothing after it", o)
		}
		out = append(out, strings.ToLower(o))
	}
	return out, nil
}

// cors lets the browser pages of allowed origins call a GraphQL endpoint.
//
// Only bearer credentials cross origins: no Access-Control-Allow-Credentials
// is ever sent, so a browser neither sends the portal's session cookie with
// a cross-origin fetch that asks it to (credentials: "include" fails the
// preflight) nor exposes the answer. The portal's cookie rule
// (http.CrossOriginProtection on cookie-authenticated requests: same-origin
// only) therefore holds unchanged whatever the allowlist says, and a page
// of an allowed origin signs in to the portal API and sends its session
// token as Authorization: Bearer, which is no ambient credential.
//
// A preflight (OPTIONS with Access-Control-Request-Method) is answered here,
// before authentication and the body checks, 204 with the grant for an
// allowed origin and 204 without any for another (the browser then blocks
// the request). A request from an origin not allowed gets no CORS header
// and is otherwise served as any other: the browser does not let its page
// read the answer.
func cors(origins []string, next http.Handler) http.Handler {
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		allowed[o] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		origin := r.Header.Get("Origin")
		if len(allowed) > 0 {
			// The answer depends on Origin: caches must keep one per origin.
			h.Add("Vary", "Origin")
		}
		ok := origin != "" && allowed[strings.ToLower(origin)]
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			if ok {
				h.Add("Vary", "Access-Control-Request-Method")
				h.Add("Vary", "Access-Control-Request-Headers")
				h.Set("Access-Control-Allow-Origin", origin)
				h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key, Accept")
				h.Set("Access-Control-Max-Age", strconv.Itoa(corsMaxAge))
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if ok {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", "X-Request-Id, Idempotent-Replayed, Retry-After")
		}
		next.ServeHTTP(w, r)
	})
}
