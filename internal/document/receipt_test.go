package document

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// sampleReceipt is the receipt of a first card payment of 2 000 on
// sampleInvoice's seller and buyer, leaving 4 018 to pay.
func sampleReceipt(locale string) Receipt {
	inv := sampleInvoice(locale)
	return Receipt{
		Number:        "py_01kf3qv0m0a0b0c0d0e0f0g0h0",
		InvoiceNumber: "MYBUSINE-0001",
		PaidAt:        time.Date(2026, 12, 3, 14, 30, 0, 0, time.UTC),
		Currency:      "usd",
		Locale:        locale,
		Seller:        inv.Seller,
		Buyer:         inv.Buyer,
		Amount:        200000,
		Method:        PaymentMethod{Type: "CARD", Brand: "visa", Last4: "4242"},
		AmountDue:     601800,
		PaidToDate:    200000,
		Remaining:     401800,
	}
}

func renderReceipt(t *testing.T, rc Receipt) []byte {
	t.Helper()
	pdf, err := RenderReceipt(context.Background(), rc)
	if err != nil {
		t.Fatalf("RenderReceipt: %v", err)
	}
	return pdf
}

func TestRenderReceipt(t *testing.T) {
	for _, tc := range []struct {
		locale string
		want   []string
		lacks  []string
		title  string
	}{
		{"fr", []string{
			"Reçu", "Numéro de reçu py_01kf3qv0m0a0b0c0d0e0f0g0h0", "Date du paiement 03/12/2026",
			"Numéro de facture MYBUSINE-0001", "Moyen de paiement Visa •••• 4242",
			"Dupont & Fils SAS", "12 rue de la Paix", "Jenny Rosen", "SIREN : 732829320",
			"2 000,00 $US réglé le 03/12/2026 par Visa •••• 4242",
			"Montant réglé 2 000,00 $US", "Montant dû sur la facture 6 018,00 $US",
			"Total réglé à ce jour 2 000,00 $US", "Reste à payer 4 018,00 $US",
			"Ce reçu atteste un paiement de la facture MYBUSINE-0001 ; il ne constitue pas une facture.",
		}, []string{"intégralement réglée", "Désignation", "Récapitulatif de la TVA", "pénalités"}, "Reçu py_01kf3qv0m0a0b0c0d0e0f0g0h0 – Dupont & Fils SAS"},
		{"en-US", []string{
			"Receipt", "Receipt number py_01kf3qv0m0a0b0c0d0e0f0g0h0", "Date paid Dec 3, 2026",
			"Invoice number MYBUSINE-0001", "Payment method Visa •••• 4242",
			"$2,000.00 paid on Dec 3, 2026 by Visa •••• 4242",
			"Amount paid $2,000.00", "Amount due on the invoice $6,018.00",
			"Paid to date $2,000.00", "Amount remaining $4,018.00",
			"This receipt acknowledges a payment of invoice MYBUSINE-0001; it is not an invoice.",
		}, []string{"paid in full", "Description"}, "Receipt py_01kf3qv0m0a0b0c0d0e0f0g0h0 – Dupont & Fils SAS"},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			pdf := renderReceipt(t, sampleReceipt(tc.locale))
			if ps := pages(t, pdf); len(ps) != 1 {
				t.Errorf("%d pages, want 1", len(ps))
			}
			got := text(t, pdf)
			assertContains(t, got, tc.want...)
			assertLacks(t, got, tc.lacks...)
			if got := pdfinfo(t, pdf, "Title"); got != tc.title {
				t.Errorf("PDF title %q", got)
			}
		})
	}
}

// TestRenderReceiptPaidInFull: the payment that settles the invoice says
// so; nothing remains.
func TestRenderReceiptPaidInFull(t *testing.T) {
	rc := sampleReceipt("fr")
	rc.Amount, rc.PaidToDate, rc.Remaining = 401800, 601800, 0
	got := text(t, renderReceipt(t, rc))
	assertContains(t, got, "Total réglé à ce jour 6 018,00 $US", "Reste à payer 0,00 $US", "La facture MYBUSINE-0001 est intégralement réglée.")
}

func TestReceiptMethods(t *testing.T) {
	for _, tc := range []struct {
		m      PaymentMethod
		en, fr string
	}{
		{PaymentMethod{Type: "CARD", Brand: "mastercard", Last4: "4444"}, "Mastercard •••• 4444", "Mastercard •••• 4444"},
		{PaymentMethod{Type: "CARD"}, "card", "carte bancaire"},
		{PaymentMethod{Type: "SEPA_DEBIT", Last4: "3000"}, "SEPA Direct Debit •••• 3000", "prélèvement SEPA •••• 3000"},
		{PaymentMethod{Type: "ACH_DEBIT", Last4: "6789"}, "ACH Direct Debit •••• 6789", "prélèvement ACH •••• 6789"},
		{PaymentMethod{Type: "OUT_OF_BAND", OutOfBand: "check", Reference: "CHQ-42"}, "check (ref. CHQ-42), recorded by the seller", "chèque (réf. CHQ-42), paiement enregistré par le vendeur"},
		{PaymentMethod{Type: "OUT_OF_BAND"}, "other means, recorded by the seller", "un autre moyen, paiement enregistré par le vendeur"},
	} {
		if got := tc.m.Describe("en"); got != tc.en {
			t.Errorf("%+v in English: %q, want %q", tc.m, got, tc.en)
		}
		if got := tc.m.Describe("fr-FR"); got != tc.fr {
			t.Errorf("%+v in French: %q, want %q", tc.m, got, tc.fr)
		}
	}
	// In the header the method starts with a capital.
	rc := sampleReceipt("fr")
	rc.Method = PaymentMethod{Type: "SEPA_DEBIT", Last4: "3000"}
	rc.Currency = "eur"
	assertContains(t, text(t, renderReceipt(t, rc)), "Moyen de paiement Prélèvement SEPA •••• 3000", "2 000,00 € réglé le 03/12/2026 par prélèvement SEPA •••• 3000")
}

func TestRenderReceiptInvalid(t *testing.T) {
	for name, edit := range map[string]func(*Receipt){
		"no number":         func(r *Receipt) { r.Number = " " },
		"no invoice number": func(r *Receipt) { r.InvoiceNumber = "" },
		"no date":           func(r *Receipt) { r.PaidAt = time.Time{} },
		"currency":          func(r *Receipt) { r.Currency = "xyz1" },
		"page size":         func(r *Receipt) { r.PageSize = "A3" },
		"colour":            func(r *Receipt) { r.Branding.BrandColor = "red" },
	} {
		rc := sampleReceipt("en")
		edit(&rc)
		if _, err := RenderReceipt(context.Background(), rc); !errors.Is(err, ErrInvalidInvoice) {
			t.Errorf("%s: %v, want ErrInvalidInvoice", name, err)
		}
	}
}

// TestRenderReceiptDeterministic: the same receipt gives the same bytes,
// with the logo and LETTER paper of the account's branding.
func TestRenderReceiptDeterministic(t *testing.T) {
	rc := sampleReceipt("en")
	rc.PageSize, rc.Branding = "LETTER", Branding{BrandColor: "#7a1f5c", Logo: testPNG(t), LogoMIME: "image/png"}
	a, b := renderReceipt(t, rc), renderReceipt(t, rc)
	if string(a) != string(b) {
		t.Error("two renders of one receipt differ")
	}
	if got := pdfinfo(t, a, "Page size"); got != "612 x 792 pts (letter)" {
		t.Errorf("page size %q", got)
	}
	list := runTool(t, a, "pdfimages", "-list", "{}")
	if n := len(strings.Split(strings.TrimSpace(list), "\n")) - 2; n != 1 {
		t.Errorf("%d images, want the logo:\n%s", n, list)
	}
	runTool(t, a, "qpdf", "--check", "{}")
}
