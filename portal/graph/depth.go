package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// depthLimit refuses operations nested deeper than Max selection levels,
// before any resolver runs. Complexity bounds breadth; this bounds depth.
type depthLimit struct{ Max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (d depthLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if depth := selectionDepth(oc.Operation.SelectionSet, oc.Doc.Fragments, 0, map[string]bool{}); depth > d.Max {
		return &gqlerror.Error{
			Message:    "query is nested too deeply",
			Extensions: map[string]any{"code": "DEPTH_LIMIT_EXCEEDED", "depth": depth, "limit": d.Max},
		}
	}
	return nil
}

func selectionDepth(set ast.SelectionSet, frags ast.FragmentDefinitionList, depth int, seen map[string]bool) int {
	max := depth
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			switch {
			case len(s.SelectionSet) == 0:
				d = depth + 1
			case s.Name == "ofType" && s.ObjectDefinition != nil && s.ObjectDefinition.Name == "__Type":
				// A type reference unwraps list and non-null one level at a
				// time and ends in null: it fans out to nothing, so it
				// costs no depth (GraphiQL's introspection nests 7).
				d = selectionDepth(s.SelectionSet, frags, depth, seen)
			default:
				d = selectionDepth(s.SelectionSet, frags, depth+1, seen)
			}
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, frags, depth, seen)
		case *ast.FragmentSpread:
			if seen[s.Name] {
				continue
			}
			if f := frags.ForName(s.Name); f != nil {
				seen[s.Name] = true
				d = selectionDepth(f.SelectionSet, frags, depth, seen)
				delete(seen, s.Name)
			}
		}
		if d > max {
			max = d
		}
	}
	return max
}
