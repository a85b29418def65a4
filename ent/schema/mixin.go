package schema

import (
	"context"
	"fmt"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/privacy"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"

	"github.com/remitbilling/remit/ent/intercept"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/ids"
	"github.com/remitbilling/remit/internal/viewer"
)

// IDMixin gives an entity a Stripe-like, type-prefixed, time-ordered string
// primary key ("in_01j…"). The prefix makes global IDs self-describing, so
// node(id:) dispatches without a lookup table.
type IDMixin struct {
	mixin.Schema
	Prefix string
}

func (IDMixin) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty().MaxRuneLen(64).
			Comment("Opaque global identifier."),
	}
}

func (m IDMixin) Hooks() []ent.Hook {
	return []ent.Hook{
		func(next ent.Mutator) ent.Mutator {
			return ent.MutateFunc(func(ctx context.Context, mu ent.Mutation) (ent.Value, error) {
				if !mu.Op().Is(ent.OpCreate) {
					return next.Mutate(ctx, mu)
				}
				im, ok := mu.(interface {
					ID() (string, bool)
					SetID(string)
				})
				if !ok {
					return nil, fmt.Errorf("id mixin: unexpected mutation %T", mu)
				}
				if _, set := im.ID(); !set {
					im.SetID(ids.New(m.Prefix, clock.Now(ctx)))
				}
				return next.Mutate(ctx, mu)
			})
		},
	}
}

// TimeMixin stamps creation and update times from the request's clock, never
// from time.Now, so test clocks move them too.
type TimeMixin struct{ mixin.Schema }

func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Immutable().
			Comment("When the object was created.").
			Annotations(entgql.OrderField("CREATED_AT")),
		field.Time("updated_at").
			Comment("When the object was last changed."),
	}
}

func (TimeMixin) Hooks() []ent.Hook {
	return []ent.Hook{
		func(next ent.Mutator) ent.Mutator {
			return ent.MutateFunc(func(ctx context.Context, mu ent.Mutation) (ent.Value, error) {
				now := clock.Now(ctx)
				if mu.Op().Is(ent.OpCreate) {
					if _, set := mu.Field("created_at"); !set {
						if err := mu.SetField("created_at", now); err != nil {
							return nil, err
						}
					}
				}
				if _, set := mu.Field("updated_at"); !set {
					if err := mu.SetField("updated_at", now); err != nil {
						return nil, err
					}
				}
				return next.Mutate(ctx, mu)
			})
		},
	}
}

// ScopeMixin makes a row belong to one account and one mode (test or live).
// Its privacy policy scopes every read and write to the viewer in the
// context, so no resolver can forget it; system work must say so explicitly
// with privacy.DecisionContext.
type ScopeMixin struct{ mixin.Schema }

func (ScopeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.String("account_id").Immutable().NotEmpty().
			Comment("Owning account.").
			Annotations(entgql.Skip()),
		field.Enum("mode").GoType(viewer.Mode("")).Immutable().
			Comment("Test or live data.").
			Annotations(entgql.Skip()),
	}
}

func (ScopeMixin) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("account", Account.Type).Field("account_id").Unique().Required().Immutable().
			Annotations(entgql.Skip()),
	}
}

// ScopeMixin declares no index of its own: a bare (account_id, mode) index
// is what SQLite's planner prefers, without statistics, over the selective
// one (a child's parent key), scanning every row of an account. Each entity
// indexes its own access paths, scoped ones leading with account and mode.

// wherer is implemented by every generated mutation and by queries wrapped
// with intercept.NewQuery; adding the scope predicate there covers reads,
// eager loads, updates and deletes. (Importing the generated intercept
// package from the schema is ent's documented pattern for such rules.)
type wherer interface {
	WhereP(...func(*sql.Selector))
}

// scopeRule restricts a query or mutation to the viewer's account and mode.
func scopeRule(ctx context.Context, target any) error {
	v, ok := viewer.FromContext(ctx)
	if !ok {
		return privacy.Denyf("no viewer in context")
	}
	w, ok := target.(wherer)
	if !ok {
		return privacy.Denyf("cannot scope %T", target)
	}
	w.WhereP(
		sql.FieldEQ("account_id", v.AccountID),
		sql.FieldEQ("mode", string(v.Mode)),
	)
	// The predicate confines the operation to the viewer's rows: allow it.
	return privacy.Allow
}

func (ScopeMixin) Policy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			queryRule(func(ctx context.Context, q ent.Query) error {
				iq, err := intercept.NewQuery(q)
				if err != nil {
					return privacy.Denyf("cannot scope %T: %v", q, err)
				}
				return scopeRule(ctx, iq)
			}),
			privacy.AlwaysAllowRule(),
		},
		Mutation: privacy.MutationPolicy{
			privacy.OnMutationOperation(stampScope(), ent.OpCreate),
			privacy.OnMutationOperation(
				privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error { return scopeRule(ctx, m) }),
				ent.OpUpdate|ent.OpUpdateOne|ent.OpDelete|ent.OpDeleteOne,
			),
			privacy.AlwaysDenyRule(),
		},
	}
}

// stampScope fills account and mode of a new row from the viewer, and refuses
// a row that names another account or mode.
func stampScope() privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, mu ent.Mutation) error {
		v, ok := viewer.FromContext(ctx)
		if !ok {
			return privacy.Denyf("no viewer in context")
		}
		if got, set := mu.Field("account_id"); set && got != v.AccountID {
			return privacy.Denyf("row for another account")
		}
		if got, set := mu.Field("mode"); set && got != v.Mode {
			return privacy.Denyf("row for another mode")
		}
		if err := mu.SetField("account_id", v.AccountID); err != nil {
			return privacy.Denyf("set account: %v", err)
		}
		if err := mu.SetField("mode", v.Mode); err != nil {
			return privacy.Denyf("set mode: %v", err)
		}
		return privacy.Allow
	})
}
