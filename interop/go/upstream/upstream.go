// Package upstream is the version-neutral face of the Go muxado implementations
// this module links. Each adapter package (adapters/inconshreveable,
// adapters/ngrokv2) fills an Impl using only the types defined here and the
// standard library, so framecheck and the notes tests are written once and run
// against every linked version.
package upstream

import (
	"io"
	"net"
	"time"
)

// Frame type codes, as the high nibble of header byte 3 (SPEC FRAME-3).
const (
	TypeRST    = 0x0
	TypeDATA   = 0x1
	TypeWNDINC = 0x2
	TypeGOAWAY = 0x3
)

// Error classes a Go framer reports, named after the SPEC error codes the Go
// session turns them into.
const (
	ClassFrameSize = "FRAME_SIZE_ERROR"
	ClassProtocol  = "PROTOCOL_ERROR"
)

// GoDebugLimit is how many bytes of GOAWAY debug data every Go session reads
// before it means to discard the rest (SPEC INTEROP-2).
const GoDebugLimit = 1 << 20

// Frame is one frame as a Go framer reported it. Numbers are exactly what Go
// returns: in particular StreamId and LastStreamId keep the reserved bit
// (SPEC INTEROP-7).
type Frame struct {
	Type         uint8 // 0..15; 4..15 are unknown types
	StreamId     uint32
	Flags        uint8
	Length       uint32
	ErrorCode    uint32 // RST and GOAWAY
	Increment    uint32 // WNDINC, as Go decodes it (reserved bit masked)
	LastStreamId uint32 // GOAWAY
	// Body is the reader Go hands up for the rest of the frame: the DATA
	// payload, an unknown frame's payload, or GOAWAY's debug data. It reads
	// straight from the framer's input, so it must be drained before the next
	// frame is read. Nil for RST and WNDINC.
	Body io.Reader
	// BodyLen is how many bytes Body is willing to deliver, as Go set it up.
	BodyLen int64
}

// Config holds the Go session settings the tests change; zero means Go's default.
type Config struct {
	AcceptBacklog uint32
	MaxWindowSize uint32
}

// Session is a Go muxado session. Streams are returned as net.Conn.
type Session interface {
	Open() (net.Conn, error)
	Accept() (net.Conn, error)
	Close() error
	// Wait blocks until the session ends and returns the local error that
	// ended it, the remote error from the peer's GOAWAY (nil if none was
	// received) and the GOAWAY's debug bytes.
	Wait() (local error, remote error, remoteDebug []byte)
	// GoAway sends a GOAWAY without closing the session.
	GoAway(code uint32, debug []byte) error
	// OpenTypedStream and AcceptTypedStream use Go's typed-stream wrapper
	// around this session (SPEC section 10.1).
	OpenTypedStream(streamType uint32) (net.Conn, error)
	AcceptTypedStream() (net.Conn, uint32, error)
	// NewHeartbeat wraps the typed-stream session in Go's heartbeat (SPEC
	// section 10.2). Start starts the requester; the peer's heartbeat
	// streams are answered only while AcceptTypedStream is being called on
	// the returned Heartbeat. report gets every measurement: an RTT, or a
	// failure (failed true) when no echo came within interval + tolerance.
	// report must not block.
	NewHeartbeat(cfg HeartbeatConfig, report func(rtt time.Duration, failed bool)) Heartbeat
}

// HeartbeatConfig is Go's heartbeat configuration.
type HeartbeatConfig struct {
	Interval  time.Duration
	Tolerance time.Duration
	Type      uint32 // the heartbeat stream type, normally 0xFFFFFFFF
}

// Heartbeat is Go's heartbeat wrapper around a session's typed streams.
type Heartbeat interface {
	// Start opens the heartbeat stream and starts beating.
	Start()
	// AcceptTypedStream answers the peer's heartbeat streams and returns the
	// other typed streams.
	AcceptTypedStream() (net.Conn, uint32, error)
	// Close stops the heartbeat and closes the session.
	Close() error
}

// Impl is one linked Go implementation.
type Impl struct {
	// Version is "2016", "v2.0.1" or "v2.0.2" (the SPEC's names); any other
	// value means an unexpected module version was linked.
	Version string
	// NewFrameReader returns a function that reads the next frame from r with
	// Go's own framer. On a framer error the returned Frame holds whatever
	// header fields Go had decoded.
	NewFrameReader func(r io.Reader) func() (Frame, error)
	// FrameErrorClass maps an error returned by the framer to ClassFrameSize
	// or ClassProtocol, or "" when it is not the framer's typed error.
	FrameErrorClass func(err error) string
	// ErrorCode returns the muxado error code Go attaches to an error returned
	// by the library (0xFF for an error without one).
	ErrorCode func(err error) uint32
	// Client and Server start a Go session on transport.
	Client func(transport io.ReadWriteCloser, cfg Config) Session
	Server func(transport io.ReadWriteCloser, cfg Config) Session
}
