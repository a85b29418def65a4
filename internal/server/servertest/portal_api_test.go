package servertest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/privacy"
	"github.com/golang-jwt/jwt/v5"

	"github.com/remitbilling/remit/ent/emailmessage"
	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/portalauth"
	"github.com/remitbilling/remit/internal/secrets"
	"github.com/remitbilling/remit/internal/viewer"
)

// The portal API tests talk to /portal/graphql as a customer's browser or
// app does, with the merchant API (through the Env's keys) setting up the
// merchant's side.

const (
	papiStart   = `mutation($in: PortalLoginStartInput!) { portalLoginStart(input: $in) { ok userErrors { field code message } } }`
	papiVerify  = `mutation($in: PortalLoginVerifyInput!) { portalLoginVerify(input: $in) { token expiresAt customer { id email } userErrors { field code message } } }`
	papiMe      = `query { me { id name email phone address { line1 city country } taxIds { type value } preferredLocales balance { amount currency } } }`
	papiInvoice = `query($id: ID!) { invoice(id: $id) { id number status standing total { minorUnits } amountRemaining { minorUnits } lines { description quantity unitAmount amount { minorUnits } } payments { status amount { minorUnits } brand last4 } pdfUrl } }`
	papiPay     = `mutation($in: InvoicePayInput!) { invoicePay(input: $in) { invoice { id status standing amountPaid { minorUnits } } payment { id status brand last4 } userErrors { field code message } } }`
	papiSetDef  = `mutation($id: ID!) { paymentMethodSetDefault(input: {id: $id}) { paymentMethod { id isDefault } userErrors { field code message } } }`
	papiRemove  = `mutation($id: ID!) { paymentMethodRemove(input: {id: $id}) { paymentMethod { id } userErrors { field code message } } }`
	papiAdd     = `mutation { paymentMethodAdd(input: {card: {number: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123"}}) { paymentMethod { id brand last4 isDefault } userErrors { field code message } } }`
)

// papiClient is one portal client: anonymous, or signed in by bearer token
// or by the session cookie.
type papiClient struct {
	t      testing.TB
	e      *apitest.Env
	token  string // sent as Authorization: Bearer
	cookie string // sent as the session cookie
}

func newPapi(t testing.TB, e *apitest.Env) *papiClient { return &papiClient{t: t, e: e} }

// post sends a raw body to /portal/graphql with headers.
func (c *papiClient) post(method string, body []byte, headers map[string]string) *apitest.Response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.e.URL+"/portal/graphql", bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: portalauth.CookieName, Value: c.cookie})
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("post: %v", err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	out := &apitest.Response{Status: res.StatusCode, Header: res.Header, RawBody: raw}
	var decoded struct {
		Data   map[string]any   `json:"data"`
		Errors []map[string]any `json:"errors"`
	}
	if json.Unmarshal(raw, &decoded) == nil {
		out.Data, out.Errors = decoded.Data, decoded.Errors
	}
	return out
}

// do runs a document.
func (c *papiClient) do(query string, vars map[string]any, headers map[string]string) *apitest.Response {
	c.t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		c.t.Fatal(err)
	}
	return c.post(http.MethodPost, body, headers)
}

// query runs a document that must succeed without top-level errors.
func (c *papiClient) query(query string, vars map[string]any) map[string]any {
	c.t.Helper()
	res := c.do(query, vars, nil)
	if res.Status != http.StatusOK || len(res.Errors) > 0 {
		c.t.Fatalf("portal query failed (status %d): %s", res.Status, truncate(res.RawBody))
	}
	return res.Data
}

// payload runs a mutation and returns data[field], userErrors and all.
func (c *papiClient) payload(field, query string, vars map[string]any, headers map[string]string) map[string]any {
	c.t.Helper()
	res := c.do(query, vars, headers)
	if res.Status != http.StatusOK || len(res.Errors) > 0 {
		c.t.Fatalf("%s failed (status %d): %s", field, res.Status, truncate(res.RawBody))
	}
	pl, ok := res.Data[field].(map[string]any)
	if !ok {
		c.t.Fatalf("no payload %q in %s", field, res.RawBody)
	}
	return pl
}

func papiCodes(t *testing.T, pl map[string]any) []string { return apitest.ErrorCodes(t, pl) }

func wantCodes(t *testing.T, what string, pl map[string]any, want ...string) {
	t.Helper()
	got := papiCodes(t, pl)
	if !slices.Equal(got, want) {
		t.Fatalf("%s: userErrors %v, want %v (payload %v)", what, got, want, pl)
	}
}

// enablePortal turns the portal of key's account and mode on and returns
// its slug (the last segment of its URL).
func enablePortal(t testing.TB, e *apitest.Env, key string) string {
	t.Helper()
	res := e.Do(apitest.Request{Key: key, Query: `mutation { portalSettingsUpdate(input: {enabled: true}) { portalSettings { url } userErrors { code } } }`})
	if res.Status != http.StatusOK || len(res.Errors) > 0 {
		t.Fatalf("portalSettingsUpdate: %s", res.RawBody)
	}
	url := apitest.Str(t, res.Data, "portalSettingsUpdate", "portalSettings", "url")
	i := strings.LastIndex(url, "/portal/")
	if i < 0 {
		t.Fatalf("portal url %q does not end with /portal/<slug>", url)
	}
	return url[i+len("/portal/"):]
}

var sixDigits = regexp.MustCompile(`\b(\d{6})\b`)

// loginCode reads (and deletes) the login code last emailed to email.
func loginCode(t testing.TB, e *apitest.Env, email string) string {
	t.Helper()
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	msgs, err := e.Store.Client.EmailMessage.Query().Where(emailmessage.Kind("login_code")).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var code string
	for _, m := range msgs {
		if slices.Contains(m.To, email) {
			if sm := sixDigits.FindStringSubmatch(m.TextBody); sm != nil {
				code = sm[1]
			}
			if _, err := e.Store.Client.EmailMessage.Delete().Where(emailmessage.ID(m.ID)).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if code == "" {
		t.Fatalf("no login code emailed to %s", email)
	}
	return code
}

// countLoginMails counts the login code emails to email.
func countLoginMails(t *testing.T, e *apitest.Env, email string) int {
	t.Helper()
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	msgs, err := e.Store.Client.EmailMessage.Query().Where(emailmessage.Kind("login_code")).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		if slices.Contains(m.To, email) {
			n++
		}
	}
	return n
}

// startLogin asks for a code and checks the uniform answer.
func (c *papiClient) startLogin(slug, email string) *apitest.Response {
	c.t.Helper()
	res := c.do(papiStart, map[string]any{"in": map[string]any{"portal": slug, "email": email}}, nil)
	if res.Status != http.StatusOK || len(res.Errors) > 0 {
		c.t.Fatalf("portalLoginStart: %s", res.RawBody)
	}
	return res
}

func (c *papiClient) verify(slug, email, code string) *apitest.Response {
	c.t.Helper()
	res := c.do(papiVerify, map[string]any{"in": map[string]any{"portal": slug, "email": email, "code": code}}, nil)
	if res.Status != http.StatusOK || len(res.Errors) > 0 {
		c.t.Fatalf("portalLoginVerify: %s", res.RawBody)
	}
	return res
}

// login signs the client in by email code, as a bearer client.
func (c *papiClient) login(slug, email string) *papiClient {
	c.t.Helper()
	c.startLogin(slug, email)
	res := c.verify(slug, email, loginCode(c.t, c.e, email))
	pl := res.Data["portalLoginVerify"].(map[string]any)
	if ue := pl["userErrors"].([]any); len(ue) > 0 {
		c.t.Fatalf("login %s: %v", email, ue)
	}
	c.token = apitest.Str(c.t, pl, "token")
	return c
}

func sessionCookie(res *apitest.Response) (*http.Cookie, bool) {
	for _, ck := range (&http.Response{Header: res.Header}).Cookies() {
		if ck.Name == portalauth.CookieName {
			return ck, true
		}
	}
	return nil, false
}

func isUnauthenticated(res *apitest.Response) bool {
	return res.Status == http.StatusOK && hasCode(res, "UNAUTHENTICATED")
}

func TestPortalAPILogin(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		p := newPayT(t, e)
		slug := enablePortal(t, e, e.Key)
		ada := p.customer("Ada Lovelace", "ada@example.com", "EUR")
		c := newPapi(t, e)

		// The same bytes whether or not a customer has the email.
		known := c.startLogin(slug, "ada@example.com")
		unknown := c.startLogin(slug, "nobody@example.com")
		if !bytes.Equal(known.RawBody, unknown.RawBody) {
			t.Fatalf("login start differs:\nknown   %s\nunknown %s", known.RawBody, unknown.RawBody)
		}
		if want := `{"data":{"portalLoginStart":{"ok":true,"userErrors":[]}}}`; string(known.RawBody) != want {
			t.Fatalf("login start = %s, want %s", known.RawBody, want)
		}
		if _, set := sessionCookie(known); set {
			t.Fatal("login start set a session cookie")
		}
		if n := countLoginMails(t, e, "nobody@example.com"); n != 0 {
			t.Fatalf("%d codes emailed to an unknown address", n)
		}
		bad := c.do(papiStart, map[string]any{"in": map[string]any{"portal": slug, "email": "not an email"}}, nil)
		wantCodes(t, "malformed email", bad.Data["portalLoginStart"].(map[string]any), "INVALID_EMAIL")
		noPortal := c.do(papiStart, map[string]any{"in": map[string]any{"portal": "bp_nope", "email": "ada@example.com"}}, nil)
		wantCodes(t, "unknown portal", noPortal.Data["portalLoginStart"].(map[string]any), "NOT_FOUND")

		code := loginCode(t, e, "ada@example.com")
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		invalidMsg := func(res *apitest.Response) string {
			t.Helper()
			pl := res.Data["portalLoginVerify"].(map[string]any)
			wantCodes(t, "verify", pl, "INVALID_CODE")
			if pl["token"] != nil {
				t.Fatalf("a token with a refused code: %v", pl)
			}
			if _, set := sessionCookie(res); set {
				t.Fatal("a refused code set a session cookie")
			}
			return apitest.Str(t, pl, "userErrors", 0, "message")
		}
		msg := invalidMsg(c.verify(slug, "ada@example.com", wrong))
		if m := invalidMsg(c.verify(slug, "nobody@example.com", code)); m != msg {
			t.Fatalf("unknown email message %q differs from wrong code %q", m, msg)
		}

		// The right code opens a session: token in the payload, cookie set.
		res := c.verify(slug, "ada@example.com", code)
		pl := res.Data["portalLoginVerify"].(map[string]any)
		wantCodes(t, "right code", pl)
		if apitest.Str(t, pl, "customer", "id") != ada || apitest.Str(t, pl, "customer", "email") != "ada@example.com" {
			t.Fatalf("verify customer = %v", pl["customer"])
		}
		ck, ok := sessionCookie(res)
		if !ok || !ck.HttpOnly || !ck.Secure || ck.Value != apitest.Str(t, pl, "token") {
			t.Fatalf("session cookie = %+v", ck)
		}
		// Reused: refused, same message.
		if m := invalidMsg(c.verify(slug, "ada@example.com", code)); m != msg {
			t.Fatalf("reused code message %q", m)
		}

		// Expired: 11 minutes later.
		c.startLogin(slug, "ada@example.com")
		code = loginCode(t, e, "ada@example.com")
		e.Clock.Advance(11 * time.Minute)
		if m := invalidMsg(c.verify(slug, "ada@example.com", code)); m != msg {
			t.Fatalf("expired code message %q", m)
		}

		// Burnt: five wrong tries, then the right code fails too.
		c.startLogin(slug, "ada@example.com")
		code = loginCode(t, e, "ada@example.com")
		wrong = "000000"
		if code == wrong {
			wrong = "111111"
		}
		for range 5 {
			invalidMsg(c.verify(slug, "ada@example.com", wrong))
		}
		if m := invalidMsg(c.verify(slug, "ada@example.com", code)); m != msg {
			t.Fatalf("burnt code message %q", m)
		}
	})
}

// portalTokenKey derives the server's portal token key, as server.New does.
func portalTokenKey(t *testing.T, e *apitest.Env) []byte {
	t.Helper()
	root, err := secrets.Load(clock.WithContext(context.Background(), e.Clock), e.Store.Client, secrets.Root)
	if err != nil {
		t.Fatalf("load server secret: %v", err)
	}
	return secrets.Derive(root, "portal session tokens")
}

func TestPortalAPITokens(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		p := newPayT(t, e)
		slug := enablePortal(t, e, e.Key)
		ada := p.customer("Ada Lovelace", "ada@example.com", "EUR")
		c := newPapi(t, e).login(slug, "ada@example.com")
		if got := apitest.Str(t, c.query(papiMe, nil), "me", "id"); got != ada {
			t.Fatalf("me = %s, want %s", got, ada)
		}
		ring, err := portalauth.KeyRingFromSecret(e.Clock, portalTokenKey(t, e))
		if err != nil {
			t.Fatal(err)
		}
		good, err := ring.Verify(c.token)
		if err != nil {
			t.Fatalf("the server's token does not verify with the derived key: %v", err)
		}
		key := portalTokenKey(t, e)
		now := e.Clock.Now()
		craft := func(method jwt.SigningMethod, signKey any, mutate func(jwt.MapClaims)) string {
			mc := jwt.MapClaims{
				"iss": portalauth.Issuer, "aud": []string{portalauth.Audience}, "sub": good.CustomerID, "jti": good.SessionID,
				"acct": good.AccountID, "mode": good.Mode, "iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
			}
			if mutate != nil {
				mutate(mc)
			}
			tok := jwt.NewWithClaims(method, mc)
			tok.Header["kid"] = portalauth.KeyID(key)
			s, err := tok.SignedString(signKey)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		// Control: a token crafted like the server's is accepted, so the
		// refusals below are for the one thing each changes.
		if res := (&papiClient{t: t, e: e, token: craft(jwt.SigningMethodHS256, key, nil)}).do(papiMe, nil, nil); len(res.Errors) > 0 {
			t.Fatalf("well-formed crafted token refused: %s", res.RawBody)
		}
		otherKey := bytes.Repeat([]byte{7}, 32)
		for name, tok := range map[string]string{
			"alg none":       craft(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil),
			"wrong key":      craft(jwt.SigningMethodHS256, otherKey, nil),
			"wrong audience": craft(jwt.SigningMethodHS256, key, func(m jwt.MapClaims) { m["aud"] = []string{"remit-merchant"} }),
			"wrong issuer":   craft(jwt.SigningMethodHS256, key, func(m jwt.MapClaims) { m["iss"] = "elsewhere" }),
			"expired": craft(jwt.SigningMethodHS256, key, func(m jwt.MapClaims) {
				m["exp"] = now.Add(-time.Minute).Unix()
				m["iat"] = now.Add(-20 * time.Minute).Unix()
			}),
			"no expiry":      craft(jwt.SigningMethodHS256, key, func(m jwt.MapClaims) { delete(m, "exp") }),
			"other customer": craft(jwt.SigningMethodHS256, key, func(m jwt.MapClaims) { m["sub"] = "cus_someoneelse" }),
			"garbage":        "not.a.token",
		} {
			res := (&papiClient{t: t, e: e, token: tok}).do(papiMe, nil, nil)
			if !isUnauthenticated(res) || res.Data["me"] != nil {
				t.Errorf("%s: want UNAUTHENTICATED, got status %d %s", name, res.Status, truncate(res.RawBody))
			}
			assertNoLeak(t, name, res.RawBody)
		}

		// Refresh: a new token that works.
		pl := c.payload("sessionRefresh", `mutation { sessionRefresh { token customer { id } userErrors { code } } }`, nil, nil)
		fresh := apitest.Str(t, pl, "token")
		if res := (&papiClient{t: t, e: e, token: fresh}).do(papiMe, nil, nil); len(res.Errors) > 0 {
			t.Fatalf("refreshed token refused: %s", res.RawBody)
		}

		// Logout revokes the session at once: every token of it stops.
		res := c.do(`mutation { logout { ok userErrors { code } } }`, nil, nil)
		if ok, _ := apitest.Get(t, res.Data, "logout", "ok").(bool); !ok {
			t.Fatalf("logout: %s", res.RawBody)
		}
		if ck, set := sessionCookie(res); !set || ck.MaxAge >= 0 || ck.Value != "" {
			t.Fatalf("logout did not clear the cookie: %+v", ck)
		}
		for _, tok := range []string{c.token, fresh} {
			if res := (&papiClient{t: t, e: e, token: tok}).do(papiMe, nil, nil); !isUnauthenticated(res) {
				t.Fatalf("token works after logout: %s", res.RawBody)
			}
		}
	})
}

func TestPortalAPIIsolation(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		// Account 1, test mode: customers A and B; A has a draft too.
		p := newPayT(t, e)
		slug := enablePortal(t, e, e.Key)
		cusA := p.customer("Ada Lovelace", "ada@example.com", "EUR")
		cusB := p.customer("Bob Byron", "bob@example.com", "EUR")
		invA := p.open(cusA, "EUR", "100.00", nil)
		draftA := p.draft(cusA, "EUR", "7.00", nil)
		invB := p.open(cusB, "EUR", "200.00", nil)
		pmA := p.card(cusA, cardOK)
		pmB := p.card(cusB, cardOK)

		// Account 2 (test) and account 1 in live mode: customers with A's
		// email, each with an invoice.
		_, key2 := e.NewAccount("Globex", viewer.Test)
		p2 := &payT{t: t, e: e, key: key2}
		slug2 := enablePortal(t, e, key2)
		cusC := p2.customer("Ada at Globex", "ada@example.com", "EUR")
		invC := p2.open(cusC, "EUR", "300.00", nil)
		liveKey := e.NewKey(e.Account, viewer.Live)
		pl := &payT{t: t, e: e, key: liveKey}
		slugLive := enablePortal(t, e, liveKey)
		cusD := pl.customer("Ada live", "ada@example.com", "EUR")
		invD := pl.open(cusD, "EUR", "400.00", nil)

		a := newPapi(t, e).login(slug, "ada@example.com")
		b := newPapi(t, e).login(slug, "bob@example.com")
		c := newPapi(t, e).login(slug2, "ada@example.com")
		d := newPapi(t, e).login(slugLive, "ada@example.com")

		// Each session sees its own customer and invoices only; a draft is
		// invisible even to its customer.
		for _, tc := range []struct {
			name     string
			cl       *papiClient
			cus, inv string
		}{{"A", a, cusA, invA}, {"B", b, cusB, invB}, {"C", c, cusC, invC}, {"D", d, cusD, invD}} {
			data := tc.cl.query(`query { me { id } customers { id current } invoices(first: 100) { totalCount edges { node { id } } } }`, nil)
			if got := apitest.Str(t, data, "me", "id"); got != tc.cus {
				t.Errorf("%s: me = %s, want %s", tc.name, got, tc.cus)
			}
			if cs := data["customers"].([]any); len(cs) != 1 || apitest.Str(t, cs[0], "id") != tc.cus {
				t.Errorf("%s: customers = %v", tc.name, cs)
			}
			edges := apitest.Get(t, data, "invoices", "edges").([]any)
			if len(edges) != 1 || apitest.Str(t, edges[0], "node", "id") != tc.inv || apitest.Get(t, data, "invoices", "totalCount").(float64) != 1 {
				t.Errorf("%s: invoices = %v, want only %s", tc.name, data["invoices"], tc.inv)
			}
			// The statement is the session's customer's, with its one invoice.
			st := apitest.Get(t, tc.cl.query(`query($from: Time!, $to: Time!) { statement(from: $from, to: $to) { customerId movements { kind } userErrors { code } } }`,
				map[string]any{"from": e.Clock.Now().AddDate(-1, 0, 0), "to": e.Clock.Now().Add(time.Hour)}), "statement")
			if ms := st.(map[string]any)["movements"].([]any); apitest.Str(t, st, "customerId") != tc.cus || len(ms) != 1 || apitest.Str(t, ms[0], "kind") != "INVOICE" {
				t.Errorf("%s: statement = %v, want %s's one invoice", tc.name, st, tc.cus)
			}
		}

		// invoice(id:) of anything not A's own issued invoice is null.
		for _, id := range []string{invB, invC, invD, draftA, "in_nope", cusB} {
			res := a.do(papiInvoice, map[string]any{"id": id}, nil)
			if len(res.Errors) > 0 || res.Data["invoice"] != nil {
				t.Errorf("A reads invoice %s: %s", id, truncate(res.RawBody))
			}
		}
		if got := apitest.Str(t, a.query(papiInvoice, map[string]any{"id": invA}), "invoice", "id"); got != invA {
			t.Fatalf("A's own invoice = %s", got)
		}

		// Walk every query field as A and look for anything of the others.
		all := `query {
			me { id name email phone address { line1 city country } shipping { name } taxIds { type value } preferredLocales currency balance { amount } creditBalance { amount } }
			portal { name brandColor accentColor logoUrl testMode features { updateBillingDetails managePaymentMethods payInvoices showHistory } }
			customers { id name email current }
			invoices(first: 100) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id number status standing currency issuedAt dueDate paidAt voidedAt
				lines { description quantity unitAmount amount { minorUnits } periodStart periodEnd }
				subtotal { minorUnits } totalDiscount { minorUnits } tax { minorUnits } total { minorUnits } amountDue { minorUnits } amountPaid { minorUnits } amountRemaining { minorUnits }
				taxes { displayName percentage amount { minorUnits } } installments { amount { minorUnits } status } payments { id status brand last4 } pdfUrl hostedInvoiceUrl } } }
			paymentMethods { id type brand last4 expMonth expYear isDefault createdAt }
			payments(first: 100) { totalCount edges { node { id status amount { minorUnits } brand last4 invoice { id } } } }
		}`
		res := a.do(all, nil, nil)
		if res.Status != http.StatusOK || len(res.Errors) > 0 {
			t.Fatalf("walk: %s", truncate(res.RawBody))
		}
		for _, foreign := range []string{cusB, cusC, cusD, invB, invC, invD, draftA, pmB, "bob@example.com", "Globex", "Ada live", "Ada at Globex"} {
			if bytes.Contains(res.RawBody, []byte(foreign)) {
				t.Errorf("A's walk shows %q: %s", foreign, truncate(res.RawBody))
			}
		}
		if !bytes.Contains(res.RawBody, []byte(pmA)) || !bytes.Contains(res.RawBody, []byte("/portal/"+slug+"/invoices/"+invA+"/pdf")) {
			t.Errorf("A's walk misses its own method or PDF link: %s", truncate(res.RawBody))
		}

		// B cannot pay A's invoice: NOT_FOUND and nothing written.
		for _, in := range []map[string]any{
			{"id": invA},
			{"id": invA, "card": testCard(cardOK)},
			{"id": invA, "paymentMethod": pmB},
		} {
			pl := b.payload("invoicePay", papiPay, map[string]any{"in": in}, map[string]string{"Idempotency-Key": "k-" + time.Now().Format(time.RFC3339Nano)})
			wantCodes(t, "B pays A's invoice", pl, "NOT_FOUND")
		}
		// Nor pay its own invoice with A's method.
		pl2 := b.payload("invoicePay", papiPay, map[string]any{"in": map[string]any{"id": invB, "paymentMethod": pmA}}, map[string]string{"Idempotency-Key": "b-with-a"})
		wantCodes(t, "B pays with A's method", pl2, "PAYMENT_METHOD_NOT_ACCEPTED")
		if n := p.paymentsCount(""); n != 0 {
			t.Fatalf("%d payments written by refused attempts", n)
		}
		if got := apitest.Str(t, p.invoice(invA), "status"); got != "OPEN" {
			t.Fatalf("A's invoice is %s", got)
		}

		// B cannot touch A's payment methods.
		wantCodes(t, "B sets A's method default", b.payload("paymentMethodSetDefault", papiSetDef, map[string]any{"id": pmA}, nil), "NOT_FOUND")
		wantCodes(t, "B removes A's method", b.payload("paymentMethodRemove", papiRemove, map[string]any{"id": pmA}, nil), "NOT_FOUND")
		custA := p.query(payCustomerQuery, map[string]any{"id": cusA})["customer"].(map[string]any)
		if apitest.Str(t, custA, "defaultPaymentMethod", "id") != pmA || len(custA["paymentMethods"].([]any)) != 1 {
			t.Fatalf("A's methods changed: %v", custA)
		}
		// Switching to another email's customer is refused.
		sw := b.payload("customerSwitch", `mutation($c: ID!) { customerSwitch(input: {customer: $c}) { token userErrors { field code } } }`, map[string]any{"c": cusA}, nil)
		wantCodes(t, "B switches to A", sw, "NOT_FOUND")

		// No merchant-only surface: no node(id:), no metadata, no history.
		for _, q := range []string{
			`query($id: ID!) { node(id: $id) { id } }`,
			`query($id: ID!) { invoice(id: $id) { metadata } }`,
			`query($id: ID!) { invoice(id: $id) { history { action } } }`,
			`query($id: ID!) { invoice(id: $id) { customer { id } } }`,
			`query { me { description metadata } }`,
		} {
			res := a.do(q, map[string]any{"id": invA}, nil)
			if len(res.Errors) == 0 || res.Data != nil && len(res.Data) > 0 {
				t.Errorf("%s: not refused: %s", q, truncate(res.RawBody))
			}
			if bytes.Contains(res.RawBody, []byte("Did you mean")) {
				t.Errorf("%s: suggests fields: %s", q, res.RawBody)
			}
		}

		// Introspection: test-mode sessions only.
		intro := `query { __schema { types { name fields { name } } } }`
		if res := a.do(intro, nil, nil); len(res.Errors) > 0 {
			t.Fatalf("introspection as a test-mode session: %s", truncate(res.RawBody))
		} else {
			for _, ty := range apitest.Get(t, res.Data, "__schema", "types").([]any) {
				tm := ty.(map[string]any)
				if strings.HasPrefix(tm["name"].(string), "__") {
					continue
				}
				fields, _ := tm["fields"].([]any)
				for _, f := range fields {
					// Descriptions of what is billed are the customer's, as is a
					// statement line's wording; the customer's own description
					// is the merchant's note.
					n := f.(map[string]any)["name"].(string)
					forbidden := slices.Contains([]string{"metadata", "history", "internalNote", "notes"}, n) ||
						n == "description" && tm["name"] != "InvoiceLine" && tm["name"] != "Installment" && tm["name"] != "CreditNoteLine" && tm["name"] != "StatementMovement" ||
						(n == "node" || n == "nodes") && (tm["name"] == "Query" || tm["name"] == "Mutation")
					if forbidden {
						t.Errorf("portal schema has %s.%s", tm["name"], n)
					}
				}
			}
		}
		for name, cl := range map[string]*papiClient{"live session": d, "anonymous": newPapi(t, e)} {
			res := cl.do(intro, nil, nil)
			if len(res.Errors) == 0 {
				t.Errorf("introspection allowed for %s: %s", name, truncate(res.RawBody))
			}
		}
	})
}

func TestPortalAPIAccount(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		p := newPayT(t, e)
		slug := enablePortal(t, e, e.Key)
		ada := p.customer("Ada Lovelace", "ada@example.com", "EUR")
		a := newPapi(t, e).login(slug, "ada@example.com")

		// Billing details change; the email cannot.
		upd := `mutation($in: BillingDetailsInput!) { billingDetailsUpdate(input: $in) { customer { name email phone address { city country } taxIds { value } } userErrors { field code message } } }`
		pl := a.payload("billingDetailsUpdate", upd, map[string]any{"in": map[string]any{
			"name": "Ada King", "phone": "+44 20 7946 0000", "address": map[string]any{"line1": "12 St James's Sq", "city": "London", "country": "GB"},
			"taxIds": []any{map[string]any{"type": "eu_vat", "value": "FR40303265045"}},
		}}, nil)
		wantCodes(t, "billingDetailsUpdate", pl)
		if apitest.Str(t, pl, "customer", "name") != "Ada King" || apitest.Str(t, pl, "customer", "address", "city") != "London" {
			t.Fatalf("billingDetailsUpdate = %v", pl)
		}
		bad := a.payload("billingDetailsUpdate", upd, map[string]any{"in": map[string]any{"address": map[string]any{"country": "ZZ"}}}, nil)
		wantCodes(t, "bad country", bad, "INVALID_COUNTRY")
		if f := apitest.Get(t, bad, "userErrors", 0, "field").([]any); len(f) == 0 || f[0] != "input" {
			t.Fatalf("field path %v", f)
		}
		res := a.do(upd, map[string]any{"in": map[string]any{"email": "mallory@example.com"}}, nil)
		if len(res.Errors) == 0 {
			t.Fatalf("an email in billingDetailsUpdate was accepted: %s", res.RawBody)
		}
		res = a.do(`mutation { billingDetailsUpdate(input: {email: "mallory@example.com"}) { userErrors { code } } }`, nil, nil)
		if len(res.Errors) == 0 {
			t.Fatalf("an inline email was accepted: %s", res.RawBody)
		}
		if got := apitest.Str(t, p.query(`query($id: ID!) { customer(id: $id) { email } }`, map[string]any{"id": ada}), "customer", "email"); got != "ada@example.com" {
			t.Fatalf("email changed to %s", got)
		}

		// A saved card, within ten minutes of login.
		added := a.payload("paymentMethodAdd", papiAdd, nil, nil)
		wantCodes(t, "paymentMethodAdd", added)
		pm := apitest.Str(t, added, "paymentMethod", "id")
		if apitest.Str(t, added, "paymentMethod", "last4") != "4242" || added["paymentMethod"].(map[string]any)["isDefault"] != true {
			t.Fatalf("added = %v", added)
		}

		// The merchant issues an invoice; the customer pays it by card.
		inv := p.open(ada, "EUR", "120.00", nil)
		got := a.query(papiInvoice, map[string]any{"id": inv})["invoice"].(map[string]any)
		if got["standing"] != "OPEN" || apitest.Get(t, got, "total", "minorUnits") != "12000" || len(got["lines"].([]any)) != 1 {
			t.Fatalf("portal invoice = %v", got)
		}
		noKey := a.payload("invoicePay", papiPay, map[string]any{"in": map[string]any{"id": inv}}, nil)
		wantCodes(t, "invoicePay without key", noKey, "IDEMPOTENCY_KEY_REQUIRED")
		// A card reported lost is a plain decline to the payer, never the
		// processor's text (internal/payer/words).
		lost := a.payload("invoicePay", `mutation($in: InvoicePayInput!) { invoicePay(input: $in) { payment { status failureCode failureMessage } userErrors { field code message } } }`,
			map[string]any{"in": map[string]any{"id": inv, "card": testCard("4000000000009987")}}, map[string]string{"Idempotency-Key": "pay-lost"})
		wantCodes(t, "invoicePay with a lost card", lost)
		if apitest.Str(t, lost, "payment", "status") != "FAILED" || apitest.Str(t, lost, "payment", "failureCode") != "card_declined" ||
			apitest.Str(t, lost, "payment", "failureMessage") != "the card was declined" {
			t.Fatalf("lost card = %v", lost)
		}
		paid := a.payload("invoicePay", papiPay, map[string]any{"in": map[string]any{"id": inv, "card": testCard(cardOK)}}, map[string]string{"Idempotency-Key": "pay-1"})
		wantCodes(t, "invoicePay", paid)
		if apitest.Str(t, paid, "payment", "status") != "SUCCEEDED" || apitest.Str(t, paid, "invoice", "status") != "PAID" || apitest.Str(t, paid, "payment", "last4") != "4242" {
			t.Fatalf("invoicePay = %v", paid)
		}
		again := a.payload("invoicePay", papiPay, map[string]any{"in": map[string]any{"id": inv, "card": testCard(cardOK)}}, map[string]string{"Idempotency-Key": "pay-1"})
		if apitest.Str(t, again, "payment", "id") != apitest.Str(t, paid, "payment", "id") {
			t.Fatalf("retry with the same key paid again: %v", again)
		}
		merchant := p.invoice(inv)
		if pays := merchant["payments"].([]any); len(pays) != 2 || apitest.Str(t, pays[0], "source") != "PORTAL" || apitest.Str(t, pays[1], "source") != "PORTAL" {
			t.Fatalf("merchant sees payments %v", merchant["payments"])
		}
		// The merchant's own key space is apart: the same key there is new.
		inv2 := p.open(ada, "EUR", "10.00", nil)
		mp := p.payload("invoicePay", payMutation, map[string]any{"in": map[string]any{"id": inv2}}, "pay-1")
		if ue := mp["userErrors"].([]any); len(ue) > 0 || apitest.Str(t, mp, "payment", "status") != "SUCCEEDED" {
			t.Fatalf("merchant pay with the portal's key: %v", mp)
		}

		data := a.query(`query { payments(first: 10) { totalCount edges { node { status source: methodType invoice { id } } } } invoices(first: 10, status: [PAID]) { totalCount } open: invoices(first: 10, status: [OPEN, OVERDUE]) { totalCount } }`, nil)
		if apitest.Get(t, data, "payments", "totalCount").(float64) != 3 || apitest.Get(t, data, "invoices", "totalCount").(float64) != 2 || apitest.Get(t, data, "open", "totalCount").(float64) != 0 {
			t.Fatalf("history = %v", data)
		}

		// Features the merchant turns off answer FEATURE_DISABLED.
		e.Query(`mutation { portalSettingsUpdate(input: {updateBillingDetails: false, managePaymentMethods: false, payInvoices: false, showHistory: false}) { userErrors { code } } }`, nil)
		wantCodes(t, "update off", a.payload("billingDetailsUpdate", upd, map[string]any{"in": map[string]any{"name": "X"}}, nil), "FEATURE_DISABLED")
		wantCodes(t, "methods off", a.payload("paymentMethodAdd", papiAdd, nil, nil), "FEATURE_DISABLED")
		wantCodes(t, "pay off", a.payload("invoicePay", papiPay, map[string]any{"in": map[string]any{"id": inv}}, map[string]string{"Idempotency-Key": "pay-2"}), "FEATURE_DISABLED")
		if res := a.do(`query { payments(first: 5) { totalCount } }`, nil, nil); !hasCode(res, "FEATURE_DISABLED") {
			t.Fatalf("payments with history off: %s", res.RawBody)
		}
		e.Query(`mutation { portalSettingsUpdate(input: {managePaymentMethods: true}) { userErrors { code } } }`, nil)

		// Eleven minutes after login, payment methods need a new login.
		e.Clock.Advance(11 * time.Minute)
		wantCodes(t, "add after 11 min", a.payload("paymentMethodAdd", papiAdd, nil, nil), "REAUTHENTICATE")
		wantCodes(t, "remove after 11 min", a.payload("paymentMethodRemove", papiRemove, map[string]any{"id": pm}, nil), "REAUTHENTICATE")
		a.login(slug, "ada@example.com")
		wantCodes(t, "remove after new login", a.payload("paymentMethodRemove", papiRemove, map[string]any{"id": pm}, nil))

		// A merchant who turns the portal off ends its sessions.
		e.Query(`mutation { portalSettingsUpdate(input: {enabled: false}) { userErrors { code } } }`, nil)
		if res := a.do(papiMe, nil, nil); !isUnauthenticated(res) {
			t.Fatalf("session works with the portal off: %s", res.RawBody)
		}
	})
}

func TestPortalAPITransport(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		p := newPayT(t, e)
		slug := enablePortal(t, e, e.Key)
		p.customer("Ada Lovelace", "ada@example.com", "EUR")
		anon := newPapi(t, e)

		// Without a session: every field but login answers UNAUTHENTICATED,
		// HTTP 200.
		for _, q := range []string{papiMe, `query { invoices { totalCount } }`, `query { portal { name } }`, `mutation { logout { ok } }`, papiAdd} {
			res := anon.do(q, nil, nil)
			if !isUnauthenticated(res) {
				t.Errorf("%s without a session: status %d %s", q, res.Status, truncate(res.RawBody))
			}
		}

		// Cookie sessions: same-origin works, cross-site POSTs are refused.
		anon.startLogin(slug, "ada@example.com")
		res := anon.verify(slug, "ada@example.com", loginCode(t, e, "ada@example.com"))
		ck, ok := sessionCookie(res)
		if !ok {
			t.Fatal("no session cookie")
		}
		browser := &papiClient{t: t, e: e, cookie: ck.Value}
		if res := browser.do(papiMe, nil, map[string]string{"Sec-Fetch-Site": "same-origin"}); len(res.Errors) > 0 {
			t.Fatalf("same-origin cookie request: %s", res.RawBody)
		}
		for _, h := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}} {
			res := browser.do(`mutation { logout { ok } }`, nil, h)
			if res.Status != http.StatusForbidden {
				t.Fatalf("cross-site cookie POST %v: status %d %s", h, res.Status, res.RawBody)
			}
		}
		if res := browser.do(papiMe, nil, nil); len(res.Errors) > 0 {
			t.Fatalf("session gone after refused cross-site logout: %s", res.RawBody)
		}

		// POST application/json, at most 1 MiB, and GET for queries.
		if res := browser.post(http.MethodPut, nil, nil); res.Status != http.StatusMethodNotAllowed {
			t.Errorf("PUT: status %d", res.Status)
		}
		if res := browser.post(http.MethodPost, []byte(`query=%7Bme%7Bid%7D%7D`), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}); res.Status != http.StatusUnsupportedMediaType {
			t.Errorf("form post: status %d", res.Status)
		}
		big := append([]byte(`{"query":"query { me { id } }","variables":{"x":"`), bytes.Repeat([]byte("a"), 1<<20)...)
		big = append(big, `"}}`...)
		if res := browser.post(http.MethodPost, big, nil); res.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("2 MiB body: status %d", res.Status)
		}

		// Limits: depth and complexity.
		deep := `query { payments(first: 1) { edges { node { invoice { payments { invoice { payments { invoice { lines { amount { formatted } } } } } } } } } } }`
		if res := browser.do(deep, nil, nil); !hasCode(res, "DEPTH_LIMIT_EXCEEDED") {
			t.Errorf("deep query: %s", truncate(res.RawBody))
		}
		wide := `query { invoices(first: 100) { edges { node { payments { invoice { lines { description amount { amount formatted } } taxes { amount { amount } } installments { amount { amount } } payments { brand last4 } } } lines { description amount { amount formatted } } } } } }`
		if res := browser.do(wide, nil, nil); !hasCode(res, "COMPLEXITY_LIMIT_EXCEEDED") {
			t.Errorf("costly query: %s", truncate(res.RawBody))
		}
		if res := browser.do(`query { invoices(first: 101) { totalCount } }`, nil, nil); !hasCode(res, "BAD_USER_INPUT") {
			t.Errorf("first: 101: %s", truncate(res.RawBody))
		}
		for _, body := range []string{`{"query": "query { me { id } "}`, `{"query": "query($c: Cursor) { invoices(after: $c) { totalCount } }", "variables": {"c": "!!!"}}`, `not json`} {
			res := browser.post(http.MethodPost, []byte(body), nil)
			if res.Status == http.StatusOK && len(res.Errors) == 0 {
				t.Errorf("%s: accepted", body)
			}
			assertNoLeak(t, body, res.RawBody)
		}
	})
}
