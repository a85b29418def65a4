package web

import (
	"slices"

	"github.com/remitbilling/remit/internal/document"
	"github.com/remitbilling/remit/internal/usererr"
)

// creditNotePDF downloads one of the customer's credit notes (the data
// layer finds only the customer's own).
func (h *handler) creditNotePDF(q *req) {
	pdf, doc, err := h.d.Billing.CreditNotePDF(q.ctx, q.r.PathValue("id"))
	if slices.Contains(usererrCodes(err), string(usererr.NotFound)) {
		h.notFound(q.w, q.r, q)
		return
	}
	if err != nil {
		h.fail(q.w, q.r, q, "credit note pdf", err)
		return
	}
	document.WritePDF(q.w, pdf, doc.Number, true)
}
