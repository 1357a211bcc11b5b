package notes

import (
	"testing"

	"muxado-interop/upstream"
)

// The Go server sends GOAWAY through its GoAway method, without closing. The
// raw peer then opens stream 3 with a SYN whose 8-byte payload is, read as a
// frame header, a WNDINC of length 5. Every version refuses the stream with
// RST STREAM_REFUSED without consuming the payload, parses the payload as
// that header, and ends the session with GOAWAY FRAME_SIZE_ERROR.
//
// checks: [INTEROP-6] [GOAWAY-5]
func TestInterop6SynPayloadAfterGoAway(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, true, upstream.Config{})
		if err := await(t, "GoAway", func() error { return s.GoAway(codeNoError, []byte("drain")) }); err != nil {
			t.Fatalf("GoAway: %v", err)
		}
		p.expect(wantGOAWAY(codeNoError, ptr(1), []byte("drain")))

		bogusHeader := frameBytes(typeWNDINC, 0, 3, make([]byte, 5))[:8]
		p.send(dataFrame(3, flagSYN, bogusHeader))
		p.expect(wantRST(3, codeStreamRefused))
		p.expect(wantGOAWAY(codeFrameSizeError, ptr(1), nil))
		p.expectEOF()
		checkCode(t, impl, "Wait local error", waitSession(t, s).local, codeFrameSizeError)
	})
}

// As above, but the SYN frame is empty and the data follows in a DATA frame
// without SYN: every version refuses stream 3 with RST STREAM_REFUSED, then
// answers the DATA with RST STREAM_CLOSED, still in step: when the peer ends
// its output Go reports end-of-file (GOAWAY PEER_EOF), not a protocol error.
//
// checks: [INTEROP-6] [GOAWAY-8] [STREAM-8] [SESSION-3]
func TestInterop6EmptySynAfterGoAway(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, true, upstream.Config{})
		if err := await(t, "GoAway", func() error { return s.GoAway(codeNoError, []byte("drain")) }); err != nil {
			t.Fatalf("GoAway: %v", err)
		}
		p.expect(wantGOAWAY(codeNoError, ptr(1), []byte("drain")))

		p.send(dataFrame(3, flagSYN, nil))
		p.expect(wantRST(3, codeStreamRefused))
		p.send(dataFrame(3, 0, []byte("payload")))
		p.expect(wantRST(3, codeStreamClosed))
		p.expectQuiet(quiet, "after the refused stream's DATA")
		p.closeWrite()
		p.expect(wantGOAWAY(codePeerEOF, ptr(1), nil))
		p.expectEOF()
		checkCode(t, impl, "Wait local error", waitSession(t, s).local, codePeerEOF)
	})
}
