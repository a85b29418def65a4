package web_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"entgo.io/ent/privacy"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/emailmessage"
	"github.com/remitbilling/remit/internal/apitest"
)

// fixture is the merchant's side of the story: Jenny Rosen with two open
// invoices, a paid one, a partially paid plan and a draft, another
// customer with an invoice of their own, and the portal enabled.
type fixture struct {
	e                        *apitest.Env
	jenny, other             string
	open1, open2, paid, plan string
	draft, othersInvoice     string
	numbers                  map[string]string
	slug                     string
	base                     string // e.URL + "/portal/" + slug
}

const logoSVG = `<svg xmlns="http://www.w3.org/2000/svg" width="180" height="44" viewBox="0 0 180 44">` +
	`<rect x="2" y="2" width="40" height="40" rx="10" fill="#5b21b6"/><path d="M12 32 L22 12 L32 32 Z" fill="#fff"/>` +
	`<text x="52" y="31" font-family="Arial, sans-serif" font-size="24" font-weight="700" fill="#5b21b6">Acme SAS</text></svg>`

func setup(t *testing.T) *fixture {
	t.Helper()
	e := apitest.Start(t, "sqlite3")
	f := &fixture{e: e, numbers: map[string]string{}}
	e.Mutate("accountUpdate", `mutation { accountUpdate(input: {brandColor: "#5b21b6", accentColor: "#0e7490"}) { account { id } userErrors { field code } } }`, nil)
	e.Mutate("accountImageSet", `mutation($in: AccountImageSetInput!) { accountImageSet(input: $in) { account { id } userErrors { field code message } } }`,
		map[string]any{"in": map[string]any{"kind": "LOGO", "contentType": "image/svg+xml", "data": base64.StdEncoding.EncodeToString([]byte(logoSVG))}})
	customer := func(name, email string) string {
		return apitest.Str(t, e.Mutate("customerCreate", `mutation($n: String!, $m: String!) { customerCreate(input: {customer: {name: $n, email: $m, preferredLocales: ["en"]}}) { customer { id } userErrors { code } } }`,
			map[string]any{"n": name, "m": email}), "customer", "id")
	}
	f.jenny = customer("Jenny Rosen", "jenny@example.com")
	f.other = customer("Oscar Other", "oscar@example.com")
	invoice := func(cus, desc, amount string, extra string) string {
		return apitest.Str(t, e.Mutate("invoiceCreate", `mutation($c: ID!, $d: String!, $a: Decimal!) { invoiceCreate(input: {customer: $c, currency: "EUR", lines: [{description: $d, unitAmount: $a}]`+extra+`}) { invoice { id } userErrors { field code } } }`,
			map[string]any{"c": cus, "d": desc, "a": amount}), "invoice", "id")
	}
	finalize := func(id string) {
		n := apitest.Str(t, e.Mutate("invoiceFinalize", `mutation($id: ID!) { invoiceFinalize(input: {id: $id}) { invoice { number } userErrors { code } } }`, map[string]any{"id": id}), "invoice", "number")
		f.numbers[id] = n
	}
	f.open1 = invoice(f.jenny, "Website redesign", "1200.00", "")
	finalize(f.open1)
	f.open2 = invoice(f.jenny, "Hosting, January", "49.00", "")
	finalize(f.open2)
	f.paid = invoice(f.jenny, "Domain renewal", "15.00", "")
	finalize(f.paid)
	e.Mutate("invoiceMarkPaid", `mutation($id: ID!) { invoiceMarkPaid(input: {id: $id, method: "bank_transfer", reference: "VIR-1"}) { invoice { status } userErrors { code } } }`, map[string]any{"id": f.paid})
	f.plan = invoice(f.jenny, "Annual support", "3000.00", `, amountsDue: [{amount: "1000", daysUntilDue: 1, description: "Deposit"}, {amount: "2000", daysUntilDue: 30, description: "Balance"}]`)
	finalize(f.plan)
	// Jenny's saved card, charged by the merchant for the plan's deposit.
	e.Mutate("paymentMethodAttach", `mutation($c: ID!) { paymentMethodAttach(input: {customer: $c, card: {number: "4242424242424242", expMonth: 12, expYear: 2034, cvc: "123"}, setDefault: true}) { paymentMethod { id } userErrors { code } } }`, map[string]any{"c": f.jenny})
	p := e.MutateKeyed("invoicePay", `mutation($id: ID!) { invoicePay(input: {id: $id}) { payment { status } userErrors { code } } }`, map[string]any{"id": f.plan}, "setup-plan-deposit")
	if st := apitest.Str(t, p, "payment", "status"); st != "SUCCEEDED" {
		t.Fatalf("deposit payment: %s", st)
	}
	f.draft = invoice(f.jenny, "Draft consulting", "999.00", "")
	f.othersInvoice = invoice(f.other, "Oscar's secret project", "5000.00", "")
	finalize(f.othersInvoice)
	u := apitest.Str(t, e.Mutate("portalSettingsUpdate", `mutation { portalSettingsUpdate(input: {enabled: true}) { portalSettings { url } userErrors { code } } }`, nil), "portalSettings", "url")
	f.slug = u[strings.LastIndex(u, "/")+1:]
	f.base = e.URL + "/portal/" + f.slug
	return f
}

var codeRE = regexp.MustCompile(`\b(\d{6})\b`)

// loginCode reads the last login code emailed to email from the outbox.
func loginCode(t *testing.T, e *apitest.Env, email string) string {
	t.Helper()
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	msgs, err := e.Store.Client.EmailMessage.Query().Where(emailmessage.Kind("login_code")).
		Order(ent.Desc(emailmessage.FieldCreatedAt), ent.Desc(emailmessage.FieldID)).All(ctx)
	if err != nil {
		t.Fatalf("outbox: %v", err)
	}
	for _, m := range msgs {
		for _, to := range m.To {
			if strings.EqualFold(to, email) {
				if c := codeRE.FindStringSubmatch(m.TextBody); c != nil {
					return c[1]
				}
			}
		}
	}
	t.Fatalf("no login code for %s in the outbox", email)
	return ""
}

// client is a browser-like HTTP client without a cookie jar (the __Host-
// cookie is Secure, which Go's jar keeps off plain http): it sends the
// session cookie itself and never follows redirects.
type client struct {
	t      *testing.T
	cookie string
}

type response struct {
	Status   int
	Location string
	Header   http.Header
	Body     string
}

func (c *client) do(method, u string, form url.Values, headers map[string]string) response {
	c.t.Helper()
	b := apitest.NewBrowser(c.t, "")
	b.SetCookie(sessionCookie, c.cookie)
	var f apitest.Form
	if form != nil {
		f = apitest.Form{}
		for k := range form {
			f[k] = form.Get(k)
		}
	}
	p := b.Do(method, u, f, headers)
	c.cookie = b.Cookie(sessionCookie)
	return response{p.Status, p.Location, p.Header, p.Body}
}

const sessionCookie = "__Host-remit_portal"

func (c *client) get(u string) response { c.t.Helper(); return c.do(http.MethodGet, u, nil, nil) }

func (c *client) post(u string, form url.Values) response {
	c.t.Helper()
	return c.do(http.MethodPost, u, form, map[string]string{"Sec-Fetch-Site": "same-origin"})
}

// login signs in by email and code, as a browser would.
func login(t *testing.T, f *fixture, base, email string) *client {
	t.Helper()
	c := &client{t: t}
	if r := c.post(base+"/login", url.Values{"email": {email}}); r.Status != http.StatusOK {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	r := c.post(base+"/verify", url.Values{"email": {email}, "code": {loginCode(t, f.e, email)}})
	if r.Status != http.StatusSeeOther || !strings.HasSuffix(r.Location, "/invoices") || c.cookie == "" {
		t.Fatalf("verify: %d → %q (cookie %t): %s", r.Status, r.Location, c.cookie != "", r.Body)
	}
	return c
}
