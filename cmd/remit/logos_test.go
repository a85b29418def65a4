package main

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/remitbilling/remit/internal/store/storetest"
)

// TestLogoFilesDoNotOutliveTheServer runs the real server, prints a
// branded PDF (the PDF engine reads the logo from a file) and stops the
// server: the logo files are kept in the data directory while it runs
// (in the temporary directory on PostgreSQL, which has none) and nothing
// is left behind in either once it has stopped.
func TestLogoFilesDoNotOutliveTheServer(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			cfg := storetest.Fresh(t, d)
			data, tmp := cfg.DataDir, t.TempDir()
			if data == "" {
				data = t.TempDir()
			}
			env := []string{"REMIT_DATA_DIR=" + data, "REMIT_DATABASE_URL=" + cfg.DatabaseURL, "TMPDIR=" + tmp}
			srv := startServer(t, env)
			key := srv.waitStdout(t, keyRE)
			if key == "" {
				t.Fatalf("first start printed no test key: %q", srv.stdout())
			}
			img := image.NewRGBA(image.Rect(0, 0, 120, 40))
			for i := range img.Pix {
				img.Pix[i] = 0xc0
			}
			img.Set(0, 0, color.RGBA{0xc0, 0, 0, 0xff})
			var logo bytes.Buffer
			if err := png.Encode(&logo, img); err != nil {
				t.Fatal(err)
			}
			_, res := srv.graphql(t, key, `mutation { accountImageSet(input: {kind: LOGO, contentType: "image/png", data: "`+base64.StdEncoding.EncodeToString(logo.Bytes())+`"}) { account { logo { width } } userErrors { code } } }`)
			if res["errors"] != nil || dig(res, "data", "accountImageSet", "account", "logo", "width") != float64(120) {
				t.Fatalf("accountImageSet: %v", res)
			}
			_, res = srv.graphql(t, key, `mutation { customerCreate(input:{customer:{name:"Jenny Rosen"}}) { customer { id } userErrors { code } } }`)
			cus, _ := dig(res, "data", "customerCreate", "customer", "id").(string)
			_, res = srv.graphql(t, key, `mutation { invoiceCreate(input: {customer: "`+cus+`", currency: "EUR", lines: [{description: "Support", unitAmount: "100"}]}) { invoice { pdfUrl } userErrors { code } } }`)
			pdfURL, _ := dig(res, "data", "invoiceCreate", "invoice", "pdfUrl").(string)
			if pdfURL == "" {
				t.Fatalf("invoiceCreate: %v", res)
			}
			req, _ := http.NewRequest(http.MethodGet, srv.url+pdfURL, nil)
			req.Header.Set("Authorization", "Bearer "+key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			pdf, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				t.Fatalf("pdf: %d %.100s", resp.StatusCode, pdf)
			}

			where := data
			if cfg.DatabaseURL != "" {
				where = tmp
			}
			if dirs, _ := filepath.Glob(filepath.Join(where, "remit-logos-*")); len(dirs) != 1 {
				t.Errorf("logo directories in %s while the server runs: %v", where, dirs)
			}
			if cfg.DatabaseURL == "" {
				if dirs, _ := filepath.Glob(filepath.Join(tmp, "remit-logos-*")); len(dirs) != 0 {
					t.Errorf("logo directories in TMPDIR although there is a data directory: %v", dirs)
				}
			}

			srv.stop()
			for _, dir := range []string{data, tmp} {
				if dirs, _ := filepath.Glob(filepath.Join(dir, "remit-logos-*")); len(dirs) != 0 {
					t.Errorf("left behind in %s after the server stopped: %v", dir, dirs)
				}
			}
			if _, err := os.Stat(filepath.Join(data, "remit.db")); cfg.DatabaseURL == "" && err != nil {
				t.Errorf("the data directory lost its database: %v", err)
			}
		})
	}
}

// dig walks nested JSON objects; nil when a key is missing.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
