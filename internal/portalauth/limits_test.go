package portalauth

import (
	"math"
	"testing"
)

// TestGuessesPerEmailPerDay states the figure the limits give: 2,400
// guesses a day per targeted email by cycling codes without the wrong-code
// cap (a session falls with ≈ 7 % probability in 30 days), 10 with it
// (≈ 0.03 %).
func TestGuessesPerEmailPerDay(t *testing.T) {
	for _, c := range []struct {
		capped bool
		want   int
		month  float64 // probability of one right guess in 30 days, at most
	}{
		{false, 2400, 0.070},
		{true, 10, 0.0003},
	} {
		got := GuessesPerEmailPerDay(c.capped)
		p := 1 - math.Pow(1-1.0/codeSpace, float64(30*got))
		t.Logf("wrong-code cap %t: %d guesses per email per day; P(code guessed in 30 days) = %.4f %%", c.capped, got, 100*p)
		if got != c.want || p > c.month {
			t.Errorf("cap %t: %d guesses/day (P30 %.5f), want %d (≤ %.5f)", c.capped, got, p, c.want, c.month)
		}
	}
}
