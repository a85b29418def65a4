// Package server assembles the HTTP server: the merchant GraphQL API at
// /graphql behind API-key authentication, GraphiQL at /, and the limits
// and error masking every endpoint shares.
package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/graph"
	"github.com/remitbilling/remit/graph/generated"
	"github.com/remitbilling/remit/internal/accounts"
	"github.com/remitbilling/remit/internal/app"
	"github.com/remitbilling/remit/internal/billing"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/exports"
	"github.com/remitbilling/remit/internal/gqlkit"
	"github.com/remitbilling/remit/internal/idempotency"
	"github.com/remitbilling/remit/internal/payer"
	"github.com/remitbilling/remit/internal/portal"
	"github.com/remitbilling/remit/internal/processors"
	"github.com/remitbilling/remit/internal/ratelimit"
	"github.com/remitbilling/remit/internal/server/graphiql"
	"github.com/remitbilling/remit/internal/store"
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
	// App is the application the server serves (its services and worker).
	App *app.App
}

// Billing is the server's billing service (App.Billing), for tests that
// run its system jobs by hand.
func (s *Server) Billing() *billing.Service { return s.billing }

// Config is what a Server serves.
type Config struct {
	// App holds the services, built once by app.New.
	App *app.App
	// CORSOrigins are the origins whose browser pages may call /graphql
	// and /portal/graphql (REMIT_CORS_ORIGINS, read by ParseOrigins);
	// none by default.
	CORSOrigins []string
}

// Validate reports a missing application or a malformed origin.
func (c Config) Validate() error {
	if c.App == nil {
		return errors.New("server: App is required")
	}
	if _, err := ParseOrigins(strings.Join(c.CORSOrigins, ",")); err != nil {
		return fmt.Errorf("server: CORSOrigins: %w", err)
	}
	return nil
}

// New builds the application from defaults (app.DefaultMailing, the
// simulator in test mode, no SMTP) and serves it: the thin constructor of
// tests and benchmarks. The binary uses app.New and NewFromConfig.
func New(st *store.Store, clk clock.Clock, logger *slog.Logger) *Server {
	if clk == nil {
		clk = clock.Real{}
	}
	a, err := app.New(context.Background(), app.Config{
		DB: st.Client, Dialect: st.Dialect, Changes: st.Changes, Clock: clk, Logger: logger, Mailing: app.DefaultMailing,
	})
	if err == nil {
		var s *Server
		if s, err = NewFromConfig(Config{App: a}); err == nil {
			return s
		}
	}
	// Only a programming error: the arguments above are complete.
	panic(fmt.Sprintf("server.New: %v", err))
}

// NewFromConfig builds the HTTP handler over cfg.App's services.
func NewFromConfig(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := cfg.App
	db, dialect, clk, logger := a.DB, a.Dialect, a.Clock, a.Logger
	s := &Server{
		DB: db, Dialect: dialect, Clock: clk, Logger: logger, App: a,
		Accounts: a.Accounts,
		Portal:   a.Portal,
		billing:  a.Billing,
		idem:     a.Idempotency,
		limits:   a.Limits,
	}
	resolver := &graph.Resolver{
		Methods:       a.Methods,
		Processors:    a.Processors,
		Portal:        a.Portal,
		DB:            db,
		Accounts:      a.Accounts,
		Customers:     a.Customers,
		Catalog:       a.Catalog,
		Billing:       a.Billing,
		Clocks:        a.TestClocks,
		Webhooks:      a.Webhooks,
		Stream:        a.Events,
		Exports:       a.Exports,
		BankTransfers: a.BankTransfers,
		Receivables:   a.Receivables,
		PublicURL:     a.Mailing.PublicURL,
	}
	api := newGraphQL(resolver, logger)
	var post http.Handler = api
	post = idempotency.Middleware(s.idem, requestBody, writeError, selfKeyed)(post)
	post = graphQLBody(post)
	post = authenticate(s.Accounts, s.limits, logger, post)
	post = limitBody(MaxBodyBytes, post)
	post = requireJSON(post)
	// A GET carries a query only (the transport refuses anything else):
	// no body to read, and nothing to make idempotent.
	get := authenticate(s.Accounts, s.limits, logger, api)

	mux := http.NewServeMux()
	// A WebSocket upgrade authenticates in its init payload
	// (websocketAuth): it goes to the API as it is.
	mux.Handle("/graphql", cors(cfg.CORSOrigins, streaming(byMethod(post, get, api))))
	mux.Handle("GET /invoices/{id}/pdf", authenticate(s.Accounts, s.limits, logger, http.HandlerFunc(s.invoicePDF)))
	mux.Handle("GET /credit_notes/{id}/pdf", authenticate(s.Accounts, s.limits, logger, http.HandlerFunc(s.creditNotePDF)))
	mux.Handle("GET /invoices/{id}/einvoice.xml", authenticate(s.Accounts, s.limits, logger, http.HandlerFunc(s.invoiceEInvoice)))
	mux.Handle("GET /credit_notes/{id}/einvoice.xml", authenticate(s.Accounts, s.limits, logger, http.HandlerFunc(s.creditNoteEInvoice)))
	for name, write := range map[string]func(context.Context, io.Writer, url.Values, exports.Options) (int, error){
		"invoices": func(ctx context.Context, w io.Writer, q url.Values, o exports.Options) (int, error) {
			f, _ := invoiceFilter(q) // checked by exportCSV
			return a.Exports.Invoices(ctx, w, f, o)
		},
		"customers": func(ctx context.Context, w io.Writer, _ url.Values, o exports.Options) (int, error) {
			return a.Exports.Customers(ctx, w, o)
		},
		"payments": func(ctx context.Context, w io.Writer, _ url.Values, o exports.Options) (int, error) {
			return a.Exports.Payments(ctx, w, o)
		},
		"credit-notes": func(ctx context.Context, w io.Writer, _ url.Values, o exports.Options) (int, error) {
			return a.Exports.CreditNotes(ctx, w, o)
		},
	} {
		h := s.exportCSV(name, write)
		mux.Handle("GET /exports/"+name+".csv", signedOr(a.Exports, name, h, authenticate(s.Accounts, s.limits, logger, h)))
	}
	aging := http.HandlerFunc(s.agingCSV)
	mux.Handle("GET /exports/aging.csv", signedOr(a.Exports, "aging", aging, authenticate(s.Accounts, s.limits, logger, aging)))
	statement := s.limitPDFs(http.HandlerFunc(s.statementPDF))
	mux.Handle("GET /customers/{id}/statement.pdf", signedStatement(a.Exports, statement, authenticate(s.Accounts, s.limits, logger, statement)))
	mux.Handle("POST /bank-statements", authenticate(s.Accounts, s.limits, logger, limitBody(maxStatementBody, http.HandlerFunc(s.bankStatementImport))))
	mux.Handle("POST "+processors.WebhookPath("{account}"), http.HandlerFunc(s.stripeWebhook))
	mux.HandleFunc("GET /dev/mail", s.devMail)
	mux.HandleFunc("GET /dev/mail/{id}", s.devMail)
	mux.HandleFunc("GET "+payer.ProcessorScriptPath, processorScript)
	mux.HandleFunc("GET /i/{token}", s.hostedInvoice)
	mux.HandleFunc("GET /i/{token}/pdf", s.hostedPDF)
	mux.HandleFunc("GET /i/{token}/einvoice.xml", s.hostedEInvoice)
	mux.HandleFunc("GET /i/{token}/credit_notes/{id}/pdf", s.hostedCreditNotePDF)
	// The payment forms post from the page itself: cross-site posts are
	// refused (Sec-Fetch-Site / Origin checks).
	csrf := http.NewCrossOriginProtection()
	mux.Handle("POST /i/{token}/pay", csrf.Handler(limitBody(64<<10, http.HandlerFunc(s.hostedPay))))
	mux.Handle("POST /i/{token}/confirm", csrf.Handler(limitBody(64<<10, http.HandlerFunc(s.hostedConfirm))))
	mux.Handle("POST /i/{token}/schedule", csrf.Handler(limitBody(64<<10, http.HandlerFunc(s.hostedSchedule))))
	mux.Handle("POST /i/{token}/schedule/cancel", csrf.Handler(limitBody(64<<10, http.HandlerFunc(s.hostedUnschedule))))
	deps := portalhttp.Deps{
		DB: db, Portal: a.Portal, Billing: a.Billing, Methods: a.Methods, Customers: a.Customers,
		Accounts: a.Accounts, Payer: a.Payer, Logger: logger, Events: a.Events, Receivables: a.Receivables,
	}
	// The portal: its GraphQL API and web UI, signed in by the portal's
	// own sessions (never by API keys).
	mux.Handle("/portal/graphql", cors(cfg.CORSOrigins, streaming(graphQLBody(portalhttp.Authenticate(s.Portal, portalgraph.NewHandler(deps))))))
	web := portalhttp.Authenticate(s.Portal, portalweb.NewHandler(deps))
	mux.Handle("/portal/", web)
	mux.Handle("GET /portal/{slug}/invoices/{id}/pdf", s.limitPDFs(web))
	mux.Handle("GET /portal/{slug}/credit_notes/{id}/pdf", s.limitPDFs(web))
	mux.Handle("GET /portal/{slug}/statement.pdf", s.limitPDFs(web))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	// GraphiQL, from the binary alone.
	mux.HandleFunc("GET /{$}", graphiql.Page)
	mux.HandleFunc("GET "+graphiql.Prefix, graphiql.Asset)
	s.handler = withRequest(logger, clk, a.Webhooks, refuseBadPaths(mux))
	return s, nil
}

func newGraphQL(resolver *graph.Resolver, logger *slog.Logger) *handler.Server {
	cfg := generated.Config{Resolvers: resolver}
	setComplexity(&cfg.Complexity)
	schema := generated.NewExecutableSchema(cfg)
	// API keys may introspect: GraphiQL and codegen read the schema.
	srv := gqlkit.NewStreamingServer(schema, gqlkit.Limits{Complexity: MaxComplexity, Depth: MaxDepth, Tokens: MaxTokens, Mutations: MaxMutationFields},
		extension.Introspection{}, logger, RequestID, websocketAuth(resolver.Accounts))
	srv.AroundRootFields(resolver.AroundRootFields)
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
var selfKeyedFields = map[string]bool{"invoicePay": true, "paymentRefund": true}

// selfKeyed reports a request made of one mutation of selfKeyedFields.
func selfKeyed(r *http.Request) bool {
	body := requestBody(r)
	if !bytes.Contains(body, []byte("invoicePay")) && !bytes.Contains(body, []byte("paymentRefund")) {
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
