package gqlkit

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// MutationLimit refuses a mutation operation with more than Max root
// fields (aliases and fragments counted; @skip and @include ignored, so the
// count is an upper bound) before any resolver runs: each runs its own
// transaction, and hundreds of aliases in one request would multiply its
// work past every other limit (complexity prices reads). It reads the
// operation gqlgen has already parsed (and cached), so it costs no second
// parse.
type MutationLimit struct{ Max int }

// codeMutationLimit is answered with HTTP 422, as gqlgen answers its own
// complexity limit: the request was refused whole, nothing ran.
const codeMutationLimit = "MUTATION_LIMIT_EXCEEDED"

func init() { errcode.RegisterErrorType(codeMutationLimit, errcode.KindProtocol) }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = MutationLimit{}

func (MutationLimit) ExtensionName() string                   { return "MutationLimit" }
func (MutationLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (l MutationLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		return nil
	}
	if n := countFields(oc.Operation.SelectionSet, oc.Doc.Fragments, map[string]bool{}); n > l.Max {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("a request may run at most %d mutations; this one has %d: split it", l.Max, n),
			Extensions: map[string]any{"code": codeMutationLimit, "limit": l.Max, "count": n},
		}
	}
	return nil
}

func countFields(set ast.SelectionSet, frags ast.FragmentDefinitionList, seen map[string]bool) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			n++
		case *ast.InlineFragment:
			n += countFields(s.SelectionSet, frags, seen)
		case *ast.FragmentSpread:
			// A cycle is invalid GraphQL, refused later; do not loop on it.
			if f := frags.ForName(s.Name); f != nil && !seen[s.Name] {
				seen[s.Name] = true
				n += countFields(f.SelectionSet, frags, seen)
				delete(seen, s.Name)
			}
		}
	}
	return n
}
