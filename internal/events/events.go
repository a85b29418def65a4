// Package events writes the log of state changes: every change of an
// invoice, payment, customer, payment method or email records one typed
// event, in the transaction of the change, with a snapshot of the object as
// it stood after it, the actor and the request. An event therefore exists
// if and only if its change committed; later features (webhooks,
// subscriptions, reconciliation) read the log instead of hooking into
// every service.
package events

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/ids"
	"github.com/remitbilling/remit/internal/viewer"
)

// Type is what happened. Values are stable: clients and webhook endpoints
// switch on them.
type Type string

const (
	InvoiceCreated               Type = "invoice.created"
	InvoiceUpdated               Type = "invoice.updated"
	InvoiceDeleted               Type = "invoice.deleted"
	InvoiceFinalized             Type = "invoice.finalized"
	InvoiceSent                  Type = "invoice.sent"
	InvoicePaid                  Type = "invoice.paid"
	InvoicePaymentFailed         Type = "invoice.payment_failed"
	InvoicePaymentActionRequired Type = "invoice.payment_action_required"
	InvoiceVoided                Type = "invoice.voided"
	InvoiceMarkedUncollectible   Type = "invoice.marked_uncollectible"
	InvoiceOverdue               Type = "invoice.overdue"
	InvoiceReminderSent          Type = "invoice.reminder_sent"
	InvoiceWillBeDue             Type = "invoice.will_be_due"
	PaymentScheduled             Type = "payment.scheduled"
	PaymentScheduleCanceled      Type = "payment.schedule_canceled"
	PaymentSucceeded             Type = "payment.succeeded"
	PaymentFailed                Type = "payment.failed"
	// The payer's bank opened a dispute (a chargeback) on a payment; its
	// status changed since (evidence under review, won, lost).
	PaymentDisputed       Type = "payment.disputed"
	PaymentDisputeUpdated Type = "payment.dispute_updated"
	RefundCreated         Type = "refund.created"
	RefundSucceeded       Type = "refund.succeeded"
	RefundFailed          Type = "refund.failed"
	CustomerCreated       Type = "customer.created"
	CustomerUpdated       Type = "customer.updated"
	CustomerDeleted       Type = "customer.deleted"
	PaymentMethodAttached Type = "payment_method.attached"
	PaymentMethodDetached Type = "payment_method.detached"
	PaymentMethodExpiring Type = "payment_method.expiring"
	EmailSent             Type = "email.sent"
	EmailFailed           Type = "email.failed"
	CreditNoteCreated     Type = "credit_note.created"
	CreditNoteUpdated     Type = "credit_note.updated"
	CreditNoteVoided      Type = "credit_note.voided"
	// A bank transfer arrives (imported or simulated), is matched (to
	// invoices, the customer's cash balance or both) or set aside.
	BankTransferReceived Type = "bank_transfer.received"
	BankTransferMatched  Type = "bank_transfer.matched"
	BankTransferIgnored  Type = "bank_transfer.ignored"
	// A customer's cash balance moved: funded by a transfer, applied to a
	// payment, refunded.
	CashBalanceTransactionCreated Type = "customer_cash_balance_transaction.created"
)

// Types lists every event type, for filters and documentation.
var Types = []Type{
	InvoiceCreated, InvoiceUpdated, InvoiceDeleted, InvoiceFinalized, InvoiceSent, InvoicePaid,
	InvoicePaymentFailed, InvoicePaymentActionRequired, InvoiceVoided, InvoiceMarkedUncollectible, InvoiceOverdue,
	InvoiceReminderSent, InvoiceWillBeDue,
	PaymentSucceeded, PaymentFailed, PaymentDisputed, PaymentDisputeUpdated, PaymentScheduled, PaymentScheduleCanceled,
	RefundCreated, RefundSucceeded, RefundFailed,
	CustomerCreated, CustomerUpdated, CustomerDeleted,
	PaymentMethodAttached, PaymentMethodDetached, PaymentMethodExpiring,
	EmailSent, EmailFailed,
	CreditNoteCreated, CreditNoteUpdated, CreditNoteVoided,
	BankTransferReceived, BankTransferMatched, BankTransferIgnored, CashBalanceTransactionCreated,
}

// Known reports whether t is one of Types.
func Known(t string) bool {
	for _, k := range Types {
		if string(k) == t {
			return true
		}
	}
	return false
}

// ActorType says who acted.
type ActorType string

const (
	// ActorAPIKey is a merchant's API key; the id is the key's.
	ActorAPIKey ActorType = "api_key"
	// ActorCustomer is a customer in the portal; the id is the customer's.
	ActorCustomer ActorType = "customer"
	// ActorPayer is an anonymous payer on the hosted invoice page.
	ActorPayer ActorType = "hosted_page"
	// ActorCLI is an operator at the command line.
	ActorCLI ActorType = "cli"
	// ActorSystem is Remit itself: the worker, the scheduler; the id names
	// the job.
	ActorSystem ActorType = "system"
)

// Actor is who caused a change.
type Actor struct {
	Type ActorType
	ID   string
}

// ActorOf reads the actor of a viewer.
func ActorOf(v viewer.Viewer) Actor {
	a := v.Actor
	switch {
	case strings.HasPrefix(a, "key_"):
		return Actor{Type: ActorAPIKey, ID: a}
	case strings.HasPrefix(a, "customer:"):
		return Actor{Type: ActorCustomer, ID: strings.TrimPrefix(a, "customer:")}
	case v.CustomerID != "":
		return Actor{Type: ActorCustomer, ID: v.CustomerID}
	case a == "hosted_page":
		return Actor{Type: ActorPayer}
	case a == "cli":
		return Actor{Type: ActorCLI}
	case a == "":
		return Actor{Type: ActorSystem, ID: "system"}
	}
	return Actor{Type: ActorSystem, ID: a}
}

// String is the actor as an invoice's history shows it: the API key id,
// customer:<id>, hosted_page, cli, or the system job's name.
func (a Actor) String() string {
	switch a.Type {
	case ActorCustomer:
		return "customer:" + a.ID
	case ActorPayer, ActorCLI:
		return string(a.Type)
	}
	return a.ID
}

// eventIDs orders the events of this process as they were recorded, even
// within one millisecond (the log is read in id order). Process-wide on
// purpose: the order must hold across every service that records.
var eventIDs ids.Monotonic

type requestIDKey struct{}

// Subscribers tells whether anything outside Remit subscribes to an
// account's events in a mode (webhook endpoints). An event nobody
// subscribes to is recorded as dispatched already, so it costs the
// dispatcher's queue (its partial index) nothing.
type Subscribers interface {
	Subscribed(ctx context.Context, accountID string, mode viewer.Mode) bool
}

type subscribersKey struct{}

// WithSubscribers returns ctx whose events ask s whether to queue them
// for dispatch. Without it every event is queued (the dispatcher decides):
// what is recorded outside requests stays correct at no cost to them.
func WithSubscribers(ctx context.Context, s Subscribers) context.Context {
	return context.WithValue(ctx, subscribersKey{}, s)
}

// WithRequestID returns ctx carrying the id of the HTTP request being
// served, which events record.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// Record writes the event typ about obj (an *ent.Invoice, *ent.Payment,
// *ent.Refund, *ent.Customer, *ent.PaymentMethod, *ent.EmailMessage or *ent.CreditNote, as it stands
// after the change) in tx. The account and mode are obj's own, so a system
// job acting across accounts records each event where it belongs.
func Record(ctx context.Context, tx *ent.Tx, typ Type, obj any) error {
	return record(ctx, tx, typ, obj, nil)
}

// Step is the entry an event makes in its invoice's history: the history
// is read from the invoice's events, so each step is one row.
type Step struct {
	Action   string // create, finalize, send, payment, …
	From, To string // the invoice's status before and after; From is empty on creation
	Note     string // for people: the number assigned, the payment reference
}

// RecordStep is Record for an event that is also a step of an invoice's
// history.
func RecordStep(ctx context.Context, tx *ent.Tx, typ Type, inv *ent.Invoice, st Step) error {
	return record(ctx, tx, typ, inv, &st)
}

func record(ctx context.Context, tx *ent.Tx, typ Type, obj any, st *Step) error {
	snap, err := SnapshotOf(obj)
	if err != nil {
		return err
	}
	data, err := json.Marshal(snap.Data)
	if err != nil {
		return fmt.Errorf("events: encode %s snapshot: %w", snap.ObjectType, err)
	}
	v, _ := viewer.FromContext(ctx)
	actor := ActorOf(v)
	now := clock.Now(ctx)
	c := tx.Event.Create().
		SetID(eventIDs.New("evt", now)).
		SetAccountID(snap.AccountID).
		SetMode(snap.Mode).
		SetType(string(typ)).
		SetObjectType(snap.ObjectType).
		SetObjectID(snap.ObjectID).
		SetData(data).
		SetDataVersion(DataVersion).
		SetActorType(string(actor.Type)).
		SetActorID(actor.ID).
		SetRequestID(RequestID(ctx)).
		SetCreatedAt(now)
	if st != nil {
		c.SetHistoryAction(st.Action).SetFromStatus(st.From).SetToStatus(st.To).SetNote(st.Note)
	}
	if subs, ok := ctx.Value(subscribersKey{}).(Subscribers); ok && !subs.Subscribed(ctx, snap.AccountID, snap.Mode) {
		c.SetDispatchedAt(now)
	}
	if err := c.Exec(ctx); err != nil {
		return fmt.Errorf("events: record %s: %w", typ, err)
	}
	return nil
}
