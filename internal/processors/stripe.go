package processors

import (
	"context"
	"fmt"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/internal/payments"
	"github.com/remitbilling/remit/internal/payments/stripeproc"
	"github.com/remitbilling/remit/internal/viewer"
)

// Stripe is an account's connected Stripe processor: stripeproc's
// Processor, plus what needs the connection and the database (the Stripe
// customer each Remit customer's saved methods hang on).
type Stripe struct {
	*stripeproc.Processor
	svc  *Service
	conn *ent.ProcessorConnection
}

var _ payments.Collecting = (*Stripe)(nil)

// PublishableKey is the connection's publishable key.
func (s *Stripe) PublishableKey() string { return s.conn.PublishableKey }

// SetupSession starts a SetupIntent for saving a method on the customer's
// Stripe customer (created on first use).
func (s *Stripe) SetupSession(ctx context.Context, c payments.Customer, types []payments.MethodType) (string, error) {
	ref, err := s.customerRef(ctx, c)
	if err != nil {
		return "", err
	}
	return s.SetupIntent(ctx, ref, types)
}

// Collected turns a PaymentMethod id the Payment Element collected into a
// storable method: attached to the customer's Stripe customer when saved,
// else only checked not to be another customer's.
func (s *Stripe) Collected(ctx context.Context, c payments.Customer, token string, save bool) (payments.Method, error) {
	if !save {
		ref := ""
		if c.ID != "" {
			var err error
			if ref, err = s.knownCustomerRef(ctx, c.ID); err != nil {
				return payments.Method{}, err
			}
		}
		return s.Method(ctx, ref, token)
	}
	ref, err := s.customerRef(ctx, c)
	if err != nil {
		return payments.Method{}, err
	}
	return s.AttachMethod(ctx, ref, token)
}

// ActionSecret is the client secret of a PaymentIntent awaiting its payer.
func (s *Stripe) ActionSecret(ctx context.Context, reference string) (string, error) {
	a, err := s.NextAction(ctx, reference)
	if err != nil {
		return "", err
	}
	return a.ClientSecret, nil
}

// bookkeeping reads and writes a customer's processor reference whoever
// acts (a portal customer saving a card, the merchant): it is the
// processor's handle, not something the actor changes.
func bookkeeping(ctx context.Context) context.Context {
	return viewer.Bypass(ctx, "a customer's processor reference is bookkeeping of the connection")
}

// knownCustomerRef is the customer's Stripe customer on this connection,
// or "" when none was created yet.
func (s *Stripe) knownCustomerRef(ctx context.Context, customerID string) (string, error) {
	row, err := s.svc.cfg.DB.Customer.Query().
		Where(customer.ID(customerID), customer.AccountID(s.conn.AccountID), customer.ModeEQ(s.conn.Mode)).
		Select(customer.FieldProcessorCustomerRef, customer.FieldProcessorConnectionID).
		Only(bookkeeping(ctx))
	if err != nil {
		return "", fmt.Errorf("processors: load customer: %w", err)
	}
	if row.ProcessorConnectionID != s.conn.ID {
		return "", nil
	}
	return row.ProcessorCustomerRef, nil
}

// customerRef is the customer's Stripe customer on this connection,
// created the first time. Stripe's idempotency key (connection and
// customer) makes two concurrent first uses create one.
func (s *Stripe) customerRef(ctx context.Context, c payments.Customer) (string, error) {
	ref, err := s.knownCustomerRef(ctx, c.ID)
	if err != nil || ref != "" {
		return ref, err
	}
	ref, err = s.CreateCustomer(ctx, stripeproc.Customer{Name: c.Name, Email: c.Email, RemitID: c.ID, ConnectionID: s.conn.ID})
	if err != nil {
		return "", err
	}
	err = s.svc.cfg.DB.Customer.Update().
		Where(customer.ID(c.ID), customer.AccountID(s.conn.AccountID), customer.ModeEQ(s.conn.Mode)).
		SetProcessorCustomerRef(ref).SetProcessorConnectionID(s.conn.ID).
		Exec(bookkeeping(ctx))
	if err != nil {
		return "", fmt.Errorf("processors: save customer reference: %w", err)
	}
	return ref, nil
}

// webhookSecrets are the account's webhook signing secrets, by mode, of
// the connections that have one.
func (s *Service) webhookSecrets(ctx context.Context, accountID string) (map[viewer.Mode]string, error) {
	out := map[viewer.Mode]string{}
	for _, m := range []viewer.Mode{viewer.Live, viewer.Test} {
		c, err := s.connected(ctx, accountID, m)
		if err != nil {
			return nil, err
		}
		if c.webhookSecret != "" {
			out[m] = c.webhookSecret
		}
	}
	return out, nil
}
