package banktransfers

// smallestSet returns the indexes of the fewest of amounts (at most maxSet)
// that add up to target, preferring, among sets of one size, the one that
// comes first in the order given (the caller orders oldest first). It
// looks at the first maxScan amounts only: past a few dozen open invoices
// a set that happens to add up is more likely chance than intent.
func smallestSet(amounts []int64, target int64, maxSet, maxScan int) []int {
	if target <= 0 {
		return nil
	}
	if len(amounts) > maxScan {
		amounts = amounts[:maxScan]
	}
	for size := 1; size <= maxSet; size++ {
		pick := make([]int, 0, size)
		if found := pickSet(amounts, 0, target, size, &pick); found {
			return pick
		}
	}
	return nil
}

// pickSet is a depth-first search for size amounts from amounts[from:]
// adding up to left, earliest indexes first.
func pickSet(amounts []int64, from int, left int64, size int, pick *[]int) bool {
	if size == 0 {
		return left == 0
	}
	for i := from; i <= len(amounts)-size; i++ {
		a := amounts[i]
		if a <= 0 || a > left {
			continue
		}
		*pick = append(*pick, i)
		if pickSet(amounts, i+1, left-a, size-1, pick) {
			return true
		}
		*pick = (*pick)[:len(*pick)-1]
	}
	return false
}
