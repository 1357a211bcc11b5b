// Command peer plays one side of one interop scenario (interop/SCENARIOS.md)
// with a linked Go muxado implementation, for the interop harness:
//
//	peer --role client|server (--dial ADDR | --listen ADDR) --scenario NAME
//	     [--window BYTES] [--backlog N] [--impl 2016|ngrok]
//	     [--soak-secs S] [--seed N]
//
// With --listen it prints `LISTENING <ip:port>` on its own line, accepts one
// connection and plays the scenario on it; with --dial it connects to ADDR.
// When done it prints one line `RESULT <json>` and exits 0 (ok), 1 (not ok,
// including the 30 s timeout), 3 (the side is not supported by Go: the
// connection is still made, then closed unused) or 2 (usage error). The scenario logic lives in
// package muxado-interop/scenario.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"muxado-interop/adapters/inconshreveable"
	"muxado-interop/adapters/ngrokv2"
	"muxado-interop/scenario"
	"muxado-interop/upstream"
)

// baseLimit is how long a peer runs at most, from its start (a soak peer: this
// plus the soak's duration).
const baseLimit = 30 * time.Second

// maxSoakSecs bounds --soak-secs (a day).
const maxSoakSecs = 24 * 3600

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	role     scenario.Role
	dial     string
	listen   string
	scenario string
	cfg      upstream.Config
	params   scenario.Params
	impl     upstream.Impl
}

// limit is how long this peer runs at most.
func (o options) limit() time.Duration {
	if o.scenario == "soak" {
		return baseLimit + o.params.SoakDuration
	}
	return baseLimit
}

func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: peer --role client|server (--dial ADDR | --listen ADDR) --scenario NAME\n"+
		"            [--window BYTES] [--backlog N] [--impl 2016|ngrok]\n"+
		"            [--soak-secs S] [--seed N]\n\nscenarios: %s\n\n",
		strings.Join(scenario.Names(), ", "))
	fs.PrintDefaults()
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("peer", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	role := fs.String("role", "", "muxado role: client or server")
	fs.StringVar(&o.dial, "dial", "", "connect to `ADDR`")
	fs.StringVar(&o.listen, "listen", "", "listen on `ADDR` (e.g. 127.0.0.1:0) and accept one connection")
	fs.StringVar(&o.scenario, "scenario", "", "scenario `NAME`")
	window := fs.Uint64("window", 0, "session max window size in `BYTES` (default: Go's, 256 KiB)")
	backlog := fs.Uint64("backlog", 0, "session accept backlog `N` (default: Go's, 128)")
	defaults := scenario.DefaultParams()
	soakSecs := fs.Uint64("soak-secs", uint64(defaults.SoakDuration/time.Second), "soak: how long the client keeps opening streams, in whole `SECONDS`")
	fs.Uint64Var(&o.params.Seed, "seed", defaults.Seed, "soak: the seed `N` of the client's random choices")
	implName := fs.String("impl", "ngrok", "implementation: 2016 (github.com/inconshreveable/muxado) or ngrok (golang.ngrok.com/muxado/v2, the version this build links; its version name is accepted too)")
	err := fs.Parse(args)
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err == nil {
		err = o.check(*role, *window, *backlog, *implName)
	}
	if err == nil && *soakSecs > maxSoakSecs {
		err = fmt.Errorf("--soak-secs %d is more than a day", *soakSecs)
	}
	o.params.SoakDuration = time.Duration(*soakSecs) * time.Second
	if err != nil {
		fmt.Fprintf(stderr, "peer: %v\n", err)
		usage(stderr, fs)
	}
	return o, err
}

func (o *options) check(role string, window, backlog uint64, implName string) error {
	switch scenario.Role(role) {
	case scenario.Client, scenario.Server:
		o.role = scenario.Role(role)
	default:
		return fmt.Errorf("--role must be client or server, not %q", role)
	}
	if (o.dial == "") == (o.listen == "") {
		return errors.New("exactly one of --dial and --listen is required")
	}
	if !scenario.Known(o.scenario) {
		return fmt.Errorf("unknown --scenario %q", o.scenario)
	}
	if window > 0x7FFFFFFF {
		return fmt.Errorf("--window %d is above 2^31-1", window)
	}
	if backlog > 1<<20 {
		return fmt.Errorf("--backlog %d is too large", backlog)
	}
	o.cfg = upstream.Config{MaxWindowSize: uint32(window), AcceptBacklog: uint32(backlog)}
	v2 := ngrokv2.Impl()
	switch implName {
	case "2016":
		o.impl = inconshreveable.Impl()
	case "ngrok", v2.Version:
		o.impl = v2
	default:
		return fmt.Errorf("unknown --impl %q: this build links 2016 and ngrok (%s)", implName, v2.Version)
	}
	return nil
}

func run(args []string, stdout, stderr io.Writer) int {
	start := time.Now()
	o, err := parse(args, stderr)
	if err != nil {
		return 2
	}
	deadline := start.Add(o.limit())
	fmt.Fprintf(stderr, "peer: Go muxado %s, %s of %s\n", o.impl.Version, o.role, o.scenario)

	var res scenario.Result
	conn, err := connect(o, deadline, stdout)
	switch {
	case scenario.Unsupported(o.scenario, o.role) != "":
		// The transport is set up anyway, so that a harness waiting for
		// LISTENING or for the connection goes on at once; it is closed
		// unused.
		if conn != nil {
			_ = conn.Close()
		}
		res = scenario.UnsupportedResult(o.scenario, o.role)
	case err != nil:
		res = scenario.Result{Detail: err.Error(), Observed: map[string]any{}}
	default:
		res = scenario.RunWith(o.scenario, o.role, o.impl, conn, o.cfg, o.params, deadline)
	}
	if err := printResult(stdout, res); err != nil {
		fmt.Fprintf(stderr, "peer: writing the result: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "peer: %s %s: exit %d: %s\n", o.role, o.scenario, res.ExitCode(), res.Detail)
	return res.ExitCode()
}

// connect dials, or listens, announces the address and accepts one
// connection, by the deadline.
func connect(o options, deadline time.Time, stdout io.Writer) (net.Conn, error) {
	if o.dial != "" {
		d := net.Dialer{Deadline: deadline}
		conn, err := d.Dial("tcp", o.dial)
		if err != nil {
			return nil, fmt.Errorf("dial %s: %v", o.dial, err)
		}
		return conn, nil
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %v", o.listen, err)
	}
	defer ln.Close()
	if tl, ok := ln.(*net.TCPListener); ok {
		_ = tl.SetDeadline(deadline)
	}
	if _, err := fmt.Fprintf(stdout, "LISTENING %s\n", ln.Addr()); err != nil {
		return nil, fmt.Errorf("announcing the address: %v", err)
	}
	conn, err := ln.Accept()
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, fmt.Errorf("timeout: no connection on %s within %v", ln.Addr(), o.limit())
		}
		return nil, fmt.Errorf("accept on %s: %v", ln.Addr(), err)
	}
	return conn, nil
}

func printResult(w io.Writer, res scenario.Result) error {
	if res.Observed == nil {
		res.Observed = map[string]any{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(res); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "RESULT %s", buf.Bytes())
	return err
}
