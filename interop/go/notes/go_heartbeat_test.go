package notes

// Go's heartbeat (heartbeat.go of each version) against a raw peer: when
// beats are sent, how a missing echo is reported, what the requester sends
// when it stops, and that the responder runs only inside the application's
// AcceptTypedStream. 2016's callback takes only a duration (a failure is a
// zero duration); v2's takes the duration and a failure flag; the adapters
// turn both into report(rtt, failed).

import (
	"bytes"
	"testing"
	"time"

	"muxado-interop/upstream"
)

type beatReport struct {
	rtt    time.Duration
	failed bool
	at     time.Time
}

// startHeartbeat starts Go's heartbeat requester on a Go client and returns
// the raw peer, after it received the heartbeat stream's SYN with the type.
func startHeartbeat(t *testing.T, impl upstream.Impl, interval, tolerance time.Duration) (*peer, <-chan beatReport) {
	t.Helper()
	p, s := start(t, impl, false, upstream.Config{})
	reports := make(chan beatReport, 100)
	hb := s.NewHeartbeat(upstream.HeartbeatConfig{Interval: interval, Tolerance: tolerance, Type: 0xFFFFFFFF},
		func(rtt time.Duration, failed bool) {
			select {
			case reports <- beatReport{rtt, failed, time.Now()}:
			default:
			}
		})
	hb.Start()
	p.expect(wantDATA(3, flagSYN, u32(0xFFFFFFFF)))
	return p, reports
}

// expectBeat waits for the next beat on stream 3 and returns its 4 bytes.
func expectBeat(p *peer) []byte {
	p.t.Helper()
	f := p.expect(want{"a 4-byte beat on stream 3", func(f rawFrame) bool {
		return f.Type == typeDATA && f.StreamID == 3 && f.Flags == 0 && len(f.Body) == 4
	}})
	return f.Body
}

func expectReport(t *testing.T, reports <-chan beatReport, failed bool) beatReport {
	t.Helper()
	r := result(t, "a heartbeat report", reports)
	if r.failed != failed || (failed && r.rtt != 0) || (!failed && r.rtt <= 0) {
		t.Fatalf("heartbeat report (%v, failed=%v), want failed=%v", r.rtt, r.failed, failed)
	}
	return r
}

func expectNoReport(t *testing.T, reports <-chan beatReport, d time.Duration, why string) {
	t.Helper()
	stillPending(t, "a heartbeat report "+why, reports, d)
}

// 2016 sleeps one interval after each echo before the next beat
// (requester: time.Sleep, then write), so its period is interval + RTT. v2
// beats on a ticker started with the requester; a tick that came while an
// echo was awaited is kept, so after a late echo the next beat goes out at
// once.
//
// checks: [HEARTBEAT-1] [INTEROP-22]
func TestGoHeartbeatBeatAfterLateEcho(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		const interval = 300 * time.Millisecond
		p, reports := startHeartbeat(t, impl, interval, 10*time.Second)
		beat := expectBeat(p)
		time.Sleep(500 * time.Millisecond) // longer than the interval
		echoed := time.Now()
		p.send(dataFrame(3, 0, beat))
		expectReport(t, reports, false)
		expectBeat(p)
		gap := time.Since(echoed)
		if impl.Version == "2016" {
			if gap < interval-50*time.Millisecond {
				t.Fatalf("2016 beat %v after a late echo, want about the interval %v", gap, interval)
			}
		} else if gap > interval/2 {
			t.Fatalf("v2 beat %v after a late echo, want at once (a tick was pending)", gap)
		}
	})
}

// With no echo, the failure is reported once, interval + tolerance after
// the start or the last echo, as a zero duration (2016) or (0, true) (v2);
// the check timer is not re-armed, so a longer silence is not reported again.
// A late echo is then reported as a measurement in every version. In 2016
// the heartbeat goes on. In v2 the check goroutine, after reporting that
// echo, waits forever on the already drained timer channel (check: Stop
// returns false, then a receive from t.C): the next echo is never reported,
// the requester blocks handing it over and sends no more beats, and no
// failure is reported again.
//
// checks: [HEARTBEAT-3] [INTEROP-22]
func TestGoHeartbeatFailureThenLateEcho(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		const interval, tolerance = 100 * time.Millisecond, 200 * time.Millisecond
		started := time.Now()
		p, reports := startHeartbeat(t, impl, interval, tolerance)
		beat := expectBeat(p)
		r := expectReport(t, reports, true)
		if d := r.at.Sub(started); d < interval+tolerance-20*time.Millisecond {
			t.Fatalf("failure reported %v after the start, want at least %v", d, interval+tolerance)
		}
		expectNoReport(t, reports, 2*(interval+tolerance), "after the first failure (the timer is not re-armed)")

		p.send(dataFrame(3, 0, beat))
		expectReport(t, reports, false)
		beat = expectBeat(p)
		p.send(dataFrame(3, 0, beat))
		if impl.Version == "2016" {
			expectReport(t, reports, false)
			expectBeat(p)
			return
		}
		expectNoReport(t, reports, 2*(interval+tolerance), "in v2 after a failure and a late echo")
		p.expectQuiet(quiet, "v2's requester, stuck handing over a measurement")
	})
}

// A requester that gets a wrong echo stops: 2016 just returns, leaving its
// stream open without a frame; v2 closes its stream (a deferred Close), which
// sends a zero-length DATA with FIN. Either way the failure is then reported
// by the check timer.
//
// checks: [HEARTBEAT-4] [HEARTBEAT-3] [INTEROP-22]
func TestGoHeartbeatWrongEcho(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		const interval, tolerance = 100 * time.Millisecond, 200 * time.Millisecond
		p, reports := startHeartbeat(t, impl, interval, tolerance)
		beat := expectBeat(p)
		wrong := append([]byte(nil), beat...)
		wrong[3] ^= 0xFF
		p.send(dataFrame(3, 0, wrong))
		if impl.Version == "2016" {
			p.expectQuiet(quiet, "2016's requester after a wrong echo")
		} else {
			p.expect(wantDATA(3, flagFIN, nil))
			p.expectQuiet(quiet, "v2's requester after its FIN")
		}
		expectReport(t, reports, true)
	})
}

// Go answers a peer's heartbeat stream only while the application is inside
// the heartbeat's AcceptTypedStream, which runs the responder for each
// heartbeat stream it meets; a session whose application never calls it
// leaves the beat unanswered, and the peer's heartbeat fails.
//
// checks: [HEARTBEAT-2] [INTEROP-22]
func TestGoHeartbeatResponderNeedsAccept(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, true, upstream.Config{})
		hb := s.NewHeartbeat(upstream.HeartbeatConfig{Interval: time.Hour, Tolerance: time.Hour, Type: 0xFFFFFFFF},
			func(time.Duration, bool) {})
		p.send(dataFrame(3, flagSYN, bytes.Join([][]byte{u32(0xFFFFFFFF), []byte("ping")}, nil)))
		p.expectQuiet(quiet, "no AcceptTypedStream call yet")
		accepted := async(func() error { _, _, err := hb.AcceptTypedStream(); return err })
		p.expect(wantDATA(3, 0, []byte("ping")))
		stillPending(t, "AcceptTypedStream (a heartbeat stream is not returned)", accepted, quiet)
	})
}
