package billing

import (
	"context"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/creditnote"
	"github.com/remitbilling/remit/ent/creditnoteline"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/payer/words"
	"github.com/remitbilling/remit/internal/totals"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/values"
)

// creditDraft is a credit note computed and checked against its invoice,
// ready to write.
type creditDraft struct {
	lines                                                       []creditLine
	subtotal, totalDiscount, totalExcludingTax, totalTax, total int64
	taxes                                                       []values.TaxAmount
	pre, post                                                   int64
	typ                                                         creditnote.Type
	// plan is the invoice's payment plan after the pre-payment part came
	// off its last installments (nil: no plan, or unchanged), and
	// reductions what came off each.
	plan       []values.Installment
	reductions []int64
}

// creditLine is a line of a credit note: what it stores, and the line the
// totals engine computes it from.
type creditLine struct {
	typ                               creditnoteline.Type
	invoiceLine                       *ent.InvoiceLine
	invoiceLineID                     *string
	method                            *creditnoteline.Method
	description, quantity, unitAmount string
	amount, discount                  int64
	taxes                             []values.TaxAmount
	engine                            totals.Line
}

// credited is what issued credit notes took from one invoice line.
type credited struct {
	method           creditnoteline.Method
	quantity         decimal.Decimal
	amount, discount int64
}

// composeCredit computes the credit note req asks for on inv, as it now
// stands (read under its lock, or as read for a preview), and checks it
// against what remains to credit, to pay and to give back. db reads the
// earlier credit notes (the transaction's client when creating).
//
// Lines go through the invoices' EN 16931 engine (internal/totals), so tax
// is computed per rate on the sum of the lines' bases with the one
// rounding rule:
//
//   - A credit of an invoice line by quantity q of its Q credits q/Q of
//     the line's amount net of its own discounts, and q/Q of its share of
//     the invoice-level discount as a discount, each rounded; the credit
//     that takes the last of the quantity takes exactly what earlier
//     credits left, so crediting a line in pieces gives back exactly the
//     line. Its taxes are the invoice line's.
//   - A credit of an invoice line by amount credits that amount of the
//     line's base (net of all discounts, tax excluded unless the rate is
//     inclusive), with the line's taxes.
//   - A custom line is quantity × unit amount with its own rates.
//   - A lump sum (amount without lines) is split over the invoice's tax
//     rates pro rata to what each rate's lines total, tax included
//     (largest remainder, totals.Allocate); each part is a line whose
//     amount includes its tax, which the engine extracts as it does for
//     inclusive rates, so the credit note totals exactly the amount asked.
func (s *Service) composeCredit(ctx context.Context, db *ent.Client, req *creditRequest, inv *ent.Invoice) (*creditDraft, error) {
	lang := "en"
	if inv.CustomerSnapshot != nil && inv.IssuerSnapshot != nil {
		lang = words.Lang(documentLocale(inv.CustomerSnapshot, inv.IssuerSnapshot))
	}
	apart, err := refundedApart(ctx, db, inv.ID)
	if err != nil {
		return nil, err
	}
	remaining := inv.Total - inv.PrePaymentCreditNotesAmount - inv.PostPaymentCreditNotesAmount - apart
	amountField := "lines"
	if req.amount != nil {
		amountField = "amount"
	}
	d := &creditDraft{}
	if len(req.items) == 0 {
		if *req.amount > remaining {
			return nil, exceedsRemaining(*req.amount, remaining, inv.Currency, amountField)
		}
		if d.lines, err = lumpSum(inv, *req.amount, lang); err != nil {
			return nil, err
		}
	} else {
		prior, err := priorCredits(ctx, db, inv, req)
		if err != nil {
			return nil, err
		}
		var errs usererr.List
		for i, it := range req.items {
			l, err := creditOf(it, prior, req.refs, inv.Currency, i)
			if err != nil {
				if !errs.Add(err) {
					return nil, err
				}
				continue
			}
			d.lines = append(d.lines, l)
		}
		if err := errs.Err(); err != nil {
			return nil, err
		}
	}
	taxed, err := priorTaxes(ctx, db, inv)
	if err != nil {
		return nil, err
	}
	if err := d.compute(inv, req, taxed); err != nil {
		if len(req.items) == 0 {
			return nil, onField(err, "amount")
		}
		return nil, err
	}
	return d, d.settle(inv, req, remaining, apart, amountField)
}

// priorCredits is what issued credit notes took from the invoice lines req
// credits, read only when the invoice has credit notes.
func priorCredits(ctx context.Context, db *ent.Client, inv *ent.Invoice, req *creditRequest) (map[string]credited, error) {
	out := map[string]credited{}
	var lineIDs []string
	for _, it := range req.items {
		if it.line != nil {
			lineIDs = append(lineIDs, it.line.ID)
		}
	}
	if len(lineIDs) == 0 || inv.PrePaymentCreditNotesAmount+inv.PostPaymentCreditNotesAmount == 0 {
		return out, nil
	}
	rows, err := db.CreditNoteLine.Query().
		Where(
			creditnoteline.InvoiceLineIDIn(lineIDs...),
			creditnoteline.HasCreditNoteWith(creditnote.StatusEQ(creditnote.StatusIssued)),
		).
		Select(creditnoteline.FieldInvoiceLineID, creditnoteline.FieldMethod, creditnoteline.FieldQuantity,
			creditnoteline.FieldAmount, creditnoteline.FieldDiscountAmount).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load credited lines: %w", err)
	}
	for _, r := range rows {
		c := out[*r.InvoiceLineID]
		if r.Method != nil {
			c.method = *r.Method
		}
		if r.Quantity != "" {
			q, err := decimal.NewFromString(r.Quantity)
			if err != nil {
				return nil, fmt.Errorf("credited quantity %q: %w", r.Quantity, err)
			}
			c.quantity = c.quantity.Add(q)
		}
		c.amount += r.Amount
		c.discount += r.DiscountAmount
		out[*r.InvoiceLineID] = c
	}
	return out, nil
}

// taxedKey names a tax group of credit notes: a rate, computed inclusive
// of the amounts or not (a lump sum's parts include their tax).
type taxedKey struct {
	rate      string
	inclusive bool
}

// taxed is what issued credit notes of an invoice credited at one rate:
// the amount the tax was computed on (the taxable amount, with the tax
// for an inclusive computation) and the tax.
type taxed struct{ basis, tax int64 }

// priorTaxes sums the taxes of inv's issued credit notes by group, read
// only when it has some.
func priorTaxes(ctx context.Context, db *ent.Client, inv *ent.Invoice) (map[taxedKey]taxed, error) {
	out := map[taxedKey]taxed{}
	if inv.PrePaymentCreditNotesAmount+inv.PostPaymentCreditNotesAmount == 0 {
		return out, nil
	}
	notes, err := db.CreditNote.Query().
		Where(creditnote.InvoiceID(inv.ID), creditnote.StatusEQ(creditnote.StatusIssued)).
		Select(creditnote.FieldTaxes).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load credited taxes: %w", err)
	}
	for _, n := range notes {
		for _, t := range n.Taxes {
			k := taxedKey{t.TaxRateID, t.Inclusive}
			v := out[k]
			v.basis += t.TaxableAmount
			if t.Inclusive {
				v.basis += t.Amount
			}
			v.tax += t.Amount
			out[k] = v
		}
	}
	return out, nil
}

// creditOf computes line i of a credit note from its validated input.
func creditOf(it creditItem, prior map[string]credited, r refs, currency string, i int) (creditLine, error) {
	path := func(f string) []string { return []string{"lines", fmt.Sprint(i), f} }
	if it.line == nil {
		cl := creditLine{
			typ: creditnoteline.TypeCustom, description: it.description,
			quantity: it.quantity.String(), unitAmount: it.unitAmount.String(),
			engine: totals.Line{Quantity: it.quantity, UnitAmount: it.unitAmount, TaxRates: []totals.TaxRate{}},
		}
		for _, id := range it.rateIDs {
			if t, ok := r.taxRates[id]; ok {
				cl.engine.TaxRates = append(cl.engine.TaxRates, rateOf(t))
			}
		}
		return cl, nil
	}
	l := it.line
	gross := l.Amount - l.DiscountAmount
	share := l.InvoiceDiscountAmount
	p := prior[l.ID]
	method := it.method
	field := "quantity"
	if method == creditnoteline.MethodAmount {
		field = "amount"
	}
	if p.method != "" && p.method != method {
		return creditLine{}, usererr.Newf(usererr.CreditMethodMismatch, path(field),
			"this invoice line was credited by %s: credit it by %s again", lower(p.method), lower(p.method))
	}
	cl := creditLine{
		typ: creditnoteline.TypeInvoiceLine, invoiceLine: l, invoiceLineID: &l.ID, method: &method, description: l.Description,
	}
	switch method {
	case creditnoteline.MethodQuantity:
		q, err := decimal.NewFromString(l.Quantity)
		if err != nil {
			return creditLine{}, fmt.Errorf("invoice line quantity %q: %w", l.Quantity, err)
		}
		left := q.Sub(p.quantity)
		if it.quantity.GreaterThan(left) {
			return creditLine{}, usererr.Newf(usererr.CreditQuantityExceedsRemaining, path("quantity"),
				"%s of this line's quantity of %s remains to credit", left.String(), q.String())
		}
		if it.quantity.Equal(left) {
			cl.amount, cl.discount = gross-p.amount, share-p.discount
		} else {
			part, whole := it.quantity.Shift(4).IntPart(), q.Shift(4).IntPart()
			if cl.amount, err = money.MulDivRound(gross, part, whole); err == nil {
				cl.discount, err = money.MulDivRound(share, part, whole)
			}
			if err != nil {
				return creditLine{}, fmt.Errorf("credit by quantity: %w", err)
			}
		}
		cl.quantity, cl.unitAmount = it.quantity.String(), l.UnitAmount
	case creditnoteline.MethodAmount:
		left := (gross - share) - (p.amount - p.discount)
		if it.amount > left {
			return creditLine{}, usererr.Newf(usererr.CreditLineAmountExceedsRemaining, path("amount"),
				"%s of this line remains to credit", money.MajorString(max(left, 0), currency))
		}
		cl.amount = it.amount
	}
	unit, err := majorOf(cl.amount, currency)
	if err != nil {
		return creditLine{}, err
	}
	cl.engine = totals.Line{Quantity: decimal.NewFromInt(1), UnitAmount: unit, TaxRates: []totals.TaxRate{}}
	if cl.discount > 0 {
		cl.engine.Discounts = []totals.Discount{{AmountMinor: cl.discount}}
	}
	for _, t := range l.TaxAmounts {
		rate, err := rateOfAmount(t)
		if err != nil {
			return creditLine{}, err
		}
		cl.engine.TaxRates = append(cl.engine.TaxRates, rate)
	}
	return cl, nil
}

// lumpSum splits a credit of amount (tax included) over inv's tax rates,
// one line per rate, pro rata to what the rate's lines total with their
// tax (a line without tax is a rate of its own).
func lumpSum(inv *ent.Invoice, amount int64, lang string) ([]creditLine, error) {
	type group struct {
		rate   *values.TaxAmount
		weight int64
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, l := range inv.Edges.Lines {
		if len(l.TaxAmounts) > 1 {
			return nil, usererr.New(usererr.Invalid, "this invoice's lines carry several taxes each: credit it by lines", "amount")
		}
		w := l.Amount - l.DiscountAmount - l.InvoiceDiscountAmount
		key := ""
		var rate *values.TaxAmount
		if len(l.TaxAmounts) == 1 {
			t := l.TaxAmounts[0]
			key, rate = t.TaxRateID, &t
			if !t.Inclusive {
				w += t.Amount
			}
		}
		g, ok := byKey[key]
		if !ok {
			g = &group{rate: rate}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.weight += w
	}
	weights := make([]int64, len(groups))
	for i, g := range groups {
		weights[i] = g.weight
	}
	parts, err := totals.Allocate(amount, weights)
	if err != nil {
		return nil, fmt.Errorf("split the credit over the invoice's taxes: %w", err)
	}
	several := 0
	for _, p := range parts {
		if p > 0 {
			several++
		}
	}
	var out []creditLine
	for i, g := range groups {
		if parts[i] == 0 {
			continue
		}
		unit, err := majorOf(parts[i], inv.Currency)
		if err != nil {
			return nil, err
		}
		cl := creditLine{
			typ: creditnoteline.TypeCustom, description: lumpDescription(lang, deref(inv.Number)),
			quantity: "1", unitAmount: unit.String(),
			engine: totals.Line{Quantity: decimal.NewFromInt(1), UnitAmount: unit, TaxRates: []totals.TaxRate{}},
		}
		if g.rate != nil {
			rate, err := rateOfAmount(*g.rate)
			if err != nil {
				return nil, err
			}
			// The part includes its tax: the engine extracts it.
			rate.Inclusive = true
			cl.engine.TaxRates = append(cl.engine.TaxRates, rate)
			if several > 1 {
				cl.description += " – " + taxLabel(*g.rate)
			}
		}
		out = append(out, cl)
	}
	return out, nil
}

// compute runs the lines through the totals engine and sets the draft's
// amounts and taxes.
//
// The engine rounds each rate's tax once, on the credit note's base. A
// later credit note of the same invoice rounds it on the running total
// instead: its tax at a rate is round((what earlier credit notes credited
// at that rate + its base) × rate) less what they credited. It stays
// within one minor unit of its own base × rate, and credit notes that
// together credit a whole invoice give back exactly the invoice's tax
// (rounded once on the same base), so a fully credited invoice owes
// nothing. taxed is what earlier credit notes credited (priorTaxes).
func (d *creditDraft) compute(inv *ent.Invoice, req *creditRequest, taxed map[taxedKey]taxed) error {
	// Custom lines are taxed as the invoice was: a reverse-charge or
	// exempt buyer's credit note charges no VAT either.
	in := totals.Input{Currency: inv.Currency, Lines: make([]totals.Line, len(d.lines)), Exemption: totalsExemption(inv.TaxExemption)}
	for i, l := range d.lines {
		in.Lines[i] = l.engine
	}
	res, err := totals.Compute(in)
	if err != nil {
		return totalsError(err)
	}
	if err := runningTax(&res, taxed); err != nil {
		return err
	}
	// Names of the rates, as the invoice (or the rate) shows them.
	names := map[string]values.TaxAmount{}
	for _, l := range inv.Edges.Lines {
		for _, t := range l.TaxAmounts {
			names[t.TaxRateID] = t
		}
	}
	for id, t := range req.refs.taxRates {
		if _, ok := names[id]; !ok {
			names[id] = values.TaxAmount{DisplayName: t.DisplayName, Jurisdiction: t.Jurisdiction}
		}
	}
	tax := func(ta totals.TaxAmount) values.TaxAmount {
		n := names[rateID(ta.TaxRate.ID)]
		return values.TaxAmount{
			TaxRateID: rateID(ta.TaxRate.ID), Percentage: ta.TaxRate.Percentage.String(), Inclusive: ta.TaxRate.Inclusive,
			Category: string(ta.TaxRate.Category), ExemptionReason: ta.TaxRate.ExemptionReason, ExemptionCode: ta.TaxRate.ExemptionCode,
			DisplayName: n.DisplayName, Jurisdiction: n.Jurisdiction,
			TaxableAmount: ta.TaxableAmount, Amount: ta.Amount,
		}
	}
	for i, lr := range res.Lines {
		l := &d.lines[i]
		l.amount, l.discount = lr.Amount, lr.DiscountAmount
		l.taxes = []values.TaxAmount{}
		for _, t := range lr.TaxAmounts {
			l.taxes = append(l.taxes, tax(t))
		}
		d.subtotal += lr.Amount
	}
	d.taxes = []values.TaxAmount{}
	for _, t := range res.Taxes {
		d.taxes = append(d.taxes, tax(t))
	}
	d.totalDiscount = res.TotalDiscount
	d.totalExcludingTax = res.TotalExcludingTax
	d.totalTax = res.TaxExclusive + res.TaxInclusive
	d.total = res.Total
	return nil
}

// runningTax applies the running-total rounding (see compute) to res: each
// rate's tax, its lines' shares (largest remainder over their bases), and
// the totals that follow from them.
func runningTax(res *totals.Result, taxed map[taxedKey]taxed) error {
	if len(taxed) == 0 {
		return nil
	}
	changed := false
	for gi := range res.Taxes {
		g := &res.Taxes[gi]
		prior, ok := taxed[taxedKey{rateID(g.TaxRate.ID), g.TaxRate.Inclusive}]
		if !ok {
			continue
		}
		basis := g.TaxableAmount
		denominator := int64(1_000_000)
		points := g.TaxRate.Percentage.Shift(4).IntPart()
		if g.TaxRate.Inclusive {
			basis += g.Amount
			denominator += points
		}
		cumulative, err := money.MulDivRound(prior.basis+basis, points, denominator)
		if err != nil {
			return fmt.Errorf("tax %s: %w", g.TaxRate.ID, err)
		}
		tax := min(max(cumulative-prior.tax, 0), basis)
		if tax == g.Amount {
			continue
		}
		changed = true
		g.Amount = tax
		if g.TaxRate.Inclusive {
			g.TaxableAmount = basis - tax
		}
		// The lines' shares of the rate, re-split.
		type slot struct{ line, k int }
		var slots []slot
		var weights []int64
		for li, lr := range res.Lines {
			for k, ta := range lr.TaxAmounts {
				if ta.TaxRate.ID == g.TaxRate.ID {
					w := ta.TaxableAmount
					if g.TaxRate.Inclusive {
						w += ta.Amount
					}
					slots = append(slots, slot{li, k})
					weights = append(weights, w)
				}
			}
		}
		shares, err := totals.Allocate(tax, weights)
		if err != nil {
			return fmt.Errorf("tax %s shares: %w", g.TaxRate.ID, err)
		}
		for i, sl := range slots {
			ta := &res.Lines[sl.line].TaxAmounts[sl.k]
			if g.TaxRate.Inclusive {
				ta.TaxableAmount = weights[i] - shares[i]
			}
			ta.Amount = shares[i]
		}
	}
	if !changed {
		return nil
	}
	res.TaxExclusive, res.TaxInclusive = 0, 0
	for _, g := range res.Taxes {
		if g.TaxRate.Inclusive {
			res.TaxInclusive += g.Amount
		} else {
			res.TaxExclusive += g.Amount
		}
	}
	res.TotalExcludingTax = res.Subtotal - res.InvoiceDiscount - res.TaxInclusive
	res.Total = res.Subtotal - res.InvoiceDiscount + res.TaxExclusive
	return nil
}

// settle checks the total against what remains to credit and splits it:
// the post-payment part is what req gives back (refund, balance credit,
// out of band), at most what was paid; the rest is the pre-payment part,
// at most what the invoice still owes (less payments in flight). apart is
// what refunds outside credit notes took.
func (d *creditDraft) settle(inv *ent.Invoice, req *creditRequest, remaining, apart int64, amountField string) error {
	cur := inv.Currency
	f := func(minor int64) string { return money.MajorString(minor, cur) }
	switch {
	case d.total <= 0:
		return usererr.New(usererr.InvalidAmount, "a credit note credits more than zero", amountField)
	case req.amount != nil && len(req.items) > 0 && *req.amount != d.total:
		return usererr.Newf(usererr.CreditAmountMismatch, []string{"amount"},
			"the lines credit %s; amount says %s (omit it, or give the lines' total)", f(d.total), f(*req.amount))
	case d.total > remaining:
		return exceedsRemaining(d.total, remaining, cur, amountField)
	}
	d.post = req.refund + req.credit + req.oob
	splitField := "refundAmount"
	for _, c := range []struct {
		v    int64
		name string
	}{{req.refund, "refundAmount"}, {req.credit, "creditAmount"}, {req.oob, "outOfBandAmount"}} {
		if c.v > 0 {
			splitField = c.name
		}
	}
	if d.post > d.total {
		return usererr.Newf(usererr.CreditSplitExceedsTotal, []string{splitField},
			"refundAmount + creditAmount + outOfBandAmount come to %s, more than the credit note's total of %s", f(d.post), f(d.total))
	}
	d.pre = d.total - d.post
	owed := max(AmountAvailable(inv), 0)
	if d.pre > owed {
		if owed == 0 {
			return usererr.Newf(usererr.PrePaymentExceedsRemaining, []string{amountField},
				"nothing remains to pay on this invoice: give the %s as refundAmount, creditAmount or outOfBandAmount", f(d.pre))
		}
		return usererr.Newf(usererr.PrePaymentExceedsRemaining, []string{amountField},
			"%s remains to pay on this invoice: give the other %s as refundAmount, creditAmount or outOfBandAmount", f(owed), f(d.pre-owed))
	}
	paid := inv.AmountPaid + max(-inv.AppliedBalance, 0) - inv.PostPaymentCreditNotesAmount - apart
	if d.post > max(paid, 0) {
		return usererr.Newf(usererr.PostPaymentExceedsPaid, []string{splitField},
			"%s of what was paid for this invoice remains to give back; refundAmount + creditAmount + outOfBandAmount come to %s", f(max(paid, 0)), f(d.post))
	}
	switch {
	case d.pre > 0 && d.post > 0:
		d.typ = creditnote.TypeMixed
	case d.post > 0:
		d.typ = creditnote.TypePostPayment
	default:
		d.typ = creditnote.TypePrePayment
	}
	if d.pre > 0 && len(inv.AmountsDue) > 0 {
		// The pre-payment part comes off the last installments first: what
		// was paid (or is in flight) covers the first ones, so the credit
		// never touches a settled installment.
		d.plan = append([]values.Installment{}, inv.AmountsDue...)
		d.reductions = make([]int64, len(d.plan))
		left := d.pre
		for i := len(d.plan) - 1; i >= 0 && left > 0; i-- {
			take := min(left, d.plan[i].Amount)
			d.plan[i].Amount -= take
			d.reductions[i] = take
			left -= take
		}
	}
	return nil
}

func exceedsRemaining(total, remaining int64, currency, field string) error {
	return usererr.Newf(usererr.CreditExceedsRemaining, []string{field},
		"the credit note's %s is more than the %s that remains to credit on this invoice (its total less earlier credit notes and refunds)",
		money.MajorString(total, currency), money.MajorString(max(remaining, 0), currency))
}

// note is the credit note the draft makes on inv, without id or number.
func (d *creditDraft) note(inv *ent.Invoice, req *creditRequest) *ent.CreditNote {
	return &ent.CreditNote{
		AccountID: inv.AccountID, Mode: inv.Mode,
		InvoiceID: inv.ID, CustomerID: inv.CustomerID, Currency: inv.Currency,
		Status: creditnote.StatusIssued, Type: d.typ, Reason: req.in.Reason,
		Memo: req.memo, Metadata: orEmpty(req.metadata),
		Subtotal: d.subtotal, TotalDiscount: d.totalDiscount, TotalExcludingTax: d.totalExcludingTax,
		TotalTax: d.totalTax, Total: d.total, Taxes: d.taxes,
		PrePaymentAmount: d.pre, PostPaymentAmount: d.post,
		RefundAmount: req.refund, CreditAmount: req.credit, OutOfBandAmount: req.oob,
		InstallmentReductions: d.reductions,
	}
}

// createNote is the insert of n (account and mode come from the viewer).
func createNote(tx *ent.Tx, n *ent.CreditNote) *ent.CreditNoteCreate {
	return tx.CreditNote.Create().
		SetID(n.ID).SetInvoiceID(n.InvoiceID).SetCustomerID(n.CustomerID).SetNumber(n.Number).
		SetCurrency(n.Currency).SetStatus(n.Status).SetType(n.Type).SetNillableReason(n.Reason).
		SetMemo(n.Memo).SetMetadata(n.Metadata).
		SetSubtotal(n.Subtotal).SetTotalDiscount(n.TotalDiscount).SetTotalExcludingTax(n.TotalExcludingTax).
		SetTotalTax(n.TotalTax).SetTotal(n.Total).SetTaxes(n.Taxes).
		SetPrePaymentAmount(n.PrePaymentAmount).SetPostPaymentAmount(n.PostPaymentAmount).
		SetRefundAmount(n.RefundAmount).SetCreditAmount(n.CreditAmount).SetOutOfBandAmount(n.OutOfBandAmount).
		SetInstallmentReductions(n.InstallmentReductions)
}

// insertLines writes the draft's lines of cn, in one statement.
func (d *creditDraft) insertLines(ctx context.Context, tx *ent.Tx, cn *ent.CreditNote) ([]*ent.CreditNoteLine, error) {
	builders := make([]*ent.CreditNoteLineCreate, len(d.lines))
	for i, l := range d.lines {
		builders[i] = tx.CreditNoteLine.Create().
			SetCreditNoteID(cn.ID).SetInvoiceID(cn.InvoiceID).SetCurrency(cn.Currency).SetPosition(i).
			SetType(l.typ).SetNillableInvoiceLineID(l.invoiceLineID).SetNillableMethod(l.method).
			SetDescription(l.description).SetQuantity(l.quantity).SetUnitAmount(l.unitAmount).
			SetAmount(l.amount).SetDiscountAmount(l.discount).SetTaxAmounts(l.taxes)
	}
	saved, err := tx.CreditNoteLine.CreateBulk(builders...).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create credit note lines: %w", err)
	}
	return saved, nil
}

// lineEntities are the draft's lines as rows of cn, unsaved (a preview).
func (d *creditDraft) lineEntities(cn *ent.CreditNote) []*ent.CreditNoteLine {
	out := make([]*ent.CreditNoteLine, len(d.lines))
	for i, l := range d.lines {
		out[i] = &ent.CreditNoteLine{
			AccountID: cn.AccountID, Mode: cn.Mode, CreatedAt: cn.CreatedAt, UpdatedAt: cn.UpdatedAt,
			InvoiceID: cn.InvoiceID, Currency: cn.Currency, Position: i,
			Type: l.typ, InvoiceLineID: l.invoiceLineID, Method: l.method,
			Description: l.description, Quantity: l.quantity, UnitAmount: l.unitAmount,
			Amount: l.amount, DiscountAmount: l.discount, TaxAmounts: l.taxes,
		}
		// Unsaved: the invoice line is not found through the row.
		out[i].Edges.LoadedInvoiceLine(l.invoiceLine)
	}
	return out
}

// rateOfAmount is the rate a stored tax amount was computed with.
// chargedPrefix marks, inside the engine, a rate as an invoice line was
// charged it (exemption applied: 0 % AE for a 20 % rate of a
// reverse-charge buyer), so that it is not taken for the same rate as a
// custom line of the credit note sends afresh, which the engine would
// refuse as one id with two rates. rateID takes it off again.
const chargedPrefix = "charged:"

// rateID is the tax rate id of an engine rate.
func rateID(engineID string) string { return strings.TrimPrefix(engineID, chargedPrefix) }

func rateOfAmount(t values.TaxAmount) (totals.TaxRate, error) {
	p, err := decimal.NewFromString(t.Percentage)
	if err != nil {
		return totals.TaxRate{}, fmt.Errorf("tax rate %s percentage %q: %w", t.TaxRateID, t.Percentage, err)
	}
	// The invoice line's tax as it was charged, exemption applied: a
	// credit of a reverse-charge line is reverse charge too. A stored
	// category marks VAT (invoices computed before categories have none and
	// keep a group per rate, as they were computed).
	return totals.TaxRate{
		ID: chargedPrefix + t.TaxRateID, Percentage: p, Inclusive: t.Inclusive,
		VAT:      t.Category != "",
		Category: totals.Category(t.Category), ExemptionReason: t.ExemptionReason, ExemptionCode: t.ExemptionCode,
	}, nil
}

// taxLabel names a rate in a line's description: "VAT 20 %".
func taxLabel(t values.TaxAmount) string {
	if t.DisplayName == "" {
		return t.Percentage + " %"
	}
	return t.DisplayName + " " + t.Percentage + " %"
}

// majorOf is minor units of currency as a decimal in major units.
func majorOf(minor int64, currency string) (decimal.Decimal, error) {
	digits, ok := money.Digits(currency)
	if !ok {
		return decimal.Decimal{}, fmt.Errorf("currency %q: %w", currency, money.ErrUnknownCurrency)
	}
	return decimal.New(minor, int32(-digits)), nil
}

func lower(m creditnoteline.Method) string {
	if m == creditnoteline.MethodAmount {
		return "amount"
	}
	return "quantity"
}
