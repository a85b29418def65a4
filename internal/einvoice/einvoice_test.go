package einvoice

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// sample is a French invoice to a French business: two VAT rates, a line
// discount, an invoice discount spread over both rates, credit from the
// customer's balance and a SEPA credit transfer.
func sample() Document {
	return Document{
		Type: Invoice, Number: "F2026-0042", IssueDate: date("2026-09-01"), DueDate: date("2026-10-01"), Currency: "EUR",
		Seller: Party{
			Name: "Atelier Remit SAS", TradingName: "Remit", SIREN: "123456782", VATID: "FR11123456782", Email: "billing@remit.example",
			Address: Address{Lines: []string{"1 rue de la Paix"}, City: "Paris", PostCode: "75002", Country: "FR"},
		},
		Buyer: Party{
			Name: "Client & Fils SARL", SIREN: "987654321", VATID: "FR44987654321", Email: "compta@client.example",
			Address: Address{Lines: []string{"2 avenue Foch", "Bât. B"}, City: "Lyon", PostCode: "69006", Country: "FR"},
		},
		PaymentTerms:   "Paiement à 30 jours",
		Payment:        []PaymentMeans{{Code: MeansSEPACreditTransfer, IBAN: "FR7630006000011234567890189", BIC: "AGRIFRPP", AccountName: "Remit"}},
		RemittanceInfo: "RF18F20260042",
		Notes: []Note{
			{SubjectPenalty, "Tout retard de paiement engendre une pénalité calculée sur la base de trois fois le taux d'intérêt légal."},
			{SubjectRecovery, "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €."},
			{SubjectDiscount, "Les règlements reçus avant la date d'échéance ne donneront pas lieu à escompte."},
		},
		Lines: []Line{
			{ID: "1", Name: "Conseil", Quantity: "3", NetPrice: "100.00", NetAmount: 27000, Category: "S", Rate: "20",
				Allowances: []Allowance{{Amount: 3000, Reason: "Remise"}}},
			{ID: "2", Name: "Livre", Quantity: "2", NetPrice: "12.50", NetAmount: 2500, Category: "S", Rate: "5.5"},
		},
		Allowances: []Allowance{
			{Amount: 2700, Reason: "Remise 10 %", Category: "S", Rate: "20"},
			{Amount: 250, Reason: "Remise 10 %", Category: "S", Rate: "5.5"},
		},
		VAT: []VATBreakdown{
			{Category: "S", Rate: "20", Taxable: 24300, Tax: 4860},
			{Category: "S", Rate: "5.5", Taxable: 2250, Tax: 124}, // 123.75 → 124
		},
		Totals: Totals{LineNet: 29500, Allowances: 2950, TaxExclusive: 26550, Tax: 4984, TaxInclusive: 31534, Prepaid: 1534, Due: 30000},
	}
}

func TestCheckTotals(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Document)
		rule   string // "" = valid
	}{
		{"sample", func(*Document) {}, ""},
		{"BR-CO-10 line total", func(d *Document) { d.Totals.LineNet++ }, "BR-CO-10"},
		{"BR-CO-11 allowances", func(d *Document) { d.Totals.Allowances-- }, "BR-CO-11"},
		{"BR-CO-12 charges", func(d *Document) { d.Totals.Charges = 1 }, "BR-CO-12"},
		{"BR-CO-13 tax exclusive", func(d *Document) { d.Totals.TaxExclusive++ }, "BR-CO-13"},
		{"BR-CO-14 tax", func(d *Document) { d.Totals.Tax++ }, "BR-CO-14"},
		{"BR-CO-15 tax inclusive", func(d *Document) { d.Totals.TaxInclusive-- }, "BR-CO-15"},
		{"BR-CO-16 due", func(d *Document) { d.Totals.Due++ }, "BR-CO-16"},
		{"BR-CO-16 rounding", func(d *Document) { d.Totals.Rounding = 1; d.Totals.Due++ }, ""},
		{"BR-CO-17 one cent off is refused", func(d *Document) {
			d.VAT[1].Tax, d.Totals.Tax, d.Totals.TaxInclusive, d.Totals.Due = 123, 4983, 31533, 29999
		}, "BR-CO-17"},
		{"BR-CO-17 inclusive prices may be one off", func(d *Document) {
			d.VAT[1].Tax, d.VAT[1].InclusivePrices = 123, true
			d.Totals.Tax, d.Totals.TaxInclusive, d.Totals.Due = 4983, 31533, 29999
		}, ""},
		{"BR-S-08 taxable", func(d *Document) { d.VAT[0].Taxable++ }, "BR-S-08"},
		{"BR-S-08 missing group", func(d *Document) { d.Lines[1].Rate = "10" }, "BR-S-08"},
		{"BR-CO-18", func(d *Document) { d.VAT = nil; d.Totals.Tax, d.Totals.TaxInclusive, d.Totals.Due = 0, 26550, 25016 }, "BR-CO-18"},
		{"BR-S-05", func(d *Document) { d.Lines[1].Rate, d.Allowances[1].Rate, d.VAT[1].Rate = "0", "0", "0" }, "BR-S-05"},
		{"BR-E-10", func(d *Document) {
			d.Lines[1].Category, d.Allowances[1].Category, d.Lines[1].Rate, d.Allowances[1].Rate = "E", "E", "0", "0"
			d.VAT[1] = VATBreakdown{Category: "E", Rate: "0", Taxable: 2250}
			d.Totals.Tax, d.Totals.TaxInclusive, d.Totals.Due = 4860, 31410, 29876
		}, "BR-E-10"},
		{"BR-02 number", func(d *Document) { d.Number = "" }, "BR-02"},
		{"BR-CO-09 VAT prefix", func(d *Document) { d.Buyer.VATID = "44987654321" }, "BR-CO-09"},
		{"BR-61 IBAN", func(d *Document) { d.Payment[0].IBAN = "" }, "BR-61"},
		{"BR-IC-11 K without date", func(d *Document) {
			for i := range d.Lines {
				d.Lines[i].Category, d.Lines[i].Rate = "K", "0"
			}
			d.Allowances = []Allowance{{Amount: 2950, Reason: "Remise", Category: "K", Rate: "0"}}
			d.VAT = []VATBreakdown{{Category: "K", Rate: "0", Taxable: 26550, ExemptionCode: "VATEX-EU-IC"}}
			d.Totals.Tax, d.Totals.TaxInclusive, d.Totals.Due = 0, 26550, 25016
		}, "BR-IC-11"},
		{"BR-DEC KWD fils", func(d *Document) {
			d.Currency = "KWD" // every amount ×10: 3 digits, still whole hundredths
			d.Lines[0].NetAmount = 270001
		}, "BR-DEC-23"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := sample()
			tt.change(&d)
			err := d.Check()
			if tt.rule == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			ps, ok := IsProblems(err)
			if !ok {
				t.Fatalf("Check = %v, want a %s problem", err, tt.rule)
			}
			for _, p := range ps {
				if p.Rule == tt.rule {
					return
				}
			}
			t.Fatalf("Check = %v, want a %s problem", err, tt.rule)
		})
	}
}

func TestAmountDigits(t *testing.T) {
	for _, tt := range []struct {
		minor    int64
		currency string
		want     string
	}{
		{12345, "EUR", "123.45"}, {-5, "EUR", "-0.05"}, {1234, "JPY", "1234"}, {1230, "KWD", "1.23"}, {1000, "KWD", "1.00"},
		{1234, "KWD", "1.234"},
	} {
		if got := amount(tt.minor, tt.currency); got != tt.want {
			t.Errorf("amount(%d, %s) = %q, want %q", tt.minor, tt.currency, got, tt.want)
		}
	}
}

// TestBusinessTerms reads a few business terms back from both syntaxes.
func TestBusinessTerms(t *testing.T) {
	d := sample()
	cii, err := CII(d)
	if err != nil {
		t.Fatal(err)
	}
	ubl, err := UBL(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID>`,
		`<ram:ID>F2026-0042</ram:ID><ram:TypeCode>380</ram:TypeCode>`,
		`<udt:DateTimeString format="102">20260901</udt:DateTimeString>`,
		`<ram:ID schemeID="0002">123456782</ram:ID>`,
		`<ram:URIID schemeID="EM">billing@remit.example</ram:URIID>`,
		`<ram:ID schemeID="VA">FR44987654321</ram:ID>`,
		`<ram:SubjectCode>PMT</ram:SubjectCode>`,
		`<ram:PaymentReference>RF18F20260042</ram:PaymentReference>`,
		`<ram:IBANID>FR7630006000011234567890189</ram:IBANID>`,
		`<ram:CalculatedAmount>1.24</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>22.50</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>5.5</ram:RateApplicablePercent>`,
		`<ram:TotalPrepaidAmount>15.34</ram:TotalPrepaidAmount><ram:DuePayableAmount>300.00</ram:DuePayableAmount>`,
		`Client &amp; Fils SARL`,
	} {
		if !strings.Contains(string(cii), want) {
			t.Errorf("CII lacks %s", want)
		}
	}
	for _, want := range []string{
		`<cbc:CustomizationID>` + PEPPOLCustomization + `</cbc:CustomizationID><cbc:ProfileID>` + PEPPOLProfile + `</cbc:ProfileID>`,
		`<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>`,
		`<cbc:DueDate>2026-10-01</cbc:DueDate>`,
		`<cbc:Note>#AAB#Les règlements`,
		`<cbc:CompanyID schemeID="0002">987654321</cbc:CompanyID>`,
		`<cbc:EndpointID schemeID="EM">compta@client.example</cbc:EndpointID>`,
		`<cbc:PaymentMeansCode>58</cbc:PaymentMeansCode><cbc:PaymentID>RF18F20260042</cbc:PaymentID>`,
		`<cbc:PrepaidAmount currencyID="EUR">15.34</cbc:PrepaidAmount><cbc:PayableAmount currencyID="EUR">300.00</cbc:PayableAmount>`,
		`<cbc:AllowanceChargeReason>Remise</cbc:AllowanceChargeReason><cbc:Amount currencyID="EUR">30.00</cbc:Amount>`,
	} {
		if !strings.Contains(string(ubl), want) {
			t.Errorf("UBL lacks %s", want)
		}
	}

	cn := sample()
	cn.Type, cn.Number = CreditNote, "AV-0001"
	cn.Preceding = []Reference{{Number: "F2026-0042", Date: date("2026-09-01")}}
	out, err := UBL(cn)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"`,
		`<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>`, `<cac:CreditNoteLine>`, `<cbc:CreditedQuantity unitCode="C62">3</cbc:CreditedQuantity>`,
		`<cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>F2026-0042</cbc:ID><cbc:IssueDate>2026-09-01</cbc:IssueDate>`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("UBL credit note lacks %s", want)
		}
	}

	bad := sample()
	bad.Totals.Due++
	if _, err := CII(bad); err == nil {
		t.Error("CII of an inconsistent document succeeded")
	}
	var ps Problems
	if _, err := UBL(bad); !errors.As(err, &ps) {
		t.Errorf("UBL of an inconsistent document: %v", err)
	}

	// EINVOICE_SAMPLES=dir writes the samples out, to run them through
	// the validator by hand.
	if dir := os.Getenv("EINVOICE_SAMPLES"); dir != "" {
		c2, _ := CII(cn)
		for name, b := range map[string][]byte{"inv-cii.xml": cii, "inv-ubl.xml": ubl, "cn-ubl.xml": out, "cn-cii.xml": c2} {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestVATOnDebits: the seller's option to pay VAT on debits is the VAT
// point date code (BT-8) in both syntaxes, and absent without it.
func TestVATOnDebits(t *testing.T) {
	for _, on := range []bool{false, true} {
		d := sample()
		d.VATOnDebits = on
		cii, err := CII(d)
		if err != nil {
			t.Fatal(err)
		}
		ubl, err := UBL(d)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(cii), "<ram:DueDateTypeCode>5</ram:DueDateTypeCode>"); got != on {
			t.Errorf("VAT on debits %v: CII has BT-8 code 5: %v", on, got)
		}
		if got := strings.Contains(string(ubl), "<cbc:DescriptionCode>3</cbc:DescriptionCode>"); got != on {
			t.Errorf("VAT on debits %v: UBL has BT-8 code 3: %v", on, got)
		}
	}
}
