// Package graphiql serves GraphiQL at / from files built into the binary:
// a self-hosted server without outbound access, or behind a proxy that
// blocks CDNs, still has a working console. See assets/LICENSES.md for the
// pinned versions and how to upgrade them.
package graphiql

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"net/http"
	"strconv"
	"strings"
)

//go:embed assets/*.js assets/*.css page.js page.html
var files embed.FS

// Prefix is where the assets are served.
const Prefix = "/graphiql/"

// The assets' names carry their version (page.js its content's hash), so
// they may be cached for a year: a new binary links new names.
var (
	assets = map[string]asset{} // by the name served
	page   []byte
)

// asset is a file as served: whole, and gzipped once at start (GraphiQL's
// script is 1 MB, 340 KB gzipped).
type asset struct {
	body, gz    []byte
	contentType string
}

func load(file string) asset {
	b, err := files.ReadFile(file)
	if err != nil {
		panic(err)
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	_, _ = zw.Write(b)
	_ = zw.Close()
	ct := "text/javascript; charset=utf-8"
	if strings.HasSuffix(file, ".css") {
		ct = "text/css; charset=utf-8"
	}
	return asset{body: b, gz: gz.Bytes(), contentType: ct}
}

func init() {
	for _, name := range []string{"graphiql-4.1.2.min.js", "graphiql-4.1.2.min.css", "react-18.2.0.min.js", "react-dom-18.2.0.min.js"} {
		assets[name] = load("assets/" + name)
	}
	js, err := files.ReadFile("page.js")
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(js)
	pageJS := "remit-" + hex.EncodeToString(sum[:6]) + ".js"
	assets[pageJS] = load("page.js")
	var b bytes.Buffer
	err = template.Must(template.ParseFS(files, "page.html")).Execute(&b, map[string]string{
		"CSS": Prefix + "graphiql-4.1.2.min.css", "React": Prefix + "react-18.2.0.min.js",
		"ReactDOM": Prefix + "react-dom-18.2.0.min.js", "GraphiQL": Prefix + "graphiql-4.1.2.min.js",
		"Page": Prefix + pageJS,
	})
	if err != nil {
		panic(err)
	}
	page = b.Bytes()
}

// csp lets the page load only this server's scripts and talk only to it;
// GraphiQL sets inline styles and uses data: URLs for its icons.
const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// Page serves the GraphiQL page.
func Page(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	_, _ = w.Write(page)
}

// Asset serves an asset by name (the path after Prefix).
func Asset(w http.ResponseWriter, r *http.Request) {
	a, ok := assets[strings.TrimPrefix(r.URL.Path, Prefix)]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Vary", "Accept-Encoding")
	body := a.body
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}
