package servertest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"entgo.io/ent/privacy"

	"github.com/remitbilling/remit/ent/brandimage"
	"github.com/remitbilling/remit/ent/emailmessage"
	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/testtool"
)

// The logo of issue 10: design tools write style="…", and such a logo used
// to pass the upload checks and then fail every PDF and every send of its
// account.
const styledLogo = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="100" height="100"><rect width="100" height="100" style="fill:#c00"/></svg>`

// TestSVGLogoUpload: an SVG logo with style="…" and single-quoted
// attributes is accepted, stored and served cleaned (no script, no
// processing instruction), and prints in its colour on the invoice PDF.
func TestSVGLogoUpload(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		set := func(svg string) map[string]any {
			return map[string]any{"in": map[string]any{"kind": "LOGO", "contentType": "image/svg+xml", "data": base64.StdEncoding.EncodeToString([]byte(svg))}}
		}
		hostile := `<?xml-stylesheet href="https://evil.example/x.css"?><svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 100 100'><title><![CDATA[<script>alert(1)</script>]]></title><rect width='100' height='100' style='fill:#c00' onclick='alert(2)'/></svg>`
		got := e.Mutate("accountImageSet", imageSet, set(hostile))
		served := dataURL(t, apitest.Str(t, got, "account", "logo", "dataUrl"))
		for _, bad := range []string{"script", "xml-stylesheet", "onclick", "style=", "evil"} {
			if strings.Contains(served, bad) {
				t.Errorf("served logo still has %q: %s", bad, served)
			}
		}

		got = e.Mutate("accountImageSet", imageSet, set(styledLogo))
		if w := apitest.Get(t, got, "account", "logo", "width"); w != float64(100) {
			t.Errorf("width %v", w)
		}
		if served := dataURL(t, apitest.Str(t, got, "account", "logo", "dataUrl")); !strings.Contains(served, `fill="#c00"`) {
			t.Errorf("the style was not kept as an attribute: %s", served)
		}
		// Refused: nothing printable left, and the current logo stays.
		res := e.MutateErr("accountImageSet", imageSet, set(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><image href="https://evil.example/logo.png" width="100" height="100"/></svg>`))
		if codes := apitest.ErrorCodes(t, res); len(codes) != 1 || codes[0] != "INVALID_IMAGE" {
			t.Errorf("an SVG of an external image: %v, want INVALID_IMAGE", res)
		}
		if u := dataURL(t, apitest.Str(t, e.Query(`{ account { logo { dataUrl } } }`, nil), "account", "logo", "dataUrl")); !strings.Contains(u, `fill="#c00"`) {
			t.Errorf("a refused upload changed the logo: %s", u)
		}

		_, id := finalizedInvoice(t, e, false)
		status, _, pdf := getPDF(t, e, "/invoices/"+id+"/pdf", e.Key)
		if status != http.StatusOK {
			t.Fatalf("pdf: %d %s", status, pdf)
		}
		if n := redTopRight(t, pdf); n < 100 {
			t.Errorf("%d red pixels where the logo goes, want the logo", n)
		}
	})
}

// TestUnprintableStoredLogo plants logos the PDF engine cannot print
// directly in the database (as before the upload checks): every PDF
// (merchant, hosted page, portal) and every send still works, without the
// logo.
func TestUnprintableStoredLogo(t *testing.T) {
	t.Parallel()
	png := pngOf(t, 120, 40)
	for name, logo := range map[string]struct {
		ct   string
		data []byte
	}{
		"svg the engine refuses": {"image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect style="fill:#c00">`)},
		"corrupt png":            {"image/png", append(bytes.Clone(png[:60]), make([]byte, 300)...)},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := apitest.Start(t, "sqlite3")
			ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
			sum := sha256.Sum256(logo.data)
			if _, err := e.Store.Client.BrandImage.Create().SetAccountID(e.Account).SetKind(brandimage.KindLogo).
				SetContentType(logo.ct).SetData(logo.data).SetWidth(120).SetHeight(40).SetSha256(hex.EncodeToString(sum[:])).
				Save(ctx); err != nil {
				t.Fatal(err)
			}
			e.Mutate("portalSettingsUpdate", `mutation { portalSettingsUpdate(input: {enabled: true}) { portalSettings { enabled } userErrors { code } } }`, nil)

			// invoiceFinalize(send: true) and invoiceSend render the PDF to attach it.
			cus, id := finalizedInvoice(t, e, true)
			e.Mutate("invoiceSend", `mutation($id: ID!) { invoiceSend(input: {id: $id}) { email { status } userErrors { field code } } }`, map[string]any{"id": id})
			mails, err := e.Store.Client.EmailMessage.Query().Where(emailmessage.InvoiceID(id)).All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(mails) != 2 {
				t.Fatalf("%d emails queued, want 2 (finalize and send)", len(mails))
			}
			for _, m := range mails {
				if !bytes.Contains(m.Attachments, []byte(base64.StdEncoding.EncodeToString([]byte("%PDF-"))[:6])) {
					t.Errorf("email %s has no PDF attached", m.ID)
				}
			}

			status, _, pdf := getPDF(t, e, "/invoices/"+id+"/pdf", e.Key)
			if status != http.StatusOK || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				t.Fatalf("merchant pdf: %d %.200s", status, pdf)
			}
			if !strings.Contains(pdfText(t, pdf), "Acme SAS") {
				t.Error("the seller's name is not printed")
			}

			inv := e.Query(`query($id: ID!) { invoice(id: $id) { hostedInvoiceUrl } }`, map[string]any{"id": id})
			hosted := apitest.Str(t, inv, "invoice", "hostedInvoiceUrl")
			if status, _, pdf := getPDF(t, e, hosted+"/pdf", ""); status != http.StatusOK || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				t.Errorf("hosted page pdf: %d %.200s", status, pdf)
			}

			link := apitest.Str(t, e.Mutate("portalSessionCreate", `mutation($c: ID!) { portalSessionCreate(input: {customer: $c}) { url userErrors { code } } }`, map[string]any{"c": cus}), "url")
			path := link[strings.Index(link, "/portal/"):]
			slug := strings.Split(path, "/")[2]
			noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			res, err := noRedirect.Get(e.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			req, _ := http.NewRequest(http.MethodGet, e.URL+"/portal/"+slug+"/invoices/"+id+"/pdf", nil)
			for _, c := range res.Cookies() {
				req.AddCookie(c)
			}
			res, err = noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var body bytes.Buffer
			_, _ = body.ReadFrom(res.Body)
			if res.StatusCode != http.StatusOK || !bytes.HasPrefix(body.Bytes(), []byte("%PDF-")) {
				t.Errorf("portal pdf: %d %.200s", res.StatusCode, body.Bytes())
			}
		})
	}
}

// finalizedInvoice creates a customer with an email and finalizes an
// invoice for them, sending it when send is set.
func finalizedInvoice(t *testing.T, e *apitest.Env, send bool) (customer, invoice string) {
	t.Helper()
	e.Mutate("accountUpdate", `mutation { accountUpdate(input: {name: "Acme", legalName: "Acme SAS"}) { account { id } userErrors { code } } }`, nil)
	cus := apitest.Str(t, e.Mutate("customerCreate", `mutation { customerCreate(input: {customer: {name: "Jenny Rosen", email: "jenny@example.com"}}) { customer { id } warnings { code } userErrors { code } } }`, nil), "customer", "id")
	id := apitest.Str(t, e.Mutate("invoiceCreate", `mutation($c: ID!) { invoiceCreate(input: {customer: $c, currency: "EUR", daysUntilDue: 30, lines: [{description: "Support", unitAmount: "100"}]}) { invoice { id } userErrors { code } } }`, map[string]any{"c": cus}), "invoice", "id")
	e.Mutate("invoiceFinalize", `mutation($id: ID!, $send: Boolean) { invoiceFinalize(input: {id: $id, send: $send}) { invoice { number } userErrors { field code } } }`, map[string]any{"id": id, "send": send})
	return cus, id
}

// dataURL decodes a base64 data: URL.
func dataURL(t *testing.T, u string) string {
	t.Helper()
	_, b64, ok := strings.Cut(u, ";base64,")
	data, err := base64.StdEncoding.DecodeString(b64)
	if !ok || err != nil {
		t.Fatalf("data URL %.60s: %v", u, err)
	}
	return string(data)
}

// redTopRight renders page 1 at 50 dpi and counts the pixels of about
// #cc0000 in its top right quarter, where the logo goes.
func redTopRight(t *testing.T, pdf []byte) int {
	t.Helper()
	testtool.Need(t, "Debian package poppler-utils", "pdftoppm")
	dir := t.TempDir()
	f := filepath.Join(dir, "invoice.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", "-singlefile", f, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	b, n := img.Bounds(), 0
	for y := b.Min.Y; y < b.Min.Y+b.Dy()/4; y++ {
		for x := b.Min.X + b.Dx()/2; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 > 180 && r>>8 < 230 && g>>8 < 40 && bl>>8 < 40 {
				n++
			}
		}
	}
	return n
}
