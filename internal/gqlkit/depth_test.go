package gqlkit

import (
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
)

// TestSelectionDepth checks the depth limit counts selection levels.
func TestSelectionDepth(t *testing.T) {
	field := func(name string, sub ...ast.Selection) *ast.Field {
		return &ast.Field{Name: name, SelectionSet: sub}
	}
	set := ast.SelectionSet{field("a", field("b", field("c")), field("d"))}
	if d := selectionDepth(set, nil, 0, map[string]bool{}); d != 3 {
		t.Errorf("depth = %d, want 3", d)
	}
}
