package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/privacy"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// RateLimit is one fixed-window abuse counter of internal/ratelimit: how
// many times a key (a client address, a hosted-invoice token, an email of a
// portal) was counted in its current window. It lives in the database so
// that every server process on one database counts together and a restart
// forgets nothing. It belongs to no account: only system code, with an
// explicit privacy decision, reads or writes it.
type RateLimit struct{ ent.Schema }

func (RateLimit) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty().MaxRuneLen(128).
			Comment("Rule name and a digest of the counted key (no address or email in clear)."),
		field.Int("count").Default(0).
			Comment("Hits in the current window, denied ones included."),
		field.Time("window_start").
			Comment("When the current window began: the key's first hit after the previous window ended."),
		field.Time("expires_at").
			Comment("When the current window ends; the row is then worth nothing and is swept."),
	}
}

func (RateLimit) Indexes() []ent.Index {
	// The sweep deletes by expiry.
	return []ent.Index{index.Fields("expires_at")}
}

func (RateLimit) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

func (RateLimit) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{privacy.AlwaysDenyRule()},
		Mutation: privacy.MutationPolicy{privacy.AlwaysDenyRule()},
	}
}
