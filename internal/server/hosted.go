package server

import (
	"embed"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/branding"
	"github.com/remitbilling/remit/internal/document"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/usererr"
)

//go:embed pages/*.html
var pageFiles embed.FS

var pages = template.Must(template.ParseFS(pageFiles, "pages/*.html"))

// hostedLabels are the hosted page's words per language.
var hostedLabels = map[string]map[string]string{
	"en": {"Invoice": "Invoice", "DueDate": "Due", "IssueDate": "Issued", "BilledTo": "Billed to", "Download": "Download PDF",
		"Lines": "Invoice lines", "Tax": "Tax", "Total": "Total", "Paid": "Paid", "Voided": "This invoice was voided: nothing is due.",
		"OPEN": "Due", "PAID": "Paid", "VOID": "Void", "UNCOLLECTIBLE": "Due"},
	"fr": {"Invoice": "Facture", "DueDate": "Échéance", "IssueDate": "Émise le", "BilledTo": "Facturé à", "Download": "Télécharger le PDF",
		"Lines": "Lignes de la facture", "Tax": "TVA", "Total": "Total", "Paid": "Réglé", "Voided": "Cette facture a été annulée : rien n'est dû.",
		"OPEN": "À régler", "PAID": "Réglée", "VOID": "Annulée", "UNCOLLECTIBLE": "À régler"},
}

// notFoundPage answers every hosted link that opens nothing — unknown,
// expired, or a draft's — identically, so a link reveals nothing.
func notFoundPage(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNotFound)
	_ = pages.ExecuteTemplate(w, "notfound.html", nil)
}

// hostedInvoice serves the customer-facing page of an issued invoice at
// /i/{token}: no login, the unguessable token is the credential.
func (s *Server) hostedInvoice(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	inv, ctx, err := s.billing.Hosted(r.Context(), token)
	if errors.Is(err, billing.ErrHostedNotFound) {
		notFoundPage(w)
		return
	}
	if err != nil {
		s.Logger.ErrorContext(r.Context(), "hosted page", "request_id", RequestID(r.Context()), "error", err)
		writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
		return
	}
	doc, err := s.billing.Document(ctx, inv.ID)
	if err != nil {
		s.Logger.ErrorContext(r.Context(), "hosted page", "request_id", RequestID(r.Context()), "error", err)
		writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
		return
	}
	lang := "en"
	if strings.HasPrefix(strings.ToLower(doc.Locale), "fr") {
		lang = "fr"
	}
	t := hostedLabels[lang]
	format := func(minor int64) string { return money.Format(minor, doc.Currency, lang) }
	view := map[string]any{
		"Lang": lang, "T": t, "Number": doc.Number, "Seller": doc.Seller.Name, "Buyer": doc.Buyer.Name,
		"AmountDue": format(doc.AmountDue), "Total": format(doc.Total),
		"Status": t[string(inv.Status)], "StatusClass": strings.ToLower(string(inv.Status)),
		"Void":   inv.Status == invoice.StatusVoid,
		"PDFURL": "/i/" + token + "/pdf",
	}
	colors := document.BrandColors(doc.Branding)
	view["Brand"], view["OnBrand"] = template.CSS(colors.Brand), template.CSS(colors.OnBrand)
	if len(doc.Branding.Logo) > 0 {
		// A data: URL built here from a validated upload, hence trusted.
		view["Logo"] = template.URL(branding.DataURI(doc.Branding.LogoMIME, doc.Branding.Logo))
	}
	if doc.TotalTax != 0 {
		view["Tax"] = format(doc.TotalTax)
	}
	if doc.AmountPaid != 0 {
		view["Paid"] = format(doc.AmountPaid)
	}
	layout := "Jan 2, 2006"
	if lang == "fr" {
		layout = "02/01/2006"
	}
	view["IssueDate"] = doc.IssueDate.Format(layout)
	if !doc.DueDate.IsZero() {
		view["DueDate"] = doc.DueDate.Format(layout)
	}
	type line struct{ Description, Quantity, Amount string }
	var lines []line
	for _, l := range doc.Lines {
		lines = append(lines, line{l.Description, l.Quantity, format(l.Amount)})
	}
	view["Lines"] = lines
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:")
	if err := pages.ExecuteTemplate(w, "invoice.html", view); err != nil {
		s.Logger.ErrorContext(r.Context(), "hosted page template", "error", err)
	}
}

// hostedPDF serves the invoice PDF behind a hosted link.
func (s *Server) hostedPDF(w http.ResponseWriter, r *http.Request) {
	inv, ctx, err := s.billing.Hosted(r.Context(), r.PathValue("token"))
	if errors.Is(err, billing.ErrHostedNotFound) {
		notFoundPage(w)
		return
	}
	if err != nil {
		writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
		return
	}
	s.writePDF(w, r.WithContext(ctx), inv.ID)
}

func (s *Server) writePDF(w http.ResponseWriter, r *http.Request, id string) {
	doc, err := s.billing.Document(r.Context(), id)
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
		name = "draft-" + id
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="`+name+`.pdf"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(pdf)))
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(pdf)
}
