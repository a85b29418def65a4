package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// TestClock is a test-mode clock that customers created on it live by
// (Stripe's test_helpers.test_clocks): their invoices fall due, are
// reminded and retried on its time, which moves only when advanced.
type TestClock struct{ ent.Schema }

func (TestClock) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "clock"}, TimeMixin{}, ScopeMixin{}}
}

func (TestClock) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").Default("").MaxRuneLen(300),
		field.Time("frozen_time").Comment("The clock's time: what its customers' now is."),
		field.Enum("status").NamedValues("Ready", "READY", "Advancing", "ADVANCING", "InternalFailure", "INTERNAL_FAILURE").Default("READY"),
		field.Time("advancing_to").Optional().Nillable().Comment("Where an advance in progress goes."),
		field.String("failure").Default("").Comment("Why the last advance stopped (INTERNAL_FAILURE)."),
	}
}

func (TestClock) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}
