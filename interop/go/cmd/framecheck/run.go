package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"muxado-interop/upstream"
)

// runGo feeds input to impl's framer the way a Go session consumes its
// transport: it reads frame after frame, and drains each frame's body reader
// before the next frame (all of a DATA or unknown payload; at most
// upstream.GoDebugLimit bytes of GOAWAY debug data, which is all the session
// reads of it, INTEROP-2).
func runGo(impl upstream.Impl, input []byte) outcome {
	r := bytes.NewReader(input)
	next := impl.NewFrameReader(r)
	var out outcome
	for {
		atEnd := r.Len() == 0
		f, err := next()
		if err != nil {
			out.Detail = err.Error()
			switch class := impl.FrameErrorClass(err); {
			case class != "":
				out.End = class
			case err == io.EOF && atEnd:
				out.End, out.Detail = endDone, ""
			case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
				out.End = endIncomplete
			default:
				out.End = "error"
			}
			return out
		}
		fr := frame{Type: f.Type, StreamID: f.StreamId, Flags: f.Flags, Length: f.Length}
		switch f.Type {
		case upstream.TypeRST:
			fr.ErrorCode = f.ErrorCode
		case upstream.TypeWNDINC:
			fr.Increment = f.Increment
		case upstream.TypeGOAWAY:
			fr.ErrorCode, fr.LastStreamID = f.ErrorCode, f.LastStreamId
		}
		if f.Body != nil {
			want := f.BodyLen
			if want < 0 {
				out.End, out.Detail = "error", "framecheck: body reader of unknown length"
				return out
			}
			if f.Type == upstream.TypeGOAWAY && want > upstream.GoDebugLimit {
				want = upstream.GoDebugLimit
			}
			body, err := io.ReadAll(io.LimitReader(f.Body, want))
			if err != nil {
				out.End, out.Detail = "error", err.Error()
				return out
			}
			if int64(len(body)) < want {
				// The input ended inside the body: Go would wait for more.
				out.End = endIncomplete
				out.Detail = fmt.Sprintf("body reader wanted %d bytes, input had %d", want, len(body))
				return out
			}
			fr.Body = body
		}
		out.Frames = append(out.Frames, fr)
	}
}

// diff returns "" when got matches want, else the first difference.
func diff(want, got outcome) string {
	n := len(want.Frames)
	if len(got.Frames) < n {
		n = len(got.Frames)
	}
	for i := 0; i < n; i++ {
		if d := frameDiff(want.Frames[i], got.Frames[i]); d != "" {
			return fmt.Sprintf("frame %d: %s", i, d)
		}
	}
	if len(want.Frames) != len(got.Frames) {
		return fmt.Sprintf("expected %d frames then %s, Go yielded %d then %s",
			len(want.Frames), want.End, len(got.Frames), got.End)
	}
	if want.End != got.End {
		return fmt.Sprintf("expected end %s, Go: %s", want.End, got.End)
	}
	return ""
}

func frameDiff(w, g frame) string {
	type field struct {
		name string
		w, g uint32
	}
	fields := []field{
		{"type", uint32(w.Type), uint32(g.Type)},
		{"stream_id", w.StreamID, g.StreamID},
		{"flags", uint32(w.Flags), uint32(g.Flags)},
		{"length", w.Length, g.Length},
	}
	body := ""
	switch w.Type {
	case upstream.TypeRST:
		fields = append(fields, field{"error_code", w.ErrorCode, g.ErrorCode})
	case upstream.TypeWNDINC:
		fields = append(fields, field{"increment", w.Increment, g.Increment})
	case upstream.TypeGOAWAY:
		fields = append(fields, field{"last_stream_id", w.LastStreamID, g.LastStreamID},
			field{"error_code", w.ErrorCode, g.ErrorCode})
		body = "debug"
	default:
		body = "payload"
	}
	for _, f := range fields {
		if f.w != f.g {
			return fmt.Sprintf("%s: expected %d (0x%x), Go %d (0x%x)", f.name, f.w, f.w, f.g, f.g)
		}
	}
	if body != "" && !bytes.Equal(w.Body, g.Body) {
		return fmt.Sprintf("%s: expected %s, Go %s", body, showBytes(w.Body), showBytes(g.Body))
	}
	return ""
}

func typeName(t uint8) string {
	switch t {
	case upstream.TypeRST:
		return "RST"
	case upstream.TypeDATA:
		return "DATA"
	case upstream.TypeWNDINC:
		return "WNDINC"
	case upstream.TypeGOAWAY:
		return "GOAWAY"
	}
	return fmt.Sprintf("UNKNOWN(%d)", t)
}

func showBytes(b []byte) string {
	if len(b) <= 24 {
		return fmt.Sprintf("%q", hex.EncodeToString(b))
	}
	return fmt.Sprintf("%d bytes %s..%s", len(b), hex.EncodeToString(b[:8]), hex.EncodeToString(b[len(b)-8:]))
}

func (f frame) String() string {
	s := fmt.Sprintf("%s sid=%d flags=0x%x len=%d", typeName(f.Type), f.StreamID, f.Flags, f.Length)
	switch f.Type {
	case upstream.TypeRST:
		s += fmt.Sprintf(" code=%d", f.ErrorCode)
	case upstream.TypeWNDINC:
		s += fmt.Sprintf(" inc=%d", f.Increment)
	case upstream.TypeGOAWAY:
		s += fmt.Sprintf(" last=%d code=%d debug=%s", f.LastStreamID, f.ErrorCode, showBytes(f.Body))
	default:
		s += " payload=" + showBytes(f.Body)
	}
	return s
}

func (o outcome) String() string {
	parts := make([]string, 0, len(o.Frames)+1)
	for _, f := range o.Frames {
		parts = append(parts, f.String())
	}
	end := o.End
	if o.Detail != "" {
		end += " (" + o.Detail + ")"
	}
	return "[" + strings.Join(parts, "; ") + "] then " + end
}
