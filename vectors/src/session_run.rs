//! Runs session vectors against the reference session state machine
//! (`muxado_reference::session::Session`), driving it step by step with its sans-IO API.
//!
//! Frames the peer sends are encoded here, by hand, from the vector's fields (the runner must
//! also produce frames a conforming encoder refuses: stream 0, zero increments, unknown types).
//! Frames the session sends are decoded with the reference codec and compared field by field.

use std::fmt::Write as _;
use std::time::Duration;

use muxado_reference::frame::{ErrorCode, Frames, StreamId};
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
struct Failure {
    step: Option<usize>,
    problem: String,
}

impl Failure {
    fn describe(&self, vector: &SessionVector) -> String {
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
    if vector.requirements.is_empty() {
        return Err(Failure {
            step: Some(0),
            problem: malformed("no requirements"),
        });
    }
    let mut runner = Runner::new(vector);
    for (i, step) in vector.steps.iter().enumerate() {
        runner.step(step).map_err(|problem| Failure {
            step: Some(i + 1),
            problem,
        })?;
    }
    runner.finish().map_err(|problem| Failure {
        step: None,
        problem,
    })
}

/// The reference session's configuration for a vector: the defaults, then the vector's
/// settings.
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
    config
}

struct Runner {
    session: Session,
    now: Duration,
    /// Bytes the session sent that no `expect_sent` has checked yet.
    sent: Vec<u8>,
}

impl Runner {
    fn new(vector: &SessionVector) -> Runner {
        let role = match vector.role {
            Role::Client => session::Role::Client,
            Role::Server => session::Role::Server,
        };
        Runner {
            session: Session::new(role, config_of(vector)),
            now: Duration::ZERO,
            sent: Vec::new(),
        }
    }

    fn step(&mut self, step: &Step) -> Result<(), String> {
        let s = &mut self.session;
        match step {
            Step::Recv(frames) => {
                let mut bytes = Vec::new();
                for frame in frames {
                    bytes.extend(encode(frame)?);
                }
                s.receive(&bytes, self.now);
            }
            Step::RecvHex(hex) => s.receive(&hex.0, self.now),
            Step::RecvEof(true) => s.receive_eof(),
            Step::RecvEof(false) => return Err(malformed("recv_eof must be true")),
            Step::AdvanceMs(ms) => {
                self.now += Duration::from_millis(*ms);
                s.set_time(self.now);
            }
            Step::Open(open) => {
                let e = &open.expect;
                let got = s.open().map(StreamId::get);
                match (e.stream_id, &e.error) {
                    (Some(id), None) => expect_ok(got, id)?,
                    (None, Some(code)) => expect_err(got, code)?,
                    _ => return Err(malformed("open expects one of stream_id, error")),
                }
            }
            Step::Accept(accept) => {
                let e = &accept.expect;
                let got = s.accept().map(StreamId::get);
                let want = match (e.stream_id, e.none) {
                    (Some(id), None) => Some(id),
                    (None, Some(true)) => None,
                    _ => return Err(malformed("accept expects one of stream_id, none")),
                };
                if got != want {
                    return Err(format!("expected {want:?}, got {got:?}"));
                }
            }
            Step::Write(write) => {
                let e = &write.expect;
                let got = s.write(StreamId::new(write.stream_id), &write.bytes());
                match (e.written, &e.error) {
                    (Some(n), None) => expect_ok(got, n)?,
                    (None, Some(code)) => expect_err(got, code)?,
                    _ => return Err(malformed("write expects one of written, error")),
                }
            }
            Step::Read(read) => {
                let mut buf = vec![0; read.max];
                let got = s
                    .read(StreamId::new(read.stream_id), &mut buf)
                    .map(|r| match r {
                        Read::Data(n) => ReadResult::Data(buf[..n].to_vec()),
                        Read::Eof => ReadResult::Eof,
                        Read::Blocked => ReadResult::Blocked,
                    });
                check_read(&read.expect, got)?;
            }
            Step::CloseWrite(call) => {
                let got = s.close_write(StreamId::new(call.stream_id));
                expect_call(got, &call.expect)?;
            }
            Step::CloseStream(call) => s.close_stream(StreamId::new(call.stream_id)),
            Step::Reset(reset) => {
                let got = s.reset(StreamId::new(reset.stream_id), ErrorCode(reset.error_code));
                expect_call(got, &reset.expect)?;
            }
            Step::GoAway(go_away) => {
                let got = s.go_away(ErrorCode(go_away.error_code), &go_away.debug.0);
                expect_call(got, &go_away.expect)?;
            }
            Step::Close(_) => s.close(),
            Step::ExpectSent(frames) => {
                s.poll_transmit(&mut self.sent);
                let sent = std::mem::take(&mut self.sent);
                compare_sent(frames, &sent)?;
            }
            Step::ExpectSession(e) => check_session_state(s, e)?,
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(), String> {
        self.session.poll_transmit(&mut self.sent);
        if self.sent.is_empty() {
            return Ok(());
        }
        let (views, rest) = decode_all(&self.sent);
        Err(format!(
            "frames sent but not checked by an expect_sent: {views:?}{}",
            rest.map(|r| format!(" then {r}")).unwrap_or_default()
        ))
    }
}

fn malformed(what: &str) -> String {
    format!("{MALFORMED}{what}")
}

/// The value of an expected code.
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
    got: Result<T, session::Error>,
    want: T,
) -> Result<(), String> {
    match got {
        Ok(v) if v == want => Ok(()),
        Ok(v) => Err(format!("expected {want:?}, got {v:?}")),
        Err(e) => Err(format!(
            "expected {want:?}, got error {} ({e})",
            show_code(e.code().0)
        )),
    }
}

fn expect_err<T: std::fmt::Debug>(
    got: Result<T, session::Error>,
    want: &CodeRef,
) -> Result<(), String> {
    let want = code_value(want)?;
    match got {
        Err(e) if e.code().0 == want => Ok(()),
        Err(e) => Err(format!(
            "expected error {}, got error {} ({e})",
            show_code(want),
            show_code(e.code().0)
        )),
        Ok(v) => Err(format!("expected error {}, got {v:?}", show_code(want))),
    }
}

fn expect_call(got: Result<(), session::Error>, want: &Option<CallExpect>) -> Result<(), String> {
    match want {
        None => expect_ok(got, ()),
        Some(e) => expect_err(got, &e.error),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum ReadResult {
    Data(Vec<u8>),
    Eof,
    Blocked,
}

fn check_read(e: &ReadExpect, got: Result<ReadResult, session::Error>) -> Result<(), String> {
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
            "expected {}, got error {} ({err})",
            show_read(&want),
            show_code(err.code().0)
        )),
    }
}

fn show_read(r: &ReadResult) -> String {
    match r {
        ReadResult::Data(d) => format!("data {:?}", Hex(d.clone())),
        other => format!("{other:?}"),
    }
}

fn check_session_state(s: &Session, e: &SessionExpect) -> Result<(), String> {
    let termination = s.termination();
    if let Some(ended) = e.ended {
        if termination.is_some() != ended {
            return Err(format!(
                "expected ended={ended}, got {}",
                match termination {
                    Some(t) => format!("ended with {} ({})", t.local, t.message),
                    None => "not ended".to_string(),
                }
            ));
        }
    }
    if let Some(code) = &e.local_error {
        let want = code_value(code)?;
        match termination {
            Some(t) if t.local.0 == want => {}
            Some(t) => {
                return Err(format!(
                    "expected local error {}, got {} ({})",
                    show_code(want),
                    t.local,
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
    match (&e.remote, s.remote_go_away()) {
        (None, _) | (Some(None), None) => {}
        (Some(None), Some(got)) => return Err(format!("expected no GOAWAY received, got {got:?}")),
        (Some(Some(_)), None) => return Err("expected a GOAWAY received, got none".to_string()),
        (Some(Some(want)), Some(got)) => {
            let mut problems = String::new();
            if want.error_code.is_some_and(|c| c != got.error_code.0) {
                let _ = write!(
                    problems,
                    " error_code: expected {}, got {};",
                    show_code(want.error_code.unwrap_or_default()),
                    got.error_code
                );
            }
            if want
                .last_stream_id
                .is_some_and(|l| l != got.last_stream_id.get())
            {
                let _ = write!(
                    problems,
                    " last_stream_id: expected {:?}, got {};",
                    want.last_stream_id,
                    got.last_stream_id.get()
                );
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
        "DATA" => (1, bytes_of(&frame.payload, &frame.payload_fill)),
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

/// The bytes of a frame the peer sends, built by hand (SPEC section 3.1): any field values,
/// including those a conforming encoder refuses.
pub fn encode(frame: &WireFrame) -> Result<Vec<u8>, String> {
    if frame.debug_any {
        return Err(malformed("debug_any in a frame to send"));
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
fn decode_all(bytes: &[u8]) -> (Vec<FrameView>, Option<String>) {
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

fn compare_sent(want: &[WireFrame], sent: &[u8]) -> Result<(), String> {
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
