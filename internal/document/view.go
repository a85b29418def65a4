package document

import (
	"errors"
	"fmt"
	"html/template"
	"strings"
	"sync"

	"github.com/bojanz/currency"

	"github.com/remitbilling/remit/internal/money"
)

// ErrInvalidInvoice reports an Invoice the renderer refuses: a malformed
// decimal, an unknown currency, page size, colour or tax status, a
// finalized invoice without a number. (A logo it cannot print is left out,
// see Render.)
var ErrInvalidInvoice = errors.New("document: invalid invoice")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidInvoice}, args...)...)
}

// view is the template's data: every value already formatted for the
// invoice's language. Multi-line free texts are template.HTML built by
// multiline, which escapes them.
type view struct {
	Lang  string
	L     *labels
	Draft bool
	// Title heads the first page: "Invoice", or "Credit note".
	Title string

	Meta     []kv
	Parties  []partyBlock
	Headline string
	Memo     template.HTML

	TaxColumn bool
	Lines     []lineView
	Taxes     []taxView
	Totals    totalsView
	Notices   []notice

	PaymentTerms        template.HTML
	PaymentInstructions template.HTML
	// Bank is the bank transfer details, label and value; BankQR the EPC
	// QR code (SVG made by internal/banking: numbers only).
	Bank   []kv
	BankQR template.HTML
	Legal  []string
	Footer template.HTML

	LogoSVG  template.HTML
	LogoPath string

	// Statement is a customer statement's table (statement.go).
	Statement statementTable

	// Fields used by pageCSS and the PDF metadata, not by the template.
	pageSize    string
	brand       rgb
	accent      rgb
	banner      string
	runningHead string
	legalLine   string
	title       string
	author      string
	logo        []byte // raster logo, see setLogo
	logoErr     error  // why setLogo refused the logo
	// facturX is the e-invoice to embed (Invoice.EInvoice, checked).
	facturX *facturX
}

func (v *view) hasLogo() bool { return v.logo != nil || v.LogoSVG != "" }

func (v *view) dropLogo() { v.logo, v.LogoSVG, v.LogoPath = nil, "", "" }

type kv struct{ K, V string }

type partyView struct {
	Name  string
	Lines []string
	IDs   []string
}

type lineView struct {
	Description template.HTML
	Period      string
	Quantity    string
	UnitAmount  string
	Tax         string
	Amount      string
}

type taxView struct{ Label, Rate, Taxable, Amount string }

type totalRow struct{ K, V string }

// totalsView is the totals block: the rows up to the tax total, the total
// including tax, the rows after it (amount paid) and the amount due.
type totalsView struct {
	Before []totalRow
	Total  totalRow
	After  []totalRow
	Due    totalRow
}

type notice struct{ Main, Sub string }

// buildView validates inv and formats it. It does no I/O: a raster logo is
// returned in v.logo for the caller to write out.
func buildView(inv *Invoice) (*view, error) {
	lg := resolveLang(inv.Locale)
	l := &lg.l
	cur, err := money.Normalize(inv.Currency)
	if err != nil {
		return nil, invalidf("currency %q: %v", inv.Currency, err)
	}
	draft := inv.Draft || strings.EqualFold(inv.Status, "DRAFT")
	number := strings.TrimSpace(inv.Number)
	if draft {
		number = "" // a draft never shows a number, even a stale one
	} else if number == "" {
		return nil, invalidf("a finalized invoice needs a number")
	}

	v := &view{Lang: lg.code, L: l, Draft: draft, Title: l.Invoice}
	cn := inv.CreditNote
	if cn != nil {
		v.Title = l.CreditNote
	}

	switch strings.ToUpper(strings.TrimSpace(inv.PageSize)) {
	case "", PageSizeA4:
		v.pageSize = "A4"
	case PageSizeLetter:
		v.pageSize = "letter"
	default:
		return nil, invalidf("page size %q (want A4 or LETTER)", inv.PageSize)
	}
	if v.brand, err = parseColor(inv.Branding.BrandColor, defaultBrand); err != nil {
		return nil, err
	}
	if v.accent, err = parseColor(inv.Branding.AccentColor, defaultAccent); err != nil {
		return nil, err
	}
	// A logo that cannot be printed is the render's to handle (Render
	// prints without it, CheckLogo refuses it), not a refused invoice.
	v.logoErr = v.setLogo(&inv.Branding)

	amount := func(minor int64) string { return money.Format(minor, cur, lg.code) }

	// Header: number, dates, custom fields.
	if number != "" {
		label := l.Number
		if cn != nil {
			label = l.CreditNoteNumber
		}
		v.Meta = append(v.Meta, kv{label, number})
	}
	if d := lg.date(inv.IssueDate); d != "" {
		v.Meta = append(v.Meta, kv{l.IssueDate, d})
	}
	if d := lg.date(inv.DueDate); d != "" {
		v.Meta = append(v.Meta, kv{l.DueDate, d})
	}
	if d := lg.date(inv.SupplyDate); d != "" && d != lg.date(inv.IssueDate) {
		v.Meta = append(v.Meta, kv{l.SupplyDate, d})
	}
	switch strings.ToUpper(strings.TrimSpace(inv.OperationNature)) {
	case "":
	case "GOODS":
		v.Meta = append(v.Meta, kv{l.NatureLabel, l.NatureGoods})
	case "SERVICES":
		v.Meta = append(v.Meta, kv{l.NatureLabel, l.NatureServices})
	case "MIXED":
		v.Meta = append(v.Meta, kv{l.NatureLabel, l.NatureMixed})
	default:
		return nil, invalidf("operation nature %q (want GOODS, SERVICES or MIXED)", inv.OperationNature)
	}
	if inv.Replaces != "" {
		v.Meta = append(v.Meta, kv{l.Replaces, inv.Replaces})
	}
	if cn != nil {
		if err := v.creditNoteMeta(lg, cn); err != nil {
			return nil, err
		}
	}
	for _, f := range inv.CustomFields {
		v.Meta = append(v.Meta, kv{f.Name, f.Value})
	}

	v.Parties = []partyBlock{
		{Caption: l.From, P: partyLines(lg, &inv.Seller)},
		{Caption: l.BillTo, P: partyLines(lg, &inv.Buyer)},
	}
	if d := nonEmptyLines(inv.DeliveryAddress); len(d) > 0 {
		if c := lg.country(inv.DeliveryCountry); c != "" {
			d = append(d, c)
		}
		v.Parties = append(v.Parties, partyBlock{Caption: l.DeliverTo, P: partyView{Name: d[0], Lines: d[1:]}})
	}
	v.placeParties()

	if cn != nil {
		v.Headline = fmt.Sprintf(l.CreditHeadline, amount(inv.Total), cn.InvoiceNumber)
	} else {
		v.Headline = headline(lg, inv, amount)
	}
	v.Memo = multiline(inv.Memo)

	// Lines.
	v.Lines = make([]lineView, len(inv.Lines))
	for i := range inv.Lines {
		ln := &inv.Lines[i]
		lv := &v.Lines[i]
		lv.Description = multiline(ln.Description)
		if !ln.PeriodStart.IsZero() && !ln.PeriodEnd.IsZero() {
			lv.Period = lg.date(ln.PeriodStart) + " – " + lg.date(ln.PeriodEnd)
		}
		if ln.Quantity != "" {
			q, err := money.ParseDecimal(ln.Quantity)
			if err != nil {
				return nil, invalidf("line %d quantity: %v", i+1, err)
			}
			lv.Quantity = lg.number(q)
		}
		if ln.UnitAmount != "" {
			if lv.UnitAmount, err = unitAmount(ln.UnitAmount, cur, lg); err != nil {
				return nil, invalidf("line %d unit amount: %v", i+1, err)
			}
		}
		lv.Amount = amount(ln.Amount)
		if len(ln.TaxRates) > 0 {
			lv.Tax = strings.Join(ln.TaxRates, ", ")
			v.TaxColumn = true
		}
	}

	// Tax breakdown: one row per category and rate, a category other than
	// S named for what it is.
	var taxes []taxView
	categorized := false
	for i, t := range inv.Taxes {
		tv := taxView{Label: t.Label, Taxable: amount(t.Taxable), Amount: amount(t.Amount)}
		if t.Percentage != "" {
			p, err := money.ParseDecimal(t.Percentage)
			if err != nil {
				return nil, invalidf("tax %d percentage: %v", i+1, err)
			}
			tv.Rate = lg.percent(p)
		}
		if t.Category != "" {
			categorized = true
			name, ok := categoryName(l, t.Category)
			if !ok {
				return nil, invalidf("tax %d category %q (want S, Z, E, AE, K, G or O)", i+1, t.Category)
			}
			if name != "" {
				tv.Label = name
			}
		}
		if tv.Label == "" {
			tv.Label = l.Tax
		}
		taxes = append(taxes, tv)
	}

	v.Taxes = taxes

	// Totals.
	t := &v.Totals
	if inv.Discount != 0 || inv.Subtotal != inv.TotalExcludingTax {
		t.Before = append(t.Before, totalRow{l.Subtotal, amount(inv.Subtotal)})
	}
	if inv.Discount != 0 {
		t.Before = append(t.Before, totalRow{l.Discount, amount(-inv.Discount)})
	}
	t.Before = append(t.Before,
		totalRow{l.TotalExclTax, amount(inv.TotalExcludingTax)},
		totalRow{totalTaxLabel(l, inv.Taxes), amount(inv.TotalTax)},
	)
	t.Total = totalRow{l.Total, amount(inv.Total)}
	if cn != nil {
		// What the credit note's total became: no amount is due.
		t.Total.K = l.CreditTotal
		for _, r := range []struct {
			label string
			minor int64
		}{
			{l.CreditDeducted, cn.PrePayment},
			{l.CreditRefunded, cn.Refunded},
			{l.CreditToBalance, cn.Credited},
			{l.CreditOutOfBand, cn.OutOfBand},
		} {
			if r.minor != 0 {
				t.After = append(t.After, totalRow{r.label, amount(r.minor)})
			}
		}
	} else {
		if inv.CreditNotes != 0 {
			t.After = append(t.After, totalRow{l.CreditNotesRow, amount(-inv.CreditNotes)})
		}
		if inv.AmountPaid != 0 {
			t.After = append(t.After, totalRow{l.AmountPaid, amount(-inv.AmountPaid)})
		}
		t.Due = totalRow{l.AmountDue, amount(inv.AmountDue)}
	}

	// Tax status wording: the mention of each category of the breakdown
	// that charges no VAT, with its reason; for a breakdown made before
	// categories, the buyer's status.
	switch status := strings.ToUpper(strings.TrimSpace(inv.BuyerTaxExempt)); {
	case status != "" && status != TaxExemptNone && status != TaxExemptReverse && status != TaxExemptExempt:
		return nil, invalidf("buyer tax status %q (want NONE, EXEMPT or REVERSE)", inv.BuyerTaxExempt)
	case categorized:
		v.Notices = categoryNotices(l, inv.Taxes)
	case status == TaxExemptReverse:
		v.Notices = append(v.Notices, notice{Main: l.ReverseCharge, Sub: l.ReverseChargeNote})
	case status == TaxExemptExempt:
		text := l.Exemption
		if ref := strings.TrimSpace(inv.TaxExemptionReference); ref != "" {
			text += ", " + ref
		}
		v.Notices = append(v.Notices, notice{Main: text})
	}

	// Payment.
	v.PaymentTerms = multiline(inv.PaymentTerms)
	v.PaymentInstructions = multiline(inv.PaymentInstructions)
	if b := inv.BankTransfer; b != nil && cn == nil {
		for _, r := range []kv{{l.BankBeneficiary, b.Beneficiary}, {l.BankIBAN, b.IBAN}, {l.BankBIC, b.BIC}, {l.BankReference, b.Reference}} {
			if r.V != "" {
				v.Bank = append(v.Bank, r)
			}
		}
		v.BankQR = template.HTML(b.QRCode)
	}
	if rate := strings.TrimSpace(inv.LatePaymentPenalty); rate != "" {
		indemnity := strings.TrimSpace(inv.RecoveryIndemnity)
		if indemnity == "" || isDefaultIndemnity(indemnity) {
			indemnity = l.DefaultIndemnity
		}
		// The French legal default reads in the document's language; a
		// rate the seller wrote prints as written.
		if strings.EqualFold(rate, langFR.l.LegalRate) {
			rate = l.LegalRate
		}
		v.Legal = append(v.Legal, fmt.Sprintf(l.Penalty, rate, indemnity))
	}
	if d := strings.TrimSpace(inv.EarlyPaymentDiscount); d != "" {
		v.Legal = append(v.Legal, d)
	} else if inv.LatePaymentPenalty != "" {
		v.Legal = append(v.Legal, l.NoEarlyDiscount)
	}
	if inv.VATOnDebits {
		v.Legal = append(v.Legal, l.VATOnDebits)
	}
	v.Footer = multiline(inv.Footer)

	// Page furniture and metadata.
	status := strings.ToUpper(strings.TrimSpace(inv.Status))
	switch {
	case draft:
		v.banner = l.Draft
		v.runningHead = l.Invoice + " – " + strings.ToLower(l.Draft) + " (" + l.Continued + ")"
		v.title = l.Invoice + " – " + l.Draft
	case cn != nil:
		if status == "VOID" {
			v.banner = l.CreditNoteVoid
		}
		v.runningHead = l.CreditNote + " " + number + " (" + l.Continued + ")"
		v.title = l.CreditNote + " " + number
	default:
		if status == "VOID" {
			v.banner = l.Void
		}
		v.runningHead = l.Invoice + " " + number + " (" + l.Continued + ")"
		v.title = l.Invoice + " " + number
	}
	v.legalLine = legalLine(lg, &inv.Seller)
	v.author = firstNonEmpty(inv.Seller.LegalName, inv.Seller.Name)
	if v.author != "" {
		v.title += " – " + v.author
	}
	return v, nil
}

// creditNoteMeta adds to the header what a credit note states besides its
// own number and date: the invoice it corrects, that invoice's date, and
// the reason.
func (v *view) creditNoteMeta(lg *lang, cn *CreditNote) error {
	l := &lg.l
	if strings.TrimSpace(cn.InvoiceNumber) == "" {
		return invalidf("a credit note needs the number of the invoice it corrects")
	}
	v.Meta = append(v.Meta, kv{l.CorrectsInvoice, cn.InvoiceNumber})
	if d := lg.date(cn.InvoiceDate); d != "" {
		v.Meta = append(v.Meta, kv{l.InvoiceDate, d})
	}
	if cn.Reason != "" {
		text, ok := l.Reasons[strings.ToUpper(strings.TrimSpace(cn.Reason))]
		if !ok {
			return invalidf("credit note reason %q", cn.Reason)
		}
		v.Meta = append(v.Meta, kv{l.Reason, text})
	}
	return nil
}

// partyBlock is one of the address blocks printed side by side under the
// title: seller, buyer and, if any, delivery address.
type partyBlock struct {
	Caption string
	P       partyView
	Style   template.CSS // position and size, see placeParties
}

func nonEmptyLines(lines []string) []string {
	var out []string
	for _, s := range lines {
		for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
	}
	return out
}

func partyLines(lg *lang, p *Party) partyView {
	l := &lg.l
	pv := partyView{Name: strings.TrimSpace(p.Name)}
	legal := strings.TrimSpace(p.LegalName)
	if pv.Name == "" {
		pv.Name = legal
	} else if legal != "" && legal != pv.Name {
		pv.Lines = append(pv.Lines, legal)
	}
	for _, a := range p.Address {
		if a = strings.TrimSpace(a); a != "" {
			pv.Lines = append(pv.Lines, a)
		}
	}
	if c := lg.country(p.Country); c != "" {
		pv.Lines = append(pv.Lines, c)
	}
	if p.Email != "" {
		pv.Lines = append(pv.Lines, p.Email)
	}
	if p.Phone != "" {
		pv.Lines = append(pv.Lines, p.Phone)
	}
	add := func(label, value string) {
		if value = strings.TrimSpace(value); value != "" {
			pv.IDs = append(pv.IDs, label+lg.colon+value)
		}
	}
	add(l.SIREN, p.SIREN)
	add(l.SIRET, p.SIRET)
	add(l.VATNumber, p.VATNumber)
	for _, t := range p.TaxIDs {
		add(t.Label, t.Value)
	}
	return pv
}

// legalLine is the seller's identity repeated at the foot of every page.
func legalLine(lg *lang, p *Party) string {
	parts := []string{}
	if n := firstNonEmpty(p.LegalName, p.Name); n != "" {
		if f := strings.TrimSpace(p.LegalForm); f != "" {
			n += " " + f
		}
		if c := strings.TrimSpace(p.ShareCapital); c != "" {
			n += fmt.Sprintf(lg.l.ShareCapital, c)
		}
		parts = append(parts, n)
	}
	if r := strings.TrimSpace(p.Registration); r != "" {
		parts = append(parts, r)
	}
	if p.SIREN != "" {
		parts = append(parts, lg.l.SIREN+" "+p.SIREN)
	}
	if p.VATNumber != "" {
		parts = append(parts, lg.l.VATNumber+" "+p.VATNumber)
	}
	return strings.Join(parts, " · ")
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// multiline escapes s and turns its line breaks into <br>.
func multiline(s string) template.HTML {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if s == "" {
		return ""
	}
	var b strings.Builder
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteString("<br>")
		}
		b.WriteString(template.HTMLEscapeString(line))
	}
	return template.HTML(b.String())
}

// unitAmount formats a unit price. One that is exact in the currency's
// minor unit goes through money.Format like every other amount; a finer
// one (usage prices such as 0.0125) keeps its extra decimals.
func unitAmount(s, cur string, lg *lang) (string, error) {
	d, err := money.ParseDecimal(s)
	if err != nil {
		return "", err
	}
	if minor, err := money.ExactMinorFromMajor(d, cur); err == nil {
		return money.Format(minor, cur, lg.code), nil
	}
	a, err := currency.NewAmount(d.String(), cur)
	if err != nil {
		return "", err
	}
	return fineFormatter(lg.code).Format(a), nil
}

var fineFormatters sync.Map // lang code → *currency.Formatter

// fineFormatter formats amounts with up to money.MaxUnitDecimals decimals
// beyond the currency's own, trailing zeros trimmed down to the currency's
// digits. Only the document languages reach it, so the cache stays tiny.
func fineFormatter(code string) *currency.Formatter {
	if f, ok := fineFormatters.Load(code); ok {
		return f.(*currency.Formatter)
	}
	f := currency.NewFormatter(currency.NewLocale(code))
	f.MaxDigits = 3 + money.MaxUnitDecimals
	actual, _ := fineFormatters.LoadOrStore(code, f)
	return actual.(*currency.Formatter)
}

// Page geometry (pageCSS; A4 and US Letter share the margins) and the
// party blocks' place on the first page: the title band under the top
// margin has a fixed height (.band in invoice.css, whose .logo is placed
// in the same corner), so the blocks start at a known distance from the
// top of the sheet.
const (
	pageMarginTopMM  = 17.0
	pageMarginSideMM = 15.0
	titleBandMM      = 20.0 // .band in invoice.css
	partyGapMM       = 6.0
	partyLeadingPt   = 8.5 * 1.3 // body font size × line-height (invoice.css)
	// totalsColumnsMM is the width of the summary table's last two
	// columns (label and amount of the totals, invoice.html.tmpl).
	totalsColumnsMM = 41.0 + 27.0
)

// contentWidthMM is the width of the text block of v's page size.
func (v *view) contentWidthMM() float64 {
	if v.pageSize == "letter" {
		return 215.9 - 2*pageMarginSideMM
	}
	return 210.0 - 2*pageMarginSideMM
}

// placeParties lays the party blocks out side by side without a table
// (a table cell is typeset twice, to measure it then to build it): the
// first block (seller) stays in the flow, the others are absolutely
// positioned at the same height in the columns to its right. The flow
// block gets a minimum height (CSS height on a block) of the tallest
// positioned block, estimated from its lines, so that what follows
// never runs into a positioned block.
func (v *view) placeParties() {
	content := v.contentWidthMM()
	n := len(v.Parties)
	col := content / float64(n)
	width := col - partyGapMM
	tallest := 0.0
	for i := 1; i < n; i++ {
		p := &v.Parties[i]
		p.Style = template.CSS(fmt.Sprintf("position: absolute; top: %.2fmm; left: %.2fmm; width: %.2fmm",
			pageMarginTopMM+titleBandMM, pageMarginSideMM+col*float64(i), width))
		tallest = max(tallest, p.estimateHeight(width))
	}
	v.Parties[0].Style = template.CSS(fmt.Sprintf("width: %.2fmm; height: %.2fpt", width, tallest))
}

// estimateHeight is the height in points of the block typeset in a column
// width mm wide: every line is one leading high, and a line too long for
// the column counts as many lines as a greedy word wrap with Helvetica's
// widths (TeX Gyre Heros has the same metrics), a little widened, takes.
func (p *partyBlock) estimateHeight(width float64) float64 {
	avail := width / 25.4 * 72 // pt
	lines := wrappedLines(p.Caption, 7, avail)
	if p.P.Name != "" {
		lines += wrappedLines(p.P.Name, 9.5, avail)
	}
	for _, l := range p.P.Lines {
		lines += wrappedLines(l, 8.5, avail)
	}
	for _, l := range p.P.IDs {
		lines += wrappedLines(l, 7.5, avail)
	}
	return float64(lines) * partyLeadingPt
}

// wrappedLines estimates how many lines s takes at size pt in avail pt.
func wrappedLines(s string, size, avail float64) int {
	const widen = 1.1 // bold, kerning, rounding
	space := 278 * size / 1000 * widen
	lines, cur := 1, 0.0
	for _, w := range strings.Fields(s) {
		wd := 0.0
		for _, r := range w {
			wd += glyphWidth(r)
		}
		wd *= size / 1000 * widen
		switch {
		case cur == 0:
			cur = wd
		case cur+space+wd <= avail:
			cur += space + wd
		default:
			lines++
			cur = wd
		}
	}
	return lines
}

// helvetica holds the advance widths (1/1000 em) of Helvetica for ' '…'~'.
var helvetica = [...]uint16{
	278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
	556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
	1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
	667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
	333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
	556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
}

func glyphWidth(r rune) float64 {
	switch {
	case r >= ' ' && r <= '~':
		return float64(helvetica[r-' '])
	case r >= 0x1100: // CJK and other wide scripts
		return 1000
	default: // accented Latin letters and the like
		return 667
	}
}
