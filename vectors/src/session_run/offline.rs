//! The reference state machine as an implementation under test, offline ([`Offline`]: time
//! is a number, output a buffer), and the check of a vector against it, `reference_bug`
//! marks taken into account ([`judge`]).

use std::time::Duration;

use muxado_reference::frame::{ErrorCode, StreamId};
use muxado_reference::session::heartbeat::{BeatValues, Echo, Requester, Responder};
use muxado_reference::session::typed::TypedAcceptor;
use muxado_reference::session::{self, Config, Machine, Read};

use super::{Failure, MALFORMED, run_script};
use crate::session_model::{Role, SessionVector};
use muxado_agent_contract::{
    Call, CallError, Enough, Flooded, Iut, ReadResult, RemoteState, SessionState, UNSUPPORTED,
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

/// Runs one vector against a fresh reference session; `Err` says which step failed and how.
/// SHOULD-level failures count here: the reference makes every choice the vectors pin.
pub fn check_session(vector: &SessionVector) -> Result<(), String> {
    run(vector).map_err(|f| f.describe(vector))
}

fn run(vector: &SessionVector) -> Result<(), Failure> {
    let mut iut = Offline::new(vector);
    let judged = run_script(vector, &mut iut)?;
    match judged.should.into_iter().next() {
        Some(failure) => Err(failure),
        None => Ok(()),
    }
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
