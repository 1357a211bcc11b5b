// Package notes holds Go tests that reproduce the interop notes of SPEC.md
// section 12 against real Go muxado sessions. Each test runs once per linked
// version (the 2016 code and the golang.ngrok.com/muxado/v2 version chosen by
// the modfile) and fails when a version behaves differently from what the
// note says for it, in either direction.
//
// The Go session runs on one end of a loopback TCP connection (127.0.0.1);
// the test drives the other end with hand-written frames (peer_test.go).
// Every wait is bounded: a hang becomes a test failure naming what was
// awaited.
package notes
