package notes

import (
	"testing"

	"muxado-interop/upstream"
)

// The raw peer opens stream 3 ("one"), Go accepts it as stream A and reads
// it, then the peer sends a second, zero-length SYN for stream 3.
// 2016 and v2.0.1 accept it as a new stream B that replaces A: later DATA for
// stream 3 reaches B, and a Read pending on A never returns. v2.0.2 ends the
// session with GOAWAY PROTOCOL_ERROR.
//
// checks: [INTEROP-4] [ID-7]
func TestInterop4DuplicateSyn(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		old := before202(t, impl.Version)
		p, s := start(t, impl, true, upstream.Config{})
		p.send(dataFrame(3, flagSYN, []byte("one")))
		a := accept(t, s)
		readExactly(t, a, []byte("one"))
		readA := readAsync(a, 1)
		t.Cleanup(func() { _ = a.Close() }) // releases the orphaned reader

		p.send(dataFrame(3, flagSYN, nil))
		if !old {
			p.expect(wantGOAWAY(codeProtocolError, ptr(3), nil))
			p.expectEOF()
			checkCode(t, impl, "Wait local error", waitSession(t, s).local, codeProtocolError)
			r := result(t, "Read on stream A to fail", readA)
			if r.err == nil {
				t.Fatalf("Read on stream A returned %q after the session ended", r.b)
			}
			return
		}
		b := accept(t, s)
		if id := streamID(t, b); id != 3 {
			t.Fatalf("second accepted stream has id %d, want 3", id)
		}
		p.send(dataFrame(3, 0, []byte("two")))
		readExactly(t, b, []byte("two"))
		stillPending(t, "Read on the replaced stream A", readA, quiet)
		p.expectQuiet(quiet, "after the duplicate SYN")
	})
}

// The raw peer opens streams 3 and 5 and closes both fully (FIN both ways),
// then sends a SYN for stream 3 again. Every version accepts it as a new
// stream, and Go's GOAWAY then reports 3, lower than 5, as the last stream id.
//
// checks: [INTEROP-4] [STREAM-10] [GOAWAY-5]
func TestInterop4ReuseClosedId(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, true, upstream.Config{})
		for _, sid := range []uint32{3, 5} {
			p.send(dataFrame(sid, flagSYN, []byte("a")), dataFrame(sid, flagFIN, nil))
			c := accept(t, s)
			if got := readToEOF(t, c); string(got) != "a" {
				t.Fatalf("stream %d read %q, want %q", sid, got, "a")
			}
			if err := c.Close(); err != nil {
				t.Fatalf("Close stream %d: %v", sid, err)
			}
			p.expect(wantDATA(sid, flagFIN, nil))
		}
		p.send(dataFrame(3, flagSYN, []byte("again")))
		c := accept(t, s)
		if id := streamID(t, c); id != 3 {
			t.Fatalf("reused stream accepted with id %d, want 3", id)
		}
		readExactly(t, c, []byte("again"))
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		p.expect(wantGOAWAY(codeNoError, ptr(3), []byte("no error")))
		p.expectEOF()
	})
}
