package servertest_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/apitest"
)

func getPage(t *testing.T, e *apitest.Env, path string) (int, http.Header, string) {
	t.Helper()
	res, err := http.Get(e.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, string(body)
}

// TestHostedInvoicePage opens an issued invoice's hosted page without any
// login, downloads its PDF there, and checks unknown, expired, replaced and
// draft links all answer the same friendly 404.
func TestHostedInvoicePage(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	cus := apitest.Str(t, e.Mutate("customerCreate", `mutation { customerCreate(input: {customer: {name: "Jenny Rosen", email: "jenny@example.com", preferredLocales: ["fr"]}}) { customer { id } warnings { code } userErrors { code } } }`, nil), "customer", "id")
	fields := `id number hostedInvoiceUrl hostedInvoiceUrlExpiresAt dueDate`
	inv := e.Mutate("invoiceCreate", `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "USD", daysUntilDue: 30, lines: [{description: "Accès Premium 1 an", unitAmount: "5000"}]}) { invoice { `+fields+` } userErrors { code } } }`, map[string]any{"c": cus})
	id := apitest.Str(t, inv, "invoice", "id")
	if u := apitest.Get(t, inv, "invoice", "hostedInvoiceUrl"); u != nil {
		t.Fatalf("a draft has a hosted page: %v", u)
	}
	refused := e.MutateErr("invoiceHostedLinkRenew", `mutation($id: ID!) { invoiceHostedLinkRenew(input: {id: $id}) { invoice { id } userErrors { code field } } }`, map[string]any{"id": id})
	if codes := apitest.ErrorCodes(t, refused); len(codes) != 1 || codes[0] != "INVALID_TRANSITION" {
		t.Fatalf("renewing a draft's link: %v, want INVALID_TRANSITION", refused)
	}
	fin := e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { `+fields+` } userErrors { code } } }`, map[string]any{"id": id})
	url := apitest.Str(t, fin, "invoice", "hostedInvoiceUrl")
	number := apitest.Str(t, fin, "invoice", "number")
	due, _ := time.Parse(time.RFC3339, apitest.Str(t, fin, "invoice", "dueDate"))
	expires, _ := time.Parse(time.RFC3339, apitest.Str(t, fin, "invoice", "hostedInvoiceUrlExpiresAt"))
	if !strings.HasPrefix(url, "/i/") || len(url) < len("/i/")+26 {
		t.Fatalf("hosted url %q: want /i/ and a 26-character (128-bit) token", url)
	}
	if want := due.Add(30 * 24 * time.Hour); !expires.Equal(want) {
		t.Fatalf("link expires %v, want 30 days after the due date (%v)", expires, want)
	}

	status, header, page := getPage(t, e, url)
	// French groups digits with (narrow) no-break spaces.
	page = strings.NewReplacer("\u202f", " ", "\u00a0", " ").Replace(page)
	if status != http.StatusOK || !strings.HasPrefix(header.Get("Content-Type"), "text/html") {
		t.Fatalf("hosted page: status %d, type %q", status, header.Get("Content-Type"))
	}
	for _, want := range []string{number, "5 000,00 $US", "Jenny Rosen", "Télécharger le PDF", url + "/pdf", "À régler"} {
		if !strings.Contains(page, want) {
			t.Errorf("hosted page lacks %q", want)
		}
	}
	status, header, pdf := getPage(t, e, url+"/pdf")
	if status != http.StatusOK || header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf, "%PDF-") {
		t.Fatalf("hosted pdf: status %d, type %q", status, header.Get("Content-Type"))
	}

	// Unknown and malformed tokens: the friendly 404, nothing else.
	_, _, notFound := getPage(t, e, "/i/aaaaaaaaaaaaaaaaaaaaaaaaaa")
	for _, path := range []string{"/i/aaaaaaaaaaaaaaaaaaaaaaaaaa", "/i/short", "/i/aaaaaaaaaaaaaaaaaaaaaaaaaa/pdf"} {
		status, _, body := getPage(t, e, path)
		if status != http.StatusNotFound || body != notFound || !strings.Contains(body, "not available") {
			t.Errorf("%s: status %d, want the friendly 404", path, status)
		}
	}

	// Voided: the page says so.
	e.Mutate("invoiceVoid", `mutation($id: ID!) { invoiceVoid(input: {id: $id}) { invoice { id } userErrors { code } } }`, map[string]any{"id": id})
	if _, _, page := getPage(t, e, url); !strings.Contains(page, "annulée") {
		t.Errorf("voided invoice's page does not say it was voided")
	}

	// A fresh link replaces the old one.
	renewed := e.Mutate("invoiceHostedLinkRenew", `mutation($id: ID!) { invoiceHostedLinkRenew(input: {id: $id}) { invoice { hostedInvoiceUrl } userErrors { code } } }`, map[string]any{"id": id})
	fresh := apitest.Str(t, renewed, "invoice", "hostedInvoiceUrl")
	if fresh == url {
		t.Fatal("renewal kept the same link")
	}
	if status, _, body := getPage(t, e, url); status != http.StatusNotFound || body != notFound {
		t.Errorf("replaced link: status %d, want the same 404 as an unknown one", status)
	}
	if status, _, _ := getPage(t, e, fresh); status != http.StatusOK {
		t.Errorf("fresh link: status %d", status)
	}

	// Expired: past its date the link answers exactly like an unknown one.
	e.Clock.Advance(121 * 24 * time.Hour)
	if status, _, body := getPage(t, e, fresh); status != http.StatusNotFound || !bytes.Equal([]byte(body), []byte(notFound)) {
		t.Errorf("expired link: status %d, want the same 404 as an unknown one", status)
	}
}
