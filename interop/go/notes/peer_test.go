package notes

// Shared helpers of the notes tests: a raw frame peer written from SPEC
// section 3 (frame builders and a frame reader), the session set-up over
// loopback TCP, and bounded waits for the Go side.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"muxado-interop/linked"
	"muxado-interop/upstream"
)

// Frame types and flags (SPEC FRAME-3, section 4.2).
const (
	typeRST    = 0x0
	typeDATA   = 0x1
	typeWNDINC = 0x2
	typeGOAWAY = 0x3

	flagFIN = 0x1
	flagSYN = 0x2
)

// Error codes (SPEC section 9).
const (
	codeNoError         = 0x0
	codeProtocolError   = 0x1
	codeInternalError   = 0x2
	codeStreamClosed    = 0x4
	codeStreamRefused   = 0x5
	codeFrameSizeError  = 0x8
	codeAcceptQueueFull = 0x9
	codeRemoteGoneAway  = 0xB
	codePeerEOF         = 0xF
	codeUnknown         = 0xFF
)

const (
	// patience bounds every wait for something that must happen.
	patience = 5 * time.Second
	// quiet is how long a test watches for something that must not happen.
	quiet = 300 * time.Millisecond
	// connLife is a hard deadline on both ends of every test connection.
	connLife = 60 * time.Second
)

// ---- versions ----

// forEachVersion runs fn as a subtest for every linked Go version.
func forEachVersion(t *testing.T, fn func(t *testing.T, impl upstream.Impl)) {
	for _, impl := range linked.Impls() {
		impl := impl
		t.Run(impl.Version, func(t *testing.T) {
			before202(t, impl.Version) // fails on a version with no recorded expectations
			fn(t, impl)
		})
	}
}

// before202 reports whether version predates v2.0.2, which fixed the GOAWAY
// debug over-read (INTEROP-1) and rejects duplicate SYNs (INTEROP-4). An
// unknown version fails the test: its expected behaviour is not recorded.
func before202(t *testing.T, version string) bool {
	t.Helper()
	switch version {
	case "2016", "v2.0.1":
		return true
	case "v2.0.2":
		return false
	}
	t.Fatalf("no expectation recorded for Go version %q", version)
	return false
}

// ---- frame builders ----

func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// frameBytes builds one frame: the 8-byte header (24-bit length, type<<4 |
// flags, 32-bit stream-id word, all big-endian) and the body parts.
func frameBytes(typ, flags uint8, streamWord uint32, body ...[]byte) []byte {
	b := bytes.Join(body, nil)
	n := len(b)
	h := []byte{byte(n >> 16), byte(n >> 8), byte(n), typ<<4 | flags&0xF}
	return append(append(h, u32(streamWord)...), b...)
}

func dataFrame(sid uint32, flags uint8, payload []byte) []byte {
	return frameBytes(typeDATA, flags, sid, payload)
}

func goawayFrame(last, code uint32, debug []byte) []byte {
	return frameBytes(typeGOAWAY, 0, 0, u32(last), u32(code), debug)
}

// ---- frames received from Go ----

type rawFrame struct {
	Type, Flags uint8
	StreamID    uint32 // the whole stream-id word
	Body        []byte
}

func (f rawFrame) word(i int) uint32 {
	if len(f.Body) < 4*i+4 {
		return 0xFFFFFFFF
	}
	return binary.BigEndian.Uint32(f.Body[4*i:])
}

// code is the error code of an RST or GOAWAY.
func (f rawFrame) code() uint32 {
	if f.Type == typeGOAWAY {
		return f.word(1)
	}
	return f.word(0)
}

func (f rawFrame) String() string {
	name := map[uint8]string{typeRST: "RST", typeDATA: "DATA", typeWNDINC: "WNDINC", typeGOAWAY: "GOAWAY"}[f.Type]
	if name == "" {
		name = fmt.Sprintf("type%d", f.Type)
	}
	s := fmt.Sprintf("%s(sid=0x%x flags=0x%x", name, f.StreamID, f.Flags)
	switch f.Type {
	case typeRST:
		s += fmt.Sprintf(" code=%d", f.code())
	case typeWNDINC:
		s += fmt.Sprintf(" inc=%d", f.word(0))
	case typeGOAWAY:
		s += fmt.Sprintf(" last=%d code=%d debug=%q", f.word(0), f.code(), clip(f.Body[min(8, len(f.Body)):]))
	default:
		s += fmt.Sprintf(" payload=%q", clip(f.Body))
	}
	return s + ")"
}

func clip(b []byte) string {
	if len(b) > 40 {
		return fmt.Sprintf("%s...(%d bytes)", b[:40], len(b))
	}
	return string(b)
}

// want is a frame a test waits for.
type want struct {
	desc  string
	match func(rawFrame) bool
}

func wantRST(sid, code uint32) want {
	return want{fmt.Sprintf("RST(sid=0x%x code=%d)", sid, code), func(f rawFrame) bool {
		return f.Type == typeRST && f.StreamID == sid && len(f.Body) == 4 && f.code() == code
	}}
}

func wantDATA(sid uint32, flags uint8, payload []byte) want {
	return want{fmt.Sprintf("DATA(sid=0x%x flags=0x%x payload=%q)", sid, flags, payload), func(f rawFrame) bool {
		return f.Type == typeDATA && f.StreamID == sid && f.Flags == flags && bytes.Equal(f.Body, payload)
	}}
}

func wantWNDINC(sid, inc uint32) want {
	return want{fmt.Sprintf("WNDINC(sid=0x%x inc=%d)", sid, inc), func(f rawFrame) bool {
		return f.Type == typeWNDINC && f.StreamID == sid && f.word(0) == inc
	}}
}

// wantGOAWAY matches a GOAWAY with that code; last and debug are checked
// unless they are nil.
func wantGOAWAY(code uint32, last *uint32, debug []byte) want {
	d := fmt.Sprintf("GOAWAY(code=%d", code)
	if last != nil {
		d += fmt.Sprintf(" last=%d", *last)
	}
	if debug != nil {
		d += fmt.Sprintf(" debug=%q", debug)
	}
	return want{d + ")", func(f rawFrame) bool {
		return f.Type == typeGOAWAY && f.StreamID == 0 && len(f.Body) >= 8 && f.code() == code &&
			(last == nil || f.word(0) == *last) && (debug == nil || bytes.Equal(f.Body[8:], debug))
	}}
}

func ptr(v uint32) *uint32 { return &v }

// ---- the raw peer ----

type peer struct {
	t      *testing.T
	conn   *net.TCPConn
	frames chan rawFrame // closed when the Go side's output ends
	err    error         // why it ended; read only after frames is closed
	seen   []string      // frames received so far, for failure messages
	// ignore says which frames a wait may skip: by default the WNDINC frames
	// Go sends after each read.
	ignore func(rawFrame) bool
}

func newPeer(t *testing.T, conn *net.TCPConn) *peer {
	p := &peer{t: t, conn: conn, frames: make(chan rawFrame, 4096),
		ignore: func(f rawFrame) bool { return f.Type == typeWNDINC }}
	go p.readLoop()
	return p
}

func (p *peer) readLoop() {
	defer close(p.frames)
	for {
		var h [8]byte
		if _, err := io.ReadFull(p.conn, h[:]); err != nil {
			p.err = err
			return
		}
		f := rawFrame{Type: h[3] >> 4, Flags: h[3] & 0xF, StreamID: binary.BigEndian.Uint32(h[4:])}
		f.Body = make([]byte, int(h[0])<<16|int(h[1])<<8|int(h[2]))
		if _, err := io.ReadFull(p.conn, f.Body); err != nil {
			p.err = fmt.Errorf("inside a frame: %w", err)
			return
		}
		p.frames <- f
	}
}

// send writes frames (or any bytes) to the Go side.
func (p *peer) send(parts ...[]byte) {
	p.t.Helper()
	if _, err := p.conn.Write(bytes.Join(parts, nil)); err != nil {
		p.t.Fatalf("raw peer write: %v", err)
	}
}

// closeWrite ends the raw peer's output (TCP half-close), so the Go side
// reads end-of-file while the peer can still read what Go sends.
func (p *peer) closeWrite() {
	p.t.Helper()
	if err := p.conn.CloseWrite(); err != nil {
		p.t.Fatalf("raw peer CloseWrite: %v", err)
	}
}

func (p *peer) history() string {
	if len(p.seen) == 0 {
		return "none"
	}
	return strings.Join(p.seen, ", ")
}

// expect waits for the next frame that is not ignorable and requires it to
// match w.
func (p *peer) expect(w want) rawFrame {
	p.t.Helper()
	timeout := time.After(patience)
	for {
		select {
		case f, ok := <-p.frames:
			if !ok {
				p.t.Fatalf("waiting for %s: Go's output ended (%v); frames received: %s", w.desc, p.err, p.history())
			}
			p.seen = append(p.seen, f.String())
			if w.match(f) {
				return f
			}
			if !p.ignore(f) {
				p.t.Fatalf("waiting for %s: got %s instead; frames received: %s", w.desc, f, p.history())
			}
		case <-timeout:
			p.t.Fatalf("timed out after %v waiting for %s; frames received: %s", patience, w.desc, p.history())
		}
	}
}

// expectQuiet requires that Go sends nothing but ignorable frames, and keeps
// the connection open, for d.
func (p *peer) expectQuiet(d time.Duration, why string) {
	p.t.Helper()
	timeout := time.After(d)
	for {
		select {
		case f, ok := <-p.frames:
			if !ok {
				p.t.Fatalf("%s: Go's output ended (%v) within %v; frames received: %s", why, p.err, d, p.history())
			}
			p.seen = append(p.seen, f.String())
			if !p.ignore(f) {
				p.t.Fatalf("%s: Go sent %s within %v; frames received: %s", why, f, d, p.history())
			}
		case <-timeout:
			return
		}
	}
}

// expectEOF waits for Go to close the transport, allowing only ignorable
// frames before it.
func (p *peer) expectEOF() {
	p.t.Helper()
	timeout := time.After(patience)
	for {
		select {
		case f, ok := <-p.frames:
			if !ok {
				if !errors.Is(p.err, io.EOF) && !isReset(p.err) {
					p.t.Fatalf("Go's output ended with %v, not end-of-file", p.err)
				}
				return
			}
			p.seen = append(p.seen, f.String())
			if !p.ignore(f) {
				p.t.Fatalf("waiting for Go to close the transport: got %s; frames received: %s", f, p.history())
			}
		case <-timeout:
			p.t.Fatalf("timed out after %v waiting for Go to close the transport; frames received: %s", patience, p.history())
		}
	}
}

// isReset reports a TCP reset: Linux sends one instead of FIN when Go closes
// a socket that still holds unread input.
func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

// ---- set-up ----

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (goSide, rawSide *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	type acc struct {
		c   net.Conn
		err error
	}
	ch := make(chan acc, 1)
	go func() {
		c, err := ln.Accept()
		ch <- acc{c, err}
	}()
	raw, err := net.DialTimeout("tcp", ln.Addr().String(), patience)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	a := await(t, "loopback accept", func() acc { return <-ch })
	if a.err != nil {
		t.Fatalf("accept: %v", a.err)
	}
	goSide, rawSide = a.c.(*net.TCPConn), raw.(*net.TCPConn)
	dl := time.Now().Add(connLife)
	_ = goSide.SetDeadline(dl)
	_ = rawSide.SetDeadline(dl)
	return goSide, rawSide
}

// start runs a Go session (server or client) on one end of a loopback TCP
// connection and returns the raw peer on the other end.
func start(t *testing.T, impl upstream.Impl, server bool, cfg upstream.Config) (*peer, upstream.Session) {
	t.Helper()
	goSide, rawSide := tcpPair(t)
	var s upstream.Session
	if server {
		s = impl.Server(goSide, cfg)
	} else {
		s = impl.Client(goSide, cfg)
	}
	t.Cleanup(func() {
		_ = s.Close()
		_ = rawSide.Close()
		_ = goSide.Close()
	})
	return newPeer(t, rawSide), s
}

// ---- bounded waits on the Go side ----

// async runs fn in a goroutine and returns a channel for its result.
func async[T any](fn func() T) <-chan T {
	ch := make(chan T, 1)
	go func() { ch <- fn() }()
	return ch
}

// result waits up to patience for a value from ch.
func result[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(patience):
		t.Fatalf("timed out after %v waiting for %s", patience, what)
		panic("unreachable")
	}
}

// await runs fn and waits up to patience for it to return.
func await[T any](t *testing.T, what string, fn func() T) T {
	t.Helper()
	return result(t, what, async(fn))
}

// stillPending requires that ch yields nothing for d.
func stillPending[T any](t *testing.T, what string, ch <-chan T, d time.Duration) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("%s returned within %v (%+v); it must not", what, d, v)
	case <-time.After(d):
	}
}

type connErr struct {
	c   net.Conn
	err error
}

type bytesErr struct {
	b   []byte
	err error
}

type waitResult struct {
	local, remote error
	debug         []byte
}

func acceptAsync(s upstream.Session) <-chan connErr {
	return async(func() connErr { c, err := s.Accept(); return connErr{c, err} })
}

// accept waits for Go to accept a stream.
func accept(t *testing.T, s upstream.Session) net.Conn {
	t.Helper()
	r := result(t, "Accept", acceptAsync(s))
	if r.err != nil {
		t.Fatalf("Accept: %v", r.err)
	}
	return r.c
}

func readAsync(c net.Conn, n int) <-chan bytesErr {
	return async(func() bytesErr {
		b := make([]byte, n)
		k, err := io.ReadFull(c, b)
		return bytesErr{b[:k], err}
	})
}

// readExactly reads n bytes from a Go stream and requires them to be want.
func readExactly(t *testing.T, c net.Conn, want []byte) {
	t.Helper()
	r := result(t, fmt.Sprintf("reading %q from a Go stream", want), readAsync(c, len(want)))
	if r.err != nil || !bytes.Equal(r.b, want) {
		t.Fatalf("Go stream read %q (err %v), want %q", r.b, r.err, want)
	}
}

// readToEOF reads a Go stream until end-of-stream.
func readToEOF(t *testing.T, c net.Conn) []byte {
	t.Helper()
	r := await(t, "a Go stream to reach end-of-stream", func() bytesErr {
		b, err := io.ReadAll(c)
		return bytesErr{b, err}
	})
	if r.err != nil {
		t.Fatalf("reading a Go stream to its end: %v (after %q)", r.err, r.b)
	}
	return r.b
}

// waitSession waits for the Go session to end and returns what Wait reports.
func waitSession(t *testing.T, s upstream.Session) waitResult {
	t.Helper()
	return await(t, "the Go session to end (Wait)", func() waitResult {
		l, r, d := s.Wait()
		return waitResult{l, r, d}
	})
}

// streamID returns the id Go gave a stream.
func streamID(t *testing.T, c net.Conn) uint32 {
	t.Helper()
	s, ok := c.(interface{ Id() uint32 })
	if !ok {
		t.Fatalf("stream %T has no Id method", c)
	}
	return s.Id()
}

// checkCode requires err to carry the muxado error code want.
func checkCode(t *testing.T, impl upstream.Impl, what string, err error, want uint32) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want error code %d", what, want)
	}
	if got := impl.ErrorCode(err); got != want {
		t.Fatalf("%s: error %q has code %d (0x%x), want %d (0x%x)", what, err, got, got, want, want)
	}
}
