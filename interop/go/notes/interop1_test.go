package notes

import (
	"bytes"
	"io"
	"testing"

	"muxado-interop/upstream"
)

// The raw peer sends a GOAWAY with debug text "bye" and, right after it, a
// DATA+SYN opening stream 3 with "hello". 2016 and v2.0.1 take the DATA
// header as the last 8 bytes of the debug data, then wait for a frame header
// made of "hello" and the next 3 bytes, so the stream is never accepted; when
// the peer ends its output, the session dies with io.ErrUnexpectedEOF. v2.0.2
// accepts the stream with the right bytes and reports exactly "bye".
//
// checks: [INTEROP-1] [GOAWAY-4] [GOAWAY-9] [GOAWAY-10] [SESSION-3]
func TestInterop1GoAwayThenFrame(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		old := before202(t, impl.Version)
		p, s := start(t, impl, true, upstream.Config{})
		synHello := dataFrame(3, flagSYN, []byte("hello"))
		p.send(goawayFrame(0, codeNoError, []byte("bye")), synHello)

		var debug []byte
		if old {
			accepted := acceptAsync(s)
			stillPending(t, "Accept after GOAWAY+SYN (the SYN header went into the debug data)", accepted, quiet)
			p.expectQuiet(quiet, "while Go waits for the rest of a header")
			p.closeWrite()
			// Go reads a 5-byte partial header ("hello"), then end-of-file.
			p.expect(wantGOAWAY(codeUnknown, ptr(1), []byte(io.ErrUnexpectedEOF.Error())))
			p.expectEOF()
			w := waitSession(t, s)
			if w.local != io.ErrUnexpectedEOF {
				t.Fatalf("Wait local error = %v, want io.ErrUnexpectedEOF", w.local)
			}
			r := result(t, "Accept to fail after the session ended", accepted)
			if r.err == nil {
				t.Fatalf("Accept returned a stream after the desync")
			}
			debug = []byte("bye")
			debug = append(debug, synHello[:8]...)
			checkRemote(t, impl, w, debug)
		} else {
			c := accept(t, s)
			if id := streamID(t, c); id != 3 {
				t.Fatalf("accepted stream id %d, want 3", id)
			}
			readExactly(t, c, []byte("hello"))
			p.closeWrite()
			p.expect(wantGOAWAY(codePeerEOF, ptr(3), nil))
			p.expectEOF()
			w := waitSession(t, s)
			checkCode(t, impl, "Wait local error", w.local, codePeerEOF)
			checkRemote(t, impl, w, []byte("bye"))
		}
	})
}

// The Go client has opened stream 3 (the raw server saw its SYN) and the raw
// peer sends GOAWAY with last stream id 0, then nothing, keeping the
// transport open. Every version stops opening streams at once. v2.0.2 also
// closes stream 3 with REMOTE_GONE_AWAY at once; 2016 and v2.0.1 wait inside
// the GOAWAY for 8 more bytes and close stream 3 only once those arrive (here
// a zero-length DATA+FIN for an unknown stream, which v2.0.2 ignores as a
// frame and the old versions swallow as debug data).
//
// checks: [INTEROP-1] [GOAWAY-7] [GOAWAY-9] [STREAM-7]
func TestInterop1GoAwayThenSilence(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		old := before202(t, impl.Version)
		p, s := start(t, impl, false, upstream.Config{})
		c := await(t, "Open", func() connErr { c, err := s.Open(); return connErr{c, err} })
		if c.err != nil {
			t.Fatalf("Open: %v", c.err)
		}
		if _, err := c.c.Write([]byte("x")); err != nil {
			t.Fatalf("Write on stream 3: %v", err)
		}
		p.expect(wantDATA(3, flagSYN, []byte("x")))
		read := readAsync(c.c, 1)

		p.send(goawayFrame(0, codeNoError, []byte("bye")))
		if old {
			stillPending(t, "Read on stream 3 (the GOAWAY is not finished for Go)", read, quiet)
		} else {
			r := result(t, "Read on stream 3 to fail with REMOTE_GONE_AWAY", read)
			checkCode(t, impl, "Read on stream 3 after GOAWAY", r.err, codeRemoteGoneAway)
		}
		// Go marks the peer gone before it reads the debug data.
		if _, err := s.Open(); err == nil {
			t.Fatalf("Open succeeded after the peer's GOAWAY")
		} else {
			checkCode(t, impl, "Open after GOAWAY", err, codeRemoteGoneAway)
		}

		eight := dataFrame(99, flagFIN, nil)
		p.send(eight)
		if old {
			r := result(t, "Read on stream 3 to fail once 8 more bytes arrived", read)
			checkCode(t, impl, "Read on stream 3 after 8 more bytes", r.err, codeRemoteGoneAway)
		}
		p.expectQuiet(quiet, "after the 8 extra bytes")
		p.closeWrite()
		p.expect(wantGOAWAY(codePeerEOF, ptr(0), nil))
		p.expectEOF()
		w := waitSession(t, s)
		checkCode(t, impl, "Wait local error", w.local, codePeerEOF)
		debug := []byte("bye")
		if old {
			debug = append(debug, eight...)
		}
		checkRemote(t, impl, w, debug)
	})
}

// checkRemote checks the remote error and debug bytes Wait reports.
func checkRemote(t *testing.T, impl upstream.Impl, w waitResult, debug []byte) {
	t.Helper()
	if !bytes.Equal(w.debug, debug) {
		t.Fatalf("Wait remote debug = %q (%d bytes), want %q (%d bytes)", clip(w.debug), len(w.debug), clip(debug), len(debug))
	}
	checkCode(t, impl, "Wait remote error", w.remote, codeNoError)
	if w.remote.Error() != string(debug) {
		t.Fatalf("Wait remote error text = %q, want %q", clip([]byte(w.remote.Error())), clip(debug))
	}
}
