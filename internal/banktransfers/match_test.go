package banktransfers

import (
	"slices"
	"testing"
)

func TestSmallestSet(t *testing.T) {
	tests := []struct {
		name    string
		amounts []int64
		target  int64
		want    []int
	}{
		{"one exact, oldest first", []int64{500, 1200, 1200}, 1200, []int{1}},
		{"fewest before oldest", []int64{100, 200, 300, 600}, 600, []int{3}},
		{"two", []int64{100, 250, 999, 350}, 600, []int{1, 3}},
		{"oldest pair among pairs", []int64{100, 500, 200, 400}, 600, []int{0, 1}},
		{"five", []int64{1, 2, 4, 8, 16, 32}, 31, []int{0, 1, 2, 3, 4}},
		{"six is too many", []int64{1, 2, 4, 8, 16, 32}, 63, nil},
		{"none", []int64{300, 300}, 500, nil},
		{"nothing to match", []int64{300}, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := smallestSet(tt.amounts, tt.target, 5, 40)
			if !slices.Equal(got, tt.want) {
				t.Errorf("smallestSet(%v, %d) = %v, want %v", tt.amounts, tt.target, got, tt.want)
			}
		})
	}
}
