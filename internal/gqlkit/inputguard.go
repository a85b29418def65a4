// Package gqlkit holds what both GraphQL APIs (the merchant API at /graphql
// and the portal's at /portal/graphql) need in the same way, so that a rule
// about what a request may carry is written once.
package gqlkit

import (
	"context"
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/validate"
)

// InputGuard refuses every root field one of whose arguments carries a
// string that is not validate.ValidText, before its resolver runs, so no such
// string reaches a service or a query:
//
//   - a mutation answers its payload with only userErrors: INVALID_STRING
//     at the field's path (NOT_FOUND for an ID: no object has such an id),
//     every other field of the payload null, nothing written;
//   - a query answers null for an ID looked up directly (not found, as for
//     any unknown id) and otherwise a top-level INVALID_STRING error at the
//     argument's path.
//
// Install it with handler.Server.Use; Schema is the executable schema's.
type InputGuard struct {
	Schema *ast.Schema
}

var _ interface {
	graphql.HandlerExtension
	graphql.RootFieldInterceptor
} = InputGuard{}

func (InputGuard) ExtensionName() string                   { return "InputGuard" }
func (InputGuard) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptRootField implements graphql.RootFieldInterceptor.
func (g InputGuard) InterceptRootField(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	rfc := graphql.GetRootFieldContext(ctx)
	if rfc == nil || rfc.Field.Field == nil || rfc.Field.Definition == nil {
		return next(ctx)
	}
	oc := graphql.GetOperationContext(ctx)
	bad, ok := g.firstBadArgument(rfc.Field.Field, oc.Variables)
	if !ok {
		return next(ctx)
	}
	def := rfc.Field.Definition
	if oc.Operation != nil && oc.Operation.Operation == ast.Mutation {
		code, msg := usererr.InvalidString, "must be valid UTF-8 text without NUL characters"
		if bad.isID {
			code, msg = usererr.NotFound, "no such object"
		}
		if out, ok := g.userErrorsOnly(oc, rfc.Field, &usererr.Error{Field: bad.path, Code: code, Message: msg}); ok {
			return out
		}
	} else if bad.isID && len(bad.path) == 1 && !def.Type.NonNull {
		return graphql.Null
	}
	graphql.AddError(ctx, &gqlerror.Error{
		Message:    strings.Join(bad.path, ".") + ": must be valid UTF-8 text without NUL characters",
		Path:       graphql.GetPath(ctx),
		Extensions: map[string]any{"code": string(usererr.InvalidString), "field": bad.path},
	})
	return graphql.Null
}

// badString locates the first refused string of a field's arguments.
type badString struct {
	path []string
	isID bool
}

func (g InputGuard) firstBadArgument(f *ast.Field, vars map[string]any) (badString, bool) {
	for _, arg := range f.Arguments {
		def := f.Definition.Arguments.ForName(arg.Name)
		if def == nil || arg.Value == nil {
			continue
		}
		v, err := arg.Value.Value(vars)
		if err != nil {
			continue
		}
		if b, ok := g.walk(v, def.Type, []string{arg.Name}); ok {
			return b, true
		}
	}
	return badString{}, false
}

// walk looks through v, of GraphQL type t, for a refused string. Input
// objects are followed field by field so the path names the input field;
// a custom scalar (metadata, say) is searched whole, keys included.
func (g InputGuard) walk(v any, t *ast.Type, path []string) (badString, bool) {
	if v == nil || t == nil {
		return badString{}, false
	}
	if t.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			return g.walk(v, t.Elem, path) // a single value coerced to a list
		}
		for i, e := range list {
			if b, ok := g.walk(e, t.Elem, append(path[:len(path):len(path)], strconv.Itoa(i))); ok {
				return b, true
			}
		}
		return badString{}, false
	}
	if def := g.Schema.Types[t.NamedType]; def != nil && def.Kind == ast.InputObject {
		obj, ok := v.(map[string]any)
		if !ok {
			return badString{}, false
		}
		for _, fd := range def.Fields {
			if b, ok := g.walk(obj[fd.Name], fd.Type, append(path[:len(path):len(path)], fd.Name)); ok {
				return b, true
			}
		}
		return badString{}, false
	}
	if anyBadString(v) {
		return badString{path: path, isID: t.NamedType == "ID"}, true
	}
	return badString{}, false
}

func anyBadString(v any) bool {
	switch v := v.(type) {
	case string:
		return !validate.ValidText(v)
	case []any:
		for _, e := range v {
			if anyBadString(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range v {
			if !validate.ValidText(k) || anyBadString(e) {
				return true
			}
		}
	}
	return false
}

// userErrorsOnly answers a mutation's payload with ue as its only user
// error, honouring the caller's selection (aliases, fragments,
// __typename). It declines when the payload has a non-null field it cannot
// fill, which a top-level error then replaces.
func (g InputGuard) userErrorsOnly(oc *graphql.OperationContext, field graphql.CollectedField, ue *usererr.Error) (graphql.Marshaler, bool) {
	payload := field.Definition.Type
	if payload.Elem != nil {
		return nil, false
	}
	def := g.Schema.Types[payload.NamedType]
	if def == nil || def.Kind != ast.Object {
		return nil, false
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range graphql.CollectFields(oc, field.Selections, []string{def.Name}) {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSON(&b, f.Alias)
		b.WriteByte(':')
		switch {
		case f.Name == "__typename":
			writeJSON(&b, def.Name)
		case f.Name == "userErrors":
			b.WriteByte('[')
			writeUserError(&b, oc, f, ue)
			b.WriteByte(']')
		case f.Definition.Type.NonNull && f.Definition.Type.Elem != nil:
			b.WriteString("[]") // warnings and the like: none
		case f.Definition.Type.NonNull && f.Definition.Type.NamedType == "Boolean":
			b.WriteString("false") // ok: it was not
		case f.Definition.Type.NonNull:
			return nil, false
		default:
			b.WriteString("null")
		}
	}
	b.WriteByte('}')
	out := b.String()
	return graphql.WriterFunc(func(w io.Writer) { _, _ = io.WriteString(w, out) }), true
}

func writeUserError(b *strings.Builder, oc *graphql.OperationContext, f graphql.CollectedField, ue *usererr.Error) {
	b.WriteByte('{')
	for i, sf := range graphql.CollectFields(oc, f.Selections, []string{f.Definition.Type.Name()}) {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSON(b, sf.Alias)
		b.WriteByte(':')
		switch sf.Name {
		case "__typename":
			writeJSON(b, f.Definition.Type.Name())
		case "field":
			writeJSON(b, ue.Field)
		case "code":
			writeJSON(b, string(ue.Code))
		case "message":
			writeJSON(b, ue.Message)
		default:
			b.WriteString("null")
		}
	}
	b.WriteByte('}')
}

func writeJSON(b *strings.Builder, v any) {
	enc, _ := json.Marshal(v) // strings and string slices: cannot fail
	b.Write(enc)
}
