// Package linked lists the Go muxado implementations linked into this build:
// the 2016 code always, and the golang.ngrok.com/muxado/v2 version chosen by
// the modfile (go.mod: v2.0.2, go.v2.0.1.mod: v2.0.1).
package linked

import (
	"muxado-interop/adapters/inconshreveable"
	"muxado-interop/adapters/ngrokv2"
	"muxado-interop/upstream"
)

// Impls returns the linked implementations, oldest first.
func Impls() []upstream.Impl {
	return []upstream.Impl{inconshreveable.Impl(), ngrokv2.Impl()}
}

// KnownVersions are the version names the SPEC and the vectors use.
var KnownVersions = []string{"2016", "v2.0.1", "v2.0.2"}
