package servertest_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/mail/mailtest"
	"github.com/remitbilling/remit/internal/testtool"
)

// facturXStub stands for the CII generator behind billing.FacturXFunc: it
// returns a valid Factur-X EN 16931 sample for every document and records
// what it was asked for.
type facturXStub struct {
	xml   []byte
	mu    sync.Mutex
	calls []string // "invoice NUMBER (n lines)" or "credit note NUMBER of NUMBER (n lines)"
}

func (s *facturXStub) fn(_ context.Context, db *ent.Client, d billing.IssuedDocument) ([]byte, error) {
	if db == nil || d.Invoice == nil || d.Invoice.Number == nil {
		return nil, nil // shows as a missing attachment
	}
	call := "invoice " + *d.Invoice.Number + " (" + strconv.Itoa(len(d.Invoice.Edges.Lines)) + " lines)"
	if cn := d.CreditNote; cn != nil {
		call = "credit note " + cn.Number + " of " + *d.Invoice.Number + " (" + strconv.Itoa(len(cn.Edges.Lines)) + " lines)"
	}
	s.mu.Lock()
	s.calls = append(s.calls, call)
	s.mu.Unlock()
	return s.xml, nil
}

func (s *facturXStub) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.calls
	s.calls = nil
	return out
}

// TestFacturXInIssuedPDFs: with a FacturX hook (the CII generator), every
// PDF of an issued invoice or credit note carries the XML as factur-x.xml,
// wherever it is served: the API download, the hosted page, the email
// attachment (rendered in the finalizing transaction) and the credit
// note's email and downloads. A draft's preview carries none and never
// asks for it.
func TestFacturXInIssuedPDFs(t *testing.T) {
	t.Parallel()
	xml, err := os.ReadFile("../../document/testdata/factur-x-en16931.xml")
	if err != nil {
		t.Fatal(err)
	}
	stub := &facturXStub{xml: xml}
	e := apitest.StartWith(t, "sqlite3", apitest.Options{FacturX: stub.fn})
	smtp := mailtest.Start(t, mailtest.Options{})
	tick := mailWorker(t, e, smtp)

	// attached is the XML pdf embeds, "" when none.
	attached := func(pdf []byte) string {
		t.Helper()
		list := pdfTool(t, pdf, "qpdf", "--list-attachments", "{}")
		if !strings.Contains(list, "factur-x.xml") {
			return ""
		}
		return pdfTool(t, pdf, "qpdf", "--show-attachment=factur-x.xml", "{}")
	}
	wantXML := func(what string, pdf []byte) {
		t.Helper()
		if got := attached(pdf); got != string(xml) {
			t.Errorf("%s: embedded XML %d bytes, want the generator's %d", what, len(got), len(xml))
		}
	}
	wantCalls := func(want ...string) {
		t.Helper()
		if got := stub.take(); strings.Join(got, "; ") != strings.Join(want, "; ") {
			t.Errorf("generator asked for %q, want %q", got, want)
		}
	}

	e.Mutate("accountUpdate", `mutation { accountUpdate(input: {operationCategory: SERVICES, name: "Acme", legalName: "Acme SAS", email: "billing@acme.fr", siren: "732829320", vatNumber: "FR44732829320",
  address: {line1: "1 rue de la Paix", postalCode: "75002", city: "Paris", country: "FR"}}) { account { id } userErrors { code } } }`, nil)
	rate := apitest.Str(t, e.Mutate("taxRateCreate", `mutation { taxRateCreate(input: {displayName: "TVA", percentage: "20", inclusive: false}) { taxRate { id } userErrors { code } } }`, nil), "taxRate", "id")
	cus := apitest.Str(t, e.Mutate("customerCreate", `mutation($in: CustomerInput!) { customerCreate(input: {customer: $in}) { customer { id } warnings { code } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"name": "Jenny Rosen", "email": "jenny@example.com", "preferredLocales": []any{"fr"}}}), "customer", "id")
	created := e.Mutate("invoiceCreate", cnInvoice, map[string]any{"c": cus, "cur": "EUR", "rate": rate})
	inv := apitest.Str(t, created, "invoice", "id")
	line := apitest.Get(t, created, "invoice", "lines").([]any)[0].(map[string]any)["id"].(string)

	_, _, draft := getPDF(t, e, "/invoices/"+inv+"/pdf", e.Key)
	if got := attached(draft); got != "" {
		t.Error("the draft's preview carries an e-invoice")
	}
	wantCalls()

	fin := e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id, send: true}) { invoice { number hostedInvoiceUrl } userErrors { code } } }`,
		map[string]any{"id": inv})
	number := apitest.Str(t, fin, "invoice", "number")
	wantCalls("invoice " + number + " (2 lines)") // the email's PDF, in the finalizing transaction
	if n := tick(); n != 1 {
		t.Fatalf("delivered %d emails, want 1", n)
	}
	msg, err := smtp.Messages()[0].Parse()
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Attachments) != 1 {
		t.Fatalf("invoice email attachments: %+v", msg.Attachments)
	}
	wantXML("emailed invoice", msg.Attachments[0].Data)

	status, _, pdf := getPDF(t, e, "/invoices/"+inv+"/pdf", e.Key)
	if status != http.StatusOK {
		t.Fatalf("API PDF: %d", status)
	}
	wantXML("API invoice PDF", pdf)
	wantCalls("invoice " + number + " (2 lines)") // the invoice changed since it was emailed
	validateFacturX(t, pdf)
	hosted := apitest.Str(t, fin, "invoice", "hostedInvoiceUrl")
	hosted = hosted[strings.Index(hosted, "/i/"):]
	status, _, pdf = getPDF(t, e, hosted+"/pdf", "")
	if status != http.StatusOK {
		t.Fatalf("hosted PDF: %d", status)
	}
	wantXML("hosted invoice PDF", pdf)
	wantCalls() // unchanged since: the stored PDF

	p := e.Mutate("creditNoteCreate", cnCreate, map[string]any{"in": map[string]any{
		"invoice": inv, "reason": "PRODUCT_UNSATISFACTORY", "email": true,
		"lines": []any{map[string]any{"invoiceLine": line, "quantity": "1"}},
	}})
	cnID, cn := apitest.Str(t, p, "creditNote", "id"), apitest.Str(t, p, "creditNote", "number")
	wantCalls("credit note " + cn + " of " + number + " (1 lines)")
	if n := tick(); n != 1 {
		t.Fatalf("delivered %d emails, want 1", n)
	}
	msg, err = smtp.Messages()[1].Parse()
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Attachments) != 1 {
		t.Fatalf("credit note email attachments: %+v", msg.Attachments)
	}
	wantXML("emailed credit note", msg.Attachments[0].Data)
	_, _, pdf = getPDF(t, e, apitest.Str(t, p, "creditNote", "pdfUrl"), e.Key)
	wantXML("API credit note PDF", pdf)
	_, _, pdf = getPDF(t, e, hosted+"/credit_notes/"+cnID+"/pdf", "")
	wantXML("hosted credit note PDF", pdf)
	// Rendered once for the first download (the email's was rendered in
	// the issuing transaction, which stores nothing), then served stored.
	wantCalls("credit note " + cn + " of " + number + " (1 lines)")
}

// validateFacturX runs the shared validator's validate-facturx.sh on pdf
// (the container, the XMP and the embedded XML's rules).
func validateFacturX(t *testing.T, pdf []byte) {
	t.Helper()
	dir := testtool.EInvoiceValidator(t, "../../..")
	f := filepath.Join(t.TempDir(), "invoice.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(dir, "validate-facturx.sh"), f).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "RESULT: PASS") {
		t.Errorf("validate-facturx.sh: %v\n%s", err, out)
	}
}
