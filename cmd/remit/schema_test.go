package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/remitbilling/remit/graph/generated"
	portalgenerated "github.com/remitbilling/remit/portal/graph/generated"
)

// TestSchemaPrint runs `remit schema print` on the real binary, with a
// database configuration that cannot work (it must need none), and checks
// that the SDL parses into the schema the server serves, type for type and
// field for field.
func TestSchemaPrint(t *testing.T) {
	noDB := []string{"REMIT_DATA_DIR=/nonexistent/remit", "REMIT_DATABASE_URL=postgres://nobody@127.0.0.1:1/none"}
	cases := []struct {
		name    string
		args    []string
		served  *ast.Schema
		has     []string // root fields the schema must have
		hasNone []string // and must not
	}{
		{"merchant", []string{"schema", "print"}, generated.NewExecutableSchema(generated.Config{}).Schema(),
			[]string{"invoiceCreate", "invoicePay", "portalSessionCreate"}, []string{"portalLoginStart"}},
		{"portal", []string{"schema", "print", "--portal"}, portalgenerated.NewExecutableSchema(portalgenerated.Config{}).Schema(),
			[]string{"portalLoginStart", "invoicePay", "me"}, []string{"invoiceCreate", "node"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := cli(t, noDB, tc.args...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			printed, err := gqlparser.LoadSchema(&ast.Source{Name: tc.name + ".graphql", Input: out})
			if err != nil {
				t.Fatalf("printed SDL does not parse: %v", err)
			}
			for _, name := range typeNames(tc.served) {
				want, got := tc.served.Types[name], printed.Types[name]
				if got == nil {
					t.Errorf("type %s missing", name)
					continue
				}
				if got.Kind != want.Kind || !slices.Equal(fieldNames(got), fieldNames(want)) || !slices.Equal(enumNames(got), enumNames(want)) {
					t.Errorf("type %s printed as %s %v, served as %s %v", name, got.Kind, fieldNames(got), want.Kind, fieldNames(want))
				}
			}
			if n, m := len(typeNames(printed)), len(typeNames(tc.served)); n != m {
				t.Errorf("%d types printed, %d served", n, m)
			}
			roots := append(fieldNames(printed.Query), fieldNames(printed.Mutation)...)
			for _, f := range tc.has {
				if !slices.Contains(roots, f) {
					t.Errorf("no root field %s", f)
				}
			}
			for _, f := range tc.hasNone {
				if slices.Contains(roots, f) {
					t.Errorf("root field %s should not be in this schema", f)
				}
			}
			if !strings.Contains(out, `"""`) {
				t.Error("descriptions are missing")
			}
		})
	}
	for _, args := range [][]string{{"schema"}, {"schema", "dump"}, {"schema", "print", "--merchant"}, {"schema", "print", "extra"}} {
		if _, errOut, code := cli(t, noDB, args...); code != 2 || !strings.Contains(errOut, "usage") {
			t.Errorf("remit %s: exit %d, stderr %q; want 2 and the usage", strings.Join(args, " "), code, errOut)
		}
	}
}

// typeNames lists a schema's own types (not the built-in ones).
func typeNames(s *ast.Schema) []string {
	var out []string
	for name, def := range s.Types {
		if !def.BuiltIn {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func fieldNames(def *ast.Definition) []string {
	if def == nil {
		return nil
	}
	var out []string
	for _, f := range def.Fields {
		if !strings.HasPrefix(f.Name, "__") {
			out = append(out, f.Name)
		}
	}
	return out
}

func enumNames(def *ast.Definition) []string {
	var out []string
	for _, v := range def.EnumValues {
		out = append(out, v.Name)
	}
	return out
}
