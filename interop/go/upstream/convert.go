package upstream

import "io"

// GoFrame is the method set every Go version's frame.Frame has. The type
// parameters stand for that version's own named types (frame.StreamId,
// frame.Type, frame.Flags), which differ between import paths.
type GoFrame[ID ~uint32, T ~uint8, F ~uint8] interface {
	StreamId() ID
	Type() T
	Flags() F
	Length() uint32
}

// ConvertFrame turns a frame returned by a Go framer into a Frame. The
// optional parts are found by method name, which is the same in every version:
// ErrorCode (RST, GOAWAY), WindowIncrement (WNDINC), LastStreamId and Debug
// (GOAWAY), Reader (DATA), PayloadReader (unknown types). E is the version's
// frame.ErrorCode type.
func ConvertFrame[ID ~uint32, T ~uint8, F ~uint8, E ~uint32](f GoFrame[ID, T, F]) Frame {
	out := Frame{
		Type:     uint8(f.Type()),
		StreamId: uint32(f.StreamId()),
		Flags:    uint8(f.Flags()),
		Length:   f.Length(),
	}
	if x, ok := f.(interface{ ErrorCode() E }); ok {
		out.ErrorCode = uint32(x.ErrorCode())
	}
	if x, ok := f.(interface{ WindowIncrement() uint32 }); ok {
		out.Increment = x.WindowIncrement()
	}
	if x, ok := f.(interface{ LastStreamId() ID }); ok {
		out.LastStreamId = uint32(x.LastStreamId())
	}
	switch x := f.(type) {
	case interface{ Reader() io.Reader }:
		out.Body = x.Reader()
	case interface{ PayloadReader() io.Reader }:
		out.Body = x.PayloadReader()
	case interface{ Debug() io.Reader }:
		out.Body = x.Debug()
	}
	// Every Go version hands bodies up as an *io.LimitedReader; its N is the
	// number of bytes Go will read for the body.
	if lr, ok := out.Body.(*io.LimitedReader); ok {
		out.BodyLen = lr.N
	} else if out.Body != nil {
		out.BodyLen = -1
	}
	return out
}
