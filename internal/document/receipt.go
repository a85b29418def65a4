package document

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/remitbilling/remit/internal/money"

	"github.com/remitbilling/remit/internal/values"
)

// Receipt is what the receipt of one payment of an invoice prints: who
// was paid and by whom, how much, when and how, and where the invoice
// stands after it. Like Invoice it is a plain snapshot the billing layer
// fills; the same Receipt always gives the same bytes.
type Receipt struct {
	// Number identifies the receipt (the billing layer uses the
	// payment's id).
	Number string
	// InvoiceNumber is the number of the invoice the payment paid.
	InvoiceNumber string
	// PaidAt is when the payment succeeded (or, for money recorded by the
	// seller, when it was received); it also dates the PDF.
	PaidAt time.Time

	Currency string
	Locale   string
	PageSize string

	Seller Party
	Buyer  Party

	// Amount is the payment's amount, in minor units of Currency.
	Amount int64
	Method PaymentMethod
	// AmountDue is what the invoice asks (after credit from the customer's
	// balance and credit notes); PaidToDate what its payments up to and
	// including this one paid; Remaining what is left to pay.
	AmountDue  int64
	PaidToDate int64
	Remaining  int64

	Branding Branding
}

// PaymentMethod is how a payment was made.
type PaymentMethod struct {
	// Type is CARD, SEPA_DEBIT, ACH_DEBIT, or OUT_OF_BAND for money the
	// seller recorded as received outside Remit.
	Type string
	// Brand ("visa") and Last4 identify a card; Last4 alone a bank
	// account.
	Brand string
	Last4 string
	// OutOfBand is how money recorded by the seller came
	// ("bank_transfer", "check", …; see Settlement.Recorded), with its
	// Reference.
	OutOfBand string
	Reference string
}

// Describe says how the payment was made, in the language of locale, as a
// sentence continues it: "Visa •••• 4242", "SEPA Direct Debit •••• 3000",
// "check (ref. 42), recorded by the seller".
func (m PaymentMethod) Describe(locale string) string {
	return m.describe(resolveLang(locale))
}

func (m PaymentMethod) describe(lg *lang) string {
	l := &lg.l
	typ := strings.ToUpper(strings.TrimSpace(m.Type))
	last4 := strings.TrimSpace(m.Last4)
	switch {
	case typ == "OUT_OF_BAND":
		return settlement(l, &Settlement{Recorded: firstNonEmpty(m.OutOfBand, "other"), Reference: m.Reference})
	case typ == "CARD" && last4 != "":
		return values.CardBrand(m.Brand) + " •••• " + last4
	case last4 != "":
		return methodName(l, typ) + " •••• " + last4
	}
	return methodName(l, typ)
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

//go:embed assets/receipt.html.tmpl
var receiptAssets embed.FS

// receiptRenderer typesets receipts with their own template and the
// invoice's style sheet.
var receiptRenderer = sync.OnceValues(func() (*Renderer, error) {
	tmpl, err := template.ParseFS(receiptAssets, "assets/receipt.html.tmpl")
	if err != nil {
		return nil, fmt.Errorf("document: parse receipt template: %w", err)
	}
	css, err := assets.ReadFile("assets/invoice.css")
	if err != nil {
		return nil, fmt.Errorf("document: read style sheet: %w", err)
	}
	return &Renderer{tmpl: tmpl, css: string(css)}, nil
})

// RenderReceipt returns rc as a one-page PDF/A-3b document, with the
// engine, fonts, branding and words of the invoices (see Render: the
// same determinism, serialization and logo fallback). Errors wrapping
// ErrInvalidInvoice are the caller's.
func RenderReceipt(ctx context.Context, rc Receipt) ([]byte, error) {
	r, err := receiptRenderer()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v, err := buildReceiptView(&rc)
	if err != nil {
		return nil, err
	}
	if v.logoErr != nil {
		warnReceiptLogo(ctx, &rc, v.logoErr)
	}
	created := rc.PaidAt
	pdf, err := r.typeset(ctx, v, 0, created)
	if err == nil || !v.hasLogo() || ctx.Err() != nil {
		return pdf, err
	}
	warnReceiptLogo(ctx, &rc, err)
	v.dropLogo()
	return r.typeset(ctx, v, 0, created)
}

func warnReceiptLogo(ctx context.Context, rc *Receipt, err error) {
	slog.WarnContext(ctx, "document: the account's logo cannot be printed; the receipt is rendered without it",
		"receipt", rc.Number, "logo_type", rc.Branding.LogoMIME, "logo_bytes", len(rc.Branding.Logo), "error", err)
}

// buildReceiptView validates rc and formats it for the receipt template.
func buildReceiptView(rc *Receipt) (*view, error) {
	lg := resolveLang(rc.Locale)
	l := &lg.l
	cur, err := money.Normalize(rc.Currency)
	if err != nil {
		return nil, invalidf("currency %q: %v", rc.Currency, err)
	}
	number, invoice := strings.TrimSpace(rc.Number), strings.TrimSpace(rc.InvoiceNumber)
	switch {
	case number == "":
		return nil, invalidf("a receipt needs a number")
	case invoice == "":
		return nil, invalidf("a receipt needs the number of the invoice paid")
	case rc.PaidAt.IsZero():
		return nil, invalidf("a receipt needs the date of the payment")
	}
	v := &view{Lang: lg.code, L: l, Title: l.Receipt}
	switch strings.ToUpper(strings.TrimSpace(rc.PageSize)) {
	case "", PageSizeA4:
		v.pageSize = "A4"
	case PageSizeLetter:
		v.pageSize = "letter"
	default:
		return nil, invalidf("page size %q (want A4 or LETTER)", rc.PageSize)
	}
	if v.brand, err = parseColor(rc.Branding.BrandColor, defaultBrand); err != nil {
		return nil, err
	}
	if v.accent, err = parseColor(rc.Branding.AccentColor, defaultAccent); err != nil {
		return nil, err
	}
	v.logoErr = v.setLogo(&rc.Branding)
	amount := func(minor int64) string { return money.Format(minor, cur, lg.code) }

	how := rc.Method.describe(lg)
	paid := lg.date(rc.PaidAt)
	v.Meta = []kv{
		{l.ReceiptNumber, number},
		{l.DatePaid, paid},
		{l.Number, invoice},
		{l.PaymentMethod, upperFirst(how)},
	}
	v.Parties = []partyBlock{
		{Caption: l.From, P: partyLines(lg, &rc.Seller)},
		{Caption: l.BillTo, P: partyLines(lg, &rc.Buyer)},
	}
	v.placeParties()
	v.Headline = fmt.Sprintf(l.PaidBy, amount(rc.Amount), paid, how)
	v.Totals = totalsView{
		Total: totalRow{l.ReceiptAmount, amount(rc.Amount)},
		After: []totalRow{
			{l.ReceiptInvoiceDue, amount(rc.AmountDue)},
			{l.PaidToDate, amount(rc.PaidToDate)},
		},
		Due: totalRow{l.AmountRemaining, amount(max(rc.Remaining, 0))},
	}
	if rc.Remaining <= 0 {
		v.Notices = []notice{{Main: fmt.Sprintf(l.PaidInFull, invoice)}}
	}
	v.Legal = []string{fmt.Sprintf(l.ReceiptNotInvoice, invoice)}

	v.runningHead = l.Receipt + " " + number + " (" + l.Continued + ")"
	v.title = l.Receipt + " " + number
	v.legalLine = legalLine(lg, &rc.Seller)
	v.author = firstNonEmpty(rc.Seller.LegalName, rc.Seller.Name)
	if v.author != "" {
		v.title += " – " + v.author
	}
	return v, nil
}
