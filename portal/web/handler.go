package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/brandimage"
	"github.com/remitbilling/remit/internal/branding"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/document"
	"github.com/remitbilling/remit/internal/payer"
	"github.com/remitbilling/remit/internal/payer/words"
	iportal "github.com/remitbilling/remit/internal/portal"
	"github.com/remitbilling/remit/internal/portalauth"
	"github.com/remitbilling/remit/internal/webpage"
	"github.com/remitbilling/remit/portal"
)

//go:embed templates/*.html static/*.css
var assets embed.FS

// pageNames are the templates under templates/, each rendered inside
// layout.html.
var pageNames = []string{"login", "code", "invoices", "invoice", "methods", "billing", "payments", "message"}

var pages = func() map[string]*template.Template {
	funcs := template.FuncMap{
		"tf": func(format string, args ...any) string { return fmt.Sprintf(format, args...) },
	}
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		out[name] = template.Must(template.Must(webpage.New("layout.html").Funcs(funcs).Parse(payer.Templates)).
			ParseFS(assets, "templates/layout.html", "templates/"+name+".html"))
	}
	return out
}()

var stylesheet = func() []byte {
	b, err := fs.ReadFile(assets, "static/portal.css")
	if err != nil {
		panic(err)
	}
	return b
}()

// contentSecurityPolicy allows the portal's own stylesheets and the logo
// (a data: URL), forms posting to the portal, and nothing else: no script
// at all. A page showing the processor's own form (Stripe's Payment
// Element) widens it by exactly what Stripe.js needs (render).
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// maxForm caps the size of a form post.
const maxForm = 64 << 10

type handler struct {
	d     portal.Deps
	payer *payer.Service
	log   *slog.Logger
}

// NewHandler serves the portal web UI under /portal/.
func NewHandler(d portal.Deps) http.Handler {
	h := &handler{d: d, log: d.Logger, payer: d.Payer}
	if h.log == nil {
		h.log = slog.Default()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /portal/assets/portal.css", h.css)
	mux.HandleFunc("GET /portal/{slug}/brand.css", h.public(h.brandCSS))

	mux.HandleFunc("GET /portal/{slug}", h.public(h.loginPage))
	mux.HandleFunc("GET /portal/{slug}/{$}", h.public(h.loginPage))
	mux.HandleFunc("GET /portal/{slug}/login", h.public(h.loginPage))
	mux.HandleFunc("POST /portal/{slug}/login", h.public(h.startLogin))
	mux.HandleFunc("POST /portal/{slug}/verify", h.public(h.verifyLogin))
	mux.HandleFunc("GET /portal/{slug}/session/{token}", h.public(h.redeemLink))
	mux.HandleFunc("POST /portal/{slug}/logout", h.public(h.logout))

	always := func(*ent.PortalConfig) bool { return true }
	pay := func(c *ent.PortalConfig) bool { return c.PayInvoices }
	methods := func(c *ent.PortalConfig) bool { return c.ManagePaymentMethods }
	details := func(c *ent.PortalConfig) bool { return c.UpdateBillingDetails }
	history := func(c *ent.PortalConfig) bool { return c.ShowHistory }
	mux.HandleFunc("GET /portal/{slug}/invoices", h.private(always, h.invoices))
	mux.HandleFunc("GET /portal/{slug}/invoices/{id}", h.private(always, h.invoice))
	mux.HandleFunc("GET /portal/{slug}/invoices/{id}/pdf", h.private(always, h.invoicePDF))
	mux.HandleFunc("GET /portal/{slug}/credit_notes/{id}/pdf", h.private(always, h.creditNotePDF))
	mux.HandleFunc("GET /portal/{slug}/statement.pdf", h.private(always, h.statementPDF))
	mux.HandleFunc("POST /portal/{slug}/invoices/{id}/pay", h.private(pay, h.pay))
	mux.HandleFunc("POST /portal/{slug}/invoices/{id}/confirm", h.private(pay, h.confirm))
	mux.HandleFunc("POST /portal/{slug}/invoices/{id}/schedule", h.private(pay, h.schedule))
	mux.HandleFunc("POST /portal/{slug}/invoices/{id}/schedule/cancel", h.private(pay, h.unschedule))
	mux.HandleFunc("GET /portal/{slug}/payment-methods", h.private(methods, h.methods))
	mux.HandleFunc("POST /portal/{slug}/payment-methods", h.private(methods, h.addMethod))
	mux.HandleFunc("POST /portal/{slug}/payment-methods/{id}/default", h.private(methods, h.defaultMethod))
	mux.HandleFunc("POST /portal/{slug}/payment-methods/{id}/remove", h.private(methods, h.removeMethod))
	mux.HandleFunc("GET /portal/{slug}/billing", h.private(details, h.billingPage))
	mux.HandleFunc("POST /portal/{slug}/billing", h.private(details, h.updateBilling))
	mux.HandleFunc("GET /portal/{slug}/payments", h.private(history, h.payments))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { h.notFound(w, r, nil) })

	// Every state change is a POST; a browser's cross-site POST (by
	// Sec-Fetch-Site, else Origin) is refused before any handler runs.
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.message(w, r, nil, http.StatusForbidden, "Forbidden", "")
	}))
	protected := csrf.Handler(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Content-Type-Options", "nosniff")
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		}
		protected.ServeHTTP(w, r)
	})
}

// req is one request to an open portal.
type req struct {
	w    http.ResponseWriter
	r    *http.Request
	p    *iportal.Portal
	acct *ent.Account
	// sess is the signed-in session of this portal, nil when signed out;
	// ctx then acts for its customer (else it is p.Ctx).
	sess *iportal.Session
	ctx  context.Context
	lang string
	t    map[string]string
	base string
}

func (q *req) customerID() string { return q.sess.Row.CustomerID }

// who is the signed-in customer as a payer (internal/payer).
func (q *req) who() payer.Payer { return payer.PortalPayer(q.p.Config, q.sess, q.base) }

func (q *req) redirect(path string) { http.Redirect(q.w, q.r, q.base+path, http.StatusSeeOther) }

func (q *req) now() time.Time { return clock.Now(q.ctx) }

// public opens the portal of the link; unknown or disabled portals get the
// same not-found page, which tells nothing.
func (h *handler) public(fn func(q *req)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		slug := r.PathValue("slug")
		p, err := h.d.Portal.Open(r.Context(), slug)
		if errors.Is(err, iportal.ErrNotFound) {
			h.notFound(w, r, nil)
			return
		}
		if err != nil {
			h.fail(w, r, nil, "open portal", err)
			return
		}
		lang := words.FromHeader(r.Header.Get("Accept-Language"))
		q := &req{w: w, r: r, p: p, ctx: p.Ctx, lang: lang, t: words.T(lang), base: "/portal/" + url.PathEscape(slug)}
		q.acct, err = h.d.DB.Account.Get(p.Ctx, p.Config.AccountID)
		if err != nil {
			h.fail(w, r, nil, "load account", err)
			return
		}
		// A session counts only on the portal of its own account and mode.
		if s, ok := portal.SessionFrom(r.Context()); ok &&
			s.Row.AccountID == p.Config.AccountID && s.Row.Mode == p.Config.Mode {
			q.sess, q.ctx = s, r.Context()
			// The customer's own language (that of their PDFs and emails)
			// comes before the browser's.
			cus, err := h.d.DB.Customer.Get(q.ctx, s.Row.CustomerID)
			if err != nil && !ent.IsNotFound(err) {
				h.fail(w, r, nil, "load customer", err)
				return
			}
			if cus != nil {
				q.lang = words.Choose(cus.PreferredLocales, r.Header.Get("Accept-Language"))
				q.t = words.T(q.lang)
			}
		}
		fn(q)
	}
}

// private is public for signed-in customers, on a feature the merchant
// turned on: signed-out requests go to the login page, and a feature
// turned off is refused.
func (h *handler) private(feature func(*ent.PortalConfig) bool, fn func(q *req)) http.HandlerFunc {
	return h.public(func(q *req) {
		if q.sess == nil {
			q.redirect("/login")
			return
		}
		q.w.Header().Set("Cache-Control", "no-store")
		if !feature(q.p.Config) {
			h.message(q.w, q.r, q, http.StatusForbidden, "Forbidden", "ForbiddenHelp")
			return
		}
		fn(q)
	})
}

// view is what every page's layout reads.
func (h *handler) view(q *req, title string, data map[string]any) map[string]any {
	v := map[string]any{"Title": title, "Active": "", "Bad": map[string]bool{}}
	for k, val := range data {
		v[k] = val
	}
	if q == nil {
		return v
	}
	v["Lang"], v["T"], v["Base"], v["Seller"] = q.lang, q.t, q.base, q.acct.Name
	v["Contact"] = q.acct.Name
	if q.acct.Email != "" {
		v["Contact"] = q.acct.Email
	}
	logo, err := h.d.DB.BrandImage.Query().Where(brandimage.KindEQ(brandimage.KindLogo)).Only(q.p.Ctx)
	if err == nil && len(logo.Data) > 0 {
		// A data: URL built here from a validated upload, hence trusted.
		v["Logo"] = template.URL(branding.DataURI(logo.ContentType, logo.Data))
	}
	if q.sess != nil {
		c := q.p.Config
		v["SignedIn"], v["Who"] = true, q.sess.Row.Email
		v["Nav"] = map[string]bool{"methods": c.ManagePaymentMethods, "billing": c.UpdateBillingDetails, "payments": c.ShowHistory}
	}
	return v
}

// render writes a page. A view with ProcessorForm set shows the
// processor's own form: the layout loads its scripts, and the policy
// admits them on that page only.
func (h *handler) render(q *req, status int, name string, v map[string]any) {
	w := q.w
	withForm, _ := v["ProcessorForm"].(bool)
	w.Header().Set("Content-Security-Policy", payer.ContentSecurityPolicy(contentSecurityPolicy, withForm))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := pages[name].Execute(w, v); err != nil {
		h.log.ErrorContext(q.r.Context(), "portal page", "page", name, "error", err)
	}
}

// message renders a page that only says something (refusals, errors).
func (h *handler) message(w http.ResponseWriter, r *http.Request, q *req, status int, key, help string) {
	if q == nil {
		lang := words.FromHeader(r.Header.Get("Accept-Language"))
		q = &req{w: w, r: r, lang: lang, t: words.T(lang)}
		v := h.view(nil, q.t[key], map[string]any{"Lang": lang, "T": q.t, "Message": q.t[key]})
		h.render(q, status, "message", v)
		return
	}
	q.w = w
	v := h.view(q, q.t[key], map[string]any{"Message": q.t[key]})
	if help != "" {
		v["Help"] = fmt.Sprintf(q.t[help], v["Contact"])
	}
	h.render(q, status, "message", v)
}

// notFound is the answer for an unknown portal, page or object: the same
// whether it does not exist or is someone else's.
func (h *handler) notFound(w http.ResponseWriter, r *http.Request, q *req) {
	h.message(w, r, q, http.StatusNotFound, "NotFound", "")
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, q *req, what string, err error) {
	h.log.ErrorContext(r.Context(), "portal: "+what, "error", err)
	h.message(w, r, q, http.StatusInternalServerError, "Error", "")
}

// css serves the portal's stylesheet; brandCSS adds the account's
// colours, so that no inline style is needed (CSP style-src 'self').
func (h *handler) css(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(stylesheet)
}

func (h *handler) brandCSS(q *req) {
	c := document.BrandColors(document.Branding{BrandColor: q.acct.BrandColor, AccentColor: q.acct.AccentColor})
	q.w.Header().Set("Content-Type", "text/css; charset=utf-8")
	q.w.Header().Set("Cache-Control", "no-cache")
	// The colours are validated "#rrggbb" values from document.BrandColors.
	fmt.Fprintf(q.w, ":root{--brand:%s;--on-brand:%s;--accent:%s;--on-accent:%s;--tint:%s}\n", c.Brand, c.OnBrand, c.Accent, c.OnAccent, c.Tint)
}

// nextSections are where a login may send the customer afterwards.
var nextSections = map[string]bool{"invoices": true, "payment-methods": true, "billing": true, "payments": true}

func nextPath(next string) string {
	if nextSections[next] {
		return "/" + next
	}
	return "/invoices"
}

// --- Sign in ------------------------------------------------------------

func (h *handler) loginPage(q *req) {
	m := q.r.URL.Query().Get("m")
	if q.sess != nil && m == "" {
		q.redirect("/invoices")
		return
	}
	email := q.r.URL.Query().Get("prefilled_email")
	if len(email) > 254 {
		email = ""
	}
	if email == "" && q.sess != nil {
		email = q.sess.Row.Email
	}
	v := map[string]any{"Email": email, "Next": q.r.URL.Query().Get("next")}
	switch m {
	case "reauth":
		v["Notice"] = q.t["Reauth"]
	case "out":
		v["Notice"] = q.t["SignedOut"]
	case "link":
		v["Notice"] = q.t["LinkInvalid"]
	}
	view := h.view(q, q.t["SignInTitle"], v)
	view["SignedIn"] = false // the login page shows no navigation
	h.render(q, http.StatusOK, "login", view)
}

func (h *handler) startLogin(q *req) {
	email := strings.TrimSpace(q.r.PostFormValue("email"))
	next := q.r.PostFormValue("next")
	err := h.d.Portal.StartLogin(q.p, email, portal.ClientIP(q.r))
	if err != nil && len(usererrCodes(err)) > 0 {
		v := h.view(q, q.t["SignInTitle"], map[string]any{"Email": email, "Next": next, "Error": q.t["InvalidEmail"]})
		v["SignedIn"] = false
		h.render(q, http.StatusUnprocessableEntity, "login", v)
		return
	}
	if err != nil {
		h.fail(q.w, q.r, q, "start login", err)
		return
	}
	// The same page whatever the email: it tells nobody who is a customer.
	v := h.view(q, q.t["CodeTitle"], map[string]any{"Email": email, "Next": next})
	v["SignedIn"] = false
	h.render(q, http.StatusOK, "code", v)
}

func (h *handler) verifyLogin(q *req) {
	email := strings.TrimSpace(q.r.PostFormValue("email"))
	next := q.r.PostFormValue("next")
	code := strings.ReplaceAll(strings.TrimSpace(q.r.PostFormValue("code")), " ", "")
	sess, err := h.d.Portal.VerifyLogin(q.p, email, code, q.r.UserAgent())
	if errors.Is(err, iportal.ErrInvalidCode) {
		v := h.view(q, q.t["CodeTitle"], map[string]any{"Email": email, "Next": next, "Error": q.t["WrongCode"]})
		v["SignedIn"] = false
		h.render(q, http.StatusUnprocessableEntity, "code", v)
		return
	}
	if err != nil {
		h.fail(q.w, q.r, q, "verify login", err)
		return
	}
	h.signIn(q, sess, nextPath(next))
}

// signIn replaces the browser's session with sess.
func (h *handler) signIn(q *req, sess *iportal.Session, path string) {
	if q.sess != nil {
		if err := h.d.Portal.Logout(q.ctx, q.sess); err != nil {
			h.log.WarnContext(q.r.Context(), "portal: revoke replaced session", "error", err)
		}
	}
	portal.SetCookie(q.w, sess)
	q.redirect(path)
}

func (h *handler) redeemLink(q *req) {
	sess, err := h.d.Portal.RedeemLink(q.p, q.r.PathValue("token"), q.r.UserAgent())
	if errors.Is(err, iportal.ErrInvalidLink) {
		q.redirect("/login?m=link")
		return
	}
	if err != nil {
		h.fail(q.w, q.r, q, "redeem link", err)
		return
	}
	h.signIn(q, sess, "/invoices")
}

func (h *handler) logout(q *req) {
	if q.sess != nil {
		if err := h.d.Portal.Logout(q.ctx, q.sess); err != nil {
			h.fail(q.w, q.r, q, "logout", err)
			return
		}
	}
	http.SetCookie(q.w, portalauth.ClearSessionCookie())
	q.redirect("/login?m=out")
}
