//! The scenarios of interop/SCENARIOS.md, played with the `muxado` crate 0.5.4.
//!
//! Crate facts these functions work around (each verified against the crate; see README.md):
//!
//! - A stream reports an RST only through its write side: the RST's code is stored in the
//!   stream's sink, and the next `write`/`flush` fails with it. A `write` already waiting for
//!   window credit is not woken by the RST, and reads never fail on it. So writes here are
//!   made with a short timeout, and a write that makes no progress is followed by a `flush`,
//!   which reports the code ([`write_probing`], [`probe_reset`]).
//! - The crate reports the peer's GOAWAY code only by failing every stream's writes with it;
//!   its debug data is dropped.
//! - `Stream` has no id accessor; ids are read off the transport by [`ngrok_peer::conn`].

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::ValueEnum;
use muxado::heartbeat::{Heartbeat, HeartbeatConfig};
use muxado::typed::{StreamType, Typed, TypedAccept, TypedOpenClose};
use muxado::{Accept, Error as MuxError, MuxadoSession, OpenClose, Stream};
use serde_json::{Map, Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep, timeout};

use muxado_testkit::pattern::{PatternChecker as Checker, pattern, pattern_at};
pub use muxado_testkit::scenario::Status;
use muxado_testkit::scenario::{BURST_BYTES, BURST_STREAMS};
use ngrok_peer::conn::ConnCtl;

/// The muxado role of this peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// The muxado client (odd stream ids).
    Client,
    /// The muxado server (even stream ids).
    Server,
}

/// The scenarios of interop/SCENARIOS.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// 256 concurrent echoed streams.
    Echo,
    /// 64 MiB each way on one stream, read slowly.
    Bulk,
    /// Writing after the peer's FIN, in both directions.
    HalfClose,
    /// Three streams opened by the server.
    ServerOpens,
    /// The server resets the client's stream with code 7.
    Reset,
    /// The server closes a stream the client keeps writing.
    CloseLateData,
    /// The server ends the session with GOAWAY 10.
    GoawayFromServer,
    /// The client ends the session with GOAWAY 10.
    GoawayFromClient,
    /// A server with accept backlog 4 that does not accept for 500 ms.
    Backlog,
    /// Typed streams both ways.
    Typed,
    /// A type prefix split across two DATA frames.
    TypedSplitPrefix,
    /// Heartbeats both ways.
    Heartbeat,
    /// A heartbeat that is never answered.
    HeartbeatSilent,
    /// A client whose window is larger than the server's.
    WindowMismatch,
    /// The client half-closes a stream it never wrote to; the server replies.
    FinFirstReply,
    /// Many concurrent echoed streams of random sizes for `--soak-secs` (not played here).
    Soak,
    /// 1,000 streams opened at once, each echoed, against the default accept backlog.
    Burst,
}

/// The `RESULT` of one side.
#[derive(Debug)]
pub struct Outcome {
    /// ok, failed, unsupported.
    pub status: Status,
    /// What went wrong, or what was seen.
    pub detail: String,
    /// Scenario-specific facts.
    pub observed: Map<String, Value>,
}

impl Outcome {
    fn new(status: Status, detail: impl Into<String>) -> Self {
        Outcome {
            status,
            detail: detail.into(),
            observed: Map::new(),
        }
    }

    /// A passed scenario.
    pub fn ok(detail: impl Into<String>) -> Self {
        Self::new(Status::Ok, detail)
    }

    /// A failed scenario.
    pub fn fail(detail: impl Into<String>) -> Self {
        Self::new(Status::Fail, detail)
    }

    /// A scenario the crate cannot play.
    pub fn unsupported(detail: impl Into<String>) -> Self {
        Self::new(Status::Unsupported, detail)
    }

    /// Adds an observed fact.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.observed.insert(key.to_string(), value.into());
        self
    }

    /// The `RESULT` JSON object.
    pub fn to_json(&self) -> Value {
        json!({
            "ok": self.status == Status::Ok,
            "detail": self.detail,
            "observed": self.observed,
        })
    }
}

type Res<T> = Result<T, Outcome>;

/// What this side is doing now, for the timeout's detail.
#[derive(Clone, Default)]
pub struct Phase(Arc<Mutex<String>>);

impl Phase {
    /// Records the current step.
    pub fn set(&self, what: impl Into<String>) {
        *self.0.lock().expect("phase lock") = what.into();
    }

    /// The current step.
    pub fn get(&self) -> String {
        self.0.lock().expect("phase lock").clone()
    }
}

/// What a scenario gets besides its session.
pub struct Env {
    /// This side's role.
    pub role: Role,
    /// The transport's control.
    pub ctl: ConnCtl,
    /// The current step.
    pub phase: Phase,
}

/// Why a scenario cannot be played at all by this side, known before the session starts.
pub fn unsupported_up_front(scenario: Scenario, role: Role) -> Option<String> {
    match (scenario, role) {
        (Scenario::Reset, Role::Server) => Some(
            "muxado 0.5.4 has no API to reset a stream: Stream offers AsyncRead/AsyncWrite only; \
             shutdown() and drop send FIN, and the crate sends RST only on its own (STREAM_CLOSED \
             or FLOW_CONTROL_ERROR for DATA it cannot take, INTERNAL_ERROR for a malformed frame), \
             never with an application's code"
                .into(),
        ),
        (Scenario::Soak, _) => Some(
            "the soak is played by the reference and the Go peers only (interop/tests/soak.rs); \
             this peer does not implement it"
                .into(),
        ),
        _ => None,
    }
}

/// The muxado error code carried by an I/O error from a crate stream.
pub fn code_of(err: &io::Error) -> Option<u32> {
    err.get_ref()
        .and_then(|inner| inner.downcast_ref::<MuxError>())
        .map(|code| *code as u32)
}

fn describe(err: &io::Error) -> String {
    match code_of(err) {
        Some(code) => format!("{err} (code {code})"),
        None => err.to_string(),
    }
}

fn io_fail(what: impl std::fmt::Display) -> impl FnOnce(io::Error) -> Outcome {
    move |err| Outcome::fail(format!("{what}: {}", describe(&err)))
}

/// How long a write may make no progress before [`probe_reset`] looks for an RST.
const PROBE: Duration = Duration::from_millis(200);

/// A failed write: the muxado code, and what failed.
type WriteFailure = (Option<u32>, String);

/// Whether the crate has recorded an RST (or another end) for `st`: a `flush` fails with the
/// code stored in the stream's sink.
async fn probe_reset(st: &mut Stream) -> Option<WriteFailure> {
    match timeout(PROBE, st.flush()).await {
        Ok(Err(err)) => Some((code_of(&err), format!("flush failed: {}", describe(&err)))),
        _ => None,
    }
}

/// Writes all of `buf`. A write that makes no progress for 200 ms is cancelled (the crate's
/// `poll_write` keeps no state across a cancel) and followed by [`probe_reset`], since an RST
/// does not wake a write waiting for window credit.
async fn write_probing(st: &mut Stream, buf: &[u8]) -> Result<(), WriteFailure> {
    let mut off = 0;
    while off < buf.len() {
        match timeout(PROBE, st.write(&buf[off..])).await {
            Ok(Ok(0)) => return Err((None, "write returned 0 bytes".into())),
            Ok(Ok(n)) => off += n,
            Ok(Err(err)) => {
                return Err((code_of(&err), format!("write failed: {}", describe(&err))));
            }
            Err(_) => {
                if let Some(failure) = probe_reset(st).await {
                    return Err(failure);
                }
            }
        }
    }
    Ok(())
}

/// Copies everything read back, then half-closes.
async fn echo(st: &mut Stream) -> io::Result<u64> {
    let mut buf = vec![0u8; 16 * 1024];
    let mut total = 0;
    loop {
        let n = st.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        st.write_all(&buf[..n]).await?;
        total += n as u64;
    }
    st.shutdown().await?;
    Ok(total)
}

async fn read_all(st: &mut Stream, what: &str) -> Res<Vec<u8>> {
    let mut data = Vec::new();
    st.read_to_end(&mut data)
        .await
        .map_err(io_fail(format!("reading {what}")))?;
    Ok(data)
}

fn expect_text(got: &[u8], want: &str, what: &str) -> Res<()> {
    if got == want.as_bytes() {
        Ok(())
    } else {
        Err(Outcome::fail(format!(
            "{what}: read {:?}, expected {want:?}",
            String::from_utf8_lossy(got)
        )))
    }
}

/// Waits until the session ends: the crate's `accept` returns `None` once its reader stopped
/// (end-of-file, GOAWAY, or a transport error). Streams still arriving are dropped.
async fn wait_session_end<A: Accept + Send + ?Sized>(acc: &mut A) {
    while let Some(st) = acc.accept().await {
        drop(st);
    }
}

/// A passing client ends the session once done (SCENARIOS.md), after lingering 250 ms so that a
/// server still reading what it sent last is not cut off. Waiting for the server to end it
/// instead leaves a Go server, which waits for the client, and this client waiting for each
/// other until both time out (the all-pairs matrix's `half-close` and `server-opens`).
async fn linger<A: Accept + Send + ?Sized>(acc: &mut A) {
    let _ = timeout(Duration::from_millis(250), wait_session_end(acc)).await;
}

const MIB: usize = 1024 * 1024;
const KIB: usize = 1024;

/// Writes `pattern(seed, total)` in `chunk`-byte writes.
async fn write_pattern(st: &mut Stream, seed: u64, total: usize, chunk: usize) -> io::Result<()> {
    let mut off = 0;
    while off < total {
        let n = chunk.min(total - off);
        st.write_all(&pattern_at(seed, off as u64, n)).await?;
        off += n;
    }
    Ok(())
}

/// Reads to end-of-stream, sleeping 1 ms after every 256 KiB.
async fn read_slowly(st: &mut Stream, checker: &mut Checker) -> io::Result<()> {
    let mut buf = vec![0u8; 64 * KIB];
    let mut next_pause = 256 * KIB as u64;
    loop {
        let n = st.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        checker.feed(&buf[..n]);
        while checker.seen >= next_pause {
            sleep(Duration::from_millis(1)).await;
            next_pause += 256 * KIB as u64;
        }
    }
}

/// Plays `scenario` on `sess`.
pub async fn run(scenario: Scenario, sess: MuxadoSession, env: &Env) -> Outcome {
    use Role::{Client, Server};
    let res = match (scenario, env.role) {
        (Scenario::Echo, Client) => echo_client(sess, env).await,
        (Scenario::Echo, Server) => echo_server(sess, env).await,
        (Scenario::Bulk, Client) => bulk_client(sess, env).await,
        (Scenario::Bulk, Server) => bulk_server(sess, env).await,
        (Scenario::HalfClose, Client) => half_close_client(sess, env).await,
        (Scenario::HalfClose, Server) => half_close_server(sess, env).await,
        (Scenario::ServerOpens, Client) => server_opens_client(sess, env).await,
        (Scenario::ServerOpens, Server) => server_opens_server(sess, env).await,
        (Scenario::Reset, Client) => reset_client(sess, env).await,
        (Scenario::CloseLateData, Client) => close_late_data_client(sess, env).await,
        (Scenario::CloseLateData, Server) => close_late_data_server(sess, env).await,
        (Scenario::GoawayFromServer, Server) | (Scenario::GoawayFromClient, Client) => {
            goaway_sender(sess, env).await
        }
        (Scenario::GoawayFromServer, Client) | (Scenario::GoawayFromClient, Server) => {
            goaway_receiver(sess, env).await
        }
        (Scenario::Backlog, Client) => backlog_client(sess, env).await,
        (Scenario::Backlog, Server) => backlog_server(sess, env).await,
        (Scenario::Typed, Client) => typed_client(sess, env).await,
        (Scenario::Typed, Server) => typed_server(sess, env).await,
        (Scenario::TypedSplitPrefix, Client) => typed_split_client(sess, env).await,
        (Scenario::TypedSplitPrefix, Server) => typed_split_server(sess, env).await,
        (Scenario::Heartbeat, _) => heartbeat(sess, env).await,
        (Scenario::HeartbeatSilent, Client) => heartbeat_silent_client(sess, env).await,
        (Scenario::HeartbeatSilent, Server) => heartbeat_silent_server(sess, env).await,
        (Scenario::WindowMismatch, Client) => window_mismatch_client(sess, env).await,
        (Scenario::WindowMismatch, Server) => window_mismatch_server(sess, env).await,
        (Scenario::FinFirstReply, Client) => fin_first_reply_client(sess, env).await,
        (Scenario::FinFirstReply, Server) => fin_first_reply_server(sess, env).await,
        (Scenario::Burst, Client) => burst_client(sess, env).await,
        (Scenario::Burst, Server) => burst_server(sess, env).await,
        (Scenario::Reset, Server) | (Scenario::Soak, _) => Err(Outcome::unsupported(
            unsupported_up_front(scenario, env.role).unwrap_or_default(),
        )),
    };
    match res {
        Ok(outcome) | Err(outcome) => outcome,
    }
}

async fn open(sess: &mut MuxadoSession, what: &str) -> Res<Stream> {
    sess.open().await.map_err(|err| {
        Outcome::fail(format!(
            "opening {what} failed: {err} (code {})",
            err as u32
        ))
    })
}

async fn accept(sess: &mut MuxadoSession, what: &str) -> Res<Stream> {
    sess.accept().await.ok_or_else(|| {
        Outcome::fail(format!(
            "the session ended before {what} arrived (accept returned None)"
        ))
    })
}

// ---- echo ------------------------------------------------------------------------------------

async fn echo_client(mut sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    const STREAMS: u64 = 256;
    env.phase.set("opening 256 streams");
    let mut tasks = JoinSet::new();
    for k in 0..STREAMS {
        let mut st = open(&mut sess, &format!("stream {k}")).await?;
        tasks.spawn(async move {
            let data = pattern(k, 1 + (k as usize * 7919) % 8192);
            let step = |what: &'static str| {
                move |e: io::Error| format!("stream {k}: {what}: {}", describe(&e))
            };
            st.write_all(&data).await.map_err(step("write"))?;
            st.shutdown().await.map_err(step("half-close"))?;
            let mut got = Vec::with_capacity(data.len());
            st.read_to_end(&mut got).await.map_err(step("read"))?;
            if got != data {
                return Err(format!(
                    "stream {k}: read back {} bytes that differ from the {} written",
                    got.len(),
                    data.len()
                ));
            }
            Ok(())
        });
    }
    env.phase.set("waiting for the 256 echoes");
    let mut verified = 0u64;
    let mut errors = Vec::new();
    while let Some(res) = tasks.join_next().await {
        match res {
            Ok(Ok(())) => verified += 1,
            Ok(Err(err)) => errors.push(err),
            Err(err) => errors.push(format!("task failed: {err}")),
        }
    }
    let outcome = if errors.is_empty() && verified == STREAMS {
        Outcome::ok("256 streams echoed and verified")
    } else {
        Outcome::fail(format!(
            "{verified} of 256 streams verified; {} failed, first: {}",
            errors.len(),
            errors.first().map(String::as_str).unwrap_or("-")
        ))
    };
    Ok(outcome.with("streams", verified))
}

async fn echo_server(mut sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    env.phase
        .set("accepting and echoing streams until the client ends the session");
    let mut tasks = JoinSet::new();
    while let Some(mut st) = sess.accept().await {
        tasks.spawn(async move { echo(&mut st).await.map_err(|e| describe(&e)) });
    }
    env.phase
        .set("finishing the echo tasks after the session ended");
    let mut echoed = 0u64;
    let mut errors = Vec::new();
    while let Some(res) = tasks.join_next().await {
        match res {
            Ok(Ok(_)) => echoed += 1,
            Ok(Err(err)) => errors.push(err),
            Err(err) => errors.push(format!("task failed: {err}")),
        }
    }
    let outcome = if errors.is_empty() {
        Outcome::ok(format!("echoed {echoed} streams"))
    } else {
        Outcome::fail(format!(
            "{} of {} echoes failed, first: {}",
            errors.len(),
            echoed + errors.len() as u64,
            errors[0]
        ))
    };
    Ok(outcome.with("streams", echoed))
}

// ---- burst -----------------------------------------------------------------------------------

/// How long a `burst` stream's echo may take before the write side is asked for an RST (the
/// crate fails no read on RST).
const BURST_READ_WAIT: Duration = Duration::from_secs(5);

/// How one `burst` stream ended on the client.
enum BurstEnd {
    Echoed,
    Failed(Option<u32>),
    Mismatch(String),
}

/// Opens 1,000 streams (the crate sends nothing before a stream's first write), then writes
/// `pattern(k, 16)`, half-closes and reads the echo on each from its own task, all at once:
/// the writes only queue frames for the session's writer, so the SYNs leave together.
/// Refusals (code 9) are counted, not fatal; the harness judges them.
async fn burst_client(mut sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    env.phase.set("opening 1000 streams");
    let mut streams = Vec::new();
    for k in 0..BURST_STREAMS {
        streams.push(open(&mut sess, &format!("stream {k}")).await?);
    }
    env.phase
        .set("writing, half-closing and reading 1000 streams");
    let mut tasks = JoinSet::new();
    for (k, mut st) in streams.into_iter().enumerate() {
        tasks.spawn(async move {
            let data = pattern(k as u64, BURST_BYTES);
            if let Err(err) = st.write_all(&data).await {
                return BurstEnd::Failed(code_of(&err));
            }
            if let Err(err) = st.shutdown().await {
                return BurstEnd::Failed(code_of(&err));
            }
            let mut got = Vec::new();
            match timeout(BURST_READ_WAIT, st.read_to_end(&mut got)).await {
                Ok(Ok(_)) if got == data => BurstEnd::Echoed,
                // A stream the peer reset can end its read cleanly: the write side tells.
                Ok(Ok(_)) => match probe_reset(&mut st).await {
                    Some((code, _)) => BurstEnd::Failed(code),
                    None => BurstEnd::Mismatch(format!(
                        "stream {k}: echo of {} bytes differs from the {BURST_BYTES} sent",
                        got.len()
                    )),
                },
                Ok(Err(err)) => BurstEnd::Failed(code_of(&err)),
                // The crate fails no read on RST: ask the write side.
                Err(_) => BurstEnd::Failed(probe_reset(&mut st).await.and_then(|(code, _)| code)),
            }
        });
    }
    let (mut echoed, mut refused) = (0u64, 0u64);
    let mut errors = std::collections::BTreeMap::<String, u64>::new();
    let mut mismatches = Vec::new();
    while let Some(res) = tasks.join_next().await {
        match res {
            Ok(BurstEnd::Echoed) => echoed += 1,
            Ok(BurstEnd::Failed(code)) => {
                let code = code.unwrap_or(u32::MAX);
                if code == 9 {
                    refused += 1;
                }
                *errors.entry(code.to_string()).or_default() += 1;
            }
            Ok(BurstEnd::Mismatch(what)) => mismatches.push(what),
            Err(err) => mismatches.push(format!("task failed: {err}")),
        }
    }
    let failed: u64 = errors.values().sum();
    let outcome = if let Some(first) = mismatches.first() {
        Outcome::fail(format!(
            "{first} (and {} more mismatches)",
            mismatches.len() - 1
        ))
    } else if failed != refused {
        Outcome::fail(format!(
            "{} streams failed other than by refusal (codes: {errors:?})",
            failed - refused
        ))
    } else {
        Outcome::ok(format!(
            "{echoed} streams echoed exactly, {refused} refused with code 9"
        ))
    };
    Ok(outcome
        .with("streams", BURST_STREAMS)
        .with("echoed", echoed)
        .with("refused", refused)
        .with("errors", json!(errors))
        .with("mismatches", mismatches.len()))
}

/// Accepts and echoes every stream until the session ends.
async fn burst_server(mut sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    env.phase
        .set("accepting and echoing streams until the client ends the session");
    let mut tasks = JoinSet::new();
    let mut accepted = 0u64;
    while let Some(mut st) = sess.accept().await {
        accepted += 1;
        tasks.spawn(async move { echo(&mut st).await.map_err(|e| describe(&e)) });
    }
    env.phase
        .set("finishing the echo tasks after the session ended");
    let mut echoed = 0u64;
    let mut errors = Vec::new();
    while let Some(res) = tasks.join_next().await {
        match res {
            Ok(Ok(_)) => echoed += 1,
            Ok(Err(err)) => errors.push(err),
            Err(err) => errors.push(format!("task failed: {err}")),
        }
    }
    let outcome = if !errors.is_empty() {
        Outcome::fail(format!(
            "{} of {accepted} echoes failed, first: {}",
            errors.len(),
            errors[0]
        ))
    } else if accepted == 0 {
        Outcome::fail("the session ended before any stream arrived")
    } else {
        Outcome::ok(format!("{accepted} streams accepted and echoed"))
    };
    Ok(outcome.with("streams", accepted).with("echoed", echoed))
}

// ---- bulk ------------------------------------------------------------------------------------

const BULK: usize = 64 * MIB;

async fn bulk_client(mut sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    let mut st = open(&mut sess, "the stream").await?;
    env.phase.set("writing pattern(1, 64 MiB)");
    write_pattern(&mut st, 1, BULK, 256 * KIB)
        .await
        .map_err(io_fail("writing pattern(1, 64 MiB)"))?;
    st.shutdown().await.map_err(io_fail("half-closing"))?;
    env.phase.set("reading pattern(2, 64 MiB) slowly");
    let mut checker = Checker::new(2);
    read_slowly(&mut st, &mut checker)
        .await
        .map_err(io_fail(format!("reading after {} bytes", checker.seen)))?;
    let outcome = if checker.verified(BULK as u64) {
        Outcome::ok("64 MiB written; 64 MiB of pattern(2, _) read and verified")
    } else {
        Outcome::fail(checker.problem(BULK as u64))
    };
    Ok(outcome
        .with("bytes", checker.seen)
        .with("fnv", checker.fnv_hex()))
}

async fn bulk_server(mut sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    env.phase.set("accepting the stream");
    let mut st = accept(&mut sess, "the stream").await?;
    env.phase.set("reading pattern(1, 64 MiB) slowly");
    let mut checker = Checker::new(1);
    read_slowly(&mut st, &mut checker)
        .await
        .map_err(io_fail(format!("reading after {} bytes", checker.seen)))?;
    if !checker.verified(BULK as u64) {
        return Ok(Outcome::fail(checker.problem(BULK as u64))
            .with("bytes", checker.seen)
            .with("fnv", checker.fnv_hex()));
    }
    env.phase.set("writing pattern(2, 64 MiB)");
    write_pattern(&mut st, 2, BULK, 256 * KIB)
        .await
        .map_err(io_fail("writing pattern(2, 64 MiB)"))?;
    st.shutdown().await.map_err(io_fail("half-closing"))?;
    env.phase.set("waiting for the client to end the session");
    wait_session_end(&mut sess).await;
    Ok(
        Outcome::ok("64 MiB of pattern(1, _) read and verified; 64 MiB written")
            .with("bytes", checker.seen)
            .with("fnv", checker.fnv_hex()),
    )
}

// ---- half-close ------------------------------------------------------------------------------

async fn half_close_client(mut sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    env.phase.set("stream A: writing ping and half-closing");
    let mut a = open(&mut sess, "stream A").await?;
    a.write_all(b"ping")
        .await
        .map_err(io_fail("stream A: write"))?;
    a.shutdown()
        .await
        .map_err(io_fail("stream A: half-close"))?;
    env.phase.set("stream A: reading to end-of-stream");
    let got = read_all(&mut a, "stream A").await?;
    expect_text(&got, "pong after your fin", "stream A")?;
    env.phase.set("accepting stream B");
    let mut b = accept(&mut sess, "stream B").await?;
    env.phase.set("stream B: reading to end-of-stream");
    let got = read_all(&mut b, "stream B").await?;
    expect_text(&got, "server done", "stream B")?;
    env.phase.set("stream B: writing after the server's FIN");
    b.write_all(b"client still talking")
        .await
        .map_err(io_fail("stream B: write after the server's FIN"))?;
    b.shutdown()
        .await
        .map_err(io_fail("stream B: half-close"))?;
    env.phase.set("lingering before ending the session");
    linger(&mut sess).await;
    Ok(Outcome::ok(
        "A: wrote ping + FIN, read \"pong after your fin\"; B: read \"server done\" + FIN, then \
         wrote \"client still talking\" + FIN",
    ))
}

async fn half_close_server(mut sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    env.phase.set("accepting stream A");
    let mut a = accept(&mut sess, "stream A").await?;
    env.phase.set("stream A: reading to end-of-stream");
    let got = read_all(&mut a, "stream A").await?;
    expect_text(&got, "ping", "stream A")?;
    a.write_all(b"pong after your fin")
        .await
        .map_err(io_fail("stream A: write after the client's FIN"))?;
    a.shutdown()
        .await
        .map_err(io_fail("stream A: half-close"))?;
    env.phase.set("stream B: opening, writing, half-closing");
    let mut b = open(&mut sess, "stream B").await?;
    b.write_all(b"server done")
        .await
        .map_err(io_fail("stream B: write"))?;
    b.shutdown()
        .await
        .map_err(io_fail("stream B: half-close"))?;
    env.phase.set("stream B: reading to end-of-stream");
    let got = read_all(&mut b, "stream B").await?;
    expect_text(&got, "client still talking", "stream B")?;
    Ok(Outcome::ok(
        "A: read ping + FIN, wrote \"pong after your fin\" + FIN; B: wrote \"server done\" + \
         FIN, read \"client still talking\" + FIN",
    ))
}

// ---- server-opens ----------------------------------------------------------------------------

async fn server_opens_server(mut sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    let mut streams = Vec::new();
    for k in 0..3u64 {
        env.phase
            .set(format!("stream {k}: opening, writing, half-closing"));
        let mut st = open(&mut sess, &format!("stream {k}")).await?;
        st.write_all(&pattern(10 + k, 1000))
            .await
            .map_err(io_fail(format!("stream {k}: write")))?;
        st.shutdown()
            .await
            .map_err(io_fail(format!("stream {k}: half-close")))?;
        streams.push(st);
    }
    for (k, st) in streams.iter_mut().enumerate() {
        env.phase.set(format!("stream {k}: reading the echo"));
        let got = read_all(st, &format!("stream {k}")).await?;
        if got != pattern(10 + k as u64, 1000) {
            return Err(Outcome::fail(format!(
                "stream {k}: echo of {} bytes differs from pattern({}, 1000)",
                got.len(),
                10 + k
            )));
        }
    }
    Ok(Outcome::ok("3 streams opened, each echoed and verified"))
}

async fn server_opens_client(mut sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    let mut streams = Vec::new();
    for k in 0..3 {
        env.phase.set(format!("accepting and echoing stream {k}"));
        let mut st = accept(&mut sess, &format!("stream {k}")).await?;
        echo(&mut st)
            .await
            .map_err(io_fail(format!("echoing stream {k}")))?;
        streams.push(st);
    }
    env.phase.set("lingering before ending the session");
    linger(&mut sess).await;
    let mut ids = env.ctl.received_syn_ids();
    // SYNs may arrive in any id order (SPEC [ID-8]): the server's three writers race.
    ids.sort_unstable();
    let outcome = if ids == [2, 4, 6] {
        Outcome::ok(
            "3 streams accepted and echoed; their ids (read from the SYN frames on the \
             transport: the crate's Stream has no id accessor) are 2, 4, 6",
        )
    } else {
        Outcome::fail(format!(
            "3 streams echoed, but the SYNs received carried ids {ids:?}, expected [2, 4, 6]"
        ))
    };
    Ok(outcome.with("ids", ids))
}

// ---- reset, close-late-data, window-mismatch ---------------------------------------------------

fn code_verdict(
    failure: Option<WriteFailure>,
    written: usize,
    want: u32,
    name: &str,
) -> Res<Outcome> {
    let Some((code, what)) = failure else {
        return Ok(Outcome::fail(format!(
            "wrote {written} bytes and no write failed; expected code {want} ({name})"
        ))
        .with("code", Value::Null));
    };
    let outcome = if code == Some(want) {
        Outcome::ok(format!("after {written} bytes: {what}"))
    } else {
        Outcome::fail(format!(
            "after {written} bytes: {what}; expected code {want} ({name})"
        ))
    };
    Ok(outcome.with("code", code))
}

async fn reset_client(mut sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    let mut st = open(&mut sess, "the stream").await?;
    env.phase
        .set("writing pattern(3, 16 MiB) in 64 KiB writes until one fails");
    let mut written = 0;
    while written < 16 * MIB {
        let chunk = pattern_at(3, written as u64, 64 * KIB);
        if let Err(failure) = write_probing(&mut st, &chunk).await {
            return code_verdict(Some(failure), written, 7, "STREAM_RESET");
        }
        written += chunk.len();
    }
    code_verdict(None, written, 7, "STREAM_RESET")
}

async fn close_late_data_client(mut sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    let mut st = open(&mut sess, "the stream").await?;
    env.phase
        .set("writing pattern(4, 4), then 4 KiB writes until one fails");
    let mut written = 0;
    if let Err(failure) = write_probing(&mut st, &pattern(4, 4)).await {
        return code_verdict(Some(failure), written, 4, "STREAM_CLOSED");
    }
    written += 4;
    while written < 4 + 16 * MIB {
        let chunk = pattern_at(4, written as u64, 4 * KIB);
        if let Err(failure) = write_probing(&mut st, &chunk).await {
            return code_verdict(Some(failure), written, 4, "STREAM_CLOSED");
        }
        written += chunk.len();
    }
    code_verdict(None, written, 4, "STREAM_CLOSED")
}

async fn close_late_data_server(mut sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    env.phase.set("accepting the stream");
    let mut st = accept(&mut sess, "the stream").await?;
    env.phase.set("reading 4 bytes");
    let mut four = [0u8; 4];
    st.read_exact(&mut four)
        .await
        .map_err(io_fail("reading 4 bytes"))?;
    if four[..] != pattern(4, 4)[..] {
        return Err(Outcome::fail(format!(
            "read {four:?}, expected pattern(4, 4) = {:?}",
            pattern(4, 4)
        )));
    }
    // Dropping the stream is the crate's close: the session sends DATA+FIN and forgets the
    // stream; later DATA draws RST STREAM_CLOSED.
    drop(st);
    env.phase.set("waiting for the client to end the session");
    wait_session_end(&mut sess).await;
    Ok(Outcome::ok(
        "read pattern(4, 4), then closed the stream (dropped: FIN, then forgotten)",
    ))
}

async fn window_mismatch_client(mut sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    let mut st = open(&mut sess, "the stream").await?;
    env.phase
        .set("writing pattern(5, 512 KiB) in 64 KiB writes");
    let mut written = 0;
    while written < 512 * KIB {
        let chunk = pattern_at(5, written as u64, 64 * KIB);
        if let Err(failure) = write_probing(&mut st, &chunk).await {
            return code_verdict(Some(failure), written, 3, "FLOW_CONTROL_ERROR");
        }
        written += chunk.len();
    }
    // Every write was taken: the crate's writes only queue frames, within its own (larger)
    // window. The server's RST arrives afterwards; the next write or flush reports it.
    env.phase
        .set("all 512 KiB queued; waiting up to 5 s for a write-side failure");
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        if let Some(failure) = probe_reset(&mut st).await {
            return code_verdict(Some(failure), written, 3, "FLOW_CONTROL_ERROR");
        }
        sleep(Duration::from_millis(20)).await;
    }
    code_verdict(None, written, 3, "FLOW_CONTROL_ERROR")
}

async fn window_mismatch_server(mut sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    env.phase.set("accepting the stream");
    let st = accept(&mut sess, "the stream").await?;
    env.phase
        .set("holding the stream unread until the client ends the session");
    wait_session_end(&mut sess).await;
    drop(st);
    Ok(Outcome::ok("accepted the stream and never read it"))
}

// ---- goaway ----------------------------------------------------------------------------------

const ENHANCE_YOUR_CALM: u32 = 10;

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Client => "client",
        Role::Server => "server",
    }
}

async fn goaway_sender(mut sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    let debug = format!("calm down from {}", role_name(env.role));
    env.phase.set("accepting the peer's stream");
    let mut st = accept(&mut sess, "the peer's stream").await?;
    env.phase.set("reading hello");
    let mut hello = [0u8; 5];
    st.read_exact(&mut hello)
        .await
        .map_err(io_fail("reading hello"))?;
    expect_text(&hello, "hello", "the peer's stream")?;
    env.phase.set("sending GOAWAY");
    sess.close(MuxError::EnhanceYourCalm, debug.clone())
        .await
        .map_err(|err| Outcome::fail(format!("OpenClose::close failed: {err}")))?;
    // `close` only queues the frame; wait until the session's writer has written it (the
    // crate writes 8 + debug bytes after the header), then close the transport.
    env.phase.set("waiting for the GOAWAY to be written");
    let until = Instant::now() + Duration::from_secs(2);
    loop {
        let done = env
            .ctl
            .sent_goaway()
            .is_some_and(|g| g.after_header.len() >= 8 + debug.len());
        if done || Instant::now() >= until {
            break;
        }
        sleep(Duration::from_millis(5)).await;
    }
    env.ctl.close();
    let Some(wire) = env.ctl.sent_goaway() else {
        return Ok(Outcome::fail(
            "OpenClose::close returned Ok but no GOAWAY was written within 2 s",
        ));
    };
    let body = &wire.after_header;
    let code = (body.len() >= 8).then(|| u32::from_be_bytes([body[4], body[5], body[6], body[7]]));
    let length = wire.length as usize;
    let debug_per_spec = (length >= 8 && body.len() >= length)
        .then(|| String::from_utf8_lossy(&body[8..length]).into_owned());
    let mut detail = format!(
        "sent GOAWAY code {ENHANCE_YOUR_CALM} debug {debug:?} with OpenClose::close, then closed \
         the transport"
    );
    if length != 8 + debug.len() {
        detail.push_str(&format!(
            "; on the wire the crate wrote Length {length} with {} body bytes, so a receiver \
             that follows [FRAME-1] reads debug {:?} and takes the last {} bytes for the next \
             frame header",
            body.len(),
            debug_per_spec.as_deref().unwrap_or(""),
            body.len().saturating_sub(length)
        ));
    }
    Ok(Outcome::ok(detail)
        .with("sent_code", ENHANCE_YOUR_CALM)
        .with("sent_debug", debug)
        .with("wire_length", wire.length)
        .with("wire_body_bytes", body.len())
        .with("wire_code", code)
        .with("wire_debug_per_length", debug_per_spec))
}

async fn goaway_receiver(mut sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    let debug = format!(
        "calm down from {}",
        role_name(match env.role {
            Role::Client => Role::Server,
            Role::Server => Role::Client,
        })
    );
    env.phase.set("opening a stream and writing hello");
    let mut st = open(&mut sess, "the stream").await?;
    st.write_all(b"hello")
        .await
        .map_err(io_fail("writing hello"))?;
    env.phase.set("waiting for the session to end");
    wait_session_end(&mut sess).await;
    // The crate's only report of the peer's GOAWAY: it closes every stream's sink with the
    // GOAWAY's code, so the next write fails with it. Its debug data is dropped.
    env.phase.set("probing the stream for the GOAWAY's code");
    let code = match timeout(Duration::from_secs(1), st.write(b"x")).await {
        Ok(Err(err)) => code_of(&err),
        _ => None,
    };
    let outcome = if code == Some(ENHANCE_YOUR_CALM) {
        Outcome::unsupported(format!(
            "remote code 10 seen (as the error of a write on the open stream, the only place \
             muxado 0.5.4 reports a GOAWAY's code); the debug text (expected {debug:?}) cannot \
             be checked: the crate's session reader keeps only the GOAWAY's error code and \
             drops its debug data, and no API returns it ([GOAWAY-9])"
        ))
    } else {
        Outcome::fail(format!(
            "after the session ended, a write on the open stream reported code {code:?}, \
             expected 10 (ENHANCE_YOUR_CALM) from the peer's GOAWAY (the crate reports the code \
             only there; its debug text, expected {debug:?}, is never available)"
        ))
    };
    Ok(outcome
        .with("remote_code", code)
        .with("remote_debug", Value::Null))
}

// ---- backlog ---------------------------------------------------------------------------------

async fn backlog_client(mut sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    env.phase.set("opening 8 streams and writing x on each");
    let mut streams = Vec::new();
    for i in 0..8 {
        let mut st = open(&mut sess, &format!("stream {i}")).await?;
        st.write_all(b"x")
            .await
            .map_err(io_fail(format!("stream {i}: writing x")))?;
        streams.push(st);
    }
    env.phase
        .set("reading each stream (1 s each, concurrently)");
    let mut tasks = JoinSet::new();
    for (i, mut st) in streams.into_iter().enumerate() {
        tasks.spawn(async move {
            let mut one = [0u8; 1];
            let seen = match timeout(Duration::from_secs(1), st.read(&mut one)).await {
                Ok(Ok(0)) => Err("end-of-stream".to_string()),
                Ok(Ok(_)) => Err(format!("data {one:?}")),
                Ok(Err(err)) => Ok(code_of(&err)),
                // The crate fails no read on RST: ask the write side.
                Err(_) => match probe_reset(&mut st).await {
                    Some((code, _)) => Ok(code),
                    None => Ok(None),
                },
            };
            (i, seen)
        });
    }
    let mut refused = 0u64;
    let mut accepted = 0u64;
    let mut odd = Vec::new();
    while let Some(res) = tasks.join_next().await {
        match res {
            Ok((_, Ok(Some(9)))) => refused += 1,
            Ok((_, Ok(None))) => accepted += 1,
            Ok((i, Ok(Some(code)))) => odd.push(format!("stream {i}: code {code}")),
            Ok((i, Err(what))) => odd.push(format!("stream {i}: {what}")),
            Err(err) => odd.push(format!("task failed: {err}")),
        }
    }
    let summary = format!(
        "{refused} streams refused with code 9 (seen on the write side: a flush after the read \
         timed out; the crate fails no read on RST), {accepted} accepted (no data for 1 s)"
    );
    let outcome = if !odd.is_empty() {
        Outcome::fail(format!("{summary}; unexpected: {}", odd.join(", ")))
    } else if refused >= 4 {
        Outcome::ok(summary)
    } else {
        Outcome::fail(format!("{summary}; expected at least 4 refused"))
    };
    Ok(outcome.with("refused", refused).with("accepted", accepted))
}

async fn backlog_server(mut sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    env.phase.set("not accepting for 500 ms");
    sleep(Duration::from_millis(500)).await;
    env.phase
        .set("accepting streams until none arrives for 200 ms");
    let mut streams = Vec::new();
    while let Ok(Some(st)) = timeout(Duration::from_millis(200), sess.accept()).await {
        streams.push(st);
    }
    env.phase.set("reading 1 byte from each accepted stream");
    let mut read = 0u64;
    for st in &mut streams {
        let mut one = [0u8; 1];
        if let Ok(Ok(1)) = timeout(Duration::from_secs(1), st.read(&mut one)).await {
            read += 1;
        }
    }
    // Hold the accepted streams, unanswered, until the client gave up reading them.
    env.phase
        .set("holding the accepted streams for 2.5 s (or until the session ends)");
    let _ = timeout(Duration::from_millis(2500), wait_session_end(&mut sess)).await;
    let accepted = streams.len();
    Ok(Outcome::unsupported(format!(
        "muxado 0.5.4 has no refusing accept backlog: SessionBuilder::accept_queue_size(n) only \
         sizes the channel between the session's reader and accept() (n + 1 slots), and when it \
         is full the reader waits, stalling every stream of the session, instead of answering \
         RST ACCEPT_QUEUE_FULL ([STREAM-5]); this side accepted {accepted} streams (read 1 byte \
         from {read}) and refused none"
    ))
    .with("accepted", accepted)
    .with("refused", 0))
}

// ---- typed -----------------------------------------------------------------------------------

async fn typed_client(sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    let mut t = Typed::new(sess);
    let mut streams = Vec::new();
    for typ in [1u32, 2, 0x1234_5678] {
        env.phase
            .set(format!("typed stream {typ}: opening, writing"));
        let mut st = t
            .open_typed(StreamType::clamp(typ))
            .await
            .map_err(|err| Outcome::fail(format!("open_typed({typ}) failed: {err}")))?;
        st.write_all(format!("typed {typ}").as_bytes())
            .await
            .map_err(io_fail(format!("typed stream {typ}: write")))?;
        st.shutdown()
            .await
            .map_err(io_fail(format!("typed stream {typ}: half-close")))?;
        streams.push(st);
    }
    env.phase.set("accepting the server's typed stream");
    let mut st = t
        .accept_typed()
        .await
        .map_err(|err| Outcome::fail(format!("accept_typed failed: {err}")))?;
    let typ = *st.typ();
    // Half-closed before reading, as the Go client does: the client never writes on it.
    st.shutdown()
        .await
        .map_err(io_fail("the server's typed stream: half-close".to_string()))?;
    // muxado 0.5.4 queues the FIN of `shutdown` on the stream's channel; when the stream is
    // read to its end and dropped before the session's writer took the FIN, the FIN is lost
    // (README.md). A pause lets it out.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let got = read_all(&mut st, "the server's typed stream").await?;
    let data = String::from_utf8_lossy(&got).into_owned();
    let outcome = if typ == 7 && data == "seven" {
        Outcome::ok("opened types 1, 2, 0x12345678; accepted type 7 with \"seven\"")
    } else {
        Outcome::fail(format!(
            "accepted type {typ} with {data:?}, expected type 7 with \"seven\""
        ))
    };
    Ok(outcome.with("type", typ).with("data", data))
}

async fn typed_server(sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    let mut t = Typed::new(sess);
    let mut types = Vec::new();
    let mut problems = Vec::new();
    for i in 0..3 {
        env.phase.set(format!("accepting typed stream {i}"));
        let mut st = t
            .accept_typed()
            .await
            .map_err(|err| Outcome::fail(format!("accept_typed {i} failed: {err}")))?;
        let typ = *st.typ();
        let got = read_all(&mut st, &format!("typed stream {typ}")).await?;
        if got != format!("typed {typ}").as_bytes() {
            problems.push(format!(
                "type {typ} carried {:?}",
                String::from_utf8_lossy(&got)
            ));
        }
        types.push(typ);
    }
    let mut sorted = types.clone();
    sorted.sort_unstable();
    if sorted != [1, 2, 0x1234_5678] {
        problems.push(format!("types {types:?}, expected 1, 2, 0x12345678"));
    }
    env.phase.set("opening typed stream 7");
    let mut st = t
        .open_typed(StreamType::clamp(7))
        .await
        .map_err(|err| Outcome::fail(format!("open_typed(7) failed: {err}")))?;
    st.write_all(b"seven")
        .await
        .map_err(io_fail("typed stream 7: write"))?;
    st.shutdown()
        .await
        .map_err(io_fail("typed stream 7: half-close"))?;
    env.phase.set("waiting for the client to end the session");
    wait_session_end(&mut *t).await;
    let outcome = if problems.is_empty() {
        Outcome::ok("accepted types 1, 2, 0x12345678, each naming its type; sent type 7")
    } else {
        Outcome::fail(problems.join("; "))
    };
    Ok(outcome.with("types", types))
}

async fn typed_split_server(sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    let mut t = Typed::new(sess);
    env.phase.set("accepting the typed stream");
    let mut st = t
        .accept_typed()
        .await
        .map_err(|err| Outcome::fail(format!("accept_typed failed: {err}")))?;
    let typ = *st.typ();
    let got = read_all(&mut st, "the typed stream").await?;
    let data = String::from_utf8_lossy(&got).into_owned();
    let outcome = if typ == 0x0102_0304 && data == "payload" {
        Outcome::ok("type 0x01020304 with \"payload\" (the type was read across frames)")
    } else {
        Outcome::fail(format!(
            "type {typ:#x} with {data:?}, expected 0x01020304 with \"payload\""
        ))
    };
    Ok(outcome.with("type", typ).with("data", data))
}

async fn typed_split_client(mut sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    env.phase.set("writing the split type prefix and payload");
    let mut st = open(&mut sess, "the stream").await?;
    // Each crate write of a non-empty buffer within the window is one DATA frame.
    st.write_all(&[0x01, 0x02])
        .await
        .map_err(io_fail("writing type bytes 1-2"))?;
    sleep(Duration::from_millis(50)).await;
    st.write_all(&[0x03, 0x04])
        .await
        .map_err(io_fail("writing type bytes 3-4"))?;
    st.write_all(b"payload")
        .await
        .map_err(io_fail("writing payload"))?;
    st.shutdown().await.map_err(io_fail("half-closing"))?;
    env.phase.set("lingering before ending the session");
    linger(&mut sess).await;
    Ok(Outcome::ok(
        "wrote 01 02 | (50 ms) | 03 04 | payload | FIN on a plain stream",
    ))
}

// ---- heartbeat -------------------------------------------------------------------------------

type Beats = mpsc::UnboundedReceiver<Option<Duration>>;

fn heartbeat_config(interval: Duration, tolerance: Duration) -> (HeartbeatConfig, Beats) {
    let (tx, rx) = mpsc::unbounded_channel();
    let handler = move |latency: Option<Duration>| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(latency);
            Ok::<(), Box<dyn std::error::Error>>(())
        }
    };
    (
        HeartbeatConfig {
            interval,
            tolerance,
            handler: Some(Arc::new(handler)),
        },
        rx,
    )
}

async fn heartbeat(sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    let (cfg, mut beats) = heartbeat_config(Duration::from_millis(50), Duration::from_secs(1));
    env.phase.set("starting the heartbeat");
    let (mut hb, hb_ctl) = Heartbeat::start(Typed::new(sess), cfg)
        .await
        .map_err(io_fail("Heartbeat::start"))?;
    // Heartbeat::accept_typed answers the peer's heartbeat stream; it returns other typed
    // streams (none here) and fails once the session ended.
    let acceptor = tokio::spawn(async move {
        loop {
            if let Err(err) = hb.accept_typed().await {
                return err;
            }
        }
    });
    env.phase.set("waiting for 3 heartbeat RTTs");
    let mut rtts = Vec::new();
    while rtts.len() < 3 {
        match beats.recv().await {
            Some(Some(rtt)) => rtts.push(rtt),
            Some(None) => {
                return Err(Outcome::fail(format!(
                    "heartbeat failure reported after {} RTTs",
                    rtts.len()
                )));
            }
            None => {
                return Err(Outcome::fail(format!(
                    "the heartbeat stopped after {} RTTs",
                    rtts.len()
                )));
            }
        }
    }
    let rtts_us: Vec<u64> = rtts.iter().map(|d| d.as_micros() as u64).collect();
    // Keep answering the peer's beats a while, so that its side completes too: 1 s, or until
    // the session ends (a peer need not end it when done).
    env.phase
        .set("answering the peer's heartbeat for 1 s more (or until the session ends)");
    let _ = timeout(Duration::from_secs(1), acceptor).await;
    drop(hb_ctl);
    Ok(Outcome::ok(format!("3 RTTs, no failure: {rtts_us:?} us")).with("rtts_us", rtts_us))
}

async fn heartbeat_silent_client(sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    let (cfg, mut beats) = heartbeat_config(Duration::from_millis(50), Duration::from_millis(300));
    env.phase.set("starting the heartbeat");
    let start = Instant::now();
    let (mut hb, hb_ctl) = Heartbeat::start(Typed::new(sess), cfg)
        .await
        .map_err(io_fail("Heartbeat::start"))?;
    tokio::spawn(async move { while hb.accept_typed().await.is_ok() {} });
    env.phase.set("waiting up to 2 s for a heartbeat failure");
    let first = timeout(Duration::from_secs(2), beats.recv()).await;
    let elapsed_ms = start.elapsed().as_millis() as u64;
    drop(hb_ctl);
    Ok(match first {
        Ok(Some(None)) => Outcome::ok(format!(
            "heartbeat failure reported after {elapsed_ms} ms, no RTT before it"
        ))
        .with("detected_ms", elapsed_ms),
        Ok(Some(Some(rtt))) => Outcome::fail(format!(
            "an RTT ({} us) was reported before any failure",
            rtt.as_micros()
        )),
        Ok(None) => Outcome::fail("the heartbeat stopped without a report"),
        Err(_) => Outcome::fail("no heartbeat failure within 2 s"),
    })
}

async fn heartbeat_silent_server(sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    let mut t = Typed::new(sess);
    env.phase
        .set("accepting the heartbeat stream as a plain typed stream");
    let st = t
        .accept_typed()
        .await
        .map_err(|err| Outcome::fail(format!("accept_typed failed: {err}")))?;
    let typ = *st.typ();
    env.phase
        .set("holding the heartbeat stream unanswered until the client ends the session");
    wait_session_end(&mut *t).await;
    drop(st);
    let outcome = if typ == 0xFFFF_FFFF {
        Outcome::ok("accepted the heartbeat stream (type 0xFFFFFFFF) and never answered")
    } else {
        Outcome::fail(format!("accepted type {typ:#x}, expected 0xFFFFFFFF"))
    };
    Ok(outcome.with("type", typ))
}

async fn fin_first_reply_client(mut sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    env.phase
        .set("opening a stream and half-closing it unwritten");
    let mut st = open(&mut sess, "the stream").await?;
    st.shutdown()
        .await
        .map_err(io_fail("the stream: half-close"))?;
    env.phase.set("reading the reply to end-of-stream");
    let got = read_all(&mut st, "the stream").await?;
    expect_text(&got, "reply to an empty request", "the stream")?;
    Ok(Outcome::ok(
        "half-closed an unwritten stream, then read the reply",
    ))
}

async fn fin_first_reply_server(mut sess: MuxadoSession, env: &Env) -> Res<Outcome> {
    env.phase.set("accepting the stream");
    let mut st = accept(&mut sess, "the stream").await?;
    env.phase.set("reading the empty request");
    let got = read_all(&mut st, "the stream").await?;
    expect_text(&got, "", "the stream")?;
    st.write_all(b"reply to an empty request")
        .await
        .map_err(io_fail("the stream: write after the client's FIN"))?;
    st.shutdown()
        .await
        .map_err(io_fail("the stream: half-close"))?;
    env.phase.set("waiting for the client to end the session");
    wait_session_end(&mut sess).await;
    Ok(Outcome::ok("read an empty request, then replied"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scenarios this peer's command line names are exactly the contract's, in its order.
    ///
    /// checks: tooling
    #[test]
    fn scenario_names_are_the_contracts() {
        let names: Vec<String> = Scenario::value_variants()
            .iter()
            .map(|s| {
                s.to_possible_value()
                    .expect("no skipped variant")
                    .get_name()
                    .to_string()
            })
            .collect();
        assert_eq!(names, muxado_testkit::scenario::SCENARIOS);
    }
}
