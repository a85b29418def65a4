package web_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/testtool"
)

// chrome is a headless Chromium driving one story of the portal, with
// what its steps need: run them, screenshot the page, read it.
type chrome struct {
	t     *testing.T
	ctx   context.Context
	shots string
}

// startChrome starts Chromium for t, stopped when t ends, with flags
// added to its command line (stripemocktest.StripeJS's). Screenshots go
// to $REMIT_ARTIFACTS_DIR/portal, else test-artifacts/portal at the
// repository root.
func startChrome(t *testing.T, flags ...map[string]any) *chrome {
	t.Helper()
	return &chrome{t: t, ctx: testtool.Browser(t, 60*time.Second, flags...), shots: testtool.ArtifactsDir(t, filepath.Join("..", ".."), "portal")}
}

// signIn signs in at the portal's base as email, with the code the
// server emailed (read from e's outbox), and waits for the invoices.
func (c *chrome) signIn(base string, e *apitest.Env, email string) {
	c.t.Helper()
	c.run("sign in",
		chromedp.Navigate(base),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.Click(chromedp.ID("send-code")),
		chromedp.WaitVisible(chromedp.ID("code")),
	)
	c.run("verify",
		chromedp.SendKeys(chromedp.ID("code"), loginCode(c.t, e, email)),
		chromedp.Click(chromedp.ID("verify")),
		chromedp.WaitVisible(chromedp.CSS("table.list")),
	)
}

func (c *chrome) run(step string, actions ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	if err := chromedp.Do(c.ctx, actions...); err != nil {
		c.t.Fatalf("%s: %v", step, err)
	}
}

// shot saves a screenshot of the whole page as name.png.
func (c *chrome) shot(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		buf, err := chromedp.FullScreenshot(100)(ctx, tg) // quality 100: PNG
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(c.shots, name+".png"), buf, 0o644)
	})
}

func (c *chrome) get(what string, a chromedp.Action[string]) string {
	c.t.Helper()
	s, err := chromedp.Run(c.ctx, a)
	if err != nil {
		c.t.Fatalf("read %s: %v", what, err)
	}
	return strings.TrimSpace(s)
}

func (c *chrome) text(sel string) string {
	c.t.Helper()
	return c.get(sel, chromedp.Text(chromedp.CSS(sel)))
}

// TestBrowserStory is the customer's whole visit in headless Chromium:
// sign in with the emailed code, read the invoices, download a PDF, pay,
// manage cards, update the billing details, sign out.
func TestBrowserStory(t *testing.T) {
	c := startChrome(t)
	f := setup(t)
	// Chrome treats http://localhost as a secure context, where it keeps
	// the Secure __Host- cookie.
	base := strings.Replace(f.base, "127.0.0.1", "localhost", 1)
	ctx, shots, run, shot, get, text := c.ctx, c.shots, c.run, c.shot, c.get, c.text
	merchant := func(query string, vars map[string]any) map[string]any { return f.e.Query(query, vars) }

	// 1. Sign in: the email, then the code from the outbox.
	run("login page", chromedp.Navigate(base), chromedp.WaitVisible(chromedp.ID("email")), shot("01-login"))
	run("send code",
		chromedp.SendKeys(chromedp.ID("email"), "jenny@example.com"),
		chromedp.Click(chromedp.ID("send-code")),
		chromedp.WaitVisible(chromedp.ID("code")),
		shot("02-code"),
	)
	if s := text("#code-sent"); !strings.Contains(s, "jenny@example.com") {
		t.Errorf("code page says %q", s)
	}
	code := loginCode(t, f.e, "jenny@example.com")
	run("verify",
		chromedp.SendKeys(chromedp.ID("code"), code),
		chromedp.Click(chromedp.ID("verify")),
		chromedp.WaitVisible(chromedp.CSS("table.list")),
		shot("03-invoices"),
	)

	// 2. The list: badges, and no draft.
	for id, want := range map[string]string{f.open1: "Open", f.open2: "Open", f.paid: "Paid", f.plan: "Partially paid"} {
		if got := text("#inv-" + id + " .badge"); got != want {
			t.Errorf("badge of %s: %q, want %q", f.numbers[id], got, want)
		}
	}
	list := text("main")
	if strings.Contains(list, "Draft consulting") || strings.Contains(list, "Oscar") {
		t.Errorf("the list shows a draft or another's invoice:\n%s", list)
	}
	run("mobile list",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("table.list")),
		shot("03b-invoices-mobile"),
		chromedp.EmulateViewport(1280, 900),
		chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("table.list")),
	)

	// 3. An invoice, its PDF, fetched with the browser's session cookie.
	run("open invoice",
		chromedp.Click(chromedp.CSS("#inv-"+f.open1+" a")),
		chromedp.WaitVisible(chromedp.ID("pay")),
		shot("04-invoice"),
	)
	href, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.ID("pdf"), "href"))
	if err != nil || !href.Exists {
		t.Fatalf("pdf link: %v", err)
	}
	pdfHref := href.Value
	cookies, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) ([]*network.Cookie, error) {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{base}})
		return res.Cookies, err
	})
	if err != nil {
		t.Fatalf("cookies: %v", err)
	}
	session := ""
	for _, c := range cookies {
		if c.Name == "__Host-remit_portal" {
			session = c.Value
			if !c.HTTPOnly || !c.Secure || c.SameSite != network.CookieSameSiteLax {
				t.Errorf("session cookie flags: httpOnly %t secure %t sameSite %s", c.HTTPOnly, c.Secure, c.SameSite)
			}
		}
	}
	if session == "" {
		t.Fatalf("no session cookie in the browser: %v", cookies)
	}
	web := &client{t: t, cookie: session}
	pdf := web.get(f.e.URL + pdfHref)
	if pdf.Status != http.StatusOK || !strings.HasPrefix(pdf.Body, "%PDF") {
		t.Fatalf("PDF %s: %d %.16q", pdfHref, pdf.Status, pdf.Body)
	}
	if err := os.WriteFile(filepath.Join(shots, "invoice.pdf"), []byte(pdf.Body), 0o644); err != nil {
		t.Fatal(err)
	}

	// 4. Pay it with a new card.
	run("pay",
		chromedp.Click(chromedp.ID("method-new")),
		chromedp.SendKeys(chromedp.ID("number"), "4242 4242 4242 4242"),
		chromedp.SendKeys(chromedp.ID("expiry"), "12/34"),
		chromedp.SendKeys(chromedp.ID("cvc"), "123"),
		chromedp.Click(chromedp.ID("pay")),
		chromedp.WaitVisible(chromedp.ID("outcome")),
		shot("05-paid"),
	)
	if s := text("#outcome"); !strings.Contains(s, "Thank you") || !strings.Contains(s, "€1,200.00") {
		t.Errorf("outcome: %q", s)
	}
	if s := text("#status"); s != "Paid" {
		t.Errorf("status after paying: %q", s)
	}
	inv := merchant(`query($id: ID!) { invoice(id: $id) { status } }`, map[string]any{"id": f.open1})
	if st := apitest.Str(t, inv, "invoice", "status"); st != "PAID" {
		t.Errorf("merchant API: invoice is %s, want PAID", st)
	}

	// 4b. The merchant corrects it with a credit note that refunds part of
	// the card payment: the invoice's page lists it, with its PDF.
	cn := f.e.MutateErr("creditNoteCreate", `mutation($in: CreditNoteCreateInput!) { creditNoteCreate(input: $in) {
  creditNote { id number total { amount } refunds { status } } userErrors { field code message } } }`,
		map[string]any{"in": map[string]any{"invoice": f.open1, "amount": "100.00", "refundAmount": "100.00", "reason": "ORDER_CHANGE", "email": false}})
	if ue, _ := cn["userErrors"].([]any); len(ue) > 0 {
		t.Fatalf("creditNoteCreate: %v", ue)
	}
	cnNumber := apitest.Str(t, cn, "creditNote", "number")
	if st := apitest.Str(t, cn, "creditNote", "refunds", 0, "status"); st != "SUCCEEDED" {
		t.Errorf("credit note's refund: %s, want SUCCEEDED", st)
	}
	run("credit note on the invoice page",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.ID("credit-notes")),
		shot("05b-credit-note"),
	)
	if s := text("#credit-notes"); !strings.Contains(s, cnNumber) || !strings.Contains(s, "€100.00") {
		t.Errorf("credit notes section: %q, want %s of €100.00", s, cnNumber)
	}
	cnHref, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#credit-notes a"), "href"))
	if err != nil || !cnHref.Exists {
		t.Fatalf("credit note pdf link: %v", err)
	}
	if cnPDF := web.get(f.e.URL + cnHref.Value); cnPDF.Status != http.StatusOK || !strings.HasPrefix(cnPDF.Body, "%PDF") {
		t.Errorf("credit note PDF %s: %d %.16q", cnHref.Value, cnPDF.Status, cnPDF.Body)
	}

	// 5. Cards: add a Mastercard, make it the default, remove the Visa.
	run("payment methods",
		chromedp.Click(chromedp.CSS(`nav.tabs a[href$="/payment-methods"]`)),
		chromedp.WaitVisible(chromedp.ID("add-card")),
		chromedp.SendKeys(chromedp.ID("number"), "5555555555554444"),
		chromedp.SendKeys(chromedp.ID("expiry"), "12/34"),
		chromedp.SendKeys(chromedp.ID("cvc"), "123"),
		chromedp.Click(chromedp.ID("add-card")),
		chromedp.WaitVisible(chromedp.ID("done")),
		chromedp.Click(chromedp.Search(`//li[contains(., "4444")]//button[contains(., "Make default")]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@id="done" and contains(., "default")]`)),
		chromedp.Click(chromedp.Search(`//li[contains(., "4242")]//button[contains(., "Remove")]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@id="done" and contains(., "removed")]`)),
		shot("06-payment-methods"),
	)
	if s := text("ul.methods"); strings.Contains(s, "4242") || !strings.Contains(s, "Mastercard ending in 4444") || !strings.Contains(s, "Default") {
		t.Errorf("methods after the changes: %q", s)
	}
	pms := merchant(`query($id: ID!) { customer(id: $id) { defaultPaymentMethod { last4 } paymentMethods { last4 } } }`, map[string]any{"id": f.jenny})
	if got := apitest.Str(t, pms, "customer", "defaultPaymentMethod", "last4"); got != "4444" {
		t.Errorf("merchant API: default card ends in %s", got)
	}

	// 6. Billing details: the address and phone change, the email cannot.
	run("billing",
		chromedp.Click(chromedp.CSS(`nav.tabs a[href$="/billing"]`)),
		chromedp.WaitVisible(chromedp.ID("save")),
	)
	ro, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.ID("email"), "readonly"))
	if err != nil {
		t.Fatalf("email field: %v", err)
	}
	hasReadonly := ro.Exists
	run("type into the email field", chromedp.SendKeys(chromedp.ID("email"), "mallory@example.com"))
	email := get("email value", chromedp.Value(chromedp.ID("email")))
	if !hasReadonly || email != "jenny@example.com" {
		t.Errorf("email field: readonly %t, value after typing %q", hasReadonly, email)
	}
	run("update billing",
		chromedp.SendKeys(chromedp.ID("phone"), "+33 1 23 45 67 89"),
		chromedp.SendKeys(chromedp.ID("line1"), "27 rue de la Paix"),
		chromedp.SendKeys(chromedp.ID("postal_code"), "75002"),
		chromedp.SendKeys(chromedp.ID("city"), "Paris"),
		chromedp.SendKeys(chromedp.ID("country"), "FR"),
		chromedp.Click(chromedp.ID("save")),
		chromedp.WaitVisible(chromedp.ID("done")),
		shot("07-billing"),
	)
	cus := merchant(`query($id: ID!) { customer(id: $id) { email phone address { line1 postalCode city country } } }`, map[string]any{"id": f.jenny})
	if apitest.Str(t, cus, "customer", "address", "line1") != "27 rue de la Paix" || apitest.Str(t, cus, "customer", "address", "city") != "Paris" ||
		apitest.Str(t, cus, "customer", "address", "country") != "FR" || !strings.Contains(strings.ReplaceAll(apitest.Str(t, cus, "customer", "phone"), " ", ""), "33123456789") {
		t.Errorf("merchant API: customer after the update: %v", cus)
	}
	if got := apitest.Str(t, cus, "customer", "email"); got != "jenny@example.com" {
		t.Errorf("email changed to %q", got)
	}

	// 7. The payment history, then sign out.
	run("history",
		chromedp.Click(chromedp.CSS(`nav.tabs a[href$="/payments"]`)),
		chromedp.WaitVisible(chromedp.CSS("table.list")),
		shot("08-payments"),
	)
	run("logout",
		chromedp.Click(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("notice")),
		shot("09-signed-out"),
	)
	if s := text("#notice"); !strings.Contains(s, "signed out") {
		t.Errorf("after logout: %q", s)
	}
	loc := get("location", chromedp.Location())
	if !strings.HasSuffix(loc, "/login?m=out") {
		t.Errorf("after logout at %s", loc)
	}
	// The old session cookie is dead.
	if r := web.get(f.base + "/invoices"); r.Status != http.StatusSeeOther || !strings.HasSuffix(r.Location, "/login") {
		t.Errorf("old cookie after logout: %d → %q", r.Status, r.Location)
	}
	t.Logf("screenshots in %s", shots)
}
