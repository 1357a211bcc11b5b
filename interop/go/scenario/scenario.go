// Package scenario plays the interop scenarios of interop/SCENARIOS.md on a
// Go muxado session. Every scenario side is written once, against the
// version-neutral upstream.Session, and runs on every linked Go version;
// cmd/peer is the command-line wrapper the interop harness runs.
//
// Conventions the contract leaves open, used by every side here:
//
//   - the client ends the session (Go's Close: GOAWAY NO_ERROR, then the
//     transport is closed) when its side is done: at once when it failed,
//     after a grace of 250 ms (or when the server ended the session first)
//     when it passed. Without the grace a Go server may not get to read the
//     end of what the client sent last: Go forgets a stream only once its
//     own FIN's bookkeeping is done, and a session that ends while a stream
//     is still known fails its reads with SESSION_CLOSED instead of EOF, even
//     when the peer's FIN already arrived (seen in half-close under load);
//   - the server, once its side passed, waits for the session to end (the
//     client's close) before it reports, so that it never cuts off a client
//     that is still checking; a server whose side failed closes at once;
//   - every wait is bounded by the run's deadline: when it passes, the side
//     is abandoned, the session and the transport are closed (which unblocks
//     every pending Go call) and the result is `timeout: ...`.
package scenario

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"sync"
	"time"

	"muxado-interop/upstream"
)

// Role is the muxado role a peer plays: the client opens odd stream ids, the
// server even ones.
type Role string

// The two roles.
const (
	Client Role = "client"
	Server Role = "server"
)

// Result is what a peer reports on its RESULT line.
type Result struct {
	OK       bool           `json:"ok"`
	Detail   string         `json:"detail"`
	Observed map[string]any `json:"observed"`
	// Unsupported marks a side this implementation cannot play (exit 3).
	Unsupported bool `json:"-"`
}

// ExitCode is the peer's exit status for r: 0 ok, 1 failed, 3 unsupported.
func (r Result) ExitCode() int {
	switch {
	case r.OK:
		return 0
	case r.Unsupported:
		return 3
	default:
		return 1
	}
}

// side plays one role of a scenario. It returns nil when everything it
// checked matched the contract; what it saw goes to Env.observe.
type side func(e *Env) error

type scenario struct {
	client, server side
	// why a nil side is not played by Go.
	clientUnsupported, serverUnsupported string
}

var scenarios = map[string]scenario{
	"echo":               {client: echoClient, server: echoServer},
	"bulk":               {client: bulkClient, server: bulkServer},
	"half-close":         {client: halfCloseClient, server: halfCloseServer},
	"server-opens":       {client: serverOpensClient, server: serverOpensServer},
	"reset":              {client: resetClient, serverUnsupported: "Go has no API to reset a stream with a chosen error code (its streams are only closed with FIN, or reset by the session itself for protocol reasons), so no Go version can play the reset server"},
	"close-late-data":    {client: closeLateDataClient, server: closeLateDataServer},
	"goaway-from-server": {client: goAwayOther, server: goAwayNamed},
	"goaway-from-client": {client: goAwayNamed, server: goAwayOther},
	"backlog":            {client: backlogClient, server: backlogServer},
	"typed":              {client: typedClient, server: typedServer},
	"typed-split-prefix": {server: typedSplitPrefixServer, clientUnsupported: "only the reference plays the typed-split-prefix client (it must send the stream type as two 2-byte writes on a plain stream, SPEC TYPED-3 against INTEROP-3)"},
	"heartbeat":          {client: heartbeatSide, server: heartbeatSide},
	"heartbeat-silent":   {server: heartbeatSilentServer, clientUnsupported: "only the reference plays the heartbeat-silent client (it measures the heartbeat failure)"},
	"window-mismatch":    {client: windowMismatchClient, server: windowMismatchServer},
	"fin-first-reply":    {client: finFirstReplyClient, server: finFirstReplyServer},
	"soak":               {client: soakClient, server: soakServer},
	"burst":              {client: burstClient, server: burstServer},
}

// Params are a scenario's settings beyond the session's: only soak has any
// (SCENARIOS.md, `--soak-secs` and `--seed`).
type Params struct {
	// SoakDuration is how long the soak client keeps opening streams.
	SoakDuration time.Duration
	// Seed chooses the soak client's random sizes, writes and aborts.
	Seed uint64
}

// DefaultParams are the contract's defaults: 10 s, seed 1.
func DefaultParams() Params {
	return Params{SoakDuration: 10 * time.Second, Seed: 1}
}

// Names lists the scenarios, sorted.
func Names() []string {
	names := make([]string, 0, len(scenarios))
	for name := range scenarios {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Known reports whether name is a scenario of SCENARIOS.md.
func Known(name string) bool {
	_, ok := scenarios[name]
	return ok
}

// Unsupported returns why Go cannot play role in scenario name, or "" when
// it can. It is known before any connection is made.
func Unsupported(name string, role Role) string {
	sc := scenarios[name]
	if role == Client && sc.client == nil {
		return sc.clientUnsupported
	}
	if role == Server && sc.server == nil {
		return sc.serverUnsupported
	}
	return ""
}

// UnsupportedResult is the result of a side Go cannot play.
func UnsupportedResult(name string, role Role) Result {
	return Result{
		Detail:      fmt.Sprintf("unsupported: %s %s: %s", name, role, Unsupported(name, role)),
		Observed:    map[string]any{},
		Unsupported: true,
	}
}

// Run plays role in scenario name over conn with a Go session of impl
// configured by cfg, and returns by deadline whatever happens. It owns conn
// and closes it. Scenario parameters are the defaults (see RunWith).
func Run(name string, role Role, impl upstream.Impl, conn net.Conn, cfg upstream.Config, deadline time.Time) Result {
	return RunWith(name, role, impl, conn, cfg, DefaultParams(), deadline)
}

// RunWith is Run with scenario parameters.
func RunWith(name string, role Role, impl upstream.Impl, conn net.Conn, cfg upstream.Config, params Params, deadline time.Time) Result {
	if !Known(name) {
		_ = conn.Close()
		return Result{Detail: "unknown scenario " + name, Observed: map[string]any{}}
	}
	if Unsupported(name, role) != "" {
		_ = conn.Close()
		return UnsupportedResult(name, role)
	}
	play := scenarios[name].client
	if role == Server {
		play = scenarios[name].server
	}
	return runSideWith(play, role, impl, conn, cfg, params, deadline)
}

// clientGrace is how long a client that passed keeps the session open for
// the server before it ends the session.
const clientGrace = 250 * time.Millisecond

// runSide plays one side (see Run) with the default parameters.
func runSide(play side, role Role, impl upstream.Impl, conn net.Conn, cfg upstream.Config, deadline time.Time) Result {
	return runSideWith(play, role, impl, conn, cfg, DefaultParams(), deadline)
}

// runSideWith plays one side (see RunWith).
func runSideWith(play side, role Role, impl upstream.Impl, conn net.Conn, cfg upstream.Config, params Params, deadline time.Time) Result {
	var sess upstream.Session
	if role == Client {
		sess = impl.Client(conn, cfg)
	} else {
		sess = impl.Server(conn, cfg)
	}
	e := &Env{
		Impl:     impl,
		Role:     role,
		Sess:     sess,
		Conn:     conn,
		Config:   cfg,
		Params:   params,
		observed: map[string]any{},
		stage:    "starting",
	}

	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("panic: %v", p)
			}
		}()
		done <- play(e)
	}()

	var err error
	select {
	case err = <-done:
		if err == nil && role == Client {
			e.step("ending the session after a grace of 250 ms")
			grace := time.NewTimer(clientGrace)
			select {
			case <-e.ended():
			case <-grace.C:
			case <-timer.C:
			}
			grace.Stop()
		}
		if err == nil && role == Server {
			e.step("waiting for the client to end the session")
			select {
			case <-e.ended():
			case <-timer.C:
				err = e.timeout()
			}
		}
	case <-timer.C:
		err = e.timeout()
	}

	e.mu.Lock()
	cleanups := e.cleanups
	e.cleanups = nil
	e.mu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	_ = sess.Close()
	_ = conn.Close()
	return e.result(err)
}

// Env is what a scenario side works with.
type Env struct {
	Impl   upstream.Impl
	Role   Role
	Sess   upstream.Session
	Conn   net.Conn // the raw transport under Sess
	Config upstream.Config
	Params Params

	mu       sync.Mutex
	observed map[string]any
	stage    string
	note     string
	cleanups []func()
}

// step records what the side is doing now, for a timeout's detail.
func (e *Env) step(format string, a ...any) {
	e.mu.Lock()
	e.stage = fmt.Sprintf(format, a...)
	e.mu.Unlock()
}

// observe records one scenario-specific fact.
func (e *Env) observe(key string, v any) {
	e.mu.Lock()
	e.observed[key] = v
	e.mu.Unlock()
}

// seen sets the detail reported when the side passes.
func (e *Env) seen(format string, a ...any) {
	e.mu.Lock()
	e.note = fmt.Sprintf(format, a...)
	e.mu.Unlock()
}

// atExit registers f to run when the run ends, before the session is closed.
func (e *Env) atExit(f func()) {
	e.mu.Lock()
	e.cleanups = append(e.cleanups, f)
	e.mu.Unlock()
}

func (e *Env) timeout() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return errors.New("timeout: gave up at the deadline while " + e.stage)
}

func (e *Env) result(err error) Result {
	e.mu.Lock()
	defer e.mu.Unlock()
	obs := make(map[string]any, len(e.observed))
	for k, v := range e.observed {
		obs[k] = v
	}
	r := Result{OK: err == nil, Observed: obs}
	switch {
	case err != nil:
		r.Detail = err.Error()
	case e.note != "":
		r.Detail = e.note
	default:
		r.Detail = "ok"
	}
	return r
}

// ended returns a channel closed when the session has ended. It waits with
// Accept rather than Wait: the 2016 session stores a received GOAWAY's code
// and debug data without synchronisation, so a Wait that returns because
// another goroutine ended the session races with the reader (go test -race
// reports it). Streams accepted meanwhile are closed: nothing more is
// expected.
func (e *Env) ended() <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		for {
			c, err := e.Sess.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	return ch
}

// code is the muxado error code Go attaches to err (0xFF without one).
func (e *Env) code(err error) uint32 {
	return e.Impl.ErrorCode(err)
}

// describe renders err with its muxado error code.
func (e *Env) describe(err error) string {
	return fmt.Sprintf("%v (%s)", err, codeName(e.code(err)))
}

// Error codes, SPEC section 9.
const (
	codeFlowControlError = 0x3
	codeStreamClosed     = 0x4
	codeStreamReset      = 0x7
	codeAcceptQueueFull  = 0x9
	codeEnhanceYourCalm  = 0xA
)

var codeNames = map[uint32]string{
	0x0: "NO_ERROR", 0x1: "PROTOCOL_ERROR", 0x2: "INTERNAL_ERROR", 0x3: "FLOW_CONTROL_ERROR",
	0x4: "STREAM_CLOSED", 0x5: "STREAM_REFUSED", 0x6: "STREAM_CANCELLED", 0x7: "STREAM_RESET",
	0x8: "FRAME_SIZE_ERROR", 0x9: "ACCEPT_QUEUE_FULL", 0xA: "ENHANCE_YOUR_CALM",
	0xB: "REMOTE_GONE_AWAY", 0xC: "STREAMS_EXHAUSTED", 0xD: "WRITE_TIMEOUT",
	0xE: "SESSION_CLOSED", 0xF: "PEER_EOF", 0xFF: "UNKNOWN",
}

func codeName(code uint32) string {
	if name, ok := codeNames[code]; ok {
		return fmt.Sprintf("code %d %s", code, name)
	}
	return fmt.Sprintf("code %d", code)
}

// ---- stream helpers ----

func closeWrite(c net.Conn) error {
	cw, ok := c.(interface{ CloseWrite() error })
	if !ok {
		return errors.New("stream has no CloseWrite")
	}
	return cw.CloseWrite()
}

// streamID is a Go stream's id (every version's Stream has Id() uint32).
func streamID(c net.Conn) uint32 {
	if s, ok := c.(interface{ Id() uint32 }); ok {
		return s.Id()
	}
	return 0
}

// readText reads c to EOF and checks it read exactly want.
func (e *Env) readText(c net.Conn, what, want string) (string, error) {
	e.step("reading %s to EOF (expecting %q)", what, want)
	got, err := io.ReadAll(c)
	if err != nil {
		return string(got), fmt.Errorf("reading %s: got %q, then %s", what, got, e.describe(err))
	}
	if string(got) != want {
		return string(got), fmt.Errorf("%s: read %q, expected %q", what, got, want)
	}
	return string(got), nil
}

// writeText writes s on c and, if fin, half-closes c.
func (e *Env) writeText(c net.Conn, what, s string, fin bool) error {
	e.step("writing %q on %s", s, what)
	if _, err := c.Write([]byte(s)); err != nil {
		return fmt.Errorf("writing %q on %s: %s", s, what, e.describe(err))
	}
	if fin {
		e.step("half-closing %s", what)
		if err := closeWrite(c); err != nil {
			return fmt.Errorf("half-closing %s: %s", what, e.describe(err))
		}
	}
	return nil
}

// accepted is one Accept's outcome.
type accepted struct {
	c   net.Conn
	err error
}

// acceptLoop accepts plain streams until the session ends and sends them on
// the returned channel, which is closed after the ending error was sent.
func (e *Env) acceptLoop() <-chan accepted {
	ch := make(chan accepted, 1024)
	go func() {
		defer close(ch)
		for {
			c, err := e.Sess.Accept()
			ch <- accepted{c, err}
			if err != nil {
				return
			}
		}
	}()
	return ch
}

// firstErr keeps the first error and counts the rest.
type firstErr struct {
	mu    sync.Mutex
	err   error
	count int
}

func (f *firstErr) add(err error) {
	if err == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = err
	}
	f.count++
}

func (f *firstErr) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.count > 1 {
		return fmt.Errorf("%w (and %d more failures)", f.err, f.count-1)
	}
	return f.err
}
