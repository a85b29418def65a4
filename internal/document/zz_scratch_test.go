package document

import (
	"context"
	"os"
	"testing"
)

// Scratch harness (temporary): REMIT_PROTO=dir renders samples with the
// current assets into dir.
func TestZZProto(t *testing.T) {
	dir := os.Getenv("REMIT_PROTO")
	if dir == "" {
		t.Skip()
	}
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	draft := sampleInvoice("fr")
	draft.Status, draft.BuyerTaxExempt = "DRAFT", "REVERSE"
	draft.Branding = Branding{BrandColor: "#f4c542", AccentColor: "#c62828", Logo: testPNG(t), LogoMIME: "image/png"}
	letter := sampleInvoice("en")
	letter.PageSize, letter.BuyerTaxExempt, letter.TaxExemptionReference = "LETTER", "EXEMPT", "art. 262 ter I du CGI"
	letter.Branding = Branding{Logo: []byte(testSVG), LogoMIME: "image/svg+xml", BrandColor: "#2e7d32"}
	for name, inv := range map[string]Invoice{"fr": sampleInvoice("fr"), "draft": draft, "letter": letter, "long": longInvoice("fr", 60)} {
		pdf, err := r.Render(context.Background(), inv)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(dir+"/"+name+".pdf", pdf, 0o644)
	}
}
