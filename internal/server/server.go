// Package server assembles the HTTP server: the merchant GraphQL API at
// /graphql behind API-key authentication, GraphiQL at /, and the limits
// and error masking every endpoint shares.
package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/graph"
	"github.com/remitbilling/remit/graph/generated"
	"github.com/remitbilling/remit/internal/accounts"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/catalog"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/customers"
	"github.com/remitbilling/remit/internal/gqlkit"
	"github.com/remitbilling/remit/internal/idempotency"
	"github.com/remitbilling/remit/internal/paymentmethods"
	"github.com/remitbilling/remit/internal/payments"
	"github.com/remitbilling/remit/internal/portal"
	"github.com/remitbilling/remit/internal/ratelimit"
	"github.com/remitbilling/remit/internal/secrets"
	"github.com/remitbilling/remit/internal/viewer"
	portalhttp "github.com/remitbilling/remit/portal"
	portalgraph "github.com/remitbilling/remit/portal/graph"
	portalweb "github.com/remitbilling/remit/portal/web"
)

// Limits every request to the API obeys.
const (
	MaxBodyBytes  = 1 << 20
	MaxComplexity = 25_000
	MaxDepth      = 12
	MaxTokens     = 20_000
)

// Server serves the API over one database.
type Server struct {
	DB       *ent.Client
	Dialect  string
	Clock    clock.Clock
	Logger   *slog.Logger
	Accounts *accounts.Service
	handler  http.Handler
	idem     *idempotency.Store
	limits   *ratelimit.Limiter
	billing  *billing.Service
	// Portal is the customer portal's domain service.
	Portal *portal.Service
}

// Option configures a Server.
type Option func(*options)

type options struct {
	mailing billing.Mailing
	wake    func()
	procs   billing.Processors
}

// WithProcessors sets the payment processor of each mode; by default test
// mode uses the simulator and live mode refuses payments.
func WithProcessors(p billing.Processors) Option { return func(o *options) { o.procs = p } }

// WithMailing sets the sender address and public URL of invoice emails.
func WithMailing(m billing.Mailing) Option { return func(o *options) { o.mailing = m } }

// WithWake sets what nudges the background worker after email is queued.
func WithWake(wake func()) Option { return func(o *options) { o.wake = wake } }

// DefaultMailing is used when WithMailing is not given.
var DefaultMailing = billing.Mailing{From: "invoices@remit.localhost", PublicURL: "http://localhost:8080"}

// DefaultProcessors serves test mode with the simulator, keyed by a
// server secret so card fingerprints are stable across restarts and
// processes, and refuses live payments.
func DefaultProcessors(clk clock.Clock, root []byte) billing.Processors {
	sim := payments.NewSimulator(clk, secrets.Derive(root, "card fingerprints"))
	return func(m viewer.Mode) payments.Processor {
		if m == viewer.Test {
			return sim
		}
		return payments.Refusing{}
	}
}

// Billing is the server's billing service, for the background worker.
func (s *Server) Billing() *billing.Service { return s.billing }

// New wires the services and the HTTP handler.
func New(db *ent.Client, dialect string, clk clock.Clock, logger *slog.Logger, opts ...Option) *Server {
	o := options{mailing: DefaultMailing}
	for _, opt := range opts {
		opt(&o)
	}
	if clk == nil {
		clk = clock.Real{}
	}
	s := &Server{
		DB: db, Dialect: dialect, Clock: clk, Logger: logger,
		Accounts: accounts.New(db),
		idem:     idempotency.NewStore(db),
		limits:   newLimiter(db, dialect),
	}
	graph.PrepareClient(db)
	s.billing = billing.New(db, dialect)
	root, err := secrets.Load(clock.WithContext(context.Background(), clk), db, secrets.Root)
	if err != nil {
		// Keys then change at restart (card fingerprints, portal
		// sessions); everything else works.
		logger.Warn("no stored server secret; using a temporary one", "error", err)
		root = make([]byte, 32)
		_, _ = rand.Read(root)
	}
	if o.procs == nil {
		o.procs = DefaultProcessors(clk, root)
	}
	s.Portal, err = portal.New(db, dialect, clk, portal.Config{
		CodeKey: secrets.Derive(root, "portal login codes"), TokenKey: secrets.Derive(root, "portal session tokens"),
		From: o.mailing.From, PublicURL: o.mailing.PublicURL,
	})
	if err != nil {
		panic(fmt.Sprintf("portal keys: %v", err)) // derived keys are 32 bytes: cannot happen
	}
	s.billing.UsePayments(o.procs, o.mailing)
	methods := paymentmethods.New(db, paymentmethods.Processors(o.procs))
	resolver := &graph.Resolver{
		Methods:   methods,
		Portal:    s.Portal,
		DB:        db,
		Accounts:  s.Accounts,
		Customers: customers.New(db, dialect),
		Catalog:   catalog.New(db),
		Billing:   s.billing,
		Mailing:   o.mailing,
		Wake:      o.wake,
	}
	api := newGraphQL(resolver, logger)
	var merchant http.Handler = api
	merchant = idempotency.Middleware(s.idem, requestBody, writeError, selfKeyed)(merchant)
	merchant = graphQLBody(merchant)
	merchant = authenticate(s.Accounts, s.limits, logger, merchant)
	merchant = limitBody(MaxBodyBytes, merchant)
	merchant = requireJSON(merchant)

	mux := http.NewServeMux()
	mux.Handle("POST /graphql", merchant)
	mux.HandleFunc("GET /graphql", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "send GraphQL requests as POST application/json")
	})
	mux.Handle("GET /invoices/{id}/pdf", authenticate(s.Accounts, s.limits, logger, http.HandlerFunc(s.invoicePDF)))
	mux.HandleFunc("GET /dev/mail", s.devMail)
	mux.HandleFunc("GET /dev/mail/{id}", s.devMail)
	mux.HandleFunc("GET /i/{token}", s.hostedInvoice)
	mux.HandleFunc("GET /i/{token}/pdf", s.hostedPDF)
	// The payment forms post from the page itself: cross-site posts are
	// refused (Sec-Fetch-Site / Origin checks).
	csrf := http.NewCrossOriginProtection()
	mux.Handle("POST /i/{token}/pay", csrf.Handler(limitBody(64<<10, http.HandlerFunc(s.hostedPay))))
	mux.Handle("POST /i/{token}/confirm", csrf.Handler(limitBody(64<<10, http.HandlerFunc(s.hostedConfirm))))
	deps := portalhttp.Deps{
		DB: db, Portal: s.Portal, Billing: s.billing, Methods: methods, Customers: resolver.Customers,
		Accounts: s.Accounts, Logger: logger,
	}
	// The portal: its GraphQL API and web UI, signed in by the portal's
	// own sessions (never by API keys).
	mux.Handle("/portal/graphql", graphQLBody(portalhttp.Authenticate(s.Portal, portalgraph.NewHandler(deps))))
	web := portalhttp.Authenticate(s.Portal, portalweb.NewHandler(deps))
	mux.Handle("/portal/", web)
	mux.Handle("GET /portal/{slug}/invoices/{id}/pdf", s.limitPDFs(web))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /{$}", playground.Handler("Remit GraphQL", "/graphql",
		playground.WithGraphiqlUiHeaders(map[string]string{"Authorization": "Bearer sk_test_…"}),
		playground.WithStoragePrefix("remit"),
	))
	s.handler = withRequest(logger, clk, refuseBadPaths(mux))
	return s
}

func newGraphQL(resolver *graph.Resolver, logger *slog.Logger) *handler.Server {
	cfg := generated.Config{Resolvers: resolver}
	setComplexity(&cfg.Complexity)
	schema := generated.NewExecutableSchema(cfg)
	srv := handler.New(schema)
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(MaxTokens)
	srv.SetDisableSuggestion(true)
	srv.Use(extension.Introspection{})
	srv.Use(extension.FixedComplexityLimit(MaxComplexity))
	srv.Use(gqlkit.DepthLimit{Max: MaxDepth})
	srv.Use(gqlkit.InputGuard{Schema: schema.Schema()})
	srv.AroundRootFields(resolver.AroundRootFields)
	srv.SetErrorPresenter(gqlkit.PresentError(logger, RequestID))
	srv.SetRecoverFunc(gqlkit.Recover(logger, RequestID))
	return srv
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Run serves on ln until ctx ends, then shuts down gracefully.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	go s.sweep(ctx)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// sweep deletes expired idempotency records and rate-limit counters hourly.
func (s *Server) sweep(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		sctx := clock.WithContext(ctx, s.Clock)
		if n, err := s.idem.Sweep(sctx); err != nil {
			s.Logger.Error("sweep idempotency keys", "error", err)
		} else if n > 0 {
			s.Logger.Info("swept idempotency keys", "count", n)
		}
		if n, err := s.limits.Sweep(sctx); err != nil {
			s.Logger.Error("sweep rate limits", "error", err)
		} else if n > 0 {
			s.Logger.Info("swept rate limits", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// selfKeyedFields are mutations idempotent by themselves on the
// Idempotency-Key (see idempotency.Middleware).
var selfKeyedFields = map[string]bool{"invoicePay": true}

// selfKeyed reports a request made of one mutation of selfKeyedFields.
func selfKeyed(r *http.Request) bool {
	body := requestBody(r)
	if !bytes.Contains(body, []byte("invoicePay")) {
		return false
	}
	var req struct {
		Query         string `json:"query"`
		OperationName string `json:"operationName"`
	}
	if json.Unmarshal(body, &req) != nil {
		return false
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: req.Query})
	if err != nil {
		return false
	}
	op := doc.Operations.ForName(req.OperationName)
	if op == nil && req.OperationName == "" && len(doc.Operations) == 1 {
		op = doc.Operations[0]
	}
	if op == nil || op.Operation != ast.Mutation || len(op.SelectionSet) != 1 {
		return false
	}
	f, ok := op.SelectionSet[0].(*ast.Field)
	return ok && selfKeyedFields[f.Name]
}
