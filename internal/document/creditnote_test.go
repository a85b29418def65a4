package document

import (
	"context"
	"errors"
	"testing"
	"time"
)

// sampleCreditNote credits part of sampleInvoice: one line, with its tax,
// settled partly against the invoice, partly to the customer's balance.
func sampleCreditNote(locale string) Invoice {
	inv := sampleInvoice(locale)
	inv.Number = "MYBUSINE-AV-0001"
	inv.IssueDate = time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	inv.DueDate = time.Time{}
	inv.Lines = inv.Lines[1:]
	inv.Taxes = []TaxLine{{Label: "TVA", Percentage: "20", Taxable: 1500, Amount: 300}}
	inv.Subtotal, inv.TotalExcludingTax, inv.TotalTax, inv.Total = 1500, 1500, 300, 1800
	inv.AmountPaid, inv.AmountDue = 0, 0
	inv.CustomFields, inv.PaymentTerms, inv.PaymentInstructions = nil, "", ""
	inv.LatePaymentPenalty, inv.RecoveryIndemnity = "", ""
	inv.Memo = "Appels facturés deux fois."
	inv.CreditNote = &CreditNote{
		InvoiceNumber: "MYBUSINE-0001",
		InvoiceDate:   issued,
		Reason:        ReasonDuplicate,
		PrePayment:    1000,
		Credited:      800,
	}
	return inv
}

func TestRenderCreditNote(t *testing.T) {
	for _, tc := range []struct {
		locale string
		want   []string
		lacks  []string
	}{
		{"fr", []string{
			"Avoir", "Numéro d'avoir MYBUSINE-AV-0001", "Date d'émission 02/12/2026",
			"Facture d'origine MYBUSINE-0001", "Date de la facture 21/11/2026",
			"Motif Facturation en double",
			"Avoir de 18,00 $US sur la facture MYBUSINE-0001",
			"Appels API supplémentaires", "Récapitulatif de la TVA", "20 %", "15,00 $US", "3,00 $US",
			"Total de l'avoir TTC 18,00 $US",
			"Déduit de la facture 10,00 $US",
			"Porté au crédit de votre compte 8,00 $US",
			"Appels facturés deux fois.",
		}, []string{"Montant dû", "Date d'échéance", "à régler", "Remboursé", "pénalités"}},
		{"en", []string{
			"Credit note", "Credit note number MYBUSINE-AV-0001", "Date of issue Dec 2, 2026",
			"Corrects invoice MYBUSINE-0001", "Invoice date Nov 21, 2026",
			"Reason Duplicate charge",
			"$18.00 credited on invoice MYBUSINE-0001",
			"Total credited $18.00",
			"Deducted from the invoice $10.00",
			"Credited to your account balance $8.00",
		}, []string{"Amount due", "Date due", "Refunded"}},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			pdf := render(t, sampleCreditNote(tc.locale))
			got := text(t, pdf)
			assertContains(t, got, tc.want...)
			assertLacks(t, got, tc.lacks...)
			title := "Avoir MYBUSINE-AV-0001"
			if tc.locale == "en" {
				title = "Credit note MYBUSINE-AV-0001"
			}
			if got := pdfinfo(t, pdf, "Title"); got != title+" – Dupont & Fils SAS" {
				t.Errorf("PDF title %q", got)
			}
		})
	}
}

func TestRenderCreditNoteSettlementsAndVoid(t *testing.T) {
	cn := sampleCreditNote("en")
	cn.Status = "VOID"
	cn.CreditNote.PrePayment, cn.CreditNote.Credited = 0, 0
	cn.CreditNote.Refunded, cn.CreditNote.OutOfBand = 1000, 800
	cn.CreditNote.Reason = ""
	got := text(t, render(t, cn))
	assertContains(t, got, "VOID", "Refunded to the payment method $10.00", "Refunded by other means $8.00")
	assertLacks(t, got, "Reason", "Deducted from", "Credited to your account balance")
}

func TestRenderCreditNoteInvalid(t *testing.T) {
	cn := sampleCreditNote("fr")
	cn.CreditNote.Reason = "BORED"
	if _, err := Render(context.Background(), cn); !errors.Is(err, ErrInvalidInvoice) {
		t.Errorf("unknown reason: %v, want ErrInvalidInvoice", err)
	}
	cn = sampleCreditNote("fr")
	cn.CreditNote.InvoiceNumber = ""
	if _, err := Render(context.Background(), cn); !errors.Is(err, ErrInvalidInvoice) {
		t.Errorf("no invoice number: %v, want ErrInvalidInvoice", err)
	}
}

func TestRenderInvoiceCreditNotesRow(t *testing.T) {
	inv := sampleInvoice("fr")
	inv.CreditNotes, inv.AmountDue = 100000, 500000
	assertContains(t, text(t, render(t, inv)), "Avoirs -1 000,00 $US", "Montant dû 5 000,00 $US")
	inv = sampleInvoice("en")
	assertLacks(t, text(t, render(t, inv)), "Credit notes")
}
