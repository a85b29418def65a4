package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/ent/paymentmethod"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/customers"
	"github.com/remitbilling/remit/internal/document"
	"github.com/remitbilling/remit/internal/ids"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/payerui"
	"github.com/remitbilling/remit/internal/paymentmethods"
	"github.com/remitbilling/remit/internal/payments"
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

// badge is an invoice's standing as the list and the detail show it.
type badge struct{ Text, Class string }

func standingBadge(t map[string]string, inv *ent.Invoice, now time.Time) badge {
	s := billing.StandingOf(inv, now)
	return badge{t[string(s)], strings.ToLower(string(s))}
}

func (q *req) money(minor int64, currency string) string {
	return money.Format(minor, currency, q.lang)
}

func (q *req) date(t time.Time) string { return t.Format(dateLayout(q.lang)) }

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
		Badge                                            badge
	}
	now := q.now()
	var rows []row
	for i, inv := range list {
		if i == pageSize {
			break
		}
		r := row{ID: inv.ID, Total: q.money(inv.Total, inv.Currency), Badge: standingBadge(q.t, inv, now)}
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
	doc, err := h.d.Billing.Document(q.ctx, inv.ID)
	if err != nil {
		h.fail(q.w, q.r, q, "invoice document", err)
		return
	}
	cur := inv.Currency
	f := func(minor int64) string { return q.money(minor, cur) }
	now := q.now()
	v := map[string]any{
		"ID": inv.ID, "Number": doc.Number, "Buyer": doc.Buyer.Name, "Badge": standingBadge(q.t, inv, now),
		"Total": f(doc.Total), "Subtotal": f(doc.Subtotal), "AmountDue": f(billing.AmountRemaining(inv)),
		"IssueDate": q.date(doc.IssueDate), "Void": inv.Status == invoice.StatusVoid, "Active": "invoices",
		"PDFURL": q.base + "/invoices/" + inv.ID + "/pdf", "Memo": doc.Memo,
	}
	if !doc.DueDate.IsZero() {
		v["DueDate"] = q.date(doc.DueDate)
	}
	if doc.Discount != 0 {
		v["Discount"] = f(doc.Discount)
	}
	type tax struct{ Label, Amount string }
	var taxes []tax
	for _, tl := range doc.Taxes {
		label := tl.Label
		if tl.Percentage != "" && !strings.Contains(label, "%") {
			label += " " + tl.Percentage + " %"
		}
		taxes = append(taxes, tax{label, f(tl.Amount)})
	}
	if len(taxes) == 0 && doc.TotalTax != 0 {
		taxes = append(taxes, tax{q.t["Tax"], f(doc.TotalTax)})
	}
	v["Taxes"] = taxes
	if doc.AmountPaid != 0 {
		v["Paid"] = f(doc.AmountPaid)
	}
	type line struct{ Description, Quantity, Amount string }
	var lines []line
	for _, l := range doc.Lines {
		lines = append(lines, line{l.Description, l.Quantity, f(l.Amount)})
	}
	v["Lines"] = lines
	// Installment statuses share the words of invoice standings.
	type installment struct {
		Description, DueDate, Amount string
		Badge                        badge
	}
	var plan []installment
	for i, it := range billing.Installments(inv, now) {
		d := it.Description
		if d == "" {
			d = q.t["Installment"] + " " + strconv.Itoa(i+1)
		}
		due := ""
		if it.DueDate != nil {
			due = q.date(*it.DueDate)
		}
		plan = append(plan, installment{d, due, f(it.Amount), badge{q.t[string(it.Status)], strings.ToLower(string(it.Status))}})
	}
	v["Plan"] = plan
	if err := h.paymentSection(q, inv, v, f); err != nil {
		h.fail(q.w, q.r, q, "invoice payments", err)
		return
	}
	title := q.t["Invoice"] + " " + doc.Number
	h.render(q, http.StatusOK, "invoice", h.view(q, title, v))
}

// paymentSection adds the payments made, the outcome of the last attempt
// and, while money is owed and the merchant allows it, the payment form.
func (h *handler) paymentSection(q *req, inv *ent.Invoice, v map[string]any, f func(int64) string) error {
	pays, err := billing.InvoicePayments(q.ctx, inv)
	if err != nil {
		return err
	}
	type paid struct{ Date, Amount string }
	var done []paid
	for _, p := range pays {
		if p.Status == payment.StatusSucceeded && p.SucceededAt != nil {
			done = append(done, paid{q.date(*p.SucceededAt), f(p.Amount)})
		}
		if p.ID != q.r.URL.Query().Get("payment") {
			continue
		}
		text, kind := payerui.Outcome(p, q.lang, f(p.Amount))
		v["Outcome"], v["OutcomeClass"] = text, string(kind)
		if kind == payerui.KindAction && q.p.Config.PayInvoices {
			v["ConfirmURL"], v["PaymentID"] = q.base+"/invoices/"+inv.ID+"/confirm", p.ID
		}
	}
	v["Payments"] = done
	if code := q.r.URL.Query().Get("error"); code != "" {
		v["Outcome"], v["OutcomeClass"] = errorText(q.t, code), "error"
	}
	if !q.p.Config.PayInvoices || (inv.Status != invoice.StatusOpen && inv.Status != invoice.StatusUncollectible) {
		return nil
	}
	due := billing.PayableNow(inv)
	if len(inv.AmountsDue) > 0 {
		v["DueNow"] = f(due)
	}
	if due <= 0 || !slices.Contains(billing.AcceptedMethodTypes(q.acct, inv), "CARD") {
		return nil
	}
	methods, err := h.d.Methods.List(q.ctx, q.customerID())
	if err != nil {
		return err
	}
	cus, err := h.d.DB.Customer.Get(q.ctx, q.customerID())
	if err != nil {
		return err
	}
	type saved struct {
		ID, Label string
		Default   bool
	}
	var cards []saved
	for _, m := range methods {
		if m.Type != paymentmethod.TypeCard {
			continue
		}
		def := cus.DefaultPaymentMethodID != nil && *cus.DefaultPaymentMethodID == m.ID
		cards = append(cards, saved{m.ID, fmt.Sprintf(q.t["SavedCard"], brandName(m.Brand), m.Last4), def})
	}
	// The default card comes first and is chosen unless the customer
	// picks another.
	slices.SortStableFunc(cards, func(a, b saved) int {
		switch {
		case a.Default == b.Default:
			return 0
		case a.Default:
			return -1
		}
		return 1
	})
	v["Cards"] = cards
	v["PayURL"] = q.base + "/invoices/" + inv.ID + "/pay"
	v["PayLabel"] = fmt.Sprintf(q.t["PayButton"], f(due))
	// One key per rendering: a double submit pays once.
	v["PayKey"] = ids.New("pk", q.now())
	return nil
}

func brandName(b string) string {
	switch strings.ToLower(b) {
	case "visa":
		return "Visa"
	case "mastercard":
		return "Mastercard"
	case "amex", "american express":
		return "American Express"
	case "":
		return "Card"
	}
	return strings.ToUpper(b[:1]) + b[1:]
}

func (h *handler) invoicePDF(q *req) {
	doc, err := h.d.Billing.Document(q.ctx, q.r.PathValue("id"))
	if slices.Contains(usererrCodes(err), string(usererr.NotFound)) {
		h.notFound(q.w, q.r, q)
		return
	}
	if err != nil {
		h.fail(q.w, q.r, q, "invoice document", err)
		return
	}
	if doc.Draft || doc.Number == "" {
		h.notFound(q.w, q.r, q) // drafts are hidden anyway: never print one
		return
	}
	pdf, err := document.Render(q.ctx, doc)
	if err != nil {
		h.fail(q.w, q.r, q, "render invoice pdf", err)
		return
	}
	w := q.w
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+safeFilename(doc.Number)+`.pdf"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(pdf)))
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(pdf)
}

func safeFilename(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r == '/' || r > 0x7e {
			return '_'
		}
		return r
	}, s)
}

// cardInput reads a card form: number, expiry "MM/YY" and cvc.
func cardInput(r *http.Request) *payments.CardInput {
	month, year, _ := strings.Cut(strings.ReplaceAll(r.PostFormValue("expiry"), " ", ""), "/")
	m, _ := strconv.Atoi(month)
	y, _ := strconv.Atoi(year)
	return &payments.CardInput{Number: r.PostFormValue("number"), ExpMonth: m, ExpYear: y, CVC: strings.TrimSpace(r.PostFormValue("cvc"))}
}

func (h *handler) pay(q *req) {
	inv, ok := h.ownInvoice(q)
	if !ok {
		return
	}
	back := "/invoices/" + inv.ID
	key := q.r.PostFormValue("key")
	if key == "" || len(key) > 64 {
		q.redirect(back)
		return
	}
	in := billing.PayInput{InvoiceID: inv.ID, Source: payment.SourcePortal, IdempotencyKey: "portal:" + key}
	if m := q.r.PostFormValue("method"); m != "" && m != "new" {
		in.PaymentMethodID = m
	} else {
		in.Card = cardInput(q.r)
	}
	_, p, err := h.d.Billing.Pay(q.ctx, in)
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

// confirm answers the (simulated) 3-D Secure challenge of a payment.
func (h *handler) confirm(q *req) {
	inv, ok := h.ownInvoice(q)
	if !ok {
		return
	}
	p, err := h.d.DB.Payment.Query().Where(payment.ID(q.r.PostFormValue("payment")), payment.InvoiceID(inv.ID)).Only(q.ctx)
	if ent.IsNotFound(err) {
		h.notFound(q.w, q.r, q)
		return
	}
	if err != nil {
		h.fail(q.w, q.r, q, "load payment", err)
		return
	}
	if _, _, err := h.d.Billing.Confirm(q.ctx, p.ID, q.r.PostFormValue("outcome") == "approve"); err != nil && len(usererr.From(err)) == 0 {
		h.fail(q.w, q.r, q, "confirm payment", err)
		return
	}
	q.redirect("/invoices/" + inv.ID + "?payment=" + url.QueryEscape(p.ID) + "#outcome")
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
		switch m.Type {
		case paymentmethod.TypeCard:
			row.Label = fmt.Sprintf(q.t["SavedCard"], brandName(m.Brand), m.Last4)
			row.Expires = fmt.Sprintf(q.t["Expires"], fmt.Sprintf("%02d/%02d", m.ExpMonth, m.ExpYear%100))
		default:
			row.Label = q.t[string(m.Type)] + " •••• " + m.Last4
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
		v["Error"] = errorText(q.t, code)
	}
	h.render(q, http.StatusOK, "methods", h.view(q, q.t["PaymentMethods"], v))
}

// recent refuses payment method changes on a login over ten minutes old:
// the customer signs in again, then comes back.
func (h *handler) recent(q *req) bool {
	if err := iportal.RequireRecentLogin(q.ctx, q.sess); err != nil {
		q.redirect("/login?m=reauth&next=payment-methods")
		return false
	}
	return true
}

// methodOutcome redirects to the methods page with the outcome of a change.
func (h *handler) methodOutcome(q *req, done string, err error) {
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
	if !h.recent(q) {
		return
	}
	_, err := h.d.Methods.Attach(q.ctx, paymentmethods.AttachInput{
		CustomerID: q.customerID(), Card: cardInput(q.r), SetDefault: q.r.PostFormValue("default") != "",
	})
	h.methodOutcome(q, "added", err)
}

func (h *handler) defaultMethod(q *req) {
	if !h.recent(q) {
		return
	}
	_, err := h.d.Methods.SetDefault(q.ctx, q.customerID(), q.r.PathValue("id"))
	h.methodOutcome(q, "default", err)
}

func (h *handler) removeMethod(q *req) {
	if !h.recent(q) {
		return
	}
	// The data layer finds only the customer's own methods.
	_, err := h.d.Methods.Detach(q.ctx, q.r.PathValue("id"))
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
	_, err := h.d.Customers.Update(q.ctx, q.customerID(), customers.Input{Name: &f.Name, Phone: &f.Phone, Address: &addr})
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
			msg := errorText(q.t, string(e.Code))
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
	list, err := h.d.DB.Payment.Query().Order(ent.Desc(payment.FieldCreatedAt), ent.Desc(payment.FieldID)).Limit(100).All(q.ctx)
	if err != nil {
		h.fail(q.w, q.r, q, "list payments", err)
		return
	}
	var invIDs, pmIDs []string
	for _, p := range list {
		invIDs = append(invIDs, p.InvoiceID)
		if p.PaymentMethodID != nil {
			pmIDs = append(pmIDs, *p.PaymentMethodID)
		}
	}
	invs, err := h.d.DB.Invoice.Query().Where(invoice.IDIn(invIDs...)).All(q.ctx)
	if err != nil {
		h.fail(q.w, q.r, q, "load invoices", err)
		return
	}
	numbers := map[string]string{}
	for _, inv := range invs {
		if inv.Number != nil {
			numbers[inv.ID] = *inv.Number
		}
	}
	pms, err := h.d.DB.PaymentMethod.Query().Where(paymentmethod.IDIn(pmIDs...)).All(q.ctx)
	if err != nil {
		h.fail(q.w, q.r, q, "load payment methods", err)
		return
	}
	methods := map[string]*ent.PaymentMethod{}
	for _, m := range pms {
		methods[m.ID] = m
	}
	type row struct {
		Date, InvoiceID, Number, Amount, Method string
		Badge                                   badge
	}
	var rows []row
	for _, p := range list {
		method := q.t[string(p.MethodType)]
		if p.PaymentMethodID != nil {
			if m := methods[*p.PaymentMethodID]; m != nil && m.Last4 != "" {
				method = brandName(m.Brand) + " •••• " + m.Last4
			}
		}
		rows = append(rows, row{
			Date: q.date(p.CreatedAt), InvoiceID: p.InvoiceID, Number: numbers[p.InvoiceID],
			Amount: q.money(p.Amount, p.Currency), Method: method,
			Badge: badge{q.t[string(p.Status)], strings.ToLower(string(p.Status))},
		})
	}
	h.render(q, http.StatusOK, "payments", h.view(q, q.t["PaymentHistory"], map[string]any{"Rows": rows, "Active": "payments"}))
}
