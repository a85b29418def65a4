package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"entgo.io/contrib/entgql"
)

// APIKey is a merchant secret key. Only a SHA-256 hash of the secret is
// stored; the key itself is shown once, at creation.
type APIKey struct{ ent.Schema }

func (APIKey) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "key"}, TimeMixin{}, ScopeMixin{}}
}

func (APIKey) Fields() []ent.Field {
	return []ent.Field{
		field.Bytes("hash").Immutable().Sensitive().Unique().Annotations(entgql.Skip()),
		field.String("redacted").Immutable().Comment("The key with its secret elided, e.g. sk_test_…a1b2."),
		field.String("name").Default("").MaxRuneLen(100).Comment("What the key is for."),
		field.Time("last_used_at").Optional().Nillable().Comment("Last authenticated request, to the minute."),
		field.Time("revoked_at").Optional().Nillable().Comment("When the key was revoked; a revoked key authenticates nothing."),
	}
}

func (APIKey) Indexes() []ent.Index {
	return []ent.Index{index.Fields("hash"), index.Fields("account_id", "mode", "created_at")}
}

func (APIKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}
