package document

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"time"

	pdfdoc "github.com/boxesandglue/boxesandglue/backend/document"
)

// Attachment is the structured e-invoice an issued invoice or credit note
// carries inside its PDF, which makes the PDF a Factur-X (ZUGFeRD 2.x)
// e-invoice: the CII XML is embedded as factur-x.xml and the XMP declares
// it (Factur-X 1.07 §5 / ZUGFeRD 2.1.1 technical appendix part A).
type Attachment struct {
	// XML is the UN/CEFACT Cross Industry Invoice (D16B) of the document,
	// whose guideline (BT-24) is that of Profile. It is embedded byte for
	// byte.
	XML []byte
	// Profile is the Factur-X conformance level the XML follows, as the
	// XMP writes it: "EN 16931" (the default when empty; "EN16931" is
	// accepted), "BASIC" or "EXTENDED". MINIMUM and BASIC WL are refused:
	// they are not invoices under EN 16931 and would need the
	// AFRelationship Data, while the PDF engine writes Alternative.
	Profile string
	// DocumentType is fx:DocumentType: "INVOICE" (the default when empty),
	// which Factur-X uses for credit notes too (type 381 is in the XML).
	DocumentType string
}

// Factur-X container constants (Factur-X 1.07 §5.2–5.3).
const (
	facturXFileName  = "factur-x.xml"
	facturXNamespace = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
	facturXVersion   = "1.0" // fx:Version: the XMP schema's, not the Factur-X release
	ciiNamespace     = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
	ramNamespace     = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
)

// facturXProfiles maps the accepted conformance levels to the guideline
// (BT-24) their XML must declare.
var facturXProfiles = map[string]string{
	"BASIC":    "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic",
	"EN 16931": "urn:cen.eu:en16931:2017",
	"EXTENDED": "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended",
}

// facturX is a checked Attachment ready for the engine.
type facturX struct {
	xml     []byte
	profile string
	docType string
}

// checkAttachment validates a against the document it is attached to: a
// draft carries none (it is no invoice yet), and the XML must be a CII
// whose BT-24 names the declared profile, so that a wiring mistake (a UBL,
// the wrong profile) fails here rather than in the customer's software.
func checkAttachment(a *Attachment, draft bool) (*facturX, error) {
	if a == nil {
		return nil, nil
	}
	if draft {
		return nil, invalidf("a draft carries no e-invoice")
	}
	if len(a.XML) == 0 {
		return nil, invalidf("e-invoice: empty XML")
	}
	profile := strings.TrimSpace(a.Profile)
	switch strings.ToUpper(profile) {
	case "", "EN16931", "EN 16931":
		profile = "EN 16931"
	default:
		profile = strings.ToUpper(profile)
	}
	want, ok := facturXProfiles[profile]
	if !ok {
		return nil, invalidf("e-invoice: Factur-X profile %q is not supported (EN 16931, BASIC or EXTENDED)", a.Profile)
	}
	docType := strings.ToUpper(strings.TrimSpace(a.DocumentType))
	if docType == "" {
		docType = "INVOICE"
	}
	if docType != "INVOICE" {
		return nil, invalidf("e-invoice: document type %q (Factur-X knows INVOICE only)", a.DocumentType)
	}
	got, err := ciiGuideline(a.XML)
	if err != nil {
		return nil, invalidf("e-invoice: %v", err)
	}
	if got != want {
		return nil, invalidf("e-invoice: the XML's guideline (BT-24) is %q, profile %s needs %q", got, profile, want)
	}
	return &facturX{xml: a.XML, profile: profile, docType: docType}, nil
}

// ciiGuideline reads the root element and BT-24
// (ExchangedDocumentContext/GuidelineSpecifiedDocumentContextParameter/ID)
// of a CII, which come first: only the document's head is decoded.
func ciiGuideline(doc []byte) (string, error) {
	dec := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(doc, []byte("\xef\xbb\xbf"))))
	var path []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return "", errors.New("the XML has no GuidelineSpecifiedDocumentContextParameter/ID (BT-24)")
		}
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(path) == 0 && (t.Name.Space != ciiNamespace || t.Name.Local != "CrossIndustryInvoice") {
				return "", errors.New("the XML is not a UN/CEFACT CrossIndustryInvoice (Factur-X embeds CII, not UBL)")
			}
			path = append(path, t.Name.Local)
			if len(path) == 4 && t.Name.Space == ramNamespace && t.Name.Local == "ID" &&
				path[1] == "ExchangedDocumentContext" && path[2] == "GuidelineSpecifiedDocumentContextParameter" {
				var id string
				if err := dec.DecodeElement(&id, &t); err != nil {
					return "", err
				}
				return strings.TrimSpace(id), nil
			}
			if len(path) == 2 && t.Name.Local != "ExchangedDocumentContext" {
				return "", errors.New("the XML has no ExchangedDocumentContext before its other elements")
			}
		case xml.EndElement:
			path = path[:len(path)-1]
		}
	}
}

// attach adds the XML and the XMP declaring it to the document the engine
// is about to write. The embedded file's ModDate is the PDF's creation
// date, so the output stays a function of the Invoice. The engine writes
// /AFRelationship /Alternative (right for BASIC, EN 16931 and EXTENDED),
// the catalog /AF and /Names /EmbeddedFiles entries.
func (f *facturX) attach(d *pdfdoc.PDFDocument, created time.Time) {
	d.AttachFile(pdfdoc.Attachment{
		Name:        facturXFileName,
		Description: "Factur-X " + f.profile + " e-invoice (UN/CEFACT CII)",
		MimeType:    "text/xml",
		ModDate:     created,
		Data:        f.xml,
	})
	d.AddXMPExtension(pdfdoc.XMPExtension{
		Schema:       "Factur-X PDFA Extension Schema",
		NamespaceURI: facturXNamespace,
		Prefix:       "fx",
		// The declarations of the Factur-X specification's extension
		// schema, which PDF/A requires for the fx: properties.
		Properties: []pdfdoc.XMPExtensionProperty{
			{Name: "DocumentFileName", ValueType: "Text", Category: "external", Description: "name of the embedded XML invoice file"},
			{Name: "DocumentType", ValueType: "Text", Category: "external", Description: "INVOICE"},
			{Name: "Version", ValueType: "Text", Category: "external", Description: "The actual version of the Factur-X XML schema"},
			{Name: "ConformanceLevel", ValueType: "Text", Category: "external", Description: "The conformance level of the embedded Factur-X data"},
		},
		Values: map[string]string{
			"DocumentFileName": facturXFileName,
			"DocumentType":     f.docType,
			"Version":          facturXVersion,
			"ConformanceLevel": f.profile,
		},
	})
}
