package billing

import (
	"context"
	"encoding/json"
	"fmt"

	"entgo.io/ent/dialect/sql"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/internal/collection"
	"github.com/remitbilling/remit/internal/values"
)

// collectionSettings resolves the settings inv lives under: Remit's
// defaults, the account's, its customer's, its own. The customer's
// overrides are read in tx (one column of one row; outside a transaction
// when tx is nil) unless cus, the customer as the caller already read
// it, is given, or the invoice was read with them (withCustomerSettings).
func (s *Service) collectionSettings(ctx context.Context, tx *ent.Tx, inv *ent.Invoice, cus *ent.Customer) (collection.Settings, error) {
	acct, err := s.accounts.Get(ctx)
	if err != nil {
		return collection.Settings{}, fmt.Errorf("load account: %w", err)
	}
	var own *values.CollectionSettings
	switch raw, read := inv.Value(customerSettingsColumn); {
	case cus != nil:
		own = cus.CollectionSettings
	case read == nil:
		if own, err = decodeSettings(raw); err != nil {
			return collection.Settings{}, err
		}
	default:
		customers := s.db.Customer
		if tx != nil {
			customers = tx.Customer
		}
		if own, err = customerCollectionSettings(ctx, customers, inv.CustomerID); err != nil {
			return collection.Settings{}, err
		}
	}
	return collection.Resolve(acct.CollectionSettings, own, inv.CollectionSettings), nil
}

// customerCollectionSettings reads a customer's overrides alone.
func customerCollectionSettings(ctx context.Context, customers *ent.CustomerClient, customerID string) (*values.CollectionSettings, error) {
	var rows []struct {
		Settings []byte `json:"collection_settings"`
	}
	err := customers.Query().Where(customer.ID(customerID)).
		Modify(func(s *sql.Selector) { s.Select(s.C(customer.FieldCollectionSettings)) }).
		Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("load customer collection settings: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return decodeSettings(rows[0].Settings)
}

// customerSettingsColumn is the extra column withCustomerSettings selects.
const customerSettingsColumn = "customer_collection_settings"

// withCustomerSettings makes an invoice read carry its customer's
// collection overrides, in the same statement, for collectionSettings:
// a payment's outcome (a receipt or not, a retry or not) needs them.
func withCustomerSettings(s *sql.Selector) {
	c := sql.Table(customer.Table)
	s.AppendSelectExprAs(
		sql.Select(c.C(customer.FieldCollectionSettings)).From(c).
			Where(sql.ColumnsEQ(c.C(customer.FieldID), s.C(invoice.FieldCustomerID))),
		customerSettingsColumn)
}

// decodeSettings reads stored settings as the driver returns them (text
// on SQLite, bytes on PostgreSQL; NULL for none).
func decodeSettings(raw any) (*values.CollectionSettings, error) {
	var b []byte
	switch v := raw.(type) {
	case nil:
		return nil, nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return nil, fmt.Errorf("customer collection settings read as %T", raw)
	}
	if len(b) == 0 || string(b) == "null" {
		return nil, nil
	}
	out := &values.CollectionSettings{}
	if err := json.Unmarshal(b, out); err != nil {
		return nil, fmt.Errorf("decode customer collection settings: %w", err)
	}
	return out, nil
}
