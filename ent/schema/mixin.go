package schema

import (
	"context"
	"errors"
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
type ScopeMixin struct {
	mixin.Schema
	// Customer is the column naming the customer a row belongs to ("id"
	// for customers themselves). A portal customer's viewer sees and
	// changes only rows whose column is its customer. Empty: the entity is
	// the merchant's alone, unless one of the options below says otherwise.
	Customer string
	// CustomerVia is, for child rows (invoice lines), the column naming
	// their invoice: a portal customer sees the lines of its own issued
	// invoices.
	CustomerVia string
	// HideDrafts hides draft invoices from portal customers.
	HideDrafts bool
	// CustomerReads lets portal customers read (never change) the rows
	// (tax rates, printed on their invoices anyway).
	CustomerReads bool
	// CustomerCreates lets actions taken by a portal customer insert rows
	// they can never read back (invoice history, outbox emails).
	CustomerCreates bool
}

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

// customerRule narrows what scopeRule allowed to a portal customer's own
// rows, as configured on the mixin.
func (m ScopeMixin) customerRule(v viewer.Viewer, w wherer, mutation bool) error {
	switch {
	case m.Customer != "":
		w.WhereP(sql.FieldEQ(m.Customer, v.CustomerID))
		if m.HideDrafts {
			w.WhereP(sql.FieldNEQ("status", "DRAFT"))
		}
	case m.CustomerVia != "" && !mutation:
		// A correlated EXISTS: one primary-key probe per row, where an
		// IN list would be built from all of the customer's invoices.
		w.WhereP(func(s *sql.Selector) {
			t := sql.Table("invoices").As("scope_invoices")
			s.Where(sql.Exists(
				sql.Select(t.C("id")).From(t).Where(sql.And(
					sql.ColumnsEQ(t.C("id"), s.C(m.CustomerVia)),
					sql.EQ(t.C("customer_id"), v.CustomerID),
					sql.EQ(t.C("account_id"), v.AccountID),
					sql.EQ(t.C("mode"), string(v.Mode)),
					sql.NEQ(t.C("status"), "DRAFT"),
				))))
		})
	case m.CustomerReads && !mutation:
	default:
		return privacy.Denyf("not a customer's data")
	}
	return privacy.Allow
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

func (m ScopeMixin) Policy() ent.Policy {
	// scoped adds the account and mode predicate, then the customer's for
	// a portal viewer.
	scoped := func(ctx context.Context, target any, mutation bool) error {
		if err := scopeRule(ctx, target); !errors.Is(err, privacy.Allow) {
			return err
		}
		v, _ := viewer.FromContext(ctx)
		if v.CustomerID == "" {
			return privacy.Allow
		}
		return m.customerRule(v, target.(wherer), mutation)
	}
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			queryRule(func(ctx context.Context, q ent.Query) error {
				iq, err := intercept.NewQuery(q)
				if err != nil {
					return privacy.Denyf("cannot scope %T: %v", q, err)
				}
				return scoped(ctx, iq, false)
			}),
			privacy.AlwaysAllowRule(),
		},
		Mutation: privacy.MutationPolicy{
			privacy.OnMutationOperation(privacy.MutationRuleFunc(func(ctx context.Context, mu ent.Mutation) error {
				if err := stampScope().EvalMutation(ctx, mu); !errors.Is(err, privacy.Allow) {
					return err
				}
				return m.customerCreate().EvalMutation(ctx, mu)
			}), ent.OpCreate),
			privacy.OnMutationOperation(
				privacy.MutationRuleFunc(func(ctx context.Context, mu ent.Mutation) error { return scoped(ctx, mu, true) }),
				ent.OpUpdate|ent.OpUpdateOne|ent.OpDelete|ent.OpDeleteOne,
			),
			privacy.AlwaysDenyRule(),
		},
	}
}

// customerCreate lets a portal customer insert only rows of its own (or
// write-only rows, with CustomerCreates); merchants pass.
func (m ScopeMixin) customerCreate() privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, mu ent.Mutation) error {
		v, _ := viewer.FromContext(ctx)
		switch {
		case v.CustomerID == "" || m.CustomerCreates:
			return privacy.Allow
		case m.Customer != "" && m.Customer != "id":
			if got, _ := mu.Field(m.Customer); got == v.CustomerID {
				return privacy.Allow
			}
		}
		return privacy.Denyf("a customer cannot create this row")
	})
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
