package notes

import (
	"testing"

	"muxado-interop/upstream"
)

// The raw peer opens stream 3 with one DATA frame carrying SYN and FIN and
// "req". Every version accepts it and delivers "req" then end-of-stream, but
// writing on the accepted stream fails with STREAM_CLOSED and sends nothing.
//
// checks: [INTEROP-8] [DATA-3] [STREAM-4]
func TestInterop8SynFinStreamUnwritable(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, true, upstream.Config{})
		p.send(dataFrame(3, flagSYN|flagFIN, []byte("req")))
		c := accept(t, s)
		if got := readToEOF(t, c); string(got) != "req" {
			t.Fatalf("stream 3 read %q, want %q", got, "req")
		}
		err := await(t, "Write on the SYN+FIN stream", func() error { _, err := c.Write([]byte("resp")); return err })
		checkCode(t, impl, "Write on a stream opened with SYN+FIN", err, codeStreamClosed)
		p.expectQuiet(quiet, "after the failed write")
	})
}

// The raw peer opens stream 3 with a zero-length SYN frame and sends "req"
// with FIN in a later frame: every version accepts it and can reply.
//
// checks: [INTEROP-8] [STREAM-6] [DATA-2]
func TestInterop8SynThenFinStreamWritable(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, true, upstream.Config{})
		p.send(dataFrame(3, flagSYN, nil), dataFrame(3, flagFIN, []byte("req")))
		c := accept(t, s)
		if got := readToEOF(t, c); string(got) != "req" {
			t.Fatalf("stream 3 read %q, want %q", got, "req")
		}
		if err := await(t, "Write on stream 3", func() error { _, err := c.Write([]byte("resp")); return err }); err != nil {
			t.Fatalf("Write on stream 3: %v", err)
		}
		p.expect(wantDATA(3, 0, []byte("resp")))
	})
}

// Go's own CloseWrite on a stream it opened and never wrote to sends a single
// zero-length DATA frame with SYN and FIN: the frame that makes a Go acceptor's
// stream unwritable.
//
// checks: [INTEROP-8] [STREAM-2] [ID-2]
func TestInterop8GoCloseWriteSendsSynFin(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, false, upstream.Config{})
		c := await(t, "Open", func() connErr { c, err := s.Open(); return connErr{c, err} })
		if c.err != nil {
			t.Fatalf("Open: %v", c.err)
		}
		cw, ok := c.c.(interface{ CloseWrite() error })
		if !ok {
			t.Fatalf("stream %T has no CloseWrite", c.c)
		}
		if err := await(t, "CloseWrite", cw.CloseWrite); err != nil {
			t.Fatalf("CloseWrite: %v", err)
		}
		p.expect(wantDATA(3, flagSYN|flagFIN, nil))
	})
}
