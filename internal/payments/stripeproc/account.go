package stripeproc

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/stripe/stripe-go/v82"

	"github.com/remitbilling/remit/internal/payments"
)

// WebhookEvents are the event types Remit applies, which the webhook
// endpoint it registers (or the merchant registers) must be enabled for.
var WebhookEvents = []string{
	EventPaymentIntentSucceeded, EventPaymentIntentPaymentFailed, EventPaymentIntentProcessing,
	EventPaymentIntentRequiresAction, EventPaymentIntentCanceled,
	EventChargeRefunded, EventRefundUpdated, EventChargeDisputeCreated, EventChargeDisputeUpdated, EventChargeDisputeClosed,
}

// RegisterWebhook creates a webhook endpoint at url for WebhookEvents and
// returns its id and signing secret (Stripe shows the secret only in this
// answer). A restricted key without webhook permission gets
// ErrRestrictedKey: the merchant then registers the endpoint by hand.
func (p *Processor) RegisterWebhook(ctx context.Context, url string) (id, secret string, err error) {
	params := &stripe.WebhookEndpointCreateParams{
		URL:         stripe.String(url),
		Description: stripe.String("Remit: payment outcomes, refunds and disputes"),
	}
	for _, e := range WebhookEvents {
		params.EnabledEvents = append(params.EnabledEvents, stripe.String(e))
	}
	we, err := p.sc.V1WebhookEndpoints.Create(ctx, params)
	if err != nil {
		return "", "", classify(err)
	}
	return we.ID, we.Secret, nil
}

// DeleteWebhook removes a webhook endpoint RegisterWebhook created; one
// already gone is not an error.
func (p *Processor) DeleteWebhook(ctx context.Context, id string) error {
	if _, err := p.sc.V1WebhookEndpoints.Delete(ctx, id, &stripe.WebhookEndpointDeleteParams{}); err != nil {
		if err := classify(err); !isMissing(err) {
			return err
		}
	}
	return nil
}

// Customer is what Stripe's customer object is created with.
type Customer struct {
	Name, Email string
	// RemitID goes into the metadata, so the merchant finds the customer
	// from Stripe's dashboard, and into the idempotency key with the
	// connection, so a retry never creates a second one.
	RemitID      string
	ConnectionID string
}

// CreateCustomer creates the Stripe customer saved methods are attached
// to, and returns its id (cus_…).
func (p *Processor) CreateCustomer(ctx context.Context, c Customer) (string, error) {
	if c.RemitID == "" {
		return "", fmt.Errorf("%w: a Remit customer id is required", payments.ErrInvalidRequest)
	}
	params := &stripe.CustomerCreateParams{Metadata: map[string]string{"remit_customer_id": c.RemitID}}
	if c.Name != "" {
		params.Name = stripe.String(c.Name)
	}
	if c.Email != "" {
		params.Email = stripe.String(c.Email)
	}
	params.SetIdempotencyKey("remit-customer:" + c.ConnectionID + ":" + c.RemitID)
	cus, err := p.sc.V1Customers.Create(ctx, params)
	if err != nil {
		return "", classify(err)
	}
	return cus.ID, nil
}

// SetupIntent starts saving a method for later off-session charges: the
// payer's browser confirms it with Stripe.js (the Payment Element, which
// collects the card or the SEPA mandate) using the client secret, and the
// method is attached to customerRef when it succeeds.
func (p *Processor) SetupIntent(ctx context.Context, customerRef string, types []payments.MethodType) (clientSecret string, err error) {
	if !strings.HasPrefix(customerRef, "cus_") {
		return "", fmt.Errorf("%w: a Stripe customer id is required", payments.ErrInvalidRequest)
	}
	params := &stripe.SetupIntentCreateParams{Customer: stripe.String(customerRef), Usage: stripe.String("off_session")}
	for _, t := range types {
		if s, ok := stripeMethodType[t]; ok {
			params.PaymentMethodTypes = append(params.PaymentMethodTypes, stripe.String(s))
		}
	}
	if len(params.PaymentMethodTypes) == 0 {
		return "", fmt.Errorf("%w: no method type Stripe can save", payments.ErrUnsupported)
	}
	si, err := p.sc.V1SetupIntents.Create(ctx, params)
	if err != nil {
		return "", classify(err)
	}
	return si.ClientSecret, nil
}

// Method reads a PaymentMethod collected for one payment (not saved to a
// customer) and returns what Remit stores of it. One already saved to a
// Stripe customer other than customerRef is refused: it is someone
// else's.
func (p *Processor) Method(ctx context.Context, customerRef, pmID string) (payments.Method, error) {
	if !strings.HasPrefix(pmID, "pm_") {
		return payments.Method{}, fmt.Errorf("%w: a Stripe PaymentMethod id starts with pm_", payments.ErrInvalidToken)
	}
	pm, err := p.paymentMethod(ctx, pmID)
	if err != nil {
		return payments.Method{}, err
	}
	if pm.Customer != nil && pm.Customer.ID != "" && pm.Customer.ID != customerRef {
		return payments.Method{}, fmt.Errorf("%w: the PaymentMethod belongs to another Stripe customer", payments.ErrInvalidToken)
	}
	return methodFrom(pm)
}

// Cancel cancels a PaymentIntent still awaiting the payer or a method, so
// that a payment Remit gives up on can no longer take money. One that
// succeeded or is processing meanwhile cannot be canceled: its current
// state is returned instead, for the caller to record.
func (p *Processor) Cancel(ctx context.Context, reference string) (payments.ChargeResult, error) {
	pi, err := p.paymentIntent(ctx, reference)
	if err != nil {
		return payments.ChargeResult{}, err
	}
	switch pi.Status {
	case stripe.PaymentIntentStatusSucceeded, stripe.PaymentIntentStatusProcessing, stripe.PaymentIntentStatusCanceled:
		return chargeResult(pi), nil
	}
	pi, err = p.sc.V1PaymentIntents.Cancel(ctx, reference, &stripe.PaymentIntentCancelParams{})
	if err != nil {
		return payments.ChargeResult{}, classify(err)
	}
	return chargeResult(pi), nil
}

func isMissing(err error) bool {
	return errors.Is(err, payments.ErrInvalidReference)
}

// AccountID is the id (acct_…) of the Stripe account the key belongs to.
// A restricted key without permission to read it gets ErrRestrictedKey.
func (p *Processor) AccountID(ctx context.Context) (string, error) {
	a, err := p.sc.V1Accounts.Retrieve(ctx, &stripe.AccountRetrieveParams{})
	if err != nil {
		return "", classify(err)
	}
	return a.ID, nil
}
