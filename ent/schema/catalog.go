package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Product is something sold.
type Product struct{ ent.Schema }

func (Product) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "prod"}, TimeMixin{}, ScopeMixin{}}
}

func (Product) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(250),
		field.String("description").Default("").MaxRuneLen(5000),
		field.Bool("active").Default(true),
		field.String("unit_label").Default("").MaxRuneLen(12),
		field.JSON("metadata", map[string]string{}).Optional(),
	}
}

func (Product) Edges() []ent.Edge {
	return []ent.Edge{edge.To("prices", Price.Type)}
}

func (Product) Indexes() []ent.Index {
	return []ent.Index{index.Fields("account_id", "mode", "created_at")}
}

func (Product) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}

// Price is how much a product costs in one currency.
type Price struct{ ent.Schema }

func (Price) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "price"}, TimeMixin{}, ScopeMixin{}}
}

func (Price) Fields() []ent.Field {
	return []ent.Field{
		field.String("product_id").Immutable(),
		field.String("currency").Immutable(),
		field.String("unit_amount").Immutable().Comment("Decimal in major units; may carry more decimals than the currency."),
		field.String("nickname").Default("").MaxRuneLen(250),
		field.Bool("active").Default(true),
		field.JSON("metadata", map[string]string{}).Optional(),
	}
}

func (Price) Edges() []ent.Edge {
	return []ent.Edge{edge.From("product", Product.Type).Ref("prices").Field("product_id").Unique().Required().Immutable()}
}

func (Price) Indexes() []ent.Index {
	return []ent.Index{index.Fields("product_id")}
}

func (Price) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}

// TaxRate is a percentage of tax applied to invoice lines. Its percentage,
// inclusiveness and VAT category never change once created, so issued
// invoices stay true.
type TaxRate struct{ ent.Schema }

func (TaxRate) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "txr"}, TimeMixin{}, ScopeMixin{CustomerReads: true}}
}

func (TaxRate) Fields() []ent.Field {
	return []ent.Field{
		field.String("display_name").NotEmpty().MaxRuneLen(50),
		field.String("description").Default("").MaxRuneLen(500),
		field.String("percentage").Immutable(),
		field.Bool("inclusive").Immutable(),
		field.String("country").Default(""),
		field.String("state").Default(""),
		field.String("jurisdiction").Default("").MaxRuneLen(50),
		field.String("tax_type").Default("vat"),
		// EN 16931 VAT category (S, Z, E, AE, K, G, O), with why a 0 % rate
		// charges nothing: a reason text (BT-120) and a VATEX code
		// (BT-121). Rates created before categories existed have "" and
		// read as S above 0 %, Z at 0 % (totals.CategoryOr).
		// Skipped by entgql: its GraphQL resolver reads the percentage
		// too, and an unknown field makes a query load every column.
		field.String("category").Default("").Immutable().Annotations(entgql.Skip()),
		field.String("exemption_reason").Default("").MaxRuneLen(300).Immutable(),
		field.String("exemption_code").Default("").Immutable(),
		field.Bool("active").Default(true),
		field.JSON("metadata", map[string]string{}).Optional(),
	}
}

func (TaxRate) Edges() []ent.Edge {
	// Inverses make the invoice and line links many-to-many: one rate is
	// used by many invoices and lines.
	return []ent.Edge{
		edge.From("invoices", Invoice.Type).Ref("default_tax_rates").Annotations(entgql.Skip()),
		edge.From("invoice_lines", InvoiceLine.Type).Ref("tax_rates").Annotations(entgql.Skip()),
	}
}

func (TaxRate) Indexes() []ent.Index {
	return []ent.Index{index.Fields("account_id", "mode", "created_at")}
}

func (TaxRate) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}
