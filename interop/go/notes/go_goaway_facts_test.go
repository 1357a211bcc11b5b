package notes

// GOAWAY as every Go version handles it, beyond INTEROP-1: what GoAway
// returns once the session has ended, why a received GOAWAY tears a 2016 or
// v2.0.1 session down, and what GoAway followed by Close puts on the wire.
// The mechanism is in session.go (GoAway, writeFrame, die, handleFrame) and
// frame/goaway.go (readFrom) of each version.

import (
	"testing"

	"muxado-interop/upstream"
)

// Once the session has ended, whatever ended it, GoAway fails with
// SESSION_CLOSED (writeFrame sees the closed session) and sends nothing,
// while Accept reports the error that ended the session.
//
// checks: [SESSION-4] [SESSION-5] [INTEROP-15]
func TestGoGoAwayAfterSessionEnded(t *testing.T) {
	endings := []struct {
		name string
		end  func(p *peer, s upstream.Session)
		code uint32 // the error that ended the session
		sent uint32 // the code of Go's GOAWAY
	}{
		{"end-of-file", func(p *peer, s upstream.Session) { p.closeWrite() }, codePeerEOF, codePeerEOF},
		{"connection error", func(p *peer, s upstream.Session) {
			p.send(frameBytes(typeRST, 0, 0, u32(codeStreamClosed)))
		}, codeProtocolError, codeProtocolError},
		{"Close", func(p *peer, s upstream.Session) { _ = s.Close() }, codeSessionClosed, codeNoError},
	}
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		for _, e := range endings {
			t.Run(e.name, func(t *testing.T) {
				p, s := start(t, impl, true, upstream.Config{})
				e.end(p, s)
				p.expect(wantGOAWAY(e.sent, ptr(1), nil))
				p.expectEOF()
				w := waitSession(t, s)
				checkCode(t, impl, "Wait local error", w.local, e.code)
				err := await(t, "GoAway after the session ended", func() error {
					return s.GoAway(0xA, []byte("late"))
				})
				checkCode(t, impl, "GoAway after the session ended", err, codeSessionClosed)
				a := result(t, "Accept after the session ended", acceptAsync(s))
				checkCode(t, impl, "Accept after the session ended", a.err, e.code)
			})
		}
	})
}

// A received GOAWAY does not end a 2016 or v2.0.1 session by itself: these
// versions read the GOAWAY's debug data 8 bytes too long (INTEROP-1), so the
// frame behind it is parsed from its 9th byte. In the sequence the
// conformance suite sends (GOAWAY, DATA, FIN on stream 3) the misparsed bytes
// form an RST header with a wrong length, and Go ends the session with GOAWAY
// FRAME_SIZE_ERROR; its stream then fails with SESSION_CLOSED. When exactly
// 8 bytes of filler follow the GOAWAY, the same versions keep the session and
// drain stream 3. v2.0.2 drains stream 3 in both cases.
//
// checks: [GOAWAY-6] [GOAWAY-10] [INTEROP-1] [INTEROP-15]
func TestGoGoAwayReceivedThenFrames(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		old := before202(t, impl.Version)
		for _, filler := range []bool{false, true} {
			name := map[bool]string{false: "frames right behind", true: "8 bytes of filler first"}[filler]
			t.Run(name, func(t *testing.T) {
				p, s := start(t, impl, false, upstream.Config{})
				o := await(t, "Open", func() connErr { c, err := s.Open(); return connErr{c, err} })
				if o.err != nil {
					t.Fatalf("Open: %v", o.err)
				}
				if _, err := o.c.Write([]byte("a")); err != nil {
					t.Fatalf("Write: %v", err)
				}
				p.expect(wantDATA(3, flagSYN, []byte("a")))
				eight := dataFrame(99, flagFIN, nil) // ignored by v2.0.2 as a frame
				data := dataFrame(3, 0, []byte("r"))
				parts := [][]byte{goawayFrame(3, codeNoError, []byte("drain"))}
				if filler {
					parts = append(parts, eight)
				}
				parts = append(parts, data, dataFrame(3, flagFIN, nil))
				p.send(parts...)
				r := result(t, "reading stream 3 to its end", readAllAsync(o.c))
				if old && !filler {
					p.expect(wantGOAWAY(codeFrameSizeError, ptr(0), nil))
					p.expectEOF()
					w := waitSession(t, s)
					checkCode(t, impl, "Wait local error", w.local, codeFrameSizeError)
					checkRemote(t, impl, w, append([]byte("drain"), data[:8]...))
					if len(r.b) != 0 {
						t.Fatalf("stream 3 read %q", r.b)
					}
					checkCode(t, impl, "reading stream 3", r.err, codeSessionClosed)
					return
				}
				if string(r.b) != "r" || r.err.Error() != "EOF" {
					t.Fatalf("stream 3 read %q, %v; want \"r\" and end-of-stream", r.b, r.err)
				}
				stillPending(t, "Wait (the session must go on)", async(func() error { s.Wait(); return nil }), quiet)
				p.closeWrite()
				p.expect(wantGOAWAY(codePeerEOF, ptr(0), nil))
				w := waitSession(t, s)
				debug := []byte("drain")
				if old {
					debug = append(debug, eight...)
				}
				checkRemote(t, impl, w, debug)
			})
		}
	})
}

// GoAway then Close sends two GOAWAY frames: the one asked for, then Close's
// own with NO_ERROR and debug text "no error", both naming the same last
// stream id (die calls GoAway again); then Go closes the transport. A 2016
// or v2.0.1 receiver reads the second GOAWAY's header as debug data of the
// first (INTEROP-1).
//
// checks: [GOAWAY-6] [SESSION-1] [INTEROP-21]
func TestGoGoAwayThenClose(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, true, upstream.Config{})
		acceptSyn(t, p, s, 3, 0, []byte("x"))
		if err := await(t, "GoAway", func() error { return s.GoAway(0xA, []byte("calm")) }); err != nil {
			t.Fatalf("GoAway: %v", err)
		}
		p.expect(wantGOAWAY(0xA, ptr(3), []byte("calm")))
		if err := await(t, "Close", s.Close); err != nil {
			t.Fatalf("Close: %v", err)
		}
		p.expect(wantGOAWAY(codeNoError, ptr(3), []byte("no error")))
		p.expectEOF()
		w := waitSession(t, s)
		checkCode(t, impl, "Wait local error", w.local, codeSessionClosed)
	})
}
