package server

import (
	"net/http"

	"github.com/remitbilling/remit/internal/document"
	"github.com/remitbilling/remit/internal/ratelimit"
	"github.com/remitbilling/remit/internal/usererr"
)

// creditNotePDF serves a credit note's PDF to the merchant at a stable
// URL, /credit_notes/{id}/pdf, authenticated by API key like invoices'.
func (s *Server) creditNotePDF(w http.ResponseWriter, r *http.Request) {
	s.writeCreditNotePDF(w, r, r.PathValue("id"), "")
}

// hostedCreditNotePDF serves, behind a hosted link, the PDF of a credit
// note of the link's invoice (and of no other), counted like the
// invoice's PDF.
func (s *Server) hostedCreditNotePDF(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	inv, ctx, ok := s.hostedTarget(w, r, token)
	if !ok {
		return
	}
	if !s.allowPDF(w, r, ratelimit.Hit{Rule: PDFsPerToken, Key: token}, addressHit(PDFsPerAddress, r)) {
		return
	}
	s.writeCreditNotePDF(w, r.WithContext(ctx), r.PathValue("id"), inv.ID)
}

// writeCreditNotePDF renders credit note id; with invoiceID, only a credit
// note of that invoice is found.
func (s *Server) writeCreditNotePDF(w http.ResponseWriter, r *http.Request, id, invoiceID string) {
	ctx := r.Context()
	notFound := func() { writeError(w, r, http.StatusNotFound, "NOT_FOUND", "no such credit note") }
	cn, err := s.billing.GetCreditNote(ctx, id)
	var (
		pdf []byte
		doc document.Invoice
	)
	if err == nil && invoiceID != "" && cn.InvoiceID != invoiceID {
		notFound()
		return
	}
	if err == nil {
		pdf, doc, err = s.billing.CreditNotePDF(ctx, id)
	}
	if ue := usererr.From(err); len(ue) > 0 && ue[0].Code == usererr.NotFound {
		notFound()
		return
	}
	if err != nil {
		s.Logger.ErrorContext(ctx, "credit note pdf", "request_id", RequestID(ctx), "error", err)
		writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
		return
	}
	document.WritePDF(w, pdf, doc.Number, false)
}
