package notes

// Limits Go does not have, or has in a way that can hurt: its reader stops
// when its bounded write queue is full, it sets no frame-rate limit, and it
// sets no read timeout on the transport.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"muxado-interop/upstream"
)

// readRawFrame reads one frame from r.
func readRawFrame(r io.Reader) (rawFrame, error) {
	var h [8]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return rawFrame{}, err
	}
	f := rawFrame{Type: h[3] >> 4, Flags: h[3] & 0xF, StreamID: binary.BigEndian.Uint32(h[4:])}
	f.Body = make([]byte, int(h[0])<<16|int(h[1])<<8|int(h[2]))
	if _, err := io.ReadFull(r, f.Body); err != nil {
		return rawFrame{}, fmt.Errorf("inside a frame: %w", err)
	}
	return f, nil
}

// The Go session's reader hands every RST it provokes to the writer through
// the bounded queue (writeFrameAsync), and blocks when the queue is full. A
// Go server session runs on one end of a net.Pipe, which buffers nothing: a
// write returns only once the other end has read all of it. The raw peer on
// the other end never reads, and writes one 9-byte DATA frame per Write, each
// for an unknown stream id, so each draws an RST STREAM_CLOSED. Go's writer
// blocks writing the first RST, 64 more fill the queue, and the reader,
// having read the 66th frame, blocks handing over its RST: exactly 66 Writes
// complete, and the 67th times out (500 ms), as does another one later: Go
// has stopped reading for good, so a peer that, like this one, writes before
// it reads is deadlocked with it. Once the peer reads, everything moves
// again: the 67th frame is read and 67 RSTs arrive, in order.
//
// checks: [LIMIT-6] [STREAM-8]
func TestGoReaderBlocksOnFullWriteQueue(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		const queue = 64
		goEnd, rawEnd := net.Pipe()
		s := impl.Server(goEnd, upstream.Config{})
		t.Cleanup(func() { _ = rawEnd.Close(); _ = goEnd.Close(); _ = s.Close() })
		sid := func(i int) uint32 { return uint32(3 + 2*i) }
		write := func(i int, d time.Duration) error {
			_ = rawEnd.SetWriteDeadline(time.Now().Add(d))
			_, err := rawEnd.Write(dataFrame(sid(i), 0, []byte("x")))
			return err
		}
		taken := -1
		for i := 0; i < 4*queue; i++ {
			if err := write(i, 500*time.Millisecond); err != nil {
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("raw peer write %d: %v", i+1, err)
				}
				taken = i
				break
			}
		}
		t.Logf("Go read %d frames, then stopped reading", taken)
		if taken != 1+queue+1 {
			t.Fatalf("Go read %d RST-provoking frames before it stopped reading, want %d (1 being written, %d queued, 1 waiting)", taken, 1+queue+1, queue)
		}
		time.Sleep(quiet)
		if err := write(taken, 200*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("a later write did not time out (%v): Go resumed reading by itself", err)
		}

		// The peer reads: Go's writer drains, its reader takes frame 67.
		_ = rawEnd.SetReadDeadline(time.Now().Add(patience))
		frames := async(func() error {
			for i := 0; i <= taken; i++ {
				f, err := readRawFrame(rawEnd)
				if err != nil {
					return fmt.Errorf("RST %d: %w", i+1, err)
				}
				if !wantRST(sid(i), codeStreamClosed).match(f) {
					return fmt.Errorf("frame %d is %s, want RST(sid=0x%x code=%d)", i+1, f, sid(i), codeStreamClosed)
				}
			}
			return nil
		})
		if err := write(taken, patience); err != nil {
			t.Fatalf("writing frame %d once the peer reads: %v", taken+1, err)
		}
		if err := result(t, "the RSTs", frames); err != nil {
			t.Fatal(err)
		}
	})
}

// Go sets no limit on the rate of frames: 100,000 harmless frames sent as
// fast as the transport takes them, zero-length DATA on an open stream
// alternating with zero-length frames of the unknown types 4 to 15, draw no
// frame from Go and do not end the session; stream 3 then still carries
// data both ways.
//
// checks: [LIMIT-7] [FRAME-11]
func TestGoNoFrameRateLimit(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		const n, chunk = 100000, 10000
		p, s := start(t, impl, true, upstream.Config{})
		ended := async(func() error { l, _, _ := s.Wait(); return l })
		p.send(dataFrame(3, flagSYN, []byte("hi")))
		c := accept(t, s)
		readExactly(t, c, []byte("hi"))
		began := time.Now()
		for sent := 0; sent < n; sent += chunk {
			var b bytes.Buffer
			for i := sent; i < sent+chunk; i++ {
				if i%2 == 0 {
					b.Write(dataFrame(3, 0, nil))
				} else {
					b.Write(frameBytes(uint8(4+i/2%12), 0, 3))
				}
			}
			p.send(b.Bytes())
		}
		p.send(dataFrame(3, 0, []byte("ping")))
		readExactly(t, c, []byte("ping"))
		t.Logf("%d frames taken in %v", n, time.Since(began))
		if _, err := c.Write([]byte("pong")); err != nil {
			t.Fatalf("write on stream 3 after the frames: %v", err)
		}
		p.expect(wantDATA(3, 0, []byte("pong")))
		p.expectQuiet(quiet, "after 100,000 frames")
		select {
		case err := <-ended:
			t.Fatalf("the session ended: %v", err)
		default:
		}
	})
}

// deadlineWatch is a Go session's transport that counts the calls to its
// deadline setters.
type deadlineWatch struct {
	*net.TCPConn
	calls atomic.Int32
}

func (c *deadlineWatch) SetDeadline(t time.Time) error {
	c.calls.Add(1)
	return c.TCPConn.SetDeadline(t)
}

func (c *deadlineWatch) SetReadDeadline(t time.Time) error {
	c.calls.Add(1)
	return c.TCPConn.SetReadDeadline(t)
}

func (c *deadlineWatch) SetWriteDeadline(t time.Time) error {
	c.calls.Add(1)
	return c.TCPConn.SetWriteDeadline(t)
}

// Go sets no read timeout at the session level. Two Go server sessions
// without heartbeat, on transports whose deadline setters are never called,
// wait 2.5 s: one whose peer sends nothing at all, one whose peer sent the
// first 5 bytes of a frame header and stops. Neither sends anything or
// ends. Then the first accepts a stream and opens one of its own, and the
// second, given the rest of its frame, accepts the stream it opens.
//
// checks: [LIMIT-8]
func TestGoNoSessionReadTimeout(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		const idle = 2500 * time.Millisecond
		type session struct {
			p     *peer
			s     upstream.Session
			w     *deadlineWatch
			ended <-chan error
		}
		newSession := func() session {
			goSide, rawSide := tcpPair(t)
			w := &deadlineWatch{TCPConn: goSide}
			s := impl.Server(w, upstream.Config{})
			t.Cleanup(func() { _ = s.Close(); _ = rawSide.Close(); _ = goSide.Close() })
			return session{newPeer(t, rawSide), s, w, async(func() error { l, _, _ := s.Wait(); return l })}
		}
		silent, partial := newSession(), newSession()
		late := dataFrame(3, flagSYN, []byte("late"))
		partial.p.send(late[:5])

		silent.p.expectQuiet(idle, "a session whose peer sends nothing")
		partial.p.expectQuiet(10*time.Millisecond, "a session whose peer sent 5 bytes of a header")
		for _, x := range []session{silent, partial} {
			select {
			case err := <-x.ended:
				t.Fatalf("a session ended while idle: %v", err)
			default:
			}
			if n := x.w.calls.Load(); n != 0 {
				t.Fatalf("Go set a deadline on its transport %d times", n)
			}
		}

		silent.p.send(dataFrame(3, flagSYN, []byte("hello")))
		readExactly(t, accept(t, silent.s), []byte("hello"))
		c := open(t, silent.s)
		if _, err := c.Write([]byte("back")); err != nil {
			t.Fatalf("write on a stream Go opened: %v", err)
		}
		silent.p.expect(wantDATA(streamID(t, c), flagSYN, []byte("back")))

		partial.p.send(late[5:])
		readExactly(t, accept(t, partial.s), []byte("late"))
	})
}
