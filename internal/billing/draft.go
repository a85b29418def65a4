package billing

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/invoiceline"
	"github.com/remitbilling/remit/ent/price"
	"github.com/remitbilling/remit/ent/taxrate"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/events"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/validate"
	"github.com/remitbilling/remit/internal/values"
	"github.com/remitbilling/remit/internal/viewer"
)

// DiscountInput is an amount (major units, exact) or a percentage off.
type DiscountInput struct {
	Percent   *string
	AmountOff *string
	Name      string
}

// LineInput describes a line to add or the fields of a line to change; nil
// leaves a field as it is (or takes its default on a new line).
type LineInput struct {
	PriceID     *string
	Description *string
	Quantity    *string
	// UnitAmount is in major units; UnitAmountMinor in whole minor units.
	// At most one is set; a line with a price takes the price's amount.
	UnitAmount      *string
	UnitAmountMinor *string
	// TaxRateIDs replaces the line's rates when SetTaxRates; an empty list
	// makes the line untaxed, and ClearTaxRates returns it to the invoice
	// defaults.
	TaxRateIDs    []string
	SetTaxRates   bool
	ClearTaxRates bool
	Discounts     []DiscountInput
	SetDiscounts  bool
	PeriodStart   *time.Time
	PeriodEnd     *time.Time
	Metadata      map[string]string
}

// DraftInput carries invoice fields; nil leaves a field as it is (or takes
// its default on creation).
type DraftInput struct {
	CustomerID         string
	Currency           *string
	CollectionMethod   *invoice.CollectionMethod
	DaysUntilDue       *int
	DueDate            *time.Time
	Memo               *string
	Footer             *string
	CustomFields       []values.CustomField
	SetCustomFields    bool
	Metadata           map[string]string
	DefaultTaxRateIDs  []string
	SetDefaultTaxRates bool
	Discounts          []DiscountInput
	SetDiscounts       bool
	Lines              []LineInput
	// AmountsDue is a payment plan; an empty list with SetAmountsDue
	// removes it.
	AmountsDue    []InstallmentInput
	SetAmountsDue bool
	// PaymentMethodTypes narrows the account's accepted types for this
	// invoice; an empty list with the flag accepts the account's again.
	PaymentMethodTypes    []string
	SetPaymentMethodTypes bool
	// What the invoice sells and when (the French mentions, EN 16931
	// BT-23 in France, BT-72, BG-14); SetSupply with nil values clears.
	OperationCategory *invoice.OperationCategory
	SupplyDate        *time.Time
	ServicePeriod     *Period
	SetSupply         bool
}

// Period is the service period an invoice covers, both ends included.
type Period struct{ Start, End time.Time }

// refs holds the prices and tax rates an input names, loaded in one query
// each.
type refs struct {
	prices   map[string]*ent.Price
	taxRates map[string]*ent.TaxRate
}

func (s *Service) loadRefs(ctx context.Context, db *ent.Client, priceIDs, rateIDs []string) (refs, error) {
	r := refs{prices: map[string]*ent.Price{}, taxRates: map[string]*ent.TaxRate{}}
	if len(priceIDs) > 0 {
		ps, err := db.Price.Query().Where(price.IDIn(priceIDs...)).WithProduct().All(ctx)
		if err != nil {
			return r, fmt.Errorf("load prices: %w", err)
		}
		for _, p := range ps {
			r.prices[p.ID] = p
		}
	}
	if len(rateIDs) == 0 {
		return r, nil
	}
	if db == s.db {
		if all, err := s.accountRates(ctx); err != nil {
			return r, err
		} else if all != nil {
			var missing []string
			for _, id := range rateIDs {
				if t, ok := all[id]; ok {
					r.taxRates[id] = t
				} else {
					missing = append(missing, id)
				}
			}
			// A rate created by another process moments ago may not be
			// known here yet: read what is not kept.
			if rateIDs = missing; len(rateIDs) == 0 {
				return r, nil
			}
		}
	}
	rs, err := db.TaxRate.Query().Where(taxrate.IDIn(rateIDs...)).All(ctx)
	if err != nil {
		return r, fmt.Errorf("load tax rates: %w", err)
	}
	for _, t := range rs {
		r.taxRates[t.ID] = t
	}
	return r, nil
}

// maxCachedRates bounds the tax rates of an account kept in memory; an
// account with more reads the ones it names each time.
const maxCachedRates = 1000

// accountRates returns every tax rate of the caller's account and mode,
// kept in memory while no tax rate changes (a rate's percentage never
// does; archiving one is a change), or nil when there are too many.
func (s *Service) accountRates(ctx context.Context) (map[string]*ent.TaxRate, error) {
	v, _ := viewer.FromContext(ctx)
	return s.rates.Get(v.AccountID+"/"+string(v.Mode), func() (map[string]*ent.TaxRate, error) {
		rs, err := s.db.TaxRate.Query().Limit(maxCachedRates + 1).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("load tax rates: %w", err)
		}
		if len(rs) > maxCachedRates {
			return nil, nil
		}
		all := make(map[string]*ent.TaxRate, len(rs))
		for _, t := range rs {
			all[t.ID] = t
		}
		return all, nil
	})
}

func collectRefs(lines []LineInput, defaults []string) (priceIDs, rateIDs []string) {
	rateIDs = append(rateIDs, defaults...)
	for _, l := range lines {
		if l.PriceID != nil {
			priceIDs = append(priceIDs, *l.PriceID)
		}
		rateIDs = append(rateIDs, l.TaxRateIDs...)
	}
	return priceIDs, rateIDs
}

// checkRates validates tax-rate references: they exist, are active when newly
// assigned, are not repeated, and at most max.
func (r refs) checkRates(errs *usererr.List, ids []string, max int, field ...string) {
	if len(ids) > max {
		*errs = append(*errs, usererr.Newf(usererr.LimitExceeded, field, "at most %d tax rates", max))
		return
	}
	seen := map[string]bool{}
	for i, id := range ids {
		path := append(append([]string{}, field...), fmt.Sprint(i))
		t, ok := r.taxRates[id]
		switch {
		case !ok:
			*errs = append(*errs, usererr.New(usererr.NotFound, "no such tax rate", path...))
		case !t.Active:
			*errs = append(*errs, usererr.New(usererr.Inactive, "this tax rate is archived", path...))
		case seen[id]:
			*errs = append(*errs, usererr.New(usererr.Invalid, "tax rate listed twice", path...))
		}
		seen[id] = true
	}
}

func checkDiscounts(errs *usererr.List, ds []DiscountInput, currency string, field ...string) []values.Discount {
	if len(ds) > MaxDiscounts {
		*errs = append(*errs, usererr.Newf(usererr.LimitExceeded, field, "at most %d discounts", MaxDiscounts))
		return nil
	}
	out := make([]values.Discount, 0, len(ds))
	for i, d := range ds {
		path := append(append([]string{}, field...), fmt.Sprint(i))
		var v values.Discount
		v.Name = strings.TrimSpace(d.Name)
		if len([]rune(v.Name)) > 100 {
			*errs = append(*errs, usererr.New(usererr.LimitExceeded, "discount names are at most 100 characters", append(path, "name")...))
		}
		switch {
		case (d.Percent == nil) == (d.AmountOff == nil):
			*errs = append(*errs, usererr.New(usererr.Invalid, "give either percent or amountOff", path...))
		case d.Percent != nil:
			p, err := money.ParseDecimal(*d.Percent)
			if err != nil || !p.IsPositive() || p.GreaterThan(decimal.NewFromInt(100)) || !p.Equal(p.Round(4)) {
				*errs = append(*errs, usererr.New(usererr.Invalid, "percent is above 0, at most 100, with at most 4 decimals", append(path, "percent")...))
				continue
			}
			v.Percent = p.String()
		default:
			a, err := money.ParseAmount(*d.AmountOff, currency, append(path, "amountOff")...)
			if err != nil {
				errs.Add(err)
				continue
			}
			if a <= 0 {
				*errs = append(*errs, usererr.New(usererr.InvalidAmount, "amountOff is above 0", append(path, "amountOff")...))
				continue
			}
			v.AmountOff = a
		}
		out = append(out, v)
	}
	return out
}

// lineDraft is a validated line ready to store.
type lineDraft struct {
	priceID     *string
	description string
	quantity    decimal.Decimal
	unitAmount  decimal.Decimal
	rateIDs     []string
	ratesSet    bool
	discounts   []values.Discount
	periodStart *time.Time
	periodEnd   *time.Time
	metadata    map[string]string
}

// buildLine validates in, merged over base (nil for a new line).
func buildLine(errs *usererr.List, in LineInput, base *lineDraft, currency string, r refs, field ...string) lineDraft {
	at := func(f string) []string { return append(append([]string{}, field...), f) }
	d := lineDraft{quantity: decimal.NewFromInt(1)}
	if base != nil {
		d = *base
	}
	if in.PriceID != nil {
		p, ok := r.prices[*in.PriceID]
		switch {
		case !ok:
			*errs = append(*errs, usererr.New(usererr.NotFound, "no such price", at("price")...))
		case !p.Active:
			*errs = append(*errs, usererr.New(usererr.Inactive, "this price is archived", at("price")...))
		case p.Currency != currency:
			*errs = append(*errs, usererr.Newf(usererr.CurrencyMismatch, at("price"), "the price is in %s and the invoice in %s", p.Currency, currency))
		default:
			d.priceID = &p.ID
			d.unitAmount, _ = decimal.NewFromString(p.UnitAmount)
			if d.description == "" && p.Edges.Product != nil {
				d.description = p.Edges.Product.Name
			}
		}
		if (in.UnitAmount != nil || in.UnitAmountMinor != nil) && ok {
			*errs = append(*errs, usererr.New(usererr.Invalid, "a line with a price takes the price's unit amount", at("unitAmount")...))
		}
	}
	switch {
	case in.UnitAmount != nil && in.UnitAmountMinor != nil:
		*errs = append(*errs, usererr.New(usererr.Invalid, "give unitAmount or unitAmountMinor, not both", at("unitAmount")...))
	case in.UnitAmount != nil:
		a, err := money.ParseUnitAmount(*in.UnitAmount, currency, false, at("unitAmount")...)
		errs.Add(err)
		d.unitAmount, d.priceID = a, nil
	case in.UnitAmountMinor != nil:
		a, err := money.ParseUnitAmount(*in.UnitAmountMinor, currency, true, at("unitAmountMinor")...)
		errs.Add(err)
		d.unitAmount, d.priceID = a, nil
	case base == nil && in.PriceID == nil:
		*errs = append(*errs, usererr.New(usererr.Required, "give a price or a unit amount", at("unitAmount")...))
	}
	if in.Description != nil {
		d.description = strings.TrimSpace(*in.Description)
	}
	switch {
	case d.description == "":
		*errs = append(*errs, usererr.New(usererr.Required, "describe the line (or give a price whose product names it)", at("description")...))
	case len([]rune(d.description)) > MaxDescription:
		*errs = append(*errs, usererr.Newf(usererr.LimitExceeded, at("description"), "description is at most %d characters", MaxDescription))
	}
	if in.Quantity != nil {
		q, err := money.ParseDecimal(*in.Quantity)
		if err != nil || !q.IsPositive() || !q.Equal(q.Round(4)) || q.GreaterThan(decimal.NewFromInt(1_000_000_000)) {
			*errs = append(*errs, usererr.New(usererr.Invalid, "quantity is above 0 with at most 4 decimals", at("quantity")...))
		} else {
			d.quantity = q
		}
	}
	if in.SetTaxRates {
		r.checkRates(errs, in.TaxRateIDs, MaxLineTaxRates, at("taxRates")...)
		d.rateIDs, d.ratesSet = append([]string{}, in.TaxRateIDs...), true
	}
	if in.ClearTaxRates {
		d.rateIDs, d.ratesSet = nil, false
	}
	if in.SetDiscounts {
		d.discounts = checkDiscounts(errs, in.Discounts, currency, at("discounts")...)
	}
	if in.PeriodStart != nil {
		d.periodStart = in.PeriodStart
	}
	if in.PeriodEnd != nil {
		d.periodEnd = in.PeriodEnd
	}
	if d.periodStart != nil && d.periodEnd != nil && d.periodEnd.Before(*d.periodStart) {
		*errs = append(*errs, usererr.New(usererr.Invalid, "the service period ends before it starts", at("periodEnd")...))
	}
	if in.Metadata != nil {
		errs.Add(validate.Metadata(in.Metadata), at("metadata")...)
		d.metadata = in.Metadata
	}
	return d
}

// header holds the validated invoice-level fields.
type header struct {
	currency         string
	collectionMethod invoice.CollectionMethod
	daysUntilDue     *int
	dueDate          *time.Time
	memo, footer     string
	customFields     []values.CustomField
	metadata         map[string]string
	defaultRateIDs   []string
	discounts        []values.Discount
	amountsDue       []values.Installment
	methodTypes      []string
	operation        *invoice.OperationCategory
	supplyDate       *time.Time
	periodStart      *time.Time
	periodEnd        *time.Time
}

func headerOf(inv *ent.Invoice, rateIDs []string) header {
	return header{
		currency:         inv.Currency,
		collectionMethod: inv.CollectionMethod,
		daysUntilDue:     inv.DaysUntilDue,
		dueDate:          inv.DueDate,
		memo:             inv.Memo,
		footer:           inv.Footer,
		operation:        inv.OperationCategory,
		supplyDate:       inv.SupplyDate,
		periodStart:      inv.ServicePeriodStart,
		periodEnd:        inv.ServicePeriodEnd,
		customFields:     inv.CustomFields,
		metadata:         inv.Metadata,
		defaultRateIDs:   rateIDs,
		discounts:        inv.Discounts,
		amountsDue:       inv.AmountsDue,
		methodTypes:      inv.PaymentMethodTypes,
	}
}

// applyHeader validates in over h.
func applyHeader(ctx context.Context, errs *usererr.List, h header, in DraftInput, r refs) header {
	if in.CollectionMethod != nil {
		h.collectionMethod = *in.CollectionMethod
		if h.collectionMethod == invoice.CollectionMethodChargeAutomatically {
			h.daysUntilDue, h.dueDate = nil, nil
		}
	}
	if in.DaysUntilDue != nil && in.DueDate != nil {
		*errs = append(*errs, usererr.New(usererr.Invalid, "give daysUntilDue or dueDate, not both", "daysUntilDue"))
	}
	if in.DaysUntilDue != nil {
		if *in.DaysUntilDue < 0 || *in.DaysUntilDue > MaxDaysUntilDue {
			*errs = append(*errs, usererr.Newf(usererr.Invalid, []string{"daysUntilDue"}, "daysUntilDue is between 0 and %d", MaxDaysUntilDue))
		}
		h.daysUntilDue, h.dueDate = in.DaysUntilDue, nil
	}
	if in.DueDate != nil {
		if !in.DueDate.After(clock.Now(ctx)) {
			*errs = append(*errs, usererr.New(usererr.Invalid, "the due date must be in the future", "dueDate"))
		}
		due := in.DueDate.UTC()
		h.dueDate, h.daysUntilDue = &due, nil
	}
	if h.collectionMethod == invoice.CollectionMethodChargeAutomatically && (in.DaysUntilDue != nil || in.DueDate != nil) {
		field := "dueDate"
		if in.DaysUntilDue != nil {
			field = "daysUntilDue"
		}
		*errs = append(*errs, usererr.New(usererr.Invalid, "charge_automatically invoices have no due date: they are charged at finalization", field))
	}
	if in.OperationCategory != nil {
		h.operation = in.OperationCategory
	}
	if in.SetSupply {
		h.supplyDate, h.periodStart, h.periodEnd = nil, nil, nil
		if in.SupplyDate != nil {
			d := in.SupplyDate.UTC()
			h.supplyDate = &d
		}
		if p := in.ServicePeriod; p != nil {
			if p.End.Before(p.Start) {
				*errs = append(*errs, usererr.New(usererr.Invalid, "the service period ends before it starts", "servicePeriod", "end"))
			}
			start, end := p.Start.UTC(), p.End.UTC()
			h.periodStart, h.periodEnd = &start, &end
		}
	}
	if in.Memo != nil {
		h.memo = strings.TrimSpace(*in.Memo)
		if len([]rune(h.memo)) > MaxMemo {
			*errs = append(*errs, usererr.Newf(usererr.LimitExceeded, []string{"memo"}, "memo is at most %d characters", MaxMemo))
		}
	}
	if in.Footer != nil {
		h.footer = strings.TrimSpace(*in.Footer)
		if len([]rune(h.footer)) > MaxFooter {
			*errs = append(*errs, usererr.Newf(usererr.LimitExceeded, []string{"footer"}, "footer is at most %d characters", MaxFooter))
		}
	}
	if in.SetCustomFields {
		fields := make([]validate.CustomField, len(in.CustomFields))
		for i, f := range in.CustomFields {
			fields[i] = validate.CustomField{Name: strings.TrimSpace(f.Name), Value: strings.TrimSpace(f.Value)}
			in.CustomFields[i] = values.CustomField{Name: fields[i].Name, Value: fields[i].Value}
		}
		errs.Add(validate.CustomFields(fields), "customFields")
		h.customFields = in.CustomFields
	}
	if in.Metadata != nil {
		merged := map[string]string{}
		for k, v := range h.metadata {
			merged[k] = v
		}
		for k, v := range in.Metadata {
			if v == "" {
				delete(merged, k)
			} else {
				merged[k] = v
			}
		}
		errs.Add(validate.Metadata(merged), "metadata")
		h.metadata = merged
	}
	if in.SetDefaultTaxRates {
		r.checkRates(errs, in.DefaultTaxRateIDs, MaxDefaultTaxRates, "defaultTaxRates")
		h.defaultRateIDs = append([]string{}, in.DefaultTaxRateIDs...)
	}
	if in.SetDiscounts {
		h.discounts = checkDiscounts(errs, in.Discounts, h.currency, "discounts")
	}
	if in.SetAmountsDue {
		h.amountsDue = checkInstallments(ctx, errs, in.AmountsDue, h.currency)
	}
	if len(h.amountsDue) > 0 && h.collectionMethod == invoice.CollectionMethodChargeAutomatically {
		*errs = append(*errs, usererr.New(usererr.AmountsDueNotAllowed,
			"payment plans need collectionMethod SEND_INVOICE: the customer pays each installment", "amountsDue"))
	}
	if in.SetPaymentMethodTypes {
		h.methodTypes = checkMethodTypes(errs, in.PaymentMethodTypes, "paymentMethodTypes")
	}
	return h
}

// Create makes a draft invoice for a customer, with its lines.
func (s *Service) Create(ctx context.Context, in DraftInput) (*ent.Invoice, error) {
	// Reading and validating happen before the write transaction: SQLite
	// admits one writer at a time, so the less a writer does, the more
	// invoices per second. The customer's foreign key still guards the
	// insert, and finalization re-checks everything it relies on.
	d, err := s.prepareDraft(ctx, in)
	if err != nil {
		return nil, err
	}
	var (
		out   *ent.Invoice
		lines []*ent.InvoiceLine
	)
	err = s.run(ctx, func(tx *ent.Tx) error {
		inv, err := newDraft(tx, d.customer, d.header, d.result).Save(ctx)
		if err != nil {
			return fmt.Errorf("create invoice: %w", err)
		}
		saved, err := insertLines(ctx, tx, inv, 0, d.lines, d.header.defaultRateIDs, d.result)
		if err != nil {
			return err
		}
		if err := note(ctx, tx, inv, step{HistoryCreate, "", events.InvoiceCreated, ""}); err != nil {
			return err
		}
		out, lines = inv, saved
		return nil
	})
	if out, err = detach(out, err); err != nil {
		return nil, err
	}
	withLines(out, d.customer, lines, d.lines, d.header, d.refs)
	return out, nil
}

// preparedDraft is a validated new draft, ready to insert.
type preparedDraft struct {
	customer *ent.Customer
	header   header
	lines    []lineDraft
	refs     refs
	result   computed
}

// prepareDraft reads what a new draft refers to and validates it.
func (s *Service) prepareDraft(ctx context.Context, in DraftInput) (*preparedDraft, error) {
	acct, err := s.accounts.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("load account: %w", err)
	}
	cus, err := s.db.Customer.Query().Where(customer.ID(in.CustomerID), customer.DeletedAtIsNil()).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, usererr.New(usererr.NotFound, "no such customer", "customer")
	}
	if err != nil {
		return nil, fmt.Errorf("load customer: %w", err)
	}
	s.knownCustomers.Keep(cus) // read outside any write: committed data
	var errs usererr.List
	tpl := templateOf(acct, cus)
	h := header{
		collectionMethod: invoice.CollectionMethodSendInvoice,
		memo:             tpl.memo,
		footer:           tpl.footer,
		customFields:     tpl.customFields,
	}
	switch {
	case in.Currency != nil:
		c, err := money.Normalize(*in.Currency)
		if err != nil {
			errs = append(errs, usererr.Newf(usererr.UnknownCurrency, []string{"currency"}, "%q is not an ISO 4217 currency", *in.Currency))
		}
		h.currency = c
	case cus.Currency != "":
		h.currency = cus.Currency
	default:
		h.currency = acct.DefaultCurrency
	}
	if cus.Currency != "" && h.currency != cus.Currency {
		errs = append(errs, usererr.Newf(usererr.CurrencyMismatch, []string{"currency"},
			"this customer is billed in %s; create another customer to bill in %s", cus.Currency, h.currency))
	}
	if len(in.Lines) > MaxLines {
		errs = append(errs, usererr.Newf(usererr.LimitExceeded, []string{"lines"}, "an invoice has at most %d lines", MaxLines))
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	priceIDs, rateIDs := collectRefs(in.Lines, in.DefaultTaxRateIDs)
	r, err := s.loadRefs(ctx, s.db, priceIDs, rateIDs)
	if err != nil {
		return nil, err
	}
	h = applyHeader(ctx, &errs, h, in, r)
	if h.collectionMethod == invoice.CollectionMethodSendInvoice && h.daysUntilDue == nil && h.dueDate == nil {
		days := tpl.daysUntilDue
		h.daysUntilDue = &days
	}
	lines := make([]lineDraft, len(in.Lines))
	for i, l := range in.Lines {
		lines[i] = buildLine(&errs, l, nil, h.currency, r, "lines", fmt.Sprint(i))
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	result, err := compute(h, lines, r, exemptionOf(cus))
	if err != nil {
		return nil, err
	}
	if err := planMatches(h.amountsDue, result.total, h.currency); err != nil {
		return nil, err
	}
	return &preparedDraft{customer: cus, header: h, lines: lines, refs: r, result: result}, nil
}

// newDraft builds the row of a new draft for cus from a validated header
// and its computed totals.
func newDraft(tx *ent.Tx, cus *ent.Customer, h header, result computed) *ent.InvoiceCreate {
	create := tx.Invoice.Create().
		SetCustomerID(cus.ID).
		SetNillableTestClockID(cus.TestClockID).
		SetCurrency(h.currency).
		SetCollectionMethod(h.collectionMethod).
		SetNillableDaysUntilDue(h.daysUntilDue).
		SetNillableDueDate(h.dueDate).
		SetMemo(h.memo).
		SetFooter(h.footer).
		SetNillableOperationCategory(h.operation).
		SetNillableSupplyDate(h.supplyDate).
		SetNillableServicePeriodStart(h.periodStart).
		SetNillableServicePeriodEnd(h.periodEnd).
		SetCustomFields(h.customFields).
		SetMetadata(orEmpty(h.metadata)).
		SetDiscounts(h.discounts).
		SetAmountsDue(h.amountsDue).
		SetPaymentMethodTypes(h.methodTypes).
		AddDefaultTaxRateIDs(h.defaultRateIDs...).
		SetStartingBalance(cus.Balance)
	setTotals(create.Mutation(), result)
	return create
}

// effectiveRates are the rates a line's tax_rates edge stores: its own when
// it sets them, else the invoice's defaults. The API lists them as the
// rates applied; tax_rates_set tells which they are.
func (l lineDraft) effectiveRates(defaults []string) []string {
	if l.ratesSet {
		return l.rateIDs
	}
	return defaults
}

// setLine writes a line's fields and computed amounts into a create or an
// update mutation; an update also clears what the line no longer has.
func setLine(m *ent.InvoiceLineMutation, update bool, position int, l lineDraft, lr lineComputed, defaults []string) {
	m.SetPosition(position)
	m.SetDescription(l.description)
	m.SetQuantity(l.quantity.String())
	m.SetUnitAmount(l.unitAmount.String())
	m.SetDiscounts(l.discounts)
	m.SetTaxRatesSet(l.ratesSet)
	m.SetMetadata(orEmpty(l.metadata))
	m.SetAmount(lr.amount)
	m.SetDiscountAmount(lr.discount)
	m.SetInvoiceDiscountAmount(lr.invoiceDiscount)
	m.SetTaxAmounts(lr.taxes)
	switch {
	case l.priceID != nil:
		m.SetPriceID(*l.priceID)
	case update:
		m.ClearPriceID()
	}
	switch {
	case l.periodStart != nil:
		m.SetPeriodStart(*l.periodStart)
	case update:
		m.ClearPeriodStart()
	}
	switch {
	case l.periodEnd != nil:
		m.SetPeriodEnd(*l.periodEnd)
	case update:
		m.ClearPeriodEnd()
	}
	if update {
		m.ClearTaxRates()
	}
	m.AddTaxRateIDs(l.effectiveRates(defaults)...)
}

func insertLines(ctx context.Context, tx *ent.Tx, inv *ent.Invoice, firstPosition int, lines []lineDraft, defaults []string, result computed) ([]*ent.InvoiceLine, error) {
	if len(lines) == 0 {
		return nil, nil
	}
	offset := len(result.lines) - len(lines)
	builders := make([]*ent.InvoiceLineCreate, len(lines))
	for i, l := range lines {
		lr := result.lines[offset+i]
		b := tx.InvoiceLine.Create().SetInvoiceID(inv.ID).SetCurrency(inv.Currency)
		setLine(b.Mutation(), false, firstPosition+i, l, lr, defaults)
		builders[i] = b
	}
	saved, err := tx.InvoiceLine.CreateBulk(builders...).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create lines: %w", err)
	}
	return saved, nil
}

// withLines hands inv its lines as just written, with the tax rates and
// prices they refer to, as eager loading would: the mutation's payload then
// answers from them without reading them back.
func withLines(inv *ent.Invoice, cus *ent.Customer, saved []*ent.InvoiceLine, lines []lineDraft, h header, r refs) {
	for i, l := range saved {
		l = l.Unwrap()
		saved[i] = l
		ids := lines[i].effectiveRates(h.defaultRateIDs)
		rates := make([]*ent.TaxRate, len(ids))
		for j, id := range ids {
			rates[j] = r.taxRates[id]
		}
		l.Edges.LoadedTaxRates(rates)
		if l.PriceID != nil {
			l.Edges.LoadedPrice(r.prices[*l.PriceID])
		} else {
			l.Edges.LoadedPrice(nil)
		}
	}
	defaults := make([]*ent.TaxRate, len(h.defaultRateIDs))
	for i, id := range h.defaultRateIDs {
		defaults[i] = r.taxRates[id]
	}
	inv.Edges.LoadedLines(saved)
	inv.Edges.LoadedDefaultTaxRates(defaults)
	inv.Edges.LoadedCustomer(cus)
}

// Update changes a draft's fields, or only the memo and metadata of an open
// invoice.
func (s *Service) Update(ctx context.Context, id string, in DraftInput) (*ent.Invoice, error) {
	memoOnly := in.Currency == nil && in.CollectionMethod == nil && in.DaysUntilDue == nil && in.DueDate == nil &&
		in.Footer == nil && !in.SetCustomFields && !in.SetDefaultTaxRates && !in.SetDiscounts &&
		!in.SetAmountsDue && !in.SetPaymentMethodTypes && in.OperationCategory == nil && !in.SetSupply
	action := ActionEdit
	if memoOnly {
		action = ActionEditMemo
	}
	var out *ent.Invoice
	err := s.run(ctx, func(tx *ent.Tx) error {
		inv, err := s.load(ctx, tx, id, action)
		if err != nil {
			return err
		}
		if memoOnly {
			var errs usererr.List
			h := applyHeader(ctx, &errs, headerOf(inv, nil), in, refs{})
			if err := errs.Err(); err != nil {
				return err
			}
			if out, err = tx.Invoice.UpdateOne(inv).SetMemo(h.memo).SetMetadata(orEmpty(h.metadata)).Save(ctx); err != nil {
				return err
			}
			return events.Record(ctx, tx, events.InvoiceUpdated, out)
		}
		if in.Currency != nil {
			c, err := money.Normalize(*in.Currency)
			if err != nil {
				return usererr.Newf(usererr.UnknownCurrency, []string{"currency"}, "%q is not an ISO 4217 currency", *in.Currency)
			}
			if c != inv.Currency {
				return usererr.New(usererr.CurrencyLocked, "a draft's currency is fixed at creation; create a new draft in the other currency", "currency")
			}
		}
		st, err := s.loadState(ctx, tx, inv, in.DefaultTaxRateIDs, nil)
		if err != nil {
			return err
		}
		var errs usererr.List
		st.header = applyHeader(ctx, &errs, st.header, in, st.refs)
		if err := errs.Err(); err != nil {
			return err
		}
		out, err = s.save(ctx, tx, inv, st, true)
		if err != nil {
			return err
		}
		if in.SetAmountsDue {
			return planMatches(out.AmountsDue, out.AmountDue, out.Currency)
		}
		return nil
	})
	return detach(out, err)
}

// draftState is a draft loaded for editing.
type draftState struct {
	header header
	lines  []lineDraft
	ids    []string // ids of stored lines; "" for new ones
	refs   refs
}

// loadState loads a draft's lines and the references they and extra need.
func (s *Service) loadState(ctx context.Context, tx *ent.Tx, inv *ent.Invoice, extraRates []string, extraLines []LineInput) (*draftState, error) {
	stored, err := tx.InvoiceLine.Query().
		Where(invoiceline.InvoiceID(inv.ID)).
		Order(ent.Asc(invoiceline.FieldPosition)).
		WithTaxRates().
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load lines: %w", err)
	}
	defaults, err := inv.QueryDefaultTaxRates().All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load default tax rates: %w", err)
	}
	st := &draftState{}
	var defaultIDs []string
	for _, t := range defaults {
		defaultIDs = append(defaultIDs, t.ID)
	}
	st.header = headerOf(inv, defaultIDs)
	priceIDs, rateIDs := collectRefs(extraLines, append(extraRates, defaultIDs...))
	for _, l := range stored {
		for _, t := range l.Edges.TaxRates {
			rateIDs = append(rateIDs, t.ID)
		}
	}
	st.refs, err = s.loadRefs(ctx, tx.Client(), priceIDs, rateIDs)
	if err != nil {
		return nil, err
	}
	for _, l := range stored {
		st.lines = append(st.lines, draftOf(l))
		st.ids = append(st.ids, l.ID)
	}
	return st, nil
}

func draftOf(l *ent.InvoiceLine) lineDraft {
	q, _ := decimal.NewFromString(l.Quantity)
	u, _ := decimal.NewFromString(l.UnitAmount)
	d := lineDraft{
		priceID:     l.PriceID,
		description: l.Description,
		quantity:    q,
		unitAmount:  u,
		ratesSet:    l.TaxRatesSet,
		discounts:   l.Discounts,
		periodStart: l.PeriodStart,
		periodEnd:   l.PeriodEnd,
		metadata:    l.Metadata,
	}
	// A line without its own rates stores the invoice defaults it uses;
	// they are not its own.
	if l.TaxRatesSet {
		for _, t := range l.Edges.TaxRates {
			d.rateIDs = append(d.rateIDs, t.ID)
		}
	}
	return d
}

// save recomputes the totals of st and writes the invoice and every line
// whose stored values changed. New lines (id "") are inserted.
func (s *Service) save(ctx context.Context, tx *ent.Tx, inv *ent.Invoice, st *draftState, headerChanged bool) (*ent.Invoice, error) {
	cus, err := tx.Customer.Get(ctx, inv.CustomerID)
	if err != nil {
		return nil, fmt.Errorf("load customer: %w", err)
	}
	result, err := compute(st.header, st.lines, st.refs, exemptionOf(cus))
	if err != nil {
		return nil, err
	}
	u := tx.Invoice.UpdateOne(inv).SetStartingBalance(cus.Balance)
	if headerChanged {
		h := st.header
		u.SetCollectionMethod(h.collectionMethod).
			SetMemo(h.memo).
			SetFooter(h.footer).
			SetNillableOperationCategory(h.operation).
			SetCustomFields(h.customFields).
			SetMetadata(orEmpty(h.metadata)).
			SetDiscounts(h.discounts).
			SetAmountsDue(h.amountsDue).
			SetPaymentMethodTypes(h.methodTypes).
			ClearDefaultTaxRates().
			AddDefaultTaxRateIDs(h.defaultRateIDs...)
		setOrClear(h.supplyDate, u.SetSupplyDate, u.ClearSupplyDate)
		setOrClear(h.periodStart, u.SetServicePeriodStart, u.ClearServicePeriodStart)
		setOrClear(h.periodEnd, u.SetServicePeriodEnd, u.ClearServicePeriodEnd)
		if h.daysUntilDue != nil {
			u.SetDaysUntilDue(*h.daysUntilDue)
		} else {
			u.ClearDaysUntilDue()
		}
		if h.dueDate != nil {
			u.SetDueDate(*h.dueDate)
		} else {
			u.ClearDueDate()
		}
	}
	setTotals(u.Mutation(), result)
	out, err := u.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("update invoice: %w", err)
	}
	var fresh []lineDraft
	for i, l := range st.lines {
		lr := result.lines[i]
		if st.ids[i] == "" {
			fresh = append(fresh, l)
			continue
		}
		u := tx.InvoiceLine.UpdateOneID(st.ids[i])
		setLine(u.Mutation(), true, i, l, lr, st.header.defaultRateIDs)
		err := u.Exec(ctx)
		if err != nil {
			return nil, fmt.Errorf("update line %d: %w", i, err)
		}
	}
	if len(fresh) > 0 {
		if _, err := insertLines(ctx, tx, inv, len(st.lines)-len(fresh), fresh, st.header.defaultRateIDs, result); err != nil {
			return nil, err
		}
	}
	return out, events.Record(ctx, tx, events.InvoiceUpdated, out)
}

// setOrClear sets an optional column to *v, or clears it when v is nil.
func setOrClear[T any, U any](v *T, set func(T) U, clear func() U) {
	if v != nil {
		set(*v)
	} else {
		clear()
	}
}
