package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// ProcessorConnection is an account's payment processor for one mode: a
// Stripe account reached with its secret key. The key and the webhook
// signing secret are stored sealed with a key derived from the server's
// root secret, bound to the account and mode; only their last four
// characters are ever shown.
type ProcessorConnection struct{ ent.Schema }

func (ProcessorConnection) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "pconn"}, TimeMixin{}, ScopeMixin{}}
}

func (ProcessorConnection) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("provider").NamedValues("Stripe", "STRIPE").Immutable(),
		field.Bytes("secret_key_sealed").Sensitive().Comment("The secret key, sealed (AES-256-GCM)."),
		field.String("secret_key_last4").Comment("Last four characters of the secret key, to tell keys apart."),
		field.String("processor_account_ref").Default("").Comment("The Stripe account the key belongs to (acct_…), when the key may read it: a new key of the same account may replace this one while payments are in flight."),
		field.String("publishable_key").Default("").Comment("Publishable key (pk_…) the payer's browser loads Stripe.js with."),
		field.Bytes("webhook_secret_sealed").Optional().Sensitive().Comment("The webhook signing secret (whsec_…), sealed; empty until one is registered or given."),
		field.String("webhook_endpoint_ref").Default("").Comment("Stripe's id of the webhook endpoint Remit registered (we_…), deleted on disconnect."),
	}
}

func (ProcessorConnection) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("account_id", "mode").Unique(),
	}
}

func (ProcessorConnection) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// ProcessorEvent is a processor's webhook event, kept once by its id so
// that a replayed or duplicated delivery changes nothing.
type ProcessorEvent struct{ ent.Schema }

func (ProcessorEvent) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "pev"}, TimeMixin{}, ScopeMixin{}}
}

func (ProcessorEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("provider").NamedValues("Stripe", "STRIPE").Immutable(),
		field.String("external_id").Immutable().Comment("The processor's event id (evt_…)."),
		field.String("type").Immutable().Comment("The processor's event type (payment_intent.succeeded, …)."),
		field.String("object_ref").Default("").Immutable().Comment("The processor object the event is about (pi_…, re_…, dp_…)."),
		field.String("outcome").Default("").Comment("What Remit did with it: applied, unchanged, unknown_object, ignored_type."),
	}
}

func (ProcessorEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("account_id", "mode", "provider", "external_id").Unique(),
	}
}

func (ProcessorEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
