package graph

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/migrate"
	"github.com/remitbilling/remit/ent/privacy"
	"github.com/remitbilling/remit/internal/ids"
	"github.com/remitbilling/remit/internal/store/storetest"
)

// TestNodeTypesCoverEveryNode checks nodeTypes names every ent table that
// ent can load as a node, and that those are as many as the GraphQL types
// implementing Node. nodeTypes is written by hand, so a type added to the
// schema without its prefix would otherwise answer null to node(id:)
// silently, as payment methods, payments and emails once did. (Whether
// each prefix reaches the right objects is checked over HTTP in
// internal/server/servertest.)
func TestNodeTypesCoverEveryNode(t *testing.T) {
	st := storetest.Open(t, "sqlite3")
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)

	// ent's noder knows the node tables: for any other it answers "cannot
	// resolve noder from table" before querying.
	var nodeTables []string
	for _, tbl := range migrate.Tables {
		_, err := st.Client.Noder(ctx, "x_0", ent.WithFixedNodeType(tbl.Name))
		switch {
		case err != nil && strings.Contains(err.Error(), "cannot resolve noder from table"):
		case ent.IsNotFound(err):
			nodeTables = append(nodeTables, tbl.Name)
		default:
			t.Fatalf("probe %s: %v", tbl.Name, err)
		}
	}

	var mapped []string
	for prefix, table := range nodeTypes {
		if ids.Prefix(prefix+"_0") != prefix {
			t.Errorf("nodeTypes: %q is not an id prefix", prefix)
		}
		mapped = append(mapped, table)
	}
	slices.Sort(nodeTables)
	slices.Sort(mapped)
	if !slices.Equal(nodeTables, mapped) {
		t.Errorf("nodeTypes maps to tables %v\n  but ent loads as nodes %v", mapped, nodeTables)
	}

	files, err := filepath.Glob("schema/*.graphql")
	if err != nil || len(files) == 0 {
		t.Fatalf("schema files: %v %v", files, err)
	}
	var sources []*ast.Source
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, &ast.Source{Name: f, Input: string(b)})
	}
	schema, gerr := gqlparser.LoadSchema(sources...)
	if gerr != nil {
		t.Fatalf("load schema: %v", gerr)
	}
	var implementors []string
	for _, def := range schema.GetPossibleTypes(schema.Types["Node"]) {
		implementors = append(implementors, def.Name)
	}
	if len(implementors) != len(nodeTypes) {
		t.Errorf("%d GraphQL types implement Node %v, nodeTypes has %d prefixes", len(implementors), implementors, len(nodeTypes))
	}
}
