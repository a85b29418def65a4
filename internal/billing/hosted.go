package billing

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/viewer"
)

// Hosted invoice page links live until 30 days after the due date, and
// never more than 120 days from when they were issued.
const (
	hostedAfterDue = 30 * 24 * time.Hour
	hostedMaxLife  = 120 * 24 * time.Hour
)

var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newHostedToken returns 128 random bits, the whole secret of the link.
func newHostedToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return tokenEncoding.EncodeToString(b[:])
}

// hostedExpiry is when a link issued now to an invoice due at due expires.
func hostedExpiry(now time.Time, due *time.Time) time.Time {
	from := now
	if due != nil && due.After(now) {
		from = *due
	}
	end := from.Add(hostedAfterDue)
	if limit := now.Add(hostedMaxLife); limit.Before(end) {
		return limit
	}
	return end
}

// RenewHostedLink issues a fresh hosted-page link for an issued invoice;
// the previous one stops working.
func (s *Service) RenewHostedLink(ctx context.Context, id string) (*ent.Invoice, error) {
	err := s.run(ctx, func(tx *ent.Tx) error {
		inv, err := s.load(ctx, tx, id, ActionDuplicate) // any status
		if err != nil {
			return err
		}
		if inv.Status == invoice.StatusDraft {
			return usererr.New(usererr.InvalidTransition, "a draft has no hosted page: finalize it first", "id")
		}
		now := clock.Now(ctx)
		return tx.Invoice.UpdateOne(inv).
			SetHostedToken(newHostedToken()).
			SetHostedTokenExpiresAt(hostedExpiry(now, inv.DueDate)).
			Exec(ctx)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// ErrHostedNotFound answers every token that does not open a page: unknown,
// expired, or a draft's. Callers must not tell them apart.
var ErrHostedNotFound = fmt.Errorf("hosted invoice page not found")

// Hosted resolves a hosted-page token to its invoice and a context acting
// for the invoice's account and mode, in which the page is rendered.
func (s *Service) Hosted(ctx context.Context, token string) (*ent.Invoice, context.Context, error) {
	if len(token) != 26 {
		return nil, ctx, ErrHostedNotFound
	}
	inv, err := s.db.Invoice.Query().
		Where(invoice.HostedToken(token)).
		Only(viewer.Bypass(ctx, "the token is the only credential: it finds its account"))
	if ent.IsNotFound(err) {
		return nil, ctx, ErrHostedNotFound
	}
	if err != nil {
		return nil, ctx, fmt.Errorf("look up hosted token: %w", err)
	}
	if inv.Status == invoice.StatusDraft || inv.HostedTokenExpiresAt == nil || !clock.Now(ctx).Before(*inv.HostedTokenExpiresAt) {
		return nil, ctx, ErrHostedNotFound
	}
	vctx := viewer.NewContext(ctx, viewer.HostedPayer(inv.AccountID, inv.Mode))
	return inv, vctx, nil
}
