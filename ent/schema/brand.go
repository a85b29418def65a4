package schema

import (
	"context"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/privacy"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/remitbilling/remit/ent/intercept"
)

// BrandImage is an account's logo or icon. Images live apart from the
// account row so that the many reads of the account (every finalization)
// do not carry up to a megabyte of pixels. Branding is shared by test and
// live mode, like the rest of the account's settings.
type BrandImage struct{ ent.Schema }

func (BrandImage) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "img"}, TimeMixin{}}
}

func (BrandImage) Fields() []ent.Field {
	return []ent.Field{
		field.String("account_id").Immutable().NotEmpty(),
		field.Enum("kind").NamedValues("Logo", "LOGO", "Icon", "ICON").Immutable(),
		field.String("content_type").Immutable(),
		field.Bytes("data").Immutable(),
		field.Int("width").Immutable(),
		field.Int("height").Immutable(),
		field.String("sha256").Immutable().Comment("Hex digest of data, for HTTP caching."),
	}
}

func (BrandImage) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("account", Account.Type).Field("account_id").Unique().Required().Immutable(),
	}
}

func (BrandImage) Indexes() []ent.Index {
	return []ent.Index{index.Fields("account_id", "kind").Unique()}
}

func (BrandImage) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

func (BrandImage) Policy() ent.Policy {
	own := ownedBy("account_id")
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			queryRule(func(ctx context.Context, q ent.Query) error {
				iq, err := intercept.NewQuery(q)
				if err != nil {
					return privacy.Denyf("cannot scope %T: %v", q, err)
				}
				return own(ctx, iq)
			}),
		},
		Mutation: privacy.MutationPolicy{
			privacy.OnMutationOperation(
				privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error { return own(ctx, m) }),
				ent.OpUpdateOne|ent.OpUpdate|ent.OpDelete|ent.OpDeleteOne,
			),
			privacy.OnMutationOperation(
				privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
					v, ok := viewerOf(ctx)
					if !ok {
						return privacy.Denyf("no viewer in context")
					}
					if id, _ := m.Field("account_id"); id != v {
						return privacy.Denyf("brand image of another account")
					}
					return privacy.Allow
				}),
				ent.OpCreate,
			),
			privacy.AlwaysDenyRule(),
		},
	}
}
