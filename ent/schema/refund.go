package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Refund gives back part or all of a succeeded payment through the
// processor that collected it. Like a payment, the row is written (PENDING,
// its amount held on the payment) before the processor is called, so money
// never leaves without a record, and refunds in flight count against what
// the payment can still give back, so concurrent refunds cannot exceed it.
type Refund struct{ ent.Schema }

func (Refund) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "re"}, TimeMixin{}, ScopeMixin{Customer: "customer_id"}}
}

func (Refund) Fields() []ent.Field {
	return []ent.Field{
		field.String("payment_id").Immutable(),
		field.String("invoice_id").Immutable(),
		field.String("customer_id").Immutable(),
		field.Int64("amount").Immutable().Annotations(Money{Amount: true}),
		field.String("currency").Immutable(),
		field.Enum("reason").NamedValues(
			"Duplicate", "DUPLICATE", "Fraudulent", "FRAUDULENT", "RequestedByCustomer", "REQUESTED_BY_CUSTOMER",
		).Optional().Nillable().Immutable(),
		field.Enum("status").NamedValues("Pending", "PENDING", "Succeeded", "SUCCEEDED", "Failed", "FAILED").Default("PENDING"),
		field.String("failure_code").Default(""),
		field.String("failure_message").Default(""),
		field.String("processor_reference").Default(""),
		field.String("idempotency_key").Optional().Nillable().Immutable().Sensitive(),
		// No edge yet: credit notes live on another branch; the edge comes
		// with them.
		field.String("credit_note_id").Optional().Nillable().Immutable().
			Comment("The credit note that asked for the refund, if any."),
		field.Time("settles_at").Optional().Nillable().
			Comment("When the worker asks the processor again: a pending refund's expected settlement, or until when a succeeded one may still fail."),
		field.Time("succeeded_at").Optional().Nillable(),
		field.Time("failed_at").Optional().Nillable(),
	}
}

func (Refund) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("payment", Payment.Type).Field("payment_id").Unique().Required().Immutable().Annotations(entgql.Skip()),
		edge.To("invoice", Invoice.Type).Field("invoice_id").Unique().Required().Immutable().Annotations(entgql.Skip()),
	}
}

func (Refund) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("payment_id", "created_at"),
		index.Fields("invoice_id", "created_at"),
		index.Fields("customer_id", "created_at"),
		index.Fields("account_id", "mode", "idempotency_key").Unique(),
		index.Fields("status", "settles_at"),
		// A processor's webhook names the refund it is about.
		index.Fields("account_id", "mode", "processor_reference"),
	}
}

func (Refund) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}
