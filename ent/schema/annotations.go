package schema

import (
	"context"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
)

// entsqlCascade removes children with their parent at the database level, so
// deleting a draft takes its lines and history with it in one statement.
func entsqlCascade() schema.Annotation {
	return entsql.OnDelete(entsql.Cascade)
}

// queryRule adapts a function to privacy.QueryRule; ent's base privacy
// package only ships the mutation adapter.
type queryRule func(context.Context, ent.Query) error

func (f queryRule) EvalQuery(ctx context.Context, q ent.Query) error { return f(ctx, q) }

// Money marks an int64 field as an amount in minor units of the row's
// currency field: ent/template gives the entity a <Field>Money method
// returning it as money.Money, which the GraphQL APIs bind to directly
// (a plain field: no resolver, no goroutine per amount when marshalling).
type Money struct {
	// Amount is always true: it keeps the annotation non-empty, which is
	// how the template sees it.
	Amount bool
}

// Name implements schema.Annotation.
func (Money) Name() string { return "Money" }
