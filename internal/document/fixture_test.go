package document

import (
	"fmt"
	"time"
)

var (
	issued = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	due    = time.Date(2026, 12, 21, 0, 0, 0, 0, time.UTC)
)

// sampleInvoice is a French B2B invoice in USD (the README's walkthrough:
// "Accès Premium 1 an" at 5 000) with every optional mention filled.
func sampleInvoice(locale string) Invoice {
	return Invoice{
		Number:    "MYBUSINE-0001",
		Status:    "OPEN",
		IssueDate: issued,
		DueDate:   due,
		Currency:  "usd",
		Locale:    locale,
		Seller: Party{
			Name:      "Dupont & Fils",
			LegalName: "Dupont & Fils SAS",
			Address:   []string{"12 rue de la Paix", "75002 Paris"},
			Country:   "FR",
			Email:     "facturation@dupont.example",
			SIREN:     "732829320",
			SIRET:     "73282932000074",
			VATNumber: "FR44732829320",
		},
		Buyer: Party{
			Name:      "Jenny Rosen",
			LegalName: "Rosen Consulting SARL",
			Address:   []string{"8 avenue Foch", "69006 Lyon"},
			Country:   "FR",
			Email:     "jenny.rosen@example.com",
			SIREN:     "552100554",
			VATNumber: "FR83552100554",
		},
		Lines: []Line{{
			Description: "Accès Premium 1 an",
			Quantity:    "1",
			UnitAmount:  "5000",
			Amount:      500000,
			TaxRates:    []string{"20 %"},
			PeriodStart: issued,
			PeriodEnd:   issued.AddDate(1, 0, -1),
		}, {
			Description: "Appels API supplémentaires",
			Quantity:    "1200",
			UnitAmount:  "0.0125",
			Amount:      1500,
			TaxRates:    []string{"20 %"},
		}},
		Taxes:             []TaxLine{{Label: "TVA", Percentage: "20", Taxable: 501500, Amount: 100300}},
		Subtotal:          501500,
		TotalExcludingTax: 501500,
		TotalTax:          100300,
		Total:             601800,
		AmountPaid:        1800,
		AmountDue:         600000,
		CustomFields:      []CustomField{{Name: "Numéro de bon de commande", Value: "12345"}},
		Memo:              "Merci pour votre confiance.",
		Footer:            "Dupont & Fils SAS au capital de 10 000 € – RCS Paris 732 829 320",
		OperationNature:   "SERVICES",
		PaymentTerms:      "Paiement à 30 jours",
		PaymentInstructions: "Virement bancaire\nIBAN FR76 3000 6000 0112 3456 7890 189 – BIC AGRIFRPP\n" +
			"Référence : MYBUSINE-0001",
		LatePaymentPenalty: "trois fois le taux d'intérêt légal",
		RecoveryIndemnity:  "40 €",
	}
}

// longInvoice has n lines.
func longInvoice(locale string, n int) Invoice {
	inv := sampleInvoice(locale)
	inv.Lines = make([]Line, n)
	var sum int64
	for i := range inv.Lines {
		amount := int64(1000 + i)
		inv.Lines[i] = Line{
			Description: fmt.Sprintf("Ligne %d – consultation", i+1),
			Quantity:    "1",
			UnitAmount:  fmt.Sprintf("%d.%02d", amount/100, amount%100),
			Amount:      amount,
			TaxRates:    []string{"20 %"},
		}
		sum += amount
	}
	tax := (sum*20 + 50) / 100
	inv.Taxes = []TaxLine{{Label: "TVA", Percentage: "20", Taxable: sum, Amount: tax}}
	inv.Subtotal, inv.TotalExcludingTax, inv.TotalTax = sum, sum, tax
	inv.Total, inv.AmountPaid, inv.AmountDue = sum+tax, 0, sum+tax
	return inv
}
