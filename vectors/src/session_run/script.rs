//! The script engine: runs a vector's steps against an implementation under test, collects
//! what it sent, and judges it step by step ([`run_script`]).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::expect::{
    check_read, check_session_state, expect_accepted, expect_call, expect_err, expect_ok,
    expect_opened, unknown_expected,
};
use super::wire::{decode_all, encode, encode_all, seen_of};
use super::{MALFORMED, malformed};
use crate::judge::{Credit, FinsSent, Lanes, Level, Seen, sender_rule_broken};
use crate::session_model::{Role, SessionVector, Step, StepEntry, WireFrame};
use muxado_agent_contract::{Iut, ReadResult, UNSUPPORTED};

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
