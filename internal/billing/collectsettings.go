package billing

import (
	"context"
	"encoding/json"
	"fmt"

	"entgo.io/ent/dialect/sql"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/internal/collection"
	"github.com/remitbilling/remit/internal/values"
)

// collectionSettings resolves the settings inv lives under: Remit's
// defaults, the account's, its customer's, its own. The customer's
// overrides are read in tx (one column of one row) unless cus, the
// customer as the caller already read it, is given.
func (s *Service) collectionSettings(ctx context.Context, tx *ent.Tx, inv *ent.Invoice, cus *ent.Customer) (collection.Settings, error) {
	acct, err := s.accounts.Get(ctx)
	if err != nil {
		return collection.Settings{}, fmt.Errorf("load account: %w", err)
	}
	var own *values.CollectionSettings
	if cus != nil {
		own = cus.CollectionSettings
	} else if own, err = customerCollectionSettings(ctx, tx, inv.CustomerID); err != nil {
		return collection.Settings{}, err
	}
	return collection.Resolve(acct.CollectionSettings, own, inv.CollectionSettings), nil
}

// customerCollectionSettings reads a customer's overrides alone.
func customerCollectionSettings(ctx context.Context, tx *ent.Tx, customerID string) (*values.CollectionSettings, error) {
	var rows []struct {
		Settings []byte `json:"collection_settings"`
	}
	err := tx.Customer.Query().Where(customer.ID(customerID)).
		Modify(func(s *sql.Selector) { s.Select(s.C(customer.FieldCollectionSettings)) }).
		Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("load customer collection settings: %w", err)
	}
	if len(rows) == 0 || len(rows[0].Settings) == 0 || string(rows[0].Settings) == "null" {
		return nil, nil
	}
	out := &values.CollectionSettings{}
	if err := json.Unmarshal(rows[0].Settings, out); err != nil {
		return nil, fmt.Errorf("decode customer collection settings: %w", err)
	}
	return out, nil
}
