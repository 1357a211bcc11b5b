package notes

// What every Go version does with DATA on the receiving side: when the bytes
// of a frame reach the application, how late DATA is answered on a stream Go
// remembers or has forgotten, how a window overrun is buffered, how v2.0.2
// treats a FIN on a frame that is also a stream error, and what Close does
// while a Write waits for window. The mechanism is in session.go
// (handleFrame), stream.go (handleStreamData, resetWith, Close, write) and
// buffer.go (inboundBuffer.ReadFrom, Read) of each version.

import (
	"bytes"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"muxado-interop/upstream"
)

// readAll reads a Go stream until its first error and returns the bytes and
// that error (io.EOF included, unlike io.ReadAll).
func readAll(c net.Conn) bytesErr {
	var out []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			return bytesErr{out, err}
		}
	}
}

// readAllAsync runs readAll in a goroutine.
func readAllAsync(c net.Conn) <-chan bytesErr {
	return async(func() bytesErr { return readAll(c) })
}

// acceptSyn has the raw peer open stream sid with a SYN frame carrying
// payload, and returns the stream the Go server accepted.
func acceptSyn(t *testing.T, p *peer, s upstream.Session, sid uint32, flags uint8, payload []byte) net.Conn {
	t.Helper()
	p.send(dataFrame(sid, flagSYN|flags, payload))
	c := accept(t, s)
	if id := streamID(t, c); id != sid {
		t.Fatalf("accepted stream id %d, want %d", id, sid)
	}
	return c
}

// A DATA frame's bytes reach a Go reader only once the frame's last byte has
// arrived: the session's reader copies the whole body into the stream's
// buffer under the buffer's lock (inboundBuffer.ReadFrom), so a Read waits
// for the lock, even for bytes an earlier, complete frame had delivered.
//
// checks: [STREAM-6] [INTEROP-17]
func TestGoDataDeliveredOnlyWhole(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, true, upstream.Config{})
		c := acceptSyn(t, p, s, 3, 0, nil)

		// 4 of 10 body bytes: a 1-byte Read gets nothing.
		frame := dataFrame(3, 0, []byte("abcdefghij"))
		p.send(frame[:8+4])
		read := readAsync(c, 1)
		stillPending(t, "a 1-byte Read while the frame's body is incomplete", read, quiet)
		p.send(frame[8+4:])
		if r := result(t, "the Read once the frame is complete", read); r.err != nil || string(r.b) != "a" {
			t.Fatalf("Read = %q, %v; want \"a\"", r.b, r.err)
		}
		readExactly(t, c, []byte("bcdefghij"))

		// Bytes of a complete frame, still unread, are held back too while a
		// later frame's body is incomplete.
		p.send(dataFrame(3, 0, []byte("xy")))
		time.Sleep(quiet) // Go's reader has buffered "xy"
		frame = dataFrame(3, 0, []byte("0123456789"))
		p.send(frame[:8+4])
		time.Sleep(quiet) // Go's reader now waits inside the second body
		read = readAsync(c, 1)
		stillPending(t, "a Read of the buffered \"xy\" while a later frame is incomplete", read, quiet)
		p.send(frame[8+4:])
		if r := result(t, "the Read once the frame is complete", read); r.err != nil || string(r.b) != "x" {
			t.Fatalf("Read = %q, %v; want \"x\"", r.b, r.err)
		}
		readExactly(t, c, []byte("y0123456789"))
	})
}

// DATA for a stream id Go has forgotten, or never knew, draws RST
// STREAM_CLOSED every time (session.handleFrame). DATA for a stream whose
// receive half ended by FIN while Go still sends on it goes to the stream
// (stream.handleStreamData): the first such frame draws one RST
// STREAM_CLOSED and also ends Go's own sending half (resetWith), its reader
// gets the bytes it had buffered and then STREAM_CLOSED instead of
// end-of-stream; later DATA is discarded without an answer until Go forgets
// the id 5 seconds after its RST, and from then on draws an RST every time.
// A stream Go closed with Close is forgotten at once.
//
// checks: [STREAM-8] [STREAM-9] [STREAM-11] [INTEROP-18]
func TestGoLateDataRememberedOrForgotten(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, true, upstream.Config{})

		// Stream 1 was never opened: every DATA draws an RST.
		for i := 0; i < 2; i++ {
			p.send(dataFrame(1, 0, []byte("never")))
			p.expect(wantRST(1, codeStreamClosed))
		}

		// Stream 3: the peer's half ended by FIN, Go's half is open.
		c := acceptSyn(t, p, s, 3, 0, []byte("a"))
		p.send(dataFrame(3, flagFIN, nil))
		p.expectQuiet(quiet, "after the peer's FIN on stream 3")
		p.send(dataFrame(3, 0, []byte("late1")))
		p.expect(wantRST(3, codeStreamClosed))
		r := result(t, "reading stream 3 to its end", readAllAsync(c))
		if string(r.b) != "a" {
			t.Fatalf("stream 3 read %q, want \"a\"", r.b)
		}
		checkCode(t, impl, "the read after the buffered bytes of stream 3", r.err, codeStreamClosed)
		if err := await(t, "Write on stream 3", func() error { _, err := c.Write([]byte("reply")); return err }); err == nil {
			t.Fatalf("Write on stream 3 succeeded after Go's RST")
		} else {
			checkCode(t, impl, "Write on stream 3 after Go's RST", err, codeStreamClosed)
		}
		// Remembered: no answer for 5 seconds.
		p.send(dataFrame(3, 0, []byte("late2")))
		p.expectQuiet(quiet, "DATA on stream 3 within 5 s of Go's RST")
		// Forgotten: an RST for every frame.
		time.Sleep(5*time.Second + 200*time.Millisecond)
		for i := 0; i < 2; i++ {
			p.send(dataFrame(3, 0, []byte("late3")))
			p.expect(wantRST(3, codeStreamClosed))
		}

		// Stream 5: Go closes it; it is forgotten at once.
		c = acceptSyn(t, p, s, 5, 0, nil)
		if err := await(t, "Close on stream 5", c.Close); err != nil {
			t.Fatalf("Close: %v", err)
		}
		p.expect(wantDATA(5, flagFIN, nil))
		for i := 0; i < 2; i++ {
			p.send(dataFrame(5, 0, []byte("late")))
			p.expect(wantRST(5, codeStreamClosed))
		}
	})
}

// A DATA frame that takes a stream's unread bytes above the window is read
// whole into the stream's buffer before Go compares (inboundBuffer.ReadFrom
// checks the buffer's length after copying the body): Go answers RST
// FLOW_CONTROL_ERROR, and its application can still read every byte of the
// offending frame, then gets FLOW_CONTROL_ERROR. Each of those reads sends a
// WNDINC after Go's RST. Later DATA within 5 seconds is discarded without an
// answer.
//
// checks: [FLOW-4] [FLOW-10] [STREAM-11] [INTEROP-19]
func TestGoWindowOverrunBufferedWhole(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		const window = 16
		p, s := start(t, impl, true, upstream.Config{MaxWindowSize: window})
		c := acceptSyn(t, p, s, 3, 0, []byte("0123456789"))
		big := bytes.Repeat([]byte("z"), 1<<20)
		p.send(dataFrame(3, 0, big))
		p.expect(wantRST(3, codeFlowControlError))

		r := result(t, "reading stream 3 to its end", readAllAsync(c))
		if want := append([]byte("0123456789"), big...); !bytes.Equal(r.b, want) {
			t.Fatalf("stream 3 read %d bytes, want %d (the window is %d)", len(r.b), len(want), window)
		}
		checkCode(t, impl, "the read after the buffered bytes", r.err, codeFlowControlError)
		// The reads credit what they consumed, although Go reset the stream.
		p.ignore = func(rawFrame) bool { return false }
		var credited uint32
		for credited < uint32(len(r.b)) {
			f := p.expect(want{"WNDINC(sid=0x3)", func(f rawFrame) bool { return f.Type == typeWNDINC && f.StreamID == 3 }})
			credited += f.word(0)
		}
		p.send(dataFrame(3, 0, []byte("more")))
		p.expectQuiet(quiet, "DATA on stream 3 within 5 s of Go's RST")
	})
}

const codeFlowControlError = 0x3

// A DATA frame with FIN that is also a stream error (an overrun, or DATA
// after the peer's FIN): 2016 and v2.0.1 return from handleStreamData after
// the RST, so the FIN is not applied and the reader ends with the stream
// error. v2.0.2 dropped that return and applies the FIN after the RST: the
// reader gets the bytes and then a clean end-of-stream, and a stream whose
// sending half had ended is forgotten at once, so the next DATA draws RST
// STREAM_CLOSED instead of being ignored for 5 seconds.
//
// checks: [FLOW-4] [STREAM-8] [STREAM-11] [INTEROP-19]
func TestGoFinOnStreamErrorFrame(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		old := before202(t, impl.Version)
		const window = 16
		p, s := start(t, impl, true, upstream.Config{MaxWindowSize: window})

		// Overrun with FIN, Go's own half already ended by CloseWrite.
		c := acceptSyn(t, p, s, 3, 0, []byte("0123456789"))
		cw := c.(interface{ CloseWrite() error })
		if err := await(t, "CloseWrite", cw.CloseWrite); err != nil {
			t.Fatalf("CloseWrite: %v", err)
		}
		p.expect(wantDATA(3, flagFIN, nil))
		p.send(dataFrame(3, flagFIN, []byte("abcdefghij")))
		p.expect(wantRST(3, codeFlowControlError))
		r := result(t, "reading stream 3 to its end", readAllAsync(c))
		if string(r.b) != "0123456789abcdefghij" {
			t.Fatalf("stream 3 read %q", r.b)
		}
		p.send(dataFrame(3, 0, []byte("late")))
		if old {
			checkCode(t, impl, "the read after the overrun with FIN", r.err, codeFlowControlError)
			p.expectQuiet(quiet, "DATA on stream 3 within 5 s of Go's RST")
		} else {
			if r.err.Error() != "EOF" {
				t.Fatalf("the read after the overrun with FIN: %v, want end-of-stream", r.err)
			}
			p.expect(wantRST(3, codeStreamClosed))
		}

		// DATA with FIN after the peer's FIN, Go's half still open.
		c = acceptSyn(t, p, s, 5, flagFIN, []byte("a"))
		p.send(dataFrame(5, flagFIN, []byte("b")))
		p.expect(wantRST(5, codeStreamClosed))
		r = result(t, "reading stream 5 to its end", readAllAsync(c))
		if string(r.b) != "a" {
			t.Fatalf("stream 5 read %q, want \"a\"", r.b)
		}
		if old {
			checkCode(t, impl, "the read on stream 5", r.err, codeStreamClosed)
		} else if r.err.Error() != "EOF" {
			t.Fatalf("the read on stream 5: %v, want end-of-stream", r.err)
		}
	})
}

// Close while a Write waits for window blocks: Close's FIN goes through the
// same writer lock the waiting Write holds (stream.write), so Close returns
// only after the Write finished. Nothing is sent meanwhile. In v2.0.1 and
// v2.0.2, Close first ends the stream's read side (inboundBuffer.Close), so a
// pending Read returns end-of-stream at once; in 2016 it keeps waiting. A
// WNDINC from the peer lets the Write send its rest, then Close sends FIN and
// returns; an RST fails the Write and lets Close send its FIN and return.
//
// checks: [STREAM-9] [FLOW-3] [INTEROP-20]
func TestGoCloseWhileWriteBlocked(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		is2016 := impl.Version == "2016"
		for _, byRST := range []bool{false, true} {
			name := map[bool]string{false: "released by WNDINC", true: "released by RST"}[byRST]
			t.Run(name, func(t *testing.T) {
				p, s := start(t, impl, false, upstream.Config{MaxWindowSize: 8})
				o := await(t, "Open", func() connErr { c, err := s.Open(); return connErr{c, err} })
				if o.err != nil {
					t.Fatalf("Open: %v", o.err)
				}
				c := o.c
				write := async(func() bytesErr {
					n, err := c.Write([]byte("0123456789AB"))
					return bytesErr{make([]byte, n), err}
				})
				p.expect(wantDATA(3, flagSYN, []byte("01234567")))
				read := readAllAsync(c)
				time.Sleep(quiet / 3)
				closed := async(c.Close)
				stillPending(t, "Close while a Write waits for window", closed, quiet)
				if is2016 {
					stillPending(t, "a Read after Close (2016)", read, quiet/3)
				} else {
					r := result(t, "a Read after Close", read)
					if len(r.b) != 0 || r.err.Error() != "EOF" {
						t.Fatalf("Read after Close = %q, %v; want end-of-stream", r.b, r.err)
					}
				}
				p.expectQuiet(quiet/3, "while Close waits")
				if byRST {
					p.send(frameBytes(typeRST, 0, 3, u32(0x6)))
					p.expect(wantDATA(3, flagFIN, nil))
					w := result(t, "the Write", write)
					if len(w.b) != 8 {
						t.Fatalf("Write wrote %d bytes, want the 8 sent before the RST", len(w.b))
					}
					checkCode(t, impl, "the Write after the RST", w.err, 0x6)
				} else {
					p.send(frameBytes(typeWNDINC, 0, 3, u32(4)))
					p.expect(wantDATA(3, 0, []byte("89AB")))
					p.expect(wantDATA(3, flagFIN, nil))
					if w := result(t, "the Write", write); w.err != nil || len(w.b) != 12 {
						t.Fatalf("Write = %d, %v; want 12, nil", len(w.b), w.err)
					}
				}
				if err := result(t, "Close", closed); err != nil {
					t.Fatalf("Close: %v", err)
				}
			})
		}
	})
}

// A read deadline cannot end a Read that waits for an incomplete DATA frame.
// In v2.0.1 and v2.0.2 the session's reader holds the stream buffer's lock
// until the body is complete (inboundBuffer.ReadFrom); Read, and
// SetReadDeadline itself (inboundBuffer.SetDeadline), wait for that lock, so
// SetReadDeadline does not even return until the frame is complete. On an
// empty buffer v2's deadline works. In 2016 SetReadDeadline does nothing
// (inboundBuffer.SetDeadline is empty): a Read waits past any deadline.
//
// checks: [STREAM-6] [INTEROP-17]
func TestGoReadDeadlineDuringPartialFrame(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		is2016 := impl.Version == "2016"
		p, s := start(t, impl, true, upstream.Config{})
		c := acceptSyn(t, p, s, 3, 0, nil)

		// Empty buffer, no frame in progress.
		_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		read := readAsync(c, 1)
		if is2016 {
			stillPending(t, "a 2016 Read past its deadline", read, quiet)
			p.send(dataFrame(3, 0, []byte("x")))
			if r := result(t, "the Read", read); r.err != nil || string(r.b) != "x" {
				t.Fatalf("Read = %q, %v; want \"x\"", r.b, r.err)
			}
		} else {
			r := result(t, "a Read with a deadline", read)
			if !errors.Is(r.err, os.ErrDeadlineExceeded) {
				t.Fatalf("Read = %q, %v; want a deadline error", r.b, r.err)
			}
			_ = c.SetReadDeadline(time.Time{})
		}

		// A frame in progress.
		frame := dataFrame(3, 0, []byte("abcdefghij"))
		p.send(frame[:8+4])
		time.Sleep(quiet / 3)
		read = readAsync(c, 1)
		set := async(func() error { return c.SetReadDeadline(time.Now().Add(2 * time.Second)) })
		if is2016 {
			result(t, "SetReadDeadline", set)
		} else {
			stillPending(t, "v2's SetReadDeadline while a frame is incomplete", set, quiet)
		}
		stillPending(t, "a Read while a frame is incomplete", read, quiet/3)
		p.send(frame[8+4:])
		if !is2016 {
			result(t, "SetReadDeadline once the frame is complete", set)
		}
		if r := result(t, "the Read once the frame is complete", read); r.err != nil || string(r.b) != "a" {
			t.Fatalf("Read = %q, %v; want \"a\"", r.b, r.err)
		}
	})
}
