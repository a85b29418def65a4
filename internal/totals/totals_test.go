package totals

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/remitbilling/remit/internal/money"
	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func pct(s string) *decimal.Decimal {
	d := dec(s)
	return &d
}

func rate(id, p string, inclusive bool) TaxRate {
	return TaxRate{ID: id, Percentage: dec(p), Inclusive: inclusive}
}

func line(qty, unit string, rates ...TaxRate) Line {
	return Line{Quantity: dec(qty), UnitAmount: dec(unit), TaxRates: rates}
}

// untaxed marks a line as carrying no tax, as opposed to the defaults.
func untaxed(l Line) Line {
	l.TaxRates = []TaxRate{}
	return l
}

func withDiscounts(l Line, ds ...Discount) Line {
	l.Discounts = ds
	return l
}

// summary is the part of a Result the examples pin down, in a form that
// prints readably on failure.
type summary struct {
	Subtotal, InvoiceDiscount, TotalDiscount int64
	TaxExclusive, TaxInclusive               int64
	TotalExcludingTax, Total                 int64
	Taxes                                    []taxSummary
	Lines                                    []lineSummary
}

type taxSummary struct {
	ID              string
	Taxable, Amount int64
}

type lineSummary struct {
	Amount, Discount, Share int64
	Tax                     []int64
}

func summarize(r Result) summary {
	s := summary{
		Subtotal: r.Subtotal, InvoiceDiscount: r.InvoiceDiscount, TotalDiscount: r.TotalDiscount,
		TaxExclusive: r.TaxExclusive, TaxInclusive: r.TaxInclusive,
		TotalExcludingTax: r.TotalExcludingTax, Total: r.Total,
	}
	for _, t := range r.Taxes {
		s.Taxes = append(s.Taxes, taxSummary{t.TaxRate.ID, t.TaxableAmount, t.Amount})
	}
	for _, l := range r.Lines {
		ls := lineSummary{Amount: l.Amount, Discount: l.DiscountAmount, Share: l.InvoiceDiscountShare}
		for _, t := range l.TaxAmounts {
			ls.Tax = append(ls.Tax, t.Amount)
		}
		s.Lines = append(s.Lines, ls)
	}
	return s
}

func TestCompute(t *testing.T) {
	vat20 := rate("fr-vat-20", "20", false)
	vat55 := rate("fr-vat-05.5", "5.5", false)
	tests := []struct {
		name string
		in   Input
		want summary
	}{
		{
			name: "French invoice at 20 % VAT",
			in: Input{
				Currency:        "EUR",
				DefaultTaxRates: []TaxRate{vat20},
				Lines:           []Line{line("3", "49.90"), line("1", "250.00"), line("0.5", "12.34")},
			},
			want: summary{
				Subtotal: 40587, TaxExclusive: 8117, TotalExcludingTax: 40587, Total: 48704,
				Taxes: []taxSummary{{"fr-vat-20", 40587, 8117}}, // 8117.4
				Lines: []lineSummary{{14970, 0, 0, []int64{2994}}, {25000, 0, 0, []int64{5000}}, {617, 0, 0, []int64{123}}},
			},
		},
		{
			name: "mixed 5.5 % and 20 % VAT",
			in: Input{
				Currency: "eur",
				Lines: []Line{
					line("2", "12.50", vat55), // books
					line("1", "100.00", vat20),
					line("1", "7.90", vat55),
				},
			},
			want: summary{
				Subtotal: 13290, TaxExclusive: 2181, TotalExcludingTax: 13290, Total: 15471,
				Taxes: []taxSummary{{"fr-vat-05.5", 3290, 181}, {"fr-vat-20", 10000, 2000}},
				// 5.5 % of 32.90 is 1.8095 → 1.81, split 137.54 / 43.46: the spare
				// cent goes to the larger remainder.
				Lines: []lineSummary{{2500, 0, 0, []int64{138}}, {10000, 0, 0, []int64{2000}}, {790, 0, 0, []int64{43}}},
			},
		},
		{
			name: "tax is rounded once per group, not per line",
			in: Input{
				Currency:        "EUR",
				DefaultTaxRates: []TaxRate{vat55},
				Lines:           []Line{line("1", "0.10"), line("1", "0.10"), line("1", "0.10")},
			},
			want: summary{
				// 3 × round(0.55) would be 3 cents; round(1.65) is 2.
				Subtotal: 30, TaxExclusive: 2, TotalExcludingTax: 30, Total: 32,
				Taxes: []taxSummary{{"fr-vat-05.5", 30, 2}},
				Lines: []lineSummary{{10, 0, 0, []int64{1}}, {10, 0, 0, []int64{1}}, {10, 0, 0, []int64{0}}},
			},
		},
		{
			name: "JPY has no minor unit",
			in: Input{
				Currency:        "JPY",
				DefaultTaxRates: []TaxRate{rate("jp-10", "10", false)},
				Lines:           []Line{line("3", "1980"), line("1.5", "333")},
			},
			want: summary{
				Subtotal: 6440, TaxExclusive: 644, TotalExcludingTax: 6440, Total: 7084,
				Taxes: []taxSummary{{"jp-10", 6440, 644}},
				Lines: []lineSummary{{5940, 0, 0, []int64{594}}, {500, 0, 0, []int64{50}}}, // 499.5 → 500
			},
		},
		{
			name: "KWD has three decimals",
			in: Input{
				Currency: "KWD",
				Lines:    []Line{line("2.5", "1.2345", rate("kw-5", "5", false))}, // 3.08625
			},
			want: summary{
				Subtotal: 3086, TaxExclusive: 154, TotalExcludingTax: 3086, Total: 3240,
				Taxes: []taxSummary{{"kw-5", 3086, 154}},
				Lines: []lineSummary{{3086, 0, 0, []int64{154}}},
			},
		},
		{
			name: "inclusive 20 % VAT: 120.00 gross holds 20.00 tax",
			in: Input{
				Currency: "EUR",
				Lines:    []Line{line("1", "120.00", rate("fr-vat-20-incl", "20", true))},
			},
			want: summary{
				Subtotal: 12000, TaxInclusive: 2000, TotalExcludingTax: 10000, Total: 12000,
				Taxes: []taxSummary{{"fr-vat-20-incl", 10000, 2000}},
				Lines: []lineSummary{{12000, 0, 0, []int64{2000}}},
			},
		},
		{
			name: "invoice percent discount allocated by largest remainder",
			in: Input{
				Currency:  "USD",
				Discounts: []Discount{{Percent: pct("10")}},
				Lines:     []Line{untaxed(line("1", "33.33")), untaxed(line("1", "33.33")), untaxed(line("1", "33.34"))},
			},
			want: summary{
				Subtotal: 10000, InvoiceDiscount: 1000, TotalDiscount: 1000, TotalExcludingTax: 9000, Total: 9000,
				// Exact shares 333.3, 333.3, 333.4: the spare cent goes to the last line.
				Lines: []lineSummary{{3333, 0, 333, nil}, {3333, 0, 333, nil}, {3334, 0, 334, nil}},
			},
		},
		{
			name: "invoice discount ties go to the lower index and reduce the tax base",
			in: Input{
				Currency:        "USD",
				DefaultTaxRates: []TaxRate{rate("us-20", "20", false)},
				Discounts:       []Discount{{AmountMinor: 2}},
				Lines:           []Line{line("1", "1"), line("1", "1"), line("1", "1")},
			},
			want: summary{
				Subtotal: 300, InvoiceDiscount: 2, TotalDiscount: 2, TaxExclusive: 60, TotalExcludingTax: 298, Total: 358,
				Taxes: []taxSummary{{"us-20", 298, 60}}, // 59.6
				Lines: []lineSummary{{100, 0, 1, []int64{20}}, {100, 0, 1, []int64{20}}, {100, 0, 0, []int64{20}}},
			},
		},
		{
			name: "fixed invoice discount larger than the subtotal is capped",
			in: Input{
				Currency:        "USD",
				DefaultTaxRates: []TaxRate{vat20},
				Discounts:       []Discount{{AmountMinor: 8000}},
				Lines:           []Line{line("1", "50.00")},
			},
			want: summary{
				Subtotal: 5000, InvoiceDiscount: 5000, TotalDiscount: 5000,
				Taxes: []taxSummary{{"fr-vat-20", 0, 0}},
				Lines: []lineSummary{{5000, 0, 5000, []int64{0}}},
			},
		},
		{
			name: "halves round away from zero",
			in: Input{
				Currency: "USD",
				Lines: []Line{
					untaxed(line("1", "0.125")),  // 12.5 → 13
					untaxed(line("1", "0.005")),  // 0.5 → 1
					untaxed(line("3", "0.0015")), // 0.45 → 0
					withDiscounts(untaxed(line("1", "1.25")), Discount{Percent: pct("10")}), // 12.5 → 13
					line("1", "0.25", rate("us-10", "10", false)),                           // tax 2.5 → 3
				},
			},
			want: summary{
				Subtotal: 151, TotalDiscount: 13, TaxExclusive: 3, TotalExcludingTax: 151, Total: 154,
				Taxes: []taxSummary{{"us-10", 25, 3}},
				Lines: []lineSummary{{13, 0, 0, nil}, {1, 0, 0, nil}, {0, 0, 0, nil}, {125, 13, 0, nil}, {25, 0, 0, []int64{3}}},
			},
		},
		{
			name: "inclusive and exclusive rates on one line",
			in: Input{
				Currency: "EUR",
				Lines: []Line{
					line("1", "110.00", rate("a-incl-10", "10", true), rate("b-excl-5", "5", false)),
					line("1", "20.00", rate("b-excl-5", "5", false)),
				},
			},
			want: summary{
				Subtotal: 13000, TaxInclusive: 1000, TaxExclusive: 600, TotalExcludingTax: 12000, Total: 13600,
				// The exclusive rate applies to 100.00 + 20.00, the prices net of
				// the inclusive tax.
				Taxes: []taxSummary{{"a-incl-10", 10000, 1000}, {"b-excl-5", 12000, 600}},
				Lines: []lineSummary{{11000, 0, 0, []int64{1000, 500}}, {2000, 0, 0, []int64{100}}},
			},
		},
		{
			name: "several exclusive rates on one line",
			in: Input{
				Currency: "USD",
				Lines:    []Line{line("1", "100.00", rate("us-state", "6.25", false), rate("us-county", "1.5", false))},
			},
			want: summary{
				Subtotal: 10000, TaxExclusive: 775, TotalExcludingTax: 10000, Total: 10775,
				Taxes: []taxSummary{{"us-county", 10000, 150}, {"us-state", 10000, 625}},
				Lines: []lineSummary{{10000, 0, 0, []int64{625, 150}}},
			},
		},
		{
			name: "line discounts are each taken on the amount and capped at it",
			in: Input{
				Currency: "USD",
				Lines: []Line{
					withDiscounts(untaxed(line("1", "10.00")), Discount{Percent: pct("50")}, Discount{AmountMinor: 800}),
					withDiscounts(untaxed(line("1", "5.00")), Discount{Percent: pct("10")}, Discount{Percent: pct("10")}),
				},
			},
			want: summary{
				Subtotal: 400, TotalDiscount: 1100, TotalExcludingTax: 400, Total: 400,
				Lines: []lineSummary{{1000, 1000, 0, nil}, {500, 100, 0, nil}},
			},
		},
		{
			name: "nil rates take the defaults, empty rates mean untaxed",
			in: Input{
				Currency:        "USD",
				DefaultTaxRates: []TaxRate{rate("us-10", "10", false)},
				Lines:           []Line{line("1", "10.00"), untaxed(line("1", "10.00"))},
			},
			want: summary{
				Subtotal: 2000, TaxExclusive: 100, TotalExcludingTax: 2000, Total: 2100,
				Taxes: []taxSummary{{"us-10", 1000, 100}},
				Lines: []lineSummary{{1000, 0, 0, []int64{100}}, {1000, 0, 0, nil}},
			},
		},
		{
			name: "zero rate is listed, unused defaults are not",
			in: Input{
				Currency:        "EUR",
				DefaultTaxRates: []TaxRate{vat20},
				Lines:           []Line{line("2", "9.99", rate("eu-zero", "0", false))},
			},
			want: summary{
				Subtotal: 1998, TotalExcludingTax: 1998, Total: 1998,
				Taxes: []taxSummary{{"eu-zero", 1998, 0}},
				Lines: []lineSummary{{1998, 0, 0, []int64{0}}},
			},
		},
		{
			name: "a free line",
			in: Input{
				Currency:        "USD",
				DefaultTaxRates: []TaxRate{vat20},
				Discounts:       []Discount{{Percent: pct("100")}},
				Lines:           []Line{line("4", "0")},
			},
			want: summary{
				Taxes: []taxSummary{{"fr-vat-20", 0, 0}},
				Lines: []lineSummary{{0, 0, 0, []int64{0}}},
			},
		},
		{
			name: "no lines",
			in:   Input{Currency: "USD", Discounts: []Discount{{AmountMinor: 100}}},
			want: summary{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Compute(tt.in)
			if err != nil {
				t.Fatalf("Compute: %v", err)
			}
			if s := summarize(got); !reflect.DeepEqual(s, tt.want) {
				t.Errorf("Compute:\n got  %+v\n want %+v", s, tt.want)
			}
			checkInvariants(t, tt.in, got)
		})
	}
}

func TestComputeErrors(t *testing.T) {
	valid := line("1", "10")
	tests := []struct {
		name string
		in   Input
		want error
		line int // index in the LineError, -1 when the error is not about a line
	}{
		{"unknown currency", Input{Currency: "XYZ", Lines: []Line{valid}}, money.ErrUnknownCurrency, -1},
		{"zero quantity", Input{Currency: "USD", Lines: []Line{valid, line("0", "10")}}, ErrInvalidQuantity, 1},
		{"negative quantity", Input{Currency: "USD", Lines: []Line{line("-1", "10")}}, ErrInvalidQuantity, 0},
		{"quantity with 5 decimals", Input{Currency: "USD", Lines: []Line{line("1.00001", "10")}}, ErrInvalidQuantity, 0},
		{"negative unit amount", Input{Currency: "USD", Lines: []Line{line("1", "-0.01")}}, ErrInvalidUnitAmount, 0},
		{"line amount too large", Input{Currency: "USD", Lines: []Line{line("1000", "10000000000.01")}}, ErrAmountTooLarge, 0},
		{"huge exponent", Input{Currency: "USD", Lines: []Line{{Quantity: decimal.New(1, 2_000_000_000), UnitAmount: decimal.New(1, 2_000_000_000)}}}, ErrAmountTooLarge, 0},
		{"tiny exponent", Input{Currency: "USD", Lines: []Line{{Quantity: decimal.New(1, -2), UnitAmount: decimal.New(1, -2_147_483_647)}}}, ErrInvalidUnitAmount, 0},
		{"subtotal too large", Input{Currency: "USD", Lines: []Line{line("1", "9000000000000"), line("1", "9000000000000")}}, ErrAmountTooLarge, -1},
		{"discount with both fields", Input{Currency: "USD", Lines: []Line{withDiscounts(valid, Discount{Percent: pct("5"), AmountMinor: 5})}}, ErrInvalidDiscount, 0},
		{"discount with neither field", Input{Currency: "USD", Lines: []Line{withDiscounts(valid, Discount{})}}, ErrInvalidDiscount, 0},
		{"negative fixed discount", Input{Currency: "USD", Lines: []Line{withDiscounts(valid, Discount{AmountMinor: -1})}}, ErrInvalidDiscount, 0},
		{"zero percent discount", Input{Currency: "USD", Lines: []Line{withDiscounts(valid, Discount{Percent: pct("0")})}}, ErrInvalidDiscount, 0},
		{"percent discount above 100", Input{Currency: "USD", Lines: []Line{withDiscounts(valid, Discount{Percent: pct("100.0001")})}}, ErrInvalidDiscount, 0},
		{"percent discount with 5 decimals", Input{Currency: "USD", Lines: []Line{withDiscounts(valid, Discount{Percent: pct("10.00001")})}}, ErrInvalidDiscount, 0},
		{"percent discount with a huge exponent", Input{Currency: "USD", Lines: []Line{withDiscounts(valid, Discount{Percent: ptr(decimal.New(1, 2_000_000_000))})}}, ErrInvalidDiscount, 0},
		{"fixed discount too large", Input{Currency: "USD", Lines: []Line{valid}, Discounts: []Discount{{AmountMinor: money.MaxAmount + 1}}}, ErrAmountTooLarge, -1},
		{"invalid invoice discount", Input{Currency: "USD", Lines: []Line{valid}, Discounts: []Discount{{Percent: pct("-5")}}}, ErrInvalidDiscount, -1},
		{"tax rate above 100", Input{Currency: "USD", Lines: []Line{line("1", "1", rate("x", "100.5", false))}}, ErrInvalidTaxRate, 0},
		{"negative tax rate", Input{Currency: "USD", Lines: []Line{line("1", "1", rate("x", "-1", false))}}, ErrInvalidTaxRate, 0},
		{"tax rate with 5 decimals", Input{Currency: "USD", Lines: []Line{line("1", "1", rate("x", "8.87501", false))}}, ErrInvalidTaxRate, 0},
		{"tax rate without id", Input{Currency: "USD", Lines: []Line{line("1", "1", rate("", "10", false))}}, ErrInvalidTaxRate, 0},
		{"tax rate twice on a line", Input{Currency: "USD", Lines: []Line{line("1", "1", rate("x", "10", false), rate("x", "10", false))}}, ErrInvalidTaxRate, 0},
		{"one id for two rates", Input{Currency: "USD", Lines: []Line{line("1", "1", rate("x", "10", false)), line("1", "1", rate("x", "12", false))}}, ErrInvalidTaxRate, 1},
		{"one id inclusive and exclusive", Input{Currency: "USD", Lines: []Line{line("1", "1", rate("x", "10", false)), line("1", "1", rate("x", "10", true))}}, ErrInvalidTaxRate, 1},
		{"line rate conflicting with a default", Input{Currency: "USD", DefaultTaxRates: []TaxRate{rate("x", "10", false)}, Lines: []Line{line("1", "1", rate("x", "12", false))}}, ErrInvalidTaxRate, 0},
		{"invalid default rate", Input{Currency: "USD", DefaultTaxRates: []TaxRate{rate("x", "101", false)}, Lines: []Line{valid}}, ErrInvalidTaxRate, -1},
		{"two inclusive rates on a line", Input{Currency: "USD", Lines: []Line{line("1", "1", rate("x", "10", true), rate("y", "5", true))}}, ErrMultipleInclusiveRates, 0},
		{"two inclusive default rates", Input{Currency: "USD", DefaultTaxRates: []TaxRate{rate("x", "10", true), rate("y", "5", true)}, Lines: []Line{valid}}, ErrMultipleInclusiveRates, -1},
		{"exclusive taxes add up past the limit", Input{Currency: "USD", Lines: []Line{
			line("1", "6000000000000", rate("a", "100", false), rate("b", "100", false)),
		}}, ErrAmountTooLarge, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compute(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Compute error = %v, want %v", err, tt.want)
			}
			var le *LineError
			if got := errors.As(err, &le); got != (tt.line >= 0) || got && le.Index != tt.line {
				t.Errorf("Compute error = %v; want line %d", err, tt.line)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestLineErrorMessage(t *testing.T) {
	_, err := Compute(Input{Currency: "USD", Lines: []Line{
		line("1", "1"),
		withDiscounts(line("1", "1"), Discount{AmountMinor: 1}, Discount{Percent: pct("150")}),
	}})
	const want = "line 1: discount 1: invalid discount: percent must be in (0, 100] with at most 4 decimals"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

func TestLineResultRatesAreCopies(t *testing.T) {
	defaults := []TaxRate{rate("x", "10", false)}
	res, err := Compute(Input{Currency: "USD", DefaultTaxRates: defaults, Lines: []Line{line("1", "1"), line("1", "2")}})
	if err != nil {
		t.Fatal(err)
	}
	res.Lines[0].TaxRates[0].ID = "changed"
	if defaults[0].ID != "x" || res.Lines[1].TaxRates[0].ID != "x" {
		t.Error("LineResult.TaxRates aliases the input or another line")
	}
}

func TestApplyBalance(t *testing.T) {
	tests := []struct {
		total, balance   int64
		applied, due     int64
		wantBalanceAfter int64
	}{
		{10000, 0, 0, 10000, 0},
		{10000, -3000, -3000, 7000, 0},    // credit fully used
		{10000, -15000, -10000, 0, -5000}, // credit larger than the total: the rest stays
		{10000, -10000, -10000, 0, 0},     // exactly enough credit
		{10000, 2500, 2500, 12500, 0},     // debt is added in full
		{0, -500, 0, 0, -500},             // nothing to pay, credit kept
		{0, 500, 500, 500, 0},             // debt is due even on a zero invoice
		{-100, -500, 0, -100, -500},       // credit never deepens a negative total
		{money.MaxAmount, -money.MaxAmount, -money.MaxAmount, 0, 0},
	}
	for _, tt := range tests {
		applied, due := ApplyBalance(tt.total, tt.balance)
		if applied != tt.applied || due != tt.due || tt.balance-applied != tt.wantBalanceAfter {
			t.Errorf("ApplyBalance(%d, %d) = %d, %d (balance after %d); want %d, %d (%d)",
				tt.total, tt.balance, applied, due, tt.balance-applied, tt.applied, tt.due, tt.wantBalanceAfter)
		}
	}
}

func BenchmarkCompute(b *testing.B) {
	for _, n := range []int{10, 250} {
		in := Input{
			Currency:        "EUR",
			DefaultTaxRates: []TaxRate{rate("fr-vat-20", "20", false)},
			Discounts:       []Discount{{Percent: pct("5")}},
		}
		for i := range n {
			l := line(fmt.Sprint(1+i%7), fmt.Sprintf("%d.%02d", 10+i, i%100))
			switch i % 5 {
			case 1:
				l.TaxRates = []TaxRate{rate("fr-vat-05.5", "5.5", false)}
			case 2:
				l.Discounts = []Discount{{Percent: pct("12.5")}}
			}
			in.Lines = append(in.Lines, l)
		}
		b.Run(fmt.Sprintf("lines=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Compute(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
