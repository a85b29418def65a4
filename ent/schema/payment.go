package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// PaymentMethod is a customer's saved way to pay: a processor token and
// what can be shown of it. Card numbers and bank accounts are never
// stored; the processor keeps them behind the token.
type PaymentMethod struct{ ent.Schema }

func (PaymentMethod) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "pm"}, TimeMixin{}, ScopeMixin{Customer: "customer_id"}}
}

func (PaymentMethod) Fields() []ent.Field {
	return []ent.Field{
		field.String("customer_id").Immutable(),
		field.Enum("type").NamedValues("Card", "CARD", "SEPADebit", "SEPA_DEBIT", "ACHDebit", "ACH_DEBIT").Immutable(),
		field.String("token").Immutable().Sensitive().Comment("Processor reference of the stored credentials."),
		field.String("brand").Default("").Immutable(),
		field.String("last4").Default("").Immutable(),
		field.Int("exp_month").Default(0).Immutable(),
		field.Int("exp_year").Default(0).Immutable(),
		field.String("fingerprint").Default("").Immutable(),
		field.String("bank_code").Default("").Immutable(),
		field.String("country").Default("").Immutable(),
		field.String("account_holder").Default("").Immutable(),
		field.String("mandate_reference").Default("").Immutable(),
		field.Time("mandate_accepted_at").Optional().Nillable().Immutable(),
		field.Time("detached_at").Optional().Nillable().Comment("Set when removed; kept for the payments that used it."),
		field.Time("expiry_notified_at").Optional().Nillable().Comment("When the customer was told the card expires (once per card)."),
	}
}

func (PaymentMethod) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("customer", Customer.Type).Field("customer_id").Unique().Required().Immutable().Annotations(entgql.Skip()),
	}
}

func (PaymentMethod) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id", "created_at"),
		// The card-expiry notice: cards expiring in a given month.
		index.Fields("exp_year", "exp_month"),
	}
}

func (PaymentMethod) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}

// Payment is one attempt to collect money for an invoice. The row is
// written before the processor is called, so money never moves without a
// record, and amounts still in flight count against what remains due, so
// concurrent attempts cannot overpay.
type Payment struct{ ent.Schema }

func (Payment) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "py"}, TimeMixin{}, ScopeMixin{Customer: "customer_id"}}
}

func (Payment) Fields() []ent.Field {
	return []ent.Field{
		field.String("invoice_id").Immutable(),
		field.String("customer_id").Immutable(),
		field.String("payment_method_id").Optional().Nillable().Immutable(),
		// OUT_OF_BAND is money the merchant received outside Remit and
		// recorded (invoiceRecordPayment, invoiceMarkPaid): no processor,
		// no payment method, SUCCEEDED when written.
		field.Enum("method_type").NamedValues("Card", "CARD", "SEPADebit", "SEPA_DEBIT", "ACHDebit", "ACH_DEBIT", "OutOfBand", "OUT_OF_BAND").Immutable(),
		field.Int64("amount").Immutable(),
		field.String("bank_transfer_id").Optional().Nillable().Immutable().Comment("The bank transfer (or the cash balance it funded) this payment came from."),
		field.String("currency").Immutable(),
		field.Enum("status").NamedValues(
			"Processing", "PROCESSING", "Succeeded", "SUCCEEDED", "Failed", "FAILED",
			"RequiresAction", "REQUIRES_ACTION", "Canceled", "CANCELED",
		).Default("PROCESSING"),
		field.String("failure_code").Default(""),
		field.String("failure_message").Default(""),
		field.String("processor_reference").Default(""),
		field.String("idempotency_key").Optional().Nillable().Immutable().Sensitive(),
		field.Enum("source").NamedValues("API", "API", "HostedPage", "HOSTED_PAGE", "Portal", "PORTAL", "Automatic", "AUTOMATIC", "Scheduled", "SCHEDULED").Default("API").Immutable(),
		field.String("test_clock_id").Optional().Nillable().Immutable().Comment("The invoice's test clock: the payment settles on its time."),
		field.Time("settles_at").Optional().Nillable(),
		field.Time("succeeded_at").Optional().Nillable(),
		field.Time("failed_at").Optional().Nillable(),
		// What refunds took back (SUCCEEDED) and hold (PENDING): the
		// payment can still give back amount - both, checked under its
		// row's lock.
		field.Int64("amount_refunded").Default(0).Annotations(Money{Amount: true}),
		field.Int64("amount_refund_pending").Default(0),
		field.String("out_of_band_method").Default("").Immutable().
			Comment("How money recorded outside Remit came: bank_transfer, check, cash, card, direct_debit or other."),
		field.String("reference").Default("").Immutable().
			Comment("The merchant's reference of money recorded outside Remit (transfer reference, check number)."),
		// A chargeback the payer's bank opened (Stripe's charge.dispute.*):
		// the money is held by the processor until the dispute is decided.
		field.Time("disputed_at").Optional().Nillable().Comment("When the payer's bank opened a dispute (chargeback) on the payment."),
		field.String("dispute_reference").Default("").Comment("The processor's id of the dispute (dp_…)."),
		field.String("dispute_reason").Default("").Comment("The processor's dispute reason (fraudulent, product_not_received, …)."),
		field.String("dispute_status").Default("").Comment("The processor's dispute status (needs_response, under_review, won, lost, …)."),
	}
}

func (Payment) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("invoice", Invoice.Type).Field("invoice_id").Unique().Required().Immutable().Annotations(entgql.Skip()),
		edge.To("payment_method", PaymentMethod.Type).Field("payment_method_id").Unique().Immutable().Annotations(entgql.Skip()),
		edge.From("refunds", Refund.Type).Ref("payment").Annotations(entgql.Skip()),
	}
}

func (Payment) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("invoice_id", "created_at"),
		index.Fields("account_id", "mode", "idempotency_key").Unique(),
		index.Fields("status", "settles_at"),
		index.Fields("customer_id", "created_at"),
		// A processor's webhook names the charge it is about.
		index.Fields("account_id", "mode", "processor_reference"),
	}
}

func (Payment) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}
