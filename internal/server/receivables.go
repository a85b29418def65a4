package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/document"
	"github.com/remitbilling/remit/internal/exports"
	"github.com/remitbilling/remit/internal/receivables"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/viewer"
)

// agingCSV serves /exports/aging.csv (API key or signed link): the aging
// report as of `as_of` (RFC 3339, default now) for `currency` and
// `customer`, with exportCSV's `timezone` and `bom`. The report is read
// whole before anything is written (it is one row per customer and
// currency), so any bad parameter is a 400.
func (s *Server) agingCSV(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	o, ok := exportOptions(w, r, q)
	if !ok {
		return
	}
	in := receivables.AgingInput{Currency: q.Get("currency"), CustomerID: q.Get("customer")}
	if v := q.Get("as_of"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			writeError(w, r, http.StatusBadRequest, "INVALID", "as_of: give an RFC 3339 time, e.g. 2026-01-31T00:00:00Z")
			return
		}
		in.AsOf = &t
	}
	rep, err := s.App.Receivables.Aging(r.Context(), in)
	if ue := usererr.From(err); len(ue) > 0 {
		writeError(w, r, http.StatusBadRequest, string(ue[0].Code), strings.Join(ue[0].Field, ".")+": "+ue[0].Message)
		return
	}
	if err != nil {
		s.Logger.ErrorContext(r.Context(), "aging report", "request_id", RequestID(r.Context()), "error", err)
		writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
		return
	}
	csvHeaders(w, r, "aging")
	if _, err := s.App.Exports.Aging(r.Context(), w, rep, o); err != nil {
		s.Logger.ErrorContext(r.Context(), "export", "export", "aging", "request_id", RequestID(r.Context()), "error", err)
	}
}

// statementPDF serves /customers/{id}/statement.pdf?from=&to= (RFC 3339;
// by default the current month so far): with the API key, or with the
// link customerStatement signed for this customer.
func (s *Server) statementPDF(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	in := receivables.StatementInput{CustomerID: r.PathValue("id")}
	now := clock.Now(r.Context())
	in.From = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	in.To = now
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &in.From}, {"to", &in.To}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				writeError(w, r, http.StatusBadRequest, "INVALID", p.name+": give an RFC 3339 time, e.g. 2026-01-31T00:00:00Z")
				return
			}
			*p.dst = t
		}
	}
	s.writeStatement(w, r, in)
}

// writeStatement renders the statement in and answers with it (404 for a
// customer the viewer cannot read, 400 for a bad period).
func (s *Server) writeStatement(w http.ResponseWriter, r *http.Request, in receivables.StatementInput) {
	pdf, name, err := s.App.Receivables.StatementPDF(r.Context(), in)
	if ue := usererr.From(err); len(ue) > 0 {
		if ue[0].Code == usererr.NotFound {
			writeError(w, r, http.StatusNotFound, "NOT_FOUND", "no such customer")
			return
		}
		writeError(w, r, http.StatusBadRequest, string(ue[0].Code), strings.Join(ue[0].Field, ".")+": "+ue[0].Message)
		return
	}
	if err != nil {
		s.Logger.ErrorContext(r.Context(), "statement pdf", "request_id", RequestID(r.Context()), "error", err)
		writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
		return
	}
	document.WritePDF(w, pdf, strings.TrimSuffix(name, ".pdf"), false)
}

// signedStatement serves a statement link customerStatement signed (for
// the customer in the path only) as the account and mode it was signed
// for, and anything else with keyed.
func signedStatement(svc *exports.Service, h, keyed http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if !exports.Signed(q) {
			keyed.ServeHTTP(w, r)
			return
		}
		v, err := svc.VerifyLink(r.Context(), exports.StatementLink(r.PathValue("id")), q)
		if err != nil {
			writeError(w, r, http.StatusForbidden, "FORBIDDEN", err.Error())
			return
		}
		h.ServeHTTP(w, r.WithContext(viewer.NewContext(r.Context(), v)))
	})
}
