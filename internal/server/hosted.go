package server

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"net/url"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/document"
	"github.com/remitbilling/remit/internal/payer"
	"github.com/remitbilling/remit/internal/payer/words"
	"github.com/remitbilling/remit/internal/ratelimit"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/webpage"
)

//go:embed pages/*.html
var pageFiles embed.FS

var pages = template.Must(template.Must(webpage.New("pages").Parse(payer.Templates)).ParseFS(pageFiles, "pages/*.html"))

// notFoundPage answers every hosted link that opens nothing — unknown,
// expired, or a draft's — identically, so a link reveals nothing.
func notFoundPage(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNotFound)
	_ = pages.ExecuteTemplate(w, "notfound.html", nil)
}

// hostedPolicy is the hosted page's Content-Security-Policy: no script
// at all, unless it shows the processor's own form
// (payer.ContentSecurityPolicy).
const hostedPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'"

// hostedInvoice serves the customer-facing page of an issued invoice at
// /i/{token}: no login, the unguessable token is the credential.
func (s *Server) hostedInvoice(w http.ResponseWriter, r *http.Request) {
	inv, ctx, ok := s.hostedTarget(w, r, r.PathValue("token"))
	if !ok {
		return
	}
	view, err := s.hostedView(ctx, r, inv)
	if err != nil {
		s.Logger.ErrorContext(r.Context(), "hosted page", "request_id", RequestID(r.Context()), "error", err)
		writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", payer.ContentSecurityPolicy(hostedPolicy, view["I"].(*payer.Invoice).UsesProcessorForm()))
	if err := pages.ExecuteTemplate(w, "invoice.html", view); err != nil {
		s.Logger.ErrorContext(r.Context(), "hosted page template", "error", err)
	}
}

// hostedPDF serves the invoice PDF behind a hosted link. Renders count per
// link and per client address (PDFsPerToken, PDFsPerAddress); an unknown
// link costs only a lookup and is not counted.
func (s *Server) hostedPDF(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	inv, ctx, ok := s.hostedTarget(w, r, token)
	if !ok {
		return
	}
	if !s.allowPDF(w, r, ratelimit.Hit{Rule: PDFsPerToken, Key: token}, addressHit(PDFsPerAddress, r)) {
		return
	}
	s.writePDF(w, r.WithContext(ctx), inv.ID)
}

func (s *Server) writePDF(w http.ResponseWriter, r *http.Request, id string) {
	pdf, doc, err := s.billing.InvoicePDF(r.Context(), id)
	if ue := usererr.From(err); len(ue) > 0 && ue[0].Code == usererr.NotFound {
		writeError(w, r, http.StatusNotFound, "NOT_FOUND", "no such invoice")
		return
	}
	if err != nil {
		s.Logger.ErrorContext(r.Context(), "invoice pdf", "request_id", RequestID(r.Context()), "error", err)
		writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
		return
	}
	name := doc.Number
	if name == "" {
		name = "draft-" + id
	}
	document.WritePDF(w, pdf, name, false)
}

// hostedView is what the hosted page shows: the payer's view of the
// invoice (internal/payer), in the invoice's language.
func (s *Server) hostedView(ctx context.Context, r *http.Request, inv *ent.Invoice) (map[string]any, error) {
	acct, err := s.DB.Account.Get(ctx, inv.AccountID)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	v, err := s.payer().View(ctx, payer.HostedPayer(r.PathValue("token")), inv, payer.ViewOptions{
		Account: acct, Attempt: q.Get("payment"), Error: q.Get("error"), Done: q.Get("done"), Warning: q.Get("warning"),
	})
	if err != nil {
		return nil, err
	}
	view := map[string]any{
		"Lang": v.Lang, "T": words.T(v.Lang), "I": v, "PDFURL": "/i/" + r.PathValue("token") + "/pdf",
		"EInvoiceURL": "/i/" + r.PathValue("token") + "/einvoice.xml",
		// Validated "#rrggbb" values (document.BrandColors).
		"Brand": template.CSS(v.Colors.Brand), "OnBrand": template.CSS(v.Colors.OnBrand),
	}
	if v.Logo != "" {
		// A data: URL built from a validated upload, hence trusted.
		view["Logo"] = template.URL(v.Logo)
	}
	return view, nil
}

// processorScript serves the payer pages' glue to the processor's own
// form (payer.ProcessorScript).
func processorScript(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(payer.ProcessorScript)
}

// payer is the payer layer the application built.
func (s *Server) payer() *payer.Service { return s.App.Payer }

// hostedTarget resolves the token of a hosted link (the page, its PDF, its
// forms), answering the request itself when it opens nothing.
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
	if r.PostFormValue("key") == "" {
		http.Redirect(w, r, "/i/"+token, http.StatusSeeOther)
		return
	}
	in := payer.PayRequest{InvoiceID: inv.ID, Key: r.PostFormValue("key")}
	in.Card, in.Collected = payer.NewMethodForm(r)
	_, p, err := s.payer().Pay(ctx, payer.HostedPayer(token), in)
	if ue := usererr.From(err); len(ue) > 0 {
		http.Redirect(w, r, "/i/"+token+"?error="+url.QueryEscape(string(ue[0].Code)), http.StatusSeeOther)
		return
	}
	if err != nil {
		s.Logger.ErrorContext(r.Context(), "hosted payment", "request_id", RequestID(r.Context()), "error", err)
		writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
		return
	}
	http.Redirect(w, r, "/i/"+token+"?payment="+url.QueryEscape(p.ID), http.StatusSeeOther)
}

// hostedConfirm answers the 3-D Secure challenge: the simulated one's
// buttons, or the processor's, which its script ran before posting (the
// outcome is then the processor's, asked by billing).
func (s *Server) hostedConfirm(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	inv, ctx, ok := s.hostedTarget(w, r, token)
	if !ok {
		return
	}
	id := r.PostFormValue("payment")
	_, _, err := s.payer().Confirm(ctx, payer.HostedPayer(token), inv.ID, id, r.PostFormValue("outcome") == "approve")
	if ue := usererr.From(err); len(ue) > 0 && ue[0].Code == usererr.NotFound {
		notFoundPage(w)
		return
	}
	if err != nil && len(usererr.From(err)) == 0 {
		writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
		return
	}
	http.Redirect(w, r, "/i/"+token+"?payment="+url.QueryEscape(id), http.StatusSeeOther)
}

// hostedSchedule takes the hosted page's "pay on a date" form: a day, and
// a new card (saved to the customer) or the method already scheduled when
// only the date changes. Back on the page, the outcome and any warning
// (a day after the due date) show.
func (s *Server) hostedSchedule(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	inv, ctx, ok := s.hostedTarget(w, r, token)
	if !ok {
		return
	}
	in := payer.ScheduleRequest{InvoiceID: inv.ID}
	date, err := payer.ParseDate(r.PostFormValue("date"), "date")
	if err == nil {
		in.Date = date
		if m := r.PostFormValue("method"); m != "" && m != "new" {
			in.PaymentMethodID = m
		} else {
			in.Card = payer.CardForm(r)
		}
		var warnings []*usererr.Error
		if _, warnings, err = s.payer().SchedulePayment(ctx, payer.HostedPayer(token), in); err == nil {
			back := "/i/" + token + "?done=scheduled"
			if len(warnings) > 0 {
				back += "&warning=" + url.QueryEscape(string(warnings[0].Code))
			}
			http.Redirect(w, r, back+"#outcome", http.StatusSeeOther)
			return
		}
	}
	s.hostedRefused(w, r, token, "hosted schedule", err)
}

// hostedUnschedule cancels the payment scheduled on the hosted page's
// invoice.
func (s *Server) hostedUnschedule(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	inv, ctx, ok := s.hostedTarget(w, r, token)
	if !ok {
		return
	}
	if _, err := s.payer().CancelScheduledPayment(ctx, payer.HostedPayer(token), inv.ID); err != nil {
		s.hostedRefused(w, r, token, "hosted schedule cancel", err)
		return
	}
	http.Redirect(w, r, "/i/"+token+"?done=unscheduled#outcome", http.StatusSeeOther)
}

// hostedRefused sends the payer back to the page with why a form was
// refused, or answers an internal error.
func (s *Server) hostedRefused(w http.ResponseWriter, r *http.Request, token, what string, err error) {
	if code := payer.PageError(err); code != "" {
		http.Redirect(w, r, "/i/"+token+"?error="+url.QueryEscape(code)+"#outcome", http.StatusSeeOther)
		return
	}
	s.Logger.ErrorContext(r.Context(), what, "request_id", RequestID(r.Context()), "error", err)
	writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
}
