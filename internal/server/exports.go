package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // a timezone parameter works without the system's zone files

	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/exports"
	"github.com/remitbilling/remit/internal/viewer"
)

// exportCSV serves one CSV export (API key): the list's filters as query
// parameters, `timezone` (IANA, default UTC) for the dates, `bom=1` for a
// UTF-8 byte-order mark. Bad parameters are a 400 before anything is
// written; the rows then stream as they are read.
func (s *Server) exportCSV(name string, write func(ctx context.Context, w io.Writer, q url.Values, o exports.Options) (int, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		o, ok := exportOptions(w, r, q)
		if !ok {
			return
		}
		if name == "invoices" {
			if _, err := invoiceFilter(q); err != nil {
				writeError(w, r, http.StatusBadRequest, "INVALID", err.Error())
				return
			}
		}
		csvHeaders(w, r, name)
		if _, err := write(r.Context(), w, q, o); err != nil {
			// The status is sent: the client sees a truncated file; the
			// log says why.
			s.Logger.ErrorContext(r.Context(), "export", "export", name, "request_id", RequestID(r.Context()), "error", err)
		}
	}
}

// exportOptions reads the `timezone` and `bom` parameters every export
// takes; a bad one is answered with a 400 (ok false).
func exportOptions(w http.ResponseWriter, r *http.Request, q url.Values) (exports.Options, bool) {
	o := exports.Options{Location: time.UTC, BOM: q.Get("bom") == "1" || q.Get("bom") == "true"}
	if tz := q.Get("timezone"); tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil || strings.Contains(tz, "..") {
			writeError(w, r, http.StatusBadRequest, "INVALID", fmt.Sprintf("timezone: %q is not an IANA time zone (e.g. Europe/Paris)", tz))
			return o, false
		}
		o.Location = loc
	}
	return o, true
}

// csvHeaders starts the answer of export name.
func csvHeaders(w http.ResponseWriter, r *http.Request, name string) {
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.csv"`, name, clock.Now(r.Context()).Format("2006-01-02")))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
}

// invoiceFilter reads the invoices list's filter from query parameters
// (status and standing comma-separated; dates RFC 3339).
func invoiceFilter(q url.Values) (billing.Filter, error) {
	var f billing.Filter
	for _, st := range splitList(q.Get("status")) {
		s := invoice.Status(strings.ToUpper(st))
		if invoice.StatusValidator(s) != nil {
			return f, fmt.Errorf("status: %q is not an invoice status", st)
		}
		f.Statuses = append(f.Statuses, s)
	}
	for _, st := range splitList(q.Get("standing")) {
		f.Standings = append(f.Standings, billing.Standing(strings.ToUpper(st)))
	}
	f.CustomerID, f.Currency, f.Number = q.Get("customer"), q.Get("currency"), q.Get("number")
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"created_after", &f.CreatedAfter}, {"created_before", &f.CreatedBefore}, {"due_after", &f.DueAfter}, {"due_before", &f.DueBefore}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, fmt.Errorf("%s: give an RFC 3339 time, e.g. 2026-01-31T00:00:00Z", p.name)
			}
			*p.dst = &t
		}
	}
	if v := q.Get("past_due"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return f, fmt.Errorf("past_due: true or false")
		}
		f.PastDue = &b
	}
	return f, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// signedOr serves a download link that exportCreate signed with h as the
// account and mode it was signed for, and anything else with keyed (the
// API key's authentication). A forged, altered or expired link is a 403.
func signedOr(svc *exports.Service, name string, h, keyed http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if !exports.Signed(q) {
			keyed.ServeHTTP(w, r)
			return
		}
		v, err := svc.VerifyLink(r.Context(), name, q)
		if err != nil {
			writeError(w, r, http.StatusForbidden, "FORBIDDEN", err.Error())
			return
		}
		h.ServeHTTP(w, r.WithContext(viewer.NewContext(r.Context(), v)))
	})
}
