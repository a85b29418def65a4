package schema

import (
	"encoding/json"
	"entgo.io/ent/dialect/entsql"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Event records one change of state: what happened (a typed event type such
// as invoice.finalized), to which object, a snapshot of the object as it
// stood after the change, who did it and in which request. internal/events
// writes it in the transaction of the change, so an event exists if and
// only if its change committed. Rows are never updated or deleted.
type Event struct{ ent.Schema }

func (Event) Mixin() []ent.Mixin {
	// Portal customers cause events (a payment, a card added) but never
	// read them: the log is the merchant's.
	return []ent.Mixin{IDMixin{Prefix: "evt"}, TimeMixin{}, ScopeMixin{CustomerCreates: true}}
}

func (Event) Fields() []ent.Field {
	return []ent.Field{
		field.String("type").Immutable().NotEmpty().MaxRuneLen(64).
			Comment("What happened, e.g. invoice.finalized (internal/events lists them)."),
		field.String("object_type").Immutable().NotEmpty().MaxRuneLen(32).
			Comment("The changed object's type: invoice, payment, customer, payment_method, email."),
		field.String("object_id").Immutable().NotEmpty().
			Comment("The changed object's id."),
		field.JSON("data", json.RawMessage{}).Immutable().Annotations(entgql.Skip()).
			Comment("The object as it stood after the change, in the versioned shape of internal/events."),
		field.Int("data_version").Immutable().Positive().
			Comment("Version of the snapshot's shape."),
		field.String("actor_type").Immutable().NotEmpty().
			Comment("Who acted: api_key, customer, system or cli."),
		field.String("actor_id").Default("").Immutable().
			Comment("The API key or customer id; for system actors, the job (worker, hosted_page, scheduler)."),
		field.String("request_id").Default("").Immutable().
			Comment("The HTTP request that caused the change, when there was one (matches the server log)."),
		// An invoice's history is read from its events: each step of it
		// (internal/billing) is one event, so a step costs one row, not a
		// history row and an event row. Empty for other events.
		field.String("history_action").Default("").Immutable().Annotations(entgql.Skip()).
			Comment("For a step of an invoice's history, its action (create, finalize, send, payment, …); empty otherwise."),
		field.String("from_status").Default("").Immutable().Annotations(entgql.Skip()).
			Comment("For a history step, the invoice's status before it (empty on creation)."),
		field.String("to_status").Default("").Immutable().Annotations(entgql.Skip()).
			Comment("For a history step, the invoice's status after it."),
		field.String("note").Default("").Immutable().Annotations(entgql.Skip()).
			Comment("For a history step, details for people: the number assigned, the payment reference."),
		field.Time("dispatched_at").Optional().Nillable().Annotations(entgql.Skip()).
			Comment("When the webhook dispatcher queued the event's deliveries (NULL until then)."),
	}
}

func (Event) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("account_id", "mode", "created_at"),
		// Events not yet handed to webhook endpoints, oldest first: the
		// dispatcher's queue. Only those are in it.
		index.Fields("id").Annotations(entsql.IndexWhere("dispatched_at IS NULL")).StorageKey("event_undispatched"),
		index.Fields("account_id", "mode", "object_id", "created_at"),
	}
}

func (Event) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}
