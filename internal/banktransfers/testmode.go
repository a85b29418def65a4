package banktransfers

import (
	"context"
	"fmt"
	"strings"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/banktransfer"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/internal/banking"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/ids"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/viewer"
)

// TestTransfer is a transfer simulated in test mode.
type TestTransfer struct {
	// CustomerID sends it with the customer's own creditor reference;
	// Reference with any reference (an invoice's RF, an invoice number).
	CustomerID string
	Reference  string
	// Amount in major units of Currency.
	Amount           string
	Currency         string
	Remittance       string
	CounterpartyName string
	CounterpartyIBAN string
}

// ReceiveTest simulates an incoming transfer in test mode, through the
// same matching as an imported statement.
func (s *Service) ReceiveTest(ctx context.Context, in TestTransfer) (*ent.BankTransfer, error) {
	if v, _ := viewer.FromContext(ctx); v.Mode != viewer.Test {
		return nil, usererr.New(usererr.Invalid, "simulated transfers are for test mode only: use a test key")
	}
	var errs usererr.List
	currency := strings.ToUpper(strings.TrimSpace(in.Currency))
	amount, err := money.ParseAmount(in.Amount, currency, "amount")
	if errs.Add(err) && amount <= 0 {
		errs = append(errs, usererr.New(usererr.InvalidAmount, "the amount is more than zero", "amount"))
	}
	iban := ""
	if strings.TrimSpace(in.CounterpartyIBAN) != "" {
		if iban, err = banking.ParseIBAN(in.CounterpartyIBAN); err != nil {
			errs = append(errs, usererr.New(usererr.Invalid, "not a valid IBAN", "counterpartyIban"))
		}
	}
	remittance := strings.TrimSpace(in.Reference + " " + in.Remittance)
	if in.CustomerID != "" {
		c, err := s.db.Customer.Query().Where(customer.ID(in.CustomerID)).Only(ctx)
		if ent.IsNotFound(err) {
			errs = append(errs, usererr.New(usererr.NotFound, "no such customer", "customer"))
		} else if err != nil {
			return nil, fmt.Errorf("load customer: %w", err)
		} else {
			remittance = strings.TrimSpace(banking.Reference(c.TransferReference) + " " + remittance)
		}
	}
	if len([]rune(remittance)) > 1000 {
		errs = append(errs, usererr.New(usererr.LimitExceeded, "the remittance is at most 1000 characters", "remittance"))
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	now := clock.Now(ctx)
	t, _, err := s.Receive(ctx, Credit{Source: banktransfer.SourceTest, Entry: banking.Entry{
		Key: ids.New("test", now), Credit: true, Amount: amount, Currency: currency, BookedAt: now,
		CounterpartyName: in.CounterpartyName, CounterpartyIBAN: iban, Remittance: remittance,
	}})
	return t, err
}
