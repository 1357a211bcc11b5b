//! What the session reports to its application.

use crate::frame::{ErrorCode, StreamId};

/// Why a command to the [`Machine`](super::Machine) failed. [`Error::code`] gives the muxado
/// error code, as Go's `GetError` does. The tokio driver reports these as its own
/// `muxado_reference::Error`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The peer reset the stream (SPEC [RST-4]).
    #[error("stream reset by peer: {0}")]
    ResetByPeer(ErrorCode),
    /// This side reset the stream, by the application or because the peer broke a stream
    /// rule (SPEC [FLOW-4], [STREAM-8]).
    #[error("stream reset: {0}")]
    ResetLocally(ErrorCode),
    /// The stream's half is closed: a write after FIN, or any use after a local close.
    #[error("stream closed")]
    StreamClosed,
    /// The peer sent GOAWAY: no new stream, and this one was never seen by the peer
    /// (SPEC [GOAWAY-7]).
    #[error("remote gone away")]
    RemoteGoneAway,
    /// No stream id left (SPEC [ID-5]).
    #[error("stream ids exhausted")]
    StreamsExhausted,
    /// The session ended. For session operations the code is the session's own error, the
    /// same for every later call (SPEC [SESSION-4]); for stream operations it is
    /// `SESSION_CLOSED` (SPEC [SESSION-2]).
    #[error("session ended: {0}")]
    SessionEnded(ErrorCode),
    /// The stream id is not one of this session's streams.
    #[error("unknown stream {0}")]
    UnknownStream(StreamId),
}

impl Error {
    /// The muxado error code of this error (SPEC section 9).
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::ResetByPeer(code) | Error::ResetLocally(code) => *code,
            Error::StreamClosed | Error::UnknownStream(_) => ErrorCode::STREAM_CLOSED,
            Error::RemoteGoneAway => ErrorCode::REMOTE_GONE_AWAY,
            Error::StreamsExhausted => ErrorCode::STREAMS_EXHAUSTED,
            Error::SessionEnded(code) => *code,
        }
    }
}

/// A GOAWAY the peer sent (SPEC [GOAWAY-9]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RemoteGoAway {
    /// The last of our streams the peer accepted.
    pub last_stream_id: StreamId,
    /// The peer's reason.
    pub error_code: ErrorCode,
    /// The debug data, at most `Config::max_goaway_debug` bytes of it.
    pub debug: Vec<u8>,
}

/// Why a session ended: Go's `Wait` (local error, remote error, remote debug data).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Termination {
    /// The local reason: `SESSION_CLOSED` for [`Machine::close`](super::Machine::close),
    /// `PEER_EOF` when the transport ended, or the code of the connection error detected.
    pub local: ErrorCode,
    /// A description of the local reason (the debug text of the GOAWAY sent, if any).
    pub message: String,
    /// The GOAWAY the peer sent, if it sent one.
    pub remote: Option<RemoteGoAway>,
}
