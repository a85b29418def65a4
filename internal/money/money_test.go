package money

import (
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/shopspring/decimal"
)

func TestDigits(t *testing.T) {
	tests := []struct {
		code   string
		digits int
		ok     bool
	}{
		{"USD", 2, true},
		{"EUR", 2, true},
		{"JPY", 0, true},
		{"KWD", 3, true},
		{"CLF", 4, true},
		{"usd", 2, true},
		{"jPy", 0, true},
		{"", 0, false},
		{"US", 0, false},
		{"USDX", 0, false},
		{"XYZ", 0, false},
	}
	for _, tt := range tests {
		digits, ok := Digits(tt.code)
		if digits != tt.digits || ok != tt.ok {
			t.Errorf("Digits(%q) = %d, %v; want %d, %v", tt.code, digits, ok, tt.digits, tt.ok)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"USD", "USD", nil},
		{"usd", "USD", nil},
		{"Eur", "EUR", nil},
		{"", "", ErrUnknownCurrency},
		{" usd", "", ErrUnknownCurrency},
		{"XYZ", "", ErrUnknownCurrency},
		{"dollars", "", ErrUnknownCurrency},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("Normalize(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestMinimumCharge(t *testing.T) {
	tests := []struct {
		code string
		want int64
	}{
		{"USD", 50}, {"eur", 50}, {"AUD", 50}, {"BRL", 50}, {"CAD", 50}, {"CHF", 50}, {"NZD", 50}, {"SGD", 50},
		{"GBP", 30}, {"DKK", 250}, {"NOK", 300}, {"SEK", 300}, {"HKD", 400}, {"JPY", 50}, {"MXN", 1000},
		{"KWD", 1}, {"IDR", 1}, {"XYZ", 1}, {"", 1},
	}
	for _, tt := range tests {
		if got := MinimumCharge(tt.code); got != tt.want {
			t.Errorf("MinimumCharge(%q) = %d, want %d", tt.code, got, tt.want)
		}
	}
}

func TestMinorFromMajor(t *testing.T) {
	tests := []struct {
		in       string
		currency string
		want     int64
		exact    bool
		err      error
	}{
		{"0", "USD", 0, true, nil},
		{"10", "USD", 1000, true, nil},
		{"10.5", "USD", 1050, true, nil},
		{"10.50000", "USD", 1050, true, nil},
		{"0.005", "USD", 1, false, nil},
		{"0.0049999", "USD", 0, false, nil},
		{"0.015", "USD", 2, false, nil},
		{"0.025", "USD", 3, false, nil}, // half away from zero, not half even
		{"-0.005", "USD", -1, false, nil},
		{"-0.025", "USD", -3, false, nil},
		{"-0.0049", "USD", 0, false, nil},
		{"10.005", "USD", 1001, false, nil},
		{"0.0015", "USD", 0, false, nil},
		{"1234.5", "JPY", 1235, false, nil},
		{"-1234.5", "JPY", -1235, false, nil},
		{"1234", "jpy", 1234, true, nil},
		{"1.2345", "KWD", 1235, false, nil},
		{"1.234", "KWD", 1234, true, nil},
		{"5e2", "USD", 50000, true, nil},
		{"1e-999999999", "USD", 0, false, nil}, // built with decimal.New below
		{"10000000000000", "USD", MaxAmount, true, nil},
		{"-10000000000000", "USD", -MaxAmount, true, nil},
		{"10000000000000.01", "USD", 0, false, ErrAmountTooLarge},
		{"9999999999999.995", "USD", MaxAmount, false, nil},
		{"10000000000000.005", "USD", 0, false, ErrAmountTooLarge},
		{"9999999999999.994", "USD", MaxAmount - 1, false, nil},
		{"1e999999999", "USD", 0, false, ErrAmountTooLarge},
		{"123456789012345678901234567890", "USD", 0, false, ErrAmountTooLarge},
		{"1", "XYZ", 0, false, ErrUnknownCurrency},
	}
	for _, tt := range tests {
		d := parseForTest(tt.in)
		got, err := MinorFromMajor(d, tt.currency)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("MinorFromMajor(%s, %s) = %d, %v; want %d, %v", tt.in, tt.currency, got, err, tt.want, tt.err)
		}
		if err != nil && len(err.Error()) > 200 {
			t.Errorf("MinorFromMajor(%s) error is %d bytes; hostile input must not blow up messages", tt.in, len(err.Error()))
		}
		got, err = ExactMinorFromMajor(d, tt.currency)
		wantErr, want := tt.err, tt.want
		if wantErr == nil && !tt.exact {
			wantErr, want = ErrTooPrecise, 0
		}
		if got != want || !errors.Is(err, wantErr) {
			t.Errorf("ExactMinorFromMajor(%s, %s) = %d, %v; want %d, %v", tt.in, tt.currency, got, err, want, wantErr)
		}
	}
}

// parseForTest builds decimals with exponents beyond what
// decimal.NewFromString accepts, as a decoded database value could carry.
func parseForTest(s string) decimal.Decimal {
	switch s {
	case "1e-999999999":
		return decimal.New(1, -999_999_999)
	case "1e999999999":
		return decimal.New(1, 999_999_999)
	}
	return decimal.RequireFromString(s)
}

func TestMulDivRound(t *testing.T) {
	tests := []struct {
		a, b, c int64
		want    int64
		err     error
	}{
		{0, 5, 7, 0, nil},
		{10, 1, 4, 3, nil},   // 2.5
		{-10, 1, 4, -3, nil}, // -2.5
		{10, -1, 4, -3, nil},
		{10, 1, -4, -3, nil},
		{-10, -1, -4, -3, nil},
		{-10, -1, 4, 3, nil},
		{7, 1, 4, 2, nil}, // 1.75
		{5, 1, 4, 1, nil}, // 1.25
		{2500, 200_000, 1_000_000, 500, nil},
		{2500, 55_000, 1_000_000, 138, nil}, // 137.5
		{12000, 200_000, 1_200_000, 2000, nil},
		{MaxAmount, MaxAmount, MaxAmount, MaxAmount, nil},
		{MaxAmount, 1_000_000, 1_000_000, MaxAmount, nil},
		{MaxAmount, MaxAmount, MaxAmount - 1, 0, ErrAmountTooLarge},
		{math.MaxInt64, math.MaxInt64, 1, 0, ErrAmountTooLarge},
		{math.MinInt64, math.MinInt64, math.MinInt64, 0, ErrAmountTooLarge},
		{math.MinInt64, 1, math.MinInt64, 1, nil},
		{2*MaxAmount + 1, 1, 2, 0, ErrAmountTooLarge}, // rounds up past the limit
		{2*MaxAmount - 1, 1, 2, MaxAmount, nil},
	}
	for _, tt := range tests {
		got, err := MulDivRound(tt.a, tt.b, tt.c)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("MulDivRound(%d, %d, %d) = %d, %v; want %d, %v", tt.a, tt.b, tt.c, got, err, tt.want, tt.err)
		}
	}
}

// TestMulDivRoundMatchesRat checks the 128-bit path against big.Rat on
// random operands, including ones whose product overflows 64 bits.
func TestMulDivRoundMatchesRat(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	limit := big.NewInt(MaxAmount)
	for range 100_000 {
		a := rng.Int64N(2*MaxAmount) - MaxAmount
		b := rng.Int64N(2_000_000) - 1_000_000
		c := rng.Int64N(2_000_000) + 1
		if rng.IntN(2) == 0 {
			c = rng.Int64N(MaxAmount) + 1
			b = rng.Int64N(2*MaxAmount) - MaxAmount
		}
		want := roundRat(new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(a), big.NewInt(b)), big.NewInt(c)))
		got, err := MulDivRound(a, b, c)
		if new(big.Int).Abs(want).Cmp(limit) > 0 {
			if !errors.Is(err, ErrAmountTooLarge) {
				t.Fatalf("MulDivRound(%d, %d, %d) = %d, %v; want ErrAmountTooLarge", a, b, c, got, err)
			}
			continue
		}
		if err != nil || got != want.Int64() {
			t.Fatalf("MulDivRound(%d, %d, %d) = %d, %v; want %s", a, b, c, got, err, want)
		}
	}
}

// roundRat is an independent statement of the rounding rule: add one half
// to the magnitude and truncate.
func roundRat(r *big.Rat) *big.Int {
	num := new(big.Int).Abs(r.Num())
	den := r.Denom()
	q := new(big.Int).Mul(num, big.NewInt(2))
	q.Add(q, den)
	q.Quo(q, new(big.Int).Mul(den, big.NewInt(2)))
	if r.Sign() < 0 {
		q.Neg(q)
	}
	return q
}

func TestMajorString(t *testing.T) {
	tests := []struct {
		minor    int64
		currency string
		want     string
	}{
		{500000, "USD", "5000.00"},
		{-5, "USD", "-0.05"},
		{5, "usd", "0.05"},
		{0, "USD", "0.00"},
		{100, "USD", "1.00"},
		{-100, "EUR", "-1.00"},
		{1234, "JPY", "1234"},
		{-1234, "JPY", "-1234"},
		{0, "JPY", "0"},
		{1234, "KWD", "1.234"},
		{1, "KWD", "0.001"},
		{-12, "KWD", "-0.012"},
		{1, "CLF", "0.0001"},
		{math.MaxInt64, "USD", "92233720368547758.07"},
		{math.MinInt64, "USD", "-92233720368547758.08"},
		{math.MinInt64, "KWD", "-9223372036854775.808"},
		{math.MinInt64, "JPY", "-9223372036854775808"},
		{1234, "XYZ", "1234"},
	}
	for _, tt := range tests {
		if got := MajorString(tt.minor, tt.currency); got != tt.want {
			t.Errorf("MajorString(%d, %s) = %q, want %q", tt.minor, tt.currency, got, tt.want)
		}
	}
}

// TestMajorStringRoundTrip checks MajorString against ExactMinorFromMajor
// over random amounts, so the two directions cannot drift apart.
func TestMajorStringRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20_000 {
		minor := rng.Int64N(2*MaxAmount+1) - MaxAmount
		for _, cur := range []string{"USD", "JPY", "KWD", "CLF"} {
			s := MajorString(minor, cur)
			d, err := ParseDecimal(s)
			if err != nil {
				t.Fatalf("ParseDecimal(%q): %v", s, err)
			}
			back, err := ExactMinorFromMajor(d, cur)
			if err != nil || back != minor {
				t.Fatalf("%d %s -> %q -> %d, %v", minor, cur, s, back, err)
			}
		}
	}
}

func TestParseDecimal(t *testing.T) {
	valid := []struct{ in, want string }{
		{"0", "0"},
		{"-0", "0"},
		{"10", "10"},
		{"10.50", "10.5"},
		{"-0.0015", "-0.0015"},
		{"007.10", "7.1"},
		{strings.Repeat("9", 30), strings.Repeat("9", 30)},
		{strings.Repeat("9", 15) + "." + strings.Repeat("9", 15), strings.Repeat("9", 15) + "." + strings.Repeat("9", 15)},
	}
	for _, tt := range valid {
		got, err := ParseDecimal(tt.in)
		if err != nil || got.String() != tt.want {
			t.Errorf("ParseDecimal(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	invalid := []string{
		"", "-", ".", ".5", "5.", "-.5", "+5", " 5", "5 ", "1,000", "1_000", "1e5", "1E5",
		"--5", "5-", "1.2.3", "0x10", "NaN", "Inf", "١٢", "1.5\n",
		strings.Repeat("9", 31), "0." + strings.Repeat("0", 30), strings.Repeat("1", 1<<20),
	}
	for _, in := range invalid {
		if _, err := ParseDecimal(in); !errors.Is(err, ErrInvalidDecimal) {
			t.Errorf("ParseDecimal(%.50q) error = %v, want ErrInvalidDecimal", in, err)
		}
	}
	if _, err := ParseDecimal(strings.Repeat("1", 1<<20)); len(err.Error()) > 100 {
		t.Errorf("error for long input is %d bytes; want it truncated", len(err.Error()))
	}
}

func TestFormat(t *testing.T) {
	const (
		nbsp  = "\u00a0"
		nnbsp = "\u202f"
	)
	tests := []struct {
		minor            int64
		currency, locale string
		want             string
	}{
		{500000, "USD", "en", "$5,000.00"},
		{500000, "usd", "en-US", "$5,000.00"},
		{-5, "USD", "en", "-$0.05"},
		{500000, "USD", "fr", "5" + nnbsp + "000,00" + nbsp + "$US"},
		{500000, "EUR", "fr-FR", "5" + nnbsp + "000,00" + nbsp + "€"},
		{500000, "EUR", "de", "5.000,00" + nbsp + "€"},
		{500000, "JPY", "ja", "￥500,000"},
		{1234, "KWD", "en", "KWD" + nbsp + "1.234"},
		{500000, "USD", "xx", "$5,000.00"},
		{500000, "USD", "", "$5,000.00"},
		{500000, "USD", "not a locale!", "$5,000.00"},
		{1234, "XYZ", "en", "1234 XYZ"},
	}
	for _, tt := range tests {
		if got := Format(tt.minor, tt.currency, tt.locale); got != tt.want {
			t.Errorf("Format(%d, %q, %q) = %q, want %q", tt.minor, tt.currency, tt.locale, got, tt.want)
		}
	}
}

func TestFormatConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				locale := []string{"en", "fr", "de", "ja"}[(g+i)%4]
				if got := Format(int64(i), "EUR", locale); got == "" {
					t.Errorf("Format(%d, EUR, %s) is empty", i, locale)
				}
			}
		})
	}
	wg.Wait()
}

func TestFormatterCacheBounded(t *testing.T) {
	for i := range 2 * maxCachedLocales {
		Format(100, "USD", "zz-"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+MajorString(int64(i), "JPY"))
	}
	n := 0
	formatters.Range(func(_, _ any) bool { n++; return true })
	if n > maxCachedLocales {
		t.Errorf("cache holds %d formatters, want at most %d", n, maxCachedLocales)
	}
}

func BenchmarkMajorString(b *testing.B) {
	b.ReportAllocs()
	for i := range b.N {
		MajorString(int64(i)*7919, "USD")
	}
}

func BenchmarkFormat(b *testing.B) {
	for _, locale := range []string{"en", "fr"} {
		b.Run(locale, func(b *testing.B) {
			b.ReportAllocs()
			for i := range b.N {
				Format(int64(i)*7919, "EUR", locale)
			}
		})
	}
}
