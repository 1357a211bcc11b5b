package notes

import (
	"net"
	"testing"

	"muxado-interop/upstream"
)

// A Go opener sends each stream's SYN with its first write, so a stream opened
// later but written first puts its SYN on the wire first: Go client opens 3
// and 5 and writes 5 first.
//
// checks: [INTEROP-12] [ID-8] [STREAM-2]
func TestInterop12GoOpenerSynsOutOfOrder(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, false, upstream.Config{})
		c3, c5 := open(t, s), open(t, s)
		for _, w := range []struct {
			c   net.Conn
			sid uint32
		}{{c5, 5}, {c3, 3}} {
			if r := result(t, "Write", writeAsync(w.c, []byte("x"))); r.err != nil {
				t.Fatalf("Write on stream %d: %v", w.sid, r.err)
			}
			p.expect(wantDATA(w.sid, flagSYN, []byte("x")))
		}
	})
}

// Go's GOAWAY names the last SYN it processed (session.go handleSyn stores
// each SYN's id in remote.lastId), not the highest stream it accepted: after
// SYN 7 then SYN 5, GoAway sends last stream id 5 while Go still serves
// stream 7.
//
// checks: [INTEROP-12] [GOAWAY-5] [ID-8]
func TestInterop12GoAwayNamesLastSyn(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, true, upstream.Config{})
		c7 := acceptSyn(t, p, s, 7, 0, []byte("a"))
		acceptSyn(t, p, s, 5, 0, []byte("b"))
		if err := await(t, "GoAway", func() error { return s.GoAway(codeNoError, nil) }); err != nil {
			t.Fatalf("GoAway: %v", err)
		}
		p.expect(wantGOAWAY(codeNoError, ptr(5), nil))
		readExactly(t, c7, []byte("a"))
		if r := result(t, "Write on stream 7", writeAsync(c7, []byte("r"))); r.err != nil {
			t.Fatalf("Write on stream 7 after GoAway: %v", r.err)
		}
		p.expect(wantDATA(7, 0, []byte("r")))
	})
}
