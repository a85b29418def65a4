package totals

import (
	"errors"
	"slices"
	"testing"
)

func TestAllocate(t *testing.T) {
	tests := []struct {
		name    string
		total   int64
		weights []int64
		want    []int64
		err     error
	}{
		{"exact", 600, []int64{100, 200, 300}, []int64{100, 200, 300}, nil},
		{"pro rata", 100, []int64{1200, 600}, []int64{67, 33}, nil},
		{"tie to the lower index", 1, []int64{5, 5}, []int64{1, 0}, nil},
		{"zero weight gets nothing", 3, []int64{0, 7, 0, 2}, []int64{0, 2, 0, 1}, nil},
		{"nothing", 0, []int64{4, 5}, []int64{0, 0}, nil},
		{"above the weights", 11, []int64{4, 5}, nil, ErrInvalidShare},
		{"negative", -1, []int64{4}, nil, ErrInvalidShare},
		{"negative weight", 1, []int64{4, -1}, nil, ErrInvalidShare},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Allocate(tc.total, tc.weights)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Allocate(%d, %v) = %v, want %v", tc.total, tc.weights, got, tc.want)
			}
			var sum int64
			for _, v := range got {
				sum += v
			}
			if err == nil && sum != tc.total {
				t.Errorf("parts add up to %d, want %d", sum, tc.total)
			}
		})
	}
}
