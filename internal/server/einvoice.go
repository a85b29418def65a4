package server

import (
	"context"
	"net/http"

	"github.com/remitbilling/remit/internal/einvoice"
	"github.com/remitbilling/remit/internal/usererr"
)

// invoiceEInvoice serves an issued invoice's EN 16931 e-invoice at
// /invoices/{id}/einvoice.xml?syntax=cii|ubl (API key).
func (s *Server) invoiceEInvoice(w http.ResponseWriter, r *http.Request) {
	s.writeEInvoice(w, r, r.PathValue("id"), s.billing.EInvoice)
}

// creditNoteEInvoice serves a credit note's e-invoice (type 381).
func (s *Server) creditNoteEInvoice(w http.ResponseWriter, r *http.Request) {
	s.writeEInvoice(w, r, r.PathValue("id"), s.billing.CreditNoteEInvoice)
}

// hostedEInvoice serves the e-invoice behind a hosted link, counted like
// its PDF (building the XML costs less, but the same abuse limits apply).
func (s *Server) hostedEInvoice(w http.ResponseWriter, r *http.Request) {
	inv, ctx, ok := s.hostedTarget(w, r, r.PathValue("token"))
	if !ok {
		return
	}
	s.writeEInvoice(w, r.WithContext(ctx), inv.ID, s.billing.EInvoice)
}

func (s *Server) writeEInvoice(w http.ResponseWriter, r *http.Request, id string, build func(context.Context, string) (einvoice.Document, error)) {
	ctx := r.Context()
	syntax := r.URL.Query().Get("syntax")
	encode := einvoice.CII
	switch syntax {
	case "", "cii":
		syntax = "cii"
	case "ubl":
		encode = einvoice.UBL
	default:
		writeError(w, r, http.StatusBadRequest, string(usererr.Invalid), "syntax is cii or ubl")
		return
	}
	doc, err := build(ctx, id)
	if ue := usererr.From(err); len(ue) > 0 {
		status := http.StatusUnprocessableEntity
		if ue[0].Code == usererr.NotFound {
			status = http.StatusNotFound
		}
		writeError(w, r, status, string(ue[0].Code), ue[0].Message)
		return
	}
	var out []byte
	if err == nil {
		out, err = encode(doc)
	}
	if err != nil {
		s.Logger.ErrorContext(ctx, "e-invoice", "request_id", RequestID(ctx), "error", err)
		writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+safeFileName(doc.Number)+"-"+syntax+`.xml"`)
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(out)
}

// safeFileName keeps what EN 16931 numbers are made of (BR-FR-02's
// characters) so the header needs no quoting.
func safeFileName(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '+':
		default:
			b[i] = '_'
		}
	}
	return string(b)
}
