package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// PortalConfig is an account's customer portal in one mode: whether it is
// on, what customers may do there, and the public identifier of its link.
type PortalConfig struct{ ent.Schema }

func (PortalConfig) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "bpc"}, TimeMixin{}, ScopeMixin{}}
}

func (PortalConfig) Fields() []ent.Field {
	return []ent.Field{
		field.String("slug").Unique().Immutable().Comment("Public identifier in the portal link; says account and mode."),
		field.Bool("enabled").Default(false),
		field.Bool("update_billing_details").Default(true),
		field.Bool("manage_payment_methods").Default(true),
		field.Bool("pay_invoices").Default(true),
		field.Bool("show_history").Default(true),
	}
}

func (PortalConfig) Indexes() []ent.Index {
	return []ent.Index{index.Fields("account_id", "mode").Unique()}
}

func (PortalConfig) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// PortalLoginCode is a one-time login code sent by email. Only a keyed
// hash of the code is stored; it expires, counts wrong tries, and a new
// request for the same email replaces it.
type PortalLoginCode struct{ ent.Schema }

func (PortalLoginCode) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "plc"}, TimeMixin{}, ScopeMixin{}}
}

func (PortalLoginCode) Fields() []ent.Field {
	return []ent.Field{
		field.String("email").Comment("Normalized email the code was sent to."),
		field.Bytes("code_hash").Sensitive(),
		field.Time("expires_at"),
		field.Int("attempts").Default(0),
		field.Time("used_at").Optional().Nillable(),
	}
}

func (PortalLoginCode) Indexes() []ent.Index {
	return []ent.Index{index.Fields("account_id", "mode", "email").Unique()}
}

func (PortalLoginCode) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// PortalSession is a signed-in customer: the server-side truth behind the
// short-lived token or cookie, so logout and revocation act at once.
type PortalSession struct{ ent.Schema }

func (PortalSession) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "bps"}, TimeMixin{}, ScopeMixin{Customer: "customer_id"}}
}

func (PortalSession) Fields() []ent.Field {
	return []ent.Field{
		field.String("customer_id"),
		field.String("email").Comment("The email the customer proved."),
		field.Time("authenticated_at").Comment("When the customer last proved the email (for sensitive actions)."),
		field.Time("last_seen_at"),
		field.Time("revoked_at").Optional().Nillable(),
		field.String("user_agent").Default(""),
	}
}

func (PortalSession) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// PortalLink is a one-click, single-use, short-lived login link a merchant
// creates for one customer ("manage billing" in its own app). Only the
// token's hash is stored.
type PortalLink struct{ ent.Schema }

func (PortalLink) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "bpl"}, TimeMixin{}, ScopeMixin{}}
}

func (PortalLink) Fields() []ent.Field {
	return []ent.Field{
		field.String("customer_id"),
		field.Bytes("token_hash").Unique().Sensitive(),
		field.Time("expires_at"),
		field.Time("used_at").Optional().Nillable(),
	}
}

func (PortalLink) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
