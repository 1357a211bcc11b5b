package scenario

// The soak scenario (SCENARIOS.md, `soak`): many concurrent echoed streams of
// random sizes, some abandoned midway, for a given time. The harness runs it
// through a proxy that fragments and delays the bytes and sometimes cuts the
// connection (interop/tests/soak.rs); each side only counts how its streams
// ended, and the harness compares the two sides' counts.

import (
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// soakInFlight is how many streams the client keeps open at once.
	soakInFlight = 32
	// soakMaxSize is the largest stream the client sends (and gets back).
	soakMaxSize = 256 << 10
	// soakAbortOneIn: one stream in this many is abandoned before its FIN.
	soakAbortOneIn = 8
)

// soakRand is splitmix64, the generator of the soak client's choices. Stream
// k of a run with seed s starts from state s<<32 ^ k, so a stream's size,
// writes and abort point are the same in every implementation and every run
// with that seed (SCENARIOS.md).
type soakRand struct{ state uint64 }

func newSoakRand(seed, k uint64) *soakRand { return &soakRand{seed<<32 ^ k} }

func (r *soakRand) next() uint64 {
	r.state += 0x9E3779B97F4A7C15
	z := r.state
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}

// soakPlan is what stream k does, drawn in this order: its size, whether it
// is abandoned and after how many bytes; then one draw per write (soakWrite).
type soakPlan struct {
	size    int
	abort   bool
	abortAt int
}

func newSoakPlan(r *soakRand) soakPlan {
	size := int(r.next() % (soakMaxSize + 1))
	abort := r.next()%soakAbortOneIn == 0
	abortAt := int(r.next() % uint64(size+1))
	return soakPlan{size: size, abort: abort, abortAt: abortAt}
}

// limit is how many bytes the stream writes before its FIN or its abort.
func (p soakPlan) limit() int {
	if p.abort {
		return p.abortAt
	}
	return p.size
}

// soakWrite is the size of the next write: one in four is 1..64 bytes (small
// DATA frames), the others 1..32 KiB.
func soakWrite(r *soakRand) int {
	w := r.next()
	if w%4 == 0 {
		return 1 + int((w>>8)%64)
	}
	return 1 + int((w>>8)%(32<<10))
}

// soakCounts is the client's tally.
type soakCounts struct {
	ok, failed, aborted, bytes, mismatches atomic.Int64
	mismatch                               firstErr
}

// soakClient keeps soakInFlight streams busy for Params.SoakDuration, then
// waits for those in flight. A stream that fails (the server's reset, the
// session cut) is counted, not fatal; only a byte that differs from what was
// sent, or a clean end-of-stream at the wrong length, fails the side
// (SPEC [STREAM-6]: the echo ends with the server's FIN after every byte).
// Go has no API to reset a stream with a code, so the streams the plan
// abandons are closed with Close midway instead (a FIN after part of the
// data, then Go forgets the stream, SPEC [STREAM-9]); observed.abort says so.
func soakClient(e *Env) error {
	var counts soakCounts
	end := time.Now().Add(e.Params.SoakDuration)
	slots := make(chan struct{}, soakInFlight)
	var wg sync.WaitGroup
	// The server opens no stream: Accept returns only when the session has
	// ended. 2016 and v2.0.1 still open streams on a dead session (SPEC
	// INTEROP-15), so this is how the client learns of a cut.
	ended := e.ended()
	opened := 0
opening:
	for time.Now().Before(end) {
		e.step("soak: opening stream %d (%d in flight at most)", opened, soakInFlight)
		select {
		case slots <- struct{}{}:
		case <-ended:
			e.observe("ended_early", true)
			break opening
		}
		if !time.Now().Before(end) {
			<-slots
			break
		}
		c, err := e.Sess.Open()
		if err != nil {
			// The session ended (a cut): no more streams.
			e.observe("open_error", e.describe(err))
			<-slots
			break
		}
		wg.Add(1)
		go func(k uint64, c net.Conn) {
			defer wg.Done()
			defer func() { <-slots }()
			e.soakStream(k, c, &counts)
		}(uint64(opened), c)
		opened++
	}
	e.step("soak: waiting for the streams in flight (%d opened)", opened)
	wg.Wait()
	e.observe("streams", opened)
	e.observe("ok_streams", counts.ok.Load())
	e.observe("failed", counts.failed.Load())
	e.observe("aborted", counts.aborted.Load())
	e.observe("abort", "close")
	e.observe("bytes", counts.bytes.Load())
	e.observe("mismatches", counts.mismatches.Load())
	if err := counts.mismatch.get(); err != nil {
		return err
	}
	e.seen("%d streams: %d echoed exactly (%d bytes), %d failed (%d closed midway on purpose)",
		opened, counts.ok.Load(), counts.bytes.Load(), counts.failed.Load(), counts.aborted.Load())
	return nil
}

// soakRead is what the reader of one soak stream saw.
type soakRead struct {
	n        uint64 // bytes received
	eof      bool   // a clean end-of-stream
	err      error  // the read error, if not EOF
	mismatch error  // the first byte that differs, if any
}

// soakStream plays stream k: writes its plan while a reader checks the echo.
func (e *Env) soakStream(k uint64, c net.Conn, counts *soakCounts) {
	// Closed exactly once: every Go Close sends a FIN of its own (INTEROP-10).
	closed := false
	closeOnce := func() {
		if !closed {
			closed = true
			_ = c.Close()
		}
	}
	defer closeOnce()
	r := newSoakRand(e.Params.Seed, k)
	plan := newSoakPlan(r)
	data := pattern(k, 0, plan.size)
	got := make(chan soakRead, 1)
	go func() {
		// Reads to the end even after a mismatch, so that the server's
		// echo never waits for window on this stream.
		p := newPatternChecker(k, uint64(plan.size))
		buf := make([]byte, 32<<10)
		var res soakRead
		for {
			n, err := c.Read(buf)
			if n > 0 && res.mismatch == nil {
				res.mismatch = p.check(buf[:n])
			}
			res.n += uint64(n)
			if err == io.EOF {
				res.eof = true
				break
			}
			if err != nil {
				res.err = err
				break
			}
		}
		got <- res
	}()
	var werr error
	for off := 0; off < plan.limit(); {
		n := min(soakWrite(r), plan.limit()-off)
		if _, err := c.Write(data[off : off+n]); err != nil {
			werr = err
			break
		}
		off += n
	}
	switch {
	case werr != nil || plan.abort:
		// Failed (Close unblocks the reader), or abandoned on purpose.
		closeOnce()
	default:
		if werr = closeWrite(c); werr != nil {
			closeOnce()
		}
	}
	res := <-got
	switch {
	case res.mismatch != nil:
		counts.mismatches.Add(1)
		counts.failed.Add(1)
		counts.mismatch.add(fmt.Errorf("stream %d (id %d, %d bytes): %w", k, streamID(c), plan.size, res.mismatch))
	case plan.abort:
		counts.aborted.Add(1)
		counts.failed.Add(1)
	case werr != nil || !res.eof:
		counts.failed.Add(1)
	case res.n != uint64(plan.size):
		counts.mismatches.Add(1)
		counts.failed.Add(1)
		counts.mismatch.add(fmt.Errorf("stream %d (id %d): end of stream after %d of %d bytes", k, streamID(c), res.n, plan.size))
	default:
		counts.ok.Add(1)
		counts.bytes.Add(int64(res.n))
	}
}

// soakServer echoes every stream until the session ends (the client's close,
// or a cut transport): copies everything it reads back, then half-closes. A
// stream that fails (reset by the client, SPEC [RST-4]; or failed by the
// session's end, [SESSION-2]) is counted, not fatal.
func soakServer(e *Env) error {
	var complete, failed, echoed atomic.Int64
	var wg sync.WaitGroup
	accepted := 0
	e.step("soak: echoing streams until the session ends")
	for a := range e.acceptLoop() {
		if a.err != nil {
			e.observe("end", e.describe(a.err))
			break
		}
		accepted++
		wg.Add(1)
		go func(c net.Conn) {
			defer wg.Done()
			defer c.Close()
			n, err := io.Copy(c, c)
			echoed.Add(n)
			if err == nil {
				err = closeWrite(c)
			}
			if err != nil {
				failed.Add(1)
				return
			}
			complete.Add(1)
		}(a.c)
	}
	e.step("soak: finishing the echoes of %d streams", accepted)
	wg.Wait()
	e.observe("streams", accepted)
	e.observe("complete", complete.Load())
	e.observe("failed", failed.Load())
	e.observe("bytes", echoed.Load())
	e.seen("%d streams: %d echoed and half-closed, %d failed; %d bytes echoed", accepted, complete.Load(), failed.Load(), echoed.Load())
	return nil
}
