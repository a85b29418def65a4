package document

import "strings"

// categoryName is how the breakdown names a VAT category: "" for S, whose
// rows keep the rate's own name (TVA, VAT); false for an unknown code.
func categoryName(l *labels, code string) (string, bool) {
	switch strings.ToUpper(strings.TrimSpace(code)) {
	case "S":
		return "", true
	case "Z":
		return l.CatZero, true
	case "E":
		return l.CatExempt, true
	case "AE":
		return l.CatReverse, true
	case "K":
		return l.CatIntraCommunity, true
	case "G":
		return l.CatExport, true
	case "O":
		return l.CatOutOfScope, true
	}
	return "", false
}

// totalTaxLabel is the label of the tax total: it says the category when
// the whole breakdown is of one category other than S ("Total TVA
// (autoliquidation)"), so that a 0.00 total reads for what it is.
func totalTaxLabel(l *labels, taxes []TaxLine) string {
	if len(taxes) == 0 {
		return l.TotalTax
	}
	cat := strings.ToUpper(taxes[0].Category)
	for _, t := range taxes[1:] {
		if strings.ToUpper(t.Category) != cat {
			return l.TotalTax
		}
	}
	if short, ok := l.CatShort[cat]; ok {
		return l.TotalTax + " (" + short + ")"
	}
	return l.TotalTax
}

// categoryNotices are the legal mentions of the breakdown's categories
// that charge no VAT (CGI ann. II art. 242 nonies A 12° and 13°, Directive
// 2006/112/EC art. 226 (11) and (11a)), each once, in the breakdown's
// order, with the reason and VATEX code the invoice gives.
func categoryNotices(l *labels, taxes []TaxLine) []notice {
	var out []notice
	seen := map[[3]string]bool{}
	for _, t := range taxes {
		cat := strings.ToUpper(strings.TrimSpace(t.Category))
		reason, code := strings.TrimSpace(t.ExemptionReason), strings.TrimSpace(t.ExemptionCode)
		if key := [3]string{cat, reason, code}; seen[key] {
			continue
		} else {
			seen[key] = true
		}
		var n notice
		var sub []string
		switch cat {
		case "AE":
			// Article 196 is the reverse charge of intra-EU services,
			// the generic code's case; a domestic one states its own.
			n.Main = l.CatReverse
			if code == "" || code == "VATEX-EU-AE" {
				n.Main = l.ReverseCharge
			}
			sub = append(sub, l.ReverseChargeNote)
			if reason != "" {
				sub = append(sub, reason)
			}
		case "E":
			n.Main = l.Exemption
			if reason != "" {
				n.Main += ", " + reason
			}
		case "K":
			n.Main = l.MentionIntraCommunity
		case "G":
			n.Main = l.MentionExport
		case "O":
			n.Main = l.MentionOutOfScope
		default: // S and Z say nothing
			continue
		}
		if cat != "AE" && cat != "E" && reason != "" {
			sub = append(sub, reason)
		}
		if code != "" {
			sub = append(sub, strings.ReplaceAll(l.ExemptionCode, "%s", code))
		}
		n.Sub = strings.Join(sub, " – ")
		out = append(out, n)
	}
	return out
}
