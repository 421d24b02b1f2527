package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// logMethods are the methods of *slog.Logger that take key-value pairs;
// the value is the index of the first argument after the message.
var logMethods = map[string]int{
	"Debug": 1, "Info": 1, "Warn": 1, "Error": 1,
	"DebugContext": 2, "InfoContext": 2, "WarnContext": 2, "ErrorContext": 2,
	"Log": 3, "With": 0,
}

// TestLogsNameErrorsErr keeps one key for errors in the logs: "err". It
// reads every Go file of the repository and refuses "error" as the key of
// a log call's key-value pairs or of a slog attribute.
func TestLogsNameErrorsErr(t *testing.T) {
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "../.." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		files++
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			var keys []ast.Expr
			if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "slog" {
				if len(call.Args) > 0 { // slog.String("error", ...), slog.Any(...)
					keys = call.Args[:1]
				}
			} else if first, ok := logMethods[sel.Sel.Name]; ok && len(call.Args) > first {
				keys = call.Args[first : len(call.Args)-1] // a key is never last
			}
			for _, k := range keys {
				if lit, ok := k.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, _ := strconv.Unquote(lit.Value); s == "error" {
						t.Errorf("%s: a log names an error \"error\"; the key is \"err\"", fset.Position(lit.Pos()))
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Errorf("read only %d Go files", files)
	}
}
