package notes

// Opening streams around a GOAWAY, in every Go version. OpenStream
// (session.go) refuses only when the peer has gone away (remote.goneAway);
// handleSyn refuses only when Go itself has sent GOAWAY (local.goneAway). So
// Go opens streams after its own GoAway, and accepts the SYNs of a peer that
// sent GOAWAY, as [GOAWAY-11] allows and requires.

import (
	"testing"

	"muxado-interop/upstream"
)

// After its own GoAway, a Go endpoint still opens streams: Open succeeds and
// the first Write sends a SYN with the next id; the stream carries data both
// ways. The peer's own SYNs are refused meanwhile (INTEROP-6).
//
// checks: [GOAWAY-11] [GOAWAY-8] [INTEROP-26]
func TestGoOpensAfterOwnGoAway(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, false, upstream.Config{})
		c3 := open(t, s)
		if r := result(t, "Write on stream 3", writeAsync(c3, []byte("a"))); r.err != nil {
			t.Fatalf("Write: %v", r.err)
		}
		p.expect(wantDATA(3, flagSYN, []byte("a")))
		if err := await(t, "GoAway", func() error { return s.GoAway(codeNoError, []byte("bye")) }); err != nil {
			t.Fatalf("GoAway: %v", err)
		}
		p.expect(wantGOAWAY(codeNoError, ptr(0), []byte("bye")))

		c5 := open(t, s)
		if id := streamID(t, c5); id != 5 {
			t.Fatalf("stream opened after GoAway has id %d, want 5", id)
		}
		if r := result(t, "Write on stream 5", writeAsync(c5, []byte("b"))); r.err != nil {
			t.Fatalf("Write: %v", r.err)
		}
		p.expect(wantDATA(5, flagSYN, []byte("b")))
		p.send(dataFrame(5, flagFIN, []byte("r")))
		if b := readToEOF(t, c5); string(b) != "r" {
			t.Fatalf("stream 5 read %q, want \"r\"", b)
		}
		// The peer's SYN, by contrast, is refused.
		p.send(dataFrame(2, flagSYN, nil))
		p.expect(wantRST(2, codeStreamRefused))
	})
}

// After the peer's GOAWAY, a Go endpoint accepts the peer's new streams as
// usual (Accept returns them, with the SYN frame's bytes, and Go answers on
// them), while its own Open fails with REMOTE_GONE_AWAY. 2016 and v2.0.1 read
// 8 bytes too many after the GOAWAY (INTEROP-1): the raw peer sends 8 bytes
// that v2.0.2 ignores as a frame (a zero-length DATA with FIN for an unknown
// stream) before the SYN.
//
// checks: [GOAWAY-11] [GOAWAY-7] [STREAM-4] [INTEROP-26]
func TestGoAcceptsSynAfterPeerGoAway(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, true, upstream.Config{})
		acceptSyn(t, p, s, 3, 0, []byte("a"))
		p.send(goawayFrame(0, codeNoError, []byte("bye")), dataFrame(99, flagFIN, nil))
		p.send(dataFrame(5, flagSYN, []byte("b")))
		c5 := accept(t, s)
		if id := streamID(t, c5); id != 5 {
			t.Fatalf("accepted stream id %d, want 5", id)
		}
		readExactly(t, c5, []byte("b"))
		if r := result(t, "Write on stream 5", writeAsync(c5, []byte("r"))); r.err != nil {
			t.Fatalf("Write: %v", r.err)
		}
		p.expect(wantDATA(5, 0, []byte("r")))
		o := await(t, "Open", func() connErr { c, err := s.Open(); return connErr{c, err} })
		checkCode(t, impl, "Open after the peer's GOAWAY", o.err, codeRemoteGoneAway)
	})
}
