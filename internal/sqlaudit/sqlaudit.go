// Package sqlaudit finds SQL text that could be made from input: every
// string that reaches SQL must be a constant (or built by ent's SQL builder
// from constants), so values can only travel as bound parameters. It reads
// the type-checked source; `make test` runs it over the whole module (see
// sqlaudit_test.go), so a query, ordering or JSON path assembled from a
// variable fails the build's tests instead of reaching a database.
//
// What counts as reaching SQL:
//   - any string parameter of a function or method of ent's SQL builder
//     (entgo.io/ent/dialect/sql) or its JSON helpers (…/sql/sqljson):
//     sql.Expr, sql.ExprP, (*sql.Builder).WriteString, sqljson.Path,
//     column names of predicates and orderings, and the rest. Their `any`
//     parameters are bound values and may be anything;
//   - the query string of Exec, Query, QueryRow and Prepare (with or
//     without Context) on any type: database/sql, ent's drivers and
//     transactions, and wrappers of them.
//
// A string passes when it is a compile-time constant, or the string result
// of a call into ent's SQL builder (s.C(column), builder.Query()): the
// builder's own text is made only of what passed this check at its own
// call sites. Everything else needs an entry in the allowlist, keyed by the
// enclosing function, with the reason it is safe.
package sqlaudit

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"
)

// builderPkgs are the packages whose string parameters are SQL text.
var builderPkgs = map[string]bool{
	"entgo.io/ent/dialect/sql":         true,
	"entgo.io/ent/dialect/sql/sqljson": true,
}

// notSQL are builder functions whose string parameters name a dialect or
// a driver, not SQL.
var notSQL = map[string]bool{
	"entgo.io/ent/dialect/sql.Dialect": true,
	"entgo.io/ent/dialect/sql.Open":    true,
	"entgo.io/ent/dialect/sql.OpenDB":  true,
}

// queryMethods take SQL text as their first string parameter: on
// database/sql and ent's drivers, and on any type whose method takes a
// context first (ent's clients and transactions, wrappers of drivers).
var queryMethods = map[string]bool{
	"Exec": true, "ExecContext": true, "Query": true, "QueryContext": true,
	"QueryRow": true, "QueryRowContext": true, "Prepare": true, "PrepareContext": true,
}

// Finding is one string reaching SQL that is neither constant nor allowed.
type Finding struct {
	Pos  token.Position
	Func string // the enclosing function, as the allowlist names it
	Call string // the callee
}

func (f Finding) String() string {
	return fmt.Sprintf("%s: %s passes non-constant SQL text to %s", f.Pos, f.Func, f.Call)
}

// Config says what to check.
type Config struct {
	// Dir is where the patterns are resolved (a directory of the module).
	Dir string
	// Patterns are go list patterns, e.g. "./...".
	Patterns []string
	// Skip leaves out packages whose path has one of these prefixes
	// (generated code).
	Skip []string
	// Allow maps enclosing functions ("pkgpath.Func" or
	// "pkgpath.Type.Method") to why their SQL text is safe.
	Allow map[string]string
}

// Check loads the packages and returns the findings, sorted by position.
// Test files are not checked.
func Check(cfg Config) ([]Finding, error) {
	pkgs, err := packages.Load(&packages.Config{
		Dir:  cfg.Dir,
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo,
	}, cfg.Patterns...)
	if err != nil {
		return nil, fmt.Errorf("sqlaudit: load: %w", err)
	}
	var out []Finding
	for _, p := range pkgs {
		if len(p.Errors) > 0 {
			return nil, fmt.Errorf("sqlaudit: %s: %v", p.PkgPath, p.Errors[0])
		}
		if skipped(p.PkgPath, cfg.Skip) {
			continue
		}
		for _, f := range p.Syntax {
			out = append(out, checkFile(p, f, cfg.Allow)...)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Pos.Filename != out[j].Pos.Filename {
			return out[i].Pos.Filename < out[j].Pos.Filename
		}
		return out[i].Pos.Line < out[j].Pos.Line
	})
	return out, nil
}

func skipped(path string, prefixes []string) bool {
	for _, s := range prefixes {
		if path == s || strings.HasPrefix(path, s+"/") {
			return true
		}
	}
	return false
}

func checkFile(p *packages.Package, f *ast.File, allow map[string]string) []Finding {
	var out []Finding
	for _, decl := range f.Decls {
		fd, ok := decl.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		name := funcName(p.PkgPath, fd)
		if _, ok := allow[name]; ok {
			continue
		}
		sc := &scope{info: p.TypesInfo, defs: assignments(p.TypesInfo, fd.Body), seen: map[types.Object]bool{}}
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			for _, arg := range sqlArgs(p.TypesInfo, call) {
				if !sc.safe(arg) {
					out = append(out, Finding{Pos: p.Fset.Position(arg.Pos()), Func: name, Call: calleeName(p.TypesInfo, call)})
				}
			}
			return true
		})
	}
	return out
}

// funcName names a function declaration as the allowlist does.
func funcName(pkg string, fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return pkg + "." + fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if ix, ok := t.(*ast.IndexExpr); ok {
		t = ix.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return pkg + "." + id.Name + "." + fd.Name.Name
	}
	return pkg + "." + fd.Name.Name
}

func callee(info *types.Info, call *ast.CallExpr) *types.Func {
	var id *ast.Ident
	switch fn := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		id = fn
	case *ast.SelectorExpr:
		id = fn.Sel
	case *ast.IndexExpr:
		if s, ok := fn.X.(*ast.SelectorExpr); ok {
			id = s.Sel
		}
	}
	if id == nil {
		return nil
	}
	f, _ := info.Uses[id].(*types.Func)
	return f
}

func calleeName(info *types.Info, call *ast.CallExpr) string {
	if f := callee(info, call); f != nil {
		return f.FullName()
	}
	return "?"
}

// sqlArgs returns the arguments of call that are SQL text.
func sqlArgs(info *types.Info, call *ast.CallExpr) []ast.Expr {
	f := callee(info, call)
	if f == nil {
		return nil
	}
	sig, ok := f.Type().(*types.Signature)
	if !ok {
		return nil
	}
	params := sig.Params()
	isString := func(i int) bool {
		if i >= params.Len() {
			i = params.Len() - 1
		}
		if i < 0 {
			return false
		}
		t := params.At(i).Type()
		if sig.Variadic() && i == params.Len()-1 {
			if s, ok := t.(*types.Slice); ok {
				t = s.Elem()
			}
		}
		b, ok := t.Underlying().(*types.Basic)
		return ok && b.Info()&types.IsString != 0
	}
	var out []ast.Expr
	if f.Pkg() != nil && builderPkgs[f.Pkg().Path()] && !notSQL[f.FullName()] {
		for i, a := range call.Args {
			if isString(i) && !(call.Ellipsis.IsValid() && i == len(call.Args)-1) {
				out = append(out, a)
			}
		}
		return out
	}
	if sig.Recv() != nil && queryMethods[f.Name()] && (sqlPackage(f) || takesContext(sig)) {
		for i, a := range call.Args {
			if isString(i) {
				return []ast.Expr{a}
			}
		}
	}
	return nil
}

func sqlPackage(f *types.Func) bool {
	if f.Pkg() == nil {
		return false
	}
	switch f.Pkg().Path() {
	case "database/sql", "entgo.io/ent/dialect", "entgo.io/ent/dialect/sql":
		return true
	}
	return false
}

func takesContext(sig *types.Signature) bool {
	if sig.Params().Len() == 0 {
		return false
	}
	n, ok := sig.Params().At(0).Type().(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "context" && n.Obj().Name() == "Context"
}

// scope knows what a function's local variables were assigned.
type scope struct {
	info *types.Info
	defs map[types.Object][]ast.Expr // nil entry: assigned from something untraceable
	seen map[types.Object]bool
}

// assignments records, per local variable, every expression assigned to
// it in body. A variable assigned from the first result of a call (query,
// args := b.Query()) records the call.
func assignments(info *types.Info, body *ast.BlockStmt) map[types.Object][]ast.Expr {
	defs := map[types.Object][]ast.Expr{}
	record := func(lhs []ast.Expr, rhs []ast.Expr) {
		for i, l := range lhs {
			id, ok := l.(*ast.Ident)
			if !ok {
				continue
			}
			obj := info.ObjectOf(id)
			if obj == nil {
				continue
			}
			switch {
			case len(rhs) == len(lhs):
				defs[obj] = append(defs[obj], rhs[i])
			case len(rhs) == 1 && i == 0:
				defs[obj] = append(defs[obj], rhs[0])
			default:
				defs[obj] = append(defs[obj], nil)
			}
		}
	}
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			record(n.Lhs, n.Rhs)
		case *ast.ValueSpec:
			lhs := make([]ast.Expr, len(n.Names))
			for i, id := range n.Names {
				lhs[i] = id
			}
			record(lhs, n.Values)
		case *ast.RangeStmt:
			record([]ast.Expr{n.Key, n.Value}, []ast.Expr{nil, nil})
		}
		return true
	})
	return defs
}

// safe reports whether e is a constant, a string made by ent's SQL
// builder, a concatenation of such, or a local variable only ever
// assigned such.
func (sc *scope) safe(e ast.Expr) bool {
	if e == nil {
		return false
	}
	if tv, ok := sc.info.Types[e]; ok && tv.Value != nil {
		return true
	}
	switch e := ast.Unparen(e).(type) {
	case *ast.CallExpr:
		f := callee(sc.info, e)
		return f != nil && f.Pkg() != nil && builderPkgs[f.Pkg().Path()]
	case *ast.BinaryExpr:
		return e.Op == token.ADD && sc.safe(e.X) && sc.safe(e.Y)
	case *ast.Ident:
		obj, ok := sc.info.Uses[e].(*types.Var)
		if !ok || sc.seen[obj] {
			return false
		}
		defs, ok := sc.defs[obj]
		if !ok || len(defs) == 0 {
			return false // a parameter or a variable of another scope
		}
		sc.seen[obj] = true
		defer delete(sc.seen, obj)
		for _, d := range defs {
			if !sc.safe(d) {
				return false
			}
		}
		return true
	}
	return false
}
