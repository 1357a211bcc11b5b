//! Runs session vectors against an implementation: the script engine, shared by the offline
//! check of the reference state machine (`muxado_reference::session::Machine`, driven step by
//! step with its sans-IO API, [`Offline`]) and the conformance suite over real sockets.
//!
//! Frames the peer sends are encoded here, by hand, from the vector's fields (the runner must
//! also produce frames a conforming encoder refuses: stream 0, zero increments, unknown types).
//! Frames the implementation sends are decoded with the reference codec and judged by what
//! SPEC.md fixes ([`crate::judge`]): per stream, never by framing.
//!
//! Every check has a level: MUST, or SHOULD for a step that pins a choice SPEC.md leaves open
//! (`pins`) and for the credit a close should give back ([STREAM-9]). A failed MUST check ends
//! the script; a failed SHOULD check is recorded and the script goes on.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::time::Duration;

use muxado_reference::frame::{ErrorCode, Frames, StreamId};
use muxado_reference::session::heartbeat::{BeatValues, Echo, Requester, Responder};
use muxado_reference::session::typed::TypedAcceptor;
use muxado_reference::session::{self, Config, Machine, Read};

use crate::judge::{Credit, FinsSent, Lanes, Level, Seen, sender_rule_broken, show_hex};
use crate::model::FrameView;
use crate::session_model::{
    AcceptExpect, CallExpect, CodeRef, ReadExpect, Role, SessionExpect, SessionVector, Step,
    StepEntry, WireFrame, bytes_of,
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
/// step the mark names, and nowhere else. The reference must meet SHOULD-level checks too.
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
/// SHOULD-level failures count here: the reference makes every choice the vectors pin.
pub fn check_session(vector: &SessionVector) -> Result<(), String> {
    run(vector).map_err(|f| f.describe(vector))
}

/// Where and how a vector failed: `step` is 1-based, `None` for the end of the script.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The step, 1-based; `Some(0)` for the vector as a whole, `None` for the end. A step of
    /// an alternative's `then` is named by the `expect_sent_one_of` that holds it.
    pub step: Option<usize>,
    /// What was wrong.
    pub problem: String,
    /// Whether the harness could not get a result from the implementation (it is unreachable
    /// or crashed, or broke the agent contract), as opposed to a result that differs from the
    /// vector's.
    pub harness: bool,
    /// The level of the check that failed.
    pub level: Level,
    /// The requirement the failed check judges, when it is one requirement rather than the
    /// vector's list (a credit check: [FLOW-6], [FLOW-7], [STREAM-9]).
    pub requirement: Option<String>,
}

impl Failure {
    /// The failure as report lines, naming the step.
    pub fn describe(&self, vector: &SessionVector) -> String {
        let req = self
            .requirement
            .as_ref()
            .map(|r| format!(" [{r}]"))
            .unwrap_or_default();
        match self.step {
            Some(0) => format!("\n  {}{req}", self.problem),
            Some(i) => format!(
                "\n  step {i} ({}){req}: {}",
                vector.steps.get(i - 1).map_or("step", |s| s.action.name()),
                self.problem
            ),
            None => format!("\n  at the end{req}: {}", self.problem),
        }
    }
}

fn run(vector: &SessionVector) -> Result<(), Failure> {
    let mut iut = Offline::new(vector);
    let judged = run_script(vector, &mut iut)?;
    match judged.should.into_iter().next() {
        Some(failure) => Err(failure),
        None => Ok(()),
    }
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

/// When a `sent` call may stop waiting: given every byte the implementation sent since the
/// previous call, whether what the script expects is there (or more than that).
pub type Enough<'a> = &'a mut dyn FnMut(&[u8]) -> bool;

/// An implementation under test as a session-vector script drives it: the peer's bytes in,
/// the application calls (none of which waits), and the frames it sent out.
///
/// The reference state machine implements it offline ([`run_script`] on [`Offline`]); the
/// conformance suite implements it over real sockets against any implementation, so both run
/// the very same script engine.
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

/// What a script that ran to its end found: the alternatives the implementation took at each
/// `expect_sent_one_of`, and the SHOULD-level checks it failed.
#[derive(Debug, Default)]
pub struct Judged {
    /// The `choice` of each alternative taken.
    pub choices: Vec<String>,
    /// Failed SHOULD-level checks, in order.
    pub should: Vec<Failure>,
}

/// Runs a vector's script against an implementation. `Ok` when every MUST-level check held
/// (with the SHOULD-level failures, if any); `Err` names the first MUST-level failure, or
/// the harness failure that stopped the script.
pub fn run_script(vector: &SessionVector, iut: &mut dyn Iut) -> Result<Judged, Failure> {
    if vector.requirements.is_empty() {
        return Err(Failure {
            step: Some(0),
            problem: malformed("no requirements"),
            harness: false,
            level: Level::Must,
            requirement: None,
        });
    }
    let mut script = Script {
        credit: Credit::new(
            vector.role == Role::Client,
            vector.config.typed(),
            vector.config.heartbeat == Some(true),
        ),
        ..Script::default()
    };
    for (i, entry) in vector.steps.iter().enumerate() {
        script.entry(iut, entry, i + 1)?;
    }
    let rest = script
        .collect(iut, &Lanes::default())
        .map_err(|problem| Failure {
            step: None,
            problem,
            harness: true,
            level: Level::Must,
            requirement: None,
        })?;
    let fail = |problem: String, requirement: Option<&str>, level| Failure {
        step: None,
        problem,
        harness: false,
        level,
        requirement: requirement.map(str::to_string),
    };
    if let Some(stop) = rest.stop {
        return Err(fail(stop, None, Level::Must));
    }
    if let Some((requirement, problem)) = rest.broken {
        return Err(fail(problem, Some(requirement), Level::Must));
    }
    if !rest.lanes.is_empty() {
        return Err(fail(
            format!(
                "frames sent but not expected:\n    {}",
                Lanes::default()
                    .compare(&rest.lanes)
                    .err()
                    .unwrap_or_default()
            ),
            None,
            Level::Must,
        ));
    }
    script.credit_checks(None)?;
    Ok(script.judged)
}

/// What one `sent` call brought: its frames per lane, and what stopped decoding, if anything.
struct Collected {
    lanes: Lanes,
    stop: Option<String>,
    /// A typed stream the implementation opened whose type did not come whole in its first
    /// DATA frame with bytes ([TYPED-2]).
    type_split: Option<String>,
    /// A rule of sending the implementation broke, with its requirement.
    broken: Option<(&'static str, String)>,
}

/// A script's running state.
#[derive(Default)]
struct Script {
    /// Streams the implementation sent FIN on.
    fins_sent: FinsSent,
    /// Streams the script expected FIN on.
    fins_expected: FinsSent,
    /// Streams the implementation reset.
    reset_sent: BTreeSet<u32>,
    /// The credit ledger.
    credit: Credit,
    /// The application asked for a GOAWAY (one is then no sign the session ended).
    go_away_asked: bool,
    /// Every DATA byte the implementation sent, per stream (for `echo`).
    stream_out: BTreeMap<u32, Vec<u8>>,
    /// Credit problems reported at SHOULD level already (each once).
    reported: BTreeSet<String>,
    /// What the script found so far.
    judged: Judged,
    /// The step being run, 1-based (for failures found by the credit ledger).
    step: usize,
    /// The implementation's heartbeat requester was started: a stream it opens with the
    /// heartbeat type is read by the implementation itself.
    heartbeat_started: bool,
    /// Typed streams the implementation opened whose first bytes have not been seen yet.
    typed_opened: BTreeSet<u32>,
}

impl Script {
    /// Runs one step (and, for an alternative taken, its `then` steps).
    fn entry(&mut self, iut: &mut dyn Iut, entry: &StepEntry, step: usize) -> Result<(), Failure> {
        self.step = step;
        let level = if entry.pins.is_some() {
            Level::Should
        } else {
            Level::Must
        };
        match self.action(iut, &entry.action, level) {
            Ok(()) => Ok(()),
            Err(Stop::Harness(problem)) => Err(Failure {
                step: Some(step),
                problem,
                harness: true,
                level: Level::Must,
                requirement: None,
            }),
            Err(Stop::Check {
                problem,
                level,
                requirement,
            }) => {
                let failure = Failure {
                    step: Some(step),
                    problem,
                    harness: false,
                    level,
                    requirement,
                };
                if level == Level::Should && !failure.problem.starts_with(MALFORMED) {
                    self.judged.should.push(failure);
                    Ok(())
                } else {
                    Err(failure)
                }
            }
            Err(Stop::Then(failure)) => Err(*failure),
        }
    }

    /// Every frame the implementation sent since the last call, waiting until `want` is
    /// there and the credit due has arrived; the ledger and `stream_out` take them in.
    fn collect(&mut self, iut: &mut dyn Iut, want: &Lanes) -> Result<Collected, String> {
        for id in self.credit.take_opened() {
            self.fins_sent.remove(&id);
            self.fins_expected.remove(&id);
            self.reset_sent.remove(&id);
        }
        // The peer's RSTs end streams for sending too ([RST-4], [STREAM-12]).
        for id in self.credit.peer_reset() {
            self.fins_sent.insert(*id);
            self.fins_expected.insert(*id);
        }
        let (fins, credit, asked) = (&self.fins_sent, &self.credit, self.go_away_asked);
        let mut enough = |bytes: &[u8]| {
            let (views, _) = decode_all(bytes);
            let seen: Vec<Seen> = views.iter().cloned().map(Seen::from).collect();
            let got = Lanes::of(&seen, &mut fins.clone());
            let mut credit = credit.clone();
            credit.iut_sent(&views, asked);
            (want.compare(&got).is_ok() || want.reached_by(&got)) && credit.settled()
        };
        let bytes = iut.sent(&mut enough)?;
        let broken = sender_rule_broken(&bytes, &mut self.reset_sent);
        let (views, stop) = decode_all(&bytes);
        self.credit.iut_sent(&views, self.go_away_asked);
        let mut type_split = None;
        for v in views.iter().filter(|v| v.kind == "DATA") {
            if self.heartbeat_started && v.flags & 0x2 != 0 && v.body.starts_with(&[0xFF; 4]) {
                self.credit.internal(v.stream_id);
            }
            if !v.body.is_empty() && self.typed_opened.remove(&v.stream_id) && v.body.len() < 4 {
                type_split = Some(format!(
                    "typed stream {}: its first DATA frame with bytes carries {} bytes, not \
                     the whole 4-byte type",
                    v.stream_id,
                    v.body.len()
                ));
            }
            self.stream_out
                .entry(v.stream_id)
                .or_default()
                .extend_from_slice(&v.body);
        }
        let seen: Vec<Seen> = views.into_iter().map(Seen::from).collect();
        let lanes = Lanes::of(&seen, &mut self.fins_sent);
        Ok(Collected {
            lanes,
            stop: stop.map(|s| format!("the implementation sent bytes that are no frame: {s}")),
            type_split,
            broken,
        })
    }

    /// The credit ledger's verdict now: a MUST-level problem stops the script; SHOULD-level
    /// ones are recorded once each.
    fn credit_checks(&mut self, step: Option<usize>) -> Result<(), Failure> {
        for p in self.credit.problems() {
            let failure = Failure {
                step,
                problem: p.problem.clone(),
                harness: false,
                level: p.level,
                requirement: Some(p.requirement.to_string()),
            };
            match p.level {
                Level::Must => return Err(failure),
                Level::Should => {
                    if self.reported.insert(p.problem) {
                        self.judged.should.push(failure);
                    }
                }
            }
        }
        Ok(())
    }

    fn action(&mut self, iut: &mut dyn Iut, step: &Step, level: Level) -> Result<(), Stop> {
        let check = |r: Result<(), String>| {
            r.map_err(|problem| Stop::Check {
                problem,
                level,
                requirement: None,
            })
        };
        match step {
            Step::Recv(frames) => {
                let bytes = encode_all(frames).map_err(|e| Stop::malformed_check(e, level))?;
                self.credit.peer_sent(&bytes);
                harness(iut.recv(&bytes))?;
            }
            Step::RecvDelayed(d) => {
                let bytes = encode_all(&d.frames).map_err(|e| Stop::malformed_check(e, level))?;
                self.credit.peer_sent(&bytes);
                harness(iut.recv_delayed(&bytes, d.ms))?;
            }
            Step::RecvHex(hex) => {
                self.credit.peer_sent(&hex.0);
                harness(iut.recv(&hex.0))?;
            }
            Step::Echo(echo) => {
                let out = self
                    .stream_out
                    .get(&echo.stream_id)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                if out.len() < echo.bytes {
                    return check(Err(format!(
                        "nothing to echo: the implementation sent {} bytes on stream {}, the \
                         script echoes its last {}",
                        out.len(),
                        echo.stream_id,
                        echo.bytes
                    )));
                }
                let payload = &out[out.len() - echo.bytes..];
                // A DATA frame without flags ([FRAME-3]).
                let mut frame = (payload.len() as u32).to_be_bytes()[1..].to_vec();
                frame.push(0x10);
                frame.extend(echo.stream_id.to_be_bytes());
                frame.extend(payload);
                self.credit.peer_sent(&frame);
                harness(iut.recv(&frame))?;
            }
            Step::RecvEof(true) => {
                self.credit.session_ended();
                harness(iut.recv_eof())?;
            }
            Step::RecvEof(false) => return check(Err(malformed("recv_eof must be true"))),
            Step::AdvanceMs(ms) => harness(iut.advance(*ms))?,
            Step::Open(open) => {
                let got = harness(iut.open())?;
                check(expect_opened(got, &open.expect))?;
            }
            Step::OpenTyped(open) => {
                let got = harness(iut.open_typed(open.stream_type))?;
                if let Ok(id) = &got {
                    self.typed_opened.insert(*id);
                }
                check(expect_opened(got, &open.expect))?;
            }
            Step::Accept(accept) => {
                let got = harness(iut.accept())?;
                check(expect_accepted(
                    got.map(|o| o.map(|id| (id, None))),
                    &accept.expect,
                ))?;
            }
            Step::AcceptTyped(accept) => {
                let got = harness(iut.accept_typed())?;
                if let Ok(Some((id, _))) = &got {
                    // [TYPED-3] the implementation read the 4 type bytes.
                    self.credit.read(*id, 4);
                }
                check(expect_accepted(
                    got.map(|o| o.map(|(id, t)| (id, Some(t)))),
                    &accept.expect,
                ))?;
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
                if let Ok(ReadResult::Data(d)) = &got {
                    self.credit.read(read.stream_id, d.len());
                }
                check(check_read(&read.expect, got))?;
            }
            Step::CloseWrite(call) => {
                let got = harness(iut.close_write(call.stream_id))?;
                check(expect_call(got, &call.expect))?;
            }
            Step::CloseStream(call) => {
                self.credit.closed(call.stream_id);
                // No result is judged: `close_stream` has none in the vectors.
                let _ = harness(iut.close_stream(call.stream_id))?;
            }
            Step::Reset(reset) => {
                self.credit.reset(reset.stream_id);
                let got = harness(iut.reset(reset.stream_id, reset.error_code))?;
                check(expect_call(got, &reset.expect))?;
            }
            Step::GoAway(go_away) => {
                self.go_away_asked = true;
                let got = harness(iut.go_away(go_away.error_code, &go_away.debug.0))?;
                check(expect_call(got, &go_away.expect))?;
            }
            Step::Close(_) => {
                self.credit.session_ended();
                harness(iut.close())?;
            }
            Step::ExpectSent(frames) => {
                let want = self
                    .expected(frames)
                    .map_err(|e| Stop::malformed_check(e, level))?;
                let got = harness(self.collect(iut, &want))?;
                if let Some(stop) = got.stop {
                    return Err(Stop::must(stop));
                }
                if let Some(problem) = got.type_split {
                    return Err(Stop::Check {
                        problem,
                        level: Level::Must,
                        requirement: Some("TYPED-2".into()),
                    });
                }
                if let Some((requirement, problem)) = got.broken {
                    return Err(Stop::Check {
                        problem,
                        level: Level::Must,
                        requirement: Some(requirement.into()),
                    });
                }
                check(want.compare(&got.lanes))?;
                self.credit_checks(Some(self.step)).map_err(Stop::then)?;
            }
            Step::ExpectSentOneOf(alternatives) => {
                return self.one_of(iut, alternatives, level);
            }
            Step::Flood(flood) => check(run_flood(iut, flood))?,
            Step::Heartbeat(h) => {
                self.heartbeat_started = true;
                let got = harness(iut.heartbeat(
                    Duration::from_millis(h.interval_ms),
                    Duration::from_millis(h.tolerance_ms),
                ))?;
                check(expect_call(got, &None))?;
            }
            Step::ExpectSession(e) => {
                let state = harness(iut.session())?;
                if state.ended.is_some() {
                    self.credit.session_ended();
                }
                check(check_session_state(&state, e))?;
                if let Some(what) = unknown_expected(&state, e) {
                    return Err(Stop::Harness(format!("{UNSUPPORTED}{what}")));
                }
            }
        }
        Ok(())
    }

    /// The lanes of expected frames; the expected FINs are remembered.
    fn expected(&mut self, frames: &[WireFrame]) -> Result<Lanes, String> {
        let seen = frames.iter().map(seen_of).collect::<Result<Vec<_>, _>>()?;
        Ok(Lanes::of(&seen, &mut self.fins_expected))
    }

    /// `expect_sent_one_of`: the first alternative whose frames were sent is taken, then its
    /// `then` steps run.
    fn one_of(
        &mut self,
        iut: &mut dyn Iut,
        alternatives: &[crate::session_model::Alternative],
        level: Level,
    ) -> Result<(), Stop> {
        let fins = self.fins_expected.clone();
        let mut wants = Vec::new();
        for alternative in alternatives {
            let seen = alternative
                .frames
                .iter()
                .map(seen_of)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Stop::malformed_check(e, level))?;
            let mut alt_fins = fins.clone();
            wants.push((Lanes::of(&seen, &mut alt_fins), alt_fins));
        }
        // Wait for the largest alternative; a smaller one that matches ends the wait too, by
        // the quiet period.
        let largest = wants
            .iter()
            .max_by_key(|(w, _)| w.0.values().flatten().count())
            .map(|(w, _)| w.clone())
            .unwrap_or_default();
        let got = harness(self.collect(iut, &largest))?;
        if let Some(stop) = got.stop {
            return Err(Stop::must(stop));
        }
        if let Some((requirement, problem)) = got.broken {
            return Err(Stop::Check {
                problem,
                level: Level::Must,
                requirement: Some(requirement.into()),
            });
        }
        let mut problems = Vec::new();
        for (alternative, (want, alt_fins)) in alternatives.iter().zip(wants) {
            match want.compare(&got.lanes) {
                Ok(()) => {
                    self.fins_expected = alt_fins;
                    self.judged.choices.push(alternative.choice.clone());
                    if let Some(flag) = &alternative.pins {
                        self.judged.should.push(Failure {
                            step: Some(self.step),
                            problem: format!(
                                "took \"{}\", which SPEC.md allows but does not recommend \
                                 ({flag})",
                                alternative.choice
                            ),
                            harness: false,
                            level: Level::Should,
                            requirement: None,
                        });
                    }
                    self.credit_checks(Some(self.step)).map_err(Stop::then)?;
                    let step = self.step;
                    for entry in &alternative.then {
                        self.entry(iut, entry, step).map_err(Stop::then)?;
                    }
                    return Ok(());
                }
                Err(problem) => problems.push(format!("{}: {problem}", alternative.choice)),
            }
        }
        Err(Stop::Check {
            problem: format!(
                "none of the alternatives SPEC.md allows:\n  {}",
                problems.join("\n  ")
            ),
            level,
            requirement: None,
        })
    }
}

/// Why a step stopped.
enum Stop {
    /// The harness could not get a result.
    Harness(String),
    /// A check failed.
    Check {
        problem: String,
        level: Level,
        requirement: Option<String>,
    },
    /// A failure already placed (in a `then` step, or by the credit ledger).
    Then(Box<Failure>),
}

impl Stop {
    fn must(problem: String) -> Stop {
        Stop::Check {
            problem,
            level: Level::Must,
            requirement: None,
        }
    }

    fn malformed_check(problem: String, level: Level) -> Stop {
        Stop::Check {
            problem,
            level,
            requirement: None,
        }
    }

    fn then(failure: Failure) -> Stop {
        Stop::Then(Box::new(failure))
    }
}

fn harness<T>(r: Result<T, String>) -> Result<T, Stop> {
    r.map_err(Stop::Harness)
}

fn encode_all(frames: &[WireFrame]) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    for frame in frames {
        bytes.extend(encode(frame)?);
    }
    Ok(bytes)
}

fn expect_opened(
    got: Result<u32, CallError>,
    e: &crate::session_model::OpenExpect,
) -> Result<(), String> {
    match (e.stream_id, &e.error) {
        (Some(id), None) => expect_ok(got, id),
        (None, Some(code)) => expect_err(got, code),
        _ => Err(malformed("open expects one of stream_id, error")),
    }
}

/// Judges `accept` and `accept_typed` (the type is `Some` for the latter).
fn expect_accepted(
    got: Result<Option<(u32, Option<u32>)>, CallError>,
    e: &AcceptExpect,
) -> Result<(), String> {
    let want = match (e.stream_id, e.none, &e.error) {
        (Some(id), None, None) => Some((id, e.stream_type)),
        (None, Some(true), None) => None,
        (None, None, Some(code)) => return expect_err(got, code),
        _ => {
            return Err(malformed("accept expects one of stream_id, none, error"));
        }
    };
    let show = |a: &Option<(u32, Option<u32>)>| match a {
        None => "no stream".to_string(),
        Some((id, None)) => format!("stream {id}"),
        Some((id, Some(t))) => format!("stream {id} of type {t:#x}"),
    };
    match got {
        Ok(a) if a == want => Ok(()),
        Ok(a) => Err(format!("expected {}, got {}", show(&want), show(&a))),
        Err(err) => Err(format!(
            "expected {}, got error {} ({})",
            show(&want),
            show_code(err.code),
            err.message
        )),
    }
}

/// An expected frame as the lanes see it: payload patterns and `debug_any` kept as wildcards.
fn seen_of(frame: &WireFrame) -> Result<Seen, String> {
    let (type_code, body) = parts(frame)?;
    if frame.debug_any && frame.kind != "GOAWAY" {
        return Err(malformed("debug_any on a frame that is not a GOAWAY"));
    }
    let view = FrameView {
        kind: frame.kind.clone(),
        type_code: (type_code > 3).then_some(type_code),
        stream_id: frame.stream_id,
        flags: frame.flags,
        length: body.len() as u32,
        error_code: frame.error_code,
        increment: frame.increment,
        last_stream_id: frame.last_stream_id,
        body: match frame.kind.as_str() {
            "GOAWAY" => body[8..].to_vec(),
            "DATA" | "UNKNOWN" => body,
            _ => Vec::new(),
        },
    };
    let pattern = match &frame.payload_pattern {
        Some(p) => self::pattern(p)?,
        None => view.body.iter().copied().map(Some).collect(),
    };
    Ok(Seen {
        view,
        pattern,
        debug_any: frame.debug_any,
    })
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
    session: Machine,
    now: Duration,
    /// The heartbeat requester and its stream, once started.
    heartbeat: Option<(StreamId, Requester)>,
    /// Streams the peer opened whose type is arriving, when the session uses typed streams.
    typed: Option<TypedAcceptor>,
    /// Typed streams whose type arrived, waiting for `accept_typed` (the heartbeat responder
    /// takes them off the session as they come, so that heartbeat streams are answered
    /// whether the application accepts or not).
    ready: std::collections::VecDeque<(StreamId, u32)>,
    /// The heartbeat responder, when the session runs the heartbeat extension.
    responder: Option<Responder>,
    /// Test-only (a conformance mutant): a wrong echo does not stop the requester.
    pub echo_unchecked: bool,
}

/// The extensions of SPEC section 10 a session runs (`MUXADO_CONFIG`'s `typed_streams` and
/// `heartbeat`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Extensions {
    /// Streams the peer opens are typed ([TYPED-3]).
    pub typed_streams: bool,
    /// The heartbeat responder answers heartbeat streams ([HEARTBEAT-2]); implies typed
    /// streams.
    pub heartbeat: bool,
}

/// The extensions a vector's configuration turns on.
pub fn extensions_of(vector: &SessionVector) -> Extensions {
    Extensions {
        typed_streams: vector.config.typed(),
        heartbeat: vector.config.heartbeat == Some(true),
    }
}

/// The heartbeat stream type (SPEC [TYPED-4]).
const HEARTBEAT_TYPE: u32 = 0xFFFF_FFFF;

impl Offline {
    /// A fresh reference session in the vector's role and configuration.
    pub fn new(vector: &SessionVector) -> Offline {
        let role = match vector.role {
            Role::Client => session::Role::Client,
            Role::Server => session::Role::Server,
        };
        Offline::with(role, config_of(vector), extensions_of(vector))
    }

    /// A fresh reference session.
    pub fn with(role: session::Role, config: Config, extensions: Extensions) -> Offline {
        let typed = extensions.typed_streams || extensions.heartbeat;
        Offline {
            session: Machine::new(role, config),
            now: Duration::ZERO,
            heartbeat: None,
            typed: typed.then(TypedAcceptor::new),
            ready: Default::default(),
            responder: extensions.heartbeat.then(Responder::new),
            echo_unchecked: false,
        }
    }

    /// Lets the heartbeat responder take and answer heartbeat streams (SPEC [HEARTBEAT-2]):
    /// typed streams are taken off the session as their type arrives, heartbeat streams go to
    /// the responder, the others wait for `accept_typed`.
    fn run_responder(&mut self) {
        let Some(responder) = &mut self.responder else {
            return;
        };
        let limit = self.session.config().accept_backlog.max(1);
        if let Some(typed) = &mut self.typed {
            while self.ready.len() < limit {
                let Some((id, t)) = typed.poll_accept(&mut self.session, limit) else {
                    break;
                };
                if t == HEARTBEAT_TYPE {
                    responder.add(id);
                } else {
                    self.ready.push_back((id, t));
                }
            }
        }
        responder.poll(&mut self.session);
    }

    /// Moves the session's clock to `now` (for a session driven in real time).
    pub fn set_time(&mut self, now: Duration) {
        self.now = now;
        self.session.handle_timeout(now);
        self.run_heartbeat();
    }

    /// Lets the heartbeat requester read its echoes and write a beat that is due, as the
    /// driver's heartbeat task does (SPEC [HEARTBEAT-1], [HEARTBEAT-4]). A wrong echo stops
    /// it and closes its stream, as Go's requester does.
    fn run_heartbeat(&mut self) {
        self.run_responder();
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

    /// The reference session itself, for tools that choose their next input from its state
    /// (`conformance fuzz`).
    pub fn reference(&self) -> &Machine {
        &self.session
    }

    /// Whether the driver should read more transport bytes now ([`Machine::wants_input`]).
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
        self.session.handle_input(bytes, self.now);
        self.run_heartbeat();
        Ok(())
    }

    fn recv_eof(&mut self) -> Result<(), String> {
        self.session.handle_eof();
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

    fn accept(&mut self) -> Call<Option<u32>> {
        if let Some(t) = self.session.termination() {
            // [SESSION-4] the session's error, sticky.
            return Ok(Err(CallError {
                code: t.local.0,
                message: t.message.clone(),
            }));
        }
        Ok(Ok(self.session.accept().map(StreamId::get)))
    }

    fn open_typed(&mut self, stream_type: u32) -> Call<u32> {
        let id = match self.session.open() {
            Ok(id) => id,
            Err(e) => return call(Err(e)),
        };
        // [TYPED-2] the whole type in one frame, at once (Go's `OpenTypedStream`).
        match self.session.write_whole(id, &stream_type.to_be_bytes()) {
            Ok(true) => Ok(Ok(id.get())),
            Ok(false) => Ok(Err(CallError {
                code: ErrorCode::INTERNAL_ERROR.0,
                message: "no room to send the stream's type".into(),
            })),
            Err(e) => call(Err(e)),
        }
    }

    fn accept_typed(&mut self) -> Call<Option<(u32, u32)>> {
        if let Some(t) = self.session.termination() {
            return Ok(Err(CallError {
                code: t.local.0,
                message: t.message.clone(),
            }));
        }
        self.run_responder();
        if let Some((id, t)) = self.ready.pop_front() {
            return Ok(Ok(Some((id.get(), t))));
        }
        let limit = self.session.config().accept_backlog.max(1);
        let Some(typed) = &mut self.typed else {
            return Err(format!(
                "{UNSUPPORTED}accept_typed on a session without typed streams"
            ));
        };
        Ok(Ok(typed
            .poll_accept(&mut self.session, limit)
            .map(|(id, t)| (id.get(), t))))
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

    fn close_stream(&mut self, id: u32) -> Call<()> {
        self.session.close_stream(StreamId::new(id));
        Ok(Ok(()))
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

    fn sent(&mut self, _enough: Enough<'_>) -> Result<Vec<u8>, String> {
        self.run_heartbeat();
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
            self.session.handle_input(&next(), self.now);
            flooded.sent += 1;
        }
        self.session.poll_transmit(&mut flooded.replies);
        Ok(flooded)
    }
}

/// The [`SessionState`] of a reference session.
pub fn state_of(s: &Machine) -> SessionState {
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

/// A call's successful result in the protocol's words, for messages.
trait Shown {
    fn shown(&self) -> String;
}

impl Shown for () {
    fn shown(&self) -> String {
        "success".into()
    }
}

impl Shown for u32 {
    fn shown(&self) -> String {
        format!("stream {self}")
    }
}

impl Shown for usize {
    fn shown(&self) -> String {
        format!("{self} bytes written")
    }
}

impl Shown for ReadResult {
    fn shown(&self) -> String {
        show_read(self)
    }
}

impl<T: Shown> Shown for Option<T> {
    fn shown(&self) -> String {
        match self {
            Some(v) => v.shown(),
            None => "no stream".into(),
        }
    }
}

impl Shown for (u32, Option<u32>) {
    fn shown(&self) -> String {
        match self.1 {
            Some(t) => format!("stream {} of type {t:#x}", self.0),
            None => format!("stream {}", self.0),
        }
    }
}

fn expect_ok<T: PartialEq + Shown>(got: Result<T, CallError>, want: T) -> Result<(), String> {
    match got {
        Ok(v) if v == want => Ok(()),
        Ok(v) => Err(format!("expected {}, got {}", want.shown(), v.shown())),
        Err(e) => Err(format!(
            "expected {}, got error {} ({})",
            want.shown(),
            show_code(e.code),
            e.message
        )),
    }
}

fn expect_err<T: Shown>(got: Result<T, CallError>, want: &CodeRef) -> Result<(), String> {
    let want = code_value(want)?;
    match got {
        Err(e) if e.code == want => Ok(()),
        Err(e) => Err(format!(
            "expected error {}, got error {} ({})",
            show_code(want),
            show_code(e.code),
            e.message
        )),
        Ok(v) => Err(format!(
            "expected error {}, got {}",
            show_code(want),
            v.shown()
        )),
    }
}

fn expect_call(got: Result<(), CallError>, want: &Option<CallExpect>) -> Result<(), String> {
    match want {
        None => expect_ok(got, ()),
        Some(e) => expect_err(got, &e.error),
    }
}

fn check_read(e: &ReadExpect, got: Result<ReadResult, CallError>) -> Result<(), String> {
    if let Some(alternatives) = &e.one_of {
        let others = [
            e.data.is_some(),
            e.data_fill.is_some(),
            e.eof.is_some(),
            e.blocked.is_some(),
            e.error.is_some(),
        ];
        if alternatives.is_empty() || others.iter().any(|f| *f) {
            return Err(malformed("read one_of stands alone, with alternatives"));
        }
        let mut problems = Vec::new();
        for alternative in alternatives {
            match check_read(alternative, got.clone()) {
                Ok(()) => return Ok(()),
                Err(p) if p.starts_with(MALFORMED) => return Err(p),
                Err(p) => problems.push(p),
            }
        }
        return Err(format!(
            "none of the results SPEC.md allows: {}",
            problems.join("; ")
        ));
    }
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
        Ok(r) => Err(format!(
            "expected {}, got {}",
            show_read(&want),
            show_read(&r)
        )),
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
        ReadResult::Data(d) => format!("{} bytes {}", d.len(), show_hex(d)),
        ReadResult::Eof => "end of stream".into(),
        ReadResult::Blocked => "nothing to read yet (blocked)".into(),
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
        (Some(None), Some(got)) => {
            return Err(format!(
                "expected no GOAWAY received, got one: last stream id {}, {}, {} debug bytes",
                got.last_stream_id
                    .map_or("not told".to_string(), |l| l.to_string()),
                show_code(got.error_code),
                got.debug.len()
            ));
        }
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
                        " debug: expected {} bytes {}, got {} bytes {};",
                        debug.len(),
                        show_hex(&debug),
                        got.debug.len(),
                        show_hex(&got.debug)
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
            Err(e) => stop = Some(format!("undecodable output: {e}")),
        }
    }
    (views, stop)
}
