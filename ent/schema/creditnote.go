package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/remitbilling/remit/internal/values"
)

// CreditNote corrects an issued invoice (an "avoir", EN 16931 document
// type 381). It is issued with its own gapless number and never changes
// after that, memo and metadata aside; voiding it (while its invoice is
// open) keeps it on record. Its rules live in internal/billing.
type CreditNote struct{ ent.Schema }

func (CreditNote) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "cn"}, TimeMixin{}, ScopeMixin{Customer: "customer_id"}}
}

func (CreditNote) Fields() []ent.Field {
	money := func(name string) ent.Field {
		return field.Int64(name).Default(0).Immutable().Annotations(Money{Amount: true})
	}
	return []ent.Field{
		field.String("invoice_id").Immutable(),
		field.String("customer_id").Immutable(),
		field.String("number").Immutable(),
		field.String("currency").Immutable(),
		field.Enum("status").NamedValues("Issued", "ISSUED", "Void", "VOID").Default("ISSUED"),
		field.Enum("type").NamedValues("PrePayment", "PRE_PAYMENT", "PostPayment", "POST_PAYMENT", "Mixed", "MIXED").Immutable(),
		field.Enum("reason").NamedValues(
			"Duplicate", "DUPLICATE", "Fraudulent", "FRAUDULENT",
			"OrderChange", "ORDER_CHANGE", "ProductUnsatisfactory", "PRODUCT_UNSATISFACTORY",
		).Optional().Nillable().Immutable(),
		field.String("memo").Default("").Comment("Printed on the credit note; editable."),
		field.JSON("metadata", map[string]string{}).Optional(),
		// Totals, from the EN 16931 engine (internal/totals), minor units.
		money("subtotal"),
		money("total_discount"),
		money("total_excluding_tax"),
		money("total_tax"),
		money("total"),
		field.JSON("taxes", []values.TaxAmount{}).Optional().Immutable(),
		// How the total settles: the pre-payment part reduced the
		// invoice's amount due; the post-payment part is refunded,
		// credited to the customer's balance, or was returned outside
		// Remit.
		money("pre_payment_amount"),
		money("post_payment_amount"),
		money("refund_amount"),
		money("credit_amount"),
		money("out_of_band_amount"),
		// What the pre-payment part took from each installment of the
		// invoice's payment plan (in plan order), given back on void.
		field.JSON("installment_reductions", []int64{}).Optional().Immutable().Annotations(entgql.Skip()),
		field.Time("voided_at").Optional().Nillable(),
	}
}

func (CreditNote) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("invoice", Invoice.Type).Field("invoice_id").Unique().Required().Immutable(),
		edge.To("customer", Customer.Type).Field("customer_id").Unique().Required().Immutable(),
		edge.To("lines", CreditNoteLine.Type).Annotations(entsqlCascade()),
	}
}

func (CreditNote) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("account_id", "mode", "number").Unique(),
		// The merchant list, newest first (the cursor as a range).
		index.Fields("account_id", "mode", "created_at", "id"),
		// An invoice's credit notes, a customer's (the portal's list).
		index.Fields("invoice_id", "created_at"),
		index.Fields("customer_id", "created_at", "id"),
	}
}

func (CreditNote) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}

// CreditNoteLine is one line of a credit note: a credit of an invoice line
// (by quantity or by amount) or a custom line.
type CreditNoteLine struct{ ent.Schema }

func (CreditNoteLine) Mixin() []ent.Mixin {
	// invoice_id repeats the credit note's invoice so the portal's scope
	// (a customer reads the lines of its own invoices) applies as to
	// invoice lines.
	return []ent.Mixin{IDMixin{Prefix: "cnl"}, TimeMixin{}, ScopeMixin{CustomerVia: "invoice_id"}}
}

func (CreditNoteLine) Fields() []ent.Field {
	money := func(name string) ent.Field {
		return field.Int64(name).Default(0).Immutable().Annotations(Money{Amount: true})
	}
	return []ent.Field{
		field.String("credit_note_id").Immutable(),
		field.String("invoice_id").Immutable(),
		field.String("currency").Immutable(),
		field.Int("position").Immutable(),
		field.Enum("type").NamedValues("InvoiceLine", "INVOICE_LINE", "Custom", "CUSTOM").Immutable(),
		field.String("invoice_line_id").Optional().Nillable().Immutable(),
		// How an invoice line was credited; a line credited one way is
		// only ever credited that way again.
		field.Enum("method").NamedValues("Quantity", "QUANTITY", "Amount", "AMOUNT").Optional().Nillable().Immutable(),
		field.String("description").MaxRuneLen(500).Immutable(),
		field.String("quantity").Default("").Immutable().Comment("Decimal; empty for a credit by amount."),
		field.String("unit_amount").Default("").Immutable().Comment("Decimal in major units; empty for a credit by amount."),
		// amount is what the line credits before the invoice-level discount
		// share it gives back (discount_amount); tax is on the difference.
		money("amount"),
		money("discount_amount"),
		field.JSON("tax_amounts", []values.TaxAmount{}).Optional().Immutable(),
	}
}

func (CreditNoteLine) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("credit_note", CreditNote.Type).Ref("lines").Field("credit_note_id").Unique().Required().Immutable(),
		edge.To("invoice_line", InvoiceLine.Type).Field("invoice_line_id").Unique().Immutable(),
	}
}

func (CreditNoteLine) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("credit_note_id", "position"),
		// What earlier credit notes took from an invoice line.
		index.Fields("invoice_line_id"),
	}
}
