package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/remitbilling/remit/internal/values"
)

// WebhookEndpoint is a URL of the merchant's that is told, by signed
// POSTs, of the events it subscribed to.
type WebhookEndpoint struct{ ent.Schema }

func (WebhookEndpoint) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "we"}, TimeMixin{}, ScopeMixin{}}
}

func (WebhookEndpoint) Fields() []ent.Field {
	return []ent.Field{
		field.String("url").MaxRuneLen(2048),
		field.String("description").Default("").MaxRuneLen(500),
		field.Strings("enabled_events").Comment(`Event types delivered; ["*"] for all.`),
		field.Bool("disabled").Default(false),
		field.String("disabled_reason").Default(""),
		field.JSON("secrets", []values.WebhookSecret{}).Sensitive().
			Comment("Signing secrets, newest first: a rotated one signs beside the new one until it expires."),
		field.Time("failing_since").Optional().Nillable().
			Comment("Start of the current run of failed deliveries; the endpoint is disabled after three days of it."),
	}
}

func (WebhookEndpoint) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("deliveries", WebhookDelivery.Type).Ref("endpoint").Annotations(entgql.Skip()),
	}
}

func (WebhookEndpoint) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}

// WebhookDelivery is one event to one endpoint: delivered at least once
// by the worker, which claims it with a lease and records every attempt.
type WebhookDelivery struct{ ent.Schema }

func (WebhookDelivery) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "whd"}, TimeMixin{}, ScopeMixin{}}
}

func (WebhookDelivery) Fields() []ent.Field {
	return []ent.Field{
		field.String("endpoint_id").Immutable(),
		field.String("event_id").Immutable(),
		field.String("event_type").Immutable(),
		field.Enum("status").NamedValues("Pending", "PENDING", "Succeeded", "SUCCEEDED", "Failed", "FAILED").Default("PENDING"),
		field.Int("attempt_count").Default(0),
		field.Time("next_attempt_at").Comment("When the worker may take it: due, or the end of a claim's lease."),
		field.String("lease_owner").Default(""),
		field.Int("last_status_code").Default(0),
		field.String("last_error").Default(""),
		field.JSON("attempts", []values.WebhookAttempt{}).Optional(),
		field.Time("delivered_at").Optional().Nillable(),
	}
}

func (WebhookDelivery) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("endpoint", WebhookEndpoint.Type).Field("endpoint_id").Unique().Required().Immutable().
			Annotations(entgql.Skip(), entsqlCascade()),
	}
}

func (WebhookDelivery) Indexes() []ent.Index {
	return []ent.Index{
		// The delivery job's claim, across accounts.
		index.Fields("status", "next_attempt_at"),
		index.Fields("endpoint_id", "created_at"),
		index.Fields("event_id"),
	}
}

func (WebhookDelivery) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}
