package notes

// Facts about the Go source itself rather than its behaviour on the wire:
// which error codes the library can ever put in a frame, and which of its
// own tests open stream 1. Each test parses the .go files of the module
// version linked into this test binary (found through the source path the
// compiler recorded for one of its functions), so it reads exactly the code
// the other tests run.

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"

	muxado2016 "github.com/inconshreveable/muxado"
	muxado "golang.ngrok.com/muxado/v2"

	"muxado-interop/upstream"
)

// moduleDir returns the directory holding the source of the linked module
// of that version, and checks that its name carries that version.
func moduleDir(t *testing.T, version string) string {
	t.Helper()
	var fn any = muxado.Client
	modPath, modVersion := upstream.ModuleNgrokV2, version
	if version == "2016" {
		fn, modPath, modVersion = muxado2016.Client, upstream.Module2016, upstream.Version2016
	}
	f := runtime.FuncForPC(reflect.ValueOf(fn).Pointer())
	if f == nil {
		t.Fatalf("no function information for %s.Client", modPath)
	}
	file, _ := f.FileLine(f.Entry())
	dir := filepath.Dir(filepath.FromSlash(file))
	if !filepath.IsAbs(dir) {
		// Built with -trimpath: the path starts at "<module>@<version>".
		out, err := exec.Command("go", "env", "GOMODCACHE").Output()
		if err != nil {
			t.Fatalf("go env GOMODCACHE: %v", err)
		}
		dir = filepath.Join(strings.TrimSpace(string(out)), dir)
	}
	if want := modPath + "@" + modVersion; !strings.HasSuffix(filepath.ToSlash(dir), want) {
		t.Fatalf("source of %s.Client is in %s, not in a directory %s", modPath, dir, want)
	}
	return dir
}

// goFiles parses the .go files under dir (sub-packages included); tests
// selects the _test.go files, otherwise the others. Paths are relative to dir.
func goFiles(t *testing.T, dir string, tests bool) (*token.FileSet, map[string]*ast.File) {
	t.Helper()
	fset := token.NewFileSet()
	files := map[string]*ast.File{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		if strings.HasSuffix(path, "_test.go") != tests {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = f
		return nil
	})
	if err != nil {
		t.Fatalf("reading the Go source in %s: %v", dir, err)
	}
	if len(files) == 0 {
		t.Fatalf("no Go files (tests=%v) in %s", tests, dir)
	}
	return fset, files
}

// STREAM_CANCELLED (6), STREAM_RESET (7) and ENHANCE_YOUR_CALM (10) are
// defined in errors.go and used nowhere else in the library: in its non-test
// .go files (the frame package included) each name occurs once, as a name
// in the const block that defines it. No error code is written as a number
// either: no integer literal is the code given to newErr, to a muxadoError
// literal, or to a conversion to ErrorCode or frame.ErrorCode. Go itself
// therefore never sends these three codes in an RST or GOAWAY; only an
// application passing them to GoAway could.
//
// checks: [ERR-1] [LIMIT-2] [LIMIT-7]
func TestGoNeverSendsCancelledResetCalm(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		var values [3]uint32
		if impl.Version == "2016" {
			values = [3]uint32{uint32(muxado2016.StreamCancelled), uint32(muxado2016.StreamReset), uint32(muxado2016.EnhanceYourCalm)}
		} else {
			values = [3]uint32{uint32(muxado.StreamCancelled), uint32(muxado.StreamReset), uint32(muxado.EnhanceYourCalm)}
		}
		if values != [3]uint32{6, 7, 10} {
			t.Fatalf("StreamCancelled, StreamReset, EnhanceYourCalm = %v, want [6 7 10]", values)
		}

		dir := moduleDir(t, impl.Version)
		names := map[string]bool{"StreamCancelled": true, "StreamReset": true, "EnhanceYourCalm": true}
		defs, uses, literalCodes, nfiles := scanCodes(t, dir, names)
		for name := range names {
			if d := defs[name]; len(d) != 1 || !strings.HasPrefix(d[0], "errors.go:") {
				t.Errorf("%s: defined at %v, want once in errors.go", name, d)
			}
			if u := uses[name]; len(u) != 0 {
				sort.Strings(u)
				t.Errorf("%s is used at %v", name, u)
			}
		}
		if len(literalCodes) != 0 {
			sort.Strings(literalCodes)
			t.Errorf("an integer literal is used as an error code at %v", literalCodes)
		}
		t.Logf("scanned %d non-test files in %s", nfiles, dir)
	})
}

// scanCodes parses the non-test .go files under dir and returns, for each
// name in names, where it names a constant being declared (defs) and where
// it is used otherwise (uses), and where an integer literal is the code
// given to newErr, a muxadoError literal or an ErrorCode conversion.
func scanCodes(t *testing.T, dir string, names map[string]bool) (defs, uses map[string][]string, literalCodes []string, nfiles int) {
	t.Helper()
	fset, files := goFiles(t, dir, false)
	uses = map[string][]string{}
	defs = map[string][]string{}
	for rel, f := range files {
		// The identifiers that name a constant in a const declaration.
		defining := map[*ast.Ident]bool{}
		for _, decl := range f.Decls {
			if g, ok := decl.(*ast.GenDecl); ok && g.Tok == token.CONST {
				for _, spec := range g.Specs {
					for _, id := range spec.(*ast.ValueSpec).Names {
						defining[id] = true
					}
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.Ident:
				if names[n.Name] {
					at := rel + ":" + strconv.Itoa(fset.Position(n.Pos()).Line)
					if defining[n] {
						defs[n.Name] = append(defs[n.Name], at)
					} else {
						uses[n.Name] = append(uses[n.Name], at)
					}
				}
			case *ast.CallExpr:
				if len(n.Args) > 0 && isCodeMaker(n.Fun) && isIntLit(n.Args[0]) {
					literalCodes = append(literalCodes, rel+":"+strconv.Itoa(fset.Position(n.Pos()).Line))
				}
			case *ast.CompositeLit:
				if id, ok := n.Type.(*ast.Ident); ok && id.Name == "muxadoError" && len(n.Elts) > 0 && isIntLit(n.Elts[0]) {
					literalCodes = append(literalCodes, rel+":"+strconv.Itoa(fset.Position(n.Pos()).Line))
				}
			}
			return true
		})
	}
	return defs, uses, literalCodes, len(files)
}

// isCodeMaker reports whether fun, called with a code as its first
// argument, makes an error code or a coded error: newErr, ErrorCode(…) or
// frame.ErrorCode(…).
func isCodeMaker(fun ast.Expr) bool {
	switch f := fun.(type) {
	case *ast.Ident:
		return f.Name == "newErr" || f.Name == "ErrorCode"
	case *ast.SelectorExpr:
		x, ok := f.X.(*ast.Ident)
		return ok && x.Name == "frame" && f.Sel.Name == "ErrorCode"
	}
	return false
}

func isIntLit(e ast.Expr) bool {
	for {
		p, ok := e.(*ast.ParenExpr)
		if !ok {
			break
		}
		e = p.X
	}
	l, ok := e.(*ast.BasicLit)
	return ok && l.Kind == token.INT
}

// Go's own tests open stream 1. In v2.0.2, deadlock_test.go and
// duplicate_syn_test.go each build a DATA frame with SYN for stream 1
// (frame.Data's Pack(id, data, fin, syn) with id 1 and syn true) inside a
// Test function and send it to a Go server session. The tests of 2016 and
// v2.0.1 build no such frame (their SYNs are for streams 300 and 301).
//
// checks: [ID-3]
func TestGoOwnTestsOpenStreamOne(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		dir := moduleDir(t, impl.Version)
		fset, files := goFiles(t, dir, true)
		var found []string
		for rel, f := range files {
			for _, decl := range f.Decls {
				fd, ok := decl.(*ast.FuncDecl)
				if !ok || fd.Body == nil || !strings.HasPrefix(fd.Name.Name, "Test") {
					continue
				}
				ast.Inspect(fd.Body, func(n ast.Node) bool {
					call, ok := n.(*ast.CallExpr)
					if !ok || len(call.Args) != 4 {
						return true
					}
					sel, ok := call.Fun.(*ast.SelectorExpr)
					if !ok || sel.Sel.Name != "Pack" {
						return true
					}
					id, ok := call.Args[0].(*ast.BasicLit)
					syn, ok2 := call.Args[3].(*ast.Ident)
					if ok && ok2 && id.Kind == token.INT && id.Value == "1" && syn.Name == "true" {
						found = append(found, rel+":"+strconv.Itoa(fset.Position(call.Pos()).Line)+" in "+fd.Name.Name)
					}
					return true
				})
			}
		}
		sort.Strings(found)
		t.Logf("SYN for stream 1 built at %v", found)
		if before202(t, impl.Version) {
			if len(found) != 0 {
				t.Fatalf("%s's tests build a SYN for stream 1 at %v; none expected", impl.Version, found)
			}
			return
		}
		for _, file := range []string{"deadlock_test.go", "duplicate_syn_test.go"} {
			hit := false
			for _, at := range found {
				hit = hit || strings.HasPrefix(at, file+":")
			}
			if !hit {
				t.Errorf("%s builds no SYN for stream 1 (found: %v)", file, found)
			}
		}
	})
}
