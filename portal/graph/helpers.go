package graph

import (
	"context"
	"errors"
	"net/http"
	"sync"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/payer"
	"github.com/remitbilling/remit/internal/portal"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/viewer"
	portalhttp "github.com/remitbilling/remit/portal"
	"github.com/remitbilling/remit/portal/graph/generated"
)

// Codes only the portal returns (usererr has the shared ones).
const (
	CodeInvalidCode           usererr.Code = "INVALID_CODE"
	CodeInvalidLink           usererr.Code = "INVALID_LINK"
	CodeFeatureDisabled       usererr.Code = "FEATURE_DISABLED"
	CodeReauthenticate        usererr.Code = "REAUTHENTICATE"
	CodeIdempotencyKeyInvalid              = payer.CodeIdempotencyKeyInvalid
)

// Codes lists every code of the portal's UserErrorCode enum. A service
// error with any other code is reported as INVALID (with its message), so
// the portal never answers a value its schema does not declare.
var Codes = []usererr.Code{
	usererr.Invalid, usererr.Required, usererr.NotFound, usererr.LimitExceeded, usererr.InvalidEmail,
	CodeInvalidCode, CodeInvalidLink, CodeFeatureDisabled, CodeReauthenticate,
	usererr.InvalidLocale, usererr.InvalidCountry, usererr.InvalidPhone, usererr.InvalidTaxID,
	usererr.UnsupportedTaxID, usererr.InvalidSIREN, usererr.InvalidSIRET,
	usererr.InvalidCardNumber, usererr.ExpiredCard, usererr.InvalidCard, usererr.ProcessorUnavailable,
	usererr.InvalidTransition, usererr.InvalidAmount, usererr.AmountExceedsRemaining,
	usererr.IdempotencyKeyRequired, CodeIdempotencyKeyInvalid, usererr.PaymentMethodNotAccepted,
	usererr.CurrencyMismatch, usererr.InvalidString, usererr.SchedulingDisabled, usererr.ScheduledAfterDueDate,
	// Of the processor codes, those a payer can meet: the merchant's own
	// (keys, connecting) never come from a portal action.
	usererr.RawPaymentDetailsRefused, usererr.InvalidProcessorPaymentMethod,
}

var knownCodes = func() map[usererr.Code]bool {
	m := make(map[usererr.Code]bool, len(Codes))
	for _, c := range Codes {
		m[c] = true
	}
	return m
}()

// invalidCodeMessage is the one answer to every failed code check: wrong,
// expired, used, burnt, or an email no customer has.
const invalidCodeMessage = "this code is not valid: it may be wrong, expired or already used; ask for a new one"

// reqState is what resolvers need of the HTTP exchange, plus per-request
// caches.
type reqState struct {
	w  http.ResponseWriter
	r  *http.Request
	id string
	// cookieAuth: the request carries no Authorization header, so its
	// session (if any) came from the cookie, which is then kept current.
	cookieAuth bool

	cfgOnce sync.Once
	cfg     *ent.PortalConfig
	cfgErr  error

	acctOnce sync.Once
	acct     *ent.Account
	acctErr  error

	mu      sync.Mutex
	methods map[string]*ent.PaymentMethod
}

type stateKey struct{}

func state(ctx context.Context) *reqState {
	st, _ := ctx.Value(stateKey{}).(*reqState)
	return st
}

// session returns the signed-in session; requireSession has checked it is
// there for every field that calls this.
func session(ctx context.Context) (*portal.Session, error) {
	s, ok := portalhttp.SessionFrom(ctx)
	if !ok {
		return nil, unauthenticated(nil)
	}
	return s, nil
}

// merchantCtx acts for the session's account and mode without the
// customer: for the merchant's own settings and branding, which customers'
// viewers cannot read. Only the fields the portal schema exposes are read.
func merchantCtx(ctx context.Context) context.Context {
	v, _ := viewer.FromContext(ctx)
	return viewer.NewContext(ctx, v.WithoutCustomer())
}

// customerCtx acts for a session's customer (after a login or a switch in
// this request, the request's own viewer is not that yet).
func customerCtx(ctx context.Context, s *portal.Session) context.Context {
	return viewer.NewContext(ctx, viewer.PortalCustomer(s.Row.AccountID, s.Row.Mode, s.Row.CustomerID))
}

// config returns the portal settings of the session's account and mode,
// read once per request.
func (r *Resolver) config(ctx context.Context) (*ent.PortalConfig, error) {
	st := state(ctx)
	if st == nil {
		return r.DB.PortalConfig.Query().Only(merchantCtx(ctx))
	}
	st.cfgOnce.Do(func() { st.cfg, st.cfgErr = r.DB.PortalConfig.Query().Only(merchantCtx(ctx)) })
	return st.cfg, st.cfgErr
}

// account returns the merchant's account (its payment settings), read
// once per request.
func (r *Resolver) account(ctx context.Context) (*ent.Account, error) {
	load := func() (*ent.Account, error) {
		cfg, err := r.config(ctx)
		if err != nil {
			return nil, err
		}
		return r.DB.Account.Get(merchantCtx(ctx), cfg.AccountID)
	}
	st := state(ctx)
	if st == nil {
		return load()
	}
	st.acctOnce.Do(func() { st.acct, st.acctErr = load() })
	return st.acct, st.acctErr
}

// paymentMethod loads a payment method once per request (its display
// fields never change).
func (r *Resolver) paymentMethod(ctx context.Context, id string) (*ent.PaymentMethod, error) {
	st := state(ctx)
	if st != nil {
		st.mu.Lock()
		pm, ok := st.methods[id]
		st.mu.Unlock()
		if ok {
			return pm, nil
		}
	}
	pm, err := r.DB.PaymentMethod.Get(ctx, id)
	if ent.IsNotFound(err) {
		pm, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	if st != nil {
		st.mu.Lock()
		if st.methods == nil {
			st.methods = map[string]*ent.PaymentMethod{}
		}
		st.methods[id] = pm
		st.mu.Unlock()
	}
	return pm, nil
}

// setCookie keeps a cookie session current (logins always set it).
func setCookie(ctx context.Context, s *portal.Session, always bool) {
	if st := state(ctx); st != nil && (always || st.cookieAuth) {
		portalhttp.SetCookie(st.w, s)
	}
}

func clientIP(ctx context.Context) string {
	st := state(ctx)
	if st == nil {
		return ""
	}
	return portalhttp.ClientIP(st.r)
}

func userAgent(ctx context.Context) string {
	if st := state(ctx); st != nil {
		return st.r.UserAgent()
	}
	return ""
}

// userErrors splits a service error into the user errors to return in the
// payload, with their field paths under prefix, or an internal error to
// report (masked) at the top level. The portal's own sentinel errors become
// their codes; codes outside the portal's enum become INVALID.
func userErrors(err error, prefix ...string) ([]*usererr.Error, error) {
	if err == nil {
		return []*usererr.Error{}, nil
	}
	switch {
	case errors.Is(err, portal.ErrFeatureOff):
		return []*usererr.Error{usererr.New(CodeFeatureDisabled, "the merchant turned this feature of the portal off")}, nil
	case errors.Is(err, portal.ErrReauthenticate):
		return []*usererr.Error{usererr.New(CodeReauthenticate, "sign in again with a new code to do this")}, nil
	case errors.Is(err, portal.ErrInvalidCode):
		return []*usererr.Error{usererr.At(usererr.New(CodeInvalidCode, invalidCodeMessage, "code"), prefix...)}, nil
	case errors.Is(err, portal.ErrInvalidLink):
		return []*usererr.Error{usererr.At(usererr.New(CodeInvalidLink, "this login link is not valid: it may be expired or already used", "token"), prefix...)}, nil
	case errors.Is(err, portal.ErrNotFound):
		return []*usererr.Error{usererr.At(usererr.New(usererr.NotFound, "no such portal", "portal"), prefix...)}, nil
	}
	ue := usererr.From(err)
	if ue == nil {
		return nil, err
	}
	out := make([]*usererr.Error, len(ue))
	for i, e := range ue {
		if len(e.Field) > 0 {
			// An error about no field (a missing Idempotency-Key, a
			// processor that is down) stays about none.
			e = usererr.At(e, prefix...)
		}
		if !knownCodes[e.Code] {
			e.Code = usererr.Invalid
		}
		out[i] = e
	}
	return out, nil
}

// warningsOf maps a service's warnings as userErrors maps its errors
// (fields under prefix, codes in the portal's enum); none is an empty
// list.
func warningsOf(ws []*usererr.Error, prefix ...string) []*usererr.Error {
	if len(ws) == 0 {
		return []*usererr.Error{}
	}
	out, _ := userErrors(usererr.List(ws), prefix...)
	return out
}

// onField moves user errors about a field to another field path; those
// about none (a feature turned off, a login to renew) stay so.
func onField(ue []*usererr.Error, field ...string) []*usererr.Error {
	for i, e := range ue {
		if len(e.Field) > 0 {
			ue[i] = &usererr.Error{Field: field, Code: e.Code, Message: e.Message}
		}
	}
	return ue
}

// maxPage bounds every connection page.
const maxPage = 100

func pageSize(n int) (int, error) {
	if n < 1 || n > maxPage {
		return 0, &gqlerror.Error{
			Message:    "first: must be within 1-100",
			Extensions: map[string]any{"code": "BAD_USER_INPUT", "argument": "first"},
		}
	}
	return n, nil
}

// orNil turns "not found" into a null result: a missing object and another
// customer's object look the same.
func orNil[T any](v *T, err error) (*T, error) {
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return v, err
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Weights of lists in the complexity budget.
const (
	linesWeight    = 10
	paymentsWeight = 5
	planWeight     = 4
)

// setComplexity prices connections by the page asked for and lists by a
// typical size, so a wide or deeply nested query is refused before it runs.
func setComplexity(c *generated.ComplexityRoot) {
	page := func(child int, first int) int { return 2 + max(first, 1)*child }
	c.Query.Invoices = func(child int, first int, _ *ent.Cursor, _ []string) int { return page(child, first) }
	c.Query.Payments = func(child int, first int, _ *ent.Cursor) int { return page(child, first) }
	c.Invoice.Lines = func(child int) int { return 1 + linesWeight*child }
	c.Invoice.Payments = func(child int) int { return 1 + paymentsWeight*child }
	c.Invoice.Installments = func(child int) int { return 1 + planWeight*child }
	c.Invoice.Taxes = func(child int) int { return 1 + planWeight*child }
}

// nonEmpty is s, or null when empty.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
