package web

import (
	"slices"
	"strconv"

	"github.com/remitbilling/remit/internal/document"
	"github.com/remitbilling/remit/internal/usererr"
)

// creditNotePDF downloads one of the customer's credit notes (the data
// layer finds only the customer's own).
func (h *handler) creditNotePDF(q *req) {
	doc, err := h.d.Billing.CreditNoteDocument(q.ctx, q.r.PathValue("id"))
	if slices.Contains(usererrCodes(err), string(usererr.NotFound)) {
		h.notFound(q.w, q.r, q)
		return
	}
	if err != nil {
		h.fail(q.w, q.r, q, "credit note document", err)
		return
	}
	pdf, err := document.Render(q.ctx, doc)
	if err != nil {
		h.fail(q.w, q.r, q, "render credit note pdf", err)
		return
	}
	w := q.w
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+safeFilename(doc.Number)+`.pdf"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(pdf)))
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(pdf)
}
