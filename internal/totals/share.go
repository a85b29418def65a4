package totals

import "errors"

// ErrInvalidShare reports an Allocate call outside its bounds.
var ErrInvalidShare = errors.New("totals: amount to share outside 0..Σ weights, or a negative weight")

// Allocate splits total over weights pro rata with the largest remainder
// method the engine itself uses for discounts and tax shares (see
// allocator): the parts add up to total exactly, each is within one unit
// of its exact share, a zero weight gets nothing, and ties go to the lower
// index. It requires 0 <= total <= Σ weights and weights >= 0.
func Allocate(total int64, weights []int64) ([]int64, error) {
	var sum int64
	for _, w := range weights {
		if w < 0 {
			return nil, ErrInvalidShare
		}
		sum += w
		if sum < 0 {
			return nil, ErrInvalidShare // overflow: beyond any amount
		}
	}
	if total < 0 || total > sum {
		return nil, ErrInvalidShare
	}
	out := make([]int64, len(weights))
	var a allocator
	a.allocate(total, weights, out)
	return out, nil
}
