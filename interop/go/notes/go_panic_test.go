package notes

// A panic inside one of a Go session's two goroutines (session.go reader and
// writer, each with a deferred recoverPanic). The panic is injected by the
// transport: its Read or Write panics once, when armed.

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"muxado-interop/upstream"
)

// panicConn is a Go session's transport whose next Read (after reading) or
// next Write (before writing) panics once armed.
type panicConn struct {
	*net.TCPConn
	readPanic, writePanic atomic.Bool
}

const (
	readPanicValue  = "notes: injected panic in Read"
	writePanicValue = "notes: injected panic in Write"
)

func (c *panicConn) Read(b []byte) (int, error) {
	n, err := c.TCPConn.Read(b)
	if c.readPanic.CompareAndSwap(true, false) {
		panic(readPanicValue)
	}
	return n, err
}

func (c *panicConn) Write(b []byte) (int, error) {
	if c.writePanic.CompareAndSwap(true, false) {
		panic(writePanicValue)
	}
	return c.TCPConn.Write(b)
}

// startPanicky runs a Go server session on a panicConn with stream 3 open
// and accepted. The SYN is empty, so Go has nothing to write (no WNDINC)
// before a test arms a panic.
func startPanicky(t *testing.T, impl upstream.Impl) (*peer, upstream.Session, *panicConn, net.Conn) {
	t.Helper()
	goSide, rawSide := tcpPair(t)
	pc := &panicConn{TCPConn: goSide}
	s := impl.Server(pc, upstream.Config{})
	t.Cleanup(func() { _ = s.Close(); _ = rawSide.Close(); _ = goSide.Close() })
	p := newPeer(t, rawSide)
	p.send(dataFrame(3, flagSYN, nil))
	return p, s, pc, accept(t, s)
}

// A panic in the reader goroutine is recovered and ends the session with
// INTERNAL_ERROR: the GOAWAY carries code 0x2, the last stream id, and the
// debug text "reader() panic: " followed by the panic value; Go then closes
// the transport, and Wait reports the same error locally.
//
// checks: [ERR-3] [SESSION-1]
func TestGoPanicInReaderSendsInternalError(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s, pc, _ := startPanicky(t, impl)
		pc.readPanic.Store(true)
		p.send(dataFrame(3, 0, []byte("boom")))
		p.expect(wantGOAWAY(codeInternalError, ptr(3), []byte("reader() panic: "+readPanicValue)))
		p.expectEOF()
		w := waitSession(t, s)
		checkCode(t, impl, "Wait local error", w.local, codeInternalError)
		if got := w.local.Error(); got != "reader() panic: "+readPanicValue {
			t.Fatalf("Wait local error %q", got)
		}
	})
}

// A panic in the writer goroutine is recovered too, and ends the session
// with INTERNAL_ERROR (Wait says "writer() panic: …"), but the GOAWAY never
// reaches the wire: the writer goroutine that would write it has returned,
// so die's GoAway waits its 250 ms in vain before Go closes the transport.
// The peer gets end-of-file with no frame; the Write whose frame was being
// written when the transport panicked fails with SESSION_CLOSED.
//
// checks: [ERR-3] [SESSION-1]
func TestGoPanicInWriterSendsNoGoAway(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s, pc, c := startPanicky(t, impl)
		p.ignore = func(rawFrame) bool { return false }
		pc.writePanic.Store(true)
		wrote := time.Now()
		w := writeAsync(c, []byte("lost"))
		p.expectEOF()
		if d := time.Since(wrote); d < 200*time.Millisecond {
			t.Fatalf("the transport closed %v after the panic, want after die's 250 ms GOAWAY attempt", d)
		}
		checkCode(t, impl, "the Write whose frame panicked", result(t, "the Write", w).err, codeSessionClosed)
		ws := waitSession(t, s)
		checkCode(t, impl, "Wait local error", ws.local, codeInternalError)
		if got := ws.local.Error(); got != "writer() panic: "+writePanicValue {
			t.Fatalf("Wait local error %q", got)
		}
	})
}
