package servertest_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/testtool"
	"github.com/remitbilling/remit/internal/viewer"
)

// pdfText reads a PDF back as text with pdftotext.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	testtool.Need(t, "Debian package poppler-utils", "pdftotext")
	path := filepath.Join(t.TempDir(), "invoice.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

func getPDF(t *testing.T, e *apitest.Env, path, key string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, body
}

// TestInvoicePDF fetches an invoice's PDF at its stable URL with the API
// key: a draft previews without a number, the issued invoice prints its
// number, parties and amounts, and nobody else can fetch it.
func TestInvoicePDF(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	e.Mutate("accountUpdate", `mutation { accountUpdate(input: {operationCategory: SERVICES, legalName: "Acme SAS", siren: "732829320", vatNumber: "FR44732829320", address: {line1: "1 rue de la Paix", postalCode: "75002", city: "Paris", country: "FR"}}) { account { id } userErrors { code } } }`, nil)
	cus := apitest.Str(t, e.Mutate("customerCreate", `mutation { customerCreate(input: {customer: {name: "Jenny Rosen", email: "jenny@example.com", preferredLocales: ["fr"]}}) { customer { id } warnings { code } userErrors { code } } }`, nil), "customer", "id")
	inv := e.Mutate("invoiceCreate", `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "USD", daysUntilDue: 30, customFields: [{name: "Numéro de bon de commande", value: "12345"}], lines: [{description: "Accès Premium 1 an", unitAmount: "5000", quantity: "1"}]}) { invoice { id pdfUrl } userErrors { code message } } }`,
		map[string]any{"c": cus})
	id := apitest.Str(t, inv, "invoice", "id")
	url := apitest.Str(t, inv, "invoice", "pdfUrl")
	if url != "/invoices/"+id+"/pdf" {
		t.Fatalf("pdfUrl = %q", url)
	}

	status, header, draft := getPDF(t, e, url, e.Key)
	if status != http.StatusOK || header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(draft, []byte("%PDF-")) {
		t.Fatalf("draft pdf: status %d, type %q, %d bytes", status, header.Get("Content-Type"), len(draft))
	}
	text := pdfText(t, draft)
	if !strings.Contains(text, "BROUILLON") {
		t.Errorf("draft preview not marked BROUILLON:\n%s", text)
	}

	fin := e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { number } userErrors { code } } }`, map[string]any{"id": id})
	number := apitest.Str(t, fin, "invoice", "number")
	status, header, issued := getPDF(t, e, url, e.Key)
	if status != http.StatusOK || !strings.Contains(header.Get("Content-Disposition"), number+".pdf") {
		t.Fatalf("issued pdf: status %d, disposition %q", status, header.Get("Content-Disposition"))
	}
	text = pdfText(t, issued)
	for _, want := range []string{number, "Jenny Rosen", "Acme SAS", "732829320", "FR44732829320", "Accès Premium 1 an", "5 000,00 $US", "Numéro de bon de commande", "12345", "40 €"} {
		if !strings.Contains(text, want) {
			t.Errorf("issued PDF lacks %q", want)
		}
	}
	if strings.Contains(text, "BROUILLON") {
		t.Error("issued invoice still marked BROUILLON")
	}

	// Nobody else: no key, another account, the other mode, an unknown id.
	_, otherKey := e.NewAccount("Other", viewer.Test)
	liveKey := e.NewKey(e.Account, viewer.Live)
	for name, c := range map[string]struct {
		path, key string
		status    int
	}{
		"no key":        {url, "", http.StatusUnauthorized},
		"other account": {url, otherKey, http.StatusNotFound},
		"live key":      {url, liveKey, http.StatusNotFound},
		"unknown id":    {"/invoices/in_01aaaaaaaaaaaaaaaaaaaaaaaa/pdf", e.Key, http.StatusNotFound},
	} {
		status, _, body := getPDF(t, e, c.path, c.key)
		if status != c.status || bytes.HasPrefix(body, []byte("%PDF")) {
			t.Errorf("%s: status %d, want %d (body %.60q)", name, status, c.status, body)
		}
	}
}

// pdfTool runs a poppler or qpdf tool on pdf ("{}" in args is the file).
// A failing tool fails the test: qpdf --check exits non-zero on a broken
// file.
func pdfTool(t *testing.T, pdf []byte, tool string, args ...string) string {
	t.Helper()
	testtool.Need(t, "Debian packages poppler-utils and qpdf", tool)
	path := filepath.Join(t.TempDir(), "invoice.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	for i, a := range args {
		if a == "{}" {
			args[i] = path
		}
	}
	out, err := exec.Command(tool, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", tool, args, err, out)
	}
	return string(out)
}
