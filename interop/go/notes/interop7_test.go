package notes

import (
	"testing"

	"muxado-interop/upstream"
)

// DATA without SYN on stream-id word 0x80000003 (stream 3 with the reserved
// bit set): Go treats 0x80000003 as an unknown stream id, cannot encode the
// RST STREAM_CLOSED it means to send for it, and ends the session with GOAWAY
// INTERNAL_ERROR.
//
// checks: [INTEROP-7]
func TestInterop7ReservedBitOnData(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, true, upstream.Config{})
		p.send(dataFrame(0x80000003, 0, []byte("x")))
		p.expect(wantGOAWAY(codeInternalError, ptr(1), nil))
		p.expectEOF()
		checkCode(t, impl, "Wait local error", waitSession(t, s).local, codeInternalError)
	})
}

// GOAWAY on stream-id word 0x80000000 (stream 0 with the reserved bit set):
// Go sees a non-zero stream id and ends the session with GOAWAY
// PROTOCOL_ERROR.
//
// checks: [INTEROP-7]
func TestInterop7ReservedBitOnGoAway(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, true, upstream.Config{})
		p.send(frameBytes(typeGOAWAY, 0, 0x80000000, u32(0), u32(codeNoError)))
		p.expect(wantGOAWAY(codeProtocolError, ptr(1), nil))
		p.expectEOF()
		checkCode(t, impl, "Wait local error", waitSession(t, s).local, codeProtocolError)
	})
}

// DATA+SYN on stream-id word 0x80000003: Go accepts a stream whose id is
// 0x80000003. Writing on it fails locally with INTERNAL_ERROR (Go cannot
// encode the DATA frame) and sends nothing; reading it returns the SYN's
// bytes, after which Go fails to encode the WNDINC and ends the session with
// INTERNAL_ERROR. Go sends no GOAWAY then: it cannot encode one either, since
// its last stream id is now 0x80000003. The peer sees only end-of-file.
//
// checks: [INTEROP-7]
func TestInterop7ReservedBitOnSyn(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, true, upstream.Config{})
		p.send(dataFrame(0x80000003, flagSYN, []byte("hi")))
		c := accept(t, s)
		if id := streamID(t, c); id != 0x80000003 {
			t.Fatalf("accepted stream id 0x%x, want 0x80000003", id)
		}
		w := await(t, "Write on stream 0x80000003", func() error { _, err := c.Write([]byte("x")); return err })
		checkCode(t, impl, "Write on stream 0x80000003", w, codeInternalError)
		p.expectQuiet(quiet, "after the failed write")

		readExactly(t, c, []byte("hi"))
		p.expectEOF()
		checkCode(t, impl, "Wait local error", waitSession(t, s).local, codeInternalError)
	})
}
