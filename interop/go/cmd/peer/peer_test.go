package main

// The command line and output protocol of SCENARIOS.md, through run (what
// main calls) with real stdout/stderr pipes: `LISTENING <addr>` then
// `RESULT <json>` and the exit codes. The scenario logic itself is tested
// Go against Go in package scenario.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"muxado-interop/adapters/ngrokv2"
)

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// peer is one run of the command, in a goroutine.
type peer struct {
	lines  chan string // stdout, line by line; closed at the end
	exit   chan int
	stderr lockedBuffer
}

func startPeer(args ...string) *peer {
	p := &peer{lines: make(chan string, 16), exit: make(chan int, 1)}
	r, w := io.Pipe()
	go func() {
		code := run(args, w, &p.stderr)
		_ = w.Close()
		p.exit <- code
	}()
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	return p
}

func (p *peer) line(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-p.lines:
		if !ok {
			t.Fatalf("stdout ended early; stderr:\n%s", p.stderr.String())
		}
		return l
	case <-time.After(40 * time.Second):
		t.Fatalf("no output line; stderr:\n%s", p.stderr.String())
	}
	return ""
}

type result struct {
	OK       bool           `json:"ok"`
	Detail   string         `json:"detail"`
	Observed map[string]any `json:"observed"`
}

// finish reads the RESULT line, checks nothing follows it, and returns the
// result and the exit code.
func (p *peer) finish(t *testing.T) (result, int) {
	t.Helper()
	l := p.line(t)
	js, ok := strings.CutPrefix(l, "RESULT ")
	if !ok {
		t.Fatalf("line %q, want RESULT <json>", l)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(js), &keys); err != nil {
		t.Fatalf("RESULT %s: %v", js, err)
	}
	var names []string
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	if !reflect.DeepEqual(names, []string{"detail", "observed", "ok"}) {
		t.Errorf("RESULT keys %v, want detail, observed, ok", names)
	}
	var r result
	if err := json.Unmarshal([]byte(js), &r); err != nil || r.Observed == nil {
		t.Fatalf("RESULT %s: %v (observed must be an object)", js, err)
	}
	if extra, ok := <-p.lines; ok {
		t.Errorf("output after RESULT: %q", extra)
	}
	return r, <-p.exit
}

var listening = regexp.MustCompile(`^LISTENING (127\.0\.0\.1:[0-9]+)$`)

// pair runs a server peer listening on 127.0.0.1:0 and a client peer
// dialling it.
func pair(t *testing.T, scenario string, serverArgs, clientArgs []string) (cr, sr result, cexit, sexit int) {
	t.Helper()
	s := startPeer(append([]string{"--role", "server", "--listen", "127.0.0.1:0", "--scenario", scenario}, serverArgs...)...)
	m := listening.FindStringSubmatch(s.line(t))
	if m == nil {
		t.Fatal("the server's first line is not LISTENING 127.0.0.1:<port>")
	}
	c := startPeer(append([]string{"--role", "client", "--dial", m[1], "--scenario", scenario}, clientArgs...)...)
	cr, cexit = c.finish(t)
	sr, sexit = s.finish(t)
	t.Logf("client (exit %d): %+v\nstderr: %s", cexit, cr, c.stderr.String())
	t.Logf("server (exit %d): %+v\nstderr: %s", sexit, sr, s.stderr.String())
	return
}

func wantNumber(t *testing.T, who string, r result, key string, want float64) {
	t.Helper()
	if got, ok := r.Observed[key].(float64); !ok || got != want {
		t.Errorf("%s: observed.%s = %v, want %v", who, key, r.Observed[key], want)
	}
}

// --backlog reaches the server's session: 4 streams queued, 4 refused, here
// with a 2016 server and an ngrok v2 client.
//
// checks: [STREAM-5] [LIMIT-3]
func TestPeerBacklog(t *testing.T) {
	cr, sr, cexit, sexit := pair(t, "backlog",
		[]string{"--backlog", "4", "--impl", "2016"},
		[]string{"--impl", "ngrok"})
	if !cr.OK || cexit != 0 || !sr.OK || sexit != 0 {
		t.Fatalf("client ok %v exit %d, server ok %v exit %d", cr.OK, cexit, sr.OK, sexit)
	}
	wantNumber(t, "client", cr, "refused", 4)
	wantNumber(t, "client", cr, "accepted", 4)
	wantNumber(t, "server", sr, "accepted", 4)
}

// --window reaches the client's session: its 1 MiB window overruns the
// server's 256 KiB, here with an ngrok v2 server (named by its version) and
// a 2016 client.
//
// checks: [FLOW-9] [FLOW-4]
func TestPeerWindow(t *testing.T) {
	cr, sr, cexit, sexit := pair(t, "window-mismatch",
		[]string{"--impl", ngrokv2.Impl().Version},
		[]string{"--window", "1048576", "--impl", "2016"})
	if !cr.OK || cexit != 0 || !sr.OK || sexit != 0 {
		t.Fatalf("client ok %v exit %d, server ok %v exit %d", cr.OK, cexit, sr.OK, sexit)
	}
	wantNumber(t, "client", cr, "code", 3)
}

// --soak-secs and --seed reach the soak client: it opens streams for 1 s
// (not the default 10 s) and reports its counts; the server reports its own.
//
// checks: [STREAM-6] [STREAM-9]
func TestPeerSoak(t *testing.T) {
	start := time.Now()
	cr, sr, cexit, sexit := pair(t, "soak",
		[]string{"--backlog", "256", "--soak-secs", "1", "--impl", "2016"},
		[]string{"--soak-secs", "1", "--seed", "3"})
	if !cr.OK || cexit != 0 || !sr.OK || sexit != 0 {
		t.Fatalf("client ok %v exit %d, server ok %v exit %d", cr.OK, cexit, sr.OK, sexit)
	}
	if took := time.Since(start); took > 8*time.Second {
		t.Errorf("a 1 s soak took %v", took)
	}
	wantNumber(t, "client", cr, "mismatches", 0)
	if n, _ := cr.Observed["ok_streams"].(float64); n < 1 {
		t.Errorf("client: observed.ok_streams = %v, want at least 1", cr.Observed["ok_streams"])
	}
	if _, ok := sr.Observed["complete"].(float64); !ok {
		t.Errorf("server: observed.complete = %v, want a number", sr.Observed["complete"])
	}
}

// The sides Go cannot play (reset server, typed-split-prefix and
// heartbeat-silent clients) make the connection, close it unused and exit 3;
// a failed check exits 1 with ok false; usage errors exit 2 with nothing on
// stdout.
//
// checks: [STREAM-11] [TYPED-3] [HEARTBEAT-3]
func TestPeerExitCodes(t *testing.T) {
	unsupported := func(args []string, p *peer, conn net.Conn) {
		t.Helper()
		// The connection is made, then closed unused.
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		if n, err := conn.Read(make([]byte, 1)); err != io.EOF {
			t.Errorf("%v: read %d bytes, %v; want EOF", args, n, err)
		}
		_ = conn.Close()
		r, code := p.finish(t)
		if r.OK || code != 3 || !strings.HasPrefix(r.Detail, "unsupported: ") {
			t.Errorf("%v: exit %d, %+v; want exit 3, ok false, detail unsupported: ...", args, code, r)
		}
	}
	{
		args := []string{"--role", "server", "--listen", "127.0.0.1:0", "--scenario", "reset"}
		p := startPeer(args...)
		m := listening.FindStringSubmatch(p.line(t))
		if m == nil {
			t.Fatal("no LISTENING line")
		}
		conn, err := net.Dial("tcp", m[1])
		if err != nil {
			t.Fatal(err)
		}
		unsupported(args, p, conn)
	}
	for _, scenario := range []string{"typed-split-prefix", "heartbeat-silent"} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		args := []string{"--role", "client", "--dial", ln.Addr().String(), "--scenario", scenario, "--impl", "2016"}
		p := startPeer(args...)
		conn, err := ln.Accept()
		_ = ln.Close()
		if err != nil {
			t.Fatal(err)
		}
		unsupported(args, p, conn)
	}

	// Failing sides exit 1 with ok false: a server playing server-opens
	// against a client playing goaway-from-client. The client reads the
	// server's pattern where it expects hello and fails; the server's
	// streams are never echoed and fail when the client ends the session.
	s := startPeer("--role", "server", "--listen", "127.0.0.1:0", "--scenario", "server-opens", "--impl", "2016")
	m := listening.FindStringSubmatch(s.line(t))
	if m == nil {
		t.Fatal("no LISTENING line")
	}
	c := startPeer("--role", "client", "--dial", m[1], "--scenario", "goaway-from-client", "--impl", "ngrok")
	cr, cexit := c.finish(t)
	sr, sexit := s.finish(t)
	if cr.OK || cexit != 1 || sr.OK || sexit != 1 {
		t.Errorf("mismatched scenarios: client exit %d %+v, server exit %d %+v; want both exit 1", cexit, cr, sexit, sr)
	}

	for _, args := range [][]string{
		{},
		{"--role", "server", "--scenario", "echo"},
		{"--role", "server", "--listen", "127.0.0.1:0", "--dial", "127.0.0.1:1", "--scenario", "echo"},
		{"--role", "middle", "--listen", "127.0.0.1:0", "--scenario", "echo"},
		{"--role", "server", "--listen", "127.0.0.1:0", "--scenario", "nope"},
		{"--role", "server", "--listen", "127.0.0.1:0", "--scenario", "echo", "--impl", "v9"},
		{"--role", "server", "--listen", "127.0.0.1:0", "--scenario", "echo", "--window", "x"},
		{"--role", "server", "--listen", "127.0.0.1:0", "--scenario", "echo", "--window", fmt.Sprint(uint64(1) << 31)},
		{"--role", "server", "--listen", "127.0.0.1:0", "--scenario", "echo", "extra"},
		{"--role", "server", "--listen", "127.0.0.1:0", "--scenario", "echo", "--bogus"},
		{"--role", "server", "--listen", "127.0.0.1:0", "--scenario", "soak", "--soak-secs", "-1"},
		{"--role", "server", "--listen", "127.0.0.1:0", "--scenario", "soak", "--soak-secs", "86401"},
		{"--role", "server", "--listen", "127.0.0.1:0", "--scenario", "soak", "--seed", "x"},
	} {
		p := startPeer(args...)
		if l, ok := <-p.lines; ok {
			t.Errorf("%v: stdout %q, want nothing", args, l)
		}
		if code := <-p.exit; code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if !strings.Contains(p.stderr.String(), "usage: peer") {
			t.Errorf("%v: no usage on stderr: %s", args, p.stderr.String())
		}
	}
}
