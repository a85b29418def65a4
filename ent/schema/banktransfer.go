package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// BankTransfer is one credit entry of a bank statement the merchant
// imported (or, in test mode, simulated): money received by transfer,
// matched to invoices and the customer's cash balance automatically or
// by hand. The merchant's alone: customers see the payments it made.
type BankTransfer struct{ ent.Schema }

func (BankTransfer) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "btr"}, TimeMixin{}, ScopeMixin{}}
}

func (BankTransfer) Fields() []ent.Field {
	return []ent.Field{
		// The bank's reference of the entry, or a digest of the entry when
		// it has none: the same entry imported twice, or from two
		// overlapping statements, is one transfer (unique per account and
		// mode).
		field.String("entry_key").Immutable(),
		field.String("entry_reference").Default("").Immutable().Comment("The bank's own reference of the entry, as given."),
		field.Int64("amount").Immutable().Annotations(Money{Amount: true}),
		field.String("currency").Immutable(),
		field.Time("booked_at").Immutable().Comment("Booking date of the entry."),
		field.String("counterparty_name").Default("").Immutable(),
		field.String("counterparty_iban").Default("").Immutable(),
		field.String("remittance").Default("").Immutable().Comment("Remittance information, unstructured and structured, as sent."),
		field.Enum("source").NamedValues("CAMT053", "CAMT_053", "CAMT054", "CAMT_054", "CSV", "CSV", "Test", "TEST").Immutable(),
		field.Enum("status").NamedValues("Unmatched", "UNMATCHED", "Matched", "MATCHED", "Ignored", "IGNORED").Default("UNMATCHED"),
		field.Enum("matched_by").NamedValues(
			"Reference", "REFERENCE", "InvoiceNumber", "INVOICE_NUMBER", "CustomerReference", "CUSTOMER_REFERENCE",
			"SenderAmount", "SENDER_AMOUNT", "AmountSet", "AMOUNT_SET", "Manual", "MANUAL").Optional().Nillable(),
		field.String("customer_id").Optional().Nillable().Comment("The customer the money came from, once known."),
		field.Int64("amount_applied").Default(0).Annotations(Money{Amount: true}).Comment("What the transfer paid on invoices."),
		field.Int64("amount_to_cash_balance").Default(0).Annotations(Money{Amount: true}).Comment("What went to the customer's cash balance."),
		field.String("unmatched_reason").Default("").Comment("Why automatic matching left it (machine code)."),
		field.String("note").Default("").MaxRuneLen(500).Comment("Why it was ignored or settled by hand."),
		field.Time("settled_at").Optional().Nillable().Comment("When it was matched or ignored."),
	}
}

func (BankTransfer) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("customer", Customer.Type).Field("customer_id").Unique().Annotations(entgql.Skip()),
	}
}

func (BankTransfer) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("account_id", "mode", "entry_key").Unique(),
		// The list, newest first, and by status (the unmatched ones).
		index.Fields("account_id", "mode", "created_at", "id"),
		index.Fields("account_id", "mode", "status", "created_at", "id"),
		// Whom an account number sent money for before (the sender rule).
		index.Fields("account_id", "mode", "counterparty_iban", "customer_id"),
	}
}

func (BankTransfer) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}

// CashBalanceTransaction is one entry of a customer's cash balance: money
// received (by transfer) and held for the customer until it pays an
// invoice or is refunded. Unlike the credit balance, it is money in the
// merchant's account, so what it pays is a payment.
type CashBalanceTransaction struct{ ent.Schema }

func (CashBalanceTransaction) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "ccsbtxn"}, TimeMixin{}, ScopeMixin{Customer: "customer_id"}}
}

func (CashBalanceTransaction) Fields() []ent.Field {
	return []ent.Field{
		field.String("customer_id").Immutable(),
		field.Enum("type").NamedValues("Funded", "FUNDED", "AppliedToPayment", "APPLIED_TO_PAYMENT", "Refunded", "REFUNDED").Immutable(),
		field.Int64("amount").Immutable().Annotations(Money{Amount: true}).Comment("Minor units: positive adds to the balance."),
		field.String("currency").Immutable(),
		field.Int64("ending_balance").Immutable().Annotations(Money{Amount: true}),
		field.String("bank_transfer_id").Optional().Nillable().Immutable(),
		field.String("invoice_id").Optional().Nillable().Immutable(),
		field.String("payment_id").Optional().Nillable().Immutable(),
		field.String("reference").Default("").Immutable().MaxRuneLen(140).Comment("The refund's bank reference."),
	}
}

func (CashBalanceTransaction) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("customer", Customer.Type).Field("customer_id").Unique().Required().Immutable().Annotations(entgql.Skip()),
	}
}

func (CashBalanceTransaction) Indexes() []ent.Index {
	return []ent.Index{index.Fields("customer_id", "created_at")}
}

func (CashBalanceTransaction) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}
