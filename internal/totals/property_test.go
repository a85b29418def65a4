package totals

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/remitbilling/remit/internal/money"
	"github.com/shopspring/decimal"
)

// TestComputeProperties runs random invoices through Compute and checks
// every result against the invariants and against an independent big.Rat
// recomputation of each rounded amount.
func TestComputeProperties(t *testing.T) {
	invoices := 5000
	if testing.Short() {
		invoices = 500
	}
	rng := rand.New(rand.NewPCG(20240601, 16931))
	for n := range invoices {
		in := randomInput(rng)
		res, err := Compute(in)
		if err != nil {
			t.Fatalf("invoice %d: Compute: %v", n, err)
		}
		checkInvariants(t, in, res)
		if t.Failed() {
			t.Fatalf("invoice %d failed (currency %s, %d lines)", n, in.Currency, len(in.Lines))
		}
		// Recomputing is the expensive half; a sample is enough to catch
		// map-order or shared-buffer leaks.
		if n%10 == 0 {
			again, err := Compute(in)
			if err != nil || !reflect.DeepEqual(res, again) {
				t.Fatalf("invoice %d: second Compute differs (err %v)", n, err)
			}
		}
	}
}

func randomInput(rng *rand.Rand) Input {
	in := Input{Currency: []string{"USD", "EUR", "JPY", "KWD"}[rng.IntN(4)]}
	pool := make([]TaxRate, 1+rng.IntN(6))
	for k := range pool {
		pool[k] = TaxRate{
			ID:         fmt.Sprintf("txr_%d", k),
			Percentage: randomPercent(rng, 0),
			Inclusive:  rng.IntN(3) == 0,
		}
	}
	in.DefaultTaxRates = pickRates(rng, pool)
	in.Discounts = randomDiscounts(rng)
	in.Lines = make([]Line, 1+rng.IntN(250))
	for i := range in.Lines {
		l := Line{
			// Up to 1000 with 0–4 decimals, and up to 10 000 with 0–6
			// decimals: 250 such lines stay well below money.MaxAmount
			// even in KWD.
			Quantity:   randomDecimal(rng, 4, 3, 1),
			UnitAmount: randomDecimal(rng, 6, 4, 0),
			Discounts:  randomDiscounts(rng),
		}
		switch rng.IntN(10) {
		case 0, 1, 2, 3: // defaults
		case 4:
			l.TaxRates = []TaxRate{}
		default:
			l.TaxRates = pickRates(rng, pool)
			if l.TaxRates == nil {
				l.TaxRates = []TaxRate{}
			}
		}
		in.Lines[i] = l
	}
	return in
}

// randomDecimal returns a value in [lowest, 10^intDigits) with up to
// places decimals, with the digit count itself random so that tiny and
// large values, and ones needing rounding, all turn up.
func randomDecimal(rng *rand.Rand, places, intDigits int, lowest int64) decimal.Decimal {
	exp := -rng.IntN(places + 1)
	digits := 1 + rng.IntN(intDigits-exp)
	coef := rng.Int64N(pow10(digits))
	if rng.IntN(20) == 0 {
		coef = 0
	}
	return decimal.New(max(coef, lowest), int32(exp))
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// randomPercent favours real-world rates and the edges, and otherwise
// draws any value with up to 4 decimals in [lowest/10⁴, 100].
func randomPercent(rng *rand.Rand, lowest int64) decimal.Decimal {
	common := []string{"20", "5.5", "10", "19", "21", "7.75", "8.875", "2.1", "100", "0.0001", "0"}
	if rng.IntN(2) == 0 {
		if p := dec(common[rng.IntN(len(common))]); p.Shift(4).IntPart() >= lowest {
			return p
		}
	}
	return decimal.New(lowest+rng.Int64N(hundredPercent-lowest+1), -4)
}

// pickRates returns up to three distinct rates from pool with at most one
// inclusive, or nil.
func pickRates(rng *rand.Rand, pool []TaxRate) []TaxRate {
	var out []TaxRate
	inclusive := false
	for _, k := range rng.Perm(len(pool))[:rng.IntN(min(3, len(pool))+1)] {
		if pool[k].Inclusive {
			if inclusive {
				continue
			}
			inclusive = true
		}
		out = append(out, pool[k])
	}
	return out
}

func randomDiscounts(rng *rand.Rand) []Discount {
	if rng.IntN(3) != 0 {
		return nil
	}
	ds := make([]Discount, 1+rng.IntN(2))
	for k := range ds {
		if rng.IntN(2) == 0 {
			p := randomPercent(rng, 1)
			ds[k].Percent = &p
		} else {
			ds[k].AmountMinor = 1 + rng.Int64N(pow10(1+rng.IntN(7)))
		}
	}
	return ds
}

// checkInvariants verifies res against in without trusting any of the
// package's helpers: every rounded value is recomputed with big.Rat.
func checkInvariants(t testing.TB, in Input, res Result) {
	t.Helper()
	digits, ok := money.Digits(in.Currency)
	if !ok {
		t.Fatalf("unknown currency %q", in.Currency)
	}
	scale := new(big.Rat).SetInt64(pow10(digits))
	hundred := big.NewRat(100, 1)
	if len(res.Lines) != len(in.Lines) {
		t.Fatalf("%d line results for %d lines", len(res.Lines), len(in.Lines))
	}
	// The label is built only on failure: this runs for millions of values.
	nonNegative := func(v int64, format string, args ...any) {
		if v < 0 {
			t.Errorf("%s = %d is negative", fmt.Sprintf(format, args...), v)
		}
	}

	var amounts, lineDiscounts, shares int64
	for i, l := range in.Lines {
		lr := res.Lines[i]
		want := roundRat(new(big.Rat).Mul(new(big.Rat).Mul(l.Quantity.Rat(), l.UnitAmount.Rat()), scale))
		if lr.Amount != want {
			t.Errorf("line %d: amount %d, want %d", i, lr.Amount, want)
		}
		var discount int64
		for _, d := range l.Discounts {
			if d.Percent != nil {
				discount += roundRat(percentOf(lr.Amount, d.Percent.Rat(), hundred))
			} else {
				discount += d.AmountMinor
			}
		}
		if discount = min(discount, lr.Amount); lr.DiscountAmount != discount {
			t.Errorf("line %d: discount %d, want %d", i, lr.DiscountAmount, discount)
		}
		nonNegative(lr.Amount, "line %d amount", i)
		nonNegative(lr.DiscountAmount, "line %d discount", i)
		nonNegative(lr.InvoiceDiscountShare, "line %d invoice discount share", i)
		amounts += lr.Amount
		lineDiscounts += lr.DiscountAmount
		shares += lr.InvoiceDiscountShare
	}
	if res.Subtotal != amounts-lineDiscounts {
		t.Errorf("subtotal %d, want %d", res.Subtotal, amounts-lineDiscounts)
	}
	if amounts-res.TotalDiscount != res.Subtotal-res.InvoiceDiscount {
		t.Errorf("Σ amounts − total discount = %d, subtotal − invoice discount = %d",
			amounts-res.TotalDiscount, res.Subtotal-res.InvoiceDiscount)
	}
	var invoiceDiscount int64
	for _, d := range in.Discounts {
		if d.Percent != nil {
			invoiceDiscount += roundRat(percentOf(res.Subtotal, d.Percent.Rat(), hundred))
		} else {
			invoiceDiscount += d.AmountMinor
		}
	}
	if invoiceDiscount = min(invoiceDiscount, res.Subtotal); res.InvoiceDiscount != invoiceDiscount {
		t.Errorf("invoice discount %d, want %d", res.InvoiceDiscount, invoiceDiscount)
	}
	if shares != res.InvoiceDiscount {
		t.Errorf("Σ invoice discount shares %d, want %d", shares, res.InvoiceDiscount)
	}
	for i, lr := range res.Lines {
		if !fairShare(lr.InvoiceDiscountShare, res.InvoiceDiscount, lr.Amount-lr.DiscountAmount, res.Subtotal) {
			t.Errorf("line %d: invoice discount share %d of %d is not within one unit of pro rata",
				i, lr.InvoiceDiscountShare, res.InvoiceDiscount)
		}
	}

	// Rebuild the tax groups from the inputs and the line results.
	type groupCheck struct {
		rate                  TaxRate
		lines                 []int
		base, taxable, taxSum int64
		lineBases, lineShares []int64
	}
	groups := map[string]*groupCheck{}
	for i, l := range in.Lines {
		lr := res.Lines[i]
		rates := l.TaxRates
		if rates == nil {
			rates = in.DefaultTaxRates
		}
		if !slices.EqualFunc(rates, lr.TaxRates, func(a, b TaxRate) bool { return a.ID == b.ID }) ||
			len(lr.TaxAmounts) != len(rates) {
			t.Fatalf("line %d: effective rates %v / %d tax amounts, want %v", i, lr.TaxRates, len(lr.TaxAmounts), rates)
		}
		base := lr.Amount - lr.DiscountAmount - lr.InvoiceDiscountShare
		var inclusiveTax int64
		for k, r := range rates {
			if r.Inclusive {
				inclusiveTax = lr.TaxAmounts[k].Amount
			}
		}
		for k, r := range rates {
			g := groups[r.ID]
			if g == nil {
				g = &groupCheck{rate: r}
				groups[r.ID] = g
			}
			b := base
			if !r.Inclusive {
				b -= inclusiveTax
			}
			ta := lr.TaxAmounts[k]
			if ta.TaxRate.ID != r.ID {
				t.Errorf("line %d: tax amount %d is for %q, want %q", i, k, ta.TaxRate.ID, r.ID)
			}
			nonNegative(ta.Amount, "line %d tax %q", i, r.ID)
			nonNegative(ta.TaxableAmount, "line %d taxable %q", i, r.ID)
			g.base += b
			g.taxSum += ta.Amount
			g.taxable += ta.TaxableAmount
			g.lineBases = append(g.lineBases, b)
			g.lineShares = append(g.lineShares, ta.Amount)
		}
	}
	if len(res.Taxes) != len(groups) {
		t.Errorf("%d tax groups, want %d", len(res.Taxes), len(groups))
	}
	var exclusive, inclusive int64
	for k, ta := range res.Taxes {
		if k > 0 && strings.Compare(res.Taxes[k-1].TaxRate.ID, ta.TaxRate.ID) >= 0 {
			t.Errorf("tax groups not in strictly ascending ID order at %d", k)
		}
		g := groups[ta.TaxRate.ID]
		if g == nil {
			t.Errorf("tax group %q carried by no line", ta.TaxRate.ID)
			continue
		}
		p := g.rate.Percentage.Rat()
		den := hundred
		if g.rate.Inclusive {
			den = new(big.Rat).Add(hundred, p)
		}
		tax := roundRat(new(big.Rat).Quo(new(big.Rat).Mul(new(big.Rat).SetInt64(g.base), p), den))
		taxable := g.base
		if g.rate.Inclusive {
			taxable -= tax
			inclusive += tax
		} else {
			exclusive += tax
		}
		if ta.Amount != tax || ta.TaxableAmount != taxable {
			t.Errorf("group %q: tax %d on %d, want %d on %d", ta.TaxRate.ID, ta.Amount, ta.TaxableAmount, tax, taxable)
		}
		if g.taxSum != ta.Amount || g.taxable != ta.TaxableAmount {
			t.Errorf("group %q: lines sum to tax %d on %d, group has %d on %d",
				ta.TaxRate.ID, g.taxSum, g.taxable, ta.Amount, ta.TaxableAmount)
		}
		for k := range g.lineShares {
			if !fairShare(g.lineShares[k], ta.Amount, g.lineBases[k], g.base) {
				t.Errorf("group %q: line share %d = %d is not within one unit of pro rata", ta.TaxRate.ID, k, g.lineShares[k])
			}
		}
	}
	if res.TaxExclusive != exclusive || res.TaxInclusive != inclusive {
		t.Errorf("tax exclusive %d inclusive %d, want %d and %d", res.TaxExclusive, res.TaxInclusive, exclusive, inclusive)
	}
	if res.Total != res.Subtotal-res.InvoiceDiscount+res.TaxExclusive {
		t.Errorf("total %d ≠ subtotal − invoice discount + exclusive tax", res.Total)
	}
	if res.TotalExcludingTax+res.TaxInclusive+res.InvoiceDiscount != res.Subtotal {
		t.Errorf("total excluding tax + inclusive tax + invoice discount ≠ subtotal")
	}
	for name, v := range map[string]int64{
		"subtotal": res.Subtotal, "invoice discount": res.InvoiceDiscount, "total discount": res.TotalDiscount,
		"exclusive tax": res.TaxExclusive, "inclusive tax": res.TaxInclusive,
		"total excluding tax": res.TotalExcludingTax, "total": res.Total,
	} {
		nonNegative(v, "%s", name)
	}
}

// fairShare reports whether share is within one unit of total × w / sum,
// which is what the largest remainder method guarantees:
// |share × sum − total × w| < sum.
func fairShare(share, total, w, sum int64) bool {
	if sum == 0 {
		return share == 0
	}
	diff := new(big.Int).Mul(big.NewInt(share), big.NewInt(sum))
	diff.Sub(diff, new(big.Int).Mul(big.NewInt(total), big.NewInt(w)))
	return diff.CmpAbs(big.NewInt(sum)) < 0
}

func percentOf(amount int64, p, hundred *big.Rat) *big.Rat {
	r := new(big.Rat).Mul(new(big.Rat).SetInt64(amount), p)
	return r.Quo(r, hundred)
}

// roundRat restates the rounding rule independently: add one half to the
// magnitude and truncate.
func roundRat(r *big.Rat) int64 {
	num := new(big.Int).Abs(r.Num())
	num.Mul(num, big.NewInt(2))
	num.Add(num, r.Denom())
	num.Quo(num, new(big.Int).Mul(r.Denom(), big.NewInt(2)))
	if r.Sign() < 0 {
		num.Neg(num)
	}
	return num.Int64()
}
