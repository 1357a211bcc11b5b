// Package ngrokv2 adapts golang.ngrok.com/muxado/v2 (v2.0.1 or v2.0.2, chosen
// by the modfile) to upstream.Impl. It differs from adapters/inconshreveable
// only in its import paths and the heartbeat callback's signature.
package ngrokv2

import (
	"errors"
	"io"
	"net"
	"time"

	muxado "golang.ngrok.com/muxado/v2"
	"golang.ngrok.com/muxado/v2/frame"

	"muxado-interop/upstream"
)

// Impl describes the linked golang.ngrok.com/muxado/v2.
func Impl() upstream.Impl {
	return upstream.Impl{
		Version: upstream.LinkedVersion(upstream.ModuleNgrokV2, muxado.Client),
		NewFrameReader: func(r io.Reader) func() (upstream.Frame, error) {
			fr := frame.NewFramer(r, io.Discard)
			return func() (upstream.Frame, error) {
				f, err := fr.ReadFrame()
				if f == nil {
					return upstream.Frame{}, err
				}
				return upstream.ConvertFrame[frame.StreamId, frame.Type, frame.Flags, frame.ErrorCode](f), err
			}
		},
		FrameErrorClass: func(err error) string {
			var fe *frame.Error
			if errors.As(err, &fe) {
				switch fe.Type() {
				case frame.ErrorFrameSize:
					return upstream.ClassFrameSize
				case frame.ErrorProtocol, frame.ErrorProtocolStream:
					return upstream.ClassProtocol
				}
			}
			return ""
		},
		ErrorCode: func(err error) uint32 { code, _ := muxado.GetError(err); return uint32(code) },
		Client:    start(muxado.Client),
		Server:    start(muxado.Server),
	}
}

func start(newSession func(io.ReadWriteCloser, *muxado.Config) muxado.Session) func(io.ReadWriteCloser, upstream.Config) upstream.Session {
	return func(t io.ReadWriteCloser, c upstream.Config) upstream.Session {
		s := newSession(t, &muxado.Config{AcceptBacklog: c.AcceptBacklog, MaxWindowSize: c.MaxWindowSize})
		return session{s, muxado.NewTypedStreamSession(s)}
	}
}

type session struct {
	muxado.Session
	typed muxado.TypedStreamSession
}

// GoAway is a method of Go's session type but not of its Session interface.
func (s session) GoAway(code uint32, debug []byte) error {
	g, ok := s.Session.(interface {
		GoAway(muxado.ErrorCode, []byte, time.Time) error
	})
	if !ok {
		return errors.New("session has no GoAway method")
	}
	return g.GoAway(muxado.ErrorCode(code), debug, time.Now().Add(time.Second))
}

func (s session) OpenTypedStream(t uint32) (net.Conn, error) {
	return s.typed.OpenTypedStream(muxado.StreamType(t))
}

func (s session) AcceptTypedStream() (net.Conn, uint32, error) {
	str, err := s.typed.AcceptTypedStream()
	if err != nil {
		return nil, 0, err
	}
	return str, uint32(str.StreamType()), nil
}

func (s session) NewHeartbeat(c upstream.HeartbeatConfig, report func(time.Duration, bool)) upstream.Heartbeat {
	hc := &muxado.HeartbeatConfig{Interval: c.Interval, Tolerance: c.Tolerance, Type: muxado.StreamType(c.Type)}
	return heartbeat{muxado.NewHeartbeat(s.typed, report, hc)}
}

type heartbeat struct{ *muxado.Heartbeat }

func (h heartbeat) AcceptTypedStream() (net.Conn, uint32, error) {
	str, err := h.Heartbeat.AcceptTypedStream()
	if err != nil {
		return nil, 0, err
	}
	return str, uint32(str.StreamType()), nil
}
