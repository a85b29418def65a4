package gqlkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	coderws "github.com/coder/websocket"
)

// Limits bound what one request to a GraphQL API may ask.
type Limits struct {
	// Complexity caps the query cost (COMPLEXITY_LIMIT_EXCEEDED).
	Complexity int
	// Depth caps selection nesting (DEPTH_LIMIT_EXCEEDED).
	Depth int
	// Tokens caps the parsed document's size.
	Tokens int
	// Mutations caps the root fields of a mutation (MUTATION_LIMIT_EXCEEDED).
	Mutations int
}

// NewServer is a GraphQL server as both APIs (/graphql and
// /portal/graphql) run one: POST, and GET for queries (GET), automatic
// persisted queries in a cache bounded in bytes, parsed documents cached, no field
// suggestions in errors (they would map the schema for a caller who may
// not introspect), the limits, strings checked (InputGuard), errors
// masked and panics recovered with the request's id. introspection
// decides who may introspect.
func NewServer(schema graphql.ExecutableSchema, l Limits, introspection graphql.HandlerExtension, logger *slog.Logger, requestID func(context.Context) string) *handler.Server {
	return NewStreamingServer(schema, l, introspection, logger, requestID, nil)
}

// NewStreamingServer is NewServer that also serves subscriptions over
// WebSocket (graphql-transport-ws, and the older graphql-ws), whose
// connection_init payload init authenticates (a browser's WebSocket
// cannot send headers). The upgrade request reaches it unauthenticated.
func NewStreamingServer(schema graphql.ExecutableSchema, l Limits, introspection graphql.HandlerExtension, logger *slog.Logger, requestID func(context.Context) string, init transport.WebsocketInitFunc) *handler.Server {
	srv := handler.New(schema)
	if init != nil {
		srv.AddTransport(transport.Websocket{
			InitFunc:              init,
			InitTimeout:           10 * time.Second,
			KeepAlivePingInterval: 15 * time.Second,
			// Authentication is the init payload's, never a cookie:
			// another origin's page gains nothing by connecting.
			Implementation: transport.CoderWebsocketImplementation{AcceptOptions: websocketAccept},
		})
	}
	// Subscriptions stream over Server-Sent Events (a POST that accepts
	// text/event-stream), with a comment line every 15 s so proxies keep
	// the connection.
	srv.AddTransport(transport.SSE{KeepAlivePingInterval: 15 * time.Second})
	srv.AddTransport(transport.POST{})
	srv.AddTransport(GET{RequestID: requestID})
	srv.Use(extension.AutomaticPersistedQuery{Cache: newQueryCache(apqBytes)})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(l.Tokens)
	srv.SetDisableSuggestion(true)
	srv.Use(introspection)
	srv.Use(extension.FixedComplexityLimit(l.Complexity))
	srv.Use(DepthLimit{Max: l.Depth})
	srv.Use(MutationLimit{Max: l.Mutations})
	srv.Use(InputGuard{Schema: schema.Schema()})
	srv.SetErrorPresenter(PresentError(logger, requestID))
	srv.SetRecoverFunc(Recover(logger, requestID))
	return srv
}

// websocketAccept skips the origin check: a connection is worth nothing
// until its init payload authenticates it (no cookie is ever read), so a
// page of another origin gains nothing the API key does not give.
var websocketAccept = coderws.AcceptOptions{InsecureSkipVerify: true}

// NewRequestID is a fresh request id ("req_" and 96 random bits), which
// the server log and masked errors share.
func NewRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "req_" + hex.EncodeToString(b[:])
}

// IsJSON tells whether r declares a JSON body: the only transport, which
// also forces browsers into a CORS preflight.
func IsJSON(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// BodyError is why a request body was refused: an HTTP status and a code
// for the GraphQL-shaped answer (WriteError).
type BodyError struct {
	Status        int
	Code, Message string
}

// ReadBody reads r's whole body, at most max bytes, and checks it is
// UTF-8: JSON decoding would turn bad bytes into U+FFFD and store altered
// text, so such a body is refused whole.
func ReadBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, *BodyError) {
	tooLarge := &BodyError{http.StatusRequestEntityTooLarge, "BODY_TOO_LARGE", "request body is larger than 1 MiB"}
	if r.ContentLength > max {
		return nil, tooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge
		}
		return nil, &BodyError{http.StatusBadRequest, "BAD_REQUEST", "could not read the request body"}
	}
	if !utf8.Valid(body) {
		return nil, &BodyError{http.StatusBadRequest, "INVALID_STRING", "the request body is not valid UTF-8"}
	}
	return body, nil
}

// WriteError answers outside GraphQL execution (transport, authentication,
// limits) in the GraphQL response shape, with status; requestID ("" for
// none) is echoed so the answer matches the server log.
func WriteError(w http.ResponseWriter, status int, code, message, requestID string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	ext := map[string]any{"code": code}
	if requestID != "" {
		ext["requestId"] = requestID
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": message, "extensions": ext}},
	})
}
