package notes

// AcceptTypedStream (typed_stream.go of each version) on a stream that ends
// before its 4 type bytes arrived.

import (
	"io"
	"testing"
	"time"

	"muxado-interop/upstream"
)

// A stream that ends before any type byte makes AcceptTypedStream return
// the error of its first Read, instead of skipping the stream: io.EOF (no
// muxado code) for a FIN, the RST's code for an RST. Go closes the stream
// first, which sends a FIN on it even after the peer's RST. The session goes
// on, and the next call returns the next stream; but an application that
// treats an Accept error as the end of the session stops accepting. The
// heartbeat's AcceptTypedStream passes the same error up.
//
// checks: [TYPED-3] [INTEROP-23] [INTEROP-10]
func TestGoAcceptTypedStreamEndsBeforeType(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, true, upstream.Config{})
		typedAccept := func() <-chan error {
			return async(func() error { _, _, err := s.AcceptTypedStream(); return err })
		}

		// SYN with FIN and no byte.
		p.send(dataFrame(3, flagSYN|flagFIN, nil))
		err := result(t, "AcceptTypedStream on an empty SYN|FIN stream", typedAccept())
		if err != io.EOF {
			t.Fatalf("AcceptTypedStream = %v, want io.EOF", err)
		}
		p.expect(wantDATA(3, flagFIN, nil))

		// SYN without bytes, then RST STREAM_CANCELLED.
		p.send(dataFrame(5, flagSYN, nil))
		pending := typedAccept()
		stillPending(t, "AcceptTypedStream while the type is missing", pending, quiet)
		p.send(frameBytes(typeRST, 0, 5, u32(0x6)))
		checkCode(t, impl, "AcceptTypedStream on a reset stream", result(t, "AcceptTypedStream", pending), 0x6)
		p.expect(wantDATA(5, flagFIN, nil))

		// The session goes on.
		p.send(dataFrame(7, flagSYN, u32(42)))
		r := await(t, "AcceptTypedStream", func() error {
			_, typ, err := s.AcceptTypedStream()
			if err == nil && typ != 42 {
				t.Errorf("stream type %d, want 42", typ)
			}
			return err
		})
		if r != nil {
			t.Fatalf("AcceptTypedStream after the failed ones: %v", r)
		}
	})
}

// The heartbeat wrapper's AcceptTypedStream returns the same error.
//
// checks: [TYPED-3] [HEARTBEAT-2] [INTEROP-23]
func TestGoHeartbeatAcceptEndsBeforeType(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, true, upstream.Config{})
		hb := s.NewHeartbeat(upstream.HeartbeatConfig{Interval: time.Hour, Tolerance: time.Hour, Type: 0xFFFFFFFF},
			func(time.Duration, bool) {})
		p.send(dataFrame(3, flagSYN|flagFIN, nil))
		err := await(t, "the heartbeat's AcceptTypedStream", func() error { _, _, err := hb.AcceptTypedStream(); return err })
		if err != io.EOF {
			t.Fatalf("AcceptTypedStream = %v, want io.EOF", err)
		}
	})
}
