package billing

import (
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/totals"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/values"
)

// computed is the outcome of the totals engine, shaped for storage.
type computed struct {
	subtotal, totalDiscount, totalTax, totalExcludingTax, total int64
	taxes                                                       []values.TaxAmount
	lines                                                       []lineComputed
}

type lineComputed struct {
	amount, discount, invoiceDiscount int64
	taxes                             []values.TaxAmount
}

func discountsOf(ds []values.Discount) []totals.Discount {
	out := make([]totals.Discount, 0, len(ds))
	for _, d := range ds {
		if d.Percent != "" {
			p := decimal.RequireFromString(d.Percent)
			out = append(out, totals.Discount{Percent: &p})
		} else {
			out = append(out, totals.Discount{AmountMinor: d.AmountOff})
		}
	}
	return out
}

func rateOf(t *ent.TaxRate) totals.TaxRate {
	return totals.TaxRate{ID: t.ID, Percentage: decimal.RequireFromString(t.Percentage), Inclusive: t.Inclusive}
}

func taxAmountOf(ta totals.TaxAmount, r refs) values.TaxAmount {
	v := values.TaxAmount{
		TaxRateID:     ta.TaxRate.ID,
		Percentage:    ta.TaxRate.Percentage.String(),
		Inclusive:     ta.TaxRate.Inclusive,
		TaxableAmount: ta.TaxableAmount,
		Amount:        ta.Amount,
	}
	if t, ok := r.taxRates[ta.TaxRate.ID]; ok {
		v.DisplayName, v.Jurisdiction = t.DisplayName, t.Jurisdiction
	}
	return v
}

// compute runs the totals engine (internal/totals, EN 16931 rules) over a
// draft and maps its failures to the input fields at fault.
func compute(h header, lines []lineDraft, r refs) (computed, error) {
	in := totals.Input{Currency: h.currency, Discounts: discountsOf(h.discounts)}
	for _, id := range h.defaultRateIDs {
		if t, ok := r.taxRates[id]; ok {
			in.DefaultTaxRates = append(in.DefaultTaxRates, rateOf(t))
		}
	}
	in.Lines = make([]totals.Line, len(lines))
	for i, l := range lines {
		tl := totals.Line{Quantity: l.quantity, UnitAmount: l.unitAmount, Discounts: discountsOf(l.discounts)}
		if l.ratesSet {
			tl.TaxRates = []totals.TaxRate{}
			for _, id := range l.rateIDs {
				if t, ok := r.taxRates[id]; ok {
					tl.TaxRates = append(tl.TaxRates, rateOf(t))
				}
			}
		}
		in.Lines[i] = tl
	}
	res, err := totals.Compute(in)
	if err != nil {
		return computed{}, totalsError(err)
	}
	out := computed{
		subtotal:          res.Subtotal,
		totalDiscount:     res.TotalDiscount,
		totalTax:          res.TaxExclusive + res.TaxInclusive,
		totalExcludingTax: res.TotalExcludingTax,
		total:             res.Total,
		lines:             make([]lineComputed, len(res.Lines)),
	}
	for _, t := range res.Taxes {
		out.taxes = append(out.taxes, taxAmountOf(t, r))
	}
	for i, lr := range res.Lines {
		lc := lineComputed{amount: lr.Amount, discount: lr.DiscountAmount, invoiceDiscount: lr.InvoiceDiscountShare}
		for _, t := range lr.TaxAmounts {
			lc.taxes = append(lc.taxes, taxAmountOf(t, r))
		}
		out.lines[i] = lc
	}
	return out, nil
}

func totalsError(err error) error {
	field := []string{}
	var le *totals.LineError
	if errors.As(err, &le) {
		field = []string{"lines", fmt.Sprint(le.Index)}
	}
	at := func(f string) []string { return append(append([]string{}, field...), f) }
	switch {
	case errors.Is(err, totals.ErrAmountTooLarge), errors.Is(err, money.ErrAmountTooLarge):
		return usererr.New(usererr.AmountTooLarge, "an amount of this invoice exceeds 10^15 minor units", field...)
	case errors.Is(err, totals.ErrInvalidQuantity):
		return usererr.New(usererr.Invalid, "quantity is above 0 with at most 4 decimals", at("quantity")...)
	case errors.Is(err, totals.ErrInvalidUnitAmount):
		return usererr.New(usererr.InvalidAmount, "invalid unit amount", at("unitAmount")...)
	case errors.Is(err, totals.ErrInvalidDiscount):
		return usererr.New(usererr.Invalid, "invalid discount", at("discounts")...)
	case errors.Is(err, totals.ErrInvalidTaxRate):
		return usererr.New(usererr.Invalid, "invalid tax rate", at("taxRates")...)
	}
	if le != nil {
		return usererr.New(usererr.Invalid, le.Err.Error(), at("taxRates")...)
	}
	return fmt.Errorf("compute totals: %w", err)
}

// totalsSetter is implemented by invoice create and update mutations.
type totalsSetter interface {
	SetSubtotal(int64)
	SetTotalDiscount(int64)
	SetTotalTax(int64)
	SetTotalExcludingTax(int64)
	SetTotal(int64)
	SetTaxes([]values.TaxAmount)
	SetAmountDue(int64)
}

func setTotals(m totalsSetter, c computed) {
	m.SetSubtotal(c.subtotal)
	m.SetTotalDiscount(c.totalDiscount)
	m.SetTotalTax(c.totalTax)
	m.SetTotalExcludingTax(c.totalExcludingTax)
	m.SetTotal(c.total)
	m.SetTaxes(c.taxes)
	// A draft owes its total; the balance is applied at finalization.
	m.SetAmountDue(c.total)
}
