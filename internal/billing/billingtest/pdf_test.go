package billingtest_test

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/testtool"
)

// getBody GETs path on the test server, with the API key when key is set,
// and fails unless it answers 200.
func getBody(t testing.TB, e *apitest.Env, path string, key bool) []byte {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key {
		req.Header.Set("Authorization", "Bearer "+e.Key)
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
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", path, res.StatusCode, body)
	}
	return body
}

// pdfText fetches an invoice's PDF through the API and reads it back with
// pdftotext -layout, white space runs (no-break spaces of French amounts
// included) turned into one space.
func pdfText(t testing.TB, e *apitest.Env, id string) string {
	t.Helper()
	return strings.Join(strings.Fields(pdfLayout(t, e, id)), " ")
}

// pdfLayout is the PDF's text as pdftotext -layout places it.
func pdfLayout(t testing.TB, e *apitest.Env, id string) string {
	t.Helper()
	testtool.Need(t, "Debian package poppler-utils", "pdftotext")
	pdf := getBody(t, e, "/invoices/"+id+"/pdf", true)
	path := filepath.Join(t.TempDir(), "invoice.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// hostedPage fetches an invoice's hosted page (no key: the link is the
// credential) as text, tags stripped and white space collapsed.
func hostedPage(t testing.TB, e *apitest.Env, url string) string {
	t.Helper()
	if i := strings.Index(url, "/i/"); i > 0 {
		url = url[i:]
	}
	html := string(getBody(t, e, url, false))
	var b strings.Builder
	in := false
	for _, r := range html {
		switch {
		case r == '<':
			in = true
			b.WriteRune(' ')
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(strings.NewReplacer("&#39;", "'", "&amp;", "&", "&#43;", "+").Replace(b.String())), " ")
}

func contains(t testing.TB, what, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

func lacks(t testing.TB, what, text string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(text, w) {
			t.Errorf("%s has %q:\n%s", what, w, text)
		}
	}
}
