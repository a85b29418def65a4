// Package totals computes invoice totals following EN 16931. It is pure
// computation: the same Input always yields the same Result.
//
// All amounts are int64 minor units of the invoice currency, rounded with
// the single rule documented in package money (half away from zero).
//
// The rules, in the order they are applied:
//
//  1. Line amount = round(quantity × unit amount) in minor units. The unit
//     amount is in major units and may be more precise than the currency
//     (0.0015 USD); only the product is rounded.
//  2. Line discounts: a percentage is round(line amount × p / 100), a fixed
//     discount is its amount. Each percentage applies to the line amount,
//     not to what earlier discounts left, so their order does not matter.
//     A line's discounts together are capped at its amount. Line net =
//     amount − line discounts. Subtotal = Σ line nets.
//  3. Invoice discounts: a percentage is round(Subtotal × p / 100), a fixed
//     discount is its amount; together they are capped at Subtotal. The
//     total is allocated to lines pro rata to their nets by the largest
//     remainder method, so the shares add up exactly, with ties going to
//     the lower line index so the split is reproducible.
//  4. Tax: one group per VAT category and percentage (EN 16931 BG-23,
//     BR-S-08 and its siblings: a VAT rate's ID does not matter, two rates
//     of category S at 20 % are one group), and one group per rate ID for
//     the taxes that are not VAT (sales taxes and the like, which stack).
//     A buyer's Exemption first turns every taxed (S) rate into a 0 % rate
//     of its category (E or AE), so an exempt or reverse-charge invoice
//     carries no tax while its breakdown still says why. A line's base is
//     its net minus its invoice discount share. For an exclusive rate the group tax is
//     round(Σ bases × p / 100) and the taxable amount is Σ bases; for an
//     inclusive rate the bases already contain the tax, so the tax is
//     round(Σ bases × p / (100 + p)) and the taxable amount is Σ bases −
//     tax. Tax is rounded once per group on the sum, never summed from
//     rounded line taxes, which is what EN 16931 (BR-CO-14, BG-23) expects;
//     it is then allocated back to the lines, by largest remainder over
//     the lines' bases, only so each line can show its part.
//  5. A line may carry any number of exclusive rates, each computed on the
//     same base, and at most one inclusive rate (ErrMultipleInclusiveRates
//     otherwise: with two, each tax would depend on the other and grouping
//     per rate would no longer hold). Inclusive and exclusive rates may be
//     mixed on one line: inclusive groups are computed first, and an
//     exclusive group then uses, for each line with an inclusive rate, the
//     line's base minus its allocated inclusive tax, i.e. its net price.
//  6. Invalid input is reported with the sentinels below. Errors about a
//     line are *LineError values carrying the line's index, and errors
//     about a discount or rate name its index too ("line 3: discount 1:
//     invalid discount: ..."), so callers can map them to field paths.
//     Quantities and percentages may have at most 4 decimals; any amount,
//     intermediate or final, beyond money.MaxAmount is ErrAmountTooLarge.
//
// A nil Line.TaxRates means the invoice's DefaultTaxRates apply; an empty,
// non-nil slice means the line is untaxed. A rate ID must describe the same
// rate (percentage and behaviour) everywhere it appears in an Input. A line
// may not carry two VAT rates of one group unless the group is 0 % (an
// exemption can make it so). The rates of one 0 % VAT group may state
// different exemptions: the group, of which EN 16931 has one, lists them
// (see group.mergeExemption).
package totals

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/remitbilling/remit/internal/money"
	"github.com/shopspring/decimal"
)

// TaxRate is a tax rate as applied to invoice lines.
type TaxRate struct {
	ID         string          // stable identity; the group of a tax other than VAT
	Percentage decimal.Decimal // 0..100, up to 4 decimals
	Inclusive  bool
	// VAT rates are grouped per Category and Percentage; other taxes per
	// ID.
	VAT bool
	// Category is the EN 16931 category; "" reads as CategoryOr does (S
	// above 0 %, Z at 0 %). See CheckRate for what each allows.
	Category Category
	// ExemptionReason (BT-120) and ExemptionCode (a VATEX code, BT-121)
	// say why a rate of a category other than S and Z charges no VAT.
	ExemptionReason string
	ExemptionCode   string
}

// Discount is a line or invoice discount. Exactly one of Percent and
// AmountMinor is set.
type Discount struct {
	Percent     *decimal.Decimal // 0 < p <= 100, up to 4 decimals
	AmountMinor int64            // > 0, in the invoice currency's minor units
}

// Line is one invoice line.
type Line struct {
	Quantity   decimal.Decimal // > 0, up to 4 decimals
	UnitAmount decimal.Decimal // >= 0, in major units, any precision
	Discounts  []Discount
	TaxRates   []TaxRate // nil: the invoice's default rates; empty: untaxed
}

// Input is everything the totals of an invoice depend on.
type Input struct {
	Currency        string
	Lines           []Line
	Discounts       []Discount // invoice-level
	DefaultTaxRates []TaxRate
	// Exemption is the buyer's tax status (exempt, reverse charge); the
	// zero value charges every rate as it is.
	Exemption Exemption
}

// LineResult holds a line's amounts, in the order of Input.Lines.
type LineResult struct {
	Amount               int64       // round(quantity × unit amount)
	DiscountAmount       int64       // line-level discounts
	InvoiceDiscountShare int64       // this line's share of invoice-level discounts
	TaxAmounts           []TaxAmount // this line's share of each group, in TaxRates order
	TaxRates             []TaxRate   // effective rates: the line's own or the defaults, exemption applied
}

// TaxAmount is the tax of one group, or a line's share of it. A group's
// TaxRate is the effective rate of its first line (of several VAT rates of
// one category and percentage, the one that line carries); its Category
// is always set.
type TaxAmount struct {
	TaxRate       TaxRate
	TaxableAmount int64 // net taxable base, excluding the tax for inclusive rates
	Amount        int64
}

// Result is the computed totals of an invoice.
type Result struct {
	Lines             []LineResult
	Subtotal          int64       // Σ (line amount − line discounts)
	InvoiceDiscount   int64       // Σ invoice-level discounts, capped at Subtotal
	TotalDiscount     int64       // line discounts + invoice discounts
	Taxes             []TaxAmount // one per group used by a line (BG-23): VAT by category then percentage (highest first), then other taxes by rate ID
	TaxExclusive      int64       // Σ exclusive tax
	TaxInclusive      int64       // Σ inclusive tax, already inside the line amounts
	TotalExcludingTax int64       // Subtotal − InvoiceDiscount − TaxInclusive
	Total             int64       // Subtotal − InvoiceDiscount + TaxExclusive
}

// Validation errors, to match with errors.Is. Compute also returns
// money.ErrUnknownCurrency for an unknown Input.Currency.
var (
	ErrInvalidQuantity        = errors.New("invalid quantity")
	ErrInvalidUnitAmount      = errors.New("invalid unit amount")
	ErrInvalidDiscount        = errors.New("invalid discount")
	ErrInvalidTaxRate         = errors.New("invalid tax rate")
	ErrMultipleInclusiveRates = errors.New("more than one inclusive tax rate")
	// ErrAmountTooLarge is money.ErrAmountTooLarge, so either matches.
	ErrAmountTooLarge = money.ErrAmountTooLarge
)

// LineError is an error about one line of the Input.
type LineError struct {
	Index int
	Err   error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Index, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// Percentages are handled as integers with 4 decimals: 5.5 % is 55_000.
const (
	percentDecimals = 4
	hundredPercent  = 100 * 10_000
)

// Compute returns the totals of an invoice; see the package documentation
// for the rules.
func Compute(in Input) (Result, error) {
	cur, err := money.Normalize(in.Currency)
	if err != nil {
		return Result{}, fmt.Errorf("currency: %w", err)
	}
	exemption := in.Exemption
	if !exemption.IsZero() {
		if exemption.Category != Exempt && exemption.Category != ReverseCharge {
			return Result{}, fmt.Errorf("%w: an exemption is of category E or AE, not %q", ErrInvalidTaxRate, exemption.Category)
		}
	}
	c := computation{currency: cur, exemption: exemption, seen: make(map[string]seenRate), groups: make(map[string]*group)}
	defaults, err := c.rates(in.DefaultTaxRates, "default tax rate")
	if err != nil {
		return Result{}, err
	}
	invoiceDiscounts, err := parseDiscounts(in.Discounts)
	if err != nil {
		return Result{}, err
	}

	res := Result{Lines: make([]LineResult, len(in.Lines))}
	nets := make([]int64, len(in.Lines))
	var lineDiscounts int64
	for i, l := range in.Lines {
		lr := &res.Lines[i]
		if err := c.line(i, l, defaults, lr); err != nil {
			return Result{}, &LineError{Index: i, Err: err}
		}
		nets[i] = lr.Amount - lr.DiscountAmount
		res.Subtotal += nets[i]
		lineDiscounts += lr.DiscountAmount
		// Checked per line, so the sums cannot overflow before they are.
		if res.Subtotal > money.MaxAmount {
			return Result{}, fmt.Errorf("subtotal: %w", ErrAmountTooLarge)
		}
		if lineDiscounts > money.MaxAmount {
			return Result{}, fmt.Errorf("line discounts: %w", ErrAmountTooLarge)
		}
	}

	res.InvoiceDiscount, err = discountTotal(res.Subtotal, invoiceDiscounts)
	if err != nil {
		return Result{}, err
	}
	res.TotalDiscount = lineDiscounts + res.InvoiceDiscount
	if res.TotalDiscount > money.MaxAmount {
		return Result{}, fmt.Errorf("total discount: %w", ErrAmountTooLarge)
	}
	shares := make([]int64, len(in.Lines))
	c.alloc.allocate(res.InvoiceDiscount, nets, shares)
	bases := nets // nets are not needed past this point
	for i := range res.Lines {
		res.Lines[i].InvoiceDiscountShare = shares[i]
		bases[i] -= shares[i]
	}

	if err := c.taxes(bases, &res); err != nil {
		return Result{}, err
	}
	res.TotalExcludingTax = res.Subtotal - res.InvoiceDiscount - res.TaxInclusive
	res.Total = res.Subtotal - res.InvoiceDiscount + res.TaxExclusive
	if res.Total > money.MaxAmount {
		return Result{}, fmt.Errorf("total: %w", ErrAmountTooLarge)
	}
	return res, nil
}

// computation carries the state shared by the steps of one Compute call.
type computation struct {
	currency  string
	exemption Exemption
	seen      map[string]seenRate // every rate by ID, as given
	groups    map[string]*group   // by group key
	alloc     allocator
}

// seenRate is a rate as first given, to check that its ID always means
// the same rate.
type seenRate struct {
	rate   TaxRate
	points int64
}

// group is the set of lines carrying one tax: a VAT category and
// percentage, or a rate of another tax.
type group struct {
	key       string
	rate      TaxRate // effective rate of the first line
	points    int64   // percentage × 10⁴
	inclusive bool    // computed as inclusive: an inclusive rate above 0 %
	members   []member
	reasons   []string // the exemptions of its rates, when they differ
}

// mergeExemption gives the group the exemption of one more of its rates
// that states another: EN 16931 has one breakdown per category and rate,
// with one reason (BT-120) and one code (BT-121), so the group keeps the
// code its rates share, if any, and lists each rate's reason (or code,
// for a rate that gives none), in the order the lines bring them.
func (g *group) mergeExemption(r TaxRate) {
	label := func(r TaxRate) string { return cmp.Or(r.ExemptionReason, r.ExemptionCode) }
	if g.reasons == nil {
		g.reasons = []string{label(g.rate)}
	}
	if l := label(r); !slices.Contains(g.reasons, l) {
		g.reasons = append(g.reasons, l)
	}
	if g.rate.ExemptionCode != r.ExemptionCode {
		g.rate.ExemptionCode = ""
	}
	g.rate.ExemptionReason = strings.Join(g.reasons, "; ")
}

// member locates a line's TaxAmounts entries for a group: one, or several
// when the line carries several rates of a 0 % VAT group.
type member struct {
	line  int
	slots []int
}

// rateSet is a line's (or the default) rates, validated: the effective
// rates, exemption applied, with their percentages and group keys.
type rateSet struct {
	rates  []TaxRate
	points []int64
	keys   []string
}

func (c *computation) line(i int, l Line, defaults rateSet, lr *LineResult) error {
	if l.Quantity.Sign() <= 0 || !placesAtMost(l.Quantity, percentDecimals) {
		return fmt.Errorf("%w: must be positive with at most %d decimals", ErrInvalidQuantity, percentDecimals)
	}
	if l.UnitAmount.Sign() < 0 {
		return fmt.Errorf("%w: must not be negative", ErrInvalidUnitAmount)
	}
	amount, err := lineAmount(l.Quantity, l.UnitAmount, c.currency)
	if err != nil {
		return err
	}
	discounts, err := parseDiscounts(l.Discounts)
	if err != nil {
		return err
	}
	discount, err := discountTotal(amount, discounts)
	if err != nil {
		return err
	}

	set := defaults
	if l.TaxRates != nil {
		if set, err = c.rates(l.TaxRates, "tax rate"); err != nil {
			return err
		}
	}
	*lr = LineResult{
		Amount:         amount,
		DiscountAmount: discount,
		TaxRates:       slices.Clone(set.rates),
		TaxAmounts:     make([]TaxAmount, len(set.rates)),
	}
	for slot, key := range set.keys {
		r := set.rates[slot]
		g := c.groups[key]
		if g == nil {
			g = &group{key: key, rate: r, points: set.points[slot], inclusive: r.Inclusive && set.points[slot] > 0}
			c.groups[key] = g
		} else if r.VAT && (r.ExemptionReason != g.rate.ExemptionReason || r.ExemptionCode != g.rate.ExemptionCode) {
			g.mergeExemption(r)
		}
		if n := len(g.members); n > 0 && g.members[n-1].line == i {
			// Two rates of one VAT group on a line would tax it twice
			// in one breakdown; at 0 % (an exemption may have turned
			// both) there is nothing to tax twice.
			if g.points != 0 {
				return fmt.Errorf("tax rate %d: %w: two VAT rates of category %s at %s %% on one line",
					slot, ErrInvalidTaxRate, r.Category, r.Percentage)
			}
			g.members[n-1].slots = append(g.members[n-1].slots, slot)
			continue
		}
		g.members = append(g.members, member{line: i, slots: []int{slot}})
	}
	return nil
}

func lineAmount(quantity, unit decimal.Decimal, currency string) (int64, error) {
	if unit.IsZero() {
		return 0, nil
	}
	// decimal.Mul panics when the exponents' sum leaves the int32 range;
	// only hostile input gets there, and it must be an error, not a crash.
	switch exp := int64(quantity.Exponent()) + int64(unit.Exponent()); {
	case exp > math.MaxInt32:
		return 0, fmt.Errorf("amount: %w", ErrAmountTooLarge)
	case exp < math.MinInt32:
		return 0, fmt.Errorf("%w: too many decimals", ErrInvalidUnitAmount)
	}
	amount, err := money.MinorFromMajor(quantity.Mul(unit), currency)
	if err != nil {
		return 0, fmt.Errorf("amount: %w", err)
	}
	return amount, nil
}

// rates validates a line's (or the default) rate set and applies the
// buyer's exemption to it. label names the rates in errors.
func (c *computation) rates(rates []TaxRate, label string) (rateSet, error) {
	set := rateSet{
		rates:  make([]TaxRate, len(rates)),
		points: make([]int64, len(rates)),
		keys:   make([]string, len(rates)),
	}
	inclusive := 0
	for k, r := range rates {
		if r.ID == "" {
			return set, fmt.Errorf("%s %d: %w: empty id", label, k, ErrInvalidTaxRate)
		}
		points, ok := parsePercent(r.Percentage, 0)
		if !ok {
			return set, fmt.Errorf("%s %d: %w: percentage of %q must be in [0, 100] with at most %d decimals",
				label, k, ErrInvalidTaxRate, r.ID, percentDecimals)
		}
		if slices.ContainsFunc(rates[:k], func(o TaxRate) bool { return o.ID == r.ID }) {
			return set, fmt.Errorf("%s %d: %w: %q listed twice", label, k, ErrInvalidTaxRate, r.ID)
		}
		if r.Inclusive {
			if inclusive++; inclusive > 1 {
				return set, fmt.Errorf("%s %d: %w", label, k, ErrMultipleInclusiveRates)
			}
		}
		if r.Category != "" {
			cat, ok := ParseCategory(string(r.Category))
			if !ok {
				return set, fmt.Errorf("%s %d: %w: unknown VAT category %q", label, k, ErrInvalidTaxRate, r.Category)
			}
			if re := CheckRate(cat, r.Percentage, r.ExemptionReason, r.ExemptionCode); re != nil {
				return set, fmt.Errorf("%s %d: %w: %q: %s", label, k, ErrInvalidTaxRate, r.ID, re.Message)
			}
			r.Category = cat
			if r.ExemptionCode == "" {
				r.ExemptionCode = cat.DefaultExemptionCode()
			}
		}
		if prev, ok := c.seen[r.ID]; !ok {
			c.seen[r.ID] = seenRate{rate: r, points: points}
		} else if prev.points != points || prev.rate.Inclusive != r.Inclusive || prev.rate.VAT != r.VAT ||
			prev.rate.Category != r.Category || prev.rate.ExemptionReason != r.ExemptionReason || prev.rate.ExemptionCode != r.ExemptionCode {
			return set, fmt.Errorf("%s %d: %w: %q used for two different rates", label, k, ErrInvalidTaxRate, r.ID)
		}

		eff := c.exemption.apply(r)
		eff.Category = CategoryOr(eff.Category, eff.Percentage)
		if eff.Percentage.IsZero() {
			points = 0
		}
		set.rates[k], set.points[k] = eff, points
		if eff.VAT {
			// Inclusiveness makes no difference at 0 %.
			set.keys[k] = fmt.Sprintf("vat|%s|%d|%t", eff.Category, points, eff.Inclusive && points > 0)
		} else {
			set.keys[k] = "id|" + r.ID
		}
	}
	return set, nil
}

// taxes computes every group, then the tax totals of res. bases holds each
// line's net minus its invoice discount share.
func (c *computation) taxes(bases []int64, res *Result) error {
	groups := make([]*group, 0, len(c.groups))
	for _, g := range c.groups {
		groups = append(groups, g)
	}
	slices.SortFunc(groups, compareGroups)

	// Exclusive rates on a line with an inclusive rate apply to the price
	// net of that tax, so inclusive groups go first.
	inclusiveTax := make([]int64, len(bases))
	res.Taxes = make([]TaxAmount, len(groups))
	var weights, shares []int64
	for _, inclusive := range []bool{true, false} {
		for gi, g := range groups {
			if g.inclusive != inclusive {
				continue
			}
			weights, shares = weights[:0], shares[:0]
			var base int64
			for _, m := range g.members {
				w := bases[m.line]
				if !inclusive {
					w -= inclusiveTax[m.line]
				}
				weights = append(weights, w)
				shares = append(shares, 0)
				base += w
			}
			denominator := int64(hundredPercent)
			if inclusive {
				denominator += g.points
			}
			tax, err := money.MulDivRound(base, g.points, denominator)
			if err != nil {
				return fmt.Errorf("tax %q: %w", g.rate.ID, err)
			}
			c.alloc.allocate(tax, weights, shares)
			for k, m := range g.members {
				lr := &res.Lines[m.line]
				for _, slot := range m.slots {
					ta := TaxAmount{TaxRate: lr.TaxRates[slot], TaxableAmount: weights[k], Amount: shares[k]}
					if inclusive {
						ta.TaxableAmount -= shares[k]
						inclusiveTax[m.line] = shares[k]
					}
					lr.TaxAmounts[slot] = ta
				}
			}
			ta := TaxAmount{TaxRate: g.rate, TaxableAmount: base, Amount: tax}
			if inclusive {
				ta.TaxableAmount -= tax
				res.TaxInclusive += tax
			} else {
				// Several exclusive rates on the same lines can add up
				// beyond the limit even though each is below it.
				if res.TaxExclusive += tax; res.TaxExclusive > money.MaxAmount {
					return fmt.Errorf("tax: %w", ErrAmountTooLarge)
				}
			}
			res.Taxes[gi] = ta
		}
	}
	return nil
}

// compareGroups orders the breakdown: VAT first, by category (Categories'
// order) then percentage, highest first; then the other taxes by rate ID.
func compareGroups(a, b *group) int {
	if a.rate.VAT != b.rate.VAT {
		if a.rate.VAT {
			return -1
		}
		return 1
	}
	if !a.rate.VAT {
		return strings.Compare(a.rate.ID, b.rate.ID)
	}
	if c := cmp.Compare(slices.Index(Categories, a.rate.Category), slices.Index(Categories, b.rate.Category)); c != 0 {
		return c
	}
	if c := cmp.Compare(b.points, a.points); c != 0 {
		return c
	}
	return strings.Compare(a.key, b.key)
}

// discount is a validated Discount: exactly one field is non-zero.
type discount struct {
	points int64 // percentage × 10⁴
	fixed  int64
}

func parseDiscounts(ds []Discount) ([]discount, error) {
	out := make([]discount, len(ds))
	for k, d := range ds {
		switch {
		case d.Percent != nil && d.AmountMinor != 0:
			return nil, fmt.Errorf("discount %d: %w: both percent and amount set", k, ErrInvalidDiscount)
		case d.Percent != nil:
			points, ok := parsePercent(*d.Percent, 1)
			if !ok {
				return nil, fmt.Errorf("discount %d: %w: percent must be in (0, 100] with at most %d decimals",
					k, ErrInvalidDiscount, percentDecimals)
			}
			out[k].points = points
		case d.AmountMinor > money.MaxAmount:
			return nil, fmt.Errorf("discount %d: %w", k, ErrAmountTooLarge)
		case d.AmountMinor > 0:
			out[k].fixed = d.AmountMinor
		default:
			return nil, fmt.Errorf("discount %d: %w: amount %d must be positive", k, ErrInvalidDiscount, d.AmountMinor)
		}
	}
	return out, nil
}

// discountTotal returns the discounts of base, capped at base.
func discountTotal(base int64, ds []discount) (int64, error) {
	var total int64
	for k, d := range ds {
		amount := d.fixed
		if d.points != 0 {
			var err error
			if amount, err = money.MulDivRound(base, d.points, hundredPercent); err != nil {
				return 0, fmt.Errorf("discount %d: %w", k, err)
			}
		}
		// Both terms are at most MaxAmount, so the sum cannot overflow.
		total = min(total+amount, base)
	}
	return total, nil
}

// parsePercent returns p × 10⁴ when p has at most 4 decimals and p × 10⁴
// lies in [lowest, 100 × 10⁴].
func parsePercent(p decimal.Decimal, lowest int64) (int64, bool) {
	if p.IsZero() {
		// Converting a zero with a huge exponent would still rescale it.
		return 0, lowest <= 0
	}
	if !placesAtMost(p, percentDecimals) {
		return 0, false
	}
	// Checking the digit count before converting keeps a hostile exponent
	// (1e999999999) from expanding into a huge integer.
	if p.NumDigits()+int(p.Exponent()) > 3 {
		return 0, false
	}
	points := p.Shift(percentDecimals).IntPart()
	return points, points >= lowest && points <= hundredPercent
}

// placesAtMost reports whether d has at most n significant decimals, so
// "1.50000" passes for n = 4.
func placesAtMost(d decimal.Decimal, n int32) bool {
	if d.Exponent() >= -n {
		return true
	}
	// IsInteger stops at the first non-zero digit it strips, so its cost is
	// bounded by the coefficient's length whatever the exponent.
	return d.Shift(n).IsInteger()
}

// ApplyBalance applies a customer balance to an invoice total. A negative
// balance is credit owed to the customer; a positive one is debt owed by
// the customer.
//
// applied is the signed amount moved from the balance onto the invoice:
// amountDue = total + applied and the customer's balance becomes
// balance − applied. Credit (applied < 0) is used only up to the total, so
// credit never makes the amount due negative and the rest stays on the
// balance for later invoices; debt is added in full. Inputs are expected
// within ±money.MaxAmount, as everywhere in this system.
func ApplyBalance(total, balance int64) (applied, amountDue int64) {
	switch {
	case balance > 0:
		applied = balance
	case balance < 0:
		applied = max(balance, -max(total, 0))
	}
	return applied, total + applied
}
