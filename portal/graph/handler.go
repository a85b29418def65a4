package graph

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/remitbilling/remit/internal/gqlkit"
	"github.com/remitbilling/remit/internal/viewer"
	"github.com/remitbilling/remit/portal"
	"github.com/remitbilling/remit/portal/graph/generated"
)

// Limits every request to the portal API obeys. They are tighter than the
// merchant API's: the portal is public and its queries are small.
const (
	// MaxBodyBytes caps the request body (413 beyond).
	MaxBodyBytes = 1 << 20
	// MaxDepth caps selection nesting (DEPTH_LIMIT_EXCEEDED).
	MaxDepth = 10
	// MaxComplexity caps the query cost, connections priced by page size
	// (COMPLEXITY_LIMIT_EXCEEDED, HTTP 422).
	MaxComplexity = 20_000
	// MaxTokens caps the parsed document's size.
	MaxTokens = 10_000
	// MaxMutationFields caps the root fields of one mutation
	// (MUTATION_LIMIT_EXCEEDED, HTTP 422), as on the merchant API.
	MaxMutationFields = 25
)

// NewHandler serves the portal GraphQL API. It runs behind
// portal.Authenticate, which has put the signed-in session (and a viewer
// confined to its customer) in the request context when there is one.
//
//   - POST application/json is served, with a body of at most 1 MiB (413),
//     and queries over GET (gqlkit.GET; a mutation over GET is refused
//     with 405); other methods get 405, other media types 415.
//   - A request without an Authorization header may be authenticated by the
//     session cookie: it must then pass http.CrossOriginProtection (a
//     cross-site browser POST is refused with 403). That also covers the
//     login mutations, against login CSRF.
//   - Introspection is on only for sessions of a test-mode portal; live
//     portals and anonymous callers cannot introspect.
func NewHandler(d portal.Deps) http.Handler {
	logger := d.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	d.Logger = logger
	srv := newServer(&Resolver{Deps: d, Payer: d.Payer}, logger)

	serve := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			// A query only, no body: GET has no effect, so the cookie
			// needs no cross-origin check (nor does CrossOriginProtection
			// make one for a safe method).
			srv.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), stateKey{}, newState(w, r))))
			return
		}
		if !gqlkit.IsJSON(r) {
			writeError(w, http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "send the request as Content-Type: application/json")
			return
		}
		body, bad := gqlkit.ReadBody(w, r, MaxBodyBytes)
		if bad != nil {
			writeError(w, bad.Status, bad.Code, bad.Message)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		srv.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), stateKey{}, newState(w, r))))
	})

	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusForbidden, "FORBIDDEN", "cross-origin request refused")
	}))
	cookieGuarded := csrf.Handler(serve)

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost && r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET, POST")
			writeError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "send GraphQL requests as POST application/json, or queries as GET")
			return
		}
		if r.Header.Get("Authorization") != "" || r.Method == http.MethodGet {
			// A bearer token is no ambient credential: no CSRF exposure.
			serve.ServeHTTP(w, r)
			return
		}
		cookieGuarded.ServeHTTP(w, r)
	})
}

func newState(w http.ResponseWriter, r *http.Request) *reqState {
	st := &reqState{w: w, r: r, id: w.Header().Get("X-Request-Id"), cookieAuth: r.Header.Get("Authorization") == ""}
	if st.id == "" {
		st.id = gqlkit.NewRequestID()
	}
	return st
}

func newServer(r *Resolver, logger *slog.Logger) *handler.Server {
	cfg := generated.Config{Resolvers: r}
	setComplexity(&cfg.Complexity)
	schema := generated.NewExecutableSchema(cfg)
	srv := gqlkit.NewStreamingServer(schema, gqlkit.Limits{Complexity: MaxComplexity, Depth: MaxDepth, Tokens: MaxTokens, Mutations: MaxMutationFields},
		introspectionPolicy{}, logger, requestID, r.websocketAuth)
	srv.AroundRootFields(r.requireSession)
	return srv
}

// websocketAuth signs a WebSocket in with the session token of its
// connection_init payload ({"Authorization": "Bearer <token>"}), and only
// with it: a session cookie the upgrade request carried is replaced, so a
// page of another site cannot ride the customer's cookie.
func (r *Resolver) websocketAuth(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	scheme, tok, _ := strings.Cut(p.Authorization(), " ")
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return ctx, nil, errors.New(`send connection_init with {"Authorization": "Bearer <session token>"}`)
	}
	sctx, sess, err := r.Portal.Authenticate(ctx, strings.TrimSpace(tok))
	if err != nil {
		return ctx, nil, errors.New("invalid or expired session")
	}
	return portal.WithSession(sctx, sess), nil, nil
}

// introspectionPolicy turns introspection on only for a signed-in session
// of a test-mode portal: a merchant's developers can explore the schema
// with a test customer, while live portals and anonymous callers cannot
// (the schema is no secret, but there is no reason to hand it out).
type introspectionPolicy struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = introspectionPolicy{}

func (introspectionPolicy) ExtensionName() string                   { return "PortalIntrospection" }
func (introspectionPolicy) Validate(graphql.ExecutableSchema) error { return nil }
func (introspectionPolicy) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	s, ok := portal.SessionFrom(ctx)
	oc.DisableIntrospection = !ok || s.Row.Mode != viewer.Test
	return nil
}

// publicFields work without a session: signing in.
var publicFields = map[string]bool{
	"portalLoginStart":    true,
	"portalLoginVerify":   true,
	"portalSessionRedeem": true,
}

// requireSession refuses every root field but the login ones without a
// live session of an enabled portal: the field resolves to null with a
// top-level UNAUTHENTICATED error (HTTP 200), before any resolver runs.
// Introspection fields pass when introspectionPolicy allows them, and
// answer INTROSPECTION_DISABLED otherwise.
func (r *Resolver) requireSession(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	fc := graphql.GetRootFieldContext(ctx)
	if fc == nil || publicFields[fc.Field.Name] || strings.HasPrefix(fc.Field.Name, "__") && !introspects(fc.Field.Name) {
		return next(ctx)
	}
	path := ast.Path{ast.PathName(fc.Field.Alias)}
	if introspects(fc.Field.Name) {
		if graphql.GetOperationContext(ctx).DisableIntrospection {
			// gqlgen's own refusal is a bare error, which the presenter
			// would mask as INTERNAL and log as a server fault: it is the
			// caller's, and expected.
			graphql.AddError(ctx, introspectionDisabled(path))
			return graphql.Null
		}
		return next(ctx)
	}
	s, ok := portal.SessionFrom(ctx)
	if !ok {
		graphql.AddError(ctx, unauthenticated(path))
		return graphql.Null
	}
	// A portal turned off signs everyone out: Authenticate read whether it
	// is on with the session; a session opened in this request was not.
	enabled := s.PortalEnabled
	if enabled == nil {
		cfg, err := r.config(ctx)
		if err != nil {
			graphql.AddError(ctx, &gqlerror.Error{Message: err.Error(), Path: path, Err: err})
			return graphql.Null
		}
		enabled = &cfg.Enabled
	}
	if !*enabled {
		graphql.AddError(ctx, unauthenticated(path))
		return graphql.Null
	}
	return next(ctx)
}

// introspects reports the root fields that introspect the schema
// (__typename is no introspection: it is always served).
func introspects(field string) bool { return field == "__schema" || field == "__type" }

func introspectionDisabled(path ast.Path) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    "introspection is available only to signed-in sessions of a test-mode portal; run `remit schema print --portal` for the schema",
		Path:       path,
		Extensions: map[string]any{"code": "INTROSPECTION_DISABLED"},
	}
}

func unauthenticated(path ast.Path) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    "sign in to the portal first",
		Path:       path,
		Extensions: map[string]any{"code": "UNAUTHENTICATED"},
	}
}

// requestID is the id the server tagged the request with (X-Request-Id),
// echoed in masked errors so they match the server log.
func requestID(ctx context.Context) string {
	if st := state(ctx); st != nil {
		return st.id
	}
	return ""
}

// writeError answers outside GraphQL execution (method, media type, body
// size, cross-origin) in the GraphQL response shape.
func writeError(w http.ResponseWriter, status int, code, message string) {
	gqlkit.WriteError(w, status, code, message, w.Header().Get("X-Request-Id"))
}
