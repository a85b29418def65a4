package schema

import (
	"context"
	"strings"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	gen "github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/hook"
	"github.com/remitbilling/remit/internal/values"
)

// Customer is someone a business invoices.
type Customer struct{ ent.Schema }

func (Customer) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "cus"}, TimeMixin{}, ScopeMixin{Customer: "id"}}
}

func (Customer) Fields() []ent.Field {
	return []ent.Field{
		field.String("email").Default("").MaxRuneLen(512).Comment("Email address invoices are sent to."),
		field.String("name").Default("").MaxRuneLen(256).Comment("Full or business name."),
		field.String("phone").Default("").MaxRuneLen(20).Comment("Phone number."),
		field.String("description").Default("").MaxRuneLen(5000).Comment("Internal note, never shown to the customer."),
		field.JSON("address", &values.Address{}).Optional().Comment("Billing address."),
		field.JSON("shipping", &values.Shipping{}).Optional().Comment("Shipping details."),
		field.Strings("preferred_locales").Optional().Comment("BCP 47 language tags, most preferred first."),
		field.String("currency").Default("").Comment("ISO 4217 currency; locked once set, invoiced or given a balance."),
		field.Enum("entity_type").NamedValues("Individual", "INDIVIDUAL", "Business", "BUSINESS").Optional().Nillable().
			Comment("A business or a private person; unset reads as a business when the customer has a tax id."),
		field.Enum("tax_exempt").NamedValues("None", "NONE", "Exempt", "EXEMPT", "Reverse", "REVERSE").Default("NONE").Comment("Tax status."),
		field.String("tax_exemption_reason").Default("").MaxRuneLen(300).Comment("Why the customer's invoices carry no VAT (EN 16931 BT-120), e.g. the article of law."),
		field.String("tax_exemption_code").Default("").Comment("VATEX code of the exemption (EN 16931 BT-121), e.g. VATEX-EU-132-1I."),
		field.JSON("tax_ids", []values.TaxID{}).Optional().Comment("Tax identifiers."),
		field.String("invoice_prefix").NotEmpty().Comment("Prefix of this customer's invoice numbers with per-customer numbering."),
		field.Int64("balance").Default(0).Comment("Credit balance in minor units: negative is credit owed to the customer, positive is owed by the customer."),
		field.Int64("cash_balance").Default(0).Comment("Money received by transfer and held for the customer, in minor units of its currency (never negative)."),
		field.String("transfer_reference").Default("").Comment("Body of the customer's ISO 11649 creditor reference for payments on account (\"C\" and 12 characters of its id), set at creation."),
		field.JSON("metadata", map[string]string{}).Optional().Comment("Free key/value pairs."),
		field.JSON("invoice_settings", values.InvoiceSettings{}).Optional().Comment("Overrides of the account's invoice template."),
		field.String("processor_customer_ref").Default("").Sensitive().Comment("The customer's id at the connected processor (Stripe's cus_…), created when a method is first saved there."),
		field.String("processor_connection_id").Default("").Comment("The processor connection processor_customer_ref belongs to: a new connection starts a new processor customer."),
		field.String("default_payment_method_id").Optional().Nillable().Comment("Payment method charged by default."),
		field.Time("deleted_at").Optional().Nillable().Comment("Set when deleted while invoices still reference it."),
		field.JSON("collection_settings", &values.CollectionSettings{}).Optional().Comment("Overrides of the account's collection settings."),
		field.String("test_clock_id").Optional().Nillable().Immutable().Comment("Test clock the customer lives on (test mode only; set at creation)."),
		field.Int64("revision").Default(0).Annotations(entgql.Skip()).
			Comment("Moves with every change of the row (customerRevisionHook): a reader that kept the row can tell whether it is still current from this column alone."),
	}
}

func (Customer) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("invoices", Invoice.Type).Annotations(entgql.Skip()),
		edge.To("balance_transactions", BalanceTransaction.Type).Annotations(entgql.Skip()),
		// The search terms of the name and email (SQLite's search).
		edge.To("terms", CustomerTerm.Type).Annotations(entgql.Skip(), entsqlCascade()),
		// Inverse of PaymentMethod.customer, loaded in one query for a list
		// of customers.
		edge.From("payment_methods", PaymentMethod.Type).Ref("customer"),
	}
}

func (Customer) Indexes() []ent.Index {
	// Trigram indexes of name and email (pg_trgm; the migration creates the
	// extension) answer PostgreSQL's search, name or email ILIKE '%…%', and
	// the case-insensitive email filter, ILIKE '…', from the postings of the
	// query's trigrams (3 characters at least; a shorter query reads the
	// list in order). SQLite has no such index type: there these are plain
	// indexes, and the search reads CustomerTerm.
	trigrams := []schema.Annotation{entsql.IndexTypes(map[string]string{dialect.Postgres: "GIN"}), entsql.OpClass("gin_trgm_ops")}
	return []ent.Index{
		index.Fields("account_id", "mode", "invoice_prefix").Unique(),
		index.Fields("account_id", "mode", "transfer_reference"),
		index.Fields("test_clock_id"),
		index.Fields("account_id", "mode", "email"),
		// The list in its order (created_at, then id), so a page reads it
		// from the start or the cursor and stops once full; deleted_at
		// rejects a deleted customer from the entry (a search read in this
		// order tests many customers).
		index.Fields("account_id", "mode", "created_at", "id", "deleted_at").StorageKey("customer_list_order"),
		index.Fields("name").Annotations(trigrams...).StorageKey("customer_name_trigrams"),
		index.Fields("email").Annotations(trigrams...).StorageKey("customer_email_trigrams"),
	}
}

func (Customer) Hooks() []ent.Hook {
	return []ent.Hook{customerTermsHook, customerTransferReferenceHook, customerRevisionHook}
}

// customerRevisionHook moves the revision with every update, whoever
// makes it and whatever it changes: billing keeps customers it read and
// trusts a kept one only while its revision is the row's (see
// customers.Known).
func customerRevisionHook(next ent.Mutator) ent.Mutator {
	return hook.CustomerFunc(func(ctx context.Context, m *gen.CustomerMutation) (ent.Value, error) {
		if m.Op().Is(ent.OpUpdate | ent.OpUpdateOne) {
			if err := m.AddField("revision", int64(1)); err != nil {
				return nil, err
			}
		}
		return next.Mutate(ctx, m)
	})
}

// customerTransferReferenceHook gives a new customer its creditor
// reference body: "C" and the last 12 characters of its id (60 random
// bits, upper-cased), so migration 0020 could give existing customers the
// same in SQL. Bank clients often upper-case what is typed.
func customerTransferReferenceHook(next ent.Mutator) ent.Mutator {
	return hook.CustomerFunc(func(ctx context.Context, m *gen.CustomerMutation) (ent.Value, error) {
		if id, ok := m.ID(); ok && m.Op().Is(ent.OpCreate) {
			// Defaults are applied before hooks run: unset reads as "".
			if v, _ := m.Field("transfer_reference"); v == "" && len(id) > 12 {
				if err := m.SetField("transfer_reference", "C"+strings.ToUpper(id[len(id)-12:])); err != nil {
					return nil, err
				}
			}
		}
		return next.Mutate(ctx, m)
	})
}

func (Customer) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}

// BalanceTransaction is one entry of a customer's credit-balance ledger.
type BalanceTransaction struct{ ent.Schema }

func (BalanceTransaction) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "cbtxn"}, TimeMixin{}, ScopeMixin{Customer: "customer_id"}}
}

func (BalanceTransaction) Fields() []ent.Field {
	return []ent.Field{
		field.String("customer_id").Immutable(),
		field.String("invoice_id").Optional().Nillable().Immutable(),
		field.String("credit_note_id").Optional().Nillable().Immutable().Comment("The credit note whose credit_amount this entry is (or gives back)."),
		field.Int64("amount").Immutable().Comment("Minor units; negative credits the customer."),
		field.String("currency").Immutable(),
		field.Enum("type").NamedValues("Adjustment", "ADJUSTMENT", "AppliedToInvoice", "APPLIED_TO_INVOICE", "UnappliedFromInvoice", "UNAPPLIED_FROM_INVOICE", "InvoiceTooSmall", "INVOICE_TOO_SMALL", "CreditNote", "CREDIT_NOTE").Immutable(),
		field.String("description").Default("").MaxRuneLen(350).Comment("Reason for the entry."),
		field.Int64("ending_balance").Immutable().Comment("Customer balance after this entry."),
	}
}

func (BalanceTransaction) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("balance_transactions").Field("customer_id").Unique().Required().Immutable(),
		edge.To("invoice", Invoice.Type).Field("invoice_id").Unique().Immutable(),
		edge.To("credit_note", CreditNote.Type).Field("credit_note_id").Unique().Immutable(),
	}
}

func (BalanceTransaction) Indexes() []ent.Index {
	return []ent.Index{index.Fields("customer_id", "created_at")}
}

func (BalanceTransaction) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}
