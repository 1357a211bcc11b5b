//! Runs session vectors against the reference session state machine
//! (`muxado_reference::session::Session`), driving it step by step with its sans-IO API.
//!
//! Frames the peer sends are encoded here, by hand, from the vector's fields (the runner must
//! also produce frames a conforming encoder refuses: stream 0, zero increments, unknown types).
//! Frames the session sends are decoded with the reference codec and compared field by field.

use std::fmt::Write as _;
use std::time::Duration;

use muxado_reference::frame::{ErrorCode, Frames, StreamId};
use muxado_reference::session::heartbeat::{BeatValues, Echo, Requester};
use muxado_reference::session::{self, Config, Read, Session};

use crate::model::{FrameView, Hex};
use crate::session_model::{
    CallExpect, CodeRef, ReadExpect, Role, SessionExpect, SessionVector, Step, WireFrame, bytes_of,
};

/// The outcome of a session vector against the reference, `reference_bug` taken into account.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The reference meets the vector.
    Pass,
    /// The vector is marked `reference_bug` and the reference indeed fails it (with this
    /// mismatch): an expected failure.
    KnownBug(String),
    /// A failure to report: the reference does not meet the vector, or a vector marked
    /// `reference_bug` now passes (remove the mark), or the vector itself is malformed.
    Fail(String),
}

/// Checks a vector and interprets its `reference_bug` mark: the reference must fail it at the
/// step the mark names, and nowhere else.
pub fn judge(vector: &SessionVector) -> Verdict {
    let Some(bug) = &vector.reference_bug else {
        return match check_session(vector) {
            Ok(()) => Verdict::Pass,
            Err(problem) => Verdict::Fail(problem),
        };
    };
    match run(vector) {
        Err(failure) if failure.step == Some(bug.step) && !failure.problem.contains(MALFORMED) => {
            Verdict::KnownBug(failure.describe(vector))
        }
        Err(failure) => Verdict::Fail(format!(
            "\n  marked reference_bug at step {}, but:{}",
            bug.step,
            failure.describe(vector)
        )),
        Ok(()) => Verdict::Fail(format!(
            "\n  marked reference_bug at step {}, but the reference now meets the vector: \
             remove the mark",
            bug.step
        )),
    }
}

/// Marks a problem with the vector itself rather than with the implementation.
const MALFORMED: &str = "malformed vector: ";

/// Runs one vector against a fresh reference session; `Err` says which step failed and how.
pub fn check_session(vector: &SessionVector) -> Result<(), String> {
    run(vector).map_err(|f| f.describe(vector))
}

/// Where and how a vector failed: `step` is 1-based, `None` for the end of the script.
#[derive(Debug)]
pub struct Failure {
    /// The step, 1-based; `Some(0)` for the vector as a whole, `None` for the end.
    pub step: Option<usize>,
    /// What was wrong.
    pub problem: String,
    /// Whether the harness could not get a result from the implementation (it is unreachable
    /// or crashed), as opposed to a result that differs from the vector's.
    pub harness: bool,
}

impl Failure {
    /// The failure as report lines, naming the step.
    pub fn describe(&self, vector: &SessionVector) -> String {
        match self.step {
            Some(0) => format!("\n  {}", self.problem),
            Some(i) => format!(
                "\n  step {i} ({}): {}",
                vector.steps[i - 1].name(),
                self.problem
            ),
            None => format!("\n  at the end: {}", self.problem),
        }
    }
}

fn run(vector: &SessionVector) -> Result<(), Failure> {
    let mut iut = Offline::new(vector);
    run_script(vector, &mut iut).map(|_| ())
}

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

/// An implementation under test as a session-vector script drives it: the peer's bytes in,
/// the application calls (none of which waits), and the frames it sent out.
///
/// The reference state machine implements it offline ([`run_script`] on [`Offline`]); the
/// conformance suite implements it over real sockets against any implementation, so both run
/// the very same script engine.
pub trait Iut {
    /// The peer sends these bytes.
    fn recv(&mut self, bytes: &[u8]) -> Result<(), String>;
    /// The peer closes its side of the transport.
    fn recv_eof(&mut self) -> Result<(), String>;
    /// Time passes.
    fn advance(&mut self, ms: u64) -> Result<(), String>;
    /// Opens a stream; its id.
    fn open(&mut self) -> Call<u32>;
    /// The next stream the peer opened, if any.
    fn accept(&mut self) -> Result<Option<u32>, String>;
    /// Writes what fits now; how many bytes were taken.
    fn write(&mut self, id: u32, data: &[u8]) -> Call<usize>;
    /// Reads at most `max` bytes available now.
    fn read(&mut self, id: u32, max: usize) -> Call<ReadResult>;
    /// Half-closes a stream.
    fn close_write(&mut self, id: u32) -> Call<()>;
    /// Closes a stream (Go's `Close`).
    fn close_stream(&mut self, id: u32) -> Result<(), String>;
    /// Resets a stream with a code.
    fn reset(&mut self, id: u32, code: u32) -> Call<()>;
    /// Sends GOAWAY and keeps the session.
    fn go_away(&mut self, code: u32, debug: &[u8]) -> Call<()>;
    /// Ends the session.
    fn close(&mut self) -> Result<(), String>;
    /// The bytes of the frames sent since the previous call. `expected` is how many frames
    /// the script expects now: an implementation behind a socket waits for that many (and a
    /// little longer, for extra ones).
    fn sent(&mut self, expected: usize) -> Result<Vec<u8>, String>;
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

/// Runs a vector's script against an implementation; `Ok` names the alternatives it took at
/// each `expect_sent_one_of`, `Err` says which step failed and how.
pub fn run_script(vector: &SessionVector, iut: &mut dyn Iut) -> Result<Vec<String>, Failure> {
    if vector.requirements.is_empty() {
        return Err(Failure {
            step: Some(0),
            problem: malformed("no requirements"),
            harness: false,
        });
    }
    let skip_credit = !checks_credit(vector);
    let mut choices = Vec::new();
    for (i, step) in vector.steps.iter().enumerate() {
        run_step(iut, step, skip_credit, &mut choices).map_err(|(problem, harness)| Failure {
            step: Some(i + 1),
            problem,
            harness,
        })?;
    }
    let rest = sent_frames(iut, 0, skip_credit).map_err(|problem| Failure {
        step: None,
        problem,
        harness: true,
    })?;
    if rest.is_empty() {
        return Ok(choices);
    }
    let (views, stop) = decode_all(&rest);
    Err(Failure {
        step: None,
        problem: format!(
            "frames sent but not checked by an expect_sent: {views:?}{}",
            stop.map(|r| format!(" then {r}")).unwrap_or_default()
        ),
        harness: false,
    })
}

/// Whether a vector checks when credit is sent: it pins `CreditTiming`, or expects a WNDINC
/// somewhere. A vector that does not skips every WNDINC the implementation sends, since
/// [FLOW-6] lets a receiver credit consumed bytes at any moment up to its buffer emptying (Go
/// credits after every read; the reference at half a window or an empty buffer).
pub fn checks_credit(vector: &SessionVector) -> bool {
    vector.flags.iter().any(|f| f == "CreditTiming")
        || vector.steps.iter().any(|step| {
            let frames: Vec<&WireFrame> = match step {
                Step::ExpectSent(frames) => frames.iter().collect(),
                Step::ExpectSentOneOf(alternatives) => {
                    alternatives.iter().flat_map(|a| &a.frames).collect()
                }
                _ => Vec::new(),
            };
            frames.iter().any(|f| f.kind == "WNDINC")
        })
}

/// `bytes` without its WNDINC frames (an undecodable tail is kept as it is).
fn without_credit(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut used = 0;
    while used < bytes.len() {
        match muxado_reference::frame::decode_frame(&bytes[used..]) {
            Ok((frame, n)) => {
                if frame.frame_type() != muxado_reference::frame::FrameType::WNDINC {
                    out.extend_from_slice(&bytes[used..used + n]);
                }
                used += n;
            }
            Err(_) => {
                out.extend_from_slice(&bytes[used..]);
                break;
            }
        }
    }
    out
}

/// The frames sent since the last call, waiting for `expected` of them, WNDINC frames
/// skipped when `skip_credit` (then asking again while skipped frames made up the count).
fn sent_frames(iut: &mut dyn Iut, expected: usize, skip_credit: bool) -> Result<Vec<u8>, String> {
    if !skip_credit {
        return iut.sent(expected);
    }
    let mut out = Vec::new();
    for _ in 0..3 {
        let have = decode_all(&out).0.len();
        let more = iut.sent(expected.saturating_sub(have))?;
        let kept = without_credit(&more);
        let skipped = kept.len() < more.len();
        out.extend(kept);
        if !skipped || decode_all(&out).0.len() >= expected {
            break;
        }
    }
    Ok(out)
}

/// A step's problem, and whether the harness (not the implementation) failed.
type StepResult = Result<(), (String, bool)>;

fn harness<T>(r: Result<T, String>) -> Result<T, (String, bool)> {
    r.map_err(|e| (e, true))
}

fn check(r: Result<(), String>) -> StepResult {
    r.map_err(|e| (e, false))
}

fn run_step(
    iut: &mut dyn Iut,
    step: &Step,
    skip_credit: bool,
    choices: &mut Vec<String>,
) -> StepResult {
    match step {
        Step::Recv(frames) => {
            let mut bytes = Vec::new();
            for frame in frames {
                bytes.extend(encode(frame).map_err(|e| (e, false))?);
            }
            harness(iut.recv(&bytes))?;
        }
        Step::RecvHex(hex) => harness(iut.recv(&hex.0))?,
        Step::RecvEof(true) => harness(iut.recv_eof())?,
        Step::RecvEof(false) => return check(Err(malformed("recv_eof must be true"))),
        Step::AdvanceMs(ms) => harness(iut.advance(*ms))?,
        Step::Open(open) => {
            let e = &open.expect;
            let got = harness(iut.open())?;
            check(match (e.stream_id, &e.error) {
                (Some(id), None) => expect_ok(got, id),
                (None, Some(code)) => expect_err(got, code),
                _ => Err(malformed("open expects one of stream_id, error")),
            })?;
        }
        Step::Accept(accept) => {
            let e = &accept.expect;
            let want = match (e.stream_id, e.none) {
                (Some(id), None) => Some(id),
                (None, Some(true)) => None,
                _ => return check(Err(malformed("accept expects one of stream_id, none"))),
            };
            let got = harness(iut.accept())?;
            if got != want {
                return check(Err(format!("expected {want:?}, got {got:?}")));
            }
        }
        Step::Write(write) => {
            let e = &write.expect;
            let got = harness(iut.write(write.stream_id, &write.bytes()))?;
            check(match (e.written, &e.error) {
                (Some(n), None) => expect_ok(got, n),
                (None, Some(code)) => expect_err(got, code),
                _ => Err(malformed("write expects one of written, error")),
            })?;
        }
        Step::Read(read) => {
            let got = harness(iut.read(read.stream_id, read.max))?;
            check(check_read(&read.expect, got))?;
        }
        Step::CloseWrite(call) => {
            let got = harness(iut.close_write(call.stream_id))?;
            check(expect_call(got, &call.expect))?;
        }
        Step::CloseStream(call) => harness(iut.close_stream(call.stream_id))?,
        Step::Reset(reset) => {
            let got = harness(iut.reset(reset.stream_id, reset.error_code))?;
            check(expect_call(got, &reset.expect))?;
        }
        Step::GoAway(go_away) => {
            let got = harness(iut.go_away(go_away.error_code, &go_away.debug.0))?;
            check(expect_call(got, &go_away.expect))?;
        }
        Step::Close(_) => harness(iut.close())?,
        Step::ExpectSent(frames) => {
            let sent = harness(sent_frames(iut, frames.len(), skip_credit))?;
            check(compare_sent(frames, &sent))?;
        }
        Step::ExpectSentOneOf(alternatives) => {
            let most = alternatives
                .iter()
                .map(|a| a.frames.len())
                .max()
                .unwrap_or(0);
            let sent = harness(sent_frames(iut, most, skip_credit))?;
            let mut problems = Vec::new();
            for alternative in alternatives {
                match compare_sent(&alternative.frames, &sent) {
                    Ok(()) => {
                        choices.push(alternative.choice.clone());
                        return Ok(());
                    }
                    Err(problem) => problems.push(format!("{}: {problem}", alternative.choice)),
                }
            }
            return check(Err(format!(
                "none of the alternatives:\n  {}",
                problems.join("\n  ")
            )));
        }
        Step::Flood(flood) => check(run_flood(iut, flood))?,
        Step::Heartbeat(h) => {
            let got = harness(iut.heartbeat(
                Duration::from_millis(h.interval_ms),
                Duration::from_millis(h.tolerance_ms),
            ))?;
            check(expect_call(got, &None))?;
        }
        Step::ExpectSession(e) => {
            let state = harness(iut.session())?;
            check(check_session_state(&state, e))?;
            if let Some(what) = unknown_expected(&state, e) {
                return Err((format!("{UNSUPPORTED}{what}"), true));
            }
        }
    }
    Ok(())
}

/// Judges a `flood` step (SPEC [LIMIT-6]): an implementation that took every frame while its
/// peer read nothing, and answered every one, held all the answers in a queue without bound.
/// Pushing back (no longer reading) passes; so does answering fewer frames than it took
/// (answers left out, as [STREAM-8] allows within 5 s, or the session ended, as [LIMIT-7]
/// allows).
fn run_flood(iut: &mut dyn Iut, flood: &crate::session_model::FloodStep) -> Result<(), String> {
    let mut frame = flood.frame.clone();
    encode(&frame)?;
    let mut next = || {
        let bytes = encode(&frame).unwrap_or_default();
        frame.stream_id = frame.stream_id.wrapping_add(flood.stream_id_step) & 0x7FFF_FFFF;
        bytes
    };
    let flooded = iut.flood(&mut next, flood.count)?;
    let (views, _) = decode_all(&flooded.replies);
    let answers = views.iter().filter(|v| v.kind == "RST").count() as u64;
    if flooded.pushed_back || answers < flooded.sent {
        return Ok(());
    }
    Err(format!(
        "the implementation took all {} frames while the peer read nothing, and answered \
         every one ({answers} RST frames): its queue of frames waiting for the transport has \
         no bound; it must stop reading instead",
        flooded.sent
    ))
}

/// The reference configuration for a vector: the defaults, then the vector's settings.
pub fn config_of(vector: &SessionVector) -> Config {
    let mut config = Config::default();
    let c = &vector.config;
    if let Some(v) = c.max_window_size {
        config.max_window_size = v;
    }
    if let Some(v) = c.accept_backlog {
        config.accept_backlog = v;
    }
    if let Some(v) = c.max_streams {
        config.max_streams = v;
    }
    if let Some(v) = c.max_goaway_debug {
        config.max_goaway_debug = v;
    }
    if let Some(ms) = c.read_timeout_ms {
        config.read_timeout = Some(Duration::from_millis(ms));
    }
    config
}

/// The reference state machine as an [`Iut`], offline: time is a number, output a buffer.
pub struct Offline {
    session: Session,
    now: Duration,
    /// The heartbeat requester and its stream, once started.
    heartbeat: Option<(StreamId, Requester)>,
    /// Test-only (a conformance mutant): a wrong echo does not stop the requester.
    pub echo_unchecked: bool,
}

impl Offline {
    /// A fresh reference session in the vector's role and configuration.
    pub fn new(vector: &SessionVector) -> Offline {
        let role = match vector.role {
            Role::Client => session::Role::Client,
            Role::Server => session::Role::Server,
        };
        Offline::with(role, config_of(vector))
    }

    /// A fresh reference session.
    pub fn with(role: session::Role, config: Config) -> Offline {
        Offline {
            session: Session::new(role, config),
            now: Duration::ZERO,
            heartbeat: None,
            echo_unchecked: false,
        }
    }

    /// Moves the session's clock to `now` (for a session driven in real time).
    pub fn set_time(&mut self, now: Duration) {
        self.now = now;
        self.session.set_time(now);
        self.run_heartbeat();
    }

    /// Lets the heartbeat requester read its echoes and write a beat that is due, as the
    /// driver's heartbeat task does (SPEC [HEARTBEAT-1], [HEARTBEAT-4]). A wrong echo stops
    /// it and closes its stream, as Go's requester does.
    fn run_heartbeat(&mut self) {
        let Some((id, requester)) = &mut self.heartbeat else {
            return;
        };
        let mut buf = [0u8; 64];
        while let Ok(Read::Data(n)) = self.session.read(*id, &mut buf) {
            let echoes = requester.on_read(&buf[..n], self.now);
            if echoes.contains(&Echo::Wrong) && self.echo_unchecked {
                *requester = Requester::new(requester.interval(), self.now, BeatValues::new(0));
            }
        }
        if requester.is_stopped() {
            self.session.close_stream(*id);
            self.heartbeat = None;
            return;
        }
        if let Some(beat) = requester.poll_beat(self.now) {
            let _ = self.session.write_whole(*id, &beat);
        }
    }

    /// Whether the driver should read more transport bytes now ([`Session::wants_input`]).
    pub fn wants_input(&self) -> bool {
        self.session.wants_input()
    }

    /// Whether the session has ended: its driver reads on only to find the end of the input.
    pub fn ended(&self) -> bool {
        self.session.termination().is_some()
    }

    /// Whether the session has ended and has nothing left to send: its transport can close.
    pub fn finished(&self) -> bool {
        self.session.is_closed() && !self.session.has_output()
    }
}

fn call<T>(r: Result<T, session::Error>) -> Call<T> {
    Ok(r.map_err(|e| CallError {
        code: e.code().0,
        message: e.to_string(),
    }))
}

impl Iut for Offline {
    fn recv(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.session.receive(bytes, self.now);
        self.run_heartbeat();
        Ok(())
    }

    fn recv_eof(&mut self) -> Result<(), String> {
        self.session.receive_eof();
        Ok(())
    }

    fn advance(&mut self, ms: u64) -> Result<(), String> {
        let end = self.now + Duration::from_millis(ms);
        // A running heartbeat sees every millisecond, as it would in real time.
        while self.heartbeat.is_some() && self.now < end {
            self.set_time(self.now + Duration::from_millis(1));
        }
        self.set_time(end);
        Ok(())
    }

    fn heartbeat(&mut self, interval: Duration, _tolerance: Duration) -> Call<()> {
        if self.heartbeat.is_some() {
            return Ok(Err(CallError {
                code: u32::MAX,
                message: "the heartbeat already runs".into(),
            }));
        }
        let id = match self.session.open() {
            Ok(id) => id,
            Err(e) => return call(Err(e)),
        };
        // [TYPED-1] [TYPED-4] the stream's type goes out at once, as Go's `OpenTypedStream`.
        if let Err(e) = self.session.write_whole(id, &0xFFFF_FFFFu32.to_be_bytes()) {
            return call(Err(e));
        }
        let requester = Requester::new(
            interval,
            self.now,
            BeatValues::new(self.now.as_nanos() as u64),
        );
        self.heartbeat = Some((id, requester));
        Ok(Ok(()))
    }

    fn open(&mut self) -> Call<u32> {
        call(self.session.open().map(StreamId::get))
    }

    fn accept(&mut self) -> Result<Option<u32>, String> {
        Ok(self.session.accept().map(StreamId::get))
    }

    fn write(&mut self, id: u32, data: &[u8]) -> Call<usize> {
        call(self.session.write(StreamId::new(id), data))
    }

    fn read(&mut self, id: u32, max: usize) -> Call<ReadResult> {
        let mut buf = vec![0; max];
        call(
            self.session
                .read(StreamId::new(id), &mut buf)
                .map(|r| match r {
                    Read::Data(n) => ReadResult::Data(buf[..n].to_vec()),
                    Read::Eof => ReadResult::Eof,
                    Read::Blocked => ReadResult::Blocked,
                }),
        )
    }

    fn close_write(&mut self, id: u32) -> Call<()> {
        call(self.session.close_write(StreamId::new(id)))
    }

    fn close_stream(&mut self, id: u32) -> Result<(), String> {
        self.session.close_stream(StreamId::new(id));
        Ok(())
    }

    fn reset(&mut self, id: u32, code: u32) -> Call<()> {
        call(self.session.reset(StreamId::new(id), ErrorCode(code)))
    }

    fn go_away(&mut self, code: u32, debug: &[u8]) -> Call<()> {
        call(self.session.go_away(ErrorCode(code), debug))
    }

    fn close(&mut self) -> Result<(), String> {
        self.session.close();
        Ok(())
    }

    fn sent(&mut self, _expected: usize) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        self.session.poll_transmit(&mut out);
        Ok(out)
    }

    fn session(&mut self) -> Result<SessionState, String> {
        Ok(state_of(&self.session))
    }

    /// Frames go in while the session wants input, as its driver does (SPEC [LIMIT-6]).
    fn flood(&mut self, next: &mut dyn FnMut() -> Vec<u8>, count: u64) -> Result<Flooded, String> {
        let mut flooded = Flooded::default();
        while flooded.sent < count {
            if !self.session.wants_input() {
                flooded.pushed_back = true;
                break;
            }
            self.session.receive(&next(), self.now);
            flooded.sent += 1;
        }
        self.session.poll_transmit(&mut flooded.replies);
        Ok(flooded)
    }
}

/// The [`SessionState`] of a reference session.
pub fn state_of(s: &Session) -> SessionState {
    SessionState {
        ended: s.termination().map(|t| CallError {
            code: t.local.0,
            message: t.message.clone(),
        }),
        remote: s.remote_go_away().map(|g| RemoteState {
            error_code: g.error_code.0,
            last_stream_id: Some(g.last_stream_id.get()),
            debug: g.debug.clone(),
        }),
        remote_unknown: false,
    }
}

fn malformed(what: &str) -> String {
    format!("{MALFORMED}{what}")
}

fn code_value(code: &CodeRef) -> Result<u32, String> {
    match code {
        CodeRef::Value(v) => Ok(*v),
        CodeRef::Name(name) => ErrorCode::from_name(name)
            .map(|c| c.0)
            .ok_or_else(|| malformed(&format!("unknown error code name {name:?}"))),
    }
}

fn show_code(code: u32) -> String {
    ErrorCode(code).to_string()
}

fn expect_ok<T: PartialEq + std::fmt::Debug>(
    got: Result<T, CallError>,
    want: T,
) -> Result<(), String> {
    match got {
        Ok(v) if v == want => Ok(()),
        Ok(v) => Err(format!("expected {want:?}, got {v:?}")),
        Err(e) => Err(format!(
            "expected {want:?}, got error {} ({})",
            show_code(e.code),
            e.message
        )),
    }
}

fn expect_err<T: std::fmt::Debug>(got: Result<T, CallError>, want: &CodeRef) -> Result<(), String> {
    let want = code_value(want)?;
    match got {
        Err(e) if e.code == want => Ok(()),
        Err(e) => Err(format!(
            "expected error {}, got error {} ({})",
            show_code(want),
            show_code(e.code),
            e.message
        )),
        Ok(v) => Err(format!("expected error {}, got {v:?}", show_code(want))),
    }
}

fn expect_call(got: Result<(), CallError>, want: &Option<CallExpect>) -> Result<(), String> {
    match want {
        None => expect_ok(got, ()),
        Some(e) => expect_err(got, &e.error),
    }
}

fn check_read(e: &ReadExpect, got: Result<ReadResult, CallError>) -> Result<(), String> {
    let fields = [
        e.data.is_some() || e.data_fill.is_some(),
        e.eof.is_some(),
        e.blocked.is_some(),
        e.error.is_some(),
    ];
    if fields.iter().filter(|f| **f).count() != 1
        || e.eof == Some(false)
        || e.blocked == Some(false)
        || (e.data.is_some() && e.data_fill.is_some())
    {
        return Err(malformed(
            "read expects one of data, data_fill, eof, blocked, error",
        ));
    }
    if let Some(code) = &e.error {
        return expect_err(got, code);
    }
    let want = if e.eof.is_some() {
        ReadResult::Eof
    } else if e.blocked.is_some() {
        ReadResult::Blocked
    } else {
        ReadResult::Data(bytes_of(&e.data, &e.data_fill))
    };
    match got {
        Ok(r) if r == want => Ok(()),
        Ok(ReadResult::Data(d)) => Err(format!("expected {want:?}, got data {:?}", Hex(d))),
        Ok(r) => Err(format!("expected {}, got {r:?}", show_read(&want))),
        Err(err) => Err(format!(
            "expected {}, got error {} ({})",
            show_read(&want),
            show_code(err.code),
            err.message
        )),
    }
}

fn show_read(r: &ReadResult) -> String {
    match r {
        ReadResult::Data(d) => format!("data {:?}", Hex(d.clone())),
        other => format!("{other:?}"),
    }
}

/// What `e` expects that the implementation did not tell (after everything it told matched).
fn unknown_expected(state: &SessionState, e: &SessionExpect) -> Option<&'static str> {
    match (&e.remote, &state.remote) {
        (Some(_), _) if state.remote_unknown => {
            Some("the implementation does not tell whether it received a GOAWAY")
        }
        (Some(Some(want)), Some(got))
            if want.last_stream_id.is_some() && got.last_stream_id.is_none() =>
        {
            Some("the implementation does not tell the received GOAWAY's last stream id")
        }
        _ => None,
    }
}

fn check_session_state(state: &SessionState, e: &SessionExpect) -> Result<(), String> {
    if let Some(ended) = e.ended {
        if state.ended.is_some() != ended {
            return Err(format!(
                "expected ended={ended}, got {}",
                match &state.ended {
                    Some(t) => format!("ended with {} ({})", show_code(t.code), t.message),
                    None => "not ended".to_string(),
                }
            ));
        }
    }
    if let Some(code) = &e.local_error {
        let want = code_value(code)?;
        match &state.ended {
            Some(t) if t.code == want => {}
            Some(t) => {
                return Err(format!(
                    "expected local error {}, got {} ({})",
                    show_code(want),
                    show_code(t.code),
                    t.message
                ));
            }
            None => {
                return Err(format!(
                    "expected local error {}, session not ended",
                    show_code(want)
                ));
            }
        }
    }
    match (&e.remote, &state.remote) {
        (_, _) if state.remote_unknown => {}
        (None, _) | (Some(None), None) => {}
        (Some(None), Some(got)) => return Err(format!("expected no GOAWAY received, got {got:?}")),
        (Some(Some(_)), None) => return Err("expected a GOAWAY received, got none".to_string()),
        (Some(Some(want)), Some(got)) => {
            let mut problems = String::new();
            if want.error_code.is_some_and(|c| c != got.error_code) {
                let _ = write!(
                    problems,
                    " error_code: expected {}, got {};",
                    show_code(want.error_code.unwrap_or_default()),
                    show_code(got.error_code)
                );
            }
            if let (Some(l), Some(got_l)) = (want.last_stream_id, got.last_stream_id) {
                if l != got_l {
                    let _ = write!(problems, " last_stream_id: expected {l}, got {got_l};");
                }
            }
            if want.debug.is_some() || want.debug_fill.is_some() {
                let debug = bytes_of(&want.debug, &want.debug_fill);
                if debug != got.debug {
                    let _ = write!(
                        problems,
                        " debug: expected {:?}, got {:?};",
                        Hex(debug),
                        Hex(got.debug.clone())
                    );
                }
            }
            if !problems.is_empty() {
                return Err(format!("GOAWAY received:{problems}"));
            }
        }
    }
    Ok(())
}

// ---- frames ---------------------------------------------------------------------------------

/// The type code and body of a script frame, checking that the fields its type needs are
/// there and that `length`, if given, matches.
fn parts(frame: &WireFrame) -> Result<(u8, Vec<u8>), String> {
    let need = |v: Option<u32>, field: &str| {
        v.ok_or_else(|| malformed(&format!("{} frame without {field}", frame.kind)))
    };
    let (type_code, body) = match frame.kind.as_str() {
        "RST" => (
            0,
            need(frame.error_code, "error_code")?.to_be_bytes().to_vec(),
        ),
        "DATA" => match &frame.payload_pattern {
            Some(p) => (1, pattern(p)?.iter().map(|b| b.unwrap_or(0)).collect()),
            None => (1, bytes_of(&frame.payload, &frame.payload_fill)),
        },
        "WNDINC" => (
            2,
            need(frame.increment, "increment")?.to_be_bytes().to_vec(),
        ),
        "GOAWAY" => {
            let mut body = need(frame.last_stream_id, "last_stream_id")?
                .to_be_bytes()
                .to_vec();
            body.extend(need(frame.error_code, "error_code")?.to_be_bytes());
            body.extend(bytes_of(&frame.debug, &frame.debug_fill));
            (3, body)
        }
        "UNKNOWN" => match frame.type_code {
            Some(t @ 4..=15) => (t, bytes_of(&frame.payload, &frame.payload_fill)),
            other => {
                return Err(malformed(&format!(
                    "UNKNOWN frame with type_code {other:?}"
                )));
            }
        },
        other => return Err(malformed(&format!("frame type {other:?}"))),
    };
    if let Some(length) = frame.length {
        if length as usize != body.len() && !frame.debug_any {
            return Err(malformed(&format!(
                "{} frame with length {length} and a {}-byte body",
                frame.kind,
                body.len()
            )));
        }
    }
    if frame.flags > 0xF || frame.stream_id > 0x7FFF_FFFF || body.len() > 0xFF_FFFF {
        return Err(malformed(&format!(
            "{} frame with flags {:#x}, stream id {:#x}, {} body bytes",
            frame.kind,
            frame.flags,
            frame.stream_id,
            body.len()
        )));
    }
    Ok((type_code, body))
}

/// A `payload_pattern`: hex bytes, `..` for any byte.
fn pattern(p: &str) -> Result<Vec<Option<u8>>, String> {
    if p.len() % 2 != 0 {
        return Err(malformed("payload_pattern of odd length"));
    }
    (0..p.len())
        .step_by(2)
        .map(|i| match &p[i..i + 2] {
            ".." => Ok(None),
            hex => u8::from_str_radix(hex, 16)
                .map(Some)
                .map_err(|_| malformed(&format!("payload_pattern byte {hex:?}"))),
        })
        .collect()
}

/// The bytes of a frame the peer sends, built by hand (SPEC section 3.1): any field values,
/// including those a conforming encoder refuses.
pub fn encode(frame: &WireFrame) -> Result<Vec<u8>, String> {
    if frame.debug_any || frame.payload_pattern.is_some() {
        return Err(malformed("debug_any or payload_pattern in a frame to send"));
    }
    let (type_code, body) = parts(frame)?;
    let mut out = Vec::with_capacity(8 + body.len());
    out.extend(&(body.len() as u32).to_be_bytes()[1..]);
    out.push(type_code << 4 | frame.flags);
    out.extend(frame.stream_id.to_be_bytes());
    out.extend(body);
    Ok(out)
}

/// Decodes every frame of `bytes` with the reference codec; the second value describes what
/// stopped decoding before the end, if anything did.
pub fn decode_all(bytes: &[u8]) -> (Vec<FrameView>, Option<String>) {
    let mut frames = Frames::new(bytes);
    let mut views = Vec::new();
    let mut stop = None;
    let mut start = 0;
    for item in frames.by_ref() {
        match item {
            Ok(frame) => {
                let length = frame.body_len() as u32;
                views.push(crate::run::view(&frame, bytes[start + 3] & 0xF, length));
                start += frame.encoded_len();
            }
            Err(e) => stop = Some(format!("undecodable output: {e:?}")),
        }
    }
    (views, stop)
}

/// Compares the frames an implementation sent with the expected ones (see the README:
/// exact fields, `debug_any` GOAWAY debug text).
pub fn compare_sent(want: &[WireFrame], sent: &[u8]) -> Result<(), String> {
    let (got, stop) = decode_all(sent);
    if let Some(stop) = stop {
        return Err(format!("after {got:?}: {stop}"));
    }
    let mut expected = Vec::new();
    for (i, frame) in want.iter().enumerate() {
        let (type_code, body) = parts(frame)?;
        if frame.debug_any && frame.kind != "GOAWAY" {
            return Err(malformed("debug_any on a frame that is not a GOAWAY"));
        }
        let mut view = FrameView {
            kind: frame.kind.clone(),
            type_code: (type_code > 3).then_some(type_code),
            stream_id: frame.stream_id,
            flags: frame.flags,
            length: body.len() as u32,
            error_code: frame.error_code,
            increment: frame.increment,
            last_stream_id: frame.last_stream_id,
            body: if frame.kind == "GOAWAY" {
                body[8..].to_vec()
            } else if matches!(frame.kind.as_str(), "DATA" | "UNKNOWN") {
                body
            } else {
                Vec::new()
            },
        };
        // Bytes a pattern leaves open take the value the implementation sent.
        if let (Some(p), Some(actual)) = (&frame.payload_pattern, got.get(i)) {
            let p = pattern(p)?;
            if actual.body.len() == p.len() {
                view.body = p
                    .iter()
                    .zip(&actual.body)
                    .map(|(w, a)| w.unwrap_or(*a))
                    .collect();
            }
        }
        // The debug text of a GOAWAY the implementation sends on its own is not normative.
        if frame.debug_any {
            if let Some(actual) = got.get(i).filter(|g| g.kind == "GOAWAY") {
                view.body = actual.body.clone();
                view.length = actual.length;
            }
        }
        expected.push(view);
    }
    if expected == got {
        Ok(())
    } else {
        Err(format!(
            "sent frames differ\n    expected {expected:?}\n    got      {got:?}"
        ))
    }
}
