package notes

import (
	"testing"

	"muxado-interop/upstream"
)

// Go keeps one error per stream and every new one replaces it. A Go client's
// stream 3 gets DATA after the peer's FIN: Go answers RST STREAM_CLOSED and
// its own Write then fails with STREAM_CLOSED, as [STREAM-8] says. An RST the
// peer sends afterwards (here with code 0xdead) replaces that error: the next
// Write fails with 0xdead. The reference keeps the first error of a stream
// ([RST-5]: an RST on a stream already ended is ignored).
//
// checks: [INTEROP-29]
func TestInterop29StreamErrorLastWins(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, false, upstream.Config{})
		c := await(t, "Open", func() connErr { c, err := s.Open(); return connErr{c, err} })
		if c.err != nil {
			t.Fatalf("Open: %v", c.err)
		}
		if err := await(t, "Write", func() error { _, err := c.c.Write([]byte("x")); return err }); err != nil {
			t.Fatalf("Write: %v", err)
		}
		p.expect(wantDATA(3, flagSYN, []byte("x")))

		const streamClosed, dead = 0x4, 0xdead
		p.send(dataFrame(3, flagFIN, []byte("a")), dataFrame(3, 0, []byte("b")))
		p.expect(wantRST(3, streamClosed))
		r := result(t, "a Write after Go's own RST", writeAsync(c.c, []byte("y")))
		checkCode(t, impl, "Write after Go's RST STREAM_CLOSED", r.err, streamClosed)

		p.send(frameBytes(typeRST, 0, 3, u32(dead)))
		p.expectQuiet(quiet, "after the peer's RST on a stream Go reset")
		r = result(t, "a Write after the peer's RST", writeAsync(c.c, []byte("z")))
		checkCode(t, impl, "Write after the peer's later RST", r.err, dead)
	})
}
