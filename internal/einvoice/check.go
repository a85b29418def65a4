package einvoice

import (
	"errors"
	"fmt"
	"strings"

	"github.com/remitbilling/remit/internal/money"
	"github.com/shopspring/decimal"
)

// Problem is one rule a Document breaks: the EN 16931 rule id and what
// is wrong.
type Problem struct {
	Rule    string
	Message string
}

// Problems is every rule a Document breaks; Check returns them as one
// error.
type Problems []Problem

func (p Problems) Error() string {
	parts := make([]string, len(p))
	for i, q := range p {
		parts[i] = q.Rule + ": " + q.Message
	}
	return "e-invoice: " + strings.Join(parts, "; ")
}

// Check reports what keeps d from being a valid EN 16931 document: the
// mandatory business terms, the VAT category rules and the totals chain
// BR-CO-10 … BR-CO-17, computed exactly in minor units. Its error is a
// Problems.
func (d Document) Check() error {
	var ps Problems
	add := func(rule, format string, args ...any) {
		ps = append(ps, Problem{rule, fmt.Sprintf(format, args...)})
	}
	digits, ok := money.Digits(d.Currency)
	if !ok {
		add("BR-05", "unknown currency %q", d.Currency)
	}
	switch d.Type {
	case Invoice, CreditNote, Corrective:
	default:
		add("BR-04", "unknown type code %q", d.Type)
	}
	if d.Number == "" {
		add("BR-02", "the document has no number (BT-1)")
	}
	if d.IssueDate.IsZero() {
		add("BR-03", "the document has no issue date (BT-2)")
	}
	if d.Type == Corrective && len(d.Preceding) == 0 {
		add("BR-55", "a corrective invoice names the invoice it corrects (BG-3)")
	}
	checkParty := func(p Party, who, nameRule, countryRule string) {
		if p.Name == "" {
			add(nameRule, "the %s has no name", who)
		}
		if p.Address.Country == "" {
			add(countryRule, "the %s's address has no country", who)
		}
		if p.VATID != "" && !hasCountryPrefix(p.VATID) {
			add("BR-CO-09", "the %s's VAT identifier %q does not start with its country code", who, p.VATID)
		}
	}
	checkParty(d.Seller, "seller", "BR-06", "BR-09")
	checkParty(d.Buyer, "buyer", "BR-07", "BR-11")
	if d.Seller.VATID == "" && d.Seller.SIREN == "" && d.Seller.SIRET == "" {
		add("BR-CO-26", "the seller has no VAT identifier, SIREN or SIRET")
	}
	if len(d.Lines) == 0 {
		add("BR-16", "the document has no line")
	}
	for _, m := range d.Payment {
		if m.Code != d.Payment[0].Code {
			add("CII-SR-467", "every payment means has the same code (BT-81)")
		}
		if (m.Code == MeansCreditTransfer || m.Code == MeansSEPACreditTransfer) && m.IBAN == "" {
			add("BR-61", "a credit transfer names the account to pay into (BT-84)")
		}
	}

	// Amounts carry at most 2 decimals (BR-DEC-*): a currency with more
	// minor digits (KWD) is only expressible in whole hundredths.
	scale := int64(1)
	for range max(digits-2, 0) {
		scale *= 10
	}
	amount := func(rule, what string, v int64) {
		if v%scale != 0 {
			add(rule, "%s %s has more than 2 decimals", what, money.MajorString(v, d.Currency))
		}
	}

	type key struct{ cat, rate string }
	groups := map[key]int64{} // Σ line nets − Σ allowances, per category and rate
	cats := map[string]bool{}
	var lineNet, allowances int64
	for i, l := range d.Lines {
		where := fmt.Sprintf("line %d", i+1)
		if l.ID == "" {
			add("BR-21", "%s has no identifier", where)
		}
		if l.Name == "" {
			add("BR-25", "%s has no item name", where)
		}
		if l.Quantity == "" {
			add("BR-22", "%s has no quantity", where)
		}
		if l.NetPrice == "" {
			add("BR-26", "%s has no net price", where)
		} else if p, err := decimal.NewFromString(l.NetPrice); err != nil || p.IsNegative() {
			add("BR-27", "%s's net price %q is not a non-negative decimal", where, l.NetPrice)
		}
		if l.Category == "" {
			add("BR-CO-04", "%s has no VAT category", where)
		}
		amount("BR-DEC-23", where+"'s net amount", l.NetAmount)
		for _, a := range l.Allowances {
			amount("BR-DEC-24", where+"'s allowance", a.Amount)
			if a.Reason == "" && a.ReasonCode == "" {
				add("BR-42", "%s has an allowance without a reason", where)
			}
		}
		lineNet += l.NetAmount
		k := key{l.Category, normRate(l.Rate)}
		groups[k] += l.NetAmount
		cats[l.Category] = true
	}
	for _, a := range d.Allowances {
		amount("BR-DEC-01", "a document allowance", a.Amount)
		if a.Reason == "" && a.ReasonCode == "" {
			add("BR-33", "a document allowance has no reason")
		}
		if a.Category == "" {
			add("BR-32", "a document allowance has no VAT category")
		}
		allowances += a.Amount
		groups[key{a.Category, normRate(a.Rate)}] -= a.Amount
		cats[a.Category] = true
	}

	if len(d.VAT) == 0 {
		add("BR-CO-18", "the document has no VAT breakdown")
	}
	var tax int64
	seen := map[key]bool{}
	for _, v := range d.VAT {
		k := key{v.Category, normRate(v.Rate)}
		what := fmt.Sprintf("VAT breakdown %s %s%%", v.Category, v.Rate)
		if seen[k] {
			add("BR-"+catRule(v.Category)+"-08", "%s appears twice", what)
		}
		seen[k] = true
		amount("BR-DEC-19", what+" taxable amount", v.Taxable)
		amount("BR-DEC-20", what+" tax", v.Tax)
		tax += v.Tax
		want, ok := groups[k]
		if !ok {
			add("BR-"+catRule(v.Category)+"-08", "%s has no line of that category and rate", what)
		} else if want != v.Taxable {
			add("BR-"+catRule(v.Category)+"-08", "%s taxable amount is %s, its lines less allowances make %s", what,
				money.MajorString(v.Taxable, d.Currency), money.MajorString(want, d.Currency))
		}
		rate, err := decimal.NewFromString(orZero(v.Rate))
		switch {
		case err != nil:
			add("BR-CO-17", "%s rate %q is not a decimal", what, v.Rate)
		case v.Category == "S":
			if !rate.IsPositive() {
				add("BR-S-05", "%s: a standard rate is above 0", what)
			}
			exact := decimal.New(v.Taxable, 0).Mul(rate).Div(decimal.New(100, 0)).Round(0).IntPart()
			if diff := v.Tax - exact; diff != 0 && !(v.InclusivePrices && (diff == 1 || diff == -1)) {
				add("BR-CO-17", "%s tax is %s, %s%% of %s is %s", what, money.MajorString(v.Tax, d.Currency), v.Rate,
					money.MajorString(v.Taxable, d.Currency), money.MajorString(exact, d.Currency))
			}
		default:
			if !rate.IsZero() || v.Tax != 0 {
				add("BR-"+catRule(v.Category)+"-09", "%s charges no VAT", what)
			}
		}
		if v.Category == "O" && v.Rate != "" {
			add("BR-O-09", "an out-of-scope breakdown has no rate")
		}
		switch v.Category {
		case "S", "Z":
			if v.ExemptionReason != "" || v.ExemptionCode != "" {
				add("BR-"+v.Category+"-10", "%s gives no exemption reason", what)
			}
		case "E", "AE", "K", "G", "O":
			if v.ExemptionReason == "" && v.ExemptionCode == "" {
				add("BR-"+catRule(v.Category)+"-10", "%s says why no VAT is charged", what)
			}
		default:
			add("BR-CL-17", "%s: unknown VAT category", what)
		}
	}
	for k := range groups {
		if !seen[k] {
			add("BR-"+catRule(k.cat)+"-08", "lines of VAT category %s at %s%% have no VAT breakdown", k.cat, k.rate)
		}
	}

	// What each category requires of the parties.
	switch {
	case cats["S"] || cats["Z"] || cats["E"] || cats["G"]:
		if d.Seller.VATID == "" {
			add("BR-S-02", "a taxed, zero-rated, exempt or export supply names the seller's VAT identifier")
		}
	}
	if cats["AE"] && (d.Seller.VATID == "" || (d.Buyer.VATID == "" && d.Buyer.SIREN == "")) {
		add("BR-AE-02", "a reverse-charge supply names the seller's and the buyer's VAT identifiers")
	}
	if cats["K"] {
		if d.Seller.VATID == "" || d.Buyer.VATID == "" {
			add("BR-IC-02", "an intra-community supply names the seller's and the buyer's VAT identifiers")
		}
		if (d.Delivery == nil || d.Delivery.Date.IsZero()) && d.Period == nil {
			add("BR-IC-11", "an intra-community supply states its delivery date (BT-72) or invoicing period (BG-14)")
		}
		if d.Delivery == nil || d.Delivery.Address == nil || d.Delivery.Address.Country == "" {
			add("BR-IC-12", "an intra-community supply states the deliver-to country (BT-80)")
		}
	}
	if cats["O"] {
		if len(cats) > 1 {
			add("BR-O-11", "an out-of-scope document has no other VAT category")
		}
		if d.Seller.VATID != "" || d.Buyer.VATID != "" {
			add("BR-O-02", "an out-of-scope document carries no VAT identifier")
		}
	}

	t := d.Totals
	for _, a := range []struct {
		rule string
		v    int64
	}{{"BR-DEC-09", t.LineNet}, {"BR-DEC-10", t.Allowances}, {"BR-DEC-11", t.Charges}, {"BR-DEC-12", t.TaxExclusive},
		{"BR-DEC-13", t.Tax}, {"BR-DEC-14", t.TaxInclusive}, {"BR-DEC-16", t.Prepaid}, {"BR-DEC-17", t.Rounding}, {"BR-DEC-18", t.Due}} {
		amount(a.rule, "a total", a.v)
	}
	eq := func(rule, what string, got, want int64) {
		if got != want {
			add(rule, "%s is %s, should be %s", what, money.MajorString(got, d.Currency), money.MajorString(want, d.Currency))
		}
	}
	eq("BR-CO-10", "the sum of line net amounts (BT-106)", t.LineNet, lineNet)
	eq("BR-CO-11", "the sum of allowances (BT-107)", t.Allowances, allowances)
	eq("BR-CO-12", "the sum of charges (BT-108)", t.Charges, 0)
	eq("BR-CO-13", "the total without VAT (BT-109)", t.TaxExclusive, t.LineNet-t.Allowances+t.Charges)
	eq("BR-CO-14", "the total VAT (BT-110)", t.Tax, tax)
	eq("BR-CO-15", "the total with VAT (BT-112)", t.TaxInclusive, t.TaxExclusive+t.Tax)
	eq("BR-CO-16", "the amount due (BT-115)", t.Due, t.TaxInclusive-t.Prepaid+t.Rounding)
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// IsProblems reports whether err is a Check failure.
func IsProblems(err error) (Problems, bool) {
	var ps Problems
	ok := errors.As(err, &ps)
	return ps, ok
}

func hasCountryPrefix(id string) bool {
	if len(id) < 3 {
		return false
	}
	for _, c := range id[:2] {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// catRule is a category's name in rule ids: BR-IC-* for K.
func catRule(c string) string {
	if c == "K" {
		return "IC"
	}
	return c
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

// normRate makes "20", "20.0" and "20.00" one group.
func normRate(s string) string {
	if s == "" {
		return ""
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return s
	}
	return d.String()
}
