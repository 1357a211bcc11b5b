package notes

import (
	"testing"

	"muxado-interop/upstream"
)

// A Go session that has accepted no stream reports, in the GOAWAY its Close
// sends, last stream id 1 when it is the server and 0 when it is the client,
// with code NO_ERROR and debug "no error"; a server that accepted stream 3
// reports 3.
//
// checks: [INTEROP-9] [GOAWAY-5] [SESSION-1]
func TestInterop9GoAwayLastIdWithNoStream(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		for _, tc := range []struct {
			name   string
			server bool
			last   uint32
		}{{"server", true, 1}, {"client", false, 0}} {
			t.Run(tc.name, func(t *testing.T) {
				p, s := start(t, impl, tc.server, upstream.Config{})
				if err := s.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
				p.expect(wantGOAWAY(codeNoError, ptr(tc.last), []byte("no error")))
				p.expectEOF()
			})
		}
		t.Run("server-after-stream-3", func(t *testing.T) {
			p, s := start(t, impl, true, upstream.Config{})
			p.send(dataFrame(3, flagSYN, nil))
			accept(t, s)
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			p.expect(wantGOAWAY(codeNoError, ptr(3), []byte("no error")))
			p.expectEOF()
		})
	})
}

// A Go client's first stream is 3 and a Go server's is 2; the next ones go up
// by 2.
//
// checks: [INTEROP-9] [ID-1] [ID-2] [ID-4] [STREAM-1]
func TestInterop9FirstStreamIds(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		for _, tc := range []struct {
			name   string
			server bool
			first  uint32
		}{{"server", true, 2}, {"client", false, 3}} {
			t.Run(tc.name, func(t *testing.T) {
				p, s := start(t, impl, tc.server, upstream.Config{})
				for i := uint32(0); i < 2; i++ {
					c := await(t, "Open", func() connErr { c, err := s.Open(); return connErr{c, err} })
					if c.err != nil {
						t.Fatalf("Open: %v", c.err)
					}
					if err := await(t, "Write", func() error { _, err := c.c.Write([]byte("x")); return err }); err != nil {
						t.Fatalf("Write: %v", err)
					}
					p.expect(wantDATA(tc.first+2*i, flagSYN, []byte("x")))
				}
			})
		}
	})
}
