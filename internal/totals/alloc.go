package totals

import (
	"cmp"
	"math/bits"
	"slices"
)

// allocator splits an amount over weights with the largest remainder
// (Hamilton) method: each part gets the floor of its exact pro rata share,
// and the units left over go one each to the largest fractional remainders.
// The parts add up to the amount exactly, each is within one unit of its
// exact share, and a zero weight gets nothing. Its buffer is reused across
// calls, since an invoice runs one allocation per tax group.
type allocator struct {
	rems []remainder
}

type remainder struct {
	index int
	rem   uint64 // numerator of the fractional part, over Σ weights
}

// allocate writes into out the parts of total for weights. It requires
// 0 <= total <= Σ weights and non-negative weights, which holds for every
// use here (a discount never exceeds what it discounts, a tax never
// exceeds its base); that bound also keeps each quotient within 64 bits.
func (a *allocator) allocate(total int64, weights, out []int64) {
	var sum uint64
	for _, w := range weights {
		sum += uint64(w)
	}
	if total < 0 || uint64(total) > sum {
		panic("totals: allocation outside its bounds")
	}
	if total == 0 {
		clear(out)
		return
	}
	a.rems = a.rems[:0]
	left := uint64(total)
	for i, w := range weights {
		// total × w can exceed 64 bits; the quotient cannot, as total <= sum.
		hi, lo := bits.Mul64(uint64(total), uint64(w))
		q, r := bits.Div64(hi, lo, sum)
		out[i] = int64(q)
		left -= q
		if r > 0 {
			a.rems = append(a.rems, remainder{index: i, rem: r})
		}
	}
	if left == 0 {
		return
	}
	// Ties go to the lower index so the result never depends on anything
	// but the input order.
	slices.SortFunc(a.rems, func(x, y remainder) int {
		if c := cmp.Compare(y.rem, x.rem); c != 0 {
			return c
		}
		return cmp.Compare(x.index, y.index)
	})
	for _, r := range a.rems[:left] {
		out[r.index]++
	}
}
