package web

import (
	"errors"
	"fmt"
	"github.com/remitbilling/remit/internal/clock"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/paymentmethod"
	"github.com/remitbilling/remit/internal/banking"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/customers"
	"github.com/remitbilling/remit/internal/document"
	"github.com/remitbilling/remit/internal/payer"
	"github.com/remitbilling/remit/internal/payer/words"
	iportal "github.com/remitbilling/remit/internal/portal"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/values"
)

// usererrCodes lists the codes of the user errors in err.
func usererrCodes(err error) []string {
	var out []string
	for _, e := range usererr.From(err) {
		out = append(out, string(e.Code))
	}
	return out
}

// pageSize is how many invoices a page of the list shows.
const pageSize = 20

func (q *req) money(minor int64, currency string) string {
	return words.Money(minor, currency, q.lang)
}

func (q *req) date(t time.Time) string { return words.Date(t, q.lang) }

// --- Invoices -----------------------------------------------------------

func (h *handler) invoices(q *req) {
	page, _ := strconv.Atoi(q.r.URL.Query().Get("page"))
	page = max(page, 1)
	// The data layer shows the customer only its own issued invoices.
	list, err := h.d.DB.Invoice.Query().
		Order(ent.Desc(invoice.FieldCreatedAt), ent.Desc(invoice.FieldID)).
		Offset((page - 1) * pageSize).Limit(pageSize + 1).
		All(q.ctx)
	if err != nil {
		h.fail(q.w, q.r, q, "list invoices", err)
		return
	}
	type row struct {
		ID, Number, IssueDate, DueDate, Total, Remaining string
		Badge                                            payer.Badge
	}
	now := q.now()
	var rows []row
	for i, inv := range list {
		if i == pageSize {
			break
		}
		r := row{ID: inv.ID, Total: q.money(inv.Total, inv.Currency), Badge: payer.StandingBadge(inv, q.lang, now)}
		if inv.Number != nil {
			r.Number = *inv.Number
		}
		if inv.FinalizedAt != nil {
			r.IssueDate = q.date(*inv.FinalizedAt)
		}
		if inv.DueDate != nil {
			r.DueDate = q.date(*inv.DueDate)
		}
		if (inv.Status == invoice.StatusOpen || inv.Status == invoice.StatusUncollectible) && billing.AmountRemaining(inv) > 0 {
			r.Remaining = q.money(billing.AmountRemaining(inv), inv.Currency)
		}
		rows = append(rows, r)
	}
	v := map[string]any{"Rows": rows, "Active": "invoices", "Page": strconv.Itoa(page)}
	// The customer's own creditor reference, for money sent without an
	// invoice to quote (payments on account).
	cus, err := h.d.DB.Customer.Get(q.ctx, q.customerID())
	if err != nil {
		h.fail(q.w, q.r, q, "load customer", err)
		return
	}
	v["CustomerReference"] = banking.Printed(cus.CreditorReference())
	// Statements of account: this month so far, and the last twelve months.
	today := clock.Now(q.ctx).UTC()
	month := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	statement := func(from time.Time) string {
		return q.base + "/statement.pdf?" + url.Values{"from": {from.Format(time.RFC3339)}, "to": {today.Format(time.RFC3339)}}.Encode()
	}
	v["StatementMonthURL"], v["StatementYearURL"] = statement(month), statement(month.AddDate(-1, 0, 0))
	if page > 1 {
		v["PrevURL"] = q.base + "/invoices?page=" + strconv.Itoa(page-1)
	}
	if len(list) > pageSize {
		v["NextURL"] = q.base + "/invoices?page=" + strconv.Itoa(page+1)
	}
	h.render(q, http.StatusOK, "invoices", h.view(q, q.t["Invoices"], v))
}

// ownInvoice loads an invoice the customer may see: its own, not a draft.
func (h *handler) ownInvoice(q *req) (*ent.Invoice, bool) {
	inv, err := h.d.DB.Invoice.Query().Where(invoice.ID(q.r.PathValue("id"))).Only(q.ctx)
	if ent.IsNotFound(err) {
		h.notFound(q.w, q.r, q)
		return nil, false
	}
	if err != nil {
		h.fail(q.w, q.r, q, "load invoice", err)
		return nil, false
	}
	return inv, true
}

func (h *handler) invoice(q *req) {
	inv, ok := h.ownInvoice(q)
	if !ok {
		return
	}
	query := q.r.URL.Query()
	v, err := h.payer.View(q.ctx, q.who(), inv, payer.ViewOptions{
		Lang: q.lang, Account: q.acct, Attempt: query.Get("payment"), Error: query.Get("error"),
		Done: query.Get("done"), Warning: query.Get("warning"),
	})
	if err != nil {
		h.fail(q.w, q.r, q, "invoice view", err)
		return
	}
	data := map[string]any{"I": v, "Active": "invoices", "PDFURL": q.base + "/invoices/" + inv.ID + "/pdf", "ProcessorForm": v.UsesProcessorForm()}
	h.render(q, http.StatusOK, "invoice", h.view(q, q.t["Invoice"]+" "+v.Number, data))
}

func (h *handler) invoicePDF(q *req) {
	pdf, doc, err := h.d.Billing.InvoicePDF(q.ctx, q.r.PathValue("id"))
	if slices.Contains(usererrCodes(err), string(usererr.NotFound)) {
		h.notFound(q.w, q.r, q)
		return
	}
	if err != nil {
		h.fail(q.w, q.r, q, "invoice pdf", err)
		return
	}
	if doc.Draft || doc.Number == "" {
		h.notFound(q.w, q.r, q) // drafts are hidden anyway: never serve one
		return
	}
	document.WritePDF(q.w, pdf, doc.Number, true)
}

func (h *handler) pay(q *req) {
	inv, ok := h.ownInvoice(q)
	if !ok {
		return
	}
	back := "/invoices/" + inv.ID
	key := q.r.PostFormValue("key")
	if key == "" {
		q.redirect(back)
		return
	}
	// A saved method, or a new one (the processor form's or Remit's card
	// fields); the payer layer refuses a post naming more than one.
	in := payer.PayRequest{InvoiceID: inv.ID, Key: key}
	if m := q.r.PostFormValue("method"); m != "" && m != "new" {
		in.PaymentMethodID = m
		in.Collected = q.r.PostFormValue("payment_method")
	} else {
		in.Card, in.Collected = payer.NewMethodForm(q.r)
	}
	_, p, err := h.payer.Pay(q.ctx, q.who(), in)
	if codes := usererrCodes(err); len(codes) > 0 {
		q.redirect(back + "?error=" + url.QueryEscape(codes[0]) + "#outcome")
		return
	}
	if err != nil {
		h.fail(q.w, q.r, q, "pay", err)
		return
	}
	q.redirect(back + "?payment=" + url.QueryEscape(p.ID) + "#outcome")
}

// confirm answers the 3-D Secure challenge of a payment: the simulated
// one's buttons, or the processor's, which its script ran before posting
// (billing then asks the processor how it ended).
func (h *handler) confirm(q *req) {
	inv, ok := h.ownInvoice(q)
	if !ok {
		return
	}
	id := q.r.PostFormValue("payment")
	_, _, err := h.payer.Confirm(q.ctx, q.who(), inv.ID, id, q.r.PostFormValue("outcome") == "approve")
	if slices.Contains(usererrCodes(err), string(usererr.NotFound)) {
		h.notFound(q.w, q.r, q)
		return
	}
	if err != nil && len(usererr.From(err)) == 0 {
		h.fail(q.w, q.r, q, "confirm payment", err)
		return
	}
	q.redirect("/invoices/" + inv.ID + "?payment=" + url.QueryEscape(id) + "#outcome")
}

// schedule takes the "pay on a date" form: a day and a saved method, or a
// new card (saved to the customer first, as on the payment methods page).
func (h *handler) schedule(q *req) {
	inv, ok := h.ownInvoice(q)
	if !ok {
		return
	}
	back := "/invoices/" + inv.ID
	date, err := payer.ParseDate(q.r.PostFormValue("date"), "date")
	if err == nil {
		in := payer.ScheduleRequest{InvoiceID: inv.ID, Date: date}
		if m := q.r.PostFormValue("method"); m != "" && m != "new" {
			in.PaymentMethodID = m
		} else {
			in.Card = payer.CardForm(q.r)
		}
		var warnings []*usererr.Error
		if _, warnings, err = h.payer.SchedulePayment(q.ctx, q.who(), in); err == nil {
			done := back + "?done=scheduled"
			if len(warnings) > 0 {
				done += "&warning=" + url.QueryEscape(string(warnings[0].Code))
			}
			q.redirect(done + "#outcome")
			return
		}
	}
	h.scheduleRefused(q, back, err)
}

// unschedule cancels the payment scheduled on an invoice.
func (h *handler) unschedule(q *req) {
	inv, ok := h.ownInvoice(q)
	if !ok {
		return
	}
	back := "/invoices/" + inv.ID
	if _, err := h.payer.CancelScheduledPayment(q.ctx, q.who(), inv.ID); err != nil {
		h.scheduleRefused(q, back, err)
		return
	}
	q.redirect(back + "?done=unscheduled#outcome")
}

// scheduleRefused sends the customer back to the invoice with why a
// schedule was refused; saving a new card may first need a fresh login.
func (h *handler) scheduleRefused(q *req, back string, err error) {
	if errors.Is(err, iportal.ErrReauthenticate) {
		q.redirect("/login?m=reauth&next=invoices")
		return
	}
	if errors.Is(err, iportal.ErrFeatureOff) {
		h.message(q.w, q.r, q, http.StatusForbidden, "Forbidden", "ForbiddenHelp")
		return
	}
	if code := payer.PageError(err); code != "" {
		q.redirect(back + "?error=" + url.QueryEscape(code) + "#outcome")
		return
	}
	h.fail(q.w, q.r, q, "schedule payment", err)
}

// --- Payment methods ----------------------------------------------------

func (h *handler) methods(q *req) {
	list, err := h.d.Methods.List(q.ctx, q.customerID())
	if err != nil {
		h.fail(q.w, q.r, q, "list payment methods", err)
		return
	}
	cus, err := h.d.DB.Customer.Get(q.ctx, q.customerID())
	if err != nil {
		h.fail(q.w, q.r, q, "load customer", err)
		return
	}
	type method struct {
		ID, Label, Expires string
		Default            bool
	}
	var rows []method
	for _, m := range list {
		row := method{ID: m.ID, Default: cus.DefaultPaymentMethodID != nil && *cus.DefaultPaymentMethodID == m.ID}
		row.Label = payer.MethodLabel(m, q.lang)
		if m.Type == paymentmethod.TypeCard {
			row.Expires = fmt.Sprintf(q.t["Expires"], fmt.Sprintf("%02d/%02d", m.ExpMonth, m.ExpYear%100))
		}
		rows = append(rows, row)
	}
	v := map[string]any{"Methods": rows, "Active": "methods"}
	switch q.r.URL.Query().Get("done") {
	case "added":
		v["Done"] = q.t["PMAdded"]
	case "removed":
		v["Done"] = q.t["PMRemoved"]
	case "default":
		v["Done"] = q.t["PMDefaulted"]
	}
	if code := q.r.URL.Query().Get("error"); code != "" {
		v["Error"] = words.Error(q.lang, code)
	}
	// With a processor collecting details itself, a card is added through
	// its form, confirming a setup session started when the customer asks
	// to add one (?add=1): a session per page view would pile up unused
	// at the processor. Without one, through Remit's card fields.
	collects, err := h.payer.CollectsDetails(q.ctx)
	if err != nil {
		h.fail(q.w, q.r, q, "payment method setup", err)
		return
	}
	if collects && q.r.URL.Query().Get("add") == "" {
		v["AddURL"] = q.base + "/payment-methods?add=1#add-title"
		h.render(q, http.StatusOK, "methods", h.view(q, q.t["PaymentMethods"], v))
		return
	}
	setup, err := h.payer.MethodSetup(q.ctx, q.who(), q.acct)
	switch {
	case errors.Is(err, iportal.ErrReauthenticate):
		// No session can start on a stale login: the page asks for a new
		// one instead of a form that would only send the customer there.
		v["Reauth"] = true
	case len(usererr.From(err)) > 0:
		v["SetupError"] = words.Error(q.lang, usererrCodes(err)[0])
	case err != nil:
		h.fail(q.w, q.r, q, "payment method setup", err)
		return
	case setup != nil:
		v["Setup"], v["ProcessorForm"] = setup, true
	}
	h.render(q, http.StatusOK, "methods", h.view(q, q.t["PaymentMethods"], v))
}

// methodOutcome redirects to the methods page with the outcome of a change.
func (h *handler) methodOutcome(q *req, done string, err error) {
	if errors.Is(err, iportal.ErrReauthenticate) {
		// The customer signs in again, then comes back.
		q.redirect("/login?m=reauth&next=payment-methods")
		return
	}
	if codes := usererrCodes(err); len(codes) > 0 {
		q.redirect("/payment-methods?error=" + url.QueryEscape(codes[0]))
		return
	}
	if err != nil {
		h.fail(q.w, q.r, q, "payment method", err)
		return
	}
	q.redirect("/payment-methods?done=" + done)
}

func (h *handler) addMethod(q *req) {
	setDefault := q.r.PostFormValue("default") != ""
	var err error
	if card, collected := payer.NewMethodForm(q.r); collected != "" {
		// The processor's form confirmed the setup session.
		_, err = h.payer.AddCollected(q.ctx, q.who(), collected, setDefault)
	} else {
		_, err = h.payer.AddCard(q.ctx, q.who(), card, setDefault)
	}
	h.methodOutcome(q, "added", err)
}

func (h *handler) defaultMethod(q *req) {
	_, err := h.payer.SetDefault(q.ctx, q.who(), q.r.PathValue("id"))
	h.methodOutcome(q, "default", err)
}

func (h *handler) removeMethod(q *req) {
	_, err := h.payer.RemoveCard(q.ctx, q.who(), q.r.PathValue("id"))
	h.methodOutcome(q, "removed", err)
}

// --- Billing details ----------------------------------------------------

// billingForm is the billing details form as shown or as posted.
type billingForm struct {
	Name, Email, Phone                             string
	Line1, Line2, City, PostalCode, State, Country string
}

func (h *handler) billingPage(q *req) {
	cus, err := h.d.DB.Customer.Get(q.ctx, q.customerID())
	if err != nil {
		h.fail(q.w, q.r, q, "load customer", err)
		return
	}
	f := billingForm{Name: cus.Name, Email: cus.Email, Phone: cus.Phone}
	if a := cus.Address; a != nil {
		f.Line1, f.Line2, f.City, f.PostalCode, f.State, f.Country = a.Line1, a.Line2, a.City, a.PostalCode, a.State, a.Country
	}
	v := map[string]any{"Form": f, "Active": "billing"}
	if q.r.URL.Query().Get("saved") != "" {
		v["Done"] = q.t["Saved"]
	}
	h.render(q, http.StatusOK, "billing", h.view(q, q.t["BillingDetails"], v))
}

func (h *handler) updateBilling(q *req) {
	r := q.r
	val := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	// Any posted email is ignored: the email is how the customer signs in.
	f := billingForm{
		Name: val("name"), Phone: val("phone"), Line1: val("line1"), Line2: val("line2"), City: val("city"),
		PostalCode: val("postal_code"), State: val("state"), Country: strings.ToUpper(val("country")),
	}
	addr := values.Address{Line1: f.Line1, Line2: f.Line2, City: f.City, PostalCode: f.PostalCode, State: f.State, Country: f.Country}
	_, err := h.payer.UpdateBilling(q.ctx, q.who(), customers.Input{Name: &f.Name, Phone: &f.Phone, Address: &addr})
	if ue := usererr.From(err); len(ue) > 0 {
		cus, gerr := h.d.DB.Customer.Get(q.ctx, q.customerID())
		if gerr != nil {
			h.fail(q.w, q.r, q, "load customer", gerr)
			return
		}
		f.Email = cus.Email
		var msgs []string
		bad := map[string]bool{}
		for _, e := range ue {
			msg := words.Error(q.lang, string(e.Code))
			if !slices.Contains(msgs, msg) {
				msgs = append(msgs, msg)
			}
			if len(e.Field) > 0 {
				bad[e.Field[len(e.Field)-1]] = true
			}
		}
		v := map[string]any{"Form": f, "Errors": msgs, "Bad": bad, "Active": "billing"}
		h.render(q, http.StatusUnprocessableEntity, "billing", h.view(q, q.t["BillingDetails"], v))
		return
	}
	if err != nil {
		h.fail(q.w, q.r, q, "update billing details", err)
		return
	}
	q.redirect("/billing?saved=1")
}

// --- Payment history ----------------------------------------------------

func (h *handler) payments(q *req) {
	rows, err := h.payer.History(q.ctx, q.who(), q.lang)
	if err != nil {
		h.fail(q.w, q.r, q, "payment history", err)
		return
	}
	h.render(q, http.StatusOK, "payments", h.view(q, q.t["PaymentHistory"], map[string]any{"Rows": rows, "Active": "payments"}))
}
