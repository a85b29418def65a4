package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/viewer"
)

var payKeyRE = regexp.MustCompile(`name="key" value="([^"]+)"`)

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func mustNotContain(t *testing.T, what, body string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf("%s shows %q", what, w)
		}
	}
}

// TestPagesSignedIn walks every page of a signed-in customer over plain
// HTTP: content, security headers, languages.
func TestPagesSignedIn(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := login(t, f, f.base, "jenny@example.com")

	r := c.get(f.base + "/invoices")
	if r.Status != http.StatusOK {
		t.Fatalf("invoices: %d %s", r.Status, r.Body)
	}
	r0 := r
	for h, want := range map[string]string{
		"Content-Security-Policy": "default-src 'none'", "X-Frame-Options": "DENY",
		"Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
	} {
		if got := r.Header.Get(h); !strings.Contains(got, want) {
			t.Errorf("header %s = %q, want %q", h, got, want)
		}
	}
	mustContain(t, "invoice list", r.Body, `lang="en"`, f.numbers[f.open1], f.numbers[f.open2], f.numbers[f.paid], f.numbers[f.plan],
		">Open<", ">Paid<", ">Partially paid<", "€1,200.00", "data:image/svg", "Payment methods", "Payment history", "Billing details")
	mustNotContain(t, "invoice list", r.Body, f.draft, "Draft consulting", f.othersInvoice, f.numbers[f.othersInvoice])

	r = c.get(f.base + "/invoices/" + f.plan)
	mustContain(t, "plan invoice", r.Body, "Payment schedule", "Deposit", "Balance", "Pay €2,000.00", "Download PDF")
	r = c.get(f.base + "/invoices/" + f.open1)
	mustContain(t, "open invoice", r.Body, "Website redesign", "Pay €1,200.00", "Visa ending in 4242")
	if r := c.get(f.base + "/invoices/" + f.open1 + "/pdf"); r.Status != http.StatusOK || !strings.HasPrefix(r.Body, "%PDF") {
		t.Errorf("pdf: %d %.20q", r.Status, r.Body)
	}
	// The list links to the statement of account, a PDF of this customer's.
	link := regexp.MustCompile(`<p class="help" id="statements">[^<]*<a href="([^"]+)">`).FindStringSubmatch(r0.Body)
	if link == nil {
		t.Fatalf("invoice list has no statement link:\n%s", r0.Body)
	}
	if r := c.get(f.e.URL + html.UnescapeString(link[1])); r.Status != http.StatusOK || !strings.HasPrefix(r.Body, "%PDF") {
		t.Errorf("statement pdf: %d %.40q", r.Status, r.Body)
	}
	r = c.get(f.base + "/brand.css")
	mustContain(t, "brand.css", r.Body, "--brand:#5b21b6")

	r = c.get(f.base + "/payment-methods")
	mustContain(t, "payment methods", r.Body, "Visa ending in 4242", "Default", "Add a card")
	r = c.get(f.base + "/billing")
	mustContain(t, "billing", r.Body, `value="jenny@example.com" readonly`, `value="Jenny Rosen"`)

	// The customer's preferred locale (English) comes before the
	// browser's language.
	french := map[string]string{"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
	r = c.do(http.MethodGet, f.base+"/invoices", nil, french)
	mustContain(t, "English customer, French browser", r.Body, `lang="en"`, "€1,200.00")
	// Without one, the browser's language.
	f.e.Mutate("customerUpdate", `mutation($id: ID!) { customerUpdate(input: {id: $id, customer: {preferredLocales: []}}) { customer { id } userErrors { field code } } }`, map[string]any{"id": f.jenny})
	r = c.do(http.MethodGet, f.base+"/invoices", nil, french)
	mustContain(t, "French list", r.Body, `lang="fr"`, "Factures", "Partiellement réglée", "1\u202f200,00\u00a0€")
	// A French customer reads French in an English browser, as their PDFs
	// and emails are.
	f.e.Mutate("customerUpdate", `mutation($id: ID!) { customerUpdate(input: {id: $id, customer: {preferredLocales: ["fr-FR"]}}) { customer { id } userErrors { field code } } }`, map[string]any{"id": f.jenny})
	r = c.do(http.MethodGet, f.base+"/invoices/"+f.plan, nil, map[string]string{"Accept-Language": "en-US,en;q=0.9"})
	mustContain(t, "French customer, English browser", r.Body, `lang="fr"`, "Échéancier", "À régler maintenant : 2\u202f000,00\u00a0€")
	// A German customer (de-DE) reads German, with German dates and
	// amounts, in a French browser.
	f.e.Mutate("customerUpdate", `mutation($id: ID!) { customerUpdate(input: {id: $id, customer: {preferredLocales: ["de-DE"]}}) { customer { id } userErrors { field code } } }`, map[string]any{"id": f.jenny})
	r = c.do(http.MethodGet, f.base+"/invoices/"+f.plan, nil, french)
	mustContain(t, "German customer, French browser", r.Body, `lang="de"`, "Zahlungsplan", "Jetzt fällig: 2.000,00\u00a0€", "PDF herunterladen")
	mustNotContain(t, "German customer", r.Body, "Échéancier", "Payment schedule")
	if !regexp.MustCompile(`\d{2}\.\d{2}\.\d{4}`).MatchString(r.Body) {
		t.Errorf("German invoice page has no German date:\n%s", r.Body)
	}
	r = c.do(http.MethodGet, f.base+"/invoices", nil, french)
	mustContain(t, "German list", r.Body, `lang="de"`, "Rechnungen", "Teilweise bezahlt", "1.200,00\u00a0€")
}

// TestCrossSitePostRefused: a form another site submits is refused, for
// the login as for a signed-in change.
func TestCrossSitePostRefused(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := login(t, f, f.base, "jenny@example.com")
	for _, path := range []string{"/login", "/billing", "/logout", "/invoices/" + f.open1 + "/pay", "/payment-methods"} {
		r := c.do(http.MethodPost, f.base+path, url.Values{"email": {"jenny@example.com"}, "name": {"Mallory"}},
			map[string]string{"Sec-Fetch-Site": "cross-site"})
		if r.Status != http.StatusForbidden {
			t.Errorf("cross-site POST %s: %d, want 403", path, r.Status)
		}
	}
	r := c.do(http.MethodPost, f.base+"/billing", url.Values{"name": {"Mallory"}}, map[string]string{"Origin": "https://evil.example"})
	if r.Status != http.StatusForbidden {
		t.Errorf("POST with a foreign Origin: %d, want 403", r.Status)
	}
	name := apitest.Str(t, f.e.Query(`query($id: ID!) { customer(id: $id) { name } }`, map[string]any{"id": f.jenny}), "customer", "name")
	if name != "Jenny Rosen" {
		t.Errorf("name changed to %q by a cross-site post", name)
	}
	if r := c.get(f.base + "/invoices"); r.Status != http.StatusOK {
		t.Errorf("still signed in after refused logout: %d", r.Status)
	}
}

// TestLoginAnswerSameForUnknownEmail: the page after the email form says
// nothing about who is a customer.
func TestLoginAnswerSameForUnknownEmail(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := &client{t: t}
	known := c.post(f.base+"/login", url.Values{"email": {"jenny@example.com"}})
	unknown := c.post(f.base+"/login", url.Values{"email": {"nobody@example.com"}})
	if known.Status != http.StatusOK || unknown.Status != known.Status {
		t.Fatalf("statuses: known %d, unknown %d", known.Status, unknown.Status)
	}
	mask := func(body, email string) string {
		return strings.NewReplacer(email, "EMAIL", url.QueryEscape(email), "EMAIL").Replace(body)
	}
	if a, b := mask(known.Body, "jenny@example.com"), mask(unknown.Body, "nobody@example.com"); a != b {
		t.Errorf("the pages differ:\n%s\n---\n%s", a, b)
	}
	mustContain(t, "code page", known.Body, "6-digit code", `role="status"`)
	if c.cookie != "" {
		t.Errorf("a cookie before verification")
	}
	// A malformed email is the one thing said.
	if r := c.post(f.base+"/login", url.Values{"email": {"not an email"}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "valid email") {
		t.Errorf("malformed email: %d", r.Status)
	}
	// ?prefilled_email fills the form.
	mustContain(t, "login page", c.get(f.base+"?prefilled_email=jenny%40example.com").Body, `value="jenny@example.com"`)
}

// TestWrongCodes: a wrong code says so; the fifth wrong try burns the code,
// so that even the right one fails on the sixth.
func TestWrongCodes(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := &client{t: t}
	c.post(f.base+"/login", url.Values{"email": {"jenny@example.com"}})
	code := loginCode(t, f.e, "jenny@example.com")
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for i := range 5 {
		r := c.post(f.base+"/verify", url.Values{"email": {"jenny@example.com"}, "code": {wrong}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "not valid") {
			t.Fatalf("wrong try %d: %d", i+1, r.Status)
		}
	}
	r := c.post(f.base+"/verify", url.Values{"email": {"jenny@example.com"}, "code": {code}})
	if r.Status != http.StatusUnprocessableEntity || c.cookie != "" {
		t.Errorf("right code after 5 wrong tries: %d, cookie %t", r.Status, c.cookie != "")
	}
}

// TestNotYours: another customer's invoice and a draft are not found,
// exactly like an id that does not exist.
func TestNotYours(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := login(t, f, f.base, "jenny@example.com")
	for _, id := range []string{f.othersInvoice, f.draft, "in_doesnotexist"} {
		for _, path := range []string{"/invoices/" + id, "/invoices/" + id + "/pdf"} {
			r := c.get(f.base + path)
			if r.Status != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", path, r.Status)
			}
			mustNotContain(t, path, r.Body, "Oscar", "secret", "Draft consulting")
		}
		r := c.post(f.base+"/invoices/"+id+"/pay", url.Values{"key": {"k-" + id}, "method": {"new"}, "number": {"4242424242424242"}, "expiry": {"12/34"}, "cvc": {"123"}})
		if r.Status != http.StatusNotFound {
			t.Errorf("pay %s: %d, want 404", id, r.Status)
		}
	}
	st := apitest.Str(t, f.e.Query(`query($id: ID!) { invoice(id: $id) { status } }`, map[string]any{"id": f.othersInvoice}), "invoice", "status")
	if st != "OPEN" {
		t.Errorf("other customer's invoice is %s", st)
	}
	// Removing or defaulting another customer's method fails too.
	pm := apitest.Str(t, f.e.Mutate("paymentMethodAttach", `mutation($c: ID!) { paymentMethodAttach(input: {customer: $c, card: {number: "4242424242424242", expMonth: 12, expYear: 2034, cvc: "123"}}) { paymentMethod { id } userErrors { code } } }`, map[string]any{"c": f.other}), "paymentMethod", "id")
	for _, action := range []string{"remove", "default"} {
		r := c.post(f.base+"/payment-methods/"+pm+"/"+action, nil)
		if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "error=NOT_FOUND") {
			t.Errorf("%s another's method: %d %s", action, r.Status, r.Location)
		}
	}
}

// TestSignedOutAndUnknown: inner pages send the signed-out to the login
// page; unknown and disabled portals are plain not-found pages.
func TestSignedOutAndUnknown(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := &client{t: t}
	for _, path := range []string{"/invoices", "/invoices/" + f.open1, "/invoices/" + f.open1 + "/pdf", "/payment-methods", "/billing", "/payments"} {
		r := c.get(f.base + path)
		if r.Status != http.StatusSeeOther || r.Location != "/portal/"+f.slug+"/login" {
			t.Errorf("signed-out GET %s: %d → %q", path, r.Status, r.Location)
		}
	}
	if r := c.post(f.base+"/billing", url.Values{"name": {"X"}}); r.Status != http.StatusSeeOther {
		t.Errorf("signed-out POST billing: %d", r.Status)
	}
	unknown := c.get(f.e.URL + "/portal/bp_doesnotexist")
	if unknown.Status != http.StatusNotFound {
		t.Errorf("unknown portal: %d", unknown.Status)
	}
	f.e.Mutate("portalSettingsUpdate", `mutation { portalSettingsUpdate(input: {enabled: false}) { portalSettings { url } userErrors { code } } }`, nil)
	disabled := c.get(f.base)
	if disabled.Status != http.StatusNotFound || disabled.Body != unknown.Body {
		t.Errorf("disabled portal: %d, same page as unknown: %t", disabled.Status, disabled.Body == unknown.Body)
	}
}

// TestFeatureFlagsOff: features the merchant turned off are neither shown
// nor allowed.
func TestFeatureFlagsOff(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.e.Mutate("portalSettingsUpdate", `mutation { portalSettingsUpdate(input: {updateBillingDetails: false, managePaymentMethods: false, payInvoices: false, showHistory: false}) { portalSettings { url } userErrors { code } } }`, nil)
	c := login(t, f, f.base, "jenny@example.com")
	list := c.get(f.base + "/invoices")
	mustNotContain(t, "list", list.Body, "/payment-methods", "/billing", "/payments\"")
	inv := c.get(f.base + "/invoices/" + f.open1)
	mustNotContain(t, "invoice", inv.Body, "Pay this invoice", "/pay\"")
	for _, path := range []string{"/payment-methods", "/billing", "/payments"} {
		if r := c.get(f.base + path); r.Status != http.StatusForbidden {
			t.Errorf("GET %s: %d, want 403", path, r.Status)
		}
	}
	posts := map[string]url.Values{
		"/invoices/" + f.open1 + "/pay": {"key": {"k1"}, "method": {"new"}, "number": {"4242424242424242"}, "expiry": {"12/34"}, "cvc": {"123"}},
		"/billing":                      {"name": {"Changed"}},
		"/payment-methods":              {"number": {"5555555555554444"}, "expiry": {"12/34"}, "cvc": {"123"}},
	}
	for path, form := range posts {
		if r := c.post(f.base+path, form); r.Status != http.StatusForbidden {
			t.Errorf("POST %s: %d, want 403", path, r.Status)
		}
	}
	d := f.e.Query(`query($id: ID!, $c: ID!) { invoice(id: $id) { status } customer(id: $c) { name } }`, map[string]any{"id": f.open1, "c": f.jenny})
	if apitest.Str(t, d, "invoice", "status") != "OPEN" || apitest.Str(t, d, "customer", "name") != "Jenny Rosen" {
		t.Errorf("a refused feature changed something: %v", d)
	}
	// History on: the page lists the deposit.
	f.e.Mutate("portalSettingsUpdate", `mutation { portalSettingsUpdate(input: {showHistory: true}) { portalSettings { url } userErrors { code } } }`, nil)
	mustContain(t, "history", c.get(f.base+"/payments").Body, "€1,000.00", "Visa •••• 4242", "Succeeded")
}

// TestOtherPortalsSession: a session opened on another account's portal
// does not sign anyone in here.
func TestOtherPortalsSession(t *testing.T) {
	t.Parallel()
	f := setup(t)
	_, key := f.e.NewAccount("Globex", viewer.Test)
	q := func(query string) map[string]any {
		res := f.e.Do(apitest.Request{Query: query, Key: key})
		if len(res.Errors) > 0 {
			t.Fatalf("%s", res.RawBody)
		}
		return res.Data
	}
	q(`mutation { customerCreate(input: {customer: {name: "Jenny at Globex", email: "jenny@example.com"}}) { customer { id } } }`)
	u := apitest.Str(t, q(`mutation { portalSettingsUpdate(input: {enabled: true}) { portalSettings { url } } }`), "portalSettingsUpdate", "portalSettings", "url")
	other := f.e.URL + "/portal/" + u[strings.LastIndex(u, "/")+1:]
	c := login(t, f, other, "jenny@example.com")
	if r := c.get(other + "/invoices"); r.Status != http.StatusOK {
		t.Fatalf("own portal: %d", r.Status)
	}
	if r := c.get(f.base + "/invoices"); r.Status != http.StatusSeeOther {
		t.Errorf("another portal's session let in: %d", r.Status)
	}
}

// TestReauthenticate: payment method changes need a login under ten
// minutes old.
func TestReauthenticate(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := login(t, f, f.base, "jenny@example.com")
	f.e.Clock.Advance(11 * time.Minute)
	r := c.post(f.base+"/payment-methods", url.Values{"number": {"5555555555554444"}, "expiry": {"12/34"}, "cvc": {"123"}})
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "/login?m=reauth") {
		t.Fatalf("stale login: %d → %q", r.Status, r.Location)
	}
	mustContain(t, "reauth page", c.get(f.base+"/login?m=reauth&next=payment-methods").Body, "sign in again", `value="jenny@example.com"`)
}

// TestMerchantLink: a merchant's single-use link signs the customer in once.
func TestMerchantLink(t *testing.T) {
	t.Parallel()
	f := setup(t)
	link := apitest.Str(t, f.e.Mutate("portalSessionCreate", `mutation($c: ID!) { portalSessionCreate(input: {customer: $c}) { url userErrors { code } } }`, map[string]any{"c": f.jenny}), "url")
	path := link[strings.Index(link, "/portal/"):]
	c := &client{t: t}
	if r := c.get(f.e.URL + path); r.Status != http.StatusSeeOther || !strings.HasSuffix(r.Location, "/invoices") || c.cookie == "" {
		t.Fatalf("link: %d → %q", r.Status, r.Location)
	}
	c2 := &client{t: t}
	if r := c2.get(f.e.URL + path); r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "m=link") || c2.cookie != "" {
		t.Errorf("second use: %d → %q", r.Status, r.Location)
	}
}

// TestPayOutcomes: a declined card says why and leaves the invoice open;
// 3-D Secure asks for a confirmation, which pays.
func TestPayOutcomes(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := login(t, f, f.base, "jenny@example.com")
	page := f.base + "/invoices/" + f.open2
	pay := func(card string) response {
		t.Helper()
		m := payKeyRE.FindStringSubmatch(c.get(page).Body)
		if m == nil {
			t.Fatal("no payment form")
		}
		r := c.post(page+"/pay", url.Values{"key": {m[1]}, "method": {"new"}, "number": {card}, "expiry": {"12/34"}, "cvc": {"123"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("pay: %d", r.Status)
		}
		return c.get(f.e.URL + r.Location)
	}
	mustContain(t, "declined", pay("4000000000000002").Body, "declined", ">Open<")
	mustContain(t, "bad number", pay("4242424242424241").Body, "card number is not valid")
	r := pay("4000002500003155")
	mustContain(t, "3-D Secure", r.Body, "confirm this payment", `name="outcome" value="approve"`)
	pid := regexp.MustCompile(`name="payment" value="([^"]+)"`).FindStringSubmatch(r.Body)
	if pid == nil {
		t.Fatal("no confirmation form")
	}
	done := c.post(page+"/confirm", url.Values{"payment": {pid[1]}, "outcome": {"approve"}})
	mustContain(t, "confirmed", c.get(f.e.URL+done.Location).Body, "Thank you", ">Paid<")
	if st := apitest.Str(t, f.e.Query(`query($id: ID!) { invoice(id: $id) { status } }`, map[string]any{"id": f.open2}), "invoice", "status"); st != "PAID" {
		t.Errorf("invoice is %s", st)
	}
}
