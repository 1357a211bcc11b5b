package upstream

import (
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
)

// Module paths and the one pinned version of the 2016 code.
const (
	Module2016    = "github.com/inconshreveable/muxado"
	Version2016   = "v0.0.0-20160802230925-fc182d90f26e"
	ModuleNgrokV2 = "golang.ngrok.com/muxado/v2"
)

// LinkedVersion returns the SPEC's name for the version of module modPath
// linked into this binary: "2016" for the pinned inconshreveable commit, the
// module version (e.g. "v2.0.2") otherwise. fn must be a function of that
// module; it is used when the build information has no dependency list.
//
// Binaries built by `go build` or `go run` carry the dependency versions in
// runtime/debug.ReadBuildInfo. Test binaries built by `go test` do not (their
// build information lists no dependencies), so the version is then read from
// the source file path the compiler recorded for fn: a module dependency's
// files live under "<module>@<version>/" in the module cache, and -trimpath
// keeps that "<module>@<version>/" form.
func LinkedVersion(modPath string, fn any) string {
	v := buildInfoVersion(modPath)
	if v == "" {
		v = sourcePathVersion(modPath, fn)
	}
	if v == "" {
		return "unknown"
	}
	if modPath == Module2016 && v == Version2016 {
		return "2016"
	}
	return v
}

func buildInfoVersion(modPath string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, d := range bi.Deps {
		if d.Path != modPath {
			continue
		}
		if d.Replace != nil {
			return d.Replace.Version
		}
		return d.Version
	}
	return ""
}

func sourcePathVersion(modPath string, fn any) string {
	f := runtime.FuncForPC(reflect.ValueOf(fn).Pointer())
	if f == nil {
		return ""
	}
	file, _ := f.FileLine(f.Entry())
	file = strings.ReplaceAll(file, "\\", "/")
	i := strings.LastIndex(file, modPath+"@")
	if i < 0 {
		return ""
	}
	rest := file[i+len(modPath)+1:]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		return rest[:j]
	}
	return ""
}
