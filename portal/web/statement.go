package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/document"
	"github.com/remitbilling/remit/internal/receivables"
	"github.com/remitbilling/remit/internal/usererr"
)

// statementPDF downloads the signed-in customer's statement of account
// from `from` to `to` (RFC 3339; by default the current month so far):
// the merchant's PDF, of the session's customer only.
func (h *handler) statementPDF(q *req) {
	now := clock.Now(q.ctx)
	in := receivables.StatementInput{CustomerID: q.customerID(), From: time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC), To: now}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &in.From}, {"to", &in.To}} {
		if v := q.r.URL.Query().Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				http.Error(q.w, p.name+": give an RFC 3339 time", http.StatusBadRequest)
				return
			}
			*p.dst = t
		}
	}
	pdf, name, err := h.d.Receivables.StatementPDF(q.ctx, in)
	codes := usererrCodes(err)
	switch {
	case slices.Contains(codes, string(usererr.NotFound)):
		h.notFound(q.w, q.r, q)
		return
	case len(codes) > 0:
		http.Error(q.w, "the period is invalid", http.StatusBadRequest)
		return
	case err != nil:
		h.fail(q.w, q.r, q, "render statement pdf", err)
		return
	}
	document.WritePDF(q.w, pdf, strings.TrimSuffix(name, ".pdf"), true)
}
