package graph

import (
	"github.com/remitbilling/remit/ent/account"
	"github.com/remitbilling/remit/ent/invoice"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/remitbilling/remit/graph/model"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/customers"
	"github.com/remitbilling/remit/internal/processors"
	"github.com/remitbilling/remit/internal/values"
	"github.com/remitbilling/remit/internal/viewer"
)

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func addressOf(in *model.AddressInput) *values.Address {
	if in == nil {
		return nil
	}
	return &values.Address{
		Line1: str(in.Line1), Line2: str(in.Line2), City: str(in.City),
		State: str(in.State), PostalCode: str(in.PostalCode), Country: str(in.Country),
	}
}

func customerInput(in *model.CustomerInput) customers.Input {
	if in == nil {
		return customers.Input{}
	}
	out := customers.Input{
		Email: in.Email, Name: in.Name, Phone: in.Phone, Description: in.Description,
		Address:          addressOf(in.Address),
		PreferredLocales: in.PreferredLocales, SetLocales: in.PreferredLocales != nil,
		Currency: in.Currency, TaxExempt: in.TaxExempt, EntityType: in.EntityType,
		TaxExemptionReason: in.TaxExemptionReason, TaxExemptionCode: in.TaxExemptionCode,
		SetTaxIDs: in.TaxIds != nil, InvoicePrefix: in.InvoicePrefix, Metadata: in.Metadata,
	}
	if in.Shipping != nil {
		out.Shipping = &values.Shipping{Name: str(in.Shipping.Name), Phone: str(in.Shipping.Phone)}
		if a := addressOf(in.Shipping.Address); a != nil {
			out.Shipping.Address = *a
		}
	}
	for _, t := range in.TaxIds {
		out.TaxIDs = append(out.TaxIDs, *t)
	}
	out.CollectionSettings = collectionSettingsOf(in.CollectionSettings)
	if st := in.InvoiceSettings; st != nil {
		out.InvoiceSettings = &values.InvoiceSettings{
			Memo: st.Memo, Footer: st.Footer, DaysUntilDue: st.DaysUntilDue, AutoSend: st.AutoSend,
		}
		if st.PageSize != nil {
			p := string(*st.PageSize)
			out.InvoiceSettings.PageSize = &p
		}
		if st.CustomFields != nil {
			out.InvoiceSettings.CustomFieldsSet = true
			out.InvoiceSettings.CustomFields = *customFieldsOf(st.CustomFields)
		}
	}
	return out
}

// customFieldsOf copies an input list; nil stays nil (leave as is).
func customFieldsOf(in []*values.CustomField) *[]values.CustomField {
	if in == nil {
		return nil
	}
	out := make([]values.CustomField, len(in))
	for i, f := range in {
		out[i] = *f
	}
	return &out
}

func discountsInput(ds []*model.DiscountInput) []billing.DiscountInput {
	out := make([]billing.DiscountInput, len(ds))
	for i, d := range ds {
		out[i] = billing.DiscountInput{Percent: d.Percent, AmountOff: d.AmountOff, Name: str(d.Name)}
	}
	return out
}

func lineInput(in *model.InvoiceLineInput) billing.LineInput {
	if in == nil {
		return billing.LineInput{}
	}
	return billing.LineInput{
		PriceID: in.Price, Description: in.Description, Quantity: in.Quantity,
		UnitAmount: in.UnitAmount, UnitAmountMinor: in.UnitAmountMinor,
		TaxRateIDs: in.TaxRates, SetTaxRates: in.TaxRates != nil,
		ClearTaxRates: in.UseDefaultTaxRates != nil && *in.UseDefaultTaxRates,
		Discounts:     discountsInput(in.Discounts), SetDiscounts: in.Discounts != nil,
		PeriodStart: in.PeriodStart, PeriodEnd: in.PeriodEnd, Metadata: in.Metadata,
	}
}

func linesInput(ls []*model.InvoiceLineInput) []billing.LineInput {
	out := make([]billing.LineInput, len(ls))
	for i, l := range ls {
		out[i] = lineInput(l)
	}
	return out
}

func customFields(fs []*values.CustomField) []values.CustomField {
	out := make([]values.CustomField, len(fs))
	for i, f := range fs {
		out[i] = *f
	}
	return out
}

func installmentsInput(in []*model.InstallmentInput) []billing.InstallmentInput {
	out := make([]billing.InstallmentInput, len(in))
	for i, it := range in {
		out[i] = billing.InstallmentInput{Amount: it.Amount, DaysUntilDue: it.DaysUntilDue, DueDate: it.DueDate, Description: str(it.Description)}
	}
	return out
}

// collectionSettingsOf turns the API's settings input into stored
// overrides; nil stays nil.
func collectionSettingsOf(in *model.CollectionSettingsInput) *values.CollectionSettings {
	if in == nil {
		return nil
	}
	out := &values.CollectionSettings{ScheduledPayments: in.ScheduledPayments}
	if r := in.Reminders; r != nil {
		out.Reminders = &values.ReminderSettings{
			Enabled: r.Enabled, OffsetDays: r.OffsetDays, OffsetDaysSet: r.OffsetDays != nil,
			InstallmentDaysBefore: r.InstallmentDaysBefore,
		}
	}
	if r := in.Retries; r != nil {
		out.Retries = &values.RetrySettings{
			Enabled: r.Enabled, Policy: r.Policy, Tries: r.Tries, Window: r.Window, ScheduleDays: r.ScheduleDays,
			DirectDebit: r.DirectDebit, WhenExhausted: r.WhenExhausted,
		}
	}
	if e := in.Emails; e != nil {
		out.Emails = &values.CollectionEmails{
			Reminder: e.Reminder, PaymentFailed: e.PaymentFailed, ActionRequired: e.ActionRequired,
			Receipt: e.Receipt, CardExpiring: e.CardExpiring, ScheduledPayment: e.ScheduledPayment,
		}
	}
	return out
}

// exportNames are the exports' names in their paths.
var exportNames = map[model.ExportKind]string{
	model.ExportKindInvoices: "invoices", model.ExportKindCustomers: "customers",
	model.ExportKindPayments: "payments", model.ExportKindCreditNotes: "credit-notes",
	model.ExportKindAging: "aging",
}

// agingParams writes receivablesAging's input as /exports/aging.csv's
// query parameters.
func agingParams(q url.Values, in *model.ReceivablesAgingInput) {
	if in.AsOf != nil {
		q.Set("as_of", in.AsOf.UTC().Format(time.RFC3339))
	}
	if in.Currency != nil {
		q.Set("currency", *in.Currency)
	}
	if in.Customer != nil {
		q.Set("customer", *in.Customer)
	}
}

// exportFilter writes the invoices list's filter as the export's query
// parameters.
func exportFilter(q url.Values, f *model.InvoiceFilter) {
	var statuses []string
	for _, st := range f.Status {
		statuses = append(statuses, string(st))
	}
	if len(statuses) > 0 {
		q.Set("status", strings.Join(statuses, ","))
	}
	if len(f.Standing) > 0 {
		q.Set("standing", strings.Join(f.Standing, ","))
	}
	for k, v := range map[string]*string{"customer": f.Customer, "currency": f.Currency, "number": f.Number} {
		if v != nil {
			q.Set(k, *v)
		}
	}
	for k, v := range map[string]*time.Time{"created_after": f.CreatedAfter, "created_before": f.CreatedBefore, "due_after": f.DueAfter, "due_before": f.DueBefore} {
		if v != nil {
			q.Set(k, v.UTC().Format(time.RFC3339))
		}
	}
	if f.PastDue != nil {
		q.Set("past_due", strconv.FormatBool(*f.PastDue))
	}
}

// supplyInput fills what an invoice sells and when into in.
func supplyInput(in *billing.DraftInput, category *account.OperationCategory, supply *time.Time, period *model.ServicePeriodInput) {
	if category != nil {
		c := invoice.OperationCategory(*category)
		in.OperationCategory = &c
	}
	in.SetSupply = supply != nil || period != nil
	in.SupplyDate = supply
	if period != nil {
		in.ServicePeriod = &billing.Period{Start: period.Start, End: period.End}
	}
}

// paymentProcessorOf shows a processor connection.
func paymentProcessorOf(c *processors.Connection) *model.PaymentProcessor {
	row := c.Row
	out := &model.PaymentProcessor{
		Provider:          model.PaymentProvider(row.Provider),
		Livemode:          row.Mode == viewer.Live,
		SecretKeyLast4:    row.SecretKeyLast4,
		PublishableKey:    row.PublishableKey,
		WebhookEvents:     c.WebhookEvents,
		WebhookReady:      len(row.WebhookSecretSealed) > 0,
		WebhookRegistered: row.WebhookEndpointRef != "",
		ConnectedAt:       row.CreatedAt,
	}
	if c.WebhookURL != "" {
		out.WebhookURL = &c.WebhookURL
	}
	if row.ProcessorAccountRef != "" {
		out.AccountID = &row.ProcessorAccountRef
	}
	return out
}
