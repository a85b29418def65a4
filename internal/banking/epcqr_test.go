package banking

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/speedata/barcode/qr"
)

func TestEPCPayload(t *testing.T) {
	tests := []struct {
		name string
		in   CreditTransfer
		want string
	}{
		{
			// The layout of the EPC069-12 example (Red Cross of Belgium),
			// with an amount in cents and no purpose or information.
			name: "unstructured",
			in: CreditTransfer{Name: "Red Cross of Belgium", IBAN: "BE72000000001616", BIC: "BPOTBEB1",
				Amount: 100, Currency: "EUR", Text: "Urgency fund"},
			want: "BCD\n002\n1\nSCT\nBPOTBEB1\nRed Cross of Belgium\nBE72000000001616\nEUR1.00\n\n\nUrgency fund",
		},
		{
			name: "structured reference, no BIC, printed IBAN and reference",
			in: CreditTransfer{Name: "Atelier Remit SAS", IBAN: "FR76 3000 6000 0112 3456 7890 189",
				Amount: 123456, Currency: "eur", Reference: "RF18 5390 0754 7034", Text: "ignored"},
			want: "BCD\n002\n1\nSCT\n\nAtelier Remit SAS\nFR7630006000011234567890189\nEUR1234.56\n\nRF18539007547034",
		},
		{
			name: "no remittance, bounds of the amount",
			in:   CreditTransfer{Name: " Zoë\nMüller ", IBAN: "DE89370400440532013000", Amount: 1, Currency: "EUR"},
			want: "BCD\n002\n1\nSCT\n\nZoë Müller\nDE89370400440532013000\nEUR0.01",
		},
		{
			name: "largest amount, 70-character name",
			in:   CreditTransfer{Name: strings.Repeat("é", 70), IBAN: "DE89370400440532013000", Amount: 99999999999, Currency: "EUR"},
			want: "BCD\n002\n1\nSCT\n\n" + strings.Repeat("é", 70) + "\nDE89370400440532013000\nEUR999999999.99",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EPCPayload(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("EPCPayload = %q, %v\nwant %q", got, err, tt.want)
			}
			if len(got) > 331 {
				t.Fatalf("payload is %d bytes", len(got))
			}
		})
	}
}

func TestEPCPayloadRefuses(t *testing.T) {
	ok := CreditTransfer{Name: "Atelier Remit SAS", IBAN: "FR7630006000011234567890189", Amount: 100, Currency: "EUR"}
	tests := []struct {
		name string
		edit func(*CreditTransfer)
	}{
		{"USD", func(c *CreditTransfer) { c.Currency = "USD" }},
		{"zero", func(c *CreditTransfer) { c.Amount = 0 }},
		{"negative", func(c *CreditTransfer) { c.Amount = -100 }},
		{"too large", func(c *CreditTransfer) { c.Amount = 100000000000 }},
		{"bad IBAN", func(c *CreditTransfer) { c.IBAN = "FR7730006000011234567890189" }},
		{"bad BIC", func(c *CreditTransfer) { c.BIC = "AGRI" }},
		{"no name", func(c *CreditTransfer) { c.Name = " " }},
		{"long name", func(c *CreditTransfer) { c.Name = strings.Repeat("a", 71) }},
		{"bad reference", func(c *CreditTransfer) { c.Reference = "RF19539007547034" }},
		{"long text", func(c *CreditTransfer) { c.Text = strings.Repeat("a", 141) }},
		{"over 331 bytes", func(c *CreditTransfer) {
			c.Name = strings.Repeat("€", 70)
			c.Text = strings.Repeat("€", 70)
		}},
	}
	for _, tt := range tests {
		c := ok
		tt.edit(&c)
		if _, err := EPCPayload(c); !errors.Is(err, ErrEPC) {
			t.Errorf("%s: err = %v, want ErrEPC", tt.name, err)
		}
	}
	if _, err := EPCPayload(ok); err != nil {
		t.Fatalf("baseline: %v", err)
	}
}

// TestQRCodeSVG redraws the SVG's path on a grid and compares it with the
// symbol the encoder made: every dark module, and only those, is drawn,
// inside a four-module quiet zone.
func TestQRCodeSVG(t *testing.T) {
	payload, err := EPCPayload(CreditTransfer{Name: "Atelier Remit SAS", IBAN: "FR7630006000011234567890189",
		BIC: "AGRIFRPP", Amount: 123456, Currency: "EUR", Reference: Reference("INV-2026-000042")})
	if err != nil {
		t.Fatal(err)
	}
	svg, err := QRCodeSVG(payload, "30mm")
	if err != nil {
		t.Fatal(err)
	}
	code, err := qr.Encode(payload, qr.M, qr.Unicode)
	if err != nil {
		t.Fatal(err)
	}
	n := code.Bounds().Dx()
	// Version 6 to 8 at level M for a payload of this size: 41–49 modules.
	if n < 41 || n > 49 {
		t.Errorf("symbol is %d modules wide", n)
	}
	dim := n + 8
	prefix := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="30mm" height="30mm"><rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/><path fill="#000000" d="`, dim, dim, dim, dim)
	if !strings.HasPrefix(svg, prefix) || !strings.HasSuffix(svg, `"/></svg>`) {
		t.Fatalf("unexpected SVG frame: %.300s", svg)
	}
	d := strings.TrimSuffix(strings.TrimPrefix(svg, prefix), `"/></svg>`)
	grid := make([][]bool, dim)
	for i := range grid {
		grid[i] = make([]bool, dim)
	}
	for _, cmd := range strings.Split(strings.TrimSuffix(d, "z"), "z") {
		var x, y, run, back int
		if _, err := fmt.Sscanf(cmd, "M%d %dh%dv1h-%d", &x, &y, &run, &back); err != nil || run != back || run < 1 {
			t.Fatalf("path command %q: %v", cmd, err)
		}
		for i := range run {
			if grid[y][x+i] {
				t.Fatalf("module %d,%d drawn twice", x+i, y)
			}
			grid[y][x+i] = true
		}
	}
	for y := range dim {
		for x := range dim {
			want := false
			if x >= 4 && y >= 4 && x < n+4 && y < n+4 {
				r, _, _, _ := code.At(x-4, y-4).RGBA()
				want = r == 0
			}
			if grid[y][x] != want {
				t.Fatalf("module %d,%d: drawn %v, want %v", x, y, grid[y][x], want)
			}
		}
	}
	// The finder pattern's top-left corner is dark.
	if !grid[4][4] || grid[3][3] {
		t.Error("no finder pattern at the quiet zone's corner")
	}
}

func TestEPCQRCode(t *testing.T) {
	svg, err := EPCQRCode(CreditTransfer{Name: "A", IBAN: "DE89370400440532013000", Amount: 1, Currency: "EUR"}, `1" onload="x`)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(svg, `" onload`) {
		t.Errorf("size not escaped: %.200s", svg)
	}
	if _, err := EPCQRCode(CreditTransfer{Name: "A", IBAN: "DE89370400440532013000", Amount: 1, Currency: "USD"}, ""); !errors.Is(err, ErrEPC) {
		t.Errorf("USD: %v", err)
	}
}
