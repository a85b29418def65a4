package billing

import (
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/customer"
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
	// exemption is the buyer's tax status the totals were computed
	// under (nil: none), stored with them so that finalization knows
	// whether the customer's status changed since.
	exemption *values.TaxExemption
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
	return totals.TaxRate{
		ID: t.ID, Percentage: decimal.RequireFromString(t.Percentage), Inclusive: t.Inclusive,
		// EN 16931 groups VAT per category and percentage; other taxes
		// (sales taxes…) keep a group per rate, so they can stack.
		VAT:      t.TaxType == "vat",
		Category: totals.Category(t.Category), ExemptionReason: t.ExemptionReason, ExemptionCode: t.ExemptionCode,
	}
}

// exemptionOf is the tax status cus gives its invoices: nil when it pays
// tax. The customer's VATEX code is kept only when it is of the status's
// category (customers.Update refuses others; a code set while the status
// was another is left out).
func exemptionOf(cus *ent.Customer) *values.TaxExemption {
	var cat totals.Category
	switch cus.TaxExempt {
	case customer.TaxExemptExempt:
		cat = totals.Exempt
	case customer.TaxExemptReverse:
		cat = totals.ReverseCharge
	default:
		return nil
	}
	e := &values.TaxExemption{Status: string(cus.TaxExempt), Reason: cus.TaxExemptionReason}
	if c, ok := totals.VATEXCategory(cus.TaxExemptionCode); ok && c == cat {
		e.Code = cus.TaxExemptionCode
	}
	return e
}

// totalsExemption is e as the totals engine applies it.
func totalsExemption(e *values.TaxExemption) totals.Exemption {
	if e == nil {
		return totals.Exemption{}
	}
	out := totals.Exemption{Category: totals.Exempt, Reason: e.Reason, Code: e.Code}
	if e.Status == string(customer.TaxExemptReverse) {
		out.Category = totals.ReverseCharge
	}
	return out
}

// sameExemption reports whether a and b apply the same status.
func sameExemption(a, b *values.TaxExemption) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func taxAmountOf(ta totals.TaxAmount, r refs) values.TaxAmount {
	v := values.TaxAmount{
		TaxRateID:       ta.TaxRate.ID,
		Percentage:      ta.TaxRate.Percentage.String(),
		Inclusive:       ta.TaxRate.Inclusive,
		Category:        string(ta.TaxRate.Category),
		ExemptionReason: ta.TaxRate.ExemptionReason,
		ExemptionCode:   ta.TaxRate.ExemptionCode,
		TaxableAmount:   ta.TaxableAmount,
		Amount:          ta.Amount,
	}
	if t, ok := r.taxRates[ta.TaxRate.ID]; ok {
		v.DisplayName, v.Jurisdiction = t.DisplayName, t.Jurisdiction
	}
	return v
}

// compute runs the totals engine (internal/totals, EN 16931 rules) over a
// draft for a buyer of tax status ex (nil: none) and maps its failures to
// the input fields at fault. Drafts are computed under their customer's
// status as it is when they change, so they preview what finalization
// issues; finalization computes again if the status changed since.
func compute(h header, lines []lineDraft, r refs, ex *values.TaxExemption) (computed, error) {
	in := totals.Input{Currency: h.currency, Discounts: discountsOf(h.discounts), Exemption: totalsExemption(ex)}
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
		exemption:         ex,
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
		msg := "invalid tax rate"
		if le != nil {
			msg += ": " + le.Err.Error()
		}
		return usererr.New(usererr.Invalid, msg, at("taxRates")...)
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
	SetTaxExemption(*values.TaxExemption)
	ClearTaxExemption()
}

func setTotals(m totalsSetter, c computed) {
	if c.exemption != nil {
		m.SetTaxExemption(c.exemption)
	} else {
		m.ClearTaxExemption()
	}
	m.SetSubtotal(c.subtotal)
	m.SetTotalDiscount(c.totalDiscount)
	m.SetTotalTax(c.totalTax)
	m.SetTotalExcludingTax(c.totalExcludingTax)
	m.SetTotal(c.total)
	m.SetTaxes(c.taxes)
	// A draft owes its total; the balance is applied at finalization.
	m.SetAmountDue(c.total)
}
