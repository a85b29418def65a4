// Package app is Remit's composition root: it builds every service once,
// in dependency order, each with everything it needs, from one Config.
// cmd/remit serves what it builds and runs its worker; the HTTP server
// (internal/server) and the test harness (internal/apitest) take their
// services from it, so tests run the same wiring as the binary.
//
// Nothing is set after construction and nothing is passed per call: the
// worker's wake-up Signal is made first, the outbox queue that nudges it
// next, then the services that queue email, and last the worker's jobs,
// which call those services.
package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"entgo.io/ent/dialect"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/accounts"
	"github.com/remitbilling/remit/internal/banktransfers"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/catalog"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/customers"
	"github.com/remitbilling/remit/internal/eventstream"
	"github.com/remitbilling/remit/internal/exports"
	"github.com/remitbilling/remit/internal/idempotency"
	"github.com/remitbilling/remit/internal/mail"
	"github.com/remitbilling/remit/internal/outbox"
	"github.com/remitbilling/remit/internal/payer"
	"github.com/remitbilling/remit/internal/paymentmethods"
	"github.com/remitbilling/remit/internal/payments"
	"github.com/remitbilling/remit/internal/portal"
	"github.com/remitbilling/remit/internal/processors"
	"github.com/remitbilling/remit/internal/ratelimit"
	"github.com/remitbilling/remit/internal/receivables"
	"github.com/remitbilling/remit/internal/rowcache"
	"github.com/remitbilling/remit/internal/secrets"
	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/testclocks"
	"github.com/remitbilling/remit/internal/webhooks"
	"github.com/remitbilling/remit/internal/worker"
)

// DefaultMailing is the sender and public address of emails when the
// operator sets neither (REMIT_MAIL_FROM, REMIT_PUBLIC_URL).
var DefaultMailing = billing.Mailing{From: "invoices@remit.localhost", PublicURL: "http://localhost:8080"}

// Batch sizes of the worker's jobs: how many payments one run of the
// settlement job resolves, how many invoices one run of the overdue job
// marks.
const (
	SettleBatch     = 100
	OverdueBatch    = 100
	CollectionBatch = 100
	// WebhookBatch is how many events one dispatch fans out and how many
	// deliveries one run sends at once.
	WebhookBatch = 32
)

// Config is what the application is built from.
type Config struct {
	// DB is the store's client (store.Open installs its read interceptors).
	DB *ent.Client
	// Dialect is DB's SQL dialect.
	Dialect string
	Clock   clock.Clock
	Logger  *slog.Logger
	// Mailing is where emails come from and what their links point to.
	Mailing billing.Mailing
	// Processors charges payments; nil uses each account's connected
	// processor (Stripe), else the simulator in test mode and nothing in
	// live mode.
	Processors payments.Lookup
	// Stripe reaches Stripe's API: zero is https://api.stripe.com.
	Stripe StripeOptions
	// Sender delivers email; nil leaves it queued, readable at /dev/mail
	// and through the API.
	Sender mail.Sender
	// Email tunes the delivery job.
	Email worker.EmailOptions
	// WorkerInterval is the worker's tick interval when nothing wakes it;
	// default worker.DefaultInterval.
	WorkerInterval time.Duration
	// Changes is the store's signal that cached rows (API keys, accounts,
	// tax rates) changed (store.Store.Changes).
	Changes rowcache.Versioner
	// WebhookClients send webhooks; zero uses webhooks.Client (public
	// addresses only in live mode).
	WebhookClients WebhookClients
	// FacturX gives the CII XML embedded in every issued invoice's and
	// credit note's PDF (billing.Config.FacturX); nil leaves them plain
	// PDF/A-3b.
	FacturX billing.FacturXFunc
}

// StripeOptions reach Stripe's API.
type StripeOptions struct {
	// URL overrides https://api.stripe.com (stripe-mock in tests).
	URL string
	// HTTPClient carries timeouts; nil is a 30-second client.
	HTTPClient *http.Client
}

// WebhookClients are the HTTP clients of each mode's webhooks.
type WebhookClients struct{ Live, Test *http.Client }

// workerOwner names this process's claims: host and a random suffix.
func workerOwner() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%x", host, b)
}

// Validate reports what is missing or wrong.
func (c Config) Validate() error {
	var errs []error
	if c.DB == nil {
		errs = append(errs, errors.New("DB is required"))
	}
	if c.Dialect != dialect.SQLite && c.Dialect != dialect.Postgres {
		errs = append(errs, fmt.Errorf("unknown dialect %q", c.Dialect))
	}
	if c.Clock == nil {
		errs = append(errs, errors.New("Clock is required"))
	}
	if c.Logger == nil {
		errs = append(errs, errors.New("Logger is required"))
	}
	if c.Changes == nil {
		errs = append(errs, errors.New("Changes is required"))
	}
	if c.Mailing.From == "" || c.Mailing.PublicURL == "" {
		errs = append(errs, errors.New("Mailing needs From and PublicURL"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("app: %w", err)
	}
	return nil
}

// App is the built application.
type App struct {
	DB      *ent.Client
	Dialect string
	Clock   clock.Clock
	Logger  *slog.Logger
	Mailing billing.Mailing

	Accounts  *accounts.Service
	Customers *customers.Service
	Catalog   *catalog.Service
	Billing   *billing.Service
	Methods   *paymentmethods.Service
	// Processors are the accounts' payment processors.
	Processors *processors.Service
	Portal     *portal.Service
	// Payer is the payer's side, shared by the hosted page and the
	// portal's pages and API.
	Payer *payer.Service
	// Outbox queues email and wakes Worker when the queuing transaction
	// commits.
	Outbox *outbox.Queue
	// Limits counts abuse (failed authentications, PDF renders, portal
	// logins) in the database, shared by every process.
	Limits *ratelimit.Limiter
	// Idempotency stores the merchant API's idempotent responses.
	Idempotency *idempotency.Store
	// TestClocks runs test clocks, with the worker's jobs.
	TestClocks *testclocks.Service
	// Webhooks manages endpoints; the worker dispatches events to them and
	// delivers.
	Webhooks *webhooks.Service
	// Events follows the event log for the APIs' subscriptions.
	Events *eventstream.Hub
	// Exports writes the account's lists as CSV.
	// BankTransfers receives and matches money sent by transfer.
	BankTransfers *banktransfers.Service
	Exports       *exports.Service
	// Receivables reads the aging report and customer statements.
	Receivables *receivables.Service
	// Worker delivers email, settles payments, marks invoices overdue and
	// chases payment (reminders, retries, scheduled payments);
	// the caller runs it (the server does not: tests drive their own).
	Worker *worker.Scheduler
}

// New builds the application from cfg. It reads the server secret from the
// database (every process on one database shares it); without one it
// warns and uses a temporary secret, so card fingerprints and portal
// sessions change at restart while everything else works.
func New(ctx context.Context, cfg Config) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	root, err := secrets.Load(clock.WithContext(ctx, cfg.Clock), cfg.DB, secrets.Root)
	if err != nil {
		cfg.Logger.Warn("no stored server secret; using a temporary one", "error", err)
		root = make([]byte, 32)
		_, _ = rand.Read(root)
	}
	a := &App{
		DB: cfg.DB, Dialect: cfg.Dialect, Clock: cfg.Clock, Logger: cfg.Logger, Mailing: cfg.Mailing,
		Accounts:    accounts.NewCached(cfg.DB, cfg.Changes),
		Idempotency: idempotency.NewStore(cfg.DB),
	}
	if a.Customers, err = customers.New(customers.Config{DB: cfg.DB, Dialect: cfg.Dialect}); err != nil {
		return nil, err
	}
	if a.Catalog, err = catalog.New(catalog.Config{DB: cfg.DB}); err != nil {
		return nil, err
	}
	a.Processors, err = processors.New(processors.Config{
		DB: cfg.DB, Changes: cfg.Changes, Root: root,
		Simulator: payments.NewSimulator(cfg.Clock, secrets.Derive(root, "card fingerprints")),
		StripeURL: cfg.Stripe.URL, HTTPClient: cfg.Stripe.HTTPClient, PublicURL: cfg.Mailing.PublicURL,
	})
	if err != nil {
		return nil, err
	}
	var procs payments.Lookup = a.Processors
	if cfg.Processors != nil {
		procs = cfg.Processors
	}
	if a.Methods, err = paymentmethods.New(paymentmethods.Config{DB: cfg.DB, Processors: procs}); err != nil {
		return nil, err
	}
	if a.Limits, err = ratelimit.New(ratelimit.Config{DB: cfg.DB, Dialect: cfg.Dialect}); err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	wake := worker.NewSignal()
	a.Outbox = outbox.NewQueue(outbox.QueueConfig{Wake: wake.Wake})
	a.Billing, err = billing.New(billing.Config{
		DB: cfg.DB, Dialect: cfg.Dialect, Processors: procs, Mailing: cfg.Mailing, Outbox: a.Outbox,
		Accounts: a.Accounts, Changes: cfg.Changes, FacturX: cfg.FacturX,
	})
	if err != nil {
		return nil, err
	}
	a.Payer = payer.New(payer.Deps{DB: cfg.DB, Billing: a.Billing, Methods: a.Methods, Customers: a.Customers, Processors: procs})
	a.Portal, err = portal.New(portal.Config{
		DB: cfg.DB, Dialect: cfg.Dialect, Clock: cfg.Clock,
		CodeKey: secrets.Derive(root, "portal login codes"), TokenKey: secrets.Derive(root, "portal session tokens"),
		From: cfg.Mailing.From, PublicURL: cfg.Mailing.PublicURL, Outbox: a.Outbox, Limits: a.Limits,
	})
	if err != nil {
		return nil, err
	}
	if a.TestClocks, err = testclocks.New(testclocks.Config{DB: cfg.DB, Jobs: a.Billing,
		Extra: []func(context.Context, string, int) (int, error){a.Billing.NotifyExpiringCards},
	}); err != nil {
		return nil, err
	}
	if a.Webhooks, err = webhooks.New(webhooks.Config{
		DB: cfg.DB, Dialect: cfg.Dialect, Outbox: a.Outbox, From: cfg.Mailing.From,
		Live: cfg.WebhookClients.Live, Test: cfg.WebhookClients.Test, Logger: cfg.Logger,
		Changes: cfg.Changes,
	}); err != nil {
		return nil, err
	}
	if a.Events, err = eventstream.New(eventstream.Config{DB: cfg.DB, Logger: cfg.Logger}); err != nil {
		return nil, err
	}
	if a.BankTransfers, err = banktransfers.New(banktransfers.Config{DB: cfg.DB, Dialect: cfg.Dialect, Billing: a.Billing}); err != nil {
		return nil, err
	}
	if a.Exports, err = exports.New(cfg.DB, secrets.Derive(root, "export links")); err != nil {
		return nil, err
	}
	if a.Receivables, err = receivables.New(receivables.Config{DB: cfg.DB}); err != nil {
		return nil, err
	}
	owner := workerOwner()
	emailOpts := cfg.Email
	if emailOpts.Logger == nil {
		emailOpts.Logger = cfg.Logger
	}
	if emailOpts.Documents == nil {
		emailOpts.Documents = a.Billing // receipts' PDFs, rendered at delivery
	}
	a.Worker = worker.New(worker.Options{Interval: cfg.WorkerInterval, Logger: cfg.Logger, Signal: wake},
		worker.NewEmailDelivery(cfg.DB, cfg.Dialect, cfg.Sender, emailOpts),
		worker.JobFunc{JobName: "payment settlement", Run: func(ctx context.Context) (int, error) {
			return a.Billing.SettleDue(ctx, "", SettleBatch)
		}},
		worker.JobFunc{JobName: "refund settlement", Run: func(ctx context.Context) (int, error) {
			return a.Billing.SettleRefunds(ctx, SettleBatch)
		}},
		worker.JobFunc{JobName: "invoice overdue", Run: func(ctx context.Context) (int, error) {
			return a.Billing.MarkOverdue(ctx, "", OverdueBatch)
		}},
		worker.JobFunc{JobName: "collections", Run: func(ctx context.Context) (int, error) {
			return a.Billing.RunCollections(ctx, "", CollectionBatch)
		}},
		worker.JobFunc{JobName: "card expiry notices", Run: func(ctx context.Context) (int, error) {
			return a.Billing.NotifyExpiringCards(ctx, "", CollectionBatch)
		}},
		worker.JobFunc{JobName: "webhook dispatch", Run: func(ctx context.Context) (int, error) {
			return a.Webhooks.Dispatch(ctx, WebhookBatch)
		}},
		worker.JobFunc{JobName: "webhook delivery", Run: func(ctx context.Context) (int, error) {
			return a.Webhooks.Deliver(ctx, owner, WebhookBatch)
		}},
		worker.JobFunc{JobName: "planner statistics", Run: store.OptimizeJob(cfg.DB, cfg.Dialect)},
	)
	return a, nil
}
