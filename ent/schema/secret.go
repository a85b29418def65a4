package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/privacy"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// ServerSecret is a key the server derives its signing and hashing keys
// from (portal sessions, one-time codes, card fingerprints). It lives in
// the database so that every process on one database shares it; only
// system code, with an explicit privacy decision, can read it.
type ServerSecret struct{ ent.Schema }

func (ServerSecret) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty().Comment("What the secret is for."),
		field.Bytes("value").Immutable().Sensitive(),
		field.Time("created_at").Immutable(),
	}
}

func (ServerSecret) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

func (ServerSecret) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{privacy.AlwaysDenyRule()},
		Mutation: privacy.MutationPolicy{privacy.AlwaysDenyRule()},
	}
}
