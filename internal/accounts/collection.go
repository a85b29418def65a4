package accounts

import (
	"context"
	"errors"
	"fmt"

	"entgo.io/ent/dialect/sql"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/account"
	"github.com/remitbilling/remit/internal/collection"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/values"
	"github.com/remitbilling/remit/internal/viewer"
)

// UpdateCollectionSettings changes the parts of the viewer's account's
// collection settings that patch sets, for both modes. Invalid settings
// are refused whole, at field paths under path. The change applies to
// what is planned from then on: an invoice's next step is planned again
// when it comes (a reminder removed is not sent; one added before an
// invoice's next planned step is sent from that step on).
func (s *Service) UpdateCollectionSettings(ctx context.Context, patch *values.CollectionSettings, path ...string) (*ent.Account, error) {
	if err := collection.Validate(patch, path...); err != nil {
		return nil, err
	}
	v, ok := viewer.FromContext(ctx)
	if !ok {
		return nil, errors.New("no viewer")
	}
	var out *ent.Account
	err := dbtx.Run(ctx, s.db, func(tx *ent.Tx) error {
		// Read and written in one transaction, so two updates of
		// different parts both stand.
		cur, err := tx.Account.Query().Where(account.ID(v.AccountID)).Modify(func(s *sql.Selector) {
			if dbtx.Locking(s.Dialect()) {
				dbtx.ForNoKeyUpdate(s)
			}
		}).Only(ctx)
		if err != nil {
			return fmt.Errorf("load account: %w", err)
		}
		merged := collection.Merge(cur.CollectionSettings, patch)
		if err := collection.CheckResolved(collection.Resolve(merged), path...); err != nil {
			return err
		}
		out, err = tx.Account.UpdateOne(cur).SetCollectionSettings(merged).Save(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}
