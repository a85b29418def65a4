package apitest

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Browser is a browser-like client of the server's HTML pages (the hosted
// invoice page, the portal): it keeps the cookies it is sent itself (Go's
// jar keeps __Host- cookies, which are Secure, off plain http), never
// follows redirects, and posts forms as a same-site page does.
type Browser struct {
	t       testing.TB
	base    string
	cookies map[string]string
	// Header is sent with every request (Accept-Language, say).
	Header map[string]string
}

// NewBrowser is a browser with no cookies; paths it is given are relative
// to base (an absolute URL is taken as is).
func NewBrowser(t testing.TB, base string) *Browser {
	return &Browser{t: t, base: base, cookies: map[string]string{}, Header: map[string]string{}}
}

// Browser is a browser of e's server.
func (e *Env) Browser() *Browser { return NewBrowser(e.T, e.URL) }

// Form is a form's fields.
type Form map[string]string

// Page is an answer to a browser.
type Page struct {
	Status   int
	Location string
	Header   http.Header
	Body     string
}

// Get opens path.
func (b *Browser) Get(path string) Page {
	b.t.Helper()
	return b.Do(http.MethodGet, path, nil, nil)
}

// Post submits form to path from a page of the same site.
func (b *Browser) Post(path string, form Form) Page {
	b.t.Helper()
	return b.PostFrom("same-origin", path, form)
}

// PostFrom submits form to path from a page whose relation to this site
// is site (Sec-Fetch-Site: same-origin, cross-site, …).
func (b *Browser) PostFrom(site, path string, form Form) Page {
	b.t.Helper()
	return b.Do(http.MethodPost, path, form, map[string]string{"Sec-Fetch-Site": site})
}

// Do sends one request, with form as its body when it is not nil.
func (b *Browser) Do(method, path string, form Form, headers map[string]string) Page {
	b.t.Helper()
	u := path
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		u = b.base + path
	}
	var body io.Reader
	if form != nil {
		v := url.Values{}
		for k, val := range form {
			v.Set(k, val)
		}
		body = strings.NewReader(v.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for name, value := range b.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	for k, v := range b.Header {
		req.Header.Set(k, v)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, u, err)
	}
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
			continue
		}
		b.cookies[c.Name] = c.Value
	}
	return Page{res.StatusCode, res.Header.Get("Location"), res.Header, string(raw)}
}

// Cookie is the value of the cookie name the browser holds ("" if none).
func (b *Browser) Cookie(name string) string { return b.cookies[name] }

// SetCookie gives the browser a cookie; an empty value removes it.
func (b *Browser) SetCookie(name, value string) {
	if value == "" {
		delete(b.cookies, name)
		return
	}
	b.cookies[name] = value
}

var inputRE = regexp.MustCompile(`<input[^>]*\bname="([^"]+)"[^>]*\bvalue="([^"]*)"`)

// Input is the value of the first input named name on the page ("" when
// there is none): a form's hidden key, a payment's id.
func (p Page) Input(name string) string {
	for _, m := range inputRE.FindAllStringSubmatch(p.Body, -1) {
		if m[1] == name {
			return m[2]
		}
	}
	return ""
}
