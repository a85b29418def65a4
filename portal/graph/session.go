package graph

import (
	"context"

	"github.com/remitbilling/remit/ent"
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

// manageMethods checks what payment method changes need: the merchant's
// feature and a recent login.
func (r *Resolver) manageMethods(ctx context.Context) (*portal.Session, error) {
	s, err := session(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.feature(ctx, func(c *ent.PortalConfig) bool { return c.ManagePaymentMethods }); err != nil {
		return nil, err
	}
	if err := portal.RequireRecentLogin(ctx, s); err != nil {
		return nil, err
	}
	return s, nil
}

// maxKeyLength leaves room for the portal's prefix within the 255
// characters a payment's key may have.
const maxKeyLength = 200

var errKeyRequired = usererr.New(usererr.IdempotencyKeyRequired, "payments need an Idempotency-Key header, so that a retry never charges twice")

// idempotencyKey reads the request's Idempotency-Key header.
func idempotencyKey(ctx context.Context) (string, error) {
	st := state(ctx)
	if st == nil {
		return "", errKeyRequired
	}
	k := st.r.Header.Get("Idempotency-Key")
	if k == "" {
		return "", errKeyRequired
	}
	if len(k) > maxKeyLength {
		return "", usererr.New(CodeIdempotencyKeyInvalid, "the Idempotency-Key header is at most 200 characters")
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return "", usererr.New(CodeIdempotencyKeyInvalid, "the Idempotency-Key header is printable ASCII without spaces")
		}
	}
	return k, nil
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
