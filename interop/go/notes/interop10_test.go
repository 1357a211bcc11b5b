package notes

import (
	"net"
	"testing"

	"muxado-interop/upstream"
)

// A Go client writes on stream 3, then calls CloseWrite and Close: each sends
// a zero-length DATA+FIN, so the peer gets two. On stream 5 the raw peer sends
// RST (Go's Read then fails with the RST's code); Go's Close still sends a
// zero-length DATA+FIN for it.
//
// checks: [INTEROP-10]
func TestInterop10RepeatedFin(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, false, upstream.Config{})
		open := func(sid uint32, payload string) net.Conn {
			t.Helper()
			c := await(t, "Open", func() connErr { c, err := s.Open(); return connErr{c, err} })
			if c.err != nil {
				t.Fatalf("Open: %v", c.err)
			}
			if err := await(t, "Write", func() error { _, err := c.c.Write([]byte(payload)); return err }); err != nil {
				t.Fatalf("Write: %v", err)
			}
			p.expect(wantDATA(sid, flagSYN, []byte(payload)))
			return c.c
		}

		c3 := open(3, "x")
		cw, ok := c3.(interface{ CloseWrite() error })
		if !ok {
			t.Fatalf("stream %T has no CloseWrite", c3)
		}
		if err := await(t, "CloseWrite", cw.CloseWrite); err != nil {
			t.Fatalf("CloseWrite: %v", err)
		}
		p.expect(wantDATA(3, flagFIN, nil))
		if err := await(t, "Close", c3.Close); err != nil {
			t.Fatalf("Close: %v", err)
		}
		p.expect(wantDATA(3, flagFIN, nil))

		c5 := open(5, "y")
		const streamCancelled = 0x6
		p.send(frameBytes(typeRST, 0, 5, u32(streamCancelled)))
		r := result(t, "Read on stream 5 to fail after RST", readAsync(c5, 1))
		checkCode(t, impl, "Read on stream 5 after RST", r.err, streamCancelled)
		if err := await(t, "Close", c5.Close); err != nil {
			t.Fatalf("Close: %v", err)
		}
		p.expect(wantDATA(5, flagFIN, nil))
		p.expectQuiet(quiet, "after the closes")
	})
}
