// Command agent is the conformance agent (SPEC.md appendix A, AGENT-1 to
// AGENT-6) of a linked Go muxado implementation: the conformance suite starts
// it per case with
//
//	agent [--impl 2016|ngrok]
//
// and the environment of AGENT-1 (MUXADO_ROLE, MUXADO_ADDR, MUXADO_CONTROL,
// MUXADO_CONFIG). It dials the session's transport, runs a Go session of the
// role over it, dials the control connection and turns each JSON command into
// a call of Go's API.
//
// Go's API waits where the contract's calls must not; every place where the
// agent emulates a non-waiting call is marked "Emulation" below and listed in
// README.md ("The conformance agent"). The agent never makes up a result Go
// did not give: what it cannot tell, it answers {"unsupported": why}, and the
// suite reports the case unsupported.
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"time"

	"muxado-interop/adapters/inconshreveable"
	"muxado-interop/adapters/ngrokv2"
	"muxado-interop/upstream"
)

const (
	// grace is how long a call that Go makes wait may take before the agent
	// treats it as "would wait" (Emulation: accept, read, write).
	grace = 20 * time.Millisecond
	// settle is how long the agent lets Go's own goroutines work before it
	// answers (AGENT-5: Go's writer goroutine puts the frames a call caused
	// on the wire asynchronously) and before it executes a command after new
	// bytes came in (Go's reader goroutine handles frames asynchronously).
	settle = 20 * time.Millisecond
	// afterLimit bounds the wait for the transport bytes a command's
	// "after" names (AGENT-3).
	afterLimit = 5 * time.Second
	// callLimit bounds calls that return at once unless the send window is
	// empty (open_typed's Write of the type).
	callLimit = time.Second
	// unsupportedExit is AGENT-1's exit code for a case the agent cannot play.
	unsupportedExit = 127
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	implName := fs.String("impl", "ngrok", "implementation: 2016 (github.com/inconshreveable/muxado) or ngrok (golang.ngrok.com/muxado/v2, the version this build links)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	v2 := ngrokv2.Impl()
	var impl upstream.Impl
	switch *implName {
	case "2016":
		impl = inconshreveable.Impl()
	case "ngrok", v2.Version:
		impl = v2
	default:
		fmt.Fprintf(os.Stderr, "agent: unknown --impl %q: this build links 2016 and ngrok (%s)\n", *implName, v2.Version)
		return 2
	}
	cfg, ext, why := config(os.Getenv("MUXADO_CONFIG"))
	if why != "" {
		fmt.Fprintf(os.Stderr, "agent: Go muxado %s cannot play this case: %s\n", impl.Version, why)
		return unsupportedExit
	}
	role := os.Getenv("MUXADO_ROLE")
	if role != "client" && role != "server" {
		fmt.Fprintf(os.Stderr, "agent: MUXADO_ROLE must be client or server, not %q\n", role)
		return 2
	}
	tcp, err := net.Dial("tcp", os.Getenv("MUXADO_ADDR"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "agent: %v\n", err)
		return 1
	}
	transport := &countingConn{Conn: tcp}
	var sess upstream.Session
	if role == "client" {
		sess = impl.Client(transport, cfg)
	} else {
		sess = impl.Server(transport, cfg)
	}
	ctl, err := net.Dial("tcp", os.Getenv("MUXADO_CONTROL"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "agent: %v\n", err)
		return 1
	}
	a := newAgent(impl, sess, transport, ext)
	in := bufio.NewReader(ctl)
	for {
		line, err := in.ReadBytes('\n')
		if len(line) > 0 {
			answer := a.serve(line)
			out, _ := json.Marshal(answer)
			if _, err := ctl.Write(append(out, '\n')); err != nil {
				return 0
			}
		}
		if err != nil {
			// AGENT-2: the suite closed the control connection.
			return 0
		}
	}
}

// extensions are the MUXADO_CONFIG keys of SPEC section 10 (AGENT-1).
type extensions struct {
	// typed: the peer's streams are typed; they are taken by Go's
	// AcceptTypedStream, and by accept_typed.
	typed bool
	// heartbeat: the session is wrapped in Go's heartbeat (NewHeartbeat),
	// whose AcceptTypedStream answers the peer's heartbeat streams; implies
	// typed.
	heartbeat bool
}

// config reads MUXADO_CONFIG into Go's settings, or says why Go cannot apply
// it. Go has no limit on concurrent streams and a fixed GOAWAY debug limit, so
// a case that sets max_streams or max_goaway_debug would test something Go
// does not have: the agent declines it (exit 127) instead of ignoring it.
func config(text string) (upstream.Config, extensions, string) {
	var c struct {
		MaxWindowSize  *uint32 `json:"max_window_size"`
		AcceptBacklog  *uint32 `json:"accept_backlog"`
		MaxStreams     *uint32 `json:"max_streams"`
		MaxGoAwayDebug *uint32 `json:"max_goaway_debug"`
		ReadTimeoutMs  *uint64 `json:"read_timeout_ms"`
		TypedStreams   *bool   `json:"typed_streams"`
		Heartbeat      *bool   `json:"heartbeat"`
	}
	var ext extensions
	if text != "" && text != "null" {
		if err := json.Unmarshal([]byte(text), &c); err != nil {
			return upstream.Config{}, ext, fmt.Sprintf("bad MUXADO_CONFIG: %v", err)
		}
	}
	if c.MaxStreams != nil {
		return upstream.Config{}, ext, "max_streams: Go has no limit on concurrent streams"
	}
	if c.MaxGoAwayDebug != nil {
		return upstream.Config{}, ext, "max_goaway_debug: Go's GOAWAY debug limit is fixed (1 MiB)"
	}
	if c.ReadTimeoutMs != nil {
		return upstream.Config{}, ext, "read_timeout_ms: Go has no session read timeout"
	}
	ext.heartbeat = c.Heartbeat != nil && *c.Heartbeat
	// AGENT-1: a session with the heartbeat on uses typed streams too.
	ext.typed = ext.heartbeat || c.TypedStreams != nil && *c.TypedStreams
	var out upstream.Config
	if c.MaxWindowSize != nil {
		if *c.MaxWindowSize == 0 {
			return out, ext, "max_window_size 0: Go reads 0 as its default"
		}
		out.MaxWindowSize = *c.MaxWindowSize
	}
	if c.AcceptBacklog != nil {
		if *c.AcceptBacklog == 0 {
			return out, ext, "accept_backlog 0: Go reads 0 as its default"
		}
		out.AcceptBacklog = *c.AcceptBacklog
	}
	return out, ext, ""
}

// countingConn counts the bytes the session has taken in from the transport,
// for AGENT-3's "after".
type countingConn struct {
	net.Conn
	read atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// waitFor waits (bounded) until the session has read `after` bytes or has
// died. A session ended by a connection error stops reading, so the bytes
// after the violation never come; and `after` counts the transport's
// end-of-file as one more byte (AGENT-3), which the session has taken in
// only once it died of it: until then a call could still succeed on a session
// about to end.
func (c *countingConn) waitFor(after int64, dead <-chan struct{}) {
	deadline := time.Now().Add(afterLimit)
	for c.read.Load() < after && time.Now().Before(deadline) {
		select {
		case <-dead:
			return
		case <-time.After(time.Millisecond):
		}
	}
}

type result struct {
	conn net.Conn
	n    int
	data []byte
	err  error
	// streamType is the type of a stream AcceptTypedStream returned.
	streamType uint32
}

type stream struct {
	conn net.Conn
	// busy is set when a Read or Write the agent started has not returned
	// within the grace: the stream can no longer be driven honestly.
	busy string
}

type agent struct {
	impl upstream.Impl
	sess upstream.Session
	ext  extensions
	// heartbeats is the session's heartbeat wrapper: made at the start when
	// the config turns the heartbeat on (its AcceptTypedStream loop answers
	// the peer's heartbeat streams), or by the heartbeat command otherwise.
	heartbeats upstream.Heartbeat
	// beating is set once the heartbeat command started a requester.
	beating   bool
	transport *countingConn
	streams   map[uint32]*stream
	// accepting is the result channel of an Accept call still waiting.
	accepting chan result
	// typedAccepted gets what the typed accept loop (acceptTyped) took:
	// streams with their type, and last the error that ended the session.
	typedAccepted chan result
	// typedEnd is the error that ended the typed accept loop, once
	// accept_typed has taken it.
	typedEnd error
	dead     chan struct{}
	local    error
	remote   error
	debug    []byte
	// seen is how many transport bytes the session had read when the last
	// command ran.
	seen int64
}

func newAgent(impl upstream.Impl, sess upstream.Session, transport *countingConn, ext extensions) *agent {
	a := &agent{impl: impl, sess: sess, ext: ext, transport: transport, streams: map[uint32]*stream{}, dead: make(chan struct{})}
	go func() {
		local, remote, debug := sess.Wait()
		a.local, a.remote, a.debug = local, remote, debug
		close(a.dead)
	}()
	if ext.typed {
		accept := sess.AcceptTypedStream
		if ext.heartbeat {
			// SPEC HEARTBEAT-2, INTEROP-22: Go's heartbeat answers the
			// peer's heartbeat streams only from inside its
			// AcceptTypedStream, so the loop runs on the heartbeat. The
			// requester's timings are set by the heartbeat command; until
			// then they are Go's defaults, and it is not started.
			cfg := upstream.HeartbeatConfig{Interval: 10 * time.Second, Tolerance: 15 * time.Second, Type: 0xFFFFFFFF}
			a.heartbeats = sess.NewHeartbeat(cfg, func(time.Duration, bool) {})
			accept = a.heartbeats.AcceptTypedStream
		}
		a.typedAccepted = make(chan result, 1024)
		go a.acceptTyped(accept)
	}
	return a
}

// acceptTyped is the typed session's accept loop, as a Go application runs
// it: it calls Go's AcceptTypedStream (the heartbeat's, when the heartbeat is
// on) again and again and queues what it returns for accept_typed.
//
// Emulation: Go's AcceptTypedStream waits, for a stream and then for its
// type; the loop runs in the background from the start so that accept_typed
// need not wait. When a stream ends before its type, AcceptTypedStream closes
// it and returns that stream's error while the session goes on (SPEC
// INTEROP-23); the loop, like an application that keeps accepting, goes on
// too, and hands such errors to nobody. An error returned once the session
// has ended is the session's: it ends the loop and is the answer of every
// later accept_typed.
func (a *agent) acceptTyped(accept func() (net.Conn, uint32, error)) {
	for {
		c, t, err := accept()
		if err == nil {
			a.typedAccepted <- result{conn: c, streamType: t}
			continue
		}
		select {
		case <-a.dead:
			a.typedAccepted <- result{err: err}
			return
		case <-time.After(5 * settle):
			// The session goes on: a stream ended before its type.
			fmt.Fprintf(os.Stderr, "agent: AcceptTypedStream: %v (the session goes on)\n", err)
		}
	}
}

type answer map[string]any

func ok(v any) answer { return answer{"ok": v} }

func unsupported(why string) answer { return answer{"unsupported": why} }

func (a *agent) fail(err error) answer {
	return answer{"error": map[string]any{"code": a.impl.ErrorCode(err), "message": err.Error()}}
}

func (a *agent) serve(line []byte) answer {
	var cmd map[string]json.RawMessage
	if err := json.Unmarshal(line, &cmd); err != nil {
		return answer{"error": map[string]any{"code": uint32(0xFFFFFFFF), "message": "bad command: " + err.Error()}}
	}
	var after int64
	if raw, found := cmd["after"]; found {
		_ = json.Unmarshal(raw, &after)
	}
	// AGENT-3: not before the session has taken in `after` bytes.
	a.transport.waitFor(after, a.dead)
	if n := a.transport.read.Load(); n != a.seen {
		// Emulation: Go's reader goroutine handles what it read
		// asynchronously; give it time before the call looks at the state.
		a.seen = n
		time.Sleep(settle)
	}
	for name, raw := range cmd {
		if name == "after" {
			continue
		}
		var args struct {
			StreamID  uint32 `json:"stream_id"`
			Data      string `json:"data"`
			Max       int    `json:"max"`
			ErrorCode uint32 `json:"error_code"`
			Debug     string `json:"debug"`
			// heartbeat (SPEC AGENT-3)
			IntervalMs  int64 `json:"interval_ms"`
			ToleranceMs int64 `json:"tolerance_ms"`
			// open_typed (SPEC AGENT-3)
			StreamType uint32 `json:"stream_type"`
		}
		if err := json.Unmarshal(raw, &args); err != nil {
			return answer{"error": map[string]any{"code": uint32(0xFFFFFFFF), "message": "bad arguments: " + err.Error()}}
		}
		var out answer
		switch name {
		case "heartbeat":
			out = a.heartbeat(time.Duration(args.IntervalMs)*time.Millisecond, time.Duration(args.ToleranceMs)*time.Millisecond)
		case "open_typed":
			out = a.openTyped(args.StreamType)
		case "accept_typed":
			out = a.acceptTypedStream()
		default:
			out = a.call(name, args.StreamID, args.Data, args.Max, args.ErrorCode, args.Debug)
		}
		// AGENT-5 (Emulation): Go's writer goroutine sends the frames a call
		// queued; let it put them on the wire before answering.
		time.Sleep(settle)
		return out
	}
	return answer{"error": map[string]any{"code": uint32(0xFFFFFFFF), "message": "empty command"}}
}

func (a *agent) call(name string, id uint32, data string, max int, code uint32, debug string) answer {
	switch name {
	case "open":
		c, err := a.sess.Open()
		if err != nil {
			return a.fail(err)
		}
		return ok(map[string]any{"stream_id": a.add(c)})
	case "accept":
		return a.accept()
	case "write":
		b, err := hex.DecodeString(data)
		if err != nil {
			return answer{"error": map[string]any{"code": uint32(0xFFFFFFFF), "message": "bad hex: " + err.Error()}}
		}
		return a.withStream(id, func(s *stream) answer { return a.write(s, b) })
	case "read":
		return a.withStream(id, func(s *stream) answer { return a.read(s, max) })
	case "close_write":
		return a.withStream(id, func(s *stream) answer {
			cw, found := s.conn.(interface{ CloseWrite() error })
			if !found {
				return unsupported("the stream has no CloseWrite")
			}
			if err := cw.CloseWrite(); err != nil {
				return a.fail(err)
			}
			return ok(map[string]any{})
		})
	case "close_stream":
		return a.withStream(id, func(s *stream) answer {
			// Go's Close reports no error a caller could act on; the
			// contract's close_stream has none either.
			_ = s.conn.Close()
			return ok(map[string]any{})
		})
	case "reset":
		return unsupported("Go has no API to reset a stream with an error code (a stream's Close half-closes it)")
	case "go_away":
		b, err := hex.DecodeString(debug)
		if err != nil {
			return answer{"error": map[string]any{"code": uint32(0xFFFFFFFF), "message": "bad hex: " + err.Error()}}
		}
		if err := a.sess.GoAway(code, b); err != nil {
			return a.fail(err)
		}
		return ok(map[string]any{})
	case "close":
		_ = a.sess.Close()
		return ok(map[string]any{})
	case "session":
		return a.state()
	}
	// A command this agent does not know is a call it cannot make (AGENT-4),
	// not a failure of Go's.
	return unsupported("the Go agent has no command " + name)
}

// heartbeat starts Go's heartbeat requester on the session (SPEC HEARTBEAT-1):
// it opens the heartbeat stream at once and beats every interval. Its
// measurements are not reported: the suite judges the frames.
//
// With the heartbeat on in the config, the requester is started on the
// heartbeat made at the start, whose AcceptTypedStream loop answers the
// peer's heartbeat streams: v2 takes the command's timings with SetInterval
// and SetTolerance before Start. The 2016 Heartbeat has no such setters (its
// config is fixed by NewHeartbeat), so the requester is a second Heartbeat
// with the command's timings on the same typed session: its requester uses
// nothing of the Heartbeat but that config and the session, so it beats as
// the first one would.
func (a *agent) heartbeat(interval, tolerance time.Duration) answer {
	if a.beating {
		return unsupported("the heartbeat requester already runs: Go starts one per Heartbeat")
	}
	if interval <= 0 || tolerance < 0 {
		return unsupported(fmt.Sprintf("heartbeat interval %v, tolerance %v: Go's requester needs a positive interval", interval, tolerance))
	}
	cfg := upstream.HeartbeatConfig{Interval: interval, Tolerance: tolerance, Type: 0xFFFFFFFF}
	h := a.heartbeats
	if set, found := h.(interface {
		SetInterval(time.Duration)
		SetTolerance(time.Duration)
	}); found {
		set.SetInterval(interval)
		set.SetTolerance(tolerance)
	} else {
		h = a.sess.NewHeartbeat(cfg, func(time.Duration, bool) {})
		if a.heartbeats == nil {
			a.heartbeats = h
		}
	}
	h.Start()
	a.beating = true
	return ok(map[string]any{})
}

// openTyped opens a typed stream (Go's OpenTypedStream: OpenStream, then a
// Write of the 4-byte type, SPEC TYPED-2).
//
// Emulation: the Write waits when the send window cannot take 4 bytes; the
// agent gives it callLimit, and if it has not returned, how far it got is
// unknown: unsupported.
func (a *agent) openTyped(streamType uint32) answer {
	ch := make(chan result, 1)
	go func() {
		c, err := a.sess.OpenTypedStream(streamType)
		ch <- result{conn: c, err: err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return a.fail(r.err)
		}
		return ok(map[string]any{"stream_id": a.add(r.conn)})
	case <-time.After(callLimit):
		return unsupported("Go's OpenTypedStream did not return: its Write of the type waits for send window")
	}
}

// acceptTypedStream takes the next typed stream the accept loop (acceptTyped)
// took, with its type, if there is one within the grace; once the session
// ended, its error.
func (a *agent) acceptTypedStream() answer {
	if a.typedAccepted == nil {
		return unsupported("the session was not configured with typed_streams: its streams are taken by accept, untyped")
	}
	if a.typedEnd != nil {
		return a.fail(a.typedEnd)
	}
	select {
	case r := <-a.typedAccepted:
		if r.err != nil {
			a.typedEnd = r.err
			return a.fail(r.err)
		}
		return ok(map[string]any{"stream_id": a.add(r.conn), "stream_type": r.streamType})
	case <-time.After(grace):
		return ok(map[string]any{"none": true})
	}
}

func (a *agent) add(c net.Conn) uint32 {
	var id uint32
	if s, found := c.(interface{ Id() uint32 }); found {
		id = s.Id()
	}
	a.streams[id] = &stream{conn: c}
	return id
}

func (a *agent) withStream(id uint32, f func(*stream) answer) answer {
	s := a.streams[id]
	if s == nil {
		return unsupported(fmt.Sprintf("stream %d was not opened or accepted through the agent: Go gives no handle to it", id))
	}
	if s.busy != "" {
		return unsupported(s.busy)
	}
	return f(s)
}

// accept takes a stream from Go's accept queue if one is there.
//
// Emulation: Go's Accept waits. The agent calls it only when a command asks,
// and waits for it a short grace; if it has not returned, the answer is
// "none" and the call stays pending: the next accept command takes its
// result. A pending Accept takes the next stream out of Go's queue as soon as
// it arrives, so from then on one stream more than the backlog fits.
func (a *agent) accept() answer {
	if a.typedAccepted != nil {
		return unsupported("the session uses typed streams: its accept loop takes the peer's streams with their type (accept_typed)")
	}
	if a.accepting == nil {
		ch := make(chan result, 1)
		go func() {
			c, err := a.sess.Accept()
			ch <- result{conn: c, err: err}
		}()
		a.accepting = ch
	}
	select {
	case r := <-a.accepting:
		a.accepting = nil
		if r.err != nil {
			// Go's Accept fails only once the session is dead, with the
			// session's error (SPEC SESSION-4); a later accept calls it
			// again and gets the same.
			return a.fail(r.err)
		}
		return ok(map[string]any{"stream_id": a.add(r.conn)})
	case <-time.After(grace):
		return ok(map[string]any{"none": true})
	}
}

// write writes b on s.
//
// Emulation: Go's Write returns only once every byte is written, waiting for
// send window as needed. The agent lets it run for a grace; when it returned,
// its count (or error) is the answer; when it has not, how much it has taken
// cannot be known without waiting, so the answer is unsupported (AGENT-4) and
// the stream is not driven any further.
func (a *agent) write(s *stream, b []byte) answer {
	ch := make(chan result, 1)
	go func() {
		n, err := s.conn.Write(b)
		ch <- result{n: n, err: err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return a.fail(r.err)
		}
		return ok(map[string]any{"written": r.n})
	case <-time.After(grace):
		s.busy = "Go's Write waits until every byte is sent; it did not return, so how much it took is unknown"
		return unsupported(s.busy)
	}
}

// read reads at most max bytes from s.
//
// Emulation: golang.ngrok.com/muxado/v2 honours SetReadDeadline, so the agent
// reads with a deadline a grace away and answers "blocked" when it passes.
// The 2016 code's SetReadDeadline does nothing. And in every version, while
// the session is still taking in the body of a DATA frame for the stream, Read
// and SetReadDeadline both wait for its last byte ([INTEROP-17]). So the Read
// runs in a goroutine for the grace (plus the deadline's, in v2), and if it has
// not returned by then, it cannot be taken back: the answer is unsupported and
// the stream is not driven any further.
func (a *agent) read(s *stream, max int) answer {
	buf := make([]byte, max)
	ch := make(chan result, 1)
	v2 := a.impl.Version != "2016"
	go func() {
		var r result
		if v2 {
			_ = s.conn.SetReadDeadline(time.Now().Add(grace))
		}
		r.n, r.err = s.conn.Read(buf)
		if v2 {
			_ = s.conn.SetReadDeadline(time.Time{})
		}
		ch <- r
	}()
	wait := grace
	if v2 {
		wait = 2 * grace
	}
	var r result
	select {
	case r = <-ch:
	case <-time.After(wait):
		if v2 {
			s.busy = "Go's Read and SetReadDeadline wait for the last byte of a DATA frame still arriving on the stream (INTEROP-17); it did not return"
		} else {
			s.busy = "the 2016 Go code has no read deadline: a Read with nothing to read waits and cannot be taken back"
		}
		return unsupported(s.busy)
	}
	var timeout net.Error
	switch {
	case r.n > 0:
		return ok(map[string]any{"data": hex.EncodeToString(buf[:r.n])})
	case errors.Is(r.err, io.EOF):
		return ok(map[string]any{"eof": true})
	case errors.Is(r.err, os.ErrDeadlineExceeded) || errors.As(r.err, &timeout) && timeout.Timeout():
		return ok(map[string]any{"blocked": true})
	case r.err != nil:
		return a.fail(r.err)
	}
	// A Read of no bytes without an error (max 0).
	return ok(map[string]any{"data": ""})
}

// state answers the session command.
//
// Go reports the session's end and the GOAWAY it received only through Wait,
// which returns once the session has ended. While it runs, "ended" is null and
// "remote" is left out: the agent cannot tell whether a GOAWAY came. Go keeps
// no GOAWAY's last stream id for the application: "last_stream_id" is left out.
func (a *agent) state() answer {
	select {
	case <-a.dead:
	default:
		return ok(map[string]any{"ended": nil})
	}
	ended := map[string]any{"code": a.impl.ErrorCode(a.local), "message": errText(a.local)}
	var remote any
	if a.remote != nil {
		remote = map[string]any{
			"error_code": a.impl.ErrorCode(a.remote),
			"debug":      hex.EncodeToString(a.debug),
		}
	}
	return ok(map[string]any{"ended": ended, "remote": remote})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
