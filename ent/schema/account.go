package schema

import (
	"context"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/privacy"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"github.com/remitbilling/remit/ent/intercept"
	"github.com/remitbilling/remit/internal/values"
	"github.com/remitbilling/remit/internal/viewer"
)

// Account is a business using Remit: its legal identity, which every issued
// invoice snapshots, and its invoicing settings.
type Account struct{ ent.Schema }

func (Account) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "acct"}, TimeMixin{}}
}

func (Account) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(256).Comment("Trading name shown to customers."),
		field.String("legal_name").Default("").MaxRuneLen(256).Comment("Registered legal name printed on invoices."),
		field.String("email").Default("").MaxRuneLen(512).Comment("Contact email printed on invoices."),
		field.String("phone").Default("").MaxRuneLen(20).Comment("Contact phone printed on invoices."),
		field.JSON("address", values.Address{}).Optional().Comment("Registered address."),
		field.String("country").Default("").MaxRuneLen(2).Comment("ISO 3166-1 alpha-2 country of establishment."),
		field.String("siren").Default("").Comment("French SIREN (9 digits), when registered in France."),
		field.String("siret").Default("").Comment("French SIRET (14 digits) of the issuing establishment."),
		field.String("vat_number").Default("").Comment("Intra-community VAT number."),
		field.String("default_currency").Default("EUR").Comment("Currency proposed for new customers and invoices."),
		field.Enum("numbering_scheme").NamedValues("Account", "ACCOUNT", "Customer", "CUSTOMER").Default("ACCOUNT").
			Comment("ACCOUNT: one gapless sequence for the account (the EU default); CUSTOMER: one sequence per customer prefix."),
		field.String("invoice_prefix").Default("INV").Comment("Prefix of account-wide invoice numbers (3–12 uppercase letters or digits)."),
		field.Int("default_days_until_due").Default(30).Comment("Days until due for send_invoice invoices that set neither a due date nor days until due."),
		field.String("default_footer").Default("").MaxRuneLen(5000).Comment("Footer copied onto new invoices."),
		field.String("default_memo").Default("").MaxRuneLen(1500).Comment("Memo copied onto new invoices."),
		field.JSON("default_custom_fields", []values.CustomField{}).Optional().Comment("Custom fields copied onto new invoices."),
		field.Enum("page_size").NamedValues("A4", "A4", "Letter", "LETTER").Default("A4").Comment("PDF page size."),
		field.String("late_payment_penalty").Default("").MaxRuneLen(500).Comment("Late-payment penalty rate as printed; empty prints the legal default for French sellers."),
		field.String("recovery_indemnity").Default("").MaxRuneLen(200).Comment("Fixed recovery indemnity as printed; empty prints the legal default (40 €) for French sellers."),
		field.String("early_payment_discount").Default("").MaxRuneLen(500).Comment("Early-payment discount wording; empty prints that none is granted when penalties are printed."),
		field.Bool("auto_send").Default(false).Comment("Email invoices to the customer when they are finalized, unless finalization says otherwise."),
		field.Strings("payment_method_types").Optional().Comment("Payment method types invoices accept; empty accepts cards and direct debits."),
		field.String("bank_transfer_instructions").Default("").MaxRuneLen(1000).Comment("How to pay by bank transfer (IBAN, BIC, reference), printed on invoices and the hosted page."),
		field.String("bank_iban").Default("").Comment("IBAN customers pay transfers to (check digits verified), printed with the creditor references and in the EPC QR code."),
		field.String("bank_bic").Default("").Comment("BIC of that account's bank (ISO 9362)."),
		field.String("bank_account_name").Default("").MaxRuneLen(70).Comment("Beneficiary name of that account; empty is the legal name, else the name."),
		field.Bool("cash_balance_auto_apply").Default(false).Comment("Pay each newly finalized invoice from the customer's cash balance (money received by transfer and not yet applied)."),
		field.String("legal_form").Default("").MaxRuneLen(60).Comment("Legal form printed on invoices (SAS, SARL, GmbH…; C. com. R123-237)."),
		field.String("share_capital").Default("").MaxRuneLen(60).Comment("Share capital as printed (\"10 000 €\"), for companies that have one."),
		field.String("registration").Default("").MaxRuneLen(120).Comment("Trade register entry as printed (\"RCS Paris 123 456 789\")."),
		field.Bool("vat_on_debits").Default(false).Comment("The seller opted to pay VAT on debits (option pour le paiement de la taxe d'après les débits), printed and sent as such."),
		field.Enum("operation_category").NamedValues("Goods", "GOODS", "Services", "SERVICES", "Mixed", "MIXED").Optional().Nillable().
			Comment("What invoices sell by default: goods, services or both (the French mention, EN 16931 BT-23 in France)."),
		field.Bool("einvoice_strict").Default(true).Comment("Refuse to finalize an invoice that misses a mention the e-invoicing rules make mandatory."),
		field.String("purchase_order_field").Default("").MaxRuneLen(40).Comment("Name of the custom field carrying the buyer's purchase order reference (EN 16931 BT-13)."),
		field.String("brand_color").Default("").Comment("Brand colour, #rrggbb; empty is Remit's default."),
		field.String("accent_color").Default("").Comment("Accent colour, #rrggbb; empty is Remit's default."),
		field.JSON("collection_settings", &values.CollectionSettings{}).Optional().Comment("Reminders, retries and collection emails; unset parts are Remit's defaults."),
	}
}

func (Account) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}

// ownedBy scopes a query or mutation to the viewer's account through
// column, whatever the mode: account settings and branding are shared by
// test and live.
func ownedBy(column string) func(context.Context, any) error {
	return func(ctx context.Context, target any) error {
		v, ok := viewer.FromContext(ctx)
		if !ok {
			return privacy.Denyf("no viewer in context")
		}
		w, ok := target.(wherer)
		if !ok {
			return privacy.Denyf("cannot scope %T", target)
		}
		w.WhereP(sql.FieldEQ(column, v.AccountID))
		return privacy.Allow
	}
}

func (Account) Policy() ent.Policy {
	own := ownedBy("id")
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			queryRule(func(ctx context.Context, q ent.Query) error {
				iq, err := intercept.NewQuery(q)
				if err != nil {
					return privacy.Denyf("cannot scope %T: %v", q, err)
				}
				return own(ctx, iq)
			}),
			privacy.AlwaysAllowRule(),
		},
		Mutation: privacy.MutationPolicy{
			// Accounts are created only by the operator (CLI, first start),
			// which runs with an explicit system decision.
			privacy.OnMutationOperation(
				privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error { return own(ctx, m) }),
				ent.OpUpdateOne|ent.OpUpdate,
			),
			privacy.AlwaysDenyRule(),
		},
	}
}

func viewerOf(ctx context.Context) (string, bool) {
	v, ok := viewer.FromContext(ctx)
	return v.AccountID, ok
}
