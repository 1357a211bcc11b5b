package scenario

// Go against Go: every scenario of SCENARIOS.md played by two Go sessions
// over loopback TCP, for every pair of linked implementations (each against
// itself, 2016 against ngrok v2 and ngrok v2 against 2016), through the same
// Run the peer command uses. This checks the scenario logic independently of
// the Rust side. The sides Go does not play (reset server, typed-split-prefix
// and heartbeat-silent clients) are played by small test-only stand-ins
// below, so that the Go side of those scenarios is exercised too.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"muxado-interop/linked"
	"muxado-interop/upstream"
)

// forEachPair runs fn as a subtest for every (client, server) pair of linked
// implementations, the pairs in parallel.
func forEachPair(t *testing.T, fn func(t *testing.T, client, server upstream.Impl)) {
	forEachPairMaybeParallel(t, true, fn)
}

func forEachPairMaybeParallel(t *testing.T, parallel bool, fn func(t *testing.T, client, server upstream.Impl)) {
	for _, c := range linked.Impls() {
		for _, s := range linked.Impls() {
			c, s := c, s
			t.Run("client="+c.Version+",server="+s.Version, func(t *testing.T) {
				if parallel {
					t.Parallel()
				}
				knownVersion(t, c)
				knownVersion(t, s)
				fn(t, c, s)
			})
		}
	}
}

func knownVersion(t *testing.T, impl upstream.Impl) {
	t.Helper()
	for _, v := range linked.KnownVersions {
		if impl.Version == v {
			return
		}
	}
	t.Fatalf("linked Go version %q is not one of %v", impl.Version, linked.KnownVersions)
}

// playPair plays client and server over a loopback TCP connection.
func playPair(t *testing.T, client, server side, cimpl, simpl upstream.Impl, ccfg, scfg upstream.Config) (cr, sr Result) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	serverResult := make(chan Result, 1)
	go func() {
		conn, err := ln.Accept()
		_ = ln.Close()
		if err != nil {
			serverResult <- Result{Detail: "accept: " + err.Error()}
			return
		}
		serverResult <- runSide(server, Server, simpl, conn, scfg, deadline)
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	cr = runSide(client, Client, cimpl, conn, ccfg, deadline)
	sr = <-serverResult
	t.Logf("client: %+v", cr)
	t.Logf("server: %+v", sr)
	return cr, sr
}

// playScenario plays both Go sides of scenario name.
func playScenario(t *testing.T, name string, cimpl, simpl upstream.Impl, ccfg, scfg upstream.Config) (cr, sr Result) {
	t.Helper()
	sc := scenarios[name]
	if sc.client == nil || sc.server == nil {
		t.Fatalf("scenario %s has a side Go does not play", name)
	}
	return playPair(t, sc.client, sc.server, cimpl, simpl, ccfg, scfg)
}

func wantOK(t *testing.T, role Role, r Result) {
	t.Helper()
	if !r.OK || r.ExitCode() != 0 {
		t.Errorf("%s: not ok (exit %d): %s; observed %v", role, r.ExitCode(), r.Detail, r.Observed)
	}
}

func wantObserved(t *testing.T, role Role, r Result, key string, want any) {
	t.Helper()
	got, ok := r.Observed[key]
	if !ok {
		t.Errorf("%s: observed.%s missing (observed %v)", role, key, r.Observed)
		return
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: observed.%s = %v, want %v", role, key, got, want)
	}
}

func bothOK(t *testing.T, name string, ccfg, scfg upstream.Config, check func(t *testing.T, cr, sr Result)) {
	forEachPair(t, func(t *testing.T, c, s upstream.Impl) {
		cr, sr := playScenario(t, name, c, s, ccfg, scfg)
		wantOK(t, Client, cr)
		wantOK(t, Server, sr)
		if check != nil {
			check(t, cr, sr)
		}
	})
}

// Exactly the three sides SCENARIOS.md leaves to the reference, or that no Go
// API can play, are unsupported, and they exit 3 without touching the
// connection.
//
// checks: [STREAM-11] [TYPED-3] [HEARTBEAT-3]
func TestUnsupportedSides(t *testing.T) {
	want := map[string]Role{"reset": Server, "typed-split-prefix": Client, "heartbeat-silent": Client}
	for _, name := range Names() {
		for _, role := range []Role{Client, Server} {
			reason := Unsupported(name, role)
			if (want[name] == role) != (reason != "") {
				t.Errorf("%s %s: unsupported reason %q", name, role, reason)
			}
			if reason == "" {
				continue
			}
			a, b := net.Pipe()
			r := Run(name, role, linked.Impls()[0], a, upstream.Config{}, time.Now().Add(time.Second))
			if r.OK || !r.Unsupported || r.ExitCode() != 3 || !strings.Contains(r.Detail, reason) {
				t.Errorf("%s %s: result %+v, want unsupported (exit 3)", name, role, r)
			}
			if _, err := b.Write([]byte{0}); err == nil {
				t.Errorf("%s %s: the connection was left open", name, role)
			}
			_ = b.Close()
		}
	}
	// 16 sections, the goaway one naming two scenarios.
	if len(Names()) != 17 {
		t.Errorf("%d scenarios, SCENARIOS.md names 17: %v", len(Names()), Names())
	}
}

// The server runs with a backlog of 256 here, not Go's default 128: with 256
// streams opened at once, a Go server whose accepting goroutine does not get
// the CPU within the 1 ms Go waits when the backlog is full refuses a stream
// with ACCEPT_QUEUE_FULL (INTEROP-5; seen with 2016 under load). The harness
// runs echo with the default; see the README.
//
// checks: [STREAM-1] [STREAM-4] [STREAM-6] [STREAM-10] [ID-4] [ID-8]
func TestEcho(t *testing.T) {
	bothOK(t, "echo", upstream.Config{}, upstream.Config{AcceptBacklog: 256}, func(t *testing.T, cr, sr Result) {
		wantObserved(t, Client, cr, "streams", 256)
		wantObserved(t, Server, sr, "streams", 256)
	})
}

// 1,000 streams opened at once against Go's default backlog (128): every
// stream is echoed exactly or refused with ACCEPT_QUEUE_FULL, which Go's
// 1 ms wait for its accepting goroutine makes happen in some runs
// (INTEROP-5); the server echoed every stream it accepted.
//
// checks: [STREAM-5] [STREAM-6] [LIMIT-3] [INTEROP-5]
func TestBurst(t *testing.T) {
	bothOK(t, "burst", upstream.Config{}, upstream.Config{}, func(t *testing.T, cr, sr Result) {
		wantObserved(t, Client, cr, "streams", 1000)
		wantObserved(t, Client, cr, "mismatches", 0)
		echoed, refused := cr.Observed["echoed"].(int), cr.Observed["refused"].(int)
		if echoed+refused != 1000 {
			t.Errorf("client: %d echoed + %d refused, want 1000", echoed, refused)
		}
		wantObserved(t, Server, sr, "echoed", echoed)
		t.Logf("%d echoed, %d refused", echoed, refused)
	})
}

// Both directions move 64 MiB through 256 KiB windows read slowly; each
// side's observed.fnv must be the FNV-1a of the pattern it received.
//
// checks: [FLOW-1] [FLOW-3] [FLOW-5] [FLOW-6] [LIMIT-1]
func TestBulk(t *testing.T) {
	fnvOf := func(seed uint64) string {
		h := fnv.New64a()
		for off := 0; off < bulkSize; off += 1 << 20 {
			h.Write(pattern(seed, off, 1<<20))
		}
		return fnvHex(h)
	}
	checkPattern(t)
	fnv1, fnv2 := fnvOf(1), fnvOf(2)
	bothOK(t, "bulk", upstream.Config{}, upstream.Config{}, func(t *testing.T, cr, sr Result) {
		wantObserved(t, Client, cr, "bytes", bulkSize)
		wantObserved(t, Server, sr, "bytes", bulkSize)
		wantObserved(t, Client, cr, "fnv", fnv2)
		wantObserved(t, Server, sr, "fnv", fnv1)
	})
}

// Go sends SYN with the first write and FIN on its own frame, so the stream
// the server opens stays writable for the client after the server's FIN.
//
// checks: [STREAM-6] [STREAM-10] [INTEROP-8]
func TestHalfClose(t *testing.T) {
	bothOK(t, "half-close", upstream.Config{}, upstream.Config{}, func(t *testing.T, cr, sr Result) {
		wantObserved(t, Client, cr, "a_read", "pong after your fin")
		wantObserved(t, Client, cr, "b_read", "server done")
		wantObserved(t, Server, sr, "a_read", "ping")
		wantObserved(t, Server, sr, "b_read", "client still talking")
	})
}

// checks: [ID-1] [ID-2] [STREAM-4]
func TestServerOpens(t *testing.T) {
	bothOK(t, "server-opens", upstream.Config{}, upstream.Config{}, func(t *testing.T, cr, sr Result) {
		wantObserved(t, Client, cr, "ids", []uint32{2, 4, 6})
		wantObserved(t, Server, sr, "ids", []uint32{2, 4, 6})
	})
}

// No Go version can reset a stream with a chosen code, so the reset server is
// a raw frame peer here (what the reference does on the wire): after 64 KiB
// of DATA it sends RST STREAM_RESET. The Go client's blocked or next write
// must fail with code 7.
//
// checks: [RST-4] [STREAM-11] [FLOW-3]
func TestReset(t *testing.T) {
	for _, impl := range linked.Impls() {
		impl := impl
		t.Run(impl.Version, func(t *testing.T) {
			knownVersion(t, impl)
			if Unsupported("reset", Server) == "" {
				t.Fatal("the reset server should be unsupported")
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			raw := make(chan error, 1)
			go func() {
				conn, err := ln.Accept()
				if err != nil {
					raw <- err
					return
				}
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
				raw <- rawResetServer(conn)
			}()
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			cr := Run("reset", Client, impl, conn, upstream.Config{}, time.Now().Add(30*time.Second))
			t.Logf("client: %+v", cr)
			wantOK(t, Client, cr)
			wantObserved(t, Client, cr, "code", codeStreamReset)
			if err := <-raw; err != nil {
				t.Errorf("raw reset server: %v", err)
			}
		})
	}
}

// rawResetServer reads the client's frames, sends RST STREAM_RESET for the
// first stream once 64 KiB of its DATA arrived, and reads on until the
// client ends the session.
func rawResetServer(conn net.Conn) error {
	hdr := make([]byte, 8)
	data, sent := 0, false
	for {
		if _, err := io.ReadFull(conn, hdr); err != nil {
			if sent && errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("after %d DATA bytes (RST sent: %v): %v", data, sent, err)
		}
		length := int64(hdr[0])<<16 | int64(hdr[1])<<8 | int64(hdr[2])
		typ := hdr[3] >> 4
		id := binary.BigEndian.Uint32(hdr[4:]) & 0x7FFFFFFF
		if _, err := io.CopyN(io.Discard, conn, length); err != nil {
			return fmt.Errorf("frame body: %v", err)
		}
		if typ != upstream.TypeDATA || sent {
			continue
		}
		data += int(length)
		if data >= 64<<10 {
			rst := make([]byte, 12)
			rst[2] = 4 // length 4, type RST, no flags
			binary.BigEndian.PutUint32(rst[4:], id)
			binary.BigEndian.PutUint32(rst[8:], codeStreamReset)
			if _, err := conn.Write(rst); err != nil {
				return err
			}
			sent = true
		}
	}
}

// checks: [STREAM-9] [STREAM-8] [RST-4]
func TestCloseLateData(t *testing.T) {
	bothOK(t, "close-late-data", upstream.Config{}, upstream.Config{}, func(t *testing.T, cr, sr Result) {
		wantObserved(t, Client, cr, "code", codeStreamClosed)
		wantObserved(t, Client, cr, "fin_seen", true)
	})
}

// The named side's GOAWAY is its last frame, the transport closes right
// after it: 2016 and v2.0.1 parse it correctly then (INTEROP-1 needs a frame
// after the GOAWAY to show).
//
// checks: [GOAWAY-5] [GOAWAY-9] [SESSION-1] [SESSION-3] [INTEROP-1]
func TestGoAwayFromServer(t *testing.T) {
	bothOK(t, "goaway-from-server", upstream.Config{}, upstream.Config{}, func(t *testing.T, cr, sr Result) {
		wantObserved(t, Client, cr, "remote_code", codeEnhanceYourCalm)
		wantObserved(t, Client, cr, "remote_debug", "calm down from server")
	})
}

// checks: [GOAWAY-5] [GOAWAY-9] [SESSION-1] [SESSION-3] [INTEROP-1]
func TestGoAwayFromClient(t *testing.T) {
	bothOK(t, "goaway-from-client", upstream.Config{}, upstream.Config{}, func(t *testing.T, cr, sr Result) {
		wantObserved(t, Server, sr, "remote_code", codeEnhanceYourCalm)
		wantObserved(t, Server, sr, "remote_debug", "calm down from client")
	})
}

// The Go server (backlog 4) queues 4 streams and refuses the other 4 with
// RST ACCEPT_QUEUE_FULL; the 4 queued ones are accepted after 500 ms.
//
// checks: [STREAM-5] [LIMIT-3] [INTEROP-5]
func TestBacklog(t *testing.T) {
	bothOK(t, "backlog", upstream.Config{}, upstream.Config{AcceptBacklog: 4}, func(t *testing.T, cr, sr Result) {
		wantObserved(t, Client, cr, "refused", 4)
		wantObserved(t, Client, cr, "accepted", 4)
		wantObserved(t, Server, sr, "accepted", 4)
	})
}

// checks: [TYPED-1] [TYPED-2]
func TestTyped(t *testing.T) {
	bothOK(t, "typed", upstream.Config{}, upstream.Config{}, func(t *testing.T, cr, sr Result) {
		wantObserved(t, Server, sr, "types", []uint32{1, 2, 0x12345678})
		wantObserved(t, Client, cr, "type", 7)
		wantObserved(t, Client, cr, "data", "seven")
	})
}

// The client side is the reference's; here a test-only Go client does what
// it does on the wire: a plain stream carrying the type 0x01020304 as two
// 2-byte writes 50 ms apart, then "payload". Every Go server reads the type
// with one Read (INTEROP-3): it sees type 0x01020000 and data 03 04
// "payload", and, judging by the contract ([TYPED-3]), reports ok false.
// That is the Go behaviour this test expects.
//
// checks: [TYPED-3] [INTEROP-3]
func TestTypedSplitPrefix(t *testing.T) {
	if Unsupported("typed-split-prefix", Client) == "" {
		t.Fatal("the typed-split-prefix client should be unsupported")
	}
	// One pair at a time: the Go server must read while only the first two
	// type bytes have arrived, which a loaded CPU could delay by 50 ms.
	forEachPairMaybeParallel(t, false, func(t *testing.T, c, s upstream.Impl) {
		cr, sr := playPair(t, splitPrefixClient, typedSplitPrefixServer, c, s, upstream.Config{}, upstream.Config{})
		wantOK(t, Client, cr)
		if sr.OK || sr.ExitCode() != 1 {
			t.Errorf("server: ok (exit %d), but Go reads a split type wrongly (INTEROP-3)", sr.ExitCode())
		}
		if !strings.Contains(sr.Detail, "expected type 0x01020304") {
			t.Errorf("server: detail %q does not name the type mismatch", sr.Detail)
		}
		wantObserved(t, Server, sr, "type", 0x01020000)
		wantObserved(t, Server, sr, "data", "\x03\x04payload")
	})
}

// splitPrefixClient stands in for the reference's typed-split-prefix client.
func splitPrefixClient(e *Env) error {
	c, err := e.Sess.Open()
	if err != nil {
		return err
	}
	for _, part := range []string{"\x01\x02", "\x03\x04", "payload"} {
		if _, err := c.Write([]byte(part)); err != nil {
			return err
		}
		if part == "\x01\x02" {
			time.Sleep(50 * time.Millisecond)
		}
	}
	return closeWrite(c)
}

// checks: [HEARTBEAT-1] [HEARTBEAT-2] [TYPED-4]
func TestHeartbeat(t *testing.T) {
	bothOK(t, "heartbeat", upstream.Config{}, upstream.Config{}, func(t *testing.T, cr, sr Result) {
		for role, r := range map[Role]Result{Client: cr, Server: sr} {
			rtts, ok := r.Observed["rtts_us"].([]int64)
			if !ok || len(rtts) != 3 {
				t.Errorf("%s: observed.rtts_us = %v, want 3 RTTs", role, r.Observed["rtts_us"])
			}
		}
	})
}

// The client side is the reference's; here a test-only client runs Go's own
// heartbeat (interval 50 ms, tolerance 300 ms) against the Go server, which
// accepts the heartbeat stream as a plain typed stream and never answers:
// the client's heartbeat must report a failure within 2 s and no RTT.
//
// checks: [HEARTBEAT-3] [TYPED-4]
func TestHeartbeatSilent(t *testing.T) {
	if Unsupported("heartbeat-silent", Client) == "" {
		t.Fatal("the heartbeat-silent client should be unsupported")
	}
	forEachPair(t, func(t *testing.T, c, s upstream.Impl) {
		cr, sr := playPair(t, silentHeartbeatClient, heartbeatSilentServer, c, s, upstream.Config{}, upstream.Config{})
		wantOK(t, Client, cr)
		wantOK(t, Server, sr)
		wantObserved(t, Server, sr, "type", uint32(heartbeatType))
	})
}

// silentHeartbeatClient stands in for the reference's heartbeat-silent client.
func silentHeartbeatClient(e *Env) error {
	b := newBeats()
	hb := e.Sess.NewHeartbeat(upstream.HeartbeatConfig{
		Interval:  50 * time.Millisecond,
		Tolerance: 300 * time.Millisecond,
		Type:      heartbeatType,
	}, b.report)
	e.atExit(func() { _ = hb.Close() })
	start := time.Now()
	hb.Start()
	limit := time.After(2 * time.Second)
	for {
		rtts, failed := b.state()
		if len(rtts) > 0 {
			return fmt.Errorf("RTT %v reported by a heartbeat nobody answers", rtts)
		}
		if failed {
			e.observe("failure_after_ms", time.Since(start).Milliseconds())
			return nil
		}
		select {
		case <-b.changed:
		case <-limit:
			return errors.New("no heartbeat failure within 2 s")
		}
	}
}

// The client's window (1 MiB) is 4 times the server's (256 KiB): the Go
// server resets the stream with FLOW_CONTROL_ERROR once its buffer overflows.
// With Go on both ends the RST usually arrives after all 512 KiB were
// written; the client then sees code 3 on a read (see windowMismatchClient).
//
// checks: [FLOW-9] [FLOW-4] [RST-4]
func TestWindowMismatch(t *testing.T) {
	bothOK(t, "window-mismatch", upstream.Config{MaxWindowSize: 1 << 20}, upstream.Config{}, func(t *testing.T, cr, sr Result) {
		wantObserved(t, Client, cr, "code", codeFlowControlError)
	})
}

// checkPattern checks the data helpers against SCENARIOS.md: byte i of
// pattern(seed, n) is (i * 31 + seed * 7) mod 251, at any offset, and
// observed.fnv is FNV-1a 64 in 16 hex digits.
func checkPattern(t *testing.T) {
	t.Helper()
	want := []byte{14, 45, 76, 107, 138, 169, 200, 231, 11}
	if got := pattern(2, 0, 9); !reflect.DeepEqual(got, want) {
		t.Errorf("pattern(2, 9) = %v, want %v", got, want)
	}
	if got, whole := pattern(3, 1000, 10), pattern(3, 0, 1010)[1000:]; !reflect.DeepEqual(got, whole) {
		t.Errorf("pattern at an offset differs from the whole pattern")
	}
	p := newPatternChecker(3, 10)
	if err := p.check(pattern(3, 0, 10)); err != nil || p.n != 10 {
		t.Errorf("checker: %v after %d bytes", err, p.n)
	}
	if err := p.check([]byte{0}); err == nil {
		t.Errorf("checker accepted more than the expected length")
	}
	h := fnv.New64a()
	if fnvHex(h) != "cbf29ce484222325" {
		t.Errorf("FNV-1a of nothing = %s", fnvHex(h))
	}
}

// A peer that waits in vain gives up at its deadline, reports `timeout ...`
// naming what it waited for, and ends the session the orderly way: GOAWAY,
// then the transport closes.
//
// checks: [SESSION-1]
func TestTimeout(t *testing.T) {
	for _, impl := range linked.Impls() {
		impl := impl
		t.Run(impl.Version, func(t *testing.T) {
			a, b := net.Pipe()
			frames := make(chan []uint8, 1)
			go func() {
				var types []uint8
				hdr := make([]byte, 8)
				for {
					if _, err := io.ReadFull(b, hdr); err != nil {
						frames <- types
						return
					}
					types = append(types, hdr[3]>>4)
					length := int64(hdr[0])<<16 | int64(hdr[1])<<8 | int64(hdr[2])
					if _, err := io.CopyN(io.Discard, b, length); err != nil {
						frames <- types
						return
					}
				}
			}()
			start := time.Now()
			r := Run("half-close", Server, impl, a, upstream.Config{}, start.Add(300*time.Millisecond))
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("gave up after %v", took)
			}
			if r.OK || r.ExitCode() != 1 || r.Detail != "timeout: gave up at the deadline while accepting stream A" {
				t.Errorf("result %+v", r)
			}
			select {
			case types := <-frames:
				if !reflect.DeepEqual(types, []uint8{upstream.TypeGOAWAY}) {
					t.Errorf("frames before the transport closed: types %v, want one GOAWAY", types)
				}
			case <-time.After(5 * time.Second):
				t.Error("the transport stayed open")
			}
			_ = b.Close()
		})
	}
}

// A Go client half-closing an unwritten stream sends SYN and FIN on one frame, and every Go
// server then fails to write its reply (INTEROP-8). The reference client sends SYN and FIN
// on separate frames, and Go servers answer it (the interop matrix shows it).
//
// checks: [INTEROP-8] [DATA-3]
func TestFinFirstReply(t *testing.T) {
	forEachPair(t, func(t *testing.T, c, s upstream.Impl) {
		cr, sr := playScenario(t, "fin-first-reply", c, s, upstream.Config{}, upstream.Config{})
		if sr.OK {
			t.Errorf("server: ok, but a Go server cannot reply on a SYN|FIN stream (INTEROP-8)")
		}
		if !strings.Contains(sr.Detail, "STREAM_CLOSED") && !strings.Contains(sr.Detail, "closed") {
			t.Errorf("server: failed with %q, expected its write to fail with STREAM_CLOSED", sr.Detail)
		}
		if cr.OK {
			t.Errorf("client: ok, but no reply can come (INTEROP-8)")
		}
	})
}

// playSoak plays soak Go against Go with params; when cut > 0, both ends of
// the connection are closed that long after the start, as the harness's
// fault proxy does.
func playSoak(t *testing.T, cimpl, simpl upstream.Impl, params Params, cut time.Duration) (cr, sr Result) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30*time.Second + params.SoakDuration)
	accepted := make(chan net.Conn, 1)
	serverResult := make(chan Result, 1)
	go func() {
		conn, err := ln.Accept()
		_ = ln.Close()
		if err != nil {
			serverResult <- Result{Detail: "accept: " + err.Error()}
			return
		}
		accepted <- conn
		serverResult <- runSideWith(soakServer, Server, simpl, conn, upstream.Config{AcceptBacklog: 256}, params, deadline)
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if cut > 0 {
		timer := time.AfterFunc(cut, func() {
			_ = conn.Close()
			select {
			case s := <-accepted:
				_ = s.Close()
			case <-time.After(time.Second):
			}
		})
		defer timer.Stop()
	}
	cr = runSideWith(soakClient, Client, cimpl, conn, upstream.Config{}, params, deadline)
	sr = <-serverResult
	t.Logf("client: %+v", cr)
	t.Logf("server: %+v", sr)
	return cr, sr
}

func observedInt(t *testing.T, role Role, r Result, key string) int64 {
	t.Helper()
	switch v := r.Observed[key].(type) {
	case int64:
		return v
	case int:
		return int64(v)
	}
	t.Errorf("%s: observed.%s = %v (%T), want an integer", role, key, r.Observed[key], r.Observed[key])
	return 0
}

// The soak's random choices are splitmix64 from seed<<32 ^ k, drawn in the
// order SCENARIOS.md gives; the reference client draws the same (the same
// vector is checked in interop/src/scenario.rs).
//
// checks: [STREAM-6]
func TestSoakPlan(t *testing.T) {
	if got := (&soakRand{0}).next(); got != 0xe220a8397b1dcdaf {
		t.Errorf("splitmix64 from 0: %#x", got)
	}
	r := newSoakRand(1, 0)
	if p := newSoakPlan(r); p != (soakPlan{size: 137961, abort: false, abortAt: 45829}) {
		t.Errorf("seed 1 stream 0: plan %+v", p)
	}
	if a, b := soakWrite(r), soakWrite(r); a != 27567 || b != 8957 {
		t.Errorf("seed 1 stream 0: first writes %d, %d", a, b)
	}
}

// Go against Go for 2 s without faults: every stream is echoed exactly,
// except those the client closes midway on purpose, and the server completed
// every stream the client verified.
//
// checks: [STREAM-6] [STREAM-9] [STREAM-10] [FLOW-3] [FLOW-6]
func TestSoak(t *testing.T) {
	forEachPair(t, func(t *testing.T, c, s upstream.Impl) {
		cr, sr := playSoak(t, c, s, Params{SoakDuration: 2 * time.Second, Seed: 7}, 0)
		wantOK(t, Client, cr)
		wantOK(t, Server, sr)
		ok, failed, aborted := observedInt(t, Client, cr, "ok_streams"), observedInt(t, Client, cr, "failed"), observedInt(t, Client, cr, "aborted")
		complete, sfailed := observedInt(t, Server, sr, "complete"), observedInt(t, Server, sr, "failed")
		if observedInt(t, Client, cr, "mismatches") != 0 || ok == 0 {
			t.Errorf("client: %d streams verified, mismatches %v", ok, cr.Observed["mismatches"])
		}
		if failed != aborted {
			t.Errorf("client: %d streams failed, only the %d closed on purpose may", failed, aborted)
		}
		// A stream closed midway is half-closed after part of its data: the
		// server may echo that part and complete it.
		if complete < ok || complete > ok+aborted || sfailed > aborted {
			t.Errorf("server: %d complete, %d failed; client: %d verified, %d closed midway", complete, sfailed, ok, aborted)
		}
	})
}

// A transport cut in the middle of a soak is not a failure: both sides end
// within their limit, and count the streams in flight as failed
// (SPEC [SESSION-1], [SESSION-2]).
//
// checks: [SESSION-1] [SESSION-2]
func TestSoakCut(t *testing.T) {
	forEachPair(t, func(t *testing.T, c, s upstream.Impl) {
		start := time.Now()
		cr, sr := playSoak(t, c, s, Params{SoakDuration: 3 * time.Second, Seed: 8}, 700*time.Millisecond)
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("the sides took %v after the cut", took)
		}
		wantOK(t, Client, cr)
		wantOK(t, Server, sr)
		if observedInt(t, Client, cr, "mismatches") != 0 {
			t.Errorf("client: mismatches %v", cr.Observed["mismatches"])
		}
		ok, failed := observedInt(t, Client, cr, "ok_streams"), observedInt(t, Client, cr, "failed")
		if complete := observedInt(t, Server, sr, "complete"); complete < ok || complete > ok+failed {
			t.Errorf("server: %d complete; client: %d verified, %d failed", complete, ok, failed)
		}
	})
}
