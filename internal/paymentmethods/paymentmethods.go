// Package paymentmethods saves customers' ways to pay: it hands raw card
// and bank details to the processor of the caller's mode, which returns a
// token, and stores only the token and what may be shown (brand, last
// four digits, expiry, bank code).
package paymentmethods

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/ent/paymentmethod"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/events"
	"github.com/remitbilling/remit/internal/payments"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/viewer"
)

// Service manages payment methods.
type Service struct {
	db    *ent.Client
	procs payments.Lookup
}

// Config is what a Service needs.
type Config struct {
	DB *ent.Client
	// Processors tokenize cards and debit mandates, or take those their
	// own form collected, for each account and mode.
	Processors payments.Lookup
}

// Validate reports a missing dependency.
func (c Config) Validate() error {
	if c.DB == nil || c.Processors == nil {
		return errors.New("paymentmethods: DB and Processors are required")
	}
	return nil
}

// New returns a Service built from cfg.
func New(cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Service{db: cfg.DB, procs: cfg.Processors}, nil
}

// AttachInput is one way to pay, exactly one of Card, SEPA, ACH and
// Collected.
type AttachInput struct {
	CustomerID string
	Card       *payments.CardInput
	SEPA       *payments.SEPAInput
	ACH        *payments.ACHInput
	// Collected is a method the processor's own form collected (Stripe's
	// PaymentMethod id, pm_…): the only way in when the processor
	// collects details itself (payments.Collecting).
	Collected string
	// SetDefault makes it the customer's default; a customer's first
	// method becomes the default anyway, unless NeverDefault.
	SetDefault bool
	// NeverDefault keeps the method from becoming the default as the
	// customer's first: a card saved from a hosted invoice link, for one
	// scheduled payment, is not what the merchant charges next.
	NeverDefault bool
}

// Attach tokenizes the details and saves the method for the customer.
func (s *Service) Attach(ctx context.Context, in AttachInput) (*ent.PaymentMethod, error) {
	var raw any
	n := 0
	if in.Card != nil {
		raw, n = *in.Card, n+1
	}
	if in.SEPA != nil {
		raw, n = *in.SEPA, n+1
	}
	if in.ACH != nil {
		raw, n = *in.ACH, n+1
	}
	if in.Collected != "" {
		n++
	}
	if n != 1 {
		return nil, usererr.New(usererr.Invalid, "give exactly one of card, sepaDebit, achDebit and processorPaymentMethod", "card")
	}
	cus, err := s.db.Customer.Query().Where(customer.ID(in.CustomerID), customer.DeletedAtIsNil()).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, usererr.New(usererr.NotFound, "no such customer", "customer")
	}
	if err != nil {
		return nil, fmt.Errorf("load customer: %w", err)
	}
	proc, err := s.processor(ctx)
	if err != nil {
		return nil, err
	}
	var m payments.Method
	if in.Collected != "" {
		m, err = Collected(ctx, proc, payments.Customer{ID: cus.ID, Name: cus.Name, Email: cus.Email}, in.Collected, true)
	} else {
		m, err = proc.Tokenize(ctx, raw)
	}
	if err != nil {
		return nil, UserError(err)
	}
	now := clock.Now(ctx)
	var out *ent.PaymentMethod
	err = dbtx.Run(ctx, s.db, func(tx *ent.Tx) error {
		c := tx.PaymentMethod.Create().
			SetCustomerID(cus.ID).
			SetType(paymentmethod.Type(m.Type)).
			SetToken(m.Token).
			SetBrand(m.Brand).SetLast4(m.Last4).
			SetExpMonth(m.ExpMonth).SetExpYear(m.ExpYear).
			SetFingerprint(m.Fingerprint).
			SetBankCode(m.BankCode).SetCountry(m.Country)
		if m.Type.Delayed() {
			// Saving a debit method is the customer accepting its mandate
			// (the processor's form shows its text when it collects it).
			holder := ""
			if in.SEPA != nil {
				holder = in.SEPA.AccountHolder
			} else if in.ACH != nil {
				holder = in.ACH.AccountHolder
			}
			c.SetAccountHolder(holder).SetMandateReference(m.MandateReference).SetMandateAcceptedAt(now)
		}
		pm, err := c.Save(ctx)
		if err != nil {
			return fmt.Errorf("save payment method: %w", err)
		}
		if err := events.Record(ctx, tx, events.PaymentMethodAttached, pm); err != nil {
			return err
		}
		if in.SetDefault || (cus.DefaultPaymentMethodID == nil && !in.NeverDefault) {
			c, err := tx.Customer.UpdateOneID(cus.ID).SetDefaultPaymentMethodID(pm.ID).Save(ctx)
			if err != nil {
				return fmt.Errorf("set default payment method: %w", err)
			}
			if err := events.Record(ctx, tx, events.CustomerUpdated, c); err != nil {
				return err
			}
		}
		out = pm
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// processor is the one serving the viewer's account and mode.
func (s *Service) processor(ctx context.Context) (payments.Processor, error) {
	v, _ := viewer.FromContext(ctx)
	proc, err := s.procs.For(ctx, v.AccountID, v.Mode)
	if err != nil {
		return nil, fmt.Errorf("find payment processor: %w", err)
	}
	return proc, nil
}

// Collected asks proc for what to store of a method its own form
// collected for cus: attached to cus when save, else for one payment
// (cus may then be zero: a method saved on anyone's behalf is refused).
// Refusals are the API's user errors.
func Collected(ctx context.Context, proc payments.Processor, cus payments.Customer, token string, save bool) (payments.Method, error) {
	c, ok := proc.(payments.Collecting)
	if !ok {
		return payments.Method{}, usererr.New(usererr.Invalid, "processorPaymentMethod is for an account whose payment processor collects details itself (a connected Stripe account); give card details instead", "processorPaymentMethod")
	}
	m, err := c.Collected(ctx, cus, token, save)
	if err != nil {
		return payments.Method{}, UserError(err)
	}
	return m, nil
}

// Setup is what a payer's browser needs to save a method with the
// processor's own form: its publishable key and the session's client
// secret.
type Setup struct {
	PublishableKey, ClientSecret string
}

// SetupSession starts saving a method of one of types for a customer,
// with a processor that collects details itself; nil when the processor
// takes details through Remit (the simulator), whose forms need none.
func (s *Service) SetupSession(ctx context.Context, customerID string, types []payments.MethodType) (*Setup, error) {
	proc, err := s.processor(ctx)
	if err != nil {
		return nil, err
	}
	c, ok := proc.(payments.Collecting)
	if !ok {
		return nil, nil
	}
	cus, err := s.db.Customer.Query().Where(customer.ID(customerID), customer.DeletedAtIsNil()).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, usererr.New(usererr.NotFound, "no such customer", "customer")
	}
	if err != nil {
		return nil, fmt.Errorf("load customer: %w", err)
	}
	secret, err := c.SetupSession(ctx, payments.Customer{ID: cus.ID, Name: cus.Name, Email: cus.Email}, types)
	if err != nil {
		return nil, UserError(err)
	}
	return &Setup{PublishableKey: c.PublishableKey(), ClientSecret: secret}, nil
}

// Detach removes a method from its customer. The row stays, marked, for
// the payments that used it; a default method stops being the default.
func (s *Service) Detach(ctx context.Context, id string) (*ent.PaymentMethod, error) {
	var out *ent.PaymentMethod
	err := dbtx.Run(ctx, s.db, func(tx *ent.Tx) error {
		pm, err := tx.PaymentMethod.Query().Where(paymentmethod.ID(id), paymentmethod.DetachedAtIsNil()).Only(ctx)
		if ent.IsNotFound(err) {
			return usererr.New(usererr.NotFound, "no such payment method", "id")
		}
		if err != nil {
			return fmt.Errorf("load payment method: %w", err)
		}
		out, err = tx.PaymentMethod.UpdateOne(pm).SetDetachedAt(clock.Now(ctx)).Save(ctx)
		if err != nil {
			return fmt.Errorf("detach payment method: %w", err)
		}
		if err := events.Record(ctx, tx, events.PaymentMethodDetached, out); err != nil {
			return err
		}
		n, err := tx.Customer.Update().
			Where(customer.ID(pm.CustomerID), customer.DefaultPaymentMethodID(pm.ID)).
			ClearDefaultPaymentMethodID().
			Save(ctx)
		if err != nil || n == 0 {
			return err
		}
		c, err := tx.Customer.Get(ctx, pm.CustomerID)
		if err != nil {
			return fmt.Errorf("load customer: %w", err)
		}
		return events.Record(ctx, tx, events.CustomerUpdated, c)
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// SetDefault makes a customer's attached method its default.
func (s *Service) SetDefault(ctx context.Context, customerID, id string) (*ent.Customer, error) {
	pm, err := s.db.PaymentMethod.Query().
		Where(paymentmethod.ID(id), paymentmethod.CustomerID(customerID), paymentmethod.DetachedAtIsNil()).
		Only(ctx)
	if ent.IsNotFound(err) {
		return nil, usererr.New(usererr.NotFound, "no such payment method for this customer", "paymentMethod")
	}
	if err != nil {
		return nil, fmt.Errorf("load payment method: %w", err)
	}
	var c *ent.Customer
	err = dbtx.Run(ctx, s.db, func(tx *ent.Tx) error {
		c, err = tx.Customer.UpdateOneID(customerID).Where(customer.DeletedAtIsNil()).SetDefaultPaymentMethodID(pm.ID).Save(ctx)
		if ent.IsNotFound(err) {
			return usererr.New(usererr.NotFound, "no such customer", "customer")
		}
		if err != nil {
			return fmt.Errorf("set default payment method: %w", err)
		}
		return events.Record(ctx, tx, events.CustomerUpdated, c)
	})
	if err != nil {
		return nil, err
	}
	return c.Unwrap(), nil
}

// List returns a customer's attached methods, newest first.
func (s *Service) List(ctx context.Context, customerID string) ([]*ent.PaymentMethod, error) {
	all, err := s.db.PaymentMethod.Query().Where(paymentmethod.CustomerID(customerID)).All(ctx)
	if err != nil {
		return nil, err
	}
	return attachedNewestFirst(all), nil
}

// attachedNewestFirst is how a customer's payment methods are listed: those
// still attached, the newest first.
func attachedNewestFirst(all []*ent.PaymentMethod) []*ent.PaymentMethod {
	attached := slices.DeleteFunc(slices.Clone(all), func(pm *ent.PaymentMethod) bool { return pm.DetachedAt != nil })
	slices.SortStableFunc(attached, func(a, b *ent.PaymentMethod) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	return attached
}

// Of returns what List returns for c: from the payment methods loaded with
// c when a list of customers asked for them (entgql field collection), else
// from one query. Each knows its customer, for IsDefault.
func Of(ctx context.Context, c *ent.Customer) ([]*ent.PaymentMethod, error) {
	all, err := c.PaymentMethods(ctx)
	if err != nil {
		return nil, err
	}
	attached := attachedNewestFirst(all)
	for _, pm := range attached {
		pm.Edges.Customer = c
	}
	return attached, nil
}

// IsDefault reports whether pm is its customer's default payment method,
// reading the customer only when pm was not listed with it (Of).
func (s *Service) IsDefault(ctx context.Context, pm *ent.PaymentMethod) (bool, error) {
	c := pm.Edges.Customer
	if c == nil {
		var err error
		if c, err = s.db.Customer.Get(ctx, pm.CustomerID); err != nil {
			return false, err
		}
	}
	return c.DefaultPaymentMethodID != nil && *c.DefaultPaymentMethodID == pm.ID, nil
}

// UserError turns a processor's refusal of the details into the API's
// error codes; other errors pass through.
func UserError(err error) error {
	field := "card"
	var ie *payments.InputError
	if errors.As(err, &ie) && ie.Field != "" {
		field = ie.Field
	}
	switch {
	case errors.Is(err, payments.ErrInvalidNumber):
		return usererr.New(usererr.InvalidCardNumber, "the card number is not valid", "card", "number")
	case errors.Is(err, payments.ErrExpiredCard):
		return usererr.New(usererr.ExpiredCard, "the card has expired", "card", "expYear")
	case errors.Is(err, payments.ErrInvalidExpiry), errors.Is(err, payments.ErrInvalidCVC):
		return usererr.New(usererr.InvalidCard, err.Error(), "card", field)
	case errors.Is(err, payments.ErrInvalidIBAN):
		return usererr.New(usererr.InvalidBankAccount, err.Error(), "sepaDebit", "iban")
	case errors.Is(err, payments.ErrInvalidRouting), errors.Is(err, payments.ErrInvalidAccount):
		return usererr.New(usererr.InvalidBankAccount, err.Error(), "achDebit", field)
	case errors.Is(err, payments.ErrMissingHolder):
		return usererr.New(usererr.Required, err.Error(), field, "accountHolder")
	case errors.Is(err, payments.ErrLiveModeUnavailable):
		return usererr.New(usererr.ProcessorUnavailable, err.Error())
	case errors.Is(err, payments.ErrUnavailable):
		return usererr.New(usererr.ProcessorUnavailable, "the payment processor could not be reached; nothing was saved or charged, try again")
	case errors.Is(err, payments.ErrCollectedByProvider):
		return usererr.New(usererr.RawPaymentDetailsRefused, "card and bank details are collected by the payment processor's own form, never sent to Remit: give the payment method it collected (processorPaymentMethod)", field)
	case errors.Is(err, payments.ErrInvalidToken):
		return usererr.New(usererr.InvalidProcessorPaymentMethod, "the payment processor knows no such payment method for this customer", "processorPaymentMethod")
	case errors.Is(err, payments.ErrUnsupported):
		return usererr.New(usererr.Invalid, err.Error(), field)
	}
	return err
}
