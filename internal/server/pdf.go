package server

import (
	"net/http"
	"strconv"

	"github.com/remitbilling/remit/internal/document"
	"github.com/remitbilling/remit/internal/usererr"
)

// invoicePDF serves an invoice's PDF to the merchant at a stable URL,
// /invoices/{id}/pdf, authenticated by API key like the GraphQL API. A
// draft renders as a preview marked DRAFT, without a number.
func (s *Server) invoicePDF(w http.ResponseWriter, r *http.Request) {
	doc, err := s.billing.Document(r.Context(), r.PathValue("id"))
	if ue := usererr.From(err); len(ue) > 0 && ue[0].Code == usererr.NotFound {
		writeError(w, r, http.StatusNotFound, "NOT_FOUND", "no such invoice")
		return
	}
	if err != nil {
		s.Logger.ErrorContext(r.Context(), "invoice pdf", "request_id", RequestID(r.Context()), "error", err)
		writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
		return
	}
	pdf, err := document.Render(r.Context(), doc)
	if err != nil {
		s.Logger.ErrorContext(r.Context(), "render invoice pdf", "request_id", RequestID(r.Context()), "error", err)
		writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
		return
	}
	name := doc.Number
	if name == "" {
		name = "draft-" + r.PathValue("id")
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="`+name+`.pdf"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(pdf)))
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(pdf)
}
