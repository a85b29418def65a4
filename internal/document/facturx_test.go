package document

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/remitbilling/remit/internal/testtool"
)

// sampleCII is a Factur-X EN 16931 CII that passes the CEN and Factur-X
// rules (testdata/README.md says where it comes from).
func sampleCII(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/factur-x-en16931.xml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func facturXInvoice(t testing.TB) Invoice {
	inv := sampleInvoice("fr")
	inv.EInvoice = &Attachment{XML: sampleCII(t), Profile: "EN 16931", DocumentType: "INVOICE"}
	return inv
}

// TestFacturXValidates runs the Factur-X container and XML checks of the
// shared e-invoice validator (validate-facturx.sh: attachment, /AF,
// AFRelationship, MIME type, XMP fx: extension and pdfaid, Info and XMP
// agreement, PDF/A smoke checks, then the XSD, CEN and Factur-X rules on
// the embedded XML) on an issued invoice.
func TestFacturXValidates(t *testing.T) {
	dir := testtool.EInvoiceValidator(t, "../..")
	pdf := render(t, facturXInvoice(t))
	f := filepath.Join(t.TempDir(), "MYBUSINE-0001.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(dir, "validate-facturx.sh"), f).CombinedOutput()
	if err != nil {
		t.Fatalf("validate-facturx.sh: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "RESULT: PASS") {
		t.Fatalf("validate-facturx.sh does not pass:\n%s", out)
	}
	if bytes.Contains(out, []byte("WARN")) {
		t.Errorf("validate-facturx.sh warns:\n%s", out)
	}
	t.Logf("validate-facturx.sh:\n%s", out)
}

// TestFacturXContainer checks with qpdf and poppler what the PDF carries:
// the XML byte for byte under factur-x.xml, the fx: XMP, and the printed
// invoice unchanged.
func TestFacturXContainer(t *testing.T) {
	inv := facturXInvoice(t)
	pdf := render(t, inv)

	t.Run("bytes", func(t *testing.T) {
		for _, want := range []string{
			"/AFRelationship /Alternative", "/AF [", "/EmbeddedFiles", "/Subtype /text#2fxml", "(factur-x.xml)",
			"/ModDate (D:20261121000000+00'00')",
			`xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"`,
			`fx:ConformanceLevel="EN 16931"`, `fx:DocumentFileName="factur-x.xml"`, `fx:DocumentType="INVOICE"`, `fx:Version="1.0"`,
			"<pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>",
			"<pdfaid:part>3</pdfaid:part>", "<pdfaid:conformance>B</pdfaid:conformance>",
		} {
			if !bytes.Contains(pdf, []byte(want)) {
				t.Errorf("PDF lacks %s", want)
			}
		}
		if bytes.Contains(pdf, []byte("urn:ferd:")) || bytes.Contains(pdf, []byte("xmlns:zf")) {
			t.Error("PDF uses the ZUGFeRD 1.0 XMP namespace")
		}
	})
	t.Run("qpdf attachment", func(t *testing.T) {
		list := runTool(t, pdf, "qpdf", "--list-attachments", "{}")
		if !strings.HasPrefix(strings.TrimSpace(list), "factur-x.xml ->") || strings.Count(list, "->") != 1 {
			t.Errorf("qpdf --list-attachments:\n%s", list)
		}
		got := runTool(t, pdf, "qpdf", "--show-attachment=factur-x.xml", "{}")
		if got != string(inv.EInvoice.XML) {
			t.Errorf("the embedded XML differs from the input (%d bytes, want %d)", len(got), len(inv.EInvoice.XML))
		}
		if out := runTool(t, pdf, "qpdf", "--check", "{}"); !strings.Contains(out, "No syntax or stream encoding errors found") {
			t.Errorf("qpdf --check:\n%s", out)
		}
	})
	t.Run("pdfinfo -meta", func(t *testing.T) {
		meta := runTool(t, pdf, "pdfinfo", "-meta", "{}")
		for _, want := range []string{`fx:ConformanceLevel="EN 16931"`, "<xmp:CreateDate>2026-11-21T00:00:00Z</xmp:CreateDate>", "<xmp:ModifyDate>2026-11-21T00:00:00Z</xmp:ModifyDate>"} {
			if !strings.Contains(meta, want) {
				t.Errorf("XMP lacks %s:\n%s", want, meta)
			}
		}
	})
	t.Run("same text as the plain PDF", func(t *testing.T) {
		plain := sampleInvoice("fr")
		if got, want := text(t, pdf), text(t, render(t, plain)); got != want {
			t.Errorf("the Factur-X PDF prints\n%s\nthe plain one\n%s", got, want)
		}
	})
}

// TestFacturXCreditNote embeds the XML in a credit note's PDF the same way.
func TestFacturXCreditNote(t *testing.T) {
	cn := sampleCreditNote("fr")
	cn.EInvoice = &Attachment{XML: sampleCII(t)} // profile and type default
	pdf := render(t, cn)
	if got := runTool(t, pdf, "qpdf", "--show-attachment=factur-x.xml", "{}"); got != string(cn.EInvoice.XML) {
		t.Error("the credit note does not carry the XML")
	}
	for _, want := range []string{`fx:ConformanceLevel="EN 16931"`, `fx:DocumentType="INVOICE"`} {
		if !bytes.Contains(pdf, []byte(want)) {
			t.Errorf("PDF lacks %s", want)
		}
	}
}

// TestPlainAndDraftCarryNoXML: without EInvoice nothing is embedded, and a
// draft (a preview, no invoice) with one is refused.
func TestPlainAndDraftCarryNoXML(t *testing.T) {
	for _, inv := range []Invoice{sampleInvoice("fr"), func() Invoice {
		inv := sampleInvoice("en")
		inv.Status, inv.Number = "DRAFT", ""
		return inv
	}()} {
		pdf := render(t, inv)
		for _, unwanted := range []string{"/EmbeddedFiles", "/AF ", "/AFRelationship", "factur-x", "pdfaExtension"} {
			if bytes.Contains(pdf, []byte(unwanted)) {
				t.Errorf("%s PDF has %s", inv.Status, unwanted)
			}
		}
		if list := runTool(t, pdf, "qpdf", "--list-attachments", "{}"); strings.Contains(list, "->") {
			t.Errorf("%s PDF has attachments:\n%s", inv.Status, list)
		}
	}
	for _, edit := range []func(*Invoice){
		func(inv *Invoice) { inv.Status = "DRAFT" },
		func(inv *Invoice) { inv.Draft = true },
	} {
		inv := facturXInvoice(t)
		edit(&inv)
		if _, err := Render(context.Background(), inv); !errors.Is(err, ErrInvalidInvoice) {
			t.Errorf("draft with an e-invoice: err = %v, want ErrInvalidInvoice", err)
		}
	}
}

func TestFacturXDeterministic(t *testing.T) {
	inv := facturXInvoice(t)
	first := render(t, inv)
	render(t, sampleInvoice("en")) // the engine keeps state across documents
	if again := render(t, inv); !bytes.Equal(first, again) {
		t.Fatal("two renders of the same Factur-X invoice differ")
	}
	inv.EInvoice = &Attachment{XML: bytes.Replace(sampleCII(t), []byte("F20260023"), []byte("F20260024"), 1)}
	if other := render(t, inv); bytes.Equal(first, other) {
		t.Error("the XML has no effect on the output")
	}
}

func TestFacturXInvalid(t *testing.T) {
	cii := sampleCII(t)
	basic := bytes.Replace(cii, []byte("<ram:ID>urn:cen.eu:en16931:2017</ram:ID>"),
		[]byte("<ram:ID>urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic</ram:ID>"), 1)
	if bytes.Equal(basic, cii) {
		t.Fatal("the sample's BT-24 is not where the test expects it")
	}
	ubl, err := os.ReadFile("../../../shared/einvoice/akretion-factur-x-6.6/samples/ubl-21-en16931.xml")
	if err != nil {
		ubl = []byte(`<?xml version="1.0"?><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><cbc:CustomizationID xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">urn:cen.eu:en16931:2017</cbc:CustomizationID></Invoice>`)
	}
	tests := []struct {
		name string
		a    Attachment
		want string
	}{
		{"empty", Attachment{}, "empty XML"},
		{"not XML", Attachment{XML: []byte("%PDF-1.7")}, "e-invoice"},
		{"UBL", Attachment{XML: ubl}, "not a UN/CEFACT CrossIndustryInvoice"},
		{"no BT-24", Attachment{XML: []byte(`<rsm:CrossIndustryInvoice xmlns:rsm="` + ciiNamespace + `"/>`)}, "no GuidelineSpecifiedDocumentContextParameter"},
		{"MINIMUM", Attachment{XML: cii, Profile: "MINIMUM"}, "not supported"},
		{"BASIC WL", Attachment{XML: cii, Profile: "BASIC WL"}, "not supported"},
		{"profile and BT-24 differ", Attachment{XML: cii, Profile: "BASIC"}, "needs"},
		{"BT-24 and profile differ", Attachment{XML: basic, Profile: "EN 16931"}, "needs"},
		{"document type", Attachment{XML: cii, DocumentType: "ORDER"}, "INVOICE only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := sampleInvoice("fr")
			inv.EInvoice = &tt.a
			_, err := Render(context.Background(), inv)
			if !errors.Is(err, ErrInvalidInvoice) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrInvalidInvoice with %q", err, tt.want)
			}
		})
	}
	t.Run("accepted spellings", func(t *testing.T) {
		for _, a := range []Attachment{{XML: cii, Profile: "EN16931"}, {XML: cii, Profile: "en 16931", DocumentType: "invoice"}, {XML: basic, Profile: "basic"}} {
			if _, err := checkAttachment(&a, false); err != nil {
				t.Errorf("%q: %v", a.Profile, err)
			}
		}
	})
}
