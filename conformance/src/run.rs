//! Running cases: start the IUT's agent for a case, accept its two connections, drive the
//! case's script through the session-vector engine, and judge the outcome within a deadline.

use std::collections::BTreeSet;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use muxado_reference::frame::{DecodeError, decode_frame};
use muxado_reference::session::Role;
use muxado_vectors::session_model;
use muxado_vectors::session_run::{config_of, extensions_of, run_script};
use serde_json::{Value, json};

use crate::agent::{Chunk, Exchange, RemoteIut, UNSUPPORTED, Waits, reference_agent};
use crate::standing::{Hello, greet};
use crate::suite::{Case, Level};

/// Which implementation is under test.
#[derive(Clone, Debug)]
pub enum Target {
    /// The reference implementation, its agent running in this process.
    Reference,
    /// A command started per case (through `sh -c`) with the agent contract's environment.
    Exec(String),
    /// A standing agent listening here: the suite dials it per case ([AGENT-7]).
    Standing(SocketAddr),
    /// A standing agent that dials the suite per case, on this listener ([AGENT-7]).
    Listen(Arc<Mutex<TcpListener>>),
}

/// How to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// The implementation under test.
    pub target: Target,
    /// A whole-case deadline.
    pub timeout: Duration,
    /// Write what the suite sends in pieces of this many bytes.
    pub chop: Option<usize>,
    /// Cases run at once.
    pub jobs: usize,
    /// SHOULD-level cases count.
    pub strict: bool,
    /// Cases expected to fail (known deviations).
    pub expected: BTreeSet<String>,
    /// Waits for the IUT's frames.
    pub waits: Waits,
}

/// How a case ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The IUT did what the case requires.
    Pass,
    /// It did not.
    Fail,
    /// The case did not finish within its deadline.
    Timeout,
    /// The IUT could not be reached, or crashed.
    Error,
    /// The agent said it cannot play the case (exit code 127).
    Unsupported,
    /// It failed, as the expectations file says it does.
    ExpectedFailure,
    /// It passed although the expectations file says it fails.
    UnexpectedPass,
}

impl Outcome {
    /// The report's word for it.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Timeout => "timeout",
            Outcome::Error => "error",
            Outcome::Unsupported => "unsupported",
            Outcome::ExpectedFailure => "expected-failure",
            Outcome::UnexpectedPass => "unexpected-pass",
        }
    }
}

/// One case's result.
#[derive(Clone, Debug)]
pub struct CaseResult {
    /// The case id.
    pub id: String,
    /// The level of what decided the outcome: for a failure, of the failed check (MUST when
    /// any MUST-level check failed); otherwise the case's.
    pub level: Level,
    /// The outcome.
    pub outcome: Outcome,
    /// Whether the outcome makes the run fail (an unexpected result that counts).
    pub counts: bool,
    /// What went wrong: the step, expected vs actual.
    pub detail: String,
    /// For a failure: the step that failed (1-based; `None` at the end) and the requirement
    /// its check judges, when it is one requirement; for `unsupported`, the step the agent
    /// could not play.
    pub failed: Option<(Option<usize>, Option<String>)>,
    /// Both directions' bytes.
    pub transcript: Vec<Chunk>,
    /// The commands sent to the agent and its answers.
    pub log: Vec<Exchange>,
    /// How long it took.
    pub elapsed: Duration,
}

/// Runs the selected cases, `options.jobs` at a time; results in case order. `progress` is
/// called as each case finishes.
pub fn run_all(
    cases: &[&Case],
    options: &Options,
    progress: &(dyn Fn(&CaseResult) + Sync),
) -> Vec<CaseResult> {
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.max(1) {
            let tx = tx.clone();
            let next = &next;
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(case) = cases.get(i) else { break };
                    let result = run_case(case, options);
                    progress(&result);
                    let _ = tx.send((i, result));
                }
            });
        }
    });
    drop(tx);
    let mut results: Vec<(usize, CaseResult)> = rx.into_iter().collect();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Runs one case and judges it.
pub fn run_case(case: &Case, options: &Options) -> CaseResult {
    let start = Instant::now();
    let Played {
        outcome: raw,
        level,
        detail,
        failed,
        transcript,
        log,
    } = play(case, options);
    let level = level.unwrap_or(case.level);
    let expected = options.expected.contains(case.id());
    let outcome = match (raw, expected) {
        (Outcome::Pass, true) => Outcome::UnexpectedPass,
        (Outcome::Fail | Outcome::Timeout | Outcome::Error, true) => Outcome::ExpectedFailure,
        (other, _) => other,
    };
    let counts = match outcome {
        Outcome::Fail => level == Level::Must || options.strict,
        Outcome::Timeout => true,
        Outcome::Error | Outcome::UnexpectedPass => true,
        _ => false,
    };
    CaseResult {
        id: case.id().to_string(),
        level,
        outcome,
        counts,
        detail,
        failed,
        transcript,
        log,
        elapsed: start.elapsed(),
    }
}

enum Agent {
    Thread,
    Process(Child),
}

/// The muxado role of a case.
fn role_of(case: &Case) -> Role {
    match case.vector.role {
        session_model::Role::Client => Role::Client,
        session_model::Role::Server => Role::Server,
    }
}

/// The `MUXADO_CONFIG` object of a case.
fn config_json(case: &Case) -> Value {
    let c = &case.vector.config;
    json!({
        "max_window_size": c.max_window_size,
        "accept_backlog": c.accept_backlog,
        "max_streams": c.max_streams,
        "max_goaway_debug": c.max_goaway_debug,
        "read_timeout_ms": c.read_timeout_ms,
        "typed_streams": c.typed_streams,
        "heartbeat": c.heartbeat,
    })
}

/// A standing agent's connections for a case: the control connection (dialed or accepted),
/// the `hello`, then the transport it dials.
fn standing(
    case: &Case,
    control: Result<TcpStream, (Outcome, String)>,
    deadline: Instant,
) -> Result<(TcpStream, TcpStream), (Outcome, String)> {
    let mut control = control?;
    let error = |e: String| (Outcome::Error, e);
    let ip = control.local_addr().map_err(|e| error(e.to_string()))?.ip();
    let transport = TcpListener::bind((ip, 0)).map_err(|e| error(e.to_string()))?;
    let hello = Hello {
        case: case.id().to_string(),
        role: role_of(case),
        config: config_json(case),
        transport: transport.local_addr().map_err(|e| error(e.to_string()))?,
    };
    let _ = control.set_read_timeout(Some(deadline.saturating_duration_since(Instant::now())));
    match greet(&mut control, &hello) {
        Ok(None) => {}
        Ok(Some(why)) => return Err((Outcome::Unsupported, why)),
        Err(e) => return Err(error(e)),
    }
    let transport = accept(&transport, deadline, &mut Agent::Thread)?;
    Ok((transport, control))
}

/// What playing a case gave.
struct Played {
    outcome: Outcome,
    /// The level of the check that decided a failure.
    level: Option<Level>,
    detail: String,
    failed: Option<(Option<usize>, Option<String>)>,
    transcript: Vec<Chunk>,
    log: Vec<Exchange>,
}

impl Played {
    fn early(outcome: Outcome, detail: String) -> Played {
        Played {
            outcome,
            level: None,
            detail,
            failed: None,
            transcript: Vec::new(),
            log: Vec::new(),
        }
    }
}

/// Plays a case: its outcome, the level of the check that decided it (for a failure), what
/// happened, the transcript and the command log.
fn play(case: &Case, options: &Options) -> Played {
    let vector = &case.vector;
    let deadline = Instant::now() + options.timeout;
    let connected = match &options.target {
        Target::Standing(addr) => {
            let control = TcpStream::connect_timeout(addr, options.timeout).map_err(|e| {
                (
                    Outcome::Error,
                    format!("cannot reach the agent at {addr}: {e}"),
                )
            });
            standing(case, control, deadline).map(|(t, c)| (t, c, Agent::Thread))
        }
        Target::Listen(listener) => {
            let control = {
                let listener = listener.lock().expect("listener");
                accept(&listener, deadline, &mut Agent::Thread)
            };
            standing(case, control, deadline).map(|(t, c)| (t, c, Agent::Thread))
        }
        Target::Reference | Target::Exec(_) => start(case, options, deadline),
    };
    let (transport, control, agent) = match connected {
        Ok(connected) => connected,
        Err((outcome, detail)) => return Played::early(outcome, detail),
    };
    let closers = (transport.try_clone(), control.try_clone());
    let iut = RemoteIut::new(transport, control, options.chop, options.waits);
    let mut iut = match iut {
        Ok(iut) => iut,
        Err(e) => {
            stop(agent);
            return Played::early(Outcome::Error, e.to_string());
        }
    };
    let (tx, rx) = mpsc::channel();
    let (finished, script) = std::thread::scope(|scope| {
        let handle = scope.spawn(|| {
            let result = run_script(vector, &mut iut);
            let _ = tx.send(());
            result
        });
        let left = deadline.saturating_duration_since(Instant::now());
        let finished = rx.recv_timeout(left).is_ok();
        if !finished {
            // Unblock the script: it fails on its next read or write.
            for stream in [&closers.0, &closers.1].into_iter().flatten() {
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
        (finished, handle.join())
    });
    let transcript = iut.transcript();
    let pending = iut.pending_command();
    let log = iut.log();
    // Closing the control connection tells the agent to exit ([AGENT-2]).
    for stream in [&closers.0, &closers.1].into_iter().flatten() {
        let _ = stream.shutdown(Shutdown::Both);
    }
    drop((iut, closers));
    let stderr = stop(agent);
    let failed = match &script {
        Ok(Err(failure)) if !failure.harness || failure.problem.starts_with(UNSUPPORTED) => {
            Some((failure.step, failure.requirement.clone()))
        }
        Ok(Ok(judged)) => judged
            .should
            .first()
            .map(|f| (f.step, f.requirement.clone())),
        _ => None,
    };
    let (outcome, level, detail) = match script {
        _ if !finished => (
            Outcome::Timeout,
            None,
            format!(
                "the case did not finish within {:.1} s{}",
                options.timeout.as_secs_f64(),
                pending
                    .map(|c| format!("; the agent had not answered {c}"))
                    .unwrap_or_default()
            ),
        ),
        Ok(Ok(judged)) => {
            let took = if judged.choices.is_empty() {
                String::new()
            } else {
                format!("took: {}", judged.choices.join(", "))
            };
            if judged.should.is_empty() {
                (Outcome::Pass, None, took)
            } else {
                // Every MUST held; SHOULD-level checks failed: they count with --strict.
                let failures: String = judged.should.iter().map(|f| f.describe(vector)).collect();
                let detail = format!("every MUST-level check held; SHOULD-level:{failures}");
                let detail = if took.is_empty() {
                    detail
                } else {
                    format!("{took}\n  {detail}")
                };
                (Outcome::Fail, Some(Level::Should), detail)
            }
        }
        Ok(Err(failure)) if failure.harness && failure.problem.starts_with(UNSUPPORTED) => {
            (Outcome::Unsupported, None, failure.describe(vector))
        }
        Ok(Err(failure)) if failure.harness => (Outcome::Error, None, failure.describe(vector)),
        Ok(Err(failure)) => (Outcome::Fail, Some(failure.level), failure.describe(vector)),
        Err(_) => (
            Outcome::Error,
            None,
            "the suite's script thread panicked".into(),
        ),
    };
    let detail = if stderr.is_empty() || outcome == Outcome::Pass {
        detail
    } else {
        format!("{detail}\n  agent stderr: {stderr}")
    };
    Played {
        outcome,
        level,
        detail,
        failed,
        transcript,
        log,
    }
}

/// Starts the agent of a case ([AGENT-1]) and accepts its two connections ([AGENT-2]).
fn start(
    case: &Case,
    options: &Options,
    deadline: Instant,
) -> Result<(TcpStream, TcpStream, Agent), (Outcome, String)> {
    let bind = || TcpListener::bind("127.0.0.1:0");
    let (Ok(transport), Ok(control)) = (bind(), bind()) else {
        return Err((Outcome::Error, "cannot listen on 127.0.0.1".into()));
    };
    let addr = |l: &TcpListener| l.local_addr().expect("bound");
    let (transport_addr, control_addr) = (addr(&transport), addr(&control));
    let role = role_of(case);
    let mut agent = match &options.target {
        Target::Exec(command) => {
            let spawned = Command::new("sh")
                // Its own process group, so that stopping it stops what it started.
                .process_group(0)
                .arg("-c")
                .arg(command)
                .env(
                    "MUXADO_ROLE",
                    if role == Role::Client {
                        "client"
                    } else {
                        "server"
                    },
                )
                .env("MUXADO_ADDR", transport_addr.to_string())
                .env("MUXADO_CONTROL", control_addr.to_string())
                .env("MUXADO_TESTCASE", case.id())
                .env("MUXADO_CONFIG", config_json(case).to_string())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn();
            match spawned {
                Ok(child) => Agent::Process(child),
                Err(e) => return Err((Outcome::Error, format!("cannot start {command}: {e}"))),
            }
        }
        _ => {
            let config = config_of(&case.vector);
            let extensions = extensions_of(&case.vector);
            std::thread::spawn(move || {
                let _ = reference_agent(transport_addr, control_addr, role, config, extensions);
            });
            Agent::Thread
        }
    };
    let connections = accept(&transport, deadline, &mut agent)
        .and_then(|t| accept(&control, deadline, &mut agent).map(|c| (t, c)));
    match connections {
        Ok((t, c)) => Ok((t, c, agent)),
        Err((outcome, detail)) => {
            // Why it did not connect is usually on its standard error ([AGENT-8]).
            let stderr = stop(agent);
            let tail: Vec<&str> = stderr.lines().rev().take(10).collect();
            let detail = if tail.is_empty() {
                format!("{detail}; its standard error was empty")
            } else {
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                format!(
                    "{detail}; its standard error ends:\n    {}",
                    tail.join("\n    ")
                )
            };
            Err((outcome, detail))
        }
    }
}

fn accept(
    listener: &TcpListener,
    deadline: Instant,
    agent: &mut Agent,
) -> Result<TcpStream, (Outcome, String)> {
    listener
        .set_nonblocking(true)
        .map_err(|e| (Outcome::Error, e.to_string()))?;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                let _ = stream.set_nonblocking(false);
                return Ok(stream);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err((Outcome::Error, e.to_string())),
        }
        if let Agent::Process(child) = agent {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(match status.code() {
                    Some(127) => (
                        Outcome::Unsupported,
                        "the agent does not support this case".into(),
                    ),
                    _ => (
                        Outcome::Error,
                        format!("the agent exited ({status}) before connecting"),
                    ),
                });
            }
        }
        if Instant::now() >= deadline {
            return Err((Outcome::Timeout, "the agent never connected".into()));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Stops the agent; its stderr, if it is a process.
fn stop(agent: Agent) -> String {
    match agent {
        Agent::Thread => String::new(),
        Agent::Process(mut child) => {
            // The control connection is closed: a well-behaved agent exits by itself.
            let until = Instant::now() + Duration::from_secs(2);
            let mut exited = false;
            while Instant::now() < until {
                if let Ok(Some(_)) = child.try_wait() {
                    exited = true;
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            if !exited {
                // The whole process group (its own, [`start`] made it so): `sh -c` may have
                // started the agent as its child.
                let _ = Command::new("kill")
                    .args(["-s", "KILL", "--", &format!("-{}", child.id())])
                    .stderr(Stdio::null())
                    .status();
            }
            let _ = child.kill();
            let output = child.wait_with_output();
            output
                .map(|o| String::from_utf8_lossy(&o.stderr).trim().to_string())
                .unwrap_or_default()
        }
    }
}

/// The frames of one direction of a transcript, one line each.
pub fn frame_lines(transcript: &[Chunk], to_iut: bool) -> Vec<String> {
    let bytes: Vec<u8> = transcript
        .iter()
        .filter(|c| c.to_iut == to_iut)
        .flat_map(|c| c.bytes.iter().copied())
        .collect();
    let mut lines = Vec::new();
    let mut used = 0;
    while used < bytes.len() {
        match decode_frame(&bytes[used..]) {
            Ok((frame, n)) => {
                // A megabyte of GOAWAY debug text is no line to read: its start is enough.
                let mut line = frame.to_string();
                if line.len() > 200 {
                    let mut cut = 160;
                    while !line.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    line = format!("{}… ({} characters, elided)", &line[..cut], line.len());
                }
                // The decoder drops the reserved bit ([FRAME-5]); a peer that keeps it as part
                // of the id (Go, [INTEROP-7]) reacts to a frame the line alone cannot explain.
                if bytes[used + 4] & 0x80 != 0 {
                    line.push_str(" (reserved bit set)");
                }
                lines.push(line);
                used += n;
            }
            Err(DecodeError::Incomplete { .. }) => {
                lines.push(format!(
                    "({} bytes of an unfinished frame)",
                    bytes.len() - used
                ));
                break;
            }
            Err(DecodeError::Violation(v)) => {
                lines.push(format!("VIOLATION {v}"));
                break;
            }
        }
    }
    lines
}

/// The compliance probe (quic-interop-runner's trick): before the run, the agent is started
/// for a case whose name is random and whose script only asks for the session's state. An
/// agent that knows its cases must refuse it (exit 127); a command-driven one plays it. Either
/// is fine; an agent that cannot be started, reached or answered stops the run before 123
/// cases fail for the same reason. `Ok` says which kind of agent it is.
pub fn probe(options: &Options) -> Result<&'static str, String> {
    let name = format!(
        "probe-{:08x}",
        std::process::id() ^ Instant::now().elapsed().subsec_nanos()
    );
    let vector = serde_json::from_value(json!({
        "id": name,
        "description": "compliance probe",
        "requirements": ["AGENT-1", "AGENT-3"],
        "role": "client",
        "steps": [{"expect_session": {"ended": false}}],
    }))
    .expect("the probe is a valid vector");
    let case = Case {
        group: "probe",
        level: Level::Must,
        vector,
    };
    let mut options = options.clone();
    options.expected.clear();
    let result = run_case(&case, &options);
    match result.outcome {
        Outcome::Pass => Ok("plays any case it is given"),
        Outcome::Unsupported if result.detail.contains("does not support this case") => {
            Ok("refuses cases it does not know (exit 127)")
        }
        Outcome::Unsupported => Ok("plays any case, but cannot tell its session's state"),
        _ => Err(format!(
            "the agent failed the compliance probe ({}): {}",
            result.outcome.name(),
            result.detail.trim_start()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::Chunk;

    /// A frame log line shows a stream-id word's reserved bit, which decoding drops
    /// ([FRAME-5]): Go keeps it in the id and ends the session over it ([INTEROP-7]).
    // checks: [FRAME-5] [INTEROP-7]
    #[test]
    fn the_reserved_bit_is_shown() {
        let mut bytes = vec![0, 0, 1, 0x10, 0x80, 0, 0, 2, 0x61];
        bytes.extend([0, 0, 1, 0x10, 0, 0, 0, 2, 0x62]);
        let transcript = [Chunk {
            to_iut: true,
            at: Duration::ZERO,
            bytes,
        }];
        assert_eq!(
            frame_lines(&transcript, true),
            [
                "DATA stream_id=0x2 length=1 flags=0x0 (reserved bit set)",
                "DATA stream_id=0x2 length=1 flags=0x0"
            ]
        );
    }
}
