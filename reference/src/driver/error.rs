//! What the tokio driver reports: the machine's errors a stream or session handle can meet,
//! and the driver's own deadlines.

use std::io;

use crate::frame::ErrorCode;
use crate::session;

/// Why an operation of a [`Session`](super::Session) or [`Stream`](super::Stream) failed.
/// [`Error::code`] gives the muxado error code, as Go's `GetError` does. The stream's
/// `AsyncRead`/`AsyncWrite` methods return it inside an [`io::Error`]
/// ([`stream_error`](super::stream_error) finds it there); `From<Error> for io::Error` makes
/// the same conversion, so `?` works in either kind of function.
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
    /// A stream's read or write deadline passed ([`Stream::set_deadline`](super::Stream::set_deadline)).
    #[error("timed out")]
    Timeout,
}

impl Error {
    /// The muxado error code of this error (SPEC section 9).
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::ResetByPeer(code) | Error::ResetLocally(code) | Error::SessionEnded(code) => {
                *code
            }
            Error::StreamClosed => ErrorCode::STREAM_CLOSED,
            Error::RemoteGoneAway => ErrorCode::REMOTE_GONE_AWAY,
            Error::StreamsExhausted => ErrorCode::STREAMS_EXHAUSTED,
            Error::Timeout => ErrorCode::WRITE_TIMEOUT,
        }
    }
}

impl From<session::Error> for Error {
    fn from(err: session::Error) -> Error {
        match err {
            session::Error::ResetByPeer(code) => Error::ResetByPeer(code),
            session::Error::ResetLocally(code) => Error::ResetLocally(code),
            session::Error::RemoteGoneAway => Error::RemoteGoneAway,
            session::Error::StreamsExhausted => Error::StreamsExhausted,
            session::Error::SessionEnded(code) => Error::SessionEnded(code),
            // A handle's stream is held by the machine until the handle is dropped: a stream
            // the machine no longer knows is one this side closed.
            session::Error::StreamClosed | session::Error::UnknownStream(_) => Error::StreamClosed,
        }
    }
}

impl From<Error> for io::Error {
    fn from(err: Error) -> io::Error {
        let kind = match &err {
            Error::Timeout => io::ErrorKind::TimedOut,
            Error::ResetByPeer(_) | Error::ResetLocally(_) => io::ErrorKind::ConnectionReset,
            Error::SessionEnded(_) | Error::RemoteGoneAway => io::ErrorKind::ConnectionAborted,
            Error::StreamClosed => io::ErrorKind::BrokenPipe,
            Error::StreamsExhausted => io::ErrorKind::Other,
        };
        io::Error::new(kind, err)
    }
}
