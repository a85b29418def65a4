package totals

import (
	"errors"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// vat is a VAT rate of category cat (empty: derived from the percentage).
func vat(id, p string, cat Category, reasonCode ...string) TaxRate {
	r := TaxRate{ID: id, Percentage: dec(p), VAT: true, Category: cat}
	if len(reasonCode) > 0 {
		r.ExemptionReason = reasonCode[0]
	}
	if len(reasonCode) > 1 {
		r.ExemptionCode = reasonCode[1]
	}
	return r
}

// breakdown is the part of a breakdown entry the category examples pin down.
type breakdown struct {
	Category        Category
	Percentage      string
	Reason, Code    string
	Taxable, Amount int64
}

type categorySummary struct {
	Taxes             []breakdown
	TotalExcludingTax int64
	Tax, Total        int64
}

func summarizeCategories(r Result) categorySummary {
	s := categorySummary{TotalExcludingTax: r.TotalExcludingTax, Tax: r.TaxExclusive + r.TaxInclusive, Total: r.Total}
	for _, t := range r.Taxes {
		s.Taxes = append(s.Taxes, breakdown{t.TaxRate.Category, t.TaxRate.Percentage.String(), t.TaxRate.ExemptionReason, t.TaxRate.ExemptionCode, t.TaxableAmount, t.Amount})
	}
	return s
}

// TestComputeVATCategories pins the EN 16931 breakdown per category and
// rate, with figures worked out by hand in the comments.
func TestComputeVATCategories(t *testing.T) {
	s20 := vat("txr_s20", "20", Standard)
	s55 := vat("txr_s55", "5.5", Standard)
	legacy20 := vat("txr_old20", "20", "") // stored before rates had a category
	z := vat("txr_z", "0", Zero)
	k := vat("txr_k", "0", IntraCommunity)
	exempt := vat("txr_e", "0", Exempt, "TVA non applicable, art. 293 B du CGI", "VATEX-FR-FRANCHISE")
	reverse := Exemption{Category: ReverseCharge}
	tests := []struct {
		name string
		in   Input
		want categorySummary
	}{{
		name: "reverse charge: 1 000 € at 20 % is 0 € VAT, category AE",
		in:   Input{Currency: "EUR", Exemption: reverse, Lines: []Line{line("1", "1000", s20)}},
		want: categorySummary{
			Taxes:             []breakdown{{ReverseCharge, "0", "", "VATEX-EU-AE", 100000, 0}},
			TotalExcludingTax: 100000, Tax: 0, Total: 100000,
		},
	}, {
		name: "the same invoice for a buyer who pays VAT: 200 € VAT",
		in:   Input{Currency: "EUR", Lines: []Line{line("1", "1000", s20)}},
		want: categorySummary{
			Taxes:             []breakdown{{Standard, "20", "", "", 100000, 20000}},
			TotalExcludingTax: 100000, Tax: 20000, Total: 120000,
		},
	}, {
		name: "exempt buyer: E with the buyer's reason and code",
		in: Input{Currency: "EUR", Exemption: Exemption{Category: Exempt, Reason: "Exonération, art. 261-4-4° du CGI", Code: "VATEX-FR-CGI261-4"},
			Lines: []Line{line("3", "150", s20)}},
		want: categorySummary{
			Taxes:             []breakdown{{Exempt, "0", "Exonération, art. 261-4-4° du CGI", "VATEX-FR-CGI261-4", 45000, 0}},
			TotalExcludingTax: 45000, Tax: 0, Total: 45000,
		},
	}, {
		// 100.00 at 20 % = 20.00; 2 × 12.50 at 5.5 % = 1.375 → 1.38; 50.00
		// zero rated.
		name: "standard and zero-rated lines: one group per category and rate, S highest first",
		in: Input{Currency: "EUR", Lines: []Line{
			line("1", "50", z), line("2", "12.50", s55), line("1", "100", s20),
		}},
		want: categorySummary{
			Taxes: []breakdown{
				{Standard, "20", "", "", 10000, 2000},
				{Standard, "5.5", "", "", 2500, 138},
				{Zero, "0", "", "", 5000, 0},
			},
			TotalExcludingTax: 17500, Tax: 2138, Total: 19638,
		},
	}, {
		// Two rates of S 20 %, 0.03 each: per rate 0.6 + 0.6 cents would
		// round to 1 + 1; one group is 6 × 20 % = 1.2 → 1 cent.
		name: "two S 20 % rates with different IDs are one group, rounded once",
		in:   Input{Currency: "EUR", Lines: []Line{line("1", "0.03", s20), line("1", "0.03", legacy20)}},
		want: categorySummary{
			Taxes:             []breakdown{{Standard, "20", "", "", 6, 1}},
			TotalExcludingTax: 6, Tax: 1, Total: 7,
		},
	}, {
		name: "reverse charge merges 20 % and 5.5 % into one AE group and keeps K",
		in: Input{Currency: "EUR", Exemption: reverse, Lines: []Line{
			line("1", "100", s20), line("2", "12.50", s55), line("1", "40", k),
		}},
		want: categorySummary{
			Taxes: []breakdown{
				{ReverseCharge, "0", "", "VATEX-EU-AE", 12500, 0},
				{IntraCommunity, "0", "", "VATEX-EU-IC", 4000, 0},
			},
			TotalExcludingTax: 16500, Tax: 0, Total: 16500,
		},
	}, {
		name: "an explicit exempt rate keeps its own reason beside standard lines",
		in:   Input{Currency: "EUR", Lines: []Line{line("1", "200", exempt), line("1", "100", s20)}},
		want: categorySummary{
			Taxes: []breakdown{
				{Standard, "20", "", "", 10000, 2000},
				{Exempt, "0", "TVA non applicable, art. 293 B du CGI", "VATEX-FR-FRANCHISE", 20000, 0},
			},
			TotalExcludingTax: 30000, Tax: 2000, Total: 32000,
		},
	}, {
		// One E breakdown (BR-E-08) for two exemptions: both reasons, no
		// single code.
		name: "exempt rates of two reasons are one group listing both",
		in: Input{Currency: "EUR", Exemption: Exemption{Category: Exempt, Reason: "Exempt buyer"}, Lines: []Line{
			line("1", "200", exempt), line("1", "100", s20), line("1", "50", exempt),
		}},
		want: categorySummary{
			Taxes:             []breakdown{{Exempt, "0", "TVA non applicable, art. 293 B du CGI; Exempt buyer", "", 35000, 0}},
			TotalExcludingTax: 35000, Tax: 0, Total: 35000,
		},
	}, {
		// 120.00 including 20 % is 100.00 + 20.00 for a buyer who pays
		// VAT; under reverse charge no VAT is in it: 120.00 net.
		name: "an inclusive price under reverse charge stays what it is, all net",
		in: Input{Currency: "EUR", Exemption: reverse, Lines: []Line{
			line("1", "120", TaxRate{ID: "txr_incl", Percentage: dec("20"), Inclusive: true, VAT: true, Category: Standard}),
		}},
		want: categorySummary{
			Taxes:             []breakdown{{ReverseCharge, "0", "", "VATEX-EU-AE", 12000, 0}},
			TotalExcludingTax: 12000, Tax: 0, Total: 12000,
		},
	}, {
		// Sales taxes are not VAT: two at 6 % stack, each its own group.
		name: "taxes other than VAT stay one group per rate",
		in: Input{Currency: "USD", Lines: []Line{line("1", "100",
			TaxRate{ID: "state", Percentage: dec("6")}, TaxRate{ID: "county", Percentage: dec("6")})}},
		want: categorySummary{
			Taxes: []breakdown{
				{Standard, "6", "", "", 10000, 600},
				{Standard, "6", "", "", 10000, 600},
			},
			TotalExcludingTax: 10000, Tax: 1200, Total: 11200,
		},
	}, {
		name: "an exempt buyer pays no sales tax either",
		in: Input{Currency: "USD", Exemption: Exemption{Category: Exempt, Reason: "Resale certificate"},
			Lines: []Line{line("1", "100", TaxRate{ID: "state", Percentage: dec("6")})}},
		want: categorySummary{
			Taxes:             []breakdown{{Exempt, "0", "Resale certificate", "", 10000, 0}},
			TotalExcludingTax: 10000, Tax: 0, Total: 10000,
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Compute(tt.in)
			if err != nil {
				t.Fatalf("Compute: %v", err)
			}
			if got := summarizeCategories(res); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			// Each line's shares add up to its groups.
			for i, lr := range res.Lines {
				for k, ta := range lr.TaxAmounts {
					if ta.TaxRate.Category == "" {
						t.Errorf("line %d tax %d has no category", i, k)
					}
				}
			}
		})
	}
}

// TestExemptionLineShares checks the lines of an exempted invoice: each
// line's rate reads as the exemption and its share is zero.
func TestExemptionLineShares(t *testing.T) {
	s20 := vat("txr_s20", "20", Standard)
	res, err := Compute(Input{Currency: "EUR", Exemption: Exemption{Category: ReverseCharge},
		DefaultTaxRates: []TaxRate{s20}, Lines: []Line{line("1", "600"), line("1", "400")}})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int64{60000, 40000} {
		ta := res.Lines[i].TaxAmounts[0]
		if ta.TaxRate.Category != ReverseCharge || !ta.TaxRate.Percentage.IsZero() || ta.TaxRate.ID != "txr_s20" ||
			ta.Amount != 0 || ta.TaxableAmount != want {
			t.Errorf("line %d: %+v", i, ta)
		}
	}
}

func TestComputeVATCategoryErrors(t *testing.T) {
	s20 := vat("txr_s20", "20", Standard)
	tests := []struct {
		name string
		in   Input
	}{
		{"S at 0 %", Input{Currency: "EUR", Lines: []Line{line("1", "1", vat("a", "0", Standard))}}},
		{"Z above 0 %", Input{Currency: "EUR", Lines: []Line{line("1", "1", vat("a", "5", Zero))}}},
		{"E without a reason", Input{Currency: "EUR", Lines: []Line{line("1", "1", vat("a", "0", Exempt))}}},
		{"unknown category", Input{Currency: "EUR", Lines: []Line{line("1", "1", vat("a", "0", "X"))}}},
		{"code not on the VATEX list", Input{Currency: "EUR", Lines: []Line{line("1", "1", vat("a", "0", Exempt, "Exempt", "VATEX-EU-999"))}}},
		{"code of another category", Input{Currency: "EUR", Lines: []Line{line("1", "1", vat("a", "0", Exempt, "Exempt", "VATEX-EU-AE"))}}},
		{"reason on a standard rate", Input{Currency: "EUR", Lines: []Line{line("1", "1", vat("a", "20", Standard, "why"))}}},
		{"two S 20 % rates on one line", Input{Currency: "EUR", Lines: []Line{line("1", "1", s20, vat("b", "20", Standard))}}},
		{"an exemption of category S", Input{Currency: "EUR", Exemption: Exemption{Category: Standard}, Lines: []Line{line("1", "1", s20)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Compute(tt.in); !errors.Is(err, ErrInvalidTaxRate) {
				t.Fatalf("err = %v, want ErrInvalidTaxRate", err)
			}
		})
	}
	// Under an exemption, two standard rates of a line both become 0 %:
	// one group, the line counted once.
	res, err := Compute(Input{Currency: "EUR", Exemption: Exemption{Category: ReverseCharge},
		Lines: []Line{line("1", "100", s20, vat("b", "5.5", Standard))}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Taxes) != 1 || res.Taxes[0].TaxableAmount != 10000 || len(res.Lines[0].TaxAmounts) != 2 ||
		res.Lines[0].TaxAmounts[1].TaxableAmount != 10000 {
		t.Errorf("taxes %+v, line %+v", res.Taxes, res.Lines[0].TaxAmounts)
	}
}

func TestCheckRate(t *testing.T) {
	tests := []struct {
		cat          Category
		pct          string
		reason, code string
		field        string // "" when valid
	}{
		{Standard, "20", "", "", ""},
		{Standard, "0", "", "", "percentage"},
		{Standard, "20", "", "VATEX-EU-AE", "exemptionCode"},
		{Zero, "0", "", "", ""},
		{Zero, "0", "zero rated", "", "exemptionReason"},
		{Exempt, "0", "Exonération, art. 261 du CGI", "", ""},
		{Exempt, "0", "Exonération", "VATEX-EU-132-1I", ""},
		{Exempt, "0", "Exonération", "vatex-eu-132", ""},
		{Exempt, "0", "", "VATEX-EU-132", "exemptionReason"},
		{Exempt, "5.5", "x", "", "percentage"},
		{Exempt, "0", "x", "VATEX-EU-G", "exemptionCode"},
		{ReverseCharge, "0", "", "", ""},
		{ReverseCharge, "0", "", "VATEX-FR-AE", ""},
		{ReverseCharge, "20", "", "", "percentage"},
		{IntraCommunity, "0", "", "VATEX-EU-IC", ""},
		{Export, "0", "", "VATEX-EU-G", ""},
		{OutOfScope, "0", "Hors champ", "VATEX-EU-O", ""},
		{OutOfScope, "0", "", "VATEX-EU-132", "exemptionCode"},
		{Export, "0", "", "VATEX-XX-1", "exemptionCode"},
	}
	for _, tt := range tests {
		err := CheckRate(tt.cat, dec(tt.pct), tt.reason, tt.code)
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%s %s %q %q: %v", tt.cat, tt.pct, tt.reason, tt.code, err)
		case tt.field != "" && (err == nil || err.Field != tt.field):
			t.Errorf("%s %s %q %q: %v, want an error on %s", tt.cat, tt.pct, tt.reason, tt.code, err, tt.field)
		}
	}
}

// TestVATEXMatchesCEN compares the VATEX list with the one the CEN
// validation artefacts check (BR-CL-22), when they are at hand.
func TestVATEXMatchesCEN(t *testing.T) {
	path := os.Getenv("REMIT_EINVOICE_DIR")
	if path == "" {
		path = "/work/shared/einvoice"
	}
	src, err := os.ReadFile(path + "/cen-en16931-v1.3.16/cii/schematron/codelist/EN16931-CII-codes.sch")
	if err != nil {
		t.Skipf("CEN artefacts not found (set REMIT_EINVOICE_DIR): %v", err)
	}
	m := regexp.MustCompile(`contains\(' (VATEX[^']*) '`).FindSubmatch(src)
	if m == nil {
		t.Fatal("no VATEX list in the CEN code lists")
	}
	want := strings.Fields(string(m[1]))
	var got []string
	for c := range vatex {
		got = append(got, c)
	}
	sort.Strings(want)
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("VATEX list differs from CEN's:\n got %v\nwant %v", got, want)
	}
}
