package graph

import (
	"context"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/payer"
	"github.com/remitbilling/remit/internal/portal"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/values"
	"github.com/remitbilling/remit/portal/graph/model"
)

// sessionFailed maps a failed login, link or switch to its payload.
func sessionFailed(err error) (*model.PortalSessionPayload, error) {
	ue, err := userErrors(err, "input")
	return &model.PortalSessionPayload{UserErrors: ue}, err
}

// signedIn answers with a (new) session token and its customer, and sets
// the session cookie: always after a login, else when the request itself
// came with the cookie.
func (r *Resolver) signedIn(ctx context.Context, s *portal.Session, login bool) (*model.PortalSessionPayload, error) {
	c, err := r.DB.Customer.Get(customerCtx(ctx, s), s.Row.CustomerID)
	if err != nil {
		return nil, err
	}
	setCookie(ctx, s, login)
	tok, exp := s.Token, s.ExpiresAt
	return &model.PortalSessionPayload{Token: &tok, ExpiresAt: &exp, Customer: c, UserErrors: []*usererr.Error{}}, nil
}

// who is the signed-in customer as a payer: the payer layer
// (internal/payer) applies the merchant's features, the recent-login rule
// and the idempotency-key namespace.
func (r *Resolver) who(ctx context.Context) (payer.Payer, error) {
	s, err := session(ctx)
	if err != nil {
		return payer.Payer{}, err
	}
	cfg, err := r.config(ctx)
	if err != nil {
		return payer.Payer{}, err
	}
	return payer.PortalPayer(cfg, s, ""), nil
}

// methodPayload maps a payment method change; its user errors go on field
// (those about no field, such as a feature turned off, stay there).
func methodPayload(pm *ent.PaymentMethod, err error, field ...string) (*model.PaymentMethodPayload, error) {
	ue, err := userErrors(err)
	if len(ue) > 0 || err != nil {
		return &model.PaymentMethodPayload{UserErrors: onField(ue, field...)}, err
	}
	return &model.PaymentMethodPayload{PaymentMethod: pm, UserErrors: ue}, nil
}

// idempotencyKey is the request's Idempotency-Key header, which the payer
// layer checks.
func idempotencyKey(ctx context.Context) string {
	if st := state(ctx); st != nil {
		return st.r.Header.Get("Idempotency-Key")
	}
	return ""
}

func addressOf(in *model.AddressInput) *values.Address {
	if in == nil {
		return nil
	}
	return &values.Address{
		Line1: str(in.Line1), Line2: str(in.Line2), City: str(in.City),
		State: str(in.State), PostalCode: str(in.PostalCode), Country: str(in.Country),
	}
}
