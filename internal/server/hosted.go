package server

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/internal/ids"
	"github.com/remitbilling/remit/internal/payments"
	"github.com/remitbilling/remit/internal/ratelimit"

	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/branding"
	"github.com/remitbilling/remit/internal/document"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/payerui"
	"github.com/remitbilling/remit/internal/usererr"
)

//go:embed pages/*.html
var pageFiles embed.FS

var pages = template.Must(template.ParseFS(pageFiles, "pages/*.html"))

// hostedLabels are the hosted page's words per language.
var hostedLabels = map[string]map[string]string{
	"en": {"Invoice": "Invoice", "DueDate": "Due", "IssueDate": "Issued", "BilledTo": "Billed to", "Download": "Download PDF",
		"Lines": "Invoice lines", "Tax": "Tax", "Total": "Total", "Paid": "Paid", "Voided": "This invoice was voided: nothing is due.",
		"OPEN": "Due", "PAID": "Paid", "VOID": "Void", "UNCOLLECTIBLE": "Due", "PARTIALLY_PAID": "Partially paid", "OVERDUE": "Overdue",
		"Schedule": "Payment schedule", "Installment": "Installment", "PayTitle": "Pay by card", "CardNumber": "Card number",
		"Expiry": "Expiry (MM/YY)", "CVC": "Security code", "PayButton": "Pay %s", "BankTransfer": "Pay by bank transfer",
		"Payments": "Payments",
		"Approve":  "Confirm the payment", "Decline": "Cancel", "DueNow": "Due now", "Remaining": "Remaining",
		"err_INVALID_CARD_NUMBER": "The card number is not valid.", "err_EXPIRED_CARD": "The card has expired.",
		"err_INVALID_CARD": "Check the expiry date and the security code.", "err_AMOUNT_EXCEEDS_REMAINING": "A payment is already in progress.",
		"err_OTHER": "The payment could not be made. Nothing was charged."},
	"fr": {"Invoice": "Facture", "DueDate": "Échéance", "IssueDate": "Émise le", "BilledTo": "Facturé à", "Download": "Télécharger le PDF",
		"Lines": "Lignes de la facture", "Tax": "TVA", "Total": "Total", "Paid": "Réglé", "Voided": "Cette facture a été annulée : rien n'est dû.",
		"OPEN": "À régler", "PAID": "Réglée", "VOID": "Annulée", "UNCOLLECTIBLE": "À régler", "PARTIALLY_PAID": "Partiellement réglée", "OVERDUE": "En retard",
		"Schedule": "Échéancier", "Installment": "Échéance", "PayTitle": "Payer par carte", "CardNumber": "Numéro de carte",
		"Expiry": "Expiration (MM/AA)", "CVC": "Cryptogramme", "PayButton": "Payer %s", "BankTransfer": "Payer par virement",
		"Payments": "Paiements",
		"Approve":  "Confirmer le paiement", "Decline": "Annuler", "DueNow": "À régler maintenant", "Remaining": "Reste à payer",
		"err_INVALID_CARD_NUMBER": "Le numéro de carte n'est pas valide.", "err_EXPIRED_CARD": "La carte a expiré.",
		"err_INVALID_CARD": "Vérifiez la date d'expiration et le cryptogramme.", "err_AMOUNT_EXCEEDS_REMAINING": "Un paiement est déjà en cours.",
		"err_OTHER": "Le paiement n'a pas pu être effectué. Rien n'a été débité."},
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
	if err := s.hostedPayment(ctx, r, inv, view, lang, format, layout); err != nil {
		s.Logger.ErrorContext(r.Context(), "hosted page payment", "request_id", RequestID(r.Context()), "error", err)
		writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'")
	if err := pages.ExecuteTemplate(w, "invoice.html", view); err != nil {
		s.Logger.ErrorContext(r.Context(), "hosted page template", "error", err)
	}
}

// hostedPDF serves the invoice PDF behind a hosted link. Renders count per
// link and per client address (PDFsPerToken, PDFsPerAddress); an unknown
// link costs only a lookup and is not counted.
func (s *Server) hostedPDF(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	inv, ctx, err := s.billing.Hosted(r.Context(), token)
	if errors.Is(err, billing.ErrHostedNotFound) {
		notFoundPage(w)
		return
	}
	if err != nil {
		writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
		return
	}
	if !s.allowPDF(w, r, ratelimit.Hit{Rule: PDFsPerToken, Key: token}, addressHit(PDFsPerAddress, r)) {
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

// hostedPayment adds to the page what paying needs: the schedule, the
// payments made, bank transfer instructions, the outcome of the last
// attempt and, while money is owed, the card form.
func (s *Server) hostedPayment(ctx context.Context, r *http.Request, inv *ent.Invoice, view map[string]any, lang string, format func(int64) string, layout string) error {
	t := hostedLabels[lang]
	now := s.Clock.Now()
	standing := billing.StandingOf(inv, now)
	view["Status"], view["StatusClass"] = t[string(standing)], strings.ToLower(string(standing))
	type installment struct{ Description, DueDate, Amount, Status string }
	var plan []installment
	for i, it := range billing.Installments(inv, now) {
		d := it.Description
		if d == "" {
			d = t["Installment"] + " " + strconv.Itoa(i+1)
		}
		due := ""
		if it.DueDate != nil {
			due = it.DueDate.Format(layout)
		}
		plan = append(plan, installment{d, due, format(it.Amount), t[string(it.Status)]})
	}
	view["Plan"] = plan
	acct, err := s.DB.Account.Get(ctx, inv.AccountID)
	if err != nil {
		return err
	}
	accepted := billing.AcceptedMethodTypes(acct, inv)
	if slices.Contains(accepted, "BANK_TRANSFER") && acct.BankTransferInstructions != "" && billing.AmountRemaining(inv) > 0 {
		view["BankTransfer"] = acct.BankTransferInstructions
	}
	pays, err := billing.InvoicePayments(ctx, inv)
	if err != nil {
		return err
	}
	var paid []string
	for _, p := range pays {
		if p.Status == payment.StatusSucceeded {
			paid = append(paid, p.SucceededAt.Format(layout)+" — "+format(p.Amount))
		}
		if p.ID != r.URL.Query().Get("payment") {
			continue
		}
		text, kind := payerui.Outcome(p, lang, format(p.Amount))
		view["Outcome"], view["OutcomeClass"] = text, string(kind)
		if kind == payerui.KindAction {
			view["ConfirmURL"], view["PaymentID"] = "/i/"+r.PathValue("token")+"/confirm", p.ID
		}
	}
	view["Payments"] = paid
	if code := r.URL.Query().Get("error"); code != "" {
		// Codes, not messages, travel in the URL: a crafted link cannot
		// put its own words on the merchant's page.
		msg, ok := t["err_"+code]
		if !ok {
			msg = t["err_OTHER"]
		}
		view["Outcome"], view["OutcomeClass"] = msg, "error"
	}
	if inv.Status == invoice.StatusOpen || inv.Status == invoice.StatusUncollectible {
		due := billing.PayableNow(inv)
		view["AmountDue"] = format(billing.AmountRemaining(inv))
		if due > 0 && slices.Contains(accepted, "CARD") {
			view["PayURL"] = "/i/" + r.PathValue("token") + "/pay"
			view["PayLabel"] = fmt.Sprintf(t["PayButton"], format(due))
			// One key per rendering: a double submit pays once.
			view["PayKey"] = ids.New("hp", now)
		}
		if len(inv.AmountsDue) > 0 {
			view["DueNow"] = format(due)
		}
	}
	return nil
}

// hostedTarget resolves the token of a hosted-page form post, answering
// the request itself when it does not open a page.
func (s *Server) hostedTarget(w http.ResponseWriter, r *http.Request, token string) (*ent.Invoice, context.Context, bool) {
	inv, ctx, err := s.billing.Hosted(r.Context(), token)
	if errors.Is(err, billing.ErrHostedNotFound) {
		notFoundPage(w)
		return nil, nil, false
	}
	if err != nil {
		s.Logger.ErrorContext(r.Context(), "hosted page", "request_id", RequestID(r.Context()), "error", err)
		writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
		return nil, nil, false
	}
	return inv, ctx, true
}

// hostedPay takes the card form of the hosted page: the same payment as
// invoicePay, by the customer, then back to the page with the outcome.
func (s *Server) hostedPay(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	inv, ctx, ok := s.hostedTarget(w, r, token)
	if !ok {
		return
	}
	month, year, _ := strings.Cut(strings.ReplaceAll(r.PostFormValue("expiry"), " ", ""), "/")
	m, _ := strconv.Atoi(month)
	y, _ := strconv.Atoi(year)
	key := r.PostFormValue("key")
	if key == "" {
		http.Redirect(w, r, "/i/"+token, http.StatusSeeOther)
		return
	}
	_, p, err := s.billing.Pay(ctx, billing.PayInput{
		InvoiceID: inv.ID, Source: payment.SourceHostedPage, IdempotencyKey: "hosted:" + key,
		Card: &payments.CardInput{Number: r.PostFormValue("number"), ExpMonth: m, ExpYear: y, CVC: r.PostFormValue("cvc")},
	})
	if ue := usererr.From(err); len(ue) > 0 {
		http.Redirect(w, r, "/i/"+token+"?error="+url.QueryEscape(string(ue[0].Code)), http.StatusSeeOther)
		return
	}
	if err != nil {
		s.Logger.ErrorContext(r.Context(), "hosted payment", "request_id", RequestID(r.Context()), "error", err)
		writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
		return
	}
	http.Redirect(w, r, "/i/"+token+"?payment="+p.ID, http.StatusSeeOther)
}

// hostedConfirm answers the simulated 3-D Secure challenge.
func (s *Server) hostedConfirm(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	inv, ctx, ok := s.hostedTarget(w, r, token)
	if !ok {
		return
	}
	id := r.PostFormValue("payment")
	p, err := s.DB.Payment.Query().Where(payment.ID(id), payment.InvoiceID(inv.ID)).Only(ctx)
	if err != nil {
		notFoundPage(w)
		return
	}
	if _, _, err := s.billing.Confirm(ctx, p.ID, r.PostFormValue("outcome") == "approve"); err != nil && len(usererr.From(err)) == 0 {
		writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
		return
	}
	http.Redirect(w, r, "/i/"+token+"?payment="+p.ID, http.StatusSeeOther)
}
