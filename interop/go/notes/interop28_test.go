package notes

import (
	"bytes"
	"testing"

	"muxado-interop/upstream"
)

// codeEnhanceYourCalm is ENHANCE_YOUR_CALM (SPEC section 9).
const codeEnhanceYourCalm = 0xA

// crateGoAway is the GOAWAY ngrok's Rust crate 0.5.4 writes for
// close(ENHANCE_YOUR_CALM, "calm down from server") (INTEROP-13): its Length
// counts the debug data only (21), and the 8 fixed body bytes go out as well,
// 29 body bytes in all. interop/ngrok-peer/tests/goaway_bytes.rs checks that
// the crate writes exactly these bytes.
func crateGoAway(last uint32, debug []byte) []byte {
	frame := goawayFrame(last, codeEnhanceYourCalm, debug)
	n := len(debug)
	frame[0], frame[1], frame[2] = byte(n>>16), byte(n>>8), byte(n)
	return frame
}

// The raw peer plays ngrok's crate ending its session: its short GOAWAY, then
// the end of its transport. 2016 and v2.0.1 read Length bytes of debug data
// after the 8 fixed bytes (INTEROP-1), which is exactly what the crate sent:
// they report code 10 with the whole debug text. v2.0.2, which follows
// FRAME-1, reads 13 bytes of debug data ("calm down fro") and takes the last
// 8 ("m server") for the next frame's header; the code still arrives.
//
// checks: [INTEROP-28] [INTEROP-13] [INTEROP-1] [GOAWAY-9]
func TestInterop28CrateGoAwayReadByOldGo(t *testing.T) {
	debug := []byte("calm down from server")
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		old := before202(t, impl.Version)
		p, s := start(t, impl, false, upstream.Config{})
		p.send(crateGoAway(0, debug))
		p.closeWrite()
		w := waitSession(t, s)
		checkCode(t, impl, "Wait remote error", w.remote, codeEnhanceYourCalm)
		want := debug
		if !old {
			want = debug[:len(debug)-8]
		}
		if !bytes.Equal(w.debug, want) {
			t.Fatalf("Wait remote debug = %q, want %q", w.debug, want)
		}
	})
}
