package notes

// ngrok v2's Heartbeat.Beat, an on-demand beat. The adapters' Heartbeat has
// no Beat (2016 has none), so this test uses the linked v2 package directly.

import (
	"reflect"
	"testing"
	"time"

	muxado2016 "github.com/inconshreveable/muxado"
	muxado "golang.ngrok.com/muxado/v2"

	"muxado-interop/upstream"
)

type beatResult struct {
	rtt time.Duration
	ok  bool
}

// Beat hands the requester a request (onDemand) that it takes like a tick:
// it sends a beat on the heartbeat stream at once, between the ticks, and
// the ticker's own beats go on. Beat returns (RTT, true) when the echo
// comes, and (0, false) when none came within the tolerance, counted from
// the call; the echo of an on-demand beat is given to Beat only, not to the
// heartbeat callback. 2016's Heartbeat has no Beat method.
//
// With interval 1 s and tolerance 300 ms: Beat right after the start sends
// a beat at once and returns true once it is echoed, with no callback; the
// tick one interval after the start still sends its beat, reported to the
// callback; a second Beat, not echoed, returns (0, false) about 300 ms
// after the call.
//
// checks: [HEARTBEAT-5]
func TestGoHeartbeatBeatOnDemand(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		if impl.Version == "2016" {
			if _, has := reflect.TypeOf((*muxado2016.Heartbeat)(nil)).MethodByName("Beat"); has {
				t.Fatalf("2016's Heartbeat has a Beat method")
			}
			return
		}
		const interval, tolerance = time.Second, 300 * time.Millisecond
		goSide, rawSide := tcpPair(t)
		reports := make(chan beatReport, 100)
		s := muxado.Client(goSide, nil)
		hb := muxado.NewHeartbeat(muxado.NewTypedStreamSession(s), func(rtt time.Duration, failed bool) {
			select {
			case reports <- beatReport{rtt, failed, time.Now()}:
			default:
			}
		}, &muxado.HeartbeatConfig{Interval: interval, Tolerance: tolerance, Type: 0xFFFFFFFF})
		t.Cleanup(func() { _ = hb.Close(); _ = rawSide.Close(); _ = goSide.Close() })
		p := newPeer(t, rawSide)
		hb.Start()
		p.expect(wantDATA(3, flagSYN, u32(0xFFFFFFFF)))
		started := time.Now()
		beat := func() <-chan beatResult {
			return async(func() beatResult { d, ok := hb.Beat(); return beatResult{d, ok} })
		}

		first := beat()
		echo := expectBeat(p)
		if d := time.Since(started); d > interval/2 {
			t.Fatalf("the on-demand beat came %v after the start; want at once (interval %v)", d, interval)
		}
		p.send(dataFrame(3, 0, echo))
		if r := result(t, "Beat with its echo", first); !r.ok || r.rtt <= 0 {
			t.Fatalf("Beat with its echo returned (%v, %v), want (RTT, true)", r.rtt, r.ok)
		}
		expectNoReport(t, reports, quiet, "for an on-demand beat")

		echo = expectBeat(p)
		if d := time.Since(started); d < interval-150*time.Millisecond {
			t.Fatalf("the ticker's beat came %v after the start, want about the interval %v", d, interval)
		}
		p.send(dataFrame(3, 0, echo))
		expectReport(t, reports, false)

		called := time.Now()
		second := beat()
		expectBeat(p) // not echoed
		r := result(t, "Beat without an echo", second)
		waited := time.Since(called)
		if r.ok || r.rtt != 0 {
			t.Fatalf("Beat without an echo returned (%v, %v), want (0, false)", r.rtt, r.ok)
		}
		if waited < tolerance-20*time.Millisecond || waited > tolerance+300*time.Millisecond {
			t.Fatalf("Beat without an echo returned after %v, want about the tolerance %v", waited, tolerance)
		}
	})
}
