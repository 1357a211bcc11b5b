package notes

// Facts about Go that SPEC.md appendix C listed without a test: stream 1
// accepted, the heartbeat defaults and beat values, the default accept
// backlog, and no bound on the streams a peer opens.

import (
	"encoding/binary"
	"fmt"
	"net"
	"testing"
	"time"

	muxado2016 "github.com/inconshreveable/muxado"
	muxado "golang.ngrok.com/muxado/v2"

	"muxado-interop/upstream"
)

// A Go acceptor checks only the parity of a SYN's stream id, so it takes a
// SYN on stream 1, the first odd id, and the stream works both ways.
//
// checks: [ID-3]
func TestGoAcceptsStreamOne(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, true, upstream.Config{})
		p.send(dataFrame(1, flagSYN, []byte("hi")))
		c := accept(t, s)
		if id := streamID(t, c); id != 1 {
			t.Fatalf("accepted stream has id %d, want 1", id)
		}
		readExactly(t, c, []byte("hi"))
		if _, err := c.Write([]byte("yo")); err != nil {
			t.Fatalf("write on stream 1: %v", err)
		}
		p.expect(wantDATA(1, 0, []byte("yo")))
	})
}

// defaultHeartbeat is Go's heartbeat with a nil config (NewHeartbeat then
// takes NewHeartbeatConfig()) on a Go client over conn; it returns that
// default config and a function that starts the requester. The adapters
// always pass a config, so this uses the linked packages directly.
func defaultHeartbeat(t *testing.T, version string, conn net.Conn) (interval, tolerance time.Duration, typ uint32, startFn func()) {
	t.Helper()
	if version == "2016" {
		c := muxado2016.NewHeartbeatConfig()
		s := muxado2016.Client(conn, nil)
		hb := muxado2016.NewHeartbeat(muxado2016.NewTypedStreamSession(s), func(time.Duration) {}, nil)
		t.Cleanup(func() { _ = hb.Close() })
		return c.Interval, c.Tolerance, uint32(c.Type), hb.Start
	}
	c := muxado.NewHeartbeatConfig()
	s := muxado.Client(conn, nil)
	hb := muxado.NewHeartbeat(muxado.NewTypedStreamSession(s), func(time.Duration, bool) {}, nil)
	t.Cleanup(func() { _ = hb.Close() })
	return c.Interval, c.Tolerance, uint32(c.Type), hb.Start
}

// The default heartbeat config is type 0xFFFFFFFF, interval 10 s, tolerance
// 15 s. On the wire, a heartbeat started with no config opens stream 3 with
// type 0xFFFFFFFF and sends no beat within the first second (the 10 s
// interval itself is not waited for).
//
// checks: [HEARTBEAT-1] [HEARTBEAT-3]
func TestGoHeartbeatDefaults(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		goSide, rawSide := tcpPair(t)
		t.Cleanup(func() { _ = goSide.Close(); _ = rawSide.Close() })
		interval, tolerance, typ, startHB := defaultHeartbeat(t, impl.Version, goSide)
		if interval != 10*time.Second || tolerance != 15*time.Second || typ != 0xFFFFFFFF {
			t.Fatalf("NewHeartbeatConfig() = interval %v, tolerance %v, type 0x%x; want 10s, 15s, 0xffffffff", interval, tolerance, typ)
		}
		p := newPeer(t, rawSide)
		startHB()
		p.expect(wantDATA(3, flagSYN, u32(0xFFFFFFFF)))
		p.expectQuiet(time.Second, "a default heartbeat in its first second")
	})
}

// Each beat is uint32(r.Int31()): 4 bytes whose top bit is clear. Twenty
// echoed beats with a short interval all have it clear (a uniform 32-bit
// value would set it in one of them with probability 1 - 2^-20).
//
// checks: [HEARTBEAT-1]
func TestGoHeartbeatValueBelow2to31(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, _ := startHeartbeat(t, impl, 10*time.Millisecond, 10*time.Second)
		for i := 0; i < 20; i++ {
			beat := expectBeat(p)
			if v := binary.BigEndian.Uint32(beat); v >= 1<<31 {
				t.Fatalf("beat %d has value 0x%x, not below 2^31", i, v)
			}
			p.send(dataFrame(3, 0, beat))
		}
	})
}

// The first beat goes out one interval after the requester starts (2016
// sleeps an interval first, v2 waits for the first tick), not at once.
//
// checks: [HEARTBEAT-1]
func TestGoHeartbeatFirstBeatAfterInterval(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		const interval = 400 * time.Millisecond
		p, _ := startHeartbeat(t, impl, interval, 10*time.Second)
		typeSeen := time.Now()
		expectBeat(p)
		gap := time.Since(typeSeen)
		// The type is written when the requester starts, so the gap from its
		// arrival to the beat is at most the interval (plus scheduling).
		if gap < interval-100*time.Millisecond || gap > interval+400*time.Millisecond {
			t.Fatalf("first beat %v after the heartbeat type, want about the interval %v", gap, interval)
		}
	})
}

// With the default accept backlog and nobody calling Accept, 128 streams
// are queued and the 129th draws RST ACCEPT_QUEUE_FULL.
//
// checks: [LIMIT-3]
func TestGoDefaultAcceptBacklog128(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, _ := start(t, impl, true, upstream.Config{})
		var syns [][]byte
		for i := uint32(0); i < 128; i++ {
			syns = append(syns, dataFrame(3+2*i, flagSYN, nil))
		}
		p.send(syns...)
		p.expectQuiet(quiet, "128 queued streams")
		last := uint32(3 + 2*128)
		p.send(dataFrame(last, flagSYN, nil))
		p.expect(wantRST(last, codeAcceptQueueFull))
	})
}

// Go puts no bound on the streams a peer opens: 2,000 streams, sent in
// batches of 100 and each batch accepted before the next, are all accepted
// and stay open together, with no RST or GOAWAY; the first and the last
// still carry data both ways.
//
// checks: [LIMIT-2]
func TestGoNoBoundOnPeerStreams(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		const n, batch = 2000, 100
		p, s := start(t, impl, true, upstream.Config{})
		conns := make([]net.Conn, 0, n)
		for b := 0; b < n/batch; b++ {
			var syns [][]byte
			for i := 0; i < batch; i++ {
				syns = append(syns, dataFrame(uint32(3+2*(b*batch+i)), flagSYN, nil))
			}
			p.send(syns...)
			for i := 0; i < batch; i++ {
				c := accept(t, s)
				if want := uint32(3 + 2*len(conns)); streamID(t, c) != want {
					t.Fatalf("accepted stream %d has id %d, want %d", len(conns), streamID(t, c), want)
				}
				conns = append(conns, c)
			}
		}
		p.expectQuiet(quiet, fmt.Sprintf("%d open peer streams", n))
		first, last := conns[0], conns[n-1]
		p.send(dataFrame(streamID(t, first), 0, []byte("a")), dataFrame(streamID(t, last), 0, []byte("z")))
		readExactly(t, first, []byte("a"))
		readExactly(t, last, []byte("z"))
		for _, c := range []net.Conn{first, last} {
			msg := []byte(fmt.Sprintf("from %d", streamID(t, c)))
			if _, err := c.Write(msg); err != nil {
				t.Fatalf("write on stream %d: %v", streamID(t, c), err)
			}
			p.expect(wantDATA(streamID(t, c), 0, msg))
		}
	})
}
