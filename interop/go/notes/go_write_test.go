package notes

// What every Go version puts on the wire when writes race or time out. A
// stream's write (stream.go write) takes the SYN flag with an atomic
// compare-and-swap before it takes the stream's writer lock, packs the frame
// into the one frame.Data the stream owns (frData), and hands a pointer to it
// to the session's writer goroutine through a queue of 64 requests
// (session.go writeFrame, writer). The write deadline bounds only the wait to
// enter the queue and the wait for the writer's answer: a frame that entered
// the queue is written later whatever the deadline said, whole (the writer's
// transport writes have no deadline), and a frame that did not enter it is
// never written, its SYN flag spent. The code is the same in 2016, v2.0.1 and
// v2.0.2.

import (
	"bytes"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"muxado-interop/upstream"
)

const codeWriteTimeout = 0xD

// heldConn is a Go session's transport whose writes wait until release is
// called: the Go writer goroutine blocks in its first transport write, and
// every later frame waits in the session's queue.
type heldConn struct {
	*net.TCPConn
	gate chan struct{}
	once sync.Once
}

func (c *heldConn) release() { c.once.Do(func() { close(c.gate) }) }

func (c *heldConn) Write(b []byte) (int, error) {
	<-c.gate
	return c.TCPConn.Write(b)
}

func (c *heldConn) Close() error {
	c.release()
	return c.TCPConn.Close()
}

// startHeld runs a Go client session whose transport holds every write until
// the returned function is called; that function returns the raw peer.
func startHeld(t *testing.T, impl upstream.Impl, cfg upstream.Config) (func() *peer, upstream.Session) {
	t.Helper()
	goSide, rawSide := tcpPair(t)
	held := &heldConn{TCPConn: goSide, gate: make(chan struct{})}
	s := impl.Client(held, cfg)
	t.Cleanup(func() {
		_ = s.Close()
		_ = rawSide.Close()
		_ = held.Close()
	})
	return func() *peer {
		held.release()
		return newPeer(t, rawSide)
	}, s
}

// open opens a stream on a Go session.
func open(t *testing.T, s upstream.Session) net.Conn {
	t.Helper()
	o := await(t, "Open", func() connErr { c, err := s.Open(); return connErr{c, err} })
	if o.err != nil {
		t.Fatalf("Open: %v", o.err)
	}
	return o.c
}

type writeResult struct {
	n   int
	err error
}

func writeAsync(c net.Conn, b []byte) <-chan writeResult {
	return async(func() writeResult { n, err := c.Write(b); return writeResult{n, err} })
}

// timedOutWrite writes b with a deadline 100 ms away and requires the Write
// to fail with WRITE_TIMEOUT having written nothing; it then clears the
// deadline.
func timedOutWrite(t *testing.T, impl upstream.Impl, c net.Conn, b []byte) {
	t.Helper()
	if err := c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
		t.Fatalf("SetWriteDeadline: %v", err)
	}
	r := result(t, "a Write with a deadline", writeAsync(c, b))
	if r.n != 0 {
		t.Fatalf("timed-out Write reported %d bytes written", r.n)
	}
	checkCode(t, impl, "Write past its deadline", r.err, codeWriteTimeout)
	if err := c.SetWriteDeadline(time.Time{}); err != nil {
		t.Fatalf("SetWriteDeadline: %v", err)
	}
}

// collect reads frames from the peer until n DATA frames arrived and returns
// them by stream id, in arrival order.
func collect(t *testing.T, p *peer, n int) map[uint32][]rawFrame {
	t.Helper()
	out := map[uint32][]rawFrame{}
	timeout := time.After(patience)
	for got := 0; got < n; {
		select {
		case f, ok := <-p.frames:
			if !ok {
				t.Fatalf("Go's output ended (%v) after %d of %d DATA frames", p.err, got, n)
			}
			if f.Type == typeDATA {
				out[f.StreamID] = append(out[f.StreamID], f)
				got++
			} else if !p.ignore(f) {
				t.Fatalf("Go sent %s", f)
			}
		case <-timeout:
			t.Fatalf("timed out with %d of %d DATA frames", got, n)
		}
	}
	return out
}

func describe(fs []rawFrame) string {
	var b bytes.Buffer
	for i, f := range fs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.String())
	}
	return b.String()
}

// A write deadline that expires while the frame waits for Go's writer does
// not withdraw the frame. With the writer blocked in a transport write:
//   - stream 5: Write("a") times out having "written 0 bytes", but its frame
//     stays queued and is sent later, whole, with SYN, carrying whatever the
//     application put in its buffer after the Write returned ("X");
//   - stream 7: Write("a") times out, then Write("b") without deadline
//     re-packs the stream's one frame.Data, which the timed-out request still
//     points to: both queued requests write the second frame, so "b" goes out
//     twice, "a" never, and no frame of the stream carries SYN;
//   - the queue full (64 requests), stream 9+2k: Write("a") times out before
//     its frame entered the queue; nothing is sent for it, its SYN is spent,
//     and the next Write("b") goes out as DATA without SYN.
//
// That is v2.0.1 and v2.0.2. In 2016 the writer hands each result over an
// unbuffered channel (poolGet), so after writing stream 5's frame it waits
// forever for the Write that timed out: the session sends nothing more, and
// Close, whose GOAWAY is never written, closes the transport after 250 ms
// without one. No frame is half-written in any version: every
// frame reaches the peer whole, in queue order.
//
// checks: [STREAM-1] [STREAM-2] [FRAME-1] [INTEROP-24]
func TestGoWriteDeadlineWhileQueued(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		resume, s := startHeld(t, impl, upstream.Config{})
		// Stream 3's first frame blocks the writer goroutine.
		fill := open(t, s)
		fillDone := writeAsync(fill, []byte("f"))
		stillPending(t, "the first Write while the transport is held", fillDone, quiet)

		s5 := open(t, s)
		buf := []byte("a")
		timedOutWrite(t, impl, s5, buf)
		buf[0] = 'X' // the application reuses its buffer

		s7 := open(t, s)
		timedOutWrite(t, impl, s7, []byte("a"))
		s7Done := writeAsync(s7, []byte("b"))
		stillPending(t, "Write(\"b\") on stream 7 while the writer is blocked", s7Done, quiet)

		// 3 requests are queued; 64 more writers fill the queue (61 enter
		// it, 3 wait to).
		var fillers []<-chan writeResult
		for i := 0; i < 64; i++ {
			fillers = append(fillers, writeAsync(open(t, s), []byte("q")))
		}
		time.Sleep(quiet)
		last := open(t, s)
		lastID := streamID(t, last)
		timedOutWrite(t, impl, last, []byte("a"))
		lastDone := writeAsync(last, []byte("b"))

		p := resume()
		check := func(frames map[uint32][]rawFrame, sid uint32, want ...want) {
			t.Helper()
			got := frames[sid]
			ok := len(got) == len(want)
			for i := 0; ok && i < len(want); i++ {
				ok = want[i].match(got[i])
			}
			if !ok {
				t.Fatalf("stream %d: got %s", sid, describe(got))
			}
		}
		pending := append([]<-chan writeResult{s7Done, lastDone}, fillers...)
		if impl.Version == "2016" {
			// The writer wrote stream 5's frame and then waits forever to
			// hand its result to the Write that timed out.
			frames := collect(t, p, 2)
			check(frames, 3, wantDATA(3, flagSYN, []byte("f")))
			check(frames, 5, wantDATA(5, flagSYN, []byte("X")))
			p.expectQuiet(quiet, "2016's writer after a frame whose Write timed out")
			if r := result(t, "the first Write", fillDone); r.err != nil {
				t.Fatalf("the first Write: %v", r.err)
			}
			stillPending(t, "Write(\"b\") on stream 7", s7Done, quiet)
			// Close's GOAWAY is never written: Close gives up on it after
			// 250 ms and closes the transport; the waiting Writes fail.
			if err := await(t, "Close", s.Close); err != nil {
				t.Fatalf("Close: %v", err)
			}
			p.expectEOF()
			for _, ch := range pending {
				checkCode(t, impl, "a Write queued behind the stuck writer", result(t, "a queued Write", ch).err, codeSessionClosed)
			}
			return
		}
		// Stream 3's frame, 1 + 2 frames of stream 5 and 7, 64 fillers,
		// one frame of the last stream.
		frames := collect(t, p, 1+1+2+64+1)
		for _, ch := range append(pending, fillDone) {
			if r := result(t, "a queued Write", ch); r.err != nil || r.n != 1 {
				t.Fatalf("a queued Write: %d, %v", r.n, r.err)
			}
		}
		check(frames, 3, wantDATA(3, flagSYN, []byte("f")))
		check(frames, 5, wantDATA(5, flagSYN, []byte("X")))
		check(frames, 7, wantDATA(7, 0, []byte("b")), wantDATA(7, 0, []byte("b")))
		check(frames, lastID, wantDATA(lastID, 0, []byte("b")))
		p.expectQuiet(quiet, "after the queued frames")
	})
}

// A write deadline does not end a Write that waits for window: the wait
// (condWindow.Decrement) knows no deadline, and the deadline is looked at
// only once the frame is handed to the writer. The Write ends when the peer
// grants window or resets the stream.
//
// checks: [FLOW-3] [INTEROP-24]
func TestGoWriteDeadlineIgnoredWhileWaitingForWindow(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, false, upstream.Config{})
		c := open(t, s)
		big := bytes.Repeat([]byte("w"), 256<<10)
		if r := result(t, "a 256 KiB Write", writeAsync(c, big)); r.err != nil {
			t.Fatalf("Write: %v", r.err)
		}
		p.expect(wantDATA(3, flagSYN, big))
		if err := c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
			t.Fatalf("SetWriteDeadline: %v", err)
		}
		w := writeAsync(c, []byte("more"))
		stillPending(t, "a Write on an empty window, its deadline past", w, 3*quiet)
		p.expectQuiet(quiet, "while the Write waits for window")
		p.send(frameBytes(typeRST, 0, 3, u32(codeStreamClosed)))
		r := result(t, "the Write after the peer's RST", w)
		if r.n != 0 {
			t.Fatalf("Write reported %d bytes", r.n)
		}
		checkCode(t, impl, "the Write after the peer's RST", r.err, codeStreamClosed)
	})
}

// Two goroutines writing the first bytes of a new stream at once: the one
// that wins the SYN (the compare-and-swap on synOnce) is not always the one
// that wins the writer lock, so the stream's first frame on the wire can be
// the other goroutine's DATA without SYN, followed by the SYN frame. Without
// help this happens to about 1 stream in 200 on two idle cores, far less on
// busy ones; the test widens the race with a third goroutine that keeps
// taking the writer lock (SetWriteDeadline), repeats it until it sees that
// order, and checks that each stream still carries exactly one SYN.
//
// checks: [STREAM-1] [STREAM-2] [INTEROP-25]
func TestGoConcurrentFirstWritesSynSecond(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		// More Ps than cores: the spinning goroutines below then share the
		// cores by the OS's time slices instead of Go's 10 ms preemption.
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
		p, s := start(t, impl, false, upstream.Config{})
		p.ignore = func(rawFrame) bool { return false }
		deadline := time.Now().Add(4 * patience)
		trials, synSecond := 0, 0
		for synSecond == 0 && time.Now().Before(deadline) {
			const batch = 100
			for i := 0; i < batch; i++ {
				c := open(t, s)
				// A third goroutine keeps taking the stream's writer lock
				// (SetWriteDeadline takes it, and spends no SYN), so both
				// writers wait for it, and which gets it first is no longer
				// decided by which took the SYN.
				var stop atomic.Bool
				hammer := async(func() bool {
					for !stop.Load() {
						_ = c.SetWriteDeadline(time.Time{})
					}
					return true
				})
				var ready atomic.Int32
				var wg sync.WaitGroup
				for _, b := range []byte("AB") {
					b := b
					wg.Add(1)
					go func() {
						defer wg.Done()
						ready.Add(1)
						for ready.Load() < 2 { // start both writes together
						}
						_, _ = c.Write([]byte{b})
					}()
				}
				wg.Wait()
				stop.Store(true)
				<-hammer
			}
			frames := collect(t, p, 2*batch)
			for sid, fs := range frames {
				if len(fs) != 2 || fs[0].Flags|fs[1].Flags != flagSYN || fs[0].Flags&fs[1].Flags != 0 {
					t.Fatalf("stream %d: %s; want two frames, exactly one with SYN", sid, describe(fs))
				}
				if fs[0].Flags&flagSYN == 0 {
					synSecond++
				}
			}
			trials += batch
		}
		if synSecond == 0 {
			t.Fatalf("in %d streams, the SYN frame always came first", trials)
		}
		t.Logf("%d of %d streams began with DATA without SYN", synSecond, trials)
	})
}
