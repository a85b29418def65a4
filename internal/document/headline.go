package document

import (
	"fmt"
	"strings"
)

// headline is the sentence under the header that says what the reader is
// to do: pay the amount due by its date, pay the next installment of a
// plan, or nothing, for a paid invoice, which says when and how it was
// paid.
func headline(lg *lang, inv *Invoice, amount func(int64) string) string {
	l := &lg.l
	if strings.EqualFold(strings.TrimSpace(inv.Status), "PAID") && !inv.Draft {
		p := inv.Paid
		switch {
		case p == nil || p.At.IsZero():
			return fmt.Sprintf(l.PaidNoDate, amount(inv.Total))
		case settlement(l, p) != "":
			return fmt.Sprintf(l.PaidBy, amount(inv.Total), lg.date(p.At), settlement(l, p))
		default:
			return fmt.Sprintf(l.PaidOn, amount(inv.Total), lg.date(p.At))
		}
	}
	if it := inv.NextInstallment; it != nil {
		name := strings.TrimSpace(it.Label)
		if name == "" {
			name = fmt.Sprintf(l.InstallmentN, it.Number, it.Of)
		}
		if d := lg.date(it.DueDate); d != "" {
			return fmt.Sprintf(l.InstallmentDueBy, amount(it.Amount), d, name)
		}
		return fmt.Sprintf(l.AmountDueNoDate, amount(it.Amount))
	}
	if d := lg.date(inv.DueDate); d != "" {
		return fmt.Sprintf(l.AmountDueBy, amount(inv.AmountDue), d)
	}
	return fmt.Sprintf(l.AmountDueNoDate, amount(inv.AmountDue))
}

// settlement says how an invoice was paid: "card and bank transfer,
// recorded by the seller, ref. VIR-42"; "" when nothing says it.
func settlement(l *labels, p *Settlement) string {
	var parts []string
	for _, m := range p.Methods {
		parts = append(parts, methodName(l, m))
	}
	if p.Recorded != "" {
		how := methodName(l, p.Recorded)
		if ref := strings.TrimSpace(p.Reference); ref != "" {
			how += " (" + fmt.Sprintf(l.Reference, ref) + ")"
		}
		parts = append(parts, fmt.Sprintf(l.RecordedBySeller, how))
	}
	return strings.Join(parts, l.And)
}

func methodName(l *labels, m string) string {
	if s, ok := l.Methods[m]; ok {
		return s
	}
	return l.Methods["other"]
}

// isDefaultIndemnity reports whether s is the legal 40 € recovery
// indemnity however written ("40 €", "40€", "€40", "40 EUR"), which then
// prints as the document's language writes it.
func isDefaultIndemnity(s string) bool {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\u00a0' || r == '\u202f' {
			return -1
		}
		return r
	}, strings.ToUpper(s))
	switch s {
	case "40€", "€40", "40EUR", "EUR40", "40,00€", "40.00€":
		return true
	}
	return false
}
