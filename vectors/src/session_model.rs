//! The session-vector JSON format (`vectors/sessions/*.json`), as serde types.
//!
//! A session vector is a script: frames the peer sends, application calls on the
//! implementation under test, and the frames and results expected from it. The format is
//! written in terms of the wire and of abstract application calls, so that a conformance suite
//! can replay it over a real transport against any implementation. The format is documented in
//! `vectors/README.md` and `vectors/session-vectors.schema.json`.

use std::path::Path;

use serde::{Deserialize, Deserializer};

use crate::model::{Fill, Hex, LoadError};

/// The `schema` value of a session vector file.
pub const SCHEMA: &str = "muxado-session-vectors";

/// A file of session vectors (`vectors/sessions/*.json`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionFile {
    /// Always `muxado-session-vectors`.
    pub schema: String,
    /// Always 1.
    pub schema_version: u32,
    /// What the file covers.
    pub title: String,
    /// The vectors, in file order.
    pub vectors: Vec<SessionVector>,
}

impl SessionFile {
    /// Reads and parses a session vector file, checking its schema name and version.
    pub fn load(path: &Path) -> Result<SessionFile, LoadError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
            path: name.clone(),
            source,
        })?;
        let file: SessionFile = serde_json::from_str(&text).map_err(|e| LoadError::Format {
            path: name.clone(),
            message: e.to_string(),
        })?;
        if file.schema != SCHEMA || file.schema_version != 1 {
            return Err(LoadError::Format {
                path: name,
                message: format!(
                    "unsupported schema {} v{}",
                    file.schema, file.schema_version
                ),
            });
        }
        Ok(file)
    }
}

/// The role of the implementation under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Opens odd stream ids, starting at 3.
    Client,
    /// Opens even stream ids, starting at 2.
    Server,
}

/// Settings of the implementation under test; an absent field keeps its default.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    /// The window size W (SPEC [FLOW-2]); default 262144.
    pub max_window_size: Option<u32>,
    /// The accept backlog B (SPEC [LIMIT-3]); default 128.
    pub accept_backlog: Option<usize>,
    /// The bound on streams the peer holds open (SPEC [LIMIT-2]).
    pub max_streams: Option<usize>,
    /// The GOAWAY debug bytes kept (SPEC [LIMIT-4]); default 1048576.
    pub max_goaway_debug: Option<usize>,
    /// How long a begun frame may stall before the session ends (SPEC [LIMIT-8]); default
    /// none.
    pub read_timeout_ms: Option<u64>,
    /// The session uses typed streams (SPEC 10.1): streams the peer opens are taken by
    /// `accept_typed`, with their type.
    pub typed_streams: Option<bool>,
    /// The session runs the heartbeat extension (SPEC 10.2): its responder answers every
    /// stream of the heartbeat type without delivering it ([HEARTBEAT-2]). Implies typed
    /// streams.
    pub heartbeat: Option<bool>,
}

impl SessionConfig {
    /// Whether streams the peer opens are typed (typed streams or the heartbeat are on).
    pub fn typed(&self) -> bool {
        self.typed_streams == Some(true) || self.heartbeat == Some(true)
    }
}

/// One session vector.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionVector {
    /// Stable id, unique across all vector files.
    pub id: String,
    /// What the script does and why the expectations follow.
    pub description: String,
    /// SPEC requirement ids checked.
    pub requirements: Vec<String>,
    /// The role of the implementation under test.
    pub role: Role,
    /// Settings that differ from the defaults.
    #[serde(default)]
    pub config: SessionConfig,
    /// Choices the SPEC leaves open (SHOULD, MAY) that steps of the vector pin (each such step
    /// says which in its `pins`); see the README.
    #[serde(default)]
    pub flags: Vec<String>,
    /// Set when muxado-reference is known not to meet this vector. The vector states what
    /// SPEC.md requires; runners of other implementations ignore the field.
    pub reference_bug: Option<ReferenceBug>,
    /// The script.
    pub steps: Vec<StepEntry>,
}

impl SessionVector {
    /// Whether any check of the vector is at MUST level: a step that checks something and pins
    /// no choice (a vector whose every check pins one is a SHOULD-level vector).
    pub fn has_must_checks(&self) -> bool {
        fn any(steps: &[StepEntry]) -> bool {
            steps.iter().any(|s| {
                s.pins.is_none() && s.action.checks()
                    || matches!(&s.action, Step::ExpectSentOneOf(alts)
                        if alts.iter().any(|a| any(&a.then)))
            })
        }
        any(&self.steps)
    }
}

/// One step of a script, and the choice it pins, if any: a step with `pins` checks a choice
/// SPEC.md leaves open (a SHOULD or MAY, named by a flag), so its checks are SHOULD-level:
/// reported, but counted only with `--strict`, and the script goes on after them.
#[derive(Debug)]
pub struct StepEntry {
    /// The action.
    pub action: Step,
    /// The flag of the choice it pins (`ResetLinger`, ...).
    pub pins: Option<String>,
}

impl<'de> Deserialize<'de> for StepEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<StepEntry, D::Error> {
        use serde::de::Error as _;
        let mut map = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        let pins = match map.remove("pins") {
            None => None,
            Some(serde_json::Value::String(flag)) => Some(flag),
            Some(other) => return Err(D::Error::custom(format!("pins: {other} is no flag"))),
        };
        let action = Step::deserialize(serde_json::Value::Object(map)).map_err(D::Error::custom)?;
        Ok(StepEntry { action, pins })
    }
}

/// A known deviation of muxado-reference from a vector.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceBug {
    /// The step (1-based) at which the reference fails the vector.
    pub step: usize,
    /// What the reference does instead, and where.
    pub note: String,
}

/// One acceptable outcome of an `expect_sent_one_of`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alternative {
    /// Its name in reports (`refused`, `enhance-your-calm`).
    pub choice: String,
    /// The frames.
    pub frames: Vec<WireFrame>,
    /// Steps that follow when this alternative was taken (what the IUT must do next depends
    /// on its choice); the script then goes on after the `expect_sent_one_of`.
    #[serde(default)]
    pub then: Vec<StepEntry>,
    /// The flag of a SHOULD this alternative departs from: SPEC.md allows it (the MUST checks
    /// pass), but taking it fails a SHOULD-level check.
    pub pins: Option<String>,
}

/// One step of a script: exactly one action key.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The peer sends these frames (in one transport write).
    Recv(Vec<WireFrame>),
    /// The peer sends these frames `ms` milliseconds after the next application call was
    /// asked of the implementation: a call that does not wait for the bytes sent before it
    /// (SPEC [AGENT-3]'s `after`) misses them. Offline, the same as `recv`.
    RecvDelayed(RecvDelayedStep),
    /// The peer echoes, in one DATA frame on the stream, the last `bytes` bytes the
    /// implementation sent on it (a heartbeat responder's answer, SPEC [HEARTBEAT-2]).
    Echo(EchoStep),
    /// The peer sends these raw bytes (in one transport write).
    RecvHex(Hex),
    /// The peer closes the transport; the value is always `true`.
    RecvEof(bool),
    /// Time passes.
    AdvanceMs(u64),
    /// The application opens a stream.
    Open(OpenStep),
    /// The application takes the next stream the peer opened.
    Accept(AcceptStep),
    /// The application opens a typed stream (SPEC [TYPED-1], [TYPED-2]).
    OpenTyped(OpenTypedStep),
    /// The application takes the next typed stream whose type has arrived (SPEC [TYPED-3]).
    AcceptTyped(AcceptStep),
    /// The application writes on a stream.
    Write(WriteStep),
    /// The application reads from a stream.
    Read(ReadStep),
    /// The application half-closes a stream.
    CloseWrite(StreamCall),
    /// The application closes a stream (Go's `Close`).
    CloseStream(CloseStreamStep),
    /// The application resets a stream.
    Reset(ResetStep),
    /// The application sends GOAWAY without ending the session.
    GoAway(GoAwayStep),
    /// The application ends the session.
    Close(CloseStep),
    /// Exactly these frames were sent since the previous `expect_sent`.
    ExpectSent(Vec<WireFrame>),
    /// Exactly the frames of one of these alternatives were sent: SPEC.md allows each; the
    /// runner reports which one the implementation took.
    ExpectSentOneOf(Vec<Alternative>),
    /// The session's state.
    ExpectSession(SessionExpect),
    /// The peer sends copies of one frame, each on a new stream id, without reading what the
    /// implementation sends back, then judges how it coped (SPEC [LIMIT-6]).
    Flood(FloodStep),
    /// The application starts the implementation's heartbeat requester (SPEC section 10.2).
    Heartbeat(HeartbeatStep),
}

impl Step {
    /// The step's action key.
    pub fn name(&self) -> &'static str {
        match self {
            Step::Recv(_) => "recv",
            Step::RecvDelayed(_) => "recv_delayed",
            Step::Echo(_) => "echo",
            Step::OpenTyped(_) => "open_typed",
            Step::AcceptTyped(_) => "accept_typed",
            Step::RecvHex(_) => "recv_hex",
            Step::RecvEof(_) => "recv_eof",
            Step::AdvanceMs(_) => "advance_ms",
            Step::Open(_) => "open",
            Step::Accept(_) => "accept",
            Step::Write(_) => "write",
            Step::Read(_) => "read",
            Step::CloseWrite(_) => "close_write",
            Step::CloseStream(_) => "close_stream",
            Step::Reset(_) => "reset",
            Step::GoAway(_) => "go_away",
            Step::Close(_) => "close",
            Step::ExpectSent(_) => "expect_sent",
            Step::ExpectSentOneOf(_) => "expect_sent_one_of",
            Step::ExpectSession(_) => "expect_session",
            Step::Flood(_) => "flood",
            Step::Heartbeat(_) => "heartbeat",
        }
    }

    /// Whether the step checks the implementation (an expectation, or a call with an expected
    /// result), as opposed to only acting on it.
    pub fn checks(&self) -> bool {
        !matches!(
            self,
            Step::Recv(_)
                | Step::RecvDelayed(_)
                | Step::RecvHex(_)
                | Step::RecvEof(_)
                | Step::AdvanceMs(_)
                | Step::Echo(_)
                | Step::CloseStream(_)
                | Step::Close(_)
        )
    }
}

/// `recv_delayed`: frames the peer sends a little after the next call.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecvDelayedStep {
    /// How long after the call was asked.
    pub ms: u64,
    /// The frames, in one write.
    pub frames: Vec<WireFrame>,
}

/// `echo`: the peer sends back the last `bytes` bytes the implementation sent on a stream.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EchoStep {
    /// The stream.
    pub stream_id: u32,
    /// How many of the last bytes.
    pub bytes: usize,
}

/// `open_typed`: open a stream and send its 4-byte type.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenTypedStep {
    /// The type.
    pub stream_type: u32,
    /// The result.
    pub expect: OpenExpect,
}

/// An error code in an expectation: a SPEC section 9 name, or a number for codes without one.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum CodeRef {
    /// `"PROTOCOL_ERROR"`.
    Name(String),
    /// `3735928559`.
    Value(u32),
}

/// `{"expect": {"stream_id": 3}}` or `{"expect": {"error": "REMOTE_GONE_AWAY"}}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenStep {
    /// The result.
    pub expect: OpenExpect,
}

/// The result of `open`: exactly one field.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenExpect {
    /// The id of the new stream.
    pub stream_id: Option<u32>,
    /// The error.
    pub error: Option<CodeRef>,
}

/// `{"expect": {"stream_id": 2}}` or `{"expect": {"none": true}}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptStep {
    /// The result.
    pub expect: AcceptExpect,
}

/// The result of `accept` and `accept_typed`: a stream id (with `accept_typed`, and its
/// type), `none`, or an error.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptExpect {
    /// The id of the accepted stream.
    pub stream_id: Option<u32>,
    /// `accept_typed`: the stream's type.
    pub stream_type: Option<u32>,
    /// No stream is waiting (always `true`).
    pub none: Option<bool>,
    /// The error (the session has ended, SPEC [SESSION-4]).
    pub error: Option<CodeRef>,
}

/// A write of `data` (or `data_fill`) on a stream.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriteStep {
    /// The stream.
    pub stream_id: u32,
    /// The bytes.
    pub data: Option<Hex>,
    /// The bytes, as a fill.
    pub data_fill: Option<Fill>,
    /// The result.
    pub expect: WriteExpect,
}

impl WriteStep {
    /// The bytes written.
    pub fn bytes(&self) -> Vec<u8> {
        bytes_of(&self.data, &self.data_fill)
    }
}

/// The result of `write`: exactly one field.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriteExpect {
    /// How many bytes the implementation took (the rest waits for window).
    pub written: Option<usize>,
    /// The error.
    pub error: Option<CodeRef>,
}

/// A read of at most `max` bytes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadStep {
    /// The stream.
    pub stream_id: u32,
    /// The most bytes to read.
    pub max: usize,
    /// The result.
    pub expect: ReadExpect,
}

/// The result of `read`: exactly one field.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadExpect {
    /// The bytes read.
    pub data: Option<Hex>,
    /// The bytes read, as a fill.
    pub data_fill: Option<Fill>,
    /// End of stream (always `true`).
    pub eof: Option<bool>,
    /// Nothing to read yet (always `true`).
    pub blocked: Option<bool>,
    /// The error.
    pub error: Option<CodeRef>,
    /// Any one of these results (where SPEC.md allows several, e.g. bytes delivered before
    /// their frame's last byte arrived, [STREAM-6]).
    pub one_of: Option<Vec<ReadExpect>>,
}

/// A call on one stream, succeeding unless `expect` names an error.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamCall {
    /// The stream.
    pub stream_id: u32,
    /// The error expected; absent: the call succeeds.
    pub expect: Option<CallExpect>,
}

/// `{"error": CODE}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallExpect {
    /// The error.
    pub error: CodeRef,
}

/// `close_stream`: it has no result.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseStreamStep {
    /// The stream.
    pub stream_id: u32,
}

/// `reset`: RST with `error_code`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetStep {
    /// The stream.
    pub stream_id: u32,
    /// The code put in the RST.
    pub error_code: u32,
    /// The error expected; absent: the call succeeds.
    pub expect: Option<CallExpect>,
}

/// `go_away`: GOAWAY with `error_code` and `debug`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoAwayStep {
    /// The code put in the GOAWAY.
    pub error_code: u32,
    /// The debug data (default: none).
    #[serde(default)]
    pub debug: Hex,
    /// The error expected; absent: the call succeeds.
    pub expect: Option<CallExpect>,
}

/// `flood`: `count` copies of `frame`, the stream id growing by `stream_id_step` from one
/// copy to the next, sent while the peer reads nothing. Each copy provokes a frame (RST for
/// DATA on an unknown stream, [STREAM-8]); the implementation passes if it stopped reading
/// (backpressure) or answered fewer frames than it took, and fails if it took and answered
/// every copy: its queue of provoked frames was then unbounded (SPEC [LIMIT-6]). A runner
/// behind a real transport sends more copies than `count` when the transport's buffers could
/// hold `count` answers.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FloodStep {
    /// The first copy.
    pub frame: WireFrame,
    /// The least number of copies.
    pub count: u64,
    /// Added to the stream id from one copy to the next.
    pub stream_id_step: u32,
}

/// `heartbeat`: start beating with this interval and tolerance; the requester opens its
/// stream (type `0xFFFFFFFF`) at once.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatStep {
    /// Time between beats.
    pub interval_ms: u64,
    /// How late an echo may be before a failure is reported (SPEC [HEARTBEAT-3]).
    pub tolerance_ms: u64,
}

/// `close`: no fields.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseStep {}

/// The session's state; absent fields are not checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionExpect {
    /// Whether the session has ended.
    pub ended: Option<bool>,
    /// The session's own error, once ended (SPEC section 9 name).
    pub local_error: Option<CodeRef>,
    /// The GOAWAY received: `null` for none; absent: not checked.
    #[serde(default, deserialize_with = "present")]
    pub remote: Option<Option<RemoteExpect>>,
}

/// What the peer's GOAWAY said; absent fields are not checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteExpect {
    /// Its error code.
    pub error_code: Option<u32>,
    /// Its last stream id.
    pub last_stream_id: Option<u32>,
    /// The debug data kept.
    pub debug: Option<Hex>,
    /// The debug data kept, as a fill.
    pub debug_fill: Option<Fill>,
}

/// Tells a present `null` (`Some(None)`) from an absent field (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A frame in a script: sent by the peer (`recv`) or expected from the implementation
/// (`expect_sent`). Fields as in frame vectors; `length` is optional and, when given, must
/// equal the body length.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireFrame {
    /// `RST`, `DATA`, `WNDINC`, `GOAWAY` or `UNKNOWN`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The stream id (31 bits).
    pub stream_id: u32,
    /// The flags field.
    pub flags: u8,
    /// The body length, if stated.
    pub length: Option<u32>,
    /// RST, GOAWAY.
    pub error_code: Option<u32>,
    /// WNDINC.
    pub increment: Option<u32>,
    /// GOAWAY.
    pub last_stream_id: Option<u32>,
    /// UNKNOWN: the type, 4 to 15.
    pub type_code: Option<u8>,
    /// DATA, UNKNOWN.
    pub payload: Option<Hex>,
    /// DATA, UNKNOWN.
    pub payload_fill: Option<Fill>,
    /// GOAWAY.
    pub debug: Option<Hex>,
    /// GOAWAY.
    pub debug_fill: Option<Fill>,
    /// GOAWAY in `expect_sent`: any debug data (its text is not normative).
    #[serde(default)]
    pub debug_any: bool,
    /// DATA in `expect_sent`: the payload as hex where `..` stands for any byte (a heartbeat's
    /// random value).
    pub payload_pattern: Option<String>,
}

/// `data` or `data_fill` (or nothing).
pub(crate) fn bytes_of(hex: &Option<Hex>, fill: &Option<Fill>) -> Vec<u8> {
    match (hex, fill) {
        (Some(h), _) => h.0.clone(),
        (None, Some(f)) => f.bytes(),
        (None, None) => Vec::new(),
    }
}
