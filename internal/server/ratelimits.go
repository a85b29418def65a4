package server

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/remitbilling/remit/internal/ratelimit"
	portalhttp "github.com/remitbilling/remit/portal"
)

// Abuse limits of the HTTP server. They are counted in the database
// (internal/ratelimit), so several server processes on one database share
// them and a restart does not reset them. Over a limit, a request gets 429
// RATE_LIMITED with Retry-After.
var (
	// FailedAuthPerAddress caps failed API-key authentications (missing,
	// malformed, unknown or revoked keys) per client address. Past it, a
	// failure from that address gets 429 until the window ends, after one
	// counter read: an attacker's noise costs little, and a misconfigured
	// integration learns it is failing. A valid key is never refused.
	FailedAuthPerAddress = ratelimit.Rule{Name: "auth.failed.address", Limit: 30, Window: 10 * time.Minute}
	// PDFsPerToken and PDFsPerAddress cap PDF renders (≈ 10 ms of CPU
	// each, the most expensive thing an unauthenticated caller can ask
	// for) per hosted-invoice link and per client address (the portal's
	// PDFs count per address too).
	PDFsPerToken   = ratelimit.Rule{Name: "pdf.token", Limit: 20, Window: 10 * time.Minute}
	PDFsPerAddress = ratelimit.Rule{Name: "pdf.address", Limit: 60, Window: 10 * time.Minute}
)

// addressHit is a hit of rule for the request's client address (the
// peer's: forwarded headers are whatever the client says).
func addressHit(rule ratelimit.Rule, r *http.Request) ratelimit.Hit {
	return ratelimit.Hit{Rule: rule, Key: ratelimit.AddressKey(portalhttp.ClientIP(r))}
}

// tooMany answers 429 with Retry-After in whole seconds.
func tooMany(w http.ResponseWriter, r *http.Request, d ratelimit.Decision, message string) {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.RetryAfter.Seconds()))))
	writeError(w, r, http.StatusTooManyRequests, "RATE_LIMITED", message)
}

// allowPDF counts a PDF render against hits, answering 429 itself when one
// is over its limit. A failing counter lets the render through (logged):
// the limits guard against abuse and must not take the PDFs down.
func (s *Server) allowPDF(w http.ResponseWriter, r *http.Request, hits ...ratelimit.Hit) bool {
	d, err := s.limits.Allow(r.Context(), hits...)
	if err != nil {
		s.Logger.ErrorContext(r.Context(), "pdf rate limit", "request_id", RequestID(r.Context()), "error", err)
		return true
	}
	if !d.Allowed {
		tooMany(w, r, d, "too many PDF downloads: retry later")
		return false
	}
	return true
}

// limitPDFs counts every request of next (the portal's PDF route) per
// client address.
func (s *Server) limitPDFs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.allowPDF(w, r, addressHit(PDFsPerAddress, r)) {
			next.ServeHTTP(w, r)
		}
	})
}
