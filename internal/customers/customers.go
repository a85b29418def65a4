// Package customers manages the people and businesses an account invoices:
// their contact and tax details, and their credit-balance ledger.
package customers

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/balancetransaction"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/ent/customerterm"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/testclock"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/collection"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/events"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/searchterms"
	"github.com/remitbilling/remit/internal/totals"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/validate"
	"github.com/remitbilling/remit/internal/values"
	"github.com/remitbilling/remit/internal/viewer"
)

// Service manages customers.
type Service struct {
	db      *ent.Client
	dialect string
}

// Config is what a Service needs.
type Config struct {
	DB *ent.Client
	// Dialect is DB's SQL dialect: PostgreSQL needs row locks.
	Dialect string
}

// Validate reports a missing dependency.
func (c Config) Validate() error {
	if c.DB == nil || c.Dialect == "" {
		return errors.New("customers: DB and Dialect are required")
	}
	return nil
}

// New returns a Service built from cfg.
func New(cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Service{db: cfg.DB, dialect: cfg.Dialect}, nil
}

// Lock loads a live customer inside tx, holding its row against concurrent
// balance moves until tx ends where the database needs that said (FOR NO
// KEY UPDATE: invoices and payments inserted for the customer meanwhile
// do not wait).
func Lock(ctx context.Context, tx *ent.Tx, dialect, id string) (*ent.Customer, error) {
	return read(ctx, tx, dialect, id, true)
}

// Read loads a live customer inside tx without locking it, for a writer
// that locks it (Lock) only if it turns out to move its balance.
func Read(ctx context.Context, tx *ent.Tx, dialect, id string) (*ent.Customer, error) {
	return read(ctx, tx, dialect, id, false)
}

func read(ctx context.Context, tx *ent.Tx, dialect, id string, lock bool) (*ent.Customer, error) {
	q := tx.Customer.Query().Where(customer.ID(id), customer.DeletedAtIsNil())
	if lock && dbtx.Locking(dialect) {
		q.Modify(dbtx.ForNoKeyUpdate)
	}
	c, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, usererr.New(usererr.NotFound, "no such customer", "customer")
	}
	if err != nil {
		return nil, fmt.Errorf("load customer: %w", err)
	}
	return c, nil
}

// Input carries the customer fields a caller sets; nil leaves a field as
// it is. Metadata is merged on update: an empty value removes the key.
type Input struct {
	Email            *string
	Name             *string
	Phone            *string
	Description      *string
	Address          *values.Address
	Shipping         *values.Shipping
	PreferredLocales []string
	SetLocales       bool
	Currency         *string
	TaxExempt        *customer.TaxExempt
	// EntityType says whether the customer is a business (the French
	// e-invoicing rules then ask for its SIREN) or a private person.
	EntityType *customer.EntityType
	// TaxExemptionReason and TaxExemptionCode (a VATEX code) say why an
	// EXEMPT or REVERSE customer's invoices carry no VAT; they are
	// printed in the VAT breakdown of its invoices.
	TaxExemptionReason *string
	TaxExemptionCode   *string
	TaxIDs             []values.TaxID
	SetTaxIDs          bool
	InvoicePrefix      *string
	Metadata           map[string]string
	// InvoiceSettings replaces the customer's overrides of the account's
	// invoice template as a whole.
	InvoiceSettings *values.InvoiceSettings
	// CollectionSettings overrides the account's collection settings;
	// on update, only the parts it sets change.
	CollectionSettings *values.CollectionSettings
	// TestClockID puts a test-mode customer on a test clock, at creation
	// only.
	TestClockID *string
}

// normalize validates in and returns it cleaned, or the user errors found.
func normalize(in Input) (Input, error) {
	var errs usererr.List
	trim := func(p *string) *string {
		if p == nil {
			return nil
		}
		s := strings.TrimSpace(*p)
		return &s
	}
	in.Email, in.Name, in.Phone = trim(in.Email), trim(in.Name), trim(in.Phone)
	if in.Email != nil && *in.Email != "" {
		errs.Add(validate.Email(*in.Email), "email")
	}
	if in.Name != nil && len([]rune(*in.Name)) > 256 {
		errs = append(errs, usererr.New(usererr.LimitExceeded, "name is at most 256 characters", "name"))
	}
	if in.Description != nil && len([]rune(*in.Description)) > 5000 {
		errs = append(errs, usererr.New(usererr.LimitExceeded, "description is at most 5000 characters", "description"))
	}
	if in.Phone != nil && *in.Phone != "" {
		errs.Add(validate.Phone(*in.Phone), "phone")
	}
	if in.Address != nil {
		a, err := address(*in.Address)
		errs.Add(err, "address")
		in.Address = &a
	}
	if in.Shipping != nil {
		a, err := address(in.Shipping.Address)
		errs.Add(err, "shipping", "address")
		in.Shipping.Address = a
		if in.Shipping.Phone != "" {
			errs.Add(validate.Phone(in.Shipping.Phone), "shipping", "phone")
		}
	}
	if in.SetLocales {
		tags, err := validate.Locales(in.PreferredLocales)
		if err != nil {
			// Point at the offending tag when one alone is invalid.
			at := []string{"preferredLocales"}
			for i, tag := range in.PreferredLocales {
				if _, one := validate.Locales([]string{tag}); one != nil {
					at = append(at, fmt.Sprint(i))
					break
				}
			}
			errs.Add(err, at...)
		}
		in.PreferredLocales = tags
	}
	if in.Currency != nil && *in.Currency != "" {
		c, err := money.Normalize(*in.Currency)
		if err != nil {
			errs = append(errs, usererr.Newf(usererr.UnknownCurrency, []string{"currency"}, "%q is not an ISO 4217 currency", *in.Currency))
		}
		in.Currency = &c
	}
	if in.SetTaxIDs {
		if len(in.TaxIDs) > 25 {
			errs = append(errs, usererr.New(usererr.LimitExceeded, "at most 25 tax IDs", "taxIds"))
		}
		for i, id := range in.TaxIDs {
			v, err := validate.TaxID(id.Type, id.Value)
			errs.Add(err, "taxIds", fmt.Sprint(i), "value")
			in.TaxIDs[i] = values.TaxID{Type: id.Type, Value: v}
		}
	}
	if in.TaxExemptionReason != nil {
		r := strings.TrimSpace(*in.TaxExemptionReason)
		in.TaxExemptionReason = &r
		if len([]rune(r)) > 300 {
			errs = append(errs, usererr.New(usererr.LimitExceeded, "taxExemptionReason is at most 300 characters", "taxExemptionReason"))
		}
	}
	if in.TaxExemptionCode != nil {
		c := strings.ToUpper(strings.TrimSpace(*in.TaxExemptionCode))
		in.TaxExemptionCode = &c
		if _, ok := totals.VATEXCategory(c); c != "" && !ok {
			errs = append(errs, usererr.Newf(usererr.Invalid, []string{"taxExemptionCode"},
				"%q is not a code of the CEF VATEX list (e.g. VATEX-EU-132-1I, VATEX-FR-FRANCHISE, VATEX-EU-AE)", c))
		}
	}
	if in.InvoicePrefix != nil {
		p := strings.TrimSpace(*in.InvoicePrefix)
		in.InvoicePrefix = &p
		errs.Add(validate.InvoicePrefix(p), "invoicePrefix")
	}
	if in.Metadata != nil {
		errs.Add(validate.Metadata(in.Metadata), "metadata")
	}
	if st := in.InvoiceSettings; st != nil {
		invoiceSettings(&errs, st)
	}
	errs.Add(collection.Validate(in.CollectionSettings, "collectionSettings"))
	if cs := in.CollectionSettings; cs != nil && cs.ScheduledPayments != nil {
		errs = append(errs, usererr.New(usererr.Invalid, "whether customers may schedule payments is the account's setting", "collectionSettings", "scheduledPayments"))
	}
	return in, errs.Err()
}

// exemptionMatches refuses a VATEX code of another category than the
// customer's status gives its invoices: E for EXEMPT, AE for REVERSE. A
// customer without an exemption may keep a code for later.
func exemptionMatches(status customer.TaxExempt, code string) error {
	want := totals.Exempt
	switch status {
	case customer.TaxExemptReverse:
		want = totals.ReverseCharge
	case customer.TaxExemptExempt:
	default:
		return nil
	}
	if cat, ok := totals.VATEXCategory(code); ok && cat != want {
		return usererr.Newf(usererr.Invalid, []string{"taxExemptionCode"},
			"%s is a code of VAT category %s; a %s customer's invoices are of category %s", code, cat, status, want)
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func address(a values.Address) (values.Address, error) {
	a.Line1, a.Line2 = strings.TrimSpace(a.Line1), strings.TrimSpace(a.Line2)
	a.City, a.State, a.PostalCode = strings.TrimSpace(a.City), strings.TrimSpace(a.State), strings.TrimSpace(a.PostalCode)
	if a.Country == "" {
		return a, nil
	}
	c, err := validate.Country(a.Country)
	if err != nil {
		return a, validate.At(err, "country")
	}
	a.Country = c
	return a, nil
}

// Created is the outcome of Create: the customer and non-blocking warnings
// (such as another customer already using the email).
type Created struct {
	Customer *ent.Customer
	Warnings []*usererr.Error
}

// Create adds a customer.
func (s *Service) Create(ctx context.Context, in Input) (*Created, error) {
	in, err := normalize(in)
	if err != nil {
		return nil, err
	}
	var out Created
	err = dbtx.Run(ctx, s.db, func(tx *ent.Tx) error {
		c := tx.Customer.Create()
		if in.Email != nil {
			c.SetEmail(*in.Email)
			if *in.Email != "" {
				dup, err := tx.Customer.Query().Where(customer.EmailEqualFold(*in.Email), customer.DeletedAtIsNil()).Exist(ctx)
				if err != nil {
					return fmt.Errorf("check duplicate email: %w", err)
				}
				if dup {
					out.Warnings = append(out.Warnings, usererr.New(usererr.DuplicateEmail,
						"another customer already uses this email; both will receive what is sent to it", "email"))
				}
			}
		}
		if in.Name != nil {
			c.SetName(*in.Name)
		}
		if in.Phone != nil {
			c.SetPhone(*in.Phone)
		}
		if in.Description != nil {
			c.SetDescription(*in.Description)
		}
		if in.Address != nil {
			c.SetAddress(in.Address)
		}
		if in.Shipping != nil {
			c.SetShipping(in.Shipping)
		}
		if in.SetLocales {
			c.SetPreferredLocales(in.PreferredLocales)
		}
		if in.Currency != nil {
			c.SetCurrency(*in.Currency)
		}
		if in.TaxExempt != nil {
			c.SetTaxExempt(*in.TaxExempt)
		}
		c.SetNillableEntityType(in.EntityType)
		if in.TaxExemptionReason != nil {
			c.SetTaxExemptionReason(*in.TaxExemptionReason)
		}
		if in.TaxExemptionCode != nil {
			c.SetTaxExemptionCode(*in.TaxExemptionCode)
		}
		status := customer.TaxExemptNone
		if in.TaxExempt != nil {
			status = *in.TaxExempt
		}
		if err := exemptionMatches(status, deref(in.TaxExemptionCode)); err != nil {
			return err
		}
		if in.SetTaxIDs {
			c.SetTaxIds(in.TaxIDs)
		}
		// Never null: the API's metadata is a non-null object.
		c.SetMetadata(dropEmpty(in.Metadata))
		if in.InvoiceSettings != nil {
			c.SetInvoiceSettings(*in.InvoiceSettings)
		}
		if in.CollectionSettings != nil {
			c.SetCollectionSettings(collection.Merge(nil, in.CollectionSettings))
		}
		if in.TestClockID != nil {
			if err := onTestClock(ctx, tx, *in.TestClockID); err != nil {
				return err
			}
			c.SetTestClockID(*in.TestClockID)
		}
		prefix, err := s.prefix(ctx, tx, in.InvoicePrefix, "")
		if err != nil {
			return err
		}
		c.SetInvoicePrefix(prefix)
		cus, err := c.Save(ctx)
		if err != nil {
			return fmt.Errorf("create customer: %w", err)
		}
		out.Customer = cus
		return events.Record(ctx, tx, events.CustomerCreated, cus)
	})
	if err != nil {
		return nil, err
	}
	out.Customer = out.Customer.Unwrap()
	return &out, nil
}

// prefix returns the invoice prefix to use: the requested one when free, or
// a fresh random one. Prefixes are never shared between customers, because
// the invoice-number sequence is keyed by prefix.
func (s *Service) prefix(ctx context.Context, tx *ent.Tx, want *string, self string) (string, error) {
	if want != nil {
		taken, err := tx.Customer.Query().Where(customer.InvoicePrefix(*want), customer.IDNEQ(self)).Exist(ctx)
		if err != nil {
			return "", fmt.Errorf("check prefix: %w", err)
		}
		if taken {
			return "", usererr.Newf(usererr.Taken, []string{"invoicePrefix"}, "prefix %s is used by another customer", *want)
		}
		return *want, nil
	}
	for range 8 {
		p := randomPrefix()
		taken, err := tx.Customer.Query().Where(customer.InvoicePrefix(p)).Exist(ctx)
		if err != nil {
			return "", fmt.Errorf("check prefix: %w", err)
		}
		if !taken {
			return p, nil
		}
	}
	return "", errors.New("could not find a free invoice prefix")
}

// randomPrefix makes an 8-character prefix like Stripe's ("586A2E9C"), which
// hides how many customers an account has.
func randomPrefix() string {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	var b [8]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	// Start with a letter so the prefix never reads as a number.
	b[0] = alphabet[10+int(b[0])%(len(alphabet)-10)]
	return string(b[:])
}

func dropEmpty(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// Get returns a customer of the caller's account and mode.
func (s *Service) Get(ctx context.Context, id string) (*ent.Customer, error) {
	c, err := s.db.Customer.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, usererr.New(usererr.NotFound, "no such customer", "id")
	}
	return c, err
}

// Update changes a customer. The currency cannot change once the customer
// has been invoiced or given a balance.
func (s *Service) Update(ctx context.Context, id string, in Input) (*ent.Customer, error) {
	in, err := normalize(in)
	if err != nil {
		return nil, err
	}
	var out *ent.Customer
	err = dbtx.Run(ctx, s.db, func(tx *ent.Tx) error {
		cur, err := tx.Customer.Query().Where(customer.ID(id), customer.DeletedAtIsNil()).Only(ctx)
		if ent.IsNotFound(err) {
			return usererr.New(usererr.NotFound, "no such customer", "id")
		}
		if err != nil {
			return fmt.Errorf("load customer: %w", err)
		}
		u := tx.Customer.UpdateOne(cur)
		if in.Email != nil {
			u.SetEmail(*in.Email)
		}
		if in.Name != nil {
			u.SetName(*in.Name)
		}
		if in.Phone != nil {
			u.SetPhone(*in.Phone)
		}
		if in.Description != nil {
			u.SetDescription(*in.Description)
		}
		if in.Address != nil {
			if in.Address.IsZero() {
				u.ClearAddress()
			} else {
				u.SetAddress(in.Address)
			}
		}
		if in.Shipping != nil {
			if in.Shipping.Address.IsZero() && in.Shipping.Name == "" && in.Shipping.Phone == "" {
				u.ClearShipping()
			} else {
				u.SetShipping(in.Shipping)
			}
		}
		if in.SetLocales {
			u.SetPreferredLocales(in.PreferredLocales)
		}
		if in.Currency != nil && *in.Currency != cur.Currency {
			locked, err := currencyLocked(ctx, tx.Client(), cur)
			if err != nil {
				return err
			}
			if locked {
				return usererr.Newf(usererr.CurrencyLocked, []string{"currency"},
					"the currency is locked to %s because the customer has invoices or a balance; create another customer to bill in %s", cur.Currency, *in.Currency)
			}
			u.SetCurrency(*in.Currency)
		}
		if in.TaxExempt != nil {
			u.SetTaxExempt(*in.TaxExempt)
		}
		if in.EntityType != nil {
			u.SetEntityType(*in.EntityType)
		}
		if in.TaxExemptionReason != nil {
			u.SetTaxExemptionReason(*in.TaxExemptionReason)
		}
		if in.TaxExemptionCode != nil {
			u.SetTaxExemptionCode(*in.TaxExemptionCode)
		}
		status, code := cur.TaxExempt, cur.TaxExemptionCode
		if in.TaxExempt != nil {
			status = *in.TaxExempt
		}
		if in.TaxExemptionCode != nil {
			code = *in.TaxExemptionCode
		}
		if err := exemptionMatches(status, code); err != nil {
			return err
		}
		if in.SetTaxIDs {
			u.SetTaxIds(in.TaxIDs)
		}
		if in.InvoiceSettings != nil {
			u.SetInvoiceSettings(*in.InvoiceSettings)
		}
		if in.CollectionSettings != nil {
			u.SetCollectionSettings(collection.Merge(cur.CollectionSettings, in.CollectionSettings))
		}
		if in.TestClockID != nil {
			return usererr.New(usererr.Immutable, "a customer's test clock is set when it is created, for good", "testClock")
		}
		if in.InvoicePrefix != nil && *in.InvoicePrefix != cur.InvoicePrefix {
			p, err := s.prefix(ctx, tx, in.InvoicePrefix, cur.ID)
			if err != nil {
				return err
			}
			u.SetInvoicePrefix(p)
		}
		if in.Metadata != nil {
			merged := maps.Clone(cur.Metadata)
			if merged == nil {
				merged = map[string]string{}
			}
			for k, v := range in.Metadata {
				if v == "" {
					delete(merged, k)
				} else {
					merged[k] = v
				}
			}
			if err := validate.Metadata(merged); err != nil {
				return validate.At(err, "metadata")
			}
			u.SetMetadata(merged)
		}
		out, err = u.Save(ctx)
		if err != nil {
			return fmt.Errorf("update customer: %w", err)
		}
		return events.Record(ctx, tx, events.CustomerUpdated, out)
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// CurrencyLocked reports whether a customer's currency can no longer change.
func (s *Service) CurrencyLocked(ctx context.Context, c *ent.Customer) (bool, error) {
	return currencyLocked(ctx, s.db, c)
}

// currencyLocked reports whether the customer's currency is fixed: it is set
// and the customer has a non-draft invoice or balance entries.
func currencyLocked(ctx context.Context, db *ent.Client, c *ent.Customer) (bool, error) {
	if c.Currency == "" {
		return false, nil
	}
	if c.Balance != 0 {
		return true, nil
	}
	invoiced, err := db.Invoice.Query().Where(invoice.CustomerID(c.ID), invoice.StatusNEQ(invoice.StatusDraft)).Exist(ctx)
	if err != nil {
		return false, fmt.Errorf("check invoices: %w", err)
	}
	if invoiced {
		return true, nil
	}
	ledger, err := db.BalanceTransaction.Query().Where(balancetransaction.CustomerID(c.ID)).Exist(ctx)
	if err != nil {
		return false, fmt.Errorf("check balance ledger: %w", err)
	}
	return ledger, nil
}

// Delete removes a customer. One with issued invoices is kept, marked
// deleted, because issued invoices must keep pointing at their buyer; its
// drafts go.
func (s *Service) Delete(ctx context.Context, id string) error {
	return dbtx.Run(ctx, s.db, func(tx *ent.Tx) error {
		cur, err := tx.Customer.Query().Where(customer.ID(id), customer.DeletedAtIsNil()).Only(ctx)
		if ent.IsNotFound(err) {
			return usererr.New(usererr.NotFound, "no such customer", "id")
		}
		if err != nil {
			return fmt.Errorf("load customer: %w", err)
		}
		if _, err := tx.Invoice.Delete().Where(invoice.CustomerID(id), invoice.StatusEQ(invoice.StatusDraft)).Exec(ctx); err != nil {
			return fmt.Errorf("delete drafts: %w", err)
		}
		issued, err := tx.Invoice.Query().Where(invoice.CustomerID(id)).Exist(ctx)
		if err != nil {
			return fmt.Errorf("check invoices: %w", err)
		}
		ledger, err := tx.BalanceTransaction.Query().Where(balancetransaction.CustomerID(id)).Exist(ctx)
		if err != nil {
			return fmt.Errorf("check ledger: %w", err)
		}
		now := clock.Now(ctx)
		if issued || ledger {
			if err := tx.Customer.UpdateOne(cur).SetDeletedAt(now).Exec(ctx); err != nil {
				return err
			}
		} else if err := tx.Customer.DeleteOne(cur).Exec(ctx); err != nil {
			return err
		}
		cur.DeletedAt = &now
		return events.Record(ctx, tx, events.CustomerDeleted, cur)
	})
}

// Filter narrows a customer listing. Zero fields do not filter.
type Filter struct {
	Query         string // matches name or email, case-insensitively
	Email         string // exact email, case-insensitive
	MetadataKey   string
	MetadataValue string // with MetadataKey: that key has this value
	CreatedAfter  *time.Time
	CreatedBefore *time.Time

	// dense: the search matches many customers (SQLite; see Prepare).
	dense bool
}

// denseAbove is how many matching terms make a search dense: it then reads
// the list in its order and tests each customer's terms, a page stopping
// after its 50th match (at worst about 50 × customers / denseAbove index
// entries read, 5,000 at 100,000 customers); a sparser search reads its
// matches from the terms and sorts them (at most denseAbove customers).
const denseAbove = 1000

// Prepare decides, on SQLite, how the search reads the customer terms:
// it counts the matching terms, up to denseAbove + 1 (an index range).
// Call it before Apply; without it a search reads and sorts every match.
func (f *Filter) Prepare(ctx context.Context, db *ent.Client) error {
	if f.Query == "" {
		return nil
	}
	key, _ := searchterms.Query(f.Query)
	if key == "" {
		return nil
	}
	lo, hi := searchterms.Range(key)
	ids, err := db.CustomerTerm.Query().Where(customerterm.TermGTE(lo), customerterm.TermLT(hi)).Limit(denseAbove + 1).IDs(ctx)
	if err != nil {
		return fmt.Errorf("customer search: %w", err)
	}
	f.dense = len(ids) > denseAbove
	return nil
}

// Validate refuses a filter that no stored customer could match, before
// any of it reaches a query: a metadata key must obey the same rules as
// the keys that are stored.
func (f Filter) Validate() error {
	if f.MetadataKey == "" {
		if f.MetadataValue != "" {
			return usererr.New(usererr.Required, "metadataValue needs metadataKey", "metadataKey")
		}
		return nil
	}
	if err := validate.MetadataKey(f.MetadataKey); err != nil {
		return usererr.At(usererr.From(err)[0], "metadataKey")
	}
	return nil
}

// Apply adds the filter to q, for the viewer in ctx. Deleted customers
// are never listed. The filter must have passed Validate.
//
// The search (Query) reads an index rather than every customer. On
// PostgreSQL it matches the query anywhere in the name or email, as
// ILIKE '%…%' served by the trigram indexes of both. On SQLite it matches
// where a word of the name or email starts with the query (package
// searchterms), a range of the CustomerTerm index. The email filter is a
// case-insensitive equality, on SQLite looked up by the email's first term.
func (f Filter) Apply(ctx context.Context, q *ent.CustomerQuery) (*ent.CustomerQuery, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	v, _ := viewer.FromContext(ctx)
	q = q.Where(customer.DeletedAtIsNil())
	if f.Query != "" {
		q = q.Where(search(v, f.Query, f.dense))
	}
	if f.Email != "" {
		q = q.Where(customer.EmailEqualFold(f.Email), emailTerm(v, f.Email))
	}
	if f.MetadataKey != "" {
		q = q.Where(metadataHas(f.MetadataKey, f.MetadataValue))
	}
	if f.CreatedAfter != nil {
		q = q.Where(customer.CreatedAtGTE(*f.CreatedAfter))
	}
	if f.CreatedBefore != nil {
		q = q.Where(customer.CreatedAtLT(*f.CreatedBefore))
	}
	return q, nil
}

// search matches customers whose name or email holds q: anywhere in them
// on PostgreSQL (the trigram indexes), where one of their words starts on
// SQLite (the customer terms: looked up by the query, or, dense, tested for
// each customer of the list in order).
func search(v viewer.Viewer, q string, dense bool) func(*sql.Selector) {
	return func(s *sql.Selector) {
		if s.Dialect() == dialect.Postgres {
			customer.Or(customer.NameContainsFold(q), customer.EmailContainsFold(q))(s)
			return
		}
		key, long := searchterms.Query(q)
		if key == "" {
			s.Where(sql.False())
			return
		}
		lo, hi := searchterms.Range(key)
		if dense {
			t := sql.Table(customerterm.Table).As("search_terms")
			s.Where(sql.Exists(sql.Select(t.C(customerterm.FieldID)).From(t).Where(sql.And(
				sql.ColumnsEQ(t.C(customerterm.FieldCustomerID), s.C(customer.FieldID)),
				sql.GTE(t.C(customerterm.FieldTerm), lo),
				sql.LT(t.C(customerterm.FieldTerm), hi),
			))))
		} else {
			s.Where(sql.In(s.C(customer.FieldID), termLookup(v, sql.GTE(customerterm.FieldTerm, lo), sql.LT(customerterm.FieldTerm, hi))))
		}
		if long {
			// The terms hold the query's first characters: the text must
			// hold the rest (LIKE: ASCII letters in any case, as the terms).
			customer.Or(customer.NameContains(q), customer.EmailContains(q))(s)
		}
	}
}

// emailTerm narrows the case-insensitive email filter to the customers
// that have the email's first term (the whole email, cut), an equality of
// the CustomerTerm index; the EqualFold beside it decides. On PostgreSQL
// only for an ASCII email: its ILIKE folds the case of other letters too,
// which the terms (lower-cased in ASCII) do not, and the trigram index
// serves it, though it reads the postings of trigrams every address has
// ("exa", "com").
func emailTerm(v viewer.Viewer, email string) func(*sql.Selector) {
	return func(s *sql.Selector) {
		if s.Dialect() == dialect.Postgres && !isASCII(email) {
			return
		}
		key, _ := searchterms.Exact(email)
		s.Where(sql.In(s.C(customer.FieldID), termLookup(v, sql.EQ(customerterm.FieldTerm, key))))
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// termLookup selects the ids of the viewer's customers having a term that
// satisfies preds: the account and mode are its own, so the subquery reads
// a range of the (account_id, mode, term) index.
func termLookup(v viewer.Viewer, preds ...*sql.Predicate) *sql.Selector {
	t := sql.Table(customerterm.Table)
	where := []*sql.Predicate{
		sql.EQ(t.C(customerterm.FieldAccountID), v.AccountID),
		sql.EQ(t.C(customerterm.FieldMode), string(v.Mode)),
	}
	for _, p := range preds {
		where = append(where, p)
	}
	return sql.Select(t.C(customerterm.FieldCustomerID)).From(t).Where(sql.And(where...))
}

// metadataHas selects customers whose metadata has key (with value, when
// value is not empty). Key and value are bound parameters on both
// databases: a JSON path built from the key (sqljson.Path) would be SQL
// text made from input. SQLite's json_each compares the key as a plain
// string, where a path could not even address a key holding a double
// quote; PostgreSQL's jsonb_extract_path_text takes it as text.
func metadataHas(key, value string) func(*sql.Selector) {
	return func(s *sql.Selector) {
		col := s.C(customer.FieldMetadata)
		s.Where(sql.P(func(b *sql.Builder) {
			if s.Dialect() == dialect.Postgres {
				b.WriteString("jsonb_extract_path_text(").WriteString(col).WriteString(", ").Arg(key).WriteString(")")
				if value == "" {
					b.WriteString(" IS NOT NULL")
				} else {
					b.WriteString(" = ").Arg(value)
				}
				return
			}
			b.WriteString("EXISTS (SELECT 1 FROM json_each(").WriteString(col).WriteString(") AS m WHERE m.key = ").Arg(key)
			if value != "" {
				b.WriteString(" AND m.type = 'text' AND m.value = ").Arg(value)
			}
			b.WriteString(")")
		}))
	}
}

// AdjustBalance records a manual credit-balance entry (negative credits the
// customer) and returns it. The first entry sets the customer's currency.
func (s *Service) AdjustBalance(ctx context.Context, customerID string, amount int64, currency, description string) (*ent.BalanceTransaction, error) {
	var errs usererr.List
	cur, cerr := money.Normalize(currency)
	if cerr != nil {
		errs = append(errs, usererr.Newf(usererr.UnknownCurrency, []string{"currency"}, "%q is not an ISO 4217 currency", currency))
	}
	if amount == 0 {
		errs = append(errs, usererr.New(usererr.InvalidAmount, "amount must not be zero", "amount"))
	}
	if amount > money.MaxAmount || amount < -money.MaxAmount {
		errs = append(errs, usererr.New(usererr.AmountTooLarge, "amount is too large", "amount"))
	}
	description = strings.TrimSpace(description)
	if description == "" {
		errs = append(errs, usererr.New(usererr.Required, "say why the balance changes", "description"))
	} else if len([]rune(description)) > 350 {
		errs = append(errs, usererr.New(usererr.LimitExceeded, "description is at most 350 characters", "description"))
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	var out *ent.BalanceTransaction
	err := dbtx.Run(ctx, s.db, func(tx *ent.Tx) error {
		c, err := Lock(ctx, tx, s.dialect, customerID)
		if err != nil {
			return err
		}
		out, err = Post(ctx, tx, c, Entry{Amount: amount, Currency: cur, Type: balancetransaction.TypeAdjustment, Description: description})
		if err != nil {
			return err
		}
		return events.Record(ctx, tx, events.CustomerUpdated, c)
	})
	if err != nil {
		return nil, err
	}
	return out.Unwrap(), nil
}

// Entry is one movement of a customer's balance.
type Entry struct {
	Amount      int64
	Currency    string
	Type        balancetransaction.Type
	Description string
	InvoiceID   string
	// CreditNoteID links an entry to the credit note it credits (or
	// takes back, when the credit note is voided).
	CreditNoteID string
}

// Post writes a ledger entry and moves the customer's balance by its amount,
// inside the caller's transaction, which must hold c from Lock. It fixes the
// customer's currency.
func Post(ctx context.Context, tx *ent.Tx, c *ent.Customer, e Entry) (*ent.BalanceTransaction, error) {
	if c.Currency != "" && c.Currency != e.Currency {
		return nil, usererr.Newf(usererr.CurrencyMismatch, []string{"currency"}, "the customer's balance is in %s", c.Currency)
	}
	ending := c.Balance + e.Amount
	if ending > money.MaxAmount || ending < -money.MaxAmount {
		return nil, usererr.New(usererr.AmountTooLarge, "the balance would be too large", "amount")
	}
	u := tx.Customer.UpdateOneID(c.ID).AddBalance(e.Amount)
	if c.Currency == "" {
		u.SetCurrency(e.Currency)
	}
	if err := u.Exec(ctx); err != nil {
		return nil, fmt.Errorf("move balance: %w", err)
	}
	c.Balance, c.Currency = ending, e.Currency
	create := tx.BalanceTransaction.Create().
		SetCustomerID(c.ID).
		SetAmount(e.Amount).
		SetCurrency(e.Currency).
		SetType(e.Type).
		SetDescription(e.Description).
		SetEndingBalance(ending)
	if e.InvoiceID != "" {
		create.SetInvoiceID(e.InvoiceID)
	}
	if e.CreditNoteID != "" {
		create.SetCreditNoteID(e.CreditNoteID)
	}
	bt, err := create.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("record balance transaction: %w", err)
	}
	return bt, nil
}

// invoiceSettings validates and cleans a customer's template overrides.
func invoiceSettings(errs *usererr.List, st *values.InvoiceSettings) {
	if st.Memo != nil {
		m := strings.TrimSpace(*st.Memo)
		st.Memo = &m
		if len([]rune(m)) > 1500 {
			*errs = append(*errs, usererr.New(usererr.LimitExceeded, "memo is at most 1500 characters", "invoiceSettings", "memo"))
		}
	}
	if st.Footer != nil {
		f := strings.TrimSpace(*st.Footer)
		st.Footer = &f
		if len([]rune(f)) > 5000 {
			*errs = append(*errs, usererr.New(usererr.LimitExceeded, "footer is at most 5000 characters", "invoiceSettings", "footer"))
		}
	}
	if d := st.DaysUntilDue; d != nil && (*d < 0 || *d > 3650) {
		*errs = append(*errs, usererr.New(usererr.Invalid, "daysUntilDue is between 0 and 3650", "invoiceSettings", "daysUntilDue"))
	}
	if st.PageSize != nil && *st.PageSize != "A4" && *st.PageSize != "LETTER" {
		*errs = append(*errs, usererr.New(usererr.Invalid, "pageSize is A4 or LETTER", "invoiceSettings", "pageSize"))
	}
	if st.CustomFieldsSet {
		fields := make([]validate.CustomField, len(st.CustomFields))
		for i, f := range st.CustomFields {
			fields[i] = validate.CustomField{Name: f.Name, Value: f.Value}
		}
		errs.Add(validate.CustomFields(fields), "invoiceSettings", "customFields")
		for i := range fields {
			st.CustomFields[i] = values.CustomField{Name: fields[i].Name, Value: fields[i].Value}
		}
	}
}

// onTestClock checks that a new customer can live on test clock id: one
// of the caller's, in test mode (a live key sees none).
func onTestClock(ctx context.Context, tx *ent.Tx, id string) error {
	if v, _ := viewer.FromContext(ctx); v.Mode != viewer.Test {
		return usererr.New(usererr.Invalid, "test clocks are for test mode only", "testClock")
	}
	ok, err := tx.TestClock.Query().Where(testclock.ID(id)).Exist(ctx)
	if err != nil {
		return fmt.Errorf("load test clock: %w", err)
	}
	if !ok {
		return usererr.New(usererr.NotFound, "no such test clock", "testClock")
	}
	return nil
}
