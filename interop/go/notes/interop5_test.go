package notes

import (
	"testing"

	"muxado-interop/upstream"
)

// With an accept backlog of 1 and nobody calling Accept, the raw peer opens
// stream 3 (queued) and stream 5 (overflow). Every version answers stream 5
// with RST ACCEPT_QUEUE_FULL but keeps it: more DATA for stream 5 draws no
// RST, while DATA for stream 7, never opened, draws RST STREAM_CLOSED (Go
// answers frames in order, so the RST for 7 arriving with nothing for 5
// before it shows that the DATA for 5 was buffered). A new SYN for stream 5
// is then, in 2016 and v2.0.1, another overflowing stream (RST
// ACCEPT_QUEUE_FULL again), and in v2.0.2 a duplicate SYN (GOAWAY
// PROTOCOL_ERROR).
//
// checks: [INTEROP-5] [INTEROP-4] [LIMIT-3] [STREAM-8]
func TestInterop5AcceptBacklogOverflow(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		old := before202(t, impl.Version)
		p, _ := start(t, impl, true, upstream.Config{AcceptBacklog: 1})
		p.send(dataFrame(3, flagSYN, []byte("a")), dataFrame(5, flagSYN, []byte("b")))
		p.expect(wantRST(5, codeAcceptQueueFull))

		p.send(dataFrame(5, 0, []byte("more")), dataFrame(7, 0, []byte("zz")))
		p.expect(wantRST(7, codeStreamClosed))
		p.expectQuiet(quiet, "after DATA on the overflowed stream 5")

		p.send(dataFrame(5, flagSYN, nil))
		if old {
			p.expect(wantRST(5, codeAcceptQueueFull))
			p.expectQuiet(quiet, "after the second SYN for stream 5")
		} else {
			p.expect(wantGOAWAY(codeProtocolError, ptr(5), nil))
			p.expectEOF()
		}
	})
}
