package accounts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/brandimage"
	"github.com/remitbilling/remit/internal/branding"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/viewer"
)

// SetImage validates and stores the account's logo or icon, replacing the
// previous one. A refused upload leaves the current image in place.
func (s *Service) SetImage(ctx context.Context, kind branding.Kind, contentType string, data []byte) (*ent.BrandImage, error) {
	img, err := branding.Validate(ctx, kind, contentType, data)
	var be *branding.Error
	switch {
	case errors.As(err, &be) && be.TooLarge:
		return nil, usererr.New(usererr.ImageTooLarge, be.Reason, "data")
	case errors.As(err, &be):
		return nil, usererr.New(usererr.InvalidImage, be.Reason, "data")
	case err != nil:
		return nil, fmt.Errorf("check %s: %w", kind, err) // the request ended, not the image's fault
	}
	v, ok := viewer.FromContext(ctx)
	if !ok {
		return nil, errors.New("no viewer")
	}
	var out *ent.BrandImage
	err = dbtx.Run(ctx, s.db, func(tx *ent.Tx) error {
		if _, err := tx.BrandImage.Delete().Where(brandimage.KindEQ(brandimage.Kind(kind))).Exec(ctx); err != nil {
			return fmt.Errorf("replace %s: %w", kind, err)
		}
		out, err = tx.BrandImage.Create().
			SetAccountID(v.AccountID).
			SetKind(brandimage.Kind(kind)).
			SetContentType(img.ContentType).
			SetData(img.Data).
			SetWidth(img.Width).
			SetHeight(img.Height).
			SetSha256(img.SHA256).
			Save(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", kind, err)
	}
	return out, nil
}

// RemoveImage deletes the account's logo or icon; documents fall back to
// the seller's name.
func (s *Service) RemoveImage(ctx context.Context, kind branding.Kind) error {
	if _, err := s.db.BrandImage.Delete().Where(brandimage.KindEQ(brandimage.Kind(kind))).Exec(ctx); err != nil {
		return fmt.Errorf("remove %s: %w", kind, err)
	}
	return nil
}

// Image returns the account's logo or icon, or nil when it has none.
func (s *Service) Image(ctx context.Context, kind branding.Kind) (*ent.BrandImage, error) {
	img, err := s.db.BrandImage.Query().Where(brandimage.KindEQ(brandimage.Kind(kind))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", kind, err)
	}
	return img, nil
}

// UpdatePayments sets the payment method types invoices accept and the
// bank transfer instructions; nil leaves a setting as it is.
func (s *Service) UpdatePayments(ctx context.Context, types []string, instructions *string) (*ent.Account, error) {
	var errs usererr.List
	known := map[string]bool{"CARD": true, "SEPA_DEBIT": true, "ACH_DEBIT": true, "BANK_TRANSFER": true}
	for i, t := range types {
		if !known[t] {
			errs = append(errs, usererr.Newf(usererr.Invalid, []string{"paymentMethodTypes", fmt.Sprint(i)}, "unknown payment method type %q", t))
		}
	}
	if instructions != nil {
		trimmed := strings.TrimSpace(*instructions)
		instructions = &trimmed
		if len([]rune(trimmed)) > 1000 {
			errs = append(errs, usererr.New(usererr.LimitExceeded, "bankTransferInstructions is at most 1000 characters", "bankTransferInstructions"))
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	v, ok := viewer.FromContext(ctx)
	if !ok {
		return nil, errors.New("no viewer")
	}
	u := s.db.Account.UpdateOneID(v.AccountID).SetNillableBankTransferInstructions(instructions)
	if types != nil {
		u.SetPaymentMethodTypes(slices.Compact(slices.Sorted(slices.Values(types))))
	}
	return u.Save(ctx)
}
