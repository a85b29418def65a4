package billing_test

import (
	"go/ast"
	"go/types"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"
)

// TestOneWriterOfStatus fails when an invoice's status is set anywhere but
// in billing's transition function: every move must go through the state
// machine and record its history entry and event. It reads the
// type-checked source of the whole module (tests and generated code
// aside) for calls of SetStatus on ent's invoice builders and mutation.
func TestOneWriterOfStatus(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks the whole module")
	}
	pkgs, err := packages.Load(&packages.Config{
		Dir:  "../..",
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo,
	}, "./...")
	if err != nil {
		t.Fatal(err)
	}
	const module = "github.com/remitbilling/remit"
	allowed := module + "/internal/billing.transition"
	writers := 0
	for _, p := range pkgs {
		if p.PkgPath == module+"/ent" || strings.HasPrefix(p.PkgPath, module+"/ent/") {
			continue
		}
		for _, f := range p.Syntax {
			for _, decl := range f.Decls {
				fd, ok := decl.(*ast.FuncDecl)
				if !ok || fd.Body == nil {
					continue
				}
				name := p.PkgPath + "." + fd.Name.Name
				ast.Inspect(fd.Body, func(n ast.Node) bool {
					sel, ok := n.(*ast.SelectorExpr)
					if !ok || sel.Sel.Name != "SetStatus" {
						return true
					}
					fn, ok := p.TypesInfo.Uses[sel.Sel].(*types.Func)
					if !ok {
						return true
					}
					recv := fn.Type().(*types.Signature).Recv()
					if recv == nil || !strings.Contains(recv.Type().String(), module+"/ent.Invoice") {
						return true
					}
					if name == allowed {
						writers++
						return true
					}
					t.Errorf("%s: %s sets an invoice's status outside %s", p.Fset.Position(sel.Pos()), name, allowed)
					return true
				})
			}
		}
	}
	if writers != 1 {
		t.Errorf("%s sets the status %d times, want once (is the check still looking at the right function?)", allowed, writers)
	}
}
