// Command benchpeer is the Go bench peer of ci/bench (bench/README.md): one
// side of a benchmark run with a linked Go muxado implementation.
//
//	benchpeer [--impl 2016|ngrok] server --listen ADDR [--default-backlog] [--heartbeat] [--max-streams N]
//	benchpeer [--impl 2016|ngrok] client --connect ADDR [--heartbeat] [--max-streams N]
//	          --workload bulk|rate|latency|memory|burst|sessions-idle|sessions-active
//	          [--size N] [--streams N] [--sessions N] [--secs F] [--samples N] [--loaded]
//
// A server prints `LISTENING <ip:port>`, then serves every connection (one
// session each) until it is killed. A client runs one workload over one
// session and prints `RESULT <json>`; it exits 0 when ok, 1 when not, 2 on a
// usage error. The workloads and the per-stream contract (the first byte of a
// stream names what the acceptor does: S sink, E echo, H hold, Q query) are
// those of the Rust bench peers (bench/kit), written again here with the same
// buffer sizes, so that every implementation runs the same program.
package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"muxado-interop/adapters/inconshreveable"
	"muxado-interop/adapters/ngrokv2"
	"muxado-interop/upstream"
)

// The shared settings (bench/kit/src/wire.rs).
const (
	chunk       = 64 * 1024  // bulk writes and sink reads
	echoBuf     = 16 * 1024  // the echo side's reads
	echoLen     = 64         // echoed message size
	window      = 256 * 1024 // every implementation's window
	backlog     = 1024       // accept backlog: 256 simultaneous opens must not be refused
	holdInFlght = 64         // held streams opened at a time
	dialInFlght = 64         // sessions dialed at a time
	burstLen    = 16         // a burst stream's message
	// Bulk warm-up: whole rounds for this long, unless a round moves more
	// than warmupMaxRound bytes (bench/kit/src/client.rs).
	warmupSecs     = 0.2
	warmupMaxRound = 256 << 20
	settle         = 500 * time.Millisecond // before an idle measurement
	burstPatience  = 30 * time.Second
	userHZ         = 100 // clock ticks per second of /proc/PID/stat times
)

// Go's heartbeat defaults (NewHeartbeatConfig in both versions).
var heartbeatConfig = upstream.HeartbeatConfig{Interval: 10 * time.Second, Tolerance: 15 * time.Second, Type: 0xFFFFFFFF}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type workload struct {
	kind     string
	size     uint64
	streams  int
	sessions int
	secs     float64
	samples  int
	loaded   bool
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: benchpeer [--impl 2016|ngrok] server --listen ADDR [--default-backlog] [--heartbeat] [--max-streams N]\n"+
		"       benchpeer [--impl 2016|ngrok] client --connect ADDR [--heartbeat] [--max-streams N]\n"+
		"                 --workload bulk|rate|latency|memory|burst|sessions-idle|sessions-active\n"+
		"                 [--size N] [--streams N] [--sessions N] [--secs F] [--samples N] [--loaded]")
}

func run(args []string, stdout, stderr io.Writer) int {
	global := flag.NewFlagSet("benchpeer", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	implName := global.String("impl", "ngrok", "2016 or ngrok")
	if err := global.Parse(args); err != nil || global.NArg() == 0 {
		usage(stderr)
		return 2
	}
	var impl upstream.Impl
	v2 := ngrokv2.Impl()
	switch *implName {
	case "2016":
		impl = inconshreveable.Impl()
	case "ngrok", v2.Version:
		impl = v2
	default:
		fmt.Fprintf(stderr, "benchpeer: unknown --impl %q\n", *implName)
		return 2
	}
	cfg := upstream.Config{AcceptBacklog: backlog, MaxWindowSize: window}
	side, rest := global.Arg(0), global.Args()[1:]
	fs := flag.NewFlagSet(side, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	switch side {
	case "server":
		listen := fs.String("listen", "", "address to listen on")
		defaultBacklog := fs.Bool("default-backlog", false, "keep Go's accept backlog (128)")
		heartbeat := fs.Bool("heartbeat", false, "run Go's heartbeat on every session")
		fs.Int("max-streams", 0, "the stream limit of the Rust peers; Go has none, so it is ignored")
		if err := fs.Parse(rest); err != nil || *listen == "" || fs.NArg() > 0 {
			usage(stderr)
			return 2
		}
		if *defaultBacklog {
			cfg.AcceptBacklog = 0 // Go's default
		}
		if err := serve(impl, cfg, *listen, *heartbeat, stdout); err != nil {
			fmt.Fprintf(stderr, "benchpeer: %v\n", err)
		}
		return 1
	case "client":
		connect := fs.String("connect", "", "server address")
		heartbeat := fs.Bool("heartbeat", false, "run Go's heartbeat on every session")
		fs.Int("max-streams", 0, "the stream limit of the Rust peers; Go has none, so it is ignored")
		var w workload
		fs.StringVar(&w.kind, "workload", "", "bulk, rate, latency or memory")
		fs.Uint64Var(&w.size, "size", 1024, "payload bytes per stream (bulk)")
		fs.IntVar(&w.streams, "streams", 1, "streams (bulk: concurrent, rate: in flight, memory: idle, burst: at once)")
		fs.IntVar(&w.sessions, "sessions", 1, "sessions dialed (sessions-idle, sessions-active)")
		fs.Float64Var(&w.secs, "secs", 0.5, "minimum measuring time (bulk, rate)")
		fs.IntVar(&w.samples, "samples", 1000, "round trips (latency)")
		fs.BoolVar(&w.loaded, "loaded", false, "latency under a bulk load")
		if err := fs.Parse(rest); err != nil || *connect == "" || fs.NArg() > 0 {
			usage(stderr)
			return 2
		}
		switch w.kind {
		case "bulk", "rate", "latency", "memory", "burst", "sessions-idle", "sessions-active":
		default:
			usage(stderr)
			return 2
		}
		fmt.Fprintf(stderr, "benchpeer: Go muxado %s, client of %s\n", impl.Version, w.kind)
		result, err := client(dialer{impl, cfg, *connect, *heartbeat}, w)
		return report(stdout, result, err)
	default:
		usage(stderr)
		return 2
	}
}

func report(stdout io.Writer, result map[string]any, err error) int {
	code := 0
	if err != nil {
		result = map[string]any{"ok": false, "error": err.Error()}
		code = 1
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if e := enc.Encode(result); e != nil {
		return 1
	}
	fmt.Fprintf(stdout, "RESULT %s", buf.Bytes())
	return code
}

// ---- server ----

// holder keeps the streams of H requests open and unread.
type holder struct {
	mu      sync.Mutex
	streams []net.Conn
}

func (h *holder) add(c net.Conn) {
	h.mu.Lock()
	h.streams = append(h.streams, c)
	h.mu.Unlock()
}

func (h *holder) len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.streams)
}

func serve(impl upstream.Impl, cfg upstream.Config, addr string, heartbeat bool, stdout io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(stdout, "LISTENING %s\n", ln.Addr()); err != nil {
		return err
	}
	held := &holder{}
	for {
		conn, err := ln.Accept()
		if err != nil {
			return err
		}
		sess := impl.Server(conn, cfg)
		if heartbeat {
			hb := sess.NewHeartbeat(heartbeatConfig, func(time.Duration, bool) {})
			hb.Start()
			go func() {
				for {
					str, _, err := hb.AcceptTypedStream()
					if err != nil {
						return
					}
					go serveStream(str, held)
				}
			}()
			continue
		}
		go func() {
			for {
				str, err := sess.Accept()
				if err != nil {
					return
				}
				go serveStream(str, held)
			}
		}()
	}
}

// serveStream does what the stream's first byte asks.
func serveStream(str net.Conn, held *holder) {
	var op [1]byte
	if _, err := io.ReadFull(str, op[:]); err != nil {
		str.Close()
		return
	}
	switch op[0] {
	case 'S':
		buf := make([]byte, chunk)
		var count uint64
		for {
			n, err := str.Read(buf)
			count += uint64(n)
			if err == io.EOF {
				break
			}
			if err != nil {
				str.Close()
				return
			}
		}
		var reply [8]byte
		binary.BigEndian.PutUint64(reply[:], count)
		_, _ = str.Write(reply[:])
		str.Close()
	case 'E':
		buf := make([]byte, echoBuf)
		for {
			n, err := str.Read(buf)
			if n > 0 {
				if _, werr := str.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		str.Close()
	case 'H':
		if _, err := str.Write([]byte{'h'}); err == nil {
			held.add(str)
		}
	case 'Q':
		var reply [24]byte
		binary.BigEndian.PutUint64(reply[:8], uint64(held.len()))
		binary.BigEndian.PutUint64(reply[8:16], rssBytes())
		binary.BigEndian.PutUint64(reply[16:], cpuMicros())
		_, _ = str.Write(reply[:])
		str.Close()
	default:
		str.Close()
	}
}

// rssBytes is VmRSS of /proc/self/status in bytes, 0 when unknown.
func rssBytes() uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kib, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kib * 1024
		}
	}
	return 0
}

// cpuMicros is the CPU time (user + system, every thread) of this process in
// microseconds, from /proc/self/stat as the Rust peers read it; 0 when unknown.
func cpuMicros() uint64 {
	data, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	s := string(data)
	close := strings.LastIndexByte(s, ')')
	if close < 0 {
		return 0
	}
	fields := strings.Fields(s[close+1:])
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseUint(fields[11], 10, 64)
	stime, _ := strconv.ParseUint(fields[12], 10, 64)
	return (utime + stime) * (1000000 / userHZ)
}

// ---- client ----

// opener opens streams on one session: a Go session, or its typed streams
// (type 0) when it runs the heartbeat.
type opener interface {
	Open() (net.Conn, error)
}

type typedOpener struct{ sess upstream.Session }

func (t typedOpener) Open() (net.Conn, error) { return t.sess.OpenTypedStream(0) }

// dialer makes sessions.
type dialer struct {
	impl      upstream.Impl
	cfg       upstream.Config
	addr      string
	heartbeat bool
}

// dial connects and starts a session; with the heartbeat, it beats and answers
// the server's beats until the session ends.
func (d dialer) dial() (opener, upstream.Session, error) {
	conn, err := net.Dial("tcp", d.addr)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot connect to %s: %v", d.addr, err)
	}
	sess := d.impl.Client(conn, d.cfg)
	if !d.heartbeat {
		return sess, sess, nil
	}
	hb := sess.NewHeartbeat(heartbeatConfig, func(time.Duration, bool) {})
	hb.Start()
	go func() {
		for {
			if _, _, err := hb.AcceptTypedStream(); err != nil {
				return
			}
		}
	}()
	return typedOpener{sess}, sess, nil
}

func pattern(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i * 31 % 251)
	}
	return p
}

// closeWrite half-closes a stream (every Go muxado stream has CloseWrite).
func closeWrite(c net.Conn) error {
	cw, ok := c.(interface{ CloseWrite() error })
	if !ok {
		return errors.New("the stream cannot half-close")
	}
	return cw.CloseWrite()
}

func client(d dialer, w workload) (map[string]any, error) {
	sess, closer, err := d.dial()
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	// One round trip first, outside the measurement.
	if err := echoOnce(sess, pattern(echoLen)); err != nil {
		return nil, err
	}
	switch w.kind {
	case "bulk":
		return bulk(sess, w)
	case "rate":
		return rate(sess, w)
	case "latency":
		return latency(sess, w)
	case "burst":
		return burst(sess, w)
	case "sessions-idle":
		return sessionsIdle(d, sess, w)
	case "sessions-active":
		return sessionsActive(d, w)
	default:
		return memory(sess, w)
	}
}

// firstError collects the first error of concurrent workers.
type firstError struct {
	mu  sync.Mutex
	err error
}

func (f *firstError) set(err error) {
	f.mu.Lock()
	if f.err == nil {
		f.err = err
	}
	f.mu.Unlock()
}

func (f *firstError) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func bulk(sess opener, w workload) (map[string]any, error) {
	streams := w.streams
	if streams < 1 {
		streams = 1
	}
	data := pattern(chunk)
	round := func() error {
		var wg sync.WaitGroup
		var fe firstError
		wg.Add(streams)
		for i := 0; i < streams; i++ {
			go func() {
				defer wg.Done()
				fe.set(sinkOne(sess, w.size, data))
			}()
		}
		wg.Wait()
		return fe.get()
	}
	warmupRounds := uint64(0)
	if uint64(streams)*w.size <= warmupMaxRound {
		warm := time.Now()
		for time.Since(warm).Seconds() < warmupSecs {
			if err := round(); err != nil {
				return nil, err
			}
			warmupRounds++
		}
	}
	start := time.Now()
	rounds := uint64(0)
	for {
		if err := round(); err != nil {
			return nil, err
		}
		rounds++
		if time.Since(start).Seconds() >= w.secs {
			break
		}
	}
	return map[string]any{
		"ok":            true,
		"workload":      "bulk",
		"bytes":         rounds * uint64(streams) * w.size,
		"secs":          time.Since(start).Seconds(),
		"rounds":        rounds,
		"warmup_rounds": warmupRounds,
	}, nil
}

// sinkOne sends size bytes to a sink (the operation byte rides with the
// payload's start), half-closes, and checks the sink's count.
func sinkOne(sess opener, size uint64, data []byte) error {
	str, err := sess.Open()
	if err != nil {
		return fmt.Errorf("open: %v", err)
	}
	defer str.Close()
	first := size
	if first > chunk-1 {
		first = chunk - 1
	}
	head := make([]byte, 0, first+1)
	head = append(head, 'S')
	head = append(head, data[:first]...)
	if _, err := str.Write(head); err != nil {
		return fmt.Errorf("write: %v", err)
	}
	left := size - first
	for left > 0 {
		n := left
		if n > chunk {
			n = chunk
		}
		if _, err := str.Write(data[:n]); err != nil {
			return fmt.Errorf("write: %v", err)
		}
		left -= n
	}
	if err := closeWrite(str); err != nil {
		return fmt.Errorf("half-close: %v", err)
	}
	var receipt [8]byte
	if _, err := io.ReadFull(str, receipt[:]); err != nil {
		return fmt.Errorf("reading the sink's count: %v", err)
	}
	if got := binary.BigEndian.Uint64(receipt[:]); got != size {
		return fmt.Errorf("the sink read %d bytes of %d", got, size)
	}
	return nil
}

// echoOnce opens a stream, has 64 bytes echoed and closes it.
func echoOnce(sess opener, message []byte) error {
	str, err := sess.Open()
	if err != nil {
		return fmt.Errorf("open: %v", err)
	}
	request := append([]byte{'E'}, message...)
	if _, err := str.Write(request); err != nil {
		str.Close()
		return fmt.Errorf("write: %v", err)
	}
	reply := make([]byte, len(message))
	if _, err := io.ReadFull(str, reply); err != nil {
		str.Close()
		return fmt.Errorf("reading the echo: %v", err)
	}
	if !bytes.Equal(reply, message) {
		str.Close()
		return errors.New("the echo differs from the message")
	}
	// Close sends the FIN and releases the stream: Go's way to end a stream.
	if err := str.Close(); err != nil {
		return fmt.Errorf("close: %v", err)
	}
	return nil
}

func rate(sess opener, w workload) (map[string]any, error) {
	inFlight := w.streams
	if inFlight < 1 {
		inFlight = 1
	}
	message := pattern(echoLen)
	var ops atomic.Uint64
	start := time.Now()
	deadline := start.Add(time.Duration(w.secs * float64(time.Second)))
	var wg sync.WaitGroup
	var fe firstError
	wg.Add(inFlight)
	for i := 0; i < inFlight; i++ {
		go func() {
			defer wg.Done()
			for {
				if err := echoOnce(sess, message); err != nil {
					fe.set(err)
					return
				}
				ops.Add(1)
				if !time.Now().Before(deadline) {
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := fe.get(); err != nil {
		return nil, err
	}
	return map[string]any{
		"ok":       true,
		"workload": "rate",
		"ops":      ops.Load(),
		"secs":     time.Since(start).Seconds(),
	}, nil
}

func latency(sess opener, w workload) (map[string]any, error) {
	var stop atomic.Bool
	var moved atomic.Uint64
	loadDone := make(chan error, 1)
	if w.loaded {
		go func() { loadDone <- loadUntil(sess, &stop, &moved) }()
		started := time.Now()
		for moved.Load() < 1<<20 && time.Since(started) < 10*time.Second {
			time.Sleep(time.Millisecond)
		}
	} else {
		loadDone <- nil
	}
	message := pattern(echoLen)
	str, err := sess.Open()
	if err != nil {
		return nil, fmt.Errorf("open: %v", err)
	}
	defer str.Close()
	request := append([]byte{'E'}, message...)
	reply := make([]byte, echoLen)
	warmup := w.samples / 10
	if warmup > 100 {
		warmup = 100
	}
	n := w.samples
	if n < 1 {
		n = 1
	}
	samples := make([]float64, 0, n)
	for i := 0; i < warmup+n; i++ {
		out := message
		if i == 0 {
			out = request
		}
		sent := time.Now()
		if _, err := str.Write(out); err != nil {
			return nil, fmt.Errorf("write: %v", err)
		}
		if _, err := io.ReadFull(str, reply); err != nil {
			return nil, fmt.Errorf("reading the echo: %v", err)
		}
		rtt := time.Since(sent)
		if !bytes.Equal(reply, message) {
			return nil, errors.New("the echo differs from the message")
		}
		if i >= warmup {
			samples = append(samples, float64(rtt.Nanoseconds())/1e3)
		}
	}
	if err := closeWrite(str); err != nil {
		return nil, fmt.Errorf("half-close: %v", err)
	}
	bulkBytes := moved.Load()
	stop.Store(true)
	if err := <-loadDone; err != nil {
		return nil, err
	}
	sum := 0.0
	for _, s := range samples {
		sum += s
	}
	sort.Float64s(samples)
	return map[string]any{
		"ok":         true,
		"workload":   "latency",
		"samples":    len(samples),
		"p50_us":     percentile(samples, 50),
		"p99_us":     percentile(samples, 99),
		"mean_us":    sum / float64(len(samples)),
		"max_us":     samples[len(samples)-1],
		"bulk_bytes": bulkBytes,
	}, nil
}

// percentile is the sample at index (n-1)*p/100 of sorted samples, the Rust
// peers' rule.
func percentile(sorted []float64, p int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[(len(sorted)-1)*p/100]
}

// loadUntil writes to a sink until stop, then checks the sink's count.
func loadUntil(sess opener, stop *atomic.Bool, moved *atomic.Uint64) error {
	data := pattern(chunk)
	str, err := sess.Open()
	if err != nil {
		return fmt.Errorf("open: %v", err)
	}
	defer str.Close()
	if _, err := str.Write([]byte{'S'}); err != nil {
		return fmt.Errorf("write: %v", err)
	}
	sent := uint64(0)
	for !stop.Load() {
		if _, err := str.Write(data); err != nil {
			return fmt.Errorf("write: %v", err)
		}
		sent += uint64(len(data))
		moved.Store(sent)
	}
	if err := closeWrite(str); err != nil {
		return fmt.Errorf("half-close: %v", err)
	}
	var receipt [8]byte
	if _, err := io.ReadFull(str, receipt[:]); err != nil {
		return fmt.Errorf("reading the sink's count: %v", err)
	}
	if binary.BigEndian.Uint64(receipt[:]) != sent {
		return errors.New("the sink's count differs from the load sent")
	}
	return nil
}

// serverUsage is the acceptor's answer to Q.
type serverUsage struct{ held, rss, cpuMicros uint64 }

// query asks the acceptor how many streams it holds, its resident memory and
// its process's CPU time.
func query(sess opener) (serverUsage, error) {
	str, err := sess.Open()
	if err != nil {
		return serverUsage{}, fmt.Errorf("open: %v", err)
	}
	defer str.Close()
	if _, err := str.Write([]byte{'Q'}); err != nil {
		return serverUsage{}, fmt.Errorf("write: %v", err)
	}
	if err := closeWrite(str); err != nil {
		return serverUsage{}, fmt.Errorf("half-close: %v", err)
	}
	var reply [24]byte
	if _, err := io.ReadFull(str, reply[:]); err != nil {
		return serverUsage{}, fmt.Errorf("reading the query's reply: %v", err)
	}
	return serverUsage{binary.BigEndian.Uint64(reply[:8]), binary.BigEndian.Uint64(reply[8:16]), binary.BigEndian.Uint64(reply[16:])}, nil
}

func memory(sess opener, w workload) (map[string]any, error) {
	before, err := query(sess)
	if err != nil {
		return nil, err
	}
	rssBefore := before.rss
	var mu sync.Mutex
	held := make([]net.Conn, 0, w.streams)
	gate := make(chan struct{}, holdInFlght)
	var wg sync.WaitGroup
	var fe firstError
	for i := 0; i < w.streams && fe.get() == nil; i++ {
		gate <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-gate }()
			str, err := sess.Open()
			if err != nil {
				fe.set(fmt.Errorf("open: %v", err))
				return
			}
			if _, err := str.Write([]byte{'H'}); err != nil {
				fe.set(fmt.Errorf("write: %v", err))
				return
			}
			var ack [1]byte
			if _, err := io.ReadFull(str, ack[:]); err != nil {
				fe.set(fmt.Errorf("reading the hold's ack: %v", err))
				return
			}
			mu.Lock()
			held = append(held, str)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if err := fe.get(); err != nil {
		return nil, err
	}
	time.Sleep(200 * time.Millisecond)
	after, err := query(sess)
	if err != nil {
		return nil, err
	}
	count, rssAfter := after.held, after.rss
	if count != uint64(w.streams) {
		return nil, fmt.Errorf("the acceptor holds %d streams of %d", count, w.streams)
	}
	return map[string]any{
		"ok":         true,
		"workload":   "memory",
		"streams":    w.streams,
		"rss_before": rssBefore,
		"rss_after":  rssAfter,
	}, nil
}

// burstOne opens a stream, writes E and the message at once, reads the echo
// and closes; errWrongEcho is not a refusal but a broken implementation.
func burstOne(sess opener, request []byte) error {
	str, err := sess.Open()
	if err != nil {
		return fmt.Errorf("open: %v", err)
	}
	defer str.Close()
	if _, err := str.Write(request); err != nil {
		return fmt.Errorf("write: %v", err)
	}
	reply := make([]byte, len(request)-1)
	if _, err := io.ReadFull(str, reply); err != nil {
		return fmt.Errorf("reading the echo: %v", err)
	}
	if !bytes.Equal(reply, request[1:]) {
		return errWrongEcho
	}
	return nil
}

var errWrongEcho = errors.New("the echo differs from the message")

func burst(sess opener, w workload) (map[string]any, error) {
	n := w.streams
	if n < 1 {
		n = 1
	}
	request := append([]byte{'E'}, pattern(burstLen)...)
	type outcome struct {
		at  time.Duration
		err error
	}
	results := make(chan outcome, n)
	start := time.Now()
	for i := 0; i < n; i++ {
		go func() {
			done := make(chan error, 1)
			go func() { done <- burstOne(sess, request) }()
			select {
			case err := <-done:
				results <- outcome{time.Since(start), err}
			case <-time.After(burstPatience):
				results <- outcome{0, errors.New("no echo within 30 s")}
			}
		}()
	}
	echoed, refused := 0, 0
	var last time.Duration
	errs := map[string]int{}
	for i := 0; i < n; i++ {
		o := <-results
		switch {
		case o.err == nil:
			echoed++
			if o.at > last {
				last = o.at
			}
		case errors.Is(o.err, errWrongEcho):
			return nil, o.err
		default:
			refused++
			errs[o.err.Error()]++
		}
	}
	type count struct {
		Error string `json:"error"`
		Count int    `json:"count"`
	}
	shown := make([]count, 0, len(errs))
	for e, c := range errs {
		shown = append(shown, count{e, c})
	}
	sort.Slice(shown, func(i, j int) bool { return shown[i].Count > shown[j].Count })
	if len(shown) > 4 {
		shown = shown[:4]
	}
	return map[string]any{
		"ok":             true,
		"workload":       "burst",
		"streams":        n,
		"echoed":         echoed,
		"refused":        refused,
		"last_echo_secs": last.Seconds(),
		"secs":           time.Since(start).Seconds(),
		"errors":         shown,
	}, nil
}

// dialMany dials n sessions, dialInFlght at a time, each checked by one echo.
func dialMany(d dialer, n int) ([]opener, []upstream.Session, error) {
	openers := make([]opener, n)
	sessions := make([]upstream.Session, n)
	gate := make(chan struct{}, dialInFlght)
	var wg sync.WaitGroup
	var fe firstError
	message := pattern(echoLen)
	for i := 0; i < n && fe.get() == nil; i++ {
		gate <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-gate }()
			o, s, err := d.dial()
			if err != nil {
				fe.set(fmt.Errorf("dialing session %d: %v", i+1, err))
				return
			}
			openers[i], sessions[i] = o, s
			fe.set(echoOnce(o, message))
		}(i)
	}
	wg.Wait()
	return openers, sessions, fe.get()
}

func closeAll(sessions []upstream.Session) {
	for _, s := range sessions {
		if s != nil {
			s.Close()
		}
	}
}

func sessionsIdle(d dialer, sess opener, w workload) (map[string]any, error) {
	before, err := query(sess)
	if err != nil {
		return nil, err
	}
	dialing := time.Now()
	_, sessions, err := dialMany(d, w.sessions)
	defer closeAll(sessions)
	if err != nil {
		return nil, err
	}
	dialSecs := time.Since(dialing).Seconds()
	time.Sleep(settle)
	after, err := query(sess)
	if err != nil {
		return nil, err
	}
	idle := time.Now()
	time.Sleep(time.Duration(w.secs * float64(time.Second)))
	end, err := query(sess)
	if err != nil {
		return nil, err
	}
	idleSecs := time.Since(idle).Seconds()
	cpu := uint64(0)
	if end.cpuMicros > after.cpuMicros {
		cpu = end.cpuMicros - after.cpuMicros
	}
	return map[string]any{
		"ok":          true,
		"workload":    "sessions-idle",
		"sessions":    w.sessions,
		"dial_secs":   dialSecs,
		"rss_before":  before.rss,
		"rss_after":   after.rss,
		"rss_end":     end.rss,
		"cpu_idle_us": cpu,
		"idle_secs":   idleSecs,
	}, nil
}

func sessionsActive(d dialer, w workload) (map[string]any, error) {
	n := w.sessions
	if n < 1 {
		n = 1
	}
	openers, sessions, err := dialMany(d, n)
	defer closeAll(sessions)
	if err != nil {
		return nil, err
	}
	message := pattern(echoLen)
	var ops atomic.Uint64
	start := time.Now()
	deadline := start.Add(time.Duration(w.secs * float64(time.Second)))
	var wg sync.WaitGroup
	var fe firstError
	wg.Add(n)
	for _, o := range openers {
		go func(o opener) {
			defer wg.Done()
			for {
				if err := echoOnce(o, message); err != nil {
					fe.set(err)
					return
				}
				ops.Add(1)
				if !time.Now().Before(deadline) {
					return
				}
			}
		}(o)
	}
	wg.Wait()
	if err := fe.get(); err != nil {
		return nil, err
	}
	return map[string]any{
		"ok":       true,
		"workload": "sessions-active",
		"sessions": w.sessions,
		"ops":      ops.Load(),
		"secs":     time.Since(start).Seconds(),
	}, nil
}
