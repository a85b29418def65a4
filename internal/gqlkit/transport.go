package gqlkit

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// GET serves queries as the GraphQL-over-HTTP GET binding does
// (?query=&variables=&operationName=&extensions=, the last for persisted
// queries): urql's default and Apollo's GET for hashed queries. A mutation
// or subscription over GET is refused with 405 and Allow: POST before it
// runs, as the spec says: GET must have no effect, and a link or an image
// tag must not be able to change anything.
type GET struct {
	// RequestID names the request in masked errors.
	RequestID func(context.Context) string
}

var _ graphql.Transport = GET{}

func (GET) Supports(r *http.Request) bool {
	return r.Method == http.MethodGet && r.Header.Get("Upgrade") == ""
}

func (t GET) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	id := t.RequestID(ctx)
	bad := func(message string) { WriteError(w, http.StatusBadRequest, "BAD_REQUEST", message, id) }
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		bad("the query string is malformed")
		return
	}
	raw := &graphql.RawParams{Query: q.Get("query"), OperationName: q.Get("operationName"), Headers: r.Header}
	raw.ReadTime.Start = graphql.Now()
	if v := q.Get("variables"); v != "" {
		if decodeObject(v, &raw.Variables) != nil {
			bad("variables must be a JSON object")
			return
		}
	}
	if v := q.Get("extensions"); v != "" {
		if decodeObject(v, &raw.Extensions) != nil {
			bad("extensions must be a JSON object")
			return
		}
	}
	raw.ReadTime.End = graphql.Now()
	w.Header().Set("Content-Type", "application/json")
	// Answers carry the caller's data: no shared cache may keep them.
	w.Header().Set("Cache-Control", "private, no-store")
	oc, gqlErr := exec.CreateOperationContext(ctx, raw)
	if gqlErr != nil {
		w.WriteHeader(statusFor(gqlErr))
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, oc), gqlErr))
		return
	}
	if oc.Operation.Operation != ast.Query {
		w.Header().Set("Allow", http.MethodPost)
		WriteError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED",
			"only queries may be sent with GET: send a "+string(oc.Operation.Operation)+" as POST application/json", id)
		return
	}
	responses, rctx := exec.DispatchOperation(ctx, oc)
	writeResponse(w, responses(rctx))
}

func decodeObject(s string, v *map[string]any) error {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber() // as the POST transport: no float rounding of big integers
	return dec.Decode(v)
}

// statusFor is the POST transport's status for an operation refused
// before it ran: 422 for a protocol error (parse, validation, limits).
func statusFor(errs gqlerror.List) int {
	if errcode.GetErrorKind(errs) == errcode.KindProtocol {
		return http.StatusUnprocessableEntity
	}
	return http.StatusOK
}

func writeResponse(w http.ResponseWriter, resp *graphql.Response) {
	_ = json.NewEncoder(w).Encode(resp)
}

// CheckBody refuses a POST body the GraphQL transport would answer with
// its own 400, which echoes the body and names Go types: a batch (a JSON
// array: not supported, BATCH_NOT_SUPPORTED), anything but one JSON object,
// and members of the wrong JSON type. The values are not decoded (the
// transport does), only their kind looked at.
func CheckBody(body []byte) *BodyError {
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) > 0 && t[0] == '[' {
		return &BodyError{http.StatusBadRequest, "BATCH_NOT_SUPPORTED",
			"batched requests are not supported: send one operation per request (a JSON object, not an array)"}
	}
	var req struct {
		Query         json.RawMessage `json:"query"`
		OperationName json.RawMessage `json:"operationName"`
		Variables     json.RawMessage `json:"variables"`
		Extensions    json.RawMessage `json:"extensions"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if dec.Decode(&req) != nil {
		return &BodyError{http.StatusBadRequest, "BAD_REQUEST",
			`the request body must be a JSON object: {"query": "...", "variables": {...}, "operationName": "..."}`}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &BodyError{http.StatusBadRequest, "BAD_REQUEST", "the request body must be a single JSON object, with nothing after it"}
	}
	for _, m := range []struct {
		name string
		v    json.RawMessage
		kind byte
	}{{"query", req.Query, '"'}, {"operationName", req.OperationName, '"'}, {"variables", req.Variables, '{'}, {"extensions", req.Extensions, '{'}} {
		if len(m.v) > 0 && m.v[0] != m.kind && string(m.v) != "null" {
			what := "a string"
			if m.kind == '{' {
				what = "a JSON object"
			}
			return &BodyError{http.StatusBadRequest, "BAD_REQUEST", m.name + " must be " + what}
		}
	}
	return nil
}
