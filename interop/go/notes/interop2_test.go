package notes

import (
	"bytes"
	"io"
	"testing"

	"muxado-interop/upstream"
)

const mib = upstream.GoDebugLimit // 1 MiB, Go's debug-data limit

// A GOAWAY carries 1 MiB + 16 bytes of debug data; the last 16 bytes are a
// complete DATA+SYN frame opening stream 3 with 8 bytes. Every version reads
// exactly 1 MiB of debug data, discards nothing more, and parses the 16
// excess bytes as a frame: stream 3 is accepted with those 8 bytes.
//
// Observed against SPEC INTEROP-2: in 2016 and v2.0.1 too it is the bytes
// beyond 1 MiB of debug data that are left (the session's 1 MiB limit cuts
// the over-long debug reader before its extra 8 bytes), not the bytes beyond
// 1 MiB - 8.
//
// checks: [INTEROP-2]
func TestInterop2DebugBeyondLimit(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, true, upstream.Config{})
		hidden := dataFrame(3, flagSYN, []byte("8 bytes!"))
		debug := append(bytes.Repeat([]byte{'a'}, mib), hidden...)
		p.send(goawayFrame(0, codeNoError, debug))
		c := accept(t, s)
		if id := streamID(t, c); id != 3 {
			t.Fatalf("accepted stream id %d, want 3", id)
		}
		readExactly(t, c, []byte("8 bytes!"))
		p.closeWrite()
		p.expect(wantGOAWAY(codePeerEOF, ptr(3), nil))
		p.expectEOF()
		w := waitSession(t, s)
		checkCode(t, impl, "Wait local error", w.local, codePeerEOF)
		checkRemote(t, impl, w, debug[:mib])
	})
}

// A GOAWAY with exactly 1 MiB - 8 bytes of debug data, then DATA+SYN opening
// stream 3 with "hello". v2.0.2 handles it. 2016 and v2.0.1 do not: their
// debug reader is 8 bytes too long and the 1 MiB limit does not cut it, so
// the DATA header becomes the last 8 bytes of the debug data, as in
// INTEROP-1, and the stream is never accepted.
//
// Observed against SPEC LIMIT-4 and INTEROP-2: 1 MiB - 8 bytes of debug
// data is not parsed correctly by every Go version when a frame follows; in
// 2016 and v2.0.1 no debug length below 1 MiB is (TestInterop2DebugExactlyLimit
// shows that exactly 1 MiB is).
//
// checks: [INTEROP-2] [INTEROP-1]
func TestInterop2DebugLimitMinus8(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		old := before202(t, impl.Version)
		p, s := start(t, impl, true, upstream.Config{})
		debug := bytes.Repeat([]byte{'b'}, mib-8)
		synHello := dataFrame(3, flagSYN, []byte("hello"))
		p.send(goawayFrame(0, codeNoError, debug), synHello)
		if old {
			stillPending(t, "Accept (the SYN header went into the debug data)", acceptAsync(s), quiet)
			p.closeWrite()
			p.expect(wantGOAWAY(codeUnknown, ptr(1), []byte(io.ErrUnexpectedEOF.Error())))
			p.expectEOF()
			w := waitSession(t, s)
			if w.local != io.ErrUnexpectedEOF {
				t.Fatalf("Wait local error = %v, want io.ErrUnexpectedEOF", w.local)
			}
			checkRemote(t, impl, w, append(debug, synHello[:8]...))
			return
		}
		c := accept(t, s)
		readExactly(t, c, []byte("hello"))
		p.closeWrite()
		p.expect(wantGOAWAY(codePeerEOF, ptr(3), nil))
		p.expectEOF()
		checkRemote(t, impl, waitSession(t, s), debug)
	})
}

// A GOAWAY with exactly 1 MiB of debug data, then DATA+SYN opening stream 3
// with "hello": every version reads the debug data exactly and accepts the
// stream (in 2016 and v2.0.1 the 1 MiB limit stops the over-long debug reader
// right at the end of the frame).
//
// checks: [INTEROP-2] [INTEROP-1]
func TestInterop2DebugExactlyLimit(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, true, upstream.Config{})
		debug := bytes.Repeat([]byte{'c'}, mib)
		p.send(goawayFrame(0, codeNoError, debug), dataFrame(3, flagSYN, []byte("hello")))
		c := accept(t, s)
		readExactly(t, c, []byte("hello"))
		p.closeWrite()
		p.expect(wantGOAWAY(codePeerEOF, ptr(3), nil))
		p.expectEOF()
		checkRemote(t, impl, waitSession(t, s), debug)
	})
}
