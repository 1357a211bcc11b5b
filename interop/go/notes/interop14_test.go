package notes

import (
	"testing"

	"muxado-interop/upstream"
)

// A Go client opens stream 3, writes zero bytes, then half-closes it: the empty
// Write consumes the SYN without sending a frame, so the only frame on the wire
// is a zero-length DATA with FIN and without SYN, for a stream the peer never
// heard of. Without the empty Write, CloseWrite sends SYN|FIN (INTEROP-8).
//
// checks: [INTEROP-14] [STREAM-1] [STREAM-2]
func TestInterop14EmptyWriteLosesSyn(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, false, upstream.Config{})
		for _, emptyWrite := range []bool{true, false} {
			c := await(t, "Open", func() connErr { c, err := s.Open(); return connErr{c, err} })
			if c.err != nil {
				t.Fatalf("Open: %v", c.err)
			}
			if emptyWrite {
				if err := await(t, "Write", func() error { _, err := c.c.Write(nil); return err }); err != nil {
					t.Fatalf("empty Write: %v", err)
				}
			}
			cw, ok := c.c.(interface{ CloseWrite() error })
			if !ok {
				t.Fatalf("stream %T has no CloseWrite", c.c)
			}
			if err := await(t, "CloseWrite", cw.CloseWrite); err != nil {
				t.Fatalf("CloseWrite: %v", err)
			}
			if emptyWrite {
				p.expect(wantDATA(3, flagFIN, nil))
			} else {
				p.expect(wantDATA(5, flagSYN|flagFIN, nil))
			}
		}
	})
}
