package server

import (
	"net/http"
)

// invoicePDF serves an invoice's PDF to the merchant at a stable URL,
// /invoices/{id}/pdf, authenticated by API key like the GraphQL API. A
// draft renders as a preview marked DRAFT, without a number.
func (s *Server) invoicePDF(w http.ResponseWriter, r *http.Request) {
	s.writePDF(w, r, r.PathValue("id"))
}
