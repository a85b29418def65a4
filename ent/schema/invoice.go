package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/remitbilling/remit/internal/values"
)

// Invoice is a bill for a customer. Its lifecycle and totals are governed by
// internal/billing; the row only stores the outcome.
type Invoice struct{ ent.Schema }

func (Invoice) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "in"}, TimeMixin{}, ScopeMixin{Customer: "customer_id", HideDrafts: true}}
}

func (Invoice) Fields() []ent.Field {
	money := func(name string) ent.Field {
		return field.Int64(name).Default(0).Annotations(Money{Amount: true})
	}
	return []ent.Field{
		field.String("customer_id").Immutable(),
		field.String("number").Optional().Nillable().
			Annotations(entgql.OrderField("NUMBER")),
		field.String("transfer_reference").Optional().Nillable().
			Comment("Body of the invoice's ISO 11649 creditor reference, derived from its number at finalization."),
		field.Enum("status").NamedValues("Draft", "DRAFT", "Open", "OPEN", "Paid", "PAID", "Uncollectible", "UNCOLLECTIBLE", "Void", "VOID").Default("DRAFT").
			Annotations(entgql.OrderField("STATUS")),
		field.String("currency"),
		field.Enum("collection_method").NamedValues("SendInvoice", "SEND_INVOICE", "ChargeAutomatically", "CHARGE_AUTOMATICALLY").Default("SEND_INVOICE"),
		field.Int("days_until_due").Optional().Nillable(),
		field.Time("due_date").Optional().Nillable().
			Annotations(entgql.OrderField("DUE_DATE")),
		field.String("memo").Default(""),
		field.Enum("operation_category").NamedValues("Goods", "GOODS", "Services", "SERVICES", "Mixed", "MIXED").Optional().Nillable().
			Comment("Goods, services or both; empty takes the account's."),
		field.Time("supply_date").Optional().Nillable().Comment("Date of delivery or of the service's completion (EN 16931 BT-72)."),
		field.Time("service_period_start").Optional().Nillable().Comment("Start of the period invoiced (BT-73)."),
		field.Time("service_period_end").Optional().Nillable().Comment("End of the period invoiced (BT-74)."),
		field.String("footer").Default(""),
		field.JSON("custom_fields", []values.CustomField{}).Optional(),
		field.JSON("metadata", map[string]string{}).Optional(),
		field.JSON("discounts", []values.Discount{}).Optional(),
		// Amounts, in minor units, recomputed on every draft change and
		// frozen at finalization.
		money("subtotal"),
		money("total_discount"),
		money("total_tax"),
		money("total_excluding_tax"),
		field.Int64("total").Default(0).Annotations(entgql.OrderField("TOTAL"), Money{Amount: true}),
		money("starting_balance"),
		money("applied_balance"),
		field.Int64("ending_balance").Optional().Nillable().Annotations(Money{Amount: true}),
		money("amount_due"),
		money("amount_paid"),
		field.JSON("taxes", []values.TaxAmount{}).Optional(),
		// The buyer's tax status the totals were computed under (null: none),
		// so finalization knows whether the customer's status changed since.
		field.JSON("tax_exemption", &values.TaxExemption{}).Optional(),
		// Snapshots taken at finalization.
		field.JSON("customer_snapshot", &values.Party{}).Optional(),
		field.JSON("issuer_snapshot", &values.Party{}).Optional(),
		field.JSON("terms", values.InvoiceTerms{}).Optional(),
		field.Time("finalized_at").Optional().Nillable(),
		field.Time("paid_at").Optional().Nillable(),
		field.Time("voided_at").Optional().Nillable(),
		field.Time("marked_uncollectible_at").Optional().Nillable(),
		field.Time("disputed_at").Optional().Nillable().Comment("When the payer's bank first disputed a payment of the invoice (a chargeback)."),
		field.Time("overdue_at").Optional().Nillable().
			Comment("When the scheduler first saw the invoice past due and unpaid (and recorded invoice.overdue)."),
		field.JSON("out_of_band_payment", &values.OutOfBandPayment{}).Optional(),
		field.String("from_invoice_id").Optional().Nillable().Immutable(),
		field.String("latest_revision_id").Optional().Nillable(),
		field.String("duplicated_from_id").Optional().Nillable().Immutable(),
		// The hosted invoice page's unguessable token (128 random bits),
		// issued at finalization and replaceable by the merchant.
		field.String("hosted_token").Optional().Nillable().Unique().Sensitive(),
		field.Time("hosted_token_expires_at").Optional().Nillable(),
		// Payment plan: installments whose amounts add up to amount_due.
		field.JSON("amounts_due", []values.Installment{}).Optional(),
		// Payment method types this invoice accepts; empty accepts the
		// account's.
		field.Strings("payment_method_types").Optional(),
		// Money in flight (processing or awaiting authentication), counted
		// against what remains so concurrent attempts cannot overpay.
		field.Int64("amount_pending").Default(0).Annotations(Money{Amount: true}),
		// What issued credit notes took from the invoice (billing's credit
		// notes): the pre-payment part reduced amount_due; the post-payment
		// part was refunded, credited to the balance or returned outside
		// Remit. Voided credit notes give theirs back.
		money("pre_payment_credit_notes_amount"),
		money("post_payment_credit_notes_amount"),
		// Collection (billing's collections job). An invoice is looked at
		// again at next_collection_at, the earliest of what is planned for
		// it: its next reminder, its next automatic retry, a payment its
		// customer scheduled or the notice before it. The job finds due
		// invoices from one index, however many are not due.
		field.JSON("collection_settings", &values.CollectionSettings{}).Optional().
			Comment("Overrides of the customer's and account's collection settings."),
		field.String("test_clock_id").Optional().Nillable().Immutable().
			Comment("The test clock of the invoice's customer: the invoice lives on its time."),
		field.Time("next_collection_at").Optional().Nillable(),
		field.Time("last_reminder_at").Optional().Nillable().
			Comment("When the last reminder was due; before the first, when reminders started counting (finalization)."),
		field.Int("reminder_count").Default(0),
		field.Time("next_payment_attempt_at").Optional().Nillable().
			Comment("When the next automatic retry of a failed charge is made."),
		field.Int("attempt_count").Default(0).
			Comment("Automatic charge attempts made: the one at finalization and each retry."),
		field.Time("retry_started_at").Optional().Nillable().
			Comment("When the automatic charge first failed: retries are planned from it."),
		field.JSON("scheduled_payment", &values.ScheduledPayment{}).Optional(),
		field.Time("scheduled_payment_at").Optional().Nillable().
			Comment("When the payment the customer scheduled is charged (scheduled_payment.at), for the SCHEDULED standing."),
	}
}

func (Invoice) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("invoices").Field("customer_id").Unique().Required().Immutable(),
		edge.To("lines", InvoiceLine.Type).Annotations(entsqlCascade()),
		edge.To("default_tax_rates", TaxRate.Type),
		edge.To("history", InvoiceTransition.Type).Annotations(entsqlCascade()),
		edge.To("revisions", Invoice.Type).From("from_invoice").Field("from_invoice_id").Unique().Immutable(),
		// Inverse of Payment.invoice (no column of its own), so that a list
		// asking for its invoices' payments loads them in one query.
		edge.From("payments", Payment.Type).Ref("invoice"),
		// Inverse of CreditNote.invoice, for the same reason.
		edge.From("credit_notes", CreditNote.Type).Ref("invoice"),
	}
}

// awaitingPayment is the condition of the partial indexes of invoices
// awaiting payment (open or uncollectible), the only ones that can be past
// due. A query uses them when its WHERE clause has this very text
// (billing.Filter writes it so): SQLite matches a partial index's
// condition against the query's terms as written, not against bound
// values. PostgreSQL's migration keeps this text as written too, not the
// rewritten form the generator reads back ((status)::text = ANY (…)):
// PostgreSQL rewrites that form again, differently, so the schema would
// never match it (TestSchemaMatchesEnt).
const awaitingPayment = "status IN ('OPEN', 'UNCOLLECTIBLE')"

func (Invoice) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("account_id", "mode", "number").Unique(),
		index.Fields("account_id", "mode", "transfer_reference"),
		// The merchant list, one index per ordering. Each is the list in its
		// order (entgql orders by the field, then id), so a page reads its
		// index from the start (or from the cursor) and stops once it has
		// its rows, instead of sorting everything that matched. The
		// trailing columns let the filters (status, past due, due dates,
		// currency) reject an invoice from the index entry without reading
		// its row: on PostgreSQL too, where they are index conditions.
		// The default order, newest first. It replaces (account_id, mode,
		// created_at), its prefix, and (account_id, mode, status,
		// due_date), which the planner preferred for "past due" and which
		// made it sort every past-due invoice to return 50 of them.
		index.Fields("account_id", "mode", "created_at", "id", "status", "due_date", "currency").
			StorageKey("invoice_list_order"),
		index.Fields("account_id", "mode", "number", "id", "status", "due_date", "currency").
			StorageKey("invoice_list_number"),
		index.Fields("account_id", "mode", "status", "id", "due_date", "currency").
			StorageKey("invoice_list_status"),
		index.Fields("account_id", "mode", "due_date", "id", "status", "currency").
			StorageKey("invoice_list_due"),
		index.Fields("account_id", "mode", "total", "id", "status", "due_date", "currency").
			StorageKey("invoice_list_total"),
		// Past due, newest first or by number: only invoices awaiting
		// payment, so a page never reads a paid, void or draft invoice,
		// and rejects one not yet due from the entry (on PostgreSQL the
		// status test is the index's own condition, and the due date an
		// index condition, where the status list would be a filter read
		// from the row).
		index.Fields("account_id", "mode", "created_at", "id", "due_date").
			Annotations(entsql.IndexWhere(awaitingPayment)).StorageKey("invoice_awaiting_created"),
		index.Fields("account_id", "mode", "number", "id", "due_date").
			Annotations(entsql.IndexWhere(awaitingPayment)).StorageKey("invoice_awaiting_number"),
		// The overdue job's query, across accounts: open invoices not yet
		// marked overdue, by due date.
		index.Fields("status", "overdue_at", "due_date"),
		// The collections job's query: invoices whose next collection step
		// is due, in real time (no test clock) or on one test clock. Only
		// invoices with something planned are in it, so drafts and settled
		// invoices cost it nothing.
		index.Fields("test_clock_id", "next_collection_at").
			Annotations(entsql.IndexWhere("next_collection_at IS NOT NULL")).StorageKey("invoice_collection_due"),
		// A customer's invoices in each order of the list (the merchant
		// list's customer filter, the portal's list newest first). A
		// customer id names one account and mode, so they are not part of
		// the key. The first also serves the foreign key.
		index.Fields("customer_id", "created_at", "id").StorageKey("invoice_customer_created"),
		index.Fields("customer_id", "number", "id").StorageKey("invoice_customer_number"),
		index.Fields("customer_id", "status", "id").StorageKey("invoice_customer_status"),
		index.Fields("customer_id", "due_date", "id").StorageKey("invoice_customer_due"),
		index.Fields("customer_id", "total", "id").StorageKey("invoice_customer_total"),
	}
}

func (Invoice) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}

// InvoiceLine is one line of an invoice.
type InvoiceLine struct{ ent.Schema }

func (InvoiceLine) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "il"}, TimeMixin{}, ScopeMixin{CustomerVia: "invoice_id"}}
}

func (InvoiceLine) Fields() []ent.Field {
	return []ent.Field{
		field.String("invoice_id").Immutable(),
		field.String("currency").Immutable().Comment("The invoice's currency, kept here so amounts render without loading the invoice."),
		field.Int("position"),
		field.String("price_id").Optional().Nillable(),
		field.String("description").MaxRuneLen(500),
		field.String("quantity").Comment("Decimal with up to 4 decimals."),
		field.String("unit_amount").Comment("Decimal in major units."),
		field.JSON("discounts", []values.Discount{}).Optional(),
		// Null tax rates mean "use the invoice defaults"; an explicit empty
		// list means "untaxed".
		field.Bool("tax_rates_set").Default(false),
		field.Time("period_start").Optional().Nillable(),
		field.Time("period_end").Optional().Nillable(),
		field.JSON("metadata", map[string]string{}).Optional(),
		// Computed amounts, minor units.
		field.Int64("amount").Default(0).Annotations(Money{Amount: true}),
		field.Int64("discount_amount").Default(0).Annotations(Money{Amount: true}),
		field.Int64("invoice_discount_amount").Default(0).Annotations(Money{Amount: true}),
		field.JSON("tax_amounts", []values.TaxAmount{}).Optional(),
	}
}

func (InvoiceLine) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("invoice", Invoice.Type).Ref("lines").Field("invoice_id").Unique().Required().Immutable(),
		edge.To("price", Price.Type).Field("price_id").Unique(),
		edge.To("tax_rates", TaxRate.Type),
	}
}

func (InvoiceLine) Indexes() []ent.Index {
	return []ent.Index{index.Fields("invoice_id", "position")}
}

// InvoiceTransition records one step of an invoice's history: who moved it,
// when, from which status to which. Only steps taken before migration 0011
// are here: since then each step is the event that records it (the events'
// history_action), read back by billing.History; nothing writes this table.
type InvoiceTransition struct{ ent.Schema }

func (InvoiceTransition) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "ivt"}, TimeMixin{}, ScopeMixin{CustomerCreates: true}}
}

func (InvoiceTransition) Fields() []ent.Field {
	return []ent.Field{
		field.String("invoice_id").Immutable(),
		field.String("action").Immutable(),
		field.String("from_status").Default("").Immutable(),
		field.String("to_status").Immutable(),
		field.String("actor").Immutable(),
		field.String("note").Default("").Immutable(),
	}
}

func (InvoiceTransition) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("invoice", Invoice.Type).Ref("history").Field("invoice_id").Unique().Required().Immutable(),
	}
}

func (InvoiceTransition) Indexes() []ent.Index {
	return []ent.Index{index.Fields("invoice_id", "created_at")}
}

// Sequence is a gapless invoice-number counter: one per account and mode, or
// one per customer with per-customer numbering. It is advanced only inside
// the finalizing transaction.
type Sequence struct{ ent.Schema }

func (Sequence) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "seq"}, TimeMixin{}, ScopeMixin{}}
}

func (Sequence) Fields() []ent.Field {
	return []ent.Field{
		field.String("scope").Immutable().Comment(`"account" or a customer id.`),
		field.Int64("next").Default(1),
	}
}

func (Sequence) Indexes() []ent.Index {
	return []ent.Index{index.Fields("account_id", "mode", "scope").Unique()}
}

func (Sequence) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// IdempotencyKey stores the response to a mutation request so a retry with
// the same Idempotency-Key replays it instead of acting twice.
type IdempotencyKey struct{ ent.Schema }

func (IdempotencyKey) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "idk"}, TimeMixin{}, ScopeMixin{}}
}

func (IdempotencyKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").Immutable().MaxRuneLen(255),
		field.Bytes("request_hash").Immutable(),
		field.Int("status_code").Default(0),
		field.Bytes("response").Optional(),
		field.Time("expires_at").Immutable(),
	}
}

func (IdempotencyKey) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("account_id", "mode", "key").Unique(),
		index.Fields("expires_at"),
	}
}

func (IdempotencyKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}
