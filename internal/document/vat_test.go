package document

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// reverseCharge is the sample invoice as issued to a reverse-charge buyer:
// 5 015.00 of services, VAT category AE at 0 %.
func reverseCharge(locale string) Invoice {
	inv := sampleInvoice(locale)
	inv.BuyerTaxExempt = "REVERSE"
	inv.Taxes = []TaxLine{{Label: "TVA", Percentage: "0", Taxable: 501500, Category: "AE", ExemptionCode: "VATEX-EU-AE"}}
	for i := range inv.Lines {
		inv.Lines[i].TaxRates = []string{"AE"}
	}
	inv.TotalTax, inv.Total, inv.AmountPaid, inv.AmountDue = 0, 501500, 0, 501500
	return inv
}

func TestRenderVATCategories(t *testing.T) {
	tests := []struct {
		name         string
		inv          func() Invoice
		want, unwant []string
	}{{
		name: "fr reverse charge",
		inv:  func() Invoice { return reverseCharge("fr") },
		want: []string{
			"Autoliquidation 0 % 5 015,00 $US 0,00 $US",
			"Total HT 5 015,00 $US", "Total TVA (autoliquidation) 0,00 $US", "Total TTC 5 015,00 $US",
			"Autoliquidation – art. 196 directive 2006/112/CE",
			"TVA due par le preneur (autoliquidation). – code VATEX-EU-AE",
			"5 015,00 $US à régler au plus tard le 21/12/2026",
		},
		unwant: []string{"1 003,00", "TVA 20", "Total TVA 1"},
	}, {
		name: "en reverse charge",
		inv:  func() Invoice { return reverseCharge("en") },
		want: []string{
			"Reverse charge 0% $5,015.00 $0.00",
			"Total tax (reverse charge) $0.00", "Total $5,015.00",
			"Reverse charge – Article 196 of Directive 2006/112/EC",
			"VAT to be accounted for by the customer. – code VATEX-EU-AE",
		},
		unwant: []string{"$1,003.00", "Autoliquidation"},
	}, {
		name: "fr domestic reverse charge states its own basis",
		inv: func() Invoice {
			inv := reverseCharge("fr")
			inv.Taxes[0].ExemptionCode, inv.Taxes[0].ExemptionReason = "VATEX-FR-AE", "art. 283-2 nonies du CGI"
			return inv
		},
		want:   []string{"Autoliquidation TVA due par le preneur (autoliquidation). – art. 283-2 nonies du CGI – code VATEX-FR-AE"},
		unwant: []string{"art. 196"},
	}, {
		name: "fr exempt with reason and code",
		inv: func() Invoice {
			inv := reverseCharge("fr")
			inv.BuyerTaxExempt = "EXEMPT"
			inv.Taxes = []TaxLine{{Label: "TVA", Percentage: "0", Taxable: 501500, Category: "E",
				ExemptionReason: "art. 261-4-4° du CGI", ExemptionCode: "VATEX-FR-CGI261-4"}}
			return inv
		},
		want: []string{
			"Exonération de TVA 0 % 5 015,00 $US 0,00 $US", "Total TVA (exonérée) 0,00 $US",
			"Exonération de TVA, art. 261-4-4° du CGI", "code VATEX-FR-CGI261-4",
		},
		unwant: []string{"Autoliquidation"},
	}, {
		name: "en standard and zero-rated, intra-community and export",
		inv: func() Invoice {
			inv := sampleInvoice("en")
			inv.Taxes = []TaxLine{
				{Label: "VAT", Percentage: "20", Taxable: 10000, Amount: 2000, Category: "S"},
				{Label: "VAT", Percentage: "0", Taxable: 5000, Category: "Z"},
				{Label: "VAT", Percentage: "0", Taxable: 3000, Category: "K", ExemptionCode: "VATEX-EU-IC"},
				{Label: "VAT", Percentage: "0", Taxable: 1500, Category: "G", ExemptionCode: "VATEX-EU-G"},
			}
			inv.Subtotal, inv.TotalExcludingTax, inv.TotalTax, inv.Total = 19500, 19500, 2000, 21500
			inv.AmountPaid, inv.AmountDue = 0, 21500
			return inv
		},
		want: []string{
			"VAT 20% $100.00 $20.00", "Zero-rated VAT 0% $50.00 $0.00",
			"Intra-community supply 0% $30.00 $0.00", "Export outside the EU 0% $15.00 $0.00",
			"Total tax $20.00",
			"VAT exempt intra-community supply of goods – Article 138 of Directive 2006/112/EC", "code VATEX-EU-IC",
			"VAT exempt export outside the European Union – Article 146 of Directive 2006/112/EC", "code VATEX-EU-G",
		},
		unwant: []string{"Reverse charge", "Total tax ("},
	}, {
		name: "fr not subject to VAT",
		inv: func() Invoice {
			inv := reverseCharge("fr")
			inv.BuyerTaxExempt = ""
			inv.Taxes = []TaxLine{{Label: "TVA", Percentage: "0", Taxable: 501500, Category: "O", ExemptionCode: "VATEX-EU-O"}}
			return inv
		},
		want: []string{"Hors champ de la TVA 0 % 5 015,00 $US", "Opération hors du champ d'application de la TVA"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// pdftotext reads the narrow space of "0 %" or not, as the
			// glyphs fall: rates are compared without it.
			got := strings.ReplaceAll(text(t, render(t, tt.inv())), " %", "%")
			for i, w := range tt.want {
				tt.want[i] = strings.ReplaceAll(normalize(w), " %", "%")
			}
			assertContains(t, got, tt.want...)
			assertLacks(t, got, tt.unwant...)
		})
	}
}

// TestRenderPaid checks a paid invoice's headline: what was paid, when and
// how, never an amount "to pay by" its due date.
func TestRenderPaid(t *testing.T) {
	paidAt := time.Date(2026, 11, 28, 15, 4, 0, 0, time.UTC)
	paid := func(locale string, s *Settlement) Invoice {
		inv := sampleInvoice(locale)
		inv.Status, inv.AmountPaid, inv.AmountDue, inv.Paid = "PAID", 601800, 0, s
		return inv
	}
	tests := []struct {
		name         string
		inv          Invoice
		want, unwant []string
	}{
		{"fr card", paid("fr", &Settlement{At: paidAt, Methods: []string{"CARD"}}),
			[]string{"6 018,00 $US réglé le 28/11/2026 par carte bancaire", "Montant dû 0,00 $US"},
			[]string{"à régler", "0,00 $US à régler au plus tard le"}},
		{"en card", paid("en", &Settlement{At: paidAt, Methods: []string{"CARD"}}),
			[]string{"$6,018.00 paid on Nov 28, 2026 by card"}, []string{"$0.00 due"}},
		{"fr out of band", paid("fr", &Settlement{At: paidAt, Recorded: "bank_transfer", Reference: "VIR-2026-118"}),
			[]string{"6 018,00 $US réglé le 28/11/2026 par virement bancaire (réf. VIR-2026-118), paiement enregistré par le vendeur"},
			[]string{"à régler"}},
		{"en card then check", paid("en", &Settlement{At: paidAt, Methods: []string{"CARD"}, Recorded: "check"}),
			[]string{"$6,018.00 paid on Nov 28, 2026 by card and check, recorded by the seller"}, []string{"$0.00 due"}},
		{"en paid from the customer's credit", paid("en", &Settlement{At: paidAt, Methods: []string{"balance"}}),
			[]string{"$6,018.00 paid on Nov 28, 2026 by account credit"}, nil},
		{"fr paid, nothing said of how", paid("fr", nil), []string{"6 018,00 $US réglé"}, []string{"à régler"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := text(t, render(t, tt.inv))
			assertContains(t, got, tt.want...)
			assertLacks(t, got, tt.unwant...)
		})
	}
}

// TestRenderNextInstallment checks a payment plan's headline: the next
// installment's amount and date, not the whole amount by the last date.
func TestRenderNextInstallment(t *testing.T) {
	for _, tt := range []struct {
		locale, label string
		want          string
	}{
		{"fr", "", "Échéance 2 sur 3 : 2 000,00 $US à régler au plus tard le 21/12/2026"},
		{"en", "", "Installment 2 of 3: $2,000.00 due Dec 21, 2026"},
		{"en", "Balance on delivery", "Balance on delivery: $2,000.00 due Dec 21, 2026"},
	} {
		t.Run(fmt.Sprint(tt.locale, "/", tt.label), func(t *testing.T) {
			inv := sampleInvoice(tt.locale)
			inv.DueDate = due.AddDate(0, 2, 0) // the plan's last date
			inv.NextInstallment = &Installment{Number: 2, Of: 3, Label: tt.label, Amount: 200000, DueDate: due}
			got := text(t, render(t, inv))
			assertContains(t, got, tt.want)
			assertLacks(t, got, "6 000,00 $US à régler", "$6,000.00 due")
		})
	}
}

// TestRenderDeliveryAddress prints the shipping address beside the buyer.
func TestRenderDeliveryAddress(t *testing.T) {
	inv := sampleInvoice("fr")
	inv.DeliveryAddress = []string{"Entrepôt Rosen", "ZI des Tanneries", "67380 Lingolsheim"}
	inv.DeliveryCountry = "FR"
	got := text(t, render(t, inv))
	assertContains(t, got, "Adresse de livraison", "Entrepôt Rosen", "ZI des Tanneries", "67380 Lingolsheim")
	en := sampleInvoice("en")
	en.DeliveryAddress, en.DeliveryCountry = []string{"Rosen GmbH", "Hafenstraße 1", "20457 Hamburg"}, "DE"
	assertContains(t, text(t, render(t, en)), "Deliver to", "Rosen GmbH", "Hafenstraße 1", "20457 Hamburg", "Germany")
}
