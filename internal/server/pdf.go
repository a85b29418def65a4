package server

import (
	"net/http"

	"github.com/remitbilling/remit/internal/usererr"
)

// invoicePDF serves an invoice's PDF to the merchant at a stable URL,
// /invoices/{id}/pdf, authenticated by API key like the GraphQL API. A
// draft renders as a preview marked DRAFT, without a number.
func (s *Server) invoicePDF(w http.ResponseWriter, r *http.Request) {
	_, err := s.billing.Get(r.Context(), r.PathValue("id"))
	if ue := usererr.From(err); len(ue) > 0 && ue[0].Code == usererr.NotFound {
		writeError(w, r, http.StatusNotFound, "NOT_FOUND", "no such invoice")
		return
	}
	if err != nil {
		s.Logger.ErrorContext(r.Context(), "invoice pdf", "request_id", RequestID(r.Context()), "error", err)
		writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
		return
	}
	s.writePDF(w, r, r.PathValue("id"))
}
