package notes

// Where in a frame end-of-file falls decides what every Go version reports.
// The framer reads the header and the fixed bodies with io.ReadFull
// (frame/common.go readFrom, frame/rst.go, wndinc.go, goaway.go readFrom),
// which returns io.EOF when no byte of the part arrived and
// io.ErrUnexpectedEOF when some did; only io.EOF becomes PEER_EOF
// (session.reader). Bodies handed up as readers are read by the session:
// a DATA body for a known stream with bytes.Buffer.ReadFrom and GOAWAY debug
// data with io.ReadAll, both of which take end-of-file as a normal end, and a
// discarded body (unknown stream, unknown type) with io.CopyN, whose io.EOF
// ends the session as it is (session.handleFrame).

import (
	"io"
	"testing"

	"muxado-interop/upstream"
)

const codeSessionClosed = 0xE

// eofCase is what the raw peer sends before ending its output, and what Go
// then reports.
type eofCase struct {
	name string
	send []byte // sent to a fresh Go server session before end-of-file
	// local is the error code Wait reports; wantErr, if set, is the exact
	// error value (io.ErrUnexpectedEOF, io.EOF).
	local   uint32
	wantErr error
}

// End-of-file between frames, or before the first byte of a fixed body,
// is PEER_EOF; inside a header or a fixed body it is io.ErrUnexpectedEOF,
// which carries no muxado code (0xFF), and Go's GOAWAY says so; in a body Go
// discards (DATA for an unknown stream, a frame of unknown type), even before
// its first byte, it is io.EOF itself, again without a code.
//
// checks: [SESSION-3] [SESSION-1] [INTEROP-17]
func TestGoEOFWhereInFrame(t *testing.T) {
	rst := frameBytes(typeRST, 0, 3, u32(codeStreamClosed))
	wndinc := frameBytes(typeWNDINC, 0, 3, u32(1))
	goaway := goawayFrame(0, codeNoError, nil)
	cases := []eofCase{
		{"between frames", rst, codePeerEOF, nil},
		{"inside a header", rst[:3], codeUnknown, io.ErrUnexpectedEOF},
		{"after an RST header", rst[:8], codePeerEOF, nil},
		{"inside an RST body", rst[:10], codeUnknown, io.ErrUnexpectedEOF},
		{"after a WNDINC header", wndinc[:8], codePeerEOF, nil},
		{"inside a WNDINC body", wndinc[:11], codeUnknown, io.ErrUnexpectedEOF},
		{"after a GOAWAY header", goaway[:8], codePeerEOF, nil},
		{"inside a GOAWAY fixed body", goaway[:13], codeUnknown, io.ErrUnexpectedEOF},
		{"after a DATA header for an unknown stream", dataFrame(9, 0, []byte("abcdef"))[:8], codeUnknown, io.EOF},
		{"inside DATA for an unknown stream", dataFrame(9, 0, []byte("abcdef"))[:8+2], codeUnknown, io.EOF},
		{"inside an unknown-type frame", frameBytes(0x7, 0, 0, []byte("abcdef"))[:8+2], codeUnknown, io.EOF},
	}
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p, s := start(t, impl, true, upstream.Config{})
				p.send(tc.send)
				p.expectQuiet(quiet/3, "before end-of-file")
				p.closeWrite()
				debug := []byte(nil)
				if tc.wantErr != nil {
					debug = []byte(tc.wantErr.Error())
				}
				p.expect(wantGOAWAY(tc.local, ptr(1), debug))
				p.expectEOF()
				w := waitSession(t, s)
				if tc.wantErr != nil && w.local != tc.wantErr {
					t.Fatalf("Wait local error = %#v, want %#v", w.local, tc.wantErr)
				}
				checkCode(t, impl, "Wait local error", w.local, tc.local)
			})
		}
	})
}

// End-of-file inside a DATA body for a stream Go knows: the bytes that
// arrived are delivered as if the frame had ended there. With FIN on the
// frame the reader gets them and then a clean end-of-stream (the stream is
// complete once Go's own half had ended), without FIN it gets them and then
// SESSION_CLOSED; the session ends with PEER_EOF either way. The same holds
// inside GOAWAY debug data: the bytes that arrived are the debug data.
//
// checks: [SESSION-3] [SESSION-2] [STREAM-6] [GOAWAY-9] [INTEROP-17]
func TestGoEOFInsideBody(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		for _, fin := range []bool{true, false} {
			name := map[bool]string{true: "DATA with FIN", false: "DATA without FIN"}[fin]
			t.Run(name, func(t *testing.T) {
				p, s := start(t, impl, true, upstream.Config{})
				c := acceptSyn(t, p, s, 3, 0, nil)
				if fin {
					cw := c.(interface{ CloseWrite() error })
					if err := await(t, "CloseWrite", cw.CloseWrite); err != nil {
						t.Fatalf("CloseWrite: %v", err)
					}
					p.expect(wantDATA(3, flagFIN, nil))
				}
				flags := uint8(0)
				if fin {
					flags = flagFIN
				}
				p.send(dataFrame(3, flags, []byte("abcdefghij"))[:8+4])
				p.expectQuiet(quiet/3, "before end-of-file")
				p.closeWrite()
				p.expect(wantGOAWAY(codePeerEOF, ptr(3), nil))
				p.expectEOF()
				w := waitSession(t, s)
				checkCode(t, impl, "Wait local error", w.local, codePeerEOF)
				r := result(t, "reading stream 3 to its end", readAllAsync(c))
				if string(r.b) != "abcd" {
					t.Fatalf("stream 3 read %q, want the 4 bytes that arrived", r.b)
				}
				if fin {
					if r.err != io.EOF {
						t.Fatalf("after the partial frame with FIN: %v, want end-of-stream", r.err)
					}
				} else {
					checkCode(t, impl, "after the partial frame", r.err, codeSessionClosed)
				}
			})
		}
		t.Run("GOAWAY debug data", func(t *testing.T) {
			p, s := start(t, impl, true, upstream.Config{})
			p.send(goawayFrame(0, codeNoError, []byte("goodbye"))[:8+8+3])
			p.expectQuiet(quiet/3, "before end-of-file")
			p.closeWrite()
			p.expect(wantGOAWAY(codePeerEOF, ptr(1), nil))
			p.expectEOF()
			w := waitSession(t, s)
			checkCode(t, impl, "Wait local error", w.local, codePeerEOF)
			checkRemote(t, impl, w, []byte("goo"))
		})
	})
}
