package portal

import (
	"log/slog"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/accounts"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/customers"
	"github.com/remitbilling/remit/internal/eventstream"
	"github.com/remitbilling/remit/internal/payer"
	"github.com/remitbilling/remit/internal/paymentmethods"
	"github.com/remitbilling/remit/internal/portal"
	"github.com/remitbilling/remit/internal/receivables"
)

// Deps are the domain services the portal's API and UI share with the
// merchant API. Every call they make runs in a context acting for the
// signed-in customer, so the data layer confines it to that customer.
type Deps struct {
	DB        *ent.Client
	Portal    *portal.Service
	Billing   *billing.Service
	Methods   *paymentmethods.Service
	Customers *customers.Service
	Accounts  *accounts.Service
	// Payer is the payer's side: what the customer sees of an invoice and
	// can do about it.
	Payer  *payer.Service
	Logger *slog.Logger
	// Receivables reads the customer's statement.
	Receivables *receivables.Service
	// Events follows the event log for subscriptions.
	Events *eventstream.Hub
}
