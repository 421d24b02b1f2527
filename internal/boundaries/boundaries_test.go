// Package boundaries holds the tests of the project's layering (see
// CONTRIBUTING.md, "Layout"): the direction of imports is
// cmd → web, api → service → domain, and only the service reaches the
// store.
package boundaries

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/airlock-go/airlock"

// storeUsers may import the store (or a package under it): the service,
// the store's own packages, the programs that wire a store to a service,
// the test kit that builds environments for tests, and the import of a
// reference installation, which writes a whole history (ids, dates, the
// audit log) in one store transaction, as `airlock db copy` does, and
// reads it back through the service to check it.
var storeUsers = []string{"internal/service", "internal/store", "internal/testkit", "internal/importref", "cmd", "bench"}

// graph is the project's import graph without tests: package (relative to
// the module) → the project packages it imports.
type graph map[string][]string

// loadGraph parses the imports of every Go file of the module (tests
// left out, build constraints honoured for the current platform).
func loadGraph(t *testing.T) (root string, g graph) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found: %v", err)
	}
	g = graph{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		dir := filepath.Dir(path)
		if ok, err := build.Default.MatchFile(dir, name); err != nil || !ok {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, dir)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		if _, ok := g[pkg]; !ok {
			g[pkg] = nil
		}
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return err
			}
			if dep, ok := strings.CutPrefix(p, module+"/"); ok && !slices.Contains(g[pkg], dep) {
				g[pkg] = append(g[pkg], dep)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"internal/domain", "internal/service", "internal/store", "internal/web", "internal/api", "internal/auth"} {
		if _, ok := g[p]; !ok {
			t.Fatalf("package %s not found under %s", p, root)
		}
	}
	return root, g
}

// under reports whether pkg is prefix or a package under it.
func under(pkg, prefix string) bool {
	return pkg == prefix || strings.HasPrefix(pkg, prefix+"/")
}

// pathTo returns a chain of imports from pkg to a package under target
// that passes through no package under any of skip; nil when there is
// none.
func (g graph) pathTo(pkg, target string, skip ...string) []string {
	seen := map[string]bool{}
	var walk func(p string) []string
	walk = func(p string) []string {
		if seen[p] {
			return nil
		}
		seen[p] = true
		for _, dep := range g[p] {
			if under(dep, target) {
				return []string{p, dep}
			}
			if slices.ContainsFunc(skip, func(s string) bool { return under(dep, s) }) {
				continue
			}
			if rest := walk(dep); rest != nil {
				return append([]string{p}, rest...)
			}
		}
		return nil
	}
	return walk(pkg)
}

func TestDomainImportsNothingOfTheProject(t *testing.T) {
	_, g := loadGraph(t)
	if deps := g["internal/domain"]; len(deps) > 0 {
		t.Errorf("internal/domain imports %v; the rules import nothing of the project", deps)
	}
}

// TestOnlyTheServiceReachesTheStore: no package but the store's users
// imports the store, and none reaches it through another package than
// the service (web → auth → store would be a way round).
func TestOnlyTheServiceReachesTheStore(t *testing.T) {
	_, g := loadGraph(t)
	for pkg := range g {
		if slices.ContainsFunc(storeUsers, func(s string) bool { return under(pkg, s) }) {
			continue
		}
		if chain := g.pathTo(pkg, "internal/store", "internal/service", "internal/testkit"); chain != nil {
			t.Errorf("%s reaches the store other than through the service: %s", pkg, strings.Join(chain, " → "))
		}
	}
	for _, pkg := range []string{"internal/web", "internal/api"} {
		if g.pathTo(pkg, "internal/service") == nil {
			t.Errorf("%s does not import the service: the graph is not what this test expects", pkg)
		}
	}
}

// TestServiceAPIHasNoStoreTypes: the service's exported functions, methods
// and types name no type of the store, so that its callers need not
// import it. Config.Store, the store a Service is built on, is the one
// exception.
func TestServiceAPIHasNoStoreTypes(t *testing.T) {
	root, _ := loadGraph(t)
	dir := filepath.Join(root, "internal", "service")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		storeName := ""
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); under(strings.TrimPrefix(p, module+"/"), "internal/store") {
				storeName = filepath.Base(p)
				if imp.Name != nil {
					storeName = imp.Name.Name
				}
			}
		}
		checked++
		if storeName == "" {
			continue
		}
		report := func(what string, n ast.Node) {
			ast.Inspect(n, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok {
					if id, ok := sel.X.(*ast.Ident); ok && id.Name == storeName {
						t.Errorf("%s: %s names %s.%s", fset.Position(sel.Pos()), what, storeName, sel.Sel.Name)
					}
				}
				return true
			})
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() || d.Recv != nil && !exportedRecv(d.Recv) {
					continue
				}
				report(d.Name.Name, d.Type)
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if !s.Name.IsExported() {
							continue
						}
						st, ok := s.Type.(*ast.StructType)
						if !ok {
							report(s.Name.Name, s.Type)
							continue
						}
						for _, fld := range st.Fields.List {
							for _, n := range fld.Names {
								if n.IsExported() && !(s.Name.Name == "Config" && n.Name == "Store") {
									report(s.Name.Name+"."+n.Name, fld.Type)
								}
							}
							if len(fld.Names) == 0 {
								report(s.Name.Name+" (embedded)", fld.Type)
							}
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() && s.Type != nil {
								report(n.Name, s.Type)
							}
						}
					}
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no files of package service found")
	}
}

// exportedRecv reports whether a method's receiver type is exported.
func exportedRecv(fl *ast.FieldList) bool {
	if len(fl.List) == 0 {
		return false
	}
	t := fl.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	switch x := t.(type) {
	case *ast.IndexExpr:
		t = x.X
	case *ast.IndexListExpr:
		t = x.X
	}
	id, ok := t.(*ast.Ident)
	return ok && id.IsExported()
}
