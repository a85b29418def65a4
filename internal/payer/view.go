package payer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/ent/paymentmethod"
	"github.com/remitbilling/remit/ent/refund"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/branding"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/document"
	"github.com/remitbilling/remit/internal/ids"
	"github.com/remitbilling/remit/internal/payer/words"
	"github.com/remitbilling/remit/internal/payments"
	"github.com/remitbilling/remit/internal/viewer"
)

// Badge is a status as the payer reads it: its words and a class for its
// colour.
type Badge struct{ Text, Class string }

// StandingBadge is an invoice's standing at now, in lang.
func StandingBadge(inv *ent.Invoice, lang string, now time.Time) Badge {
	s := string(billing.StandingOf(inv, now))
	return Badge{words.T(lang)[s], strings.ToLower(s)}
}

// Line, Tax, Installment and Paid are rows of the view, every amount and
// date already written for the payer.
type (
	Line        struct{ Description, Quantity, Amount string }
	Tax         struct{ Label, Amount string }
	Installment struct {
		Description, DueDate, Amount string
		Badge                        Badge
	}
	// Paid is money received: a payment through Remit, or one the
	// merchant recorded as received outside Remit (Method then says how).
	Paid struct{ Date, Amount, Method string }
)

// Notice is a sentence shown above the invoice; Class is ok, error or
// action.
type Notice struct{ Text, Class string }

// Confirm is the 3-D Secure confirmation awaited on a payment: the
// payment, the sentence naming its amount, and where the answer goes.
// Collect is set when the processor runs the challenge in the payer's
// browser (Stripe.js): the page starts it, then posts the form.
type Confirm struct {
	PaymentID, Text, URL string
	Collect              *Collect
}

// Intents of the processor's own form.
const (
	// IntentPayment collects a method to pay with now: the form posts
	// the processor's method id (payment_method) in place of card fields.
	IntentPayment = "payment"
	// IntentSetup saves a method: the form confirms ClientSecret's setup
	// session, then posts the method id.
	IntentSetup = "setup"
	// IntentAction finishes a payment awaiting the payer (3-D Secure)
	// with ClientSecret, then posts the confirm form.
	IntentAction = "action"
)

// Collect is the processor's own form, shown in place of Remit's card
// fields when the processor collects details itself (Stripe's Payment
// Element): card numbers then go from the payer's browser to the
// processor only, and the page posts back the method id it returns.
type Collect struct {
	PublishableKey string
	Intent         string
	// ClientSecret is the setup or payment session the form confirms
	// (IntentSetup, IntentAction).
	ClientSecret string
	// Amount (minor units) and Currency (lower case) are what the form
	// says it pays (IntentPayment).
	Amount   int64
	Currency string
}

// Card is a saved card the pay form offers; the default comes first.
type Card struct {
	ID, Label string
	Default   bool
}

// PayForm is the form that pays what is due now.
type PayForm struct {
	URL, Label string
	// Key is the form's idempotency key: one per rendering, so a double
	// submit pays once.
	Key   string
	Cards []Card
	// Collect replaces the card fields when the processor collects
	// details itself.
	Collect *Collect
}

// Scheduled is the payment the customer scheduled, as the payer reads it:
// its day, the method charged and the amount (what is due that day, when
// no amount was chosen), with where to cancel it ("" when the payer may
// not).
type Scheduled struct {
	Title, Date, Method, Amount string
	CancelURL                   string
}

// ScheduleForm is the form that schedules a payment for a date, or
// changes the one scheduled.
type ScheduleForm struct {
	URL, Label string
	// Min and Max bound the date (YYYY-MM-DD); Value is the day shown
	// first: the one scheduled, else the day the payment is due by when
	// it can be chosen.
	Min, Max, Value string
	// OnTime tells, before the payer chooses, the day after which the
	// payment is late ("" without a due date).
	OnTime string
	// Methods are the saved methods the payer may choose, the one
	// scheduled (else the default) first; NewCard offers a new card,
	// saved to the customer.
	Methods []Card
	NewCard bool
}

// CreditNote is a credit note of the invoice, as the payer reads it, with
// where its PDF is (URL, empty when the surface has none).
type CreditNote struct {
	Number, Date, Amount, Reason, URL string
	Void                              bool
}

// Replacement points from a revised invoice to the invoice that replaced
// it.
type Replacement struct{ Text, URL string }

// Invoice is the payer's view of an invoice, in one language.
type Invoice struct {
	Lang                            string
	ID, Number, Seller, Buyer, Memo string
	Badge                           Badge
	IssueDate, DueDate              string
	Total, Subtotal, Discount, Paid string
	Tax                             string
	Taxes                           []Tax
	Lines                           []Line
	// AmountDue is what remains to pay while the invoice is payable, else
	// its amount due.
	AmountDue string
	// Settled says when and how a paid invoice was paid ("Paid on Nov 28,
	// 2026 — Card"); the page then shows the total paid, not 0.00 due.
	Settled  string
	Plan     []Installment
	Payments []Paid
	// DueNow says what the next installment of a plan asks, as a sentence.
	DueNow       string
	Outcome      *Notice
	Confirm      *Confirm
	Pay          *PayForm
	BankTransfer string
	// Transfer is the account to pay into and the reference to quote
	// while money is owed and transfers are accepted (billing's one view
	// of them); TransferQR its EPC QR code, markup made by
	// internal/banking.
	Transfer   *document.BankTransfer
	TransferQR template.HTML
	Void       bool
	Replaced   *Replacement
	// CreditNotes correcting the invoice, oldest first; Credited is what
	// they took off the amount due ("" when nothing).
	CreditNotes []CreditNote
	Credited    string
	// Warning is what the payer should know of what they just did (a
	// payment scheduled after the due date).
	Warning *Notice
	// Scheduled is the payment the customer scheduled; Schedule the form
	// that schedules one, or changes it.
	Scheduled *Scheduled
	Schedule  *ScheduleForm
	// Colors are the seller's brand colours with the text colour readable
	// on each; Logo is the seller's logo as a data: URL ("" without one).
	Colors document.Colors
	Logo   string
}

// ViewOptions say what the page shows besides the invoice.
type ViewOptions struct {
	// Lang is the payer's language; "" reads the invoice's own (its PDF's).
	Lang string
	// Account is the invoice's account (payment settings).
	Account *ent.Account
	// Attempt is a payment whose outcome to tell (after a redirect).
	Attempt string
	// Error is a user error code to explain (after a refused form).
	Error string
	// Done is a payer action to confirm (after a redirect): "scheduled"
	// or "unscheduled".
	Done string
	// Warning is a warning code of that action to explain
	// (SCHEDULED_AFTER_DUE_DATE).
	Warning string
}

// View builds the payer's view of inv. ctx acts for the payer (the
// hosted link's account, or the portal's customer).
func (s *Service) View(ctx context.Context, who Payer, inv *ent.Invoice, o ViewOptions) (*Invoice, error) {
	if o.Account == nil {
		return nil, errors.New("payer view: no account given")
	}
	doc, err := s.d.Billing.Document(ctx, inv.ID)
	if err != nil {
		return nil, err
	}
	if o.Lang == "" {
		o.Lang = doc.Locale
	}
	lang := words.Lang(o.Lang)
	t := words.T(lang)
	now := clock.Now(ctx)
	f := func(minor int64) string { return words.Money(minor, inv.Currency, lang) }
	payable := inv.Status == invoice.StatusOpen || inv.Status == invoice.StatusUncollectible
	v := &Invoice{
		Lang: lang, ID: inv.ID, Number: doc.Number, Seller: doc.Seller.Name, Buyer: doc.Buyer.Name, Memo: doc.Memo,
		Badge: StandingBadge(inv, lang, now), IssueDate: words.Date(doc.IssueDate, lang),
		Total: f(doc.Total), Subtotal: f(doc.Subtotal), AmountDue: f(doc.AmountDue),
		Void: inv.Status == invoice.StatusVoid, Colors: document.BrandColors(doc.Branding),
	}
	if len(doc.Branding.Logo) > 0 {
		v.Logo = branding.DataURI(doc.Branding.LogoMIME, doc.Branding.Logo)
	}
	if payable {
		v.AmountDue = f(billing.AmountRemaining(inv))
	}
	if inv.Status == invoice.StatusPaid {
		v.Settled = Settled(doc.Paid, lang)
	}
	if !doc.DueDate.IsZero() {
		v.DueDate = words.Date(doc.DueDate, lang)
	}
	if doc.Discount != 0 {
		v.Discount = f(doc.Discount)
	}
	if doc.TotalTax != 0 {
		v.Tax = f(doc.TotalTax)
	}
	if doc.AmountPaid != 0 {
		v.Paid = f(doc.AmountPaid)
	}
	if doc.CreditNotes != 0 {
		v.Credited = f(doc.CreditNotes)
	}
	for _, tl := range doc.Taxes {
		label := tl.Label
		if tl.Percentage != "" && !strings.Contains(label, "%") {
			label += " " + tl.Percentage + " %"
		}
		v.Taxes = append(v.Taxes, Tax{label, f(tl.Amount)})
	}
	if len(v.Taxes) == 0 && doc.TotalTax != 0 {
		v.Taxes = append(v.Taxes, Tax{t["Tax"], f(doc.TotalTax)})
	}
	for _, l := range doc.Lines {
		v.Lines = append(v.Lines, Line{l.Description, l.Quantity, f(l.Amount)})
	}
	// Installment statuses share the words of invoice standings.
	for i, it := range billing.Installments(inv, now) {
		d := it.Description
		if d == "" {
			d = t["Installment"] + " " + strconv.Itoa(i+1)
		}
		due := ""
		if it.DueDate != nil {
			due = words.Date(*it.DueDate, lang)
		}
		v.Plan = append(v.Plan, Installment{d, due, f(it.Amount), Badge{t[string(it.Status)], strings.ToLower(string(it.Status))}})
	}
	if err := s.replacement(ctx, who, inv, v); err != nil {
		return nil, err
	}
	if err := s.creditNotes(ctx, who, inv, v); err != nil {
		return nil, err
	}
	pays, err := billing.InvoicePayments(ctx, inv)
	if err != nil {
		return nil, err
	}
	if who.Allows(FeatureHistory) {
		var refunds []*ent.Refund
		if slices.ContainsFunc(pays, func(p *ent.Payment) bool { return p.AmountRefunded > 0 || p.AmountRefundPending > 0 }) {
			if refunds, err = billing.InvoiceRefunds(ctx, inv); err != nil {
				return nil, err
			}
		}
		v.Payments = received(inv, pays, refunds, lang)
	}
	canPay := who.Allows(FeaturePay)
	var awaiting *ent.Payment
	for _, p := range pays {
		if p.Status == payment.StatusRequiresAction {
			awaiting = p
		}
		if p.ID == o.Attempt && o.Attempt != "" {
			text, kind := words.Outcome(p, lang, f(p.Amount))
			v.Outcome = &Notice{text, string(kind)}
		}
	}
	if o.Error != "" {
		v.Outcome = &Notice{words.Error(lang, o.Error), "error"}
	}
	if !payable {
		return v, nil
	}
	accepted := billing.AcceptedMethodTypes(o.Account, inv)
	v.BankTransfer = BankTransfer(o.Account, inv)
	if billing.AmountRemaining(inv) > 0 {
		if v.Transfer = billing.BankTransferOf(o.Account, inv, clock.Now(ctx)); v.Transfer != nil {
			v.TransferQR = template.HTML(v.Transfer.QRCode) // numbers only: see banking.QRCodeSVG
		}
	}
	if err := s.scheduled(ctx, who, inv, v, o); err != nil {
		return nil, err
	}
	if !canPay {
		return v, nil
	}
	// Whether the processor's own form takes the place of Remit's card
	// fields, in every form below.
	collects, err := s.collector(ctx)
	if err != nil {
		return nil, err
	}
	due := billing.PayableNow(inv)
	if len(inv.AmountsDue) > 0 && due > 0 {
		v.DueNow = fmt.Sprintf(t["DueNow"], f(due))
	}
	if awaiting != nil {
		// While the bank's confirmation of a payment is awaited, that
		// payment is the one to finish: offering the next installment
		// beside it would ask the payer to pay twice.
		v.DueNow = ""
		if url := who.invoiceURL(inv.ID); url != "" {
			v.Confirm = &Confirm{PaymentID: awaiting.ID, Text: fmt.Sprintf(t["ConfirmAmount"], f(awaiting.Amount)), URL: url + "/confirm"}
			if v.Confirm.Collect, err = s.actionForm(ctx, collects, awaiting); err != nil {
				return nil, err
			}
		}
		return v, nil
	}
	if err := s.scheduleForm(ctx, who, inv, v, accepted, collects != nil); err != nil {
		return nil, err
	}
	if due <= 0 || !slices.Contains(accepted, "CARD") {
		return v, nil
	}
	url := who.invoiceURL(inv.ID)
	if url == "" {
		return v, nil
	}
	v.Pay = &PayForm{URL: url + "/pay", Label: fmt.Sprintf(t["PayButton"], f(due)), Key: ids.New("pk", now)}
	if collects != nil {
		v.Pay.Collect = &Collect{PublishableKey: collects.PublishableKey(), Intent: IntentPayment, Amount: due, Currency: strings.ToLower(inv.Currency)}
	}
	if who.Surface == Portal {
		v.Pay.Cards, err = s.cards(ctx, who, lang)
		if err != nil {
			return nil, err
		}
	}
	return v, nil
}

// collector is the viewer's processor when it collects details with its
// own form, else nil.
func (s *Service) collector(ctx context.Context) (payments.Collecting, error) {
	if s.d.Processors == nil {
		return nil, nil
	}
	v, _ := viewer.FromContext(ctx)
	proc, err := s.d.Processors.For(ctx, v.AccountID, v.Mode)
	if err != nil {
		return nil, err
	}
	c, _ := proc.(payments.Collecting)
	return c, nil
}

// actionForm is how the payer's browser finishes p with the processor's
// own script (c), or nil when Remit's page asks (the simulator's
// challenge, c nil).
func (s *Service) actionForm(ctx context.Context, c payments.Collecting, p *ent.Payment) (*Collect, error) {
	if c == nil {
		return nil, nil
	}
	secret, err := s.d.Billing.ActionSecret(ctx, p)
	if err != nil || secret == "" {
		return nil, err
	}
	return &Collect{PublishableKey: c.PublishableKey(), Intent: IntentAction, ClientSecret: secret}, nil
}

// UsesProcessorForm reports whether a view shows the processor's own
// form, so the page admits its script (ContentSecurityPolicy).
func (v *Invoice) UsesProcessorForm() bool {
	return (v.Pay != nil && v.Pay.Collect != nil) || (v.Confirm != nil && v.Confirm.Collect != nil)
}

// replacement points a revised invoice to the invoice that replaced it,
// where the payer can open it.
func (s *Service) replacement(ctx context.Context, who Payer, inv *ent.Invoice, v *Invoice) error {
	if inv.LatestRevisionID == nil {
		return nil
	}
	rev, err := s.d.DB.Invoice.Query().Where(invoice.ID(*inv.LatestRevisionID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil // a draft revision: nothing to point to yet
	}
	if err != nil {
		return fmt.Errorf("load revision: %w", err)
	}
	if rev.Number == nil {
		return nil
	}
	r := &Replacement{Text: fmt.Sprintf(words.T(v.Lang)["Replaced"], *rev.Number)}
	switch {
	case who.Surface == Portal:
		r.URL = who.invoiceURL(rev.ID)
	case rev.HostedToken != nil && rev.HostedTokenExpiresAt != nil && clock.Now(ctx).Before(*rev.HostedTokenExpiresAt):
		r.URL = "/i/" + *rev.HostedToken
	}
	v.Replaced = r
	return nil
}

// received lists the money an invoice received, oldest first: its
// succeeded payments and what the merchant recorded as paid outside Remit.
func received(inv *ent.Invoice, pays []*ent.Payment, refunds []*ent.Refund, lang string) []Paid {
	type row struct {
		at time.Time
		p  Paid
	}
	var rows []row
	for _, p := range pays {
		if p.Status == payment.StatusSucceeded && p.SucceededAt != nil {
			method := words.T(lang)[string(p.MethodType)]
			if p.MethodType == payment.MethodTypeOutOfBand {
				method = OutsideMethod(p.OutOfBandMethod, p.Reference, lang)
			}
			rows = append(rows, row{*p.SucceededAt, Paid{words.Date(*p.SucceededAt, lang), words.Money(p.Amount, p.Currency, lang), method}})
		}
	}
	// Money given back, as a negative row: refunds done or under way
	// (a failed one gave nothing back).
	t := words.T(lang)
	for _, r := range refunds {
		if r.Status == refund.StatusFailed {
			continue
		}
		how := fmt.Sprintf(t["RefundTo"], t[string(methodTypeOf(pays, r.PaymentID))])
		if r.Status == refund.StatusPending {
			how += " — " + t["REFUND_PENDING"]
		}
		rows = append(rows, row{r.CreatedAt, Paid{words.Date(r.CreatedAt, lang), words.Money(-r.Amount, r.Currency, lang), how}})
	}
	if o := Outside(inv, pays); o != nil {
		rows = append(rows, row{o.PaidAt, Paid{words.Date(o.PaidAt, lang), words.Money(o.Amount, o.Currency, lang), OutsideMethod(o.Method, o.Reference, lang)}})
	}
	slices.SortStableFunc(rows, func(a, b row) int { return cmp.Compare(a.at.UnixNano(), b.at.UnixNano()) })
	out := make([]Paid, len(rows))
	for i, r := range rows {
		out[i] = r.p
	}
	return out
}

// methodTypeOf is how payment id of pays was made.
func methodTypeOf(pays []*ent.Payment, id string) payment.MethodType {
	for _, p := range pays {
		if p.ID == id {
			return p.MethodType
		}
	}
	return payment.MethodTypeCard
}

// OutsidePayment is money the merchant recorded as received outside
// Remit (invoiceMarkPaid): how, when, and how much.
type OutsidePayment struct {
	Method, Reference string
	PaidAt            time.Time
	Amount            int64
	Currency          string
}

// Outside is what inv received outside Remit that no payment records:
// marking it paid settles what its succeeded payments (pays) left (nil
// when nothing; since invoiceMarkPaid records a payment too, nil for
// invoices marked paid since).
func Outside(inv *ent.Invoice, pays []*ent.Payment) *OutsidePayment {
	oob := inv.OutOfBandPayment
	if oob == nil {
		return nil
	}
	var through int64
	for _, p := range pays {
		if p.Status == payment.StatusSucceeded {
			through += p.Amount
		}
	}
	if inv.AmountPaid <= through {
		return nil
	}
	return &OutsidePayment{Method: oob.Method, Reference: oob.Reference, PaidAt: oob.PaidAt, Amount: inv.AmountPaid - through, Currency: inv.Currency}
}

// PaidOutside is all inv received outside Remit, as invoiceMarkPaid
// recorded it (nil when it was not marked paid): the payments recorded
// outside Remit (method type OUT_OF_BAND) and, for invoices marked paid
// before those were payments, what its own payments left.
func PaidOutside(inv *ent.Invoice, pays []*ent.Payment) *OutsidePayment {
	through := make([]*ent.Payment, 0, len(pays))
	for _, p := range pays {
		if p.MethodType != payment.MethodTypeOutOfBand {
			through = append(through, p)
		}
	}
	return Outside(inv, through)
}

// Settled says when and how a paid invoice was paid, in lang.
func Settled(p *document.Settlement, lang string) string {
	t := words.T(lang)
	if p == nil || p.At.IsZero() {
		return t["PAID"]
	}
	var how []string
	for _, m := range p.Methods {
		if s := t[m]; s != "" {
			how = append(how, s)
		} else {
			how = append(how, t["other"])
		}
	}
	if p.Recorded != "" {
		how = append(how, fmt.Sprintf(t["RecordedBySeller"], OutsideMethod(p.Recorded, p.Reference, lang)))
	}
	date := words.Date(p.At, lang)
	if len(how) == 0 {
		return fmt.Sprintf(t["PaidOn"], date)
	}
	return fmt.Sprintf(t["PaidVia"], date, strings.Join(how, ", "))
}

// BankTransfer is how to pay inv by bank transfer: the account's
// instructions while money is owed and the invoice takes transfers; ""
// otherwise.
func BankTransfer(acct *ent.Account, inv *ent.Invoice) string {
	if inv.Status != invoice.StatusOpen && inv.Status != invoice.StatusUncollectible {
		return ""
	}
	if billing.AmountRemaining(inv) <= 0 || !slices.Contains(billing.AcceptedMethodTypes(acct, inv), "BANK_TRANSFER") {
		return ""
	}
	return acct.BankTransferInstructions
}

// OutsideMethod says how a payment recorded outside Remit was made
// ("Bank transfer, reference VIR-1").
func OutsideMethod(method, reference, lang string) string {
	t := words.T(lang)
	s := t[method]
	if s == "" {
		s = t["other"]
	}
	if reference != "" {
		s += ", " + fmt.Sprintf(t["ReferenceOf"], reference)
	}
	return s
}

// cards lists the customer's saved cards for the pay form, the default
// first.
func (s *Service) cards(ctx context.Context, who Payer, lang string) ([]Card, error) {
	cards, err := s.savedMethods(ctx, who, lang, func(m *ent.PaymentMethod) bool { return m.Type == paymentmethod.TypeCard })
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(cards, func(a, b Card) int {
		switch {
		case a.Default == b.Default:
			return 0
		case a.Default:
			return -1
		}
		return 1
	})
	return cards, nil
}

// savedMethods lists the customer's saved methods that keep accepts, in
// the order they are listed, each saying whether it is the default.
func (s *Service) savedMethods(ctx context.Context, who Payer, lang string, keep func(*ent.PaymentMethod) bool) ([]Card, error) {
	methods, err := s.d.Methods.List(ctx, who.CustomerID())
	if err != nil {
		return nil, err
	}
	cus, err := s.d.DB.Customer.Get(ctx, who.CustomerID())
	if err != nil {
		return nil, err
	}
	var out []Card
	for _, m := range methods {
		if !keep(m) {
			continue
		}
		def := cus.DefaultPaymentMethodID != nil && *cus.DefaultPaymentMethodID == m.ID
		out = append(out, Card{m.ID, MethodLabel(m, lang), def})
	}
	return out, nil
}

// MethodLabel names a saved method for the payer ("Visa ending in 4242").
func MethodLabel(m *ent.PaymentMethod, lang string) string { return words.MethodName(m, lang) }

// BrandName is a card brand as printed on cards.
func BrandName(b string) string { return words.BrandName(b) }
