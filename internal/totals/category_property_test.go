package totals

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"
)

// TestVATGroupingProperties runs random VAT invoices (one rate a line, as
// EN 16931 has it, with rates of one category and percentage under
// several IDs, and a random buyer exemption) through Compute and checks
// the breakdown against a big.Rat recomputation per category and rate.
func TestVATGroupingProperties(t *testing.T) {
	invoices := 2000
	if testing.Short() {
		invoices = 200
	}
	rng := rand.New(rand.NewPCG(16931, 5305))
	hundred := big.NewRat(100, 1)
	for n := range invoices {
		in := randomVATInput(rng)
		res, err := Compute(in)
		if err != nil {
			t.Fatalf("invoice %d: Compute: %v", n, err)
		}
		type key struct {
			cat       Category
			pct       string
			inclusive bool
		}
		keyOf := func(r TaxRate) key {
			eff := in.Exemption.apply(r)
			cat := CategoryOr(eff.Category, eff.Percentage)
			return key{cat, eff.Percentage.String(), eff.Inclusive && eff.Percentage.IsPositive()}
		}
		// The expected groups: Σ line bases per key.
		bases := map[key]int64{}
		for i, l := range in.Lines {
			rates := l.TaxRates
			if rates == nil {
				rates = in.DefaultTaxRates
			}
			lr := res.Lines[i]
			for _, r := range rates {
				bases[keyOf(r)] += lr.Amount - lr.DiscountAmount - lr.InvoiceDiscountShare
			}
		}
		if len(res.Taxes) != len(bases) {
			t.Fatalf("invoice %d: %d groups, want %d (%v)", n, len(res.Taxes), len(bases), bases)
		}
		var tax int64
		for _, g := range res.Taxes {
			k := key{g.TaxRate.Category, g.TaxRate.Percentage.String(), g.TaxRate.Inclusive && g.TaxRate.Percentage.IsPositive()}
			base, ok := bases[k]
			if !ok {
				t.Fatalf("invoice %d: group %+v carried by no line", n, k)
			}
			delete(bases, k) // each key once
			p := g.TaxRate.Percentage.Rat()
			den := hundred
			if k.inclusive {
				den = new(big.Rat).Add(hundred, p)
			}
			want := roundRat(new(big.Rat).Quo(new(big.Rat).Mul(new(big.Rat).SetInt64(base), p), den))
			taxable := base
			if k.inclusive {
				taxable -= want
			}
			if g.Amount != want || g.TaxableAmount != taxable {
				t.Errorf("invoice %d group %+v: tax %d on %d, want %d on %d", n, k, g.Amount, g.TaxableAmount, want, taxable)
			}
			if !in.Exemption.IsZero() && k.cat == Standard {
				t.Errorf("invoice %d: exemption %s left a standard group", n, in.Exemption.Category)
			}
			if k.cat.NeedsExemption() && g.TaxRate.ExemptionCode == "" && g.TaxRate.ExemptionReason == "" {
				t.Errorf("invoice %d: group %+v says no reason", n, k)
			}
			tax += g.Amount
		}
		if res.TaxExclusive+res.TaxInclusive != tax {
			t.Errorf("invoice %d: tax totals %d + %d, groups %d", n, res.TaxExclusive, res.TaxInclusive, tax)
		}
		if !in.Exemption.IsZero() && tax != 0 {
			t.Errorf("invoice %d: exempt buyer charged %d", n, tax)
		}
		if t.Failed() {
			t.FailNow()
		}
	}
}

func randomVATInput(rng *rand.Rand) Input {
	in := Input{Currency: []string{"EUR", "JPY", "KWD"}[rng.IntN(3)]}
	var pool []TaxRate
	for k, p := range []string{"20", "20", "5.5", "10", "2.1"} { // 20 % twice: two IDs, one group
		pool = append(pool, TaxRate{ID: fmt.Sprintf("txr_s%d", k), Percentage: dec(p), VAT: true, Category: Standard, Inclusive: rng.IntN(4) == 0})
	}
	pool = append(pool,
		TaxRate{ID: "txr_z", Percentage: dec("0"), VAT: true, Category: Zero},
		TaxRate{ID: "txr_e", Percentage: dec("0"), VAT: true, Category: Exempt, ExemptionReason: "art. 261 du CGI"},
		TaxRate{ID: "txr_k", Percentage: dec("0"), VAT: true, Category: IntraCommunity},
		TaxRate{ID: "txr_legacy", Percentage: dec("20"), VAT: true}, // no category: S
	)
	switch rng.IntN(3) {
	case 1:
		in.Exemption = Exemption{Category: Exempt, Reason: "Exonération"}
	case 2:
		in.Exemption = Exemption{Category: ReverseCharge}
	}
	in.DefaultTaxRates = []TaxRate{pool[rng.IntN(len(pool))]}
	in.Discounts = randomDiscounts(rng)
	in.Lines = make([]Line, 1+rng.IntN(60))
	for i := range in.Lines {
		l := Line{Quantity: randomDecimal(rng, 4, 3, 1), UnitAmount: randomDecimal(rng, 6, 4, 0), Discounts: randomDiscounts(rng)}
		switch rng.IntN(6) {
		case 0: // defaults
		case 1:
			l.TaxRates = []TaxRate{}
		default:
			l.TaxRates = []TaxRate{pool[rng.IntN(len(pool))]}
		}
		in.Lines[i] = l
	}
	return in
}
