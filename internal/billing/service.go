// Package billing owns invoices: drafting, totals, numbering and the
// lifecycle from draft to paid or void. Every rule lives here, once, and
// every change runs in one transaction that writes all or nothing.
package billing

import (
	"context"
	"errors"
	"fmt"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/internal/customers"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/outbox"
	"github.com/remitbilling/remit/internal/payments"
	"github.com/remitbilling/remit/internal/rowcache"
	"github.com/remitbilling/remit/internal/usererr"
)

// Limits from the Stripe reference the API follows.
const (
	MaxLines           = 250
	MaxLineTaxRates    = 10
	MaxDefaultTaxRates = 5
	MaxDiscounts       = 20
	MaxCustomFields    = 4
	MaxMemo            = 1500
	MaxFooter          = 5000
	MaxDescription     = 500
	MaxDaysUntilDue    = 3650
)

// Config is everything a Service needs, given once at construction (see
// internal/app, which builds it).
type Config struct {
	DB *ent.Client
	// Dialect is the SQL dialect of DB (dialect.SQLite or dialect.Postgres).
	Dialect string
	// Processors charges payments; a mode without a processor refuses them
	// (payments.Refusing).
	Processors payments.Lookup
	// Mailing is where invoice and payment emails come from and link to.
	Mailing Mailing
	// Outbox queues those emails and wakes their deliverer on commit.
	Outbox *outbox.Queue
	// Accounts gives the caller's account (kept in memory between writes
	// by accounts.Service).
	Accounts AccountSource
	// Changes is the store's signal that tax rates (among others) changed:
	// the service keeps each account's rates in memory until then.
	Changes rowcache.Versioner
	// FacturX, optional, replaces the CII XML that makes the PDF of every
	// issued invoice and credit note a Factur-X e-invoice (see
	// FacturXFunc); nil is Remit's own, built from what each froze.
	FacturX FacturXFunc
}

// AccountSource returns the account of the viewer in ctx.
type AccountSource interface {
	Get(ctx context.Context) (*ent.Account, error)
}

// Validate reports a missing dependency.
func (c Config) Validate() error {
	var errs []error
	if c.DB == nil {
		errs = append(errs, errors.New("DB is required"))
	}
	if c.Dialect != dialect.SQLite && c.Dialect != dialect.Postgres {
		errs = append(errs, fmt.Errorf("unknown dialect %q", c.Dialect))
	}
	if c.Processors == nil {
		errs = append(errs, errors.New("Processors is required"))
	}
	if c.Mailing.From == "" || c.Mailing.PublicURL == "" {
		errs = append(errs, errors.New("Mailing needs From and PublicURL"))
	}
	if c.Outbox == nil {
		errs = append(errs, errors.New("Outbox is required"))
	}
	if c.Accounts == nil {
		errs = append(errs, errors.New("Accounts is required"))
	}
	if c.Changes == nil {
		errs = append(errs, errors.New("Changes is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("billing: %w", err)
	}
	return nil
}

// Service manages invoices.
type Service struct {
	db      *ent.Client
	dialect string
	procs   payments.Lookup
	mailing Mailing
	outbox  *outbox.Queue
	// accounts reads the caller's account.
	accounts AccountSource
	// rates keeps each account's tax rates, by account and mode.
	rates *rowcache.Cache[string, map[string]*ent.TaxRate]
	// knownCustomers keeps the customers new drafts were written for, so
	// that finalizing one while its customer is unchanged reads no customer.
	knownCustomers *customers.Known
	// facturX gives issued PDFs their e-invoice (Config.FacturX).
	facturX FacturXFunc
}

// New returns a Service built from cfg.
func New(cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	svc := &Service{db: cfg.DB, dialect: cfg.Dialect, procs: cfg.Processors, mailing: cfg.Mailing, outbox: cfg.Outbox, accounts: cfg.Accounts,
		rates:          rowcache.New[string, map[string]*ent.TaxRate](cfg.Changes),
		knownCustomers: customers.NewKnown(),
		facturX:        cfg.FacturX,
	}
	return svc, nil
}

func (s *Service) run(ctx context.Context, fn func(tx *ent.Tx) error) error {
	return dbtx.Run(ctx, s.db, fn)
}

// load returns an invoice of the caller, locked for update where the
// database needs it, and checks action is allowed in its status.
func (s *Service) load(ctx context.Context, tx *ent.Tx, id string, action Action) (*ent.Invoice, error) {
	return s.loadFields(ctx, tx, id, action, nil)
}

// loadFields is load reading only fields (all when none), for hot paths
// that need a few columns of a wide row, with extra columns selected by
// also (read back with Invoice.Value).
func (s *Service) loadFields(ctx context.Context, tx *ent.Tx, id string, action Action, also func(*sql.Selector), fields ...string) (*ent.Invoice, error) {
	q := tx.Invoice.Query().Where(invoice.ID(id))
	if len(fields) > 0 {
		q.Select(fields...)
	}
	if also != nil {
		q.Modify(also)
	}
	if dbtx.Locking(s.dialect) {
		q.Modify(dbtx.ForNoKeyUpdate)
	}
	inv, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, usererr.New(usererr.NotFound, "no such invoice", "id")
	}
	if err != nil {
		return nil, fmt.Errorf("load invoice: %w", err)
	}
	if !Can(inv.Status, action) {
		code := usererr.InvalidTransition
		if action == ActionEdit || action == ActionEditMemo {
			code = usererr.InvoiceNotEditable
		}
		return nil, usererr.New(code, (&TransitionError{Status: inv.Status, Action: action}).Error(), "id")
	}
	if err := paymentGuard(inv, action); err != nil {
		return nil, err
	}
	return inv, nil
}

// Get returns an invoice of the caller.
func (s *Service) Get(ctx context.Context, id string) (*ent.Invoice, error) {
	inv, err := s.db.Invoice.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, usererr.New(usererr.NotFound, "no such invoice", "id")
	}
	return inv, err
}

// onField moves a single user error to another input field; other errors
// pass through.
func onField(err error, field string) error {
	if ue := usererr.From(err); len(ue) == 1 {
		return &usererr.Error{Field: []string{field}, Code: ue[0].Code, Message: ue[0].Message}
	}
	return err
}

// detach rebinds an invoice read inside a finished transaction to the
// client, so resolvers can still load its edges.
func detach(inv *ent.Invoice, err error) (*ent.Invoice, error) {
	if err != nil || inv == nil {
		return nil, err
	}
	return inv.Unwrap(), nil
}
