package notes

import (
	"testing"

	"muxado-interop/upstream"
)

type typedAccept struct {
	connErr
	typ uint32
}

// On a typed-stream session, the raw peer opens stream 3 with the type
// 0x01020304 split over two DATA frames: bytes 01 02 on the SYN frame, then,
// after Go has read them (its WNDINC for 2 bytes shows it), 03 04 and "rest".
// Every version reads the type with one Read: the stream is delivered with
// type 0x01020000, and 03 04 are the first bytes of its data. Stream 5, whose
// SYN frame carries all 4 type bytes, gets the right type.
//
// checks: [INTEROP-3] [TYPED-1] [TYPED-2]
func TestInterop3TypeSplitAcrossFrames(t *testing.T) {
	forEachVersion(t, func(t *testing.T, impl upstream.Impl) {
		p, s := start(t, impl, true, upstream.Config{})
		acceptTyped := func() <-chan typedAccept {
			return async(func() typedAccept {
				c, typ, err := s.AcceptTypedStream()
				return typedAccept{connErr{c, err}, typ}
			})
		}

		accepted := acceptTyped()
		p.send(dataFrame(3, flagSYN, []byte{0x01, 0x02}))
		p.expect(wantWNDINC(3, 2))
		p.send(dataFrame(3, 0, []byte{0x03, 0x04, 'r', 'e', 's', 't'}))
		a := result(t, "AcceptTypedStream (split type)", accepted)
		if a.err != nil {
			t.Fatalf("AcceptTypedStream: %v", a.err)
		}
		if a.typ != 0x01020000 {
			t.Fatalf("split type: Go delivered type 0x%08x, want the wrong type 0x01020000", a.typ)
		}
		readExactly(t, a.c, []byte{0x03, 0x04, 'r', 'e', 's', 't'})

		accepted = acceptTyped()
		p.send(dataFrame(5, flagSYN, []byte{0x01, 0x02, 0x03, 0x04, 'o', 'k'}))
		a = result(t, "AcceptTypedStream (whole type)", accepted)
		if a.err != nil {
			t.Fatalf("AcceptTypedStream: %v", a.err)
		}
		if a.typ != 0x01020304 {
			t.Fatalf("whole type: Go delivered type 0x%08x, want 0x01020304", a.typ)
		}
		readExactly(t, a.c, []byte("ok"))
	})
}
