//! The agent contract (SPEC.md appendix A) as the session-vector script engine drives it: an
//! implementation under test ([`Iut`]) takes the peer's bytes, answers the application calls
//! and hands over what it sent. The reference session machine implements it offline
//! (`muxado_vectors::session_run::Offline`); the conformance suite implements it over real
//! sockets for any implementation behind an agent (`muxado_conformance::agent::RemoteIut`).

use std::time::Duration;

/// A failed call: the muxado error code the implementation reported, and its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallError {
    /// The error code (SPEC section 9).
    pub code: u32,
    /// The implementation's message.
    pub message: String,
}

/// What a call returned (`Ok`: the implementation's result or error), or why the harness could
/// not get a result (`Err`).
pub type Call<T> = Result<Result<T, CallError>, String>;

/// The result of a read that does not wait.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadResult {
    /// Bytes.
    Data(Vec<u8>),
    /// The peer's half has ended and every byte was read.
    Eof,
    /// Nothing to read yet.
    Blocked,
}

/// A GOAWAY the implementation received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteState {
    /// Its error code.
    pub error_code: u32,
    /// Its last stream id; `None` when the implementation does not tell (Go's API has no
    /// way to read it), so that an expectation of it is reported unsupported.
    pub last_stream_id: Option<u32>,
    /// Its debug data (as kept by the implementation).
    pub debug: Vec<u8>,
}

/// The implementation's session state, for `expect_session`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionState {
    /// The session has ended; with the local error it ended with.
    pub ended: Option<CallError>,
    /// The GOAWAY received, if any.
    pub remote: Option<RemoteState>,
    /// The implementation cannot tell (yet) whether it received a GOAWAY (Go reports it only
    /// once its session has ended): `remote` means nothing, and an expectation of it is
    /// reported unsupported.
    pub remote_unknown: bool,
}

/// How a harness error from a call or state the implementation cannot provide starts (SPEC
/// [AGENT-4]): the case is then reported `unsupported`, not failed.
pub const UNSUPPORTED: &str = "unsupported by the agent: ";

/// When a `sent` call may stop waiting: given every byte the implementation sent since the
/// previous call, whether what the script expects is there (or more than that).
pub type Enough<'a> = &'a mut dyn FnMut(&[u8]) -> bool;

/// An implementation under test as a session-vector script drives it: the peer's bytes in,
/// the application calls (none of which waits), and the frames it sent out.
///
/// The reference session machine implements it offline (`muxado_vectors::session_run::run_script`
/// on `Offline`); the conformance suite implements it over real sockets
/// against any implementation, so both run the very same script engine.
pub trait Iut {
    /// The peer sends these bytes.
    fn recv(&mut self, bytes: &[u8]) -> Result<(), String>;
    /// The peer sends these bytes `ms` milliseconds after the next call was asked (a check
    /// of [AGENT-3]'s `after`); offline, at once.
    fn recv_delayed(&mut self, bytes: &[u8], _ms: u64) -> Result<(), String> {
        self.recv(bytes)
    }
    /// The peer closes its side of the transport.
    fn recv_eof(&mut self) -> Result<(), String>;
    /// Time passes.
    fn advance(&mut self, ms: u64) -> Result<(), String>;
    /// Opens a stream; its id.
    fn open(&mut self) -> Call<u32>;
    /// The next stream the peer opened, if any.
    fn accept(&mut self) -> Call<Option<u32>>;
    /// Opens a typed stream and sends its type; its id.
    fn open_typed(&mut self, stream_type: u32) -> Call<u32>;
    /// The next typed stream whose type arrived, with its type, if any.
    fn accept_typed(&mut self) -> Call<Option<(u32, u32)>>;
    /// Writes what fits now; how many bytes were taken.
    fn write(&mut self, id: u32, data: &[u8]) -> Call<usize>;
    /// Reads at most `max` bytes available now.
    fn read(&mut self, id: u32, max: usize) -> Call<ReadResult>;
    /// Half-closes a stream.
    fn close_write(&mut self, id: u32) -> Call<()>;
    /// Closes a stream (Go's `Close`); its result is not judged (after the session ended it
    /// may report the session's error, [SESSION-4], or succeed).
    fn close_stream(&mut self, id: u32) -> Call<()>;
    /// Resets a stream with a code.
    fn reset(&mut self, id: u32, code: u32) -> Call<()>;
    /// Sends GOAWAY and keeps the session.
    fn go_away(&mut self, code: u32, debug: &[u8]) -> Call<()>;
    /// Ends the session.
    fn close(&mut self) -> Result<(), String>;
    /// The bytes of the frames sent since the previous call. An implementation behind a
    /// socket waits (a while) until `enough` says the expected frames are there, then for a
    /// quiet period, for extra ones.
    fn sent(&mut self, enough: Enough<'_>) -> Result<Vec<u8>, String>;
    /// The session's state.
    fn session(&mut self) -> Result<SessionState, String>;
    /// The peer sends frames made by `next`, at least `count` unless the implementation
    /// stops taking them first, while it reads nothing; then it reads everything the
    /// implementation sent (SPEC [LIMIT-6]).
    fn flood(&mut self, next: &mut dyn FnMut() -> Vec<u8>, count: u64) -> Result<Flooded, String>;
    /// Starts the heartbeat requester (SPEC section 10.2): it opens its stream now.
    fn heartbeat(&mut self, interval: Duration, tolerance: Duration) -> Call<()>;
}

/// What a `flood` step saw.
#[derive(Clone, Debug, Default)]
pub struct Flooded {
    /// Frames the peer sent.
    pub sent: u64,
    /// The implementation stopped taking frames while the peer read nothing (backpressure).
    pub pushed_back: bool,
    /// Everything it sent during the flood, read afterwards.
    pub replies: Vec<u8>,
}
