//! The reference's side of every scenario of `interop/SCENARIOS.md`.

use std::time::Duration;

use muxado_reference::frame::ErrorCode;
use muxado_reference::session::{Config, Role};
use muxado_reference::{Heartbeat, HeartbeatConfig, HeartbeatEvent, Session, Stream, stream_error};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;

/// Every scenario, in the order of `SCENARIOS.md`.
pub const SCENARIOS: &[&str] = &[
    "echo",
    "bulk",
    "half-close",
    "server-opens",
    "reset",
    "close-late-data",
    "goaway-from-server",
    "goaway-from-client",
    "backlog",
    "typed",
    "typed-split-prefix",
    "heartbeat",
    "heartbeat-silent",
    "window-mismatch",
    "fin-first-reply",
    "soak",
    "burst",
];

/// The SPEC.md requirements a scenario checks: what a failing run of it breaks, unless an
/// interop note explains the failure (the matrix's reports cite them).
pub fn requirements(scenario: &str) -> &'static [&'static str] {
    match scenario {
        "echo" => &["STREAM-4", "STREAM-6", "FLOW-3"],
        "bulk" => &["FLOW-3", "STREAM-6"],
        "half-close" => &["STREAM-6"],
        "server-opens" => &["ID-2", "STREAM-4"],
        "reset" => &["RST-4"],
        "close-late-data" => &["STREAM-8", "STREAM-9"],
        "goaway-from-server" | "goaway-from-client" => &["GOAWAY-9", "GOAWAY-10"],
        "backlog" => &["STREAM-5", "LIMIT-3"],
        "typed" => &["TYPED-2", "TYPED-3"],
        "typed-split-prefix" => &["TYPED-3"],
        "heartbeat" => &["HEARTBEAT-1", "HEARTBEAT-2"],
        "heartbeat-silent" => &["HEARTBEAT-3"],
        "window-mismatch" => &["FLOW-9", "FLOW-3"],
        "fin-first-reply" => &["STREAM-1", "STREAM-2", "STREAM-6"],
        "soak" => &["STREAM-6", "FLOW-3", "RST-4", "STREAM-10"],
        "burst" => &["STREAM-5", "STREAM-14"],
        _ => &[],
    }
}

/// The scenarios that keep both cores busy on their own (64 MiB each way, a soak, a burst of
/// 1,000 streams): the matrix runs them alone, whatever its `-j`.
pub fn is_heavy(scenario: &str) -> bool {
    matches!(scenario, "bulk" | "soak" | "burst")
}

/// A scenario's settings beyond the session's: only `soak` has any (SCENARIOS.md,
/// `--soak-secs` and `--seed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// How long the soak client keeps opening streams, in seconds.
    pub soak_secs: u64,
    /// The seed of the soak client's random choices.
    pub seed: u64,
}

impl Default for Params {
    /// The contract's defaults: 10 s, seed 1.
    fn default() -> Params {
        Params {
            soak_secs: 10,
            seed: 1,
        }
    }
}

impl Params {
    /// The matrix's: a 2 s soak, a smoke run (the soak test runs it longer, through faults).
    pub fn matrix() -> Params {
        Params {
            soak_secs: 2,
            ..Params::default()
        }
    }

    /// The peer arguments that pass these parameters for `scenario` (none but for `soak`).
    pub fn args(&self, scenario: &str) -> Vec<String> {
        if scenario == "soak" {
            vec![
                "--soak-secs".into(),
                self.soak_secs.to_string(),
                "--seed".into(),
                self.seed.to_string(),
            ]
        } else {
            Vec::new()
        }
    }

    /// How long a side of `scenario` may take beyond the usual 30 s: the soak's duration.
    pub fn extra_time(&self, scenario: &str) -> Duration {
        if scenario == "soak" {
            Duration::from_secs(self.soak_secs)
        } else {
            Duration::ZERO
        }
    }
}

/// What one side of a scenario reports (the `RESULT` line of a peer).
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The side saw what the scenario requires.
    pub ok: bool,
    /// The side cannot play this scenario (exit code 3 of a peer).
    pub unsupported: bool,
    /// What went wrong, or what was seen.
    pub detail: String,
    /// Scenario-specific facts.
    pub observed: Value,
}

impl Outcome {
    fn pass(observed: Value) -> Outcome {
        Outcome {
            ok: true,
            unsupported: false,
            detail: String::new(),
            observed,
        }
    }

    fn fail(detail: impl Into<String>, observed: Value) -> Outcome {
        Outcome {
            ok: false,
            unsupported: false,
            detail: detail.into(),
            observed,
        }
    }

    fn unsupported(detail: impl Into<String>) -> Outcome {
        Outcome {
            ok: false,
            unsupported: true,
            detail: detail.into(),
            observed: Value::Null,
        }
    }
}

/// The session settings a side uses for a scenario: `(window, backlog)`, `None` for defaults.
pub fn settings(scenario: &str, role: Role) -> (Option<u32>, Option<usize>) {
    match (scenario, role) {
        ("backlog", Role::Server) => (None, Some(4)),
        // All 256 SYNs may arrive before the server accepts one.
        ("echo", Role::Server) | ("soak", Role::Server) => (None, Some(256)),
        ("window-mismatch", Role::Client) => (Some(1 << 20), None),
        _ => (None, None),
    }
}

/// The reference configuration for a scenario side.
pub fn config(scenario: &str, role: Role) -> Config {
    let (window, backlog) = settings(scenario, role);
    let mut config = Config::default();
    if let Some(window) = window {
        config.max_window_size = window;
    }
    if let Some(backlog) = backlog {
        config.accept_backlog = backlog;
    }
    config
}

/// `pattern(seed, n)` of SCENARIOS.md.
pub fn pattern(seed: u64, n: usize) -> Vec<u8> {
    (0..n as u64)
        .map(|i| ((i * 31 + seed * 7) % 251) as u8)
        .collect()
}

/// FNV-1a, 64 bits, as hex.
pub fn fnv(data: &[u8]) -> String {
    let hash = data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    });
    format!("{hash:016x}")
}

type R<T> = Result<T, String>;

fn code_of(err: &std::io::Error) -> Option<u32> {
    stream_error(err).map(|e| e.code().0)
}

async fn read_all(stream: &mut Stream) -> R<Vec<u8>> {
    let mut out = Vec::new();
    stream
        .read_to_end(&mut out)
        .await
        .map_err(|e| format!("read: {e}"))?;
    Ok(out)
}

/// Reads to EOF, sleeping 1 ms after every 256 KiB.
async fn read_slowly(stream: &mut Stream, expected: usize) -> R<Vec<u8>> {
    let mut out = Vec::with_capacity(expected);
    let mut buf = vec![0u8; 64 * 1024];
    let mut since_pause = 0;
    loop {
        let n = stream
            .read(&mut buf)
            .await
            .map_err(|e| format!("read after {} bytes: {e}", out.len()))?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
        since_pause += n;
        if since_pause >= 256 * 1024 {
            since_pause = 0;
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

async fn write_all(stream: &mut Stream, data: &[u8]) -> R<()> {
    stream
        .write_all(data)
        .await
        .map_err(|e| format!("write: {e}"))
}

async fn expect_data(stream: &mut Stream, want: &[u8], what: &str) -> R<()> {
    let got = read_all(stream).await?;
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{what}: expected {} bytes ({}), got {} ({})",
            want.len(),
            fnv(want),
            got.len(),
            fnv(&got)
        ))
    }
}

async fn accept(session: &Session) -> R<Stream> {
    session.accept().await.map_err(|e| format!("accept: {e}"))
}

async fn open(session: &Session) -> R<Stream> {
    session.open().map_err(|e| format!("open: {e}"))
}

/// Copies a stream back to its sender, then half-closes.
async fn echo_stream(mut stream: Stream) -> R<()> {
    let data = read_all(&mut stream).await?;
    write_all(&mut stream, &data).await?;
    stream
        .shutdown()
        .await
        .map_err(|e| format!("shutdown: {e}"))
}

/// Writes `chunk`-sized pieces of `data` until a write fails; the failure's code.
async fn write_until_error(stream: &mut Stream, data: &[u8], chunk: usize) -> Option<u32> {
    for piece in data.chunks(chunk) {
        if let Err(err) = stream.write_all(piece).await {
            return Some(code_of(&err).unwrap_or(u32::MAX));
        }
    }
    None
}

/// Plays the reference's side of `scenario` in `role` on `session`, within 30 s, with the
/// default [`Params`].
pub async fn play(scenario: &str, role: Role, session: Session) -> Outcome {
    play_with(scenario, role, session, &Params::default()).await
}

/// Plays the reference's side of `scenario` in `role` on `session` with `params`, within 30 s
/// plus [`Params::extra_time`].
pub async fn play_with(scenario: &str, role: Role, session: Session, params: &Params) -> Outcome {
    let ends_session = matches!(
        (scenario, role),
        ("goaway-from-server", Role::Server) | ("goaway-from-client", Role::Client)
    );
    let limit = Duration::from_secs(30) + params.extra_time(scenario);
    let played = timeout(limit, play_inner(scenario, role, session.clone(), params));
    let outcome = match played.await {
        Ok(outcome) => outcome,
        Err(_) => Outcome::fail(
            format!(
                "timeout: {scenario} as {role:?} did not finish in {} s",
                limit.as_secs()
            ),
            Value::Null,
        ),
    };
    // The client ends the session once it is done; a server that finished first waits for
    // that, so that closing its transport does not cut off what the client still reads.
    if role == Role::Server && !ends_session {
        let _ = timeout(Duration::from_secs(10), session.wait()).await;
    }
    // A passing client lingers 250 ms before its session ends (SCENARIOS.md): a server still
    // reading what the client sent last (`server-opens`) reads it before the session dies, since
    // Go fails even a stream closed by both FINs when the session ends before the application
    // has read the FIN's end-of-stream.
    if role == Role::Client && !ends_session && outcome.ok {
        let _ = timeout(Duration::from_millis(250), session.wait()).await;
    }
    outcome
}

async fn play_inner(scenario: &str, role: Role, session: Session, params: &Params) -> Outcome {
    let result = match (scenario, role) {
        ("echo", Role::Client) => echo_client(&session).await,
        ("echo", Role::Server) => serve_echo(&session, 256).await.map(|()| json!({})),
        ("bulk", Role::Client) => bulk_client(&session).await,
        ("bulk", Role::Server) => bulk_server(&session).await,
        ("half-close", Role::Client) => half_close_client(&session).await,
        ("half-close", Role::Server) => half_close_server(&session).await,
        ("server-opens", Role::Client) => serve_echo(&session, 3).await.map(|()| json!({})),
        ("server-opens", Role::Server) => server_opens(&session).await,
        ("reset", Role::Client) => {
            expect_write_error(&session, 7, pattern(3, 16 << 20), 64 * 1024, 0).await
        }
        ("reset", Role::Server) => reset_server(&session).await,
        ("close-late-data", Role::Client) => close_late_data_client(&session).await,
        ("close-late-data", Role::Server) => close_late_data_server(&session).await,
        ("goaway-from-server", Role::Server) | ("goaway-from-client", Role::Client) => {
            go_away_sender(&session, role).await
        }
        ("goaway-from-server", Role::Client) | ("goaway-from-client", Role::Server) => {
            go_away_receiver(
                &session,
                if role == Role::Client {
                    "server"
                } else {
                    "client"
                },
            )
            .await
        }
        ("backlog", Role::Client) => backlog_client(&session).await,
        ("backlog", Role::Server) => backlog_server(&session).await,
        ("typed", Role::Client) => typed_client(&session).await,
        ("typed", Role::Server) => typed_server(&session).await,
        ("typed-split-prefix", Role::Client) => typed_split_client(&session).await,
        ("typed-split-prefix", Role::Server) => typed_split_server(&session).await,
        ("heartbeat", _) => heartbeat(session.clone()).await,
        ("heartbeat-silent", Role::Client) => heartbeat_silent_client(session.clone()).await,
        ("heartbeat-silent", Role::Server) => heartbeat_silent_server(&session).await,
        ("window-mismatch", Role::Client) => window_mismatch_client(&session).await,
        ("window-mismatch", Role::Server) => hold_one_stream(&session).await,
        ("fin-first-reply", Role::Client) => fin_first_reply_client(&session).await,
        ("fin-first-reply", Role::Server) => fin_first_reply_server(&session).await,
        ("soak", Role::Client) => return soak_client(&session, params).await,
        ("soak", Role::Server) => soak_server(&session).await,
        ("burst", Role::Client) => return burst_client(&session).await,
        ("burst", Role::Server) => burst_server(&session).await,
        _ => return Outcome::unsupported(format!("unknown scenario {scenario}")),
    };
    match result {
        Ok(observed) => Outcome::pass(observed),
        Err(detail) => Outcome::fail(detail, Value::Null),
    }
}

async fn echo_client(session: &Session) -> R<Value> {
    let mut tasks = Vec::new();
    for k in 0..256u64 {
        let mut stream = open(session).await?;
        tasks.push(tokio::spawn(async move {
            let data = pattern(k, 1 + (k as usize * 7919) % 8192);
            let (mut rd, mut wr) = tokio::io::split(&mut stream);
            let writer = async {
                wr.write_all(&data).await?;
                wr.shutdown().await
            };
            let mut back = Vec::new();
            let (w, r) = tokio::join!(writer, rd.read_to_end(&mut back));
            w.map_err(|e| format!("stream {k}: write: {e}"))?;
            r.map_err(|e| format!("stream {k}: read: {e}"))?;
            if back != data {
                return Err(format!(
                    "stream {k}: echo differs ({} of {} bytes)",
                    back.len(),
                    data.len()
                ));
            }
            Ok(())
        }));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    Ok(json!({"streams": 256}))
}

async fn serve_echo(session: &Session, count: usize) -> R<()> {
    let mut tasks = Vec::new();
    for _ in 0..count {
        let stream = accept(session).await?;
        tasks.push(tokio::spawn(echo_stream(stream)));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    Ok(())
}

const BULK: usize = 64 << 20;

async fn bulk_client(session: &Session) -> R<Value> {
    let mut stream = open(session).await?;
    write_all(&mut stream, &pattern(1, BULK)).await?;
    stream.shutdown().await.map_err(|e| e.to_string())?;
    let got = read_slowly(&mut stream, BULK).await?;
    if got != pattern(2, BULK) {
        return Err(format!(
            "bulk reply differs: {} bytes, fnv {}",
            got.len(),
            fnv(&got)
        ));
    }
    Ok(json!({"bytes": got.len(), "fnv": fnv(&got)}))
}

async fn bulk_server(session: &Session) -> R<Value> {
    let mut stream = accept(session).await?;
    let got = read_slowly(&mut stream, BULK).await?;
    if got != pattern(1, BULK) {
        return Err(format!(
            "bulk upload differs: {} bytes, fnv {}",
            got.len(),
            fnv(&got)
        ));
    }
    write_all(&mut stream, &pattern(2, BULK)).await?;
    stream.shutdown().await.map_err(|e| e.to_string())?;
    Ok(json!({"bytes": got.len(), "fnv": fnv(&got)}))
}

async fn half_close_client(session: &Session) -> R<Value> {
    let mut a = open(session).await?;
    write_all(&mut a, b"ping").await?;
    a.shutdown().await.map_err(|e| e.to_string())?;
    expect_data(&mut a, b"pong after your fin", "stream A").await?;
    let mut b = accept(session).await?;
    expect_data(&mut b, b"server done", "stream B").await?;
    write_all(&mut b, b"client still talking").await?;
    b.shutdown().await.map_err(|e| e.to_string())?;
    // Keep the session until the server has read B.
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(json!({}))
}

async fn half_close_server(session: &Session) -> R<Value> {
    let mut a = accept(session).await?;
    expect_data(&mut a, b"ping", "stream A").await?;
    write_all(&mut a, b"pong after your fin").await?;
    a.shutdown().await.map_err(|e| e.to_string())?;
    let mut b = open(session).await?;
    write_all(&mut b, b"server done").await?;
    b.shutdown().await.map_err(|e| e.to_string())?;
    expect_data(&mut b, b"client still talking", "stream B").await?;
    Ok(json!({}))
}

async fn server_opens(session: &Session) -> R<Value> {
    let mut ids = Vec::new();
    let mut tasks = Vec::new();
    for k in 0..3u64 {
        let mut stream = open(session).await?;
        ids.push(stream.id().get());
        tasks.push(tokio::spawn(async move {
            let data = pattern(10 + k, 1000);
            write_all(&mut stream, &data).await?;
            stream.shutdown().await.map_err(|e| e.to_string())?;
            expect_data(&mut stream, &data, "echo").await
        }));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    Ok(json!({"ids": ids}))
}

async fn expect_write_error(
    session: &Session,
    code: u32,
    data: Vec<u8>,
    chunk: usize,
    first: usize,
) -> R<Value> {
    let mut stream = open(session).await?;
    if first > 0 {
        write_all(&mut stream, &data[..first]).await?;
    }
    match write_until_error(&mut stream, &data[first..], chunk).await {
        Some(seen) if seen == code => Ok(json!({"code": seen})),
        Some(seen) => Err(format!("write failed with code {seen}, expected {code}")),
        None => Err(format!("every write succeeded; expected code {code}")),
    }
}

async fn reset_server(session: &Session) -> R<Value> {
    let mut stream = accept(session).await?;
    let mut buf = vec![0u8; 64 * 1024];
    stream
        .read_exact(&mut buf)
        .await
        .map_err(|e| format!("read: {e}"))?;
    let _ = stream.reset(ErrorCode::STREAM_RESET);
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(json!({}))
}

async fn close_late_data_client(session: &Session) -> R<Value> {
    let mut stream = open(session).await?;
    write_all(&mut stream, &pattern(4, 4)).await?;
    // Wait for the server's FIN first: data sent before its close may fill a window that a
    // server not crediting discarded bytes (Go) never reopens (SPEC [STREAM-9]).
    let mut buf = [0u8; 16];
    let fin_seen = matches!(
        timeout(Duration::from_secs(2), stream.read(&mut buf)).await,
        Ok(Ok(0))
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    match write_until_error(&mut stream, &pattern(4, 16 << 20), 4096).await {
        Some(4) => Ok(json!({"code": 4, "fin_seen": fin_seen})),
        Some(seen) => Err(format!("write failed with code {seen}, expected 4")),
        None => Err("every write succeeded; expected code 4".into()),
    }
}

async fn close_late_data_server(session: &Session) -> R<Value> {
    let mut stream = accept(session).await?;
    let mut four = [0u8; 4];
    stream
        .read_exact(&mut four)
        .await
        .map_err(|e| format!("read: {e}"))?;
    drop(stream);
    // Keep the session open until the client finished (it closes the connection).
    let _ = timeout(Duration::from_secs(20), session.wait()).await;
    Ok(json!({}))
}

async fn go_away_sender(session: &Session, role: Role) -> R<Value> {
    let mut stream = accept(session).await?;
    let mut hello = [0u8; 5];
    stream
        .read_exact(&mut hello)
        .await
        .map_err(|e| format!("read: {e}"))?;
    let who = if role == Role::Client {
        "client"
    } else {
        "server"
    };
    session
        .close_with(
            ErrorCode::ENHANCE_YOUR_CALM,
            format!("calm down from {who}").as_bytes(),
        )
        .await;
    Ok(json!({}))
}

async fn go_away_receiver(session: &Session, sender: &str) -> R<Value> {
    let mut stream = open(session).await?;
    write_all(&mut stream, b"hello").await?;
    let ended = session.wait().await;
    let remote = ended.remote.ok_or("the session ended without a GOAWAY")?;
    let debug = String::from_utf8_lossy(&remote.debug).into_owned();
    let observed = json!({"remote_code": remote.error_code.0, "remote_debug": debug});
    let want = format!("calm down from {sender}");
    if remote.error_code != ErrorCode::ENHANCE_YOUR_CALM || debug != want {
        return Err(format!(
            "remote GOAWAY {} {debug:?}, expected 10 {want:?}",
            remote.error_code.0
        ));
    }
    Ok(observed)
}

async fn backlog_client(session: &Session) -> R<Value> {
    let mut streams = Vec::new();
    for _ in 0..8 {
        let mut stream = open(session).await?;
        write_all(&mut stream, b"x").await?;
        streams.push(stream);
    }
    // Read every stream at once: refused ones fail at once, accepted ones stay silent.
    let reads: Vec<_> = streams
        .into_iter()
        .map(|mut stream| {
            tokio::spawn(async move {
                let mut one = [0u8; 1];
                let result = timeout(Duration::from_secs(1), stream.read(&mut one)).await;
                let refused = matches!(&result, Ok(Err(err)) if code_of(err) == Some(ErrorCode::ACCEPT_QUEUE_FULL.0));
                (refused, result.is_err(), format!("{result:?}"), stream)
            })
        })
        .collect();
    let (mut refused, mut accepted) = (0, 0);
    let mut held = Vec::new();
    for read in reads {
        let (was_refused, timed_out, result, stream) = read.await.map_err(|e| e.to_string())?;
        match (was_refused, timed_out) {
            (true, _) => refused += 1,
            (_, true) => accepted += 1,
            _ => return Err(format!("unexpected read result {result}")),
        }
        held.push(stream);
    }
    let observed = json!({"refused": refused, "accepted": accepted});
    if refused < 4 {
        return Err(format!(
            "only {refused} of 8 streams refused with ACCEPT_QUEUE_FULL"
        ));
    }
    Ok(observed)
}

async fn backlog_server(session: &Session) -> R<Value> {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut accepted = Vec::new();
    while let Ok(Ok(mut stream)) = timeout(Duration::from_millis(200), session.accept()).await {
        let mut one = [0u8; 1];
        stream
            .read_exact(&mut one)
            .await
            .map_err(|e| format!("read: {e}"))?;
        accepted.push(stream);
    }
    let n = accepted.len();
    // Hold the accepted streams until the client gave up reading them.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    Ok(json!({"accepted": n}))
}

async fn typed_client(session: &Session) -> R<Value> {
    let mut sent = Vec::new();
    for ty in [1u32, 2, 0x1234_5678] {
        let mut stream = session
            .open_typed(ty)
            .await
            .map_err(|e| format!("open_typed: {e}"))?;
        write_all(&mut stream, format!("typed {ty}").as_bytes()).await?;
        stream.shutdown().await.map_err(|e| e.to_string())?;
        sent.push(stream);
    }
    let (mut stream, ty) = session
        .accept_typed()
        .await
        .map_err(|e| format!("accept_typed: {e}"))?;
    if ty != 7 {
        return Err(format!("server's typed stream has type {ty}, expected 7"));
    }
    expect_data(&mut stream, b"seven", "typed stream 7").await?;
    Ok(json!({}))
}

async fn typed_server(session: &Session) -> R<Value> {
    let mut types = Vec::new();
    for _ in 0..3 {
        let (mut stream, ty) = session
            .accept_typed()
            .await
            .map_err(|e| format!("accept_typed: {e}"))?;
        expect_data(
            &mut stream,
            format!("typed {ty}").as_bytes(),
            "typed stream",
        )
        .await?;
        types.push(ty);
    }
    let mut stream = session
        .open_typed(7)
        .await
        .map_err(|e| format!("open_typed: {e}"))?;
    write_all(&mut stream, b"seven").await?;
    stream.shutdown().await.map_err(|e| e.to_string())?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(json!({"types": types}))
}

async fn typed_split_client(session: &Session) -> R<Value> {
    let mut stream = open(session).await?;
    write_all(&mut stream, &[0x01, 0x02]).await?;
    tokio::time::sleep(Duration::from_millis(50)).await;
    write_all(&mut stream, &[0x03, 0x04]).await?;
    write_all(&mut stream, b"payload").await?;
    stream.shutdown().await.map_err(|e| e.to_string())?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok(json!({}))
}

async fn typed_split_server(session: &Session) -> R<Value> {
    let (mut stream, ty) = session
        .accept_typed()
        .await
        .map_err(|e| format!("accept_typed: {e}"))?;
    let data = read_all(&mut stream).await?;
    let text = String::from_utf8_lossy(&data).into_owned();
    let observed = json!({"type": ty, "data": text});
    if ty != 0x0102_0304 || text != "payload" {
        return Err(format!(
            "type {ty:#x} and data {text:?}, expected 0x1020304 and \"payload\""
        ));
    }
    Ok(observed)
}

async fn heartbeat(session: Session) -> R<Value> {
    let config = HeartbeatConfig::default()
        .with_interval(Duration::from_millis(50))
        .with_tolerance(Duration::from_secs(1));
    let (events, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let beating = Heartbeat::start(session, config, move |e| {
        let _ = events.send(e);
    });
    let responder = tokio::spawn(async move {
        let _ = beating.accept_typed().await;
        beating
    });
    let mut rtts = Vec::new();
    while rtts.len() < 3 {
        match rx.recv().await {
            Some(HeartbeatEvent::Rtt(rtt)) => rtts.push(rtt.as_micros() as u64),
            Some(HeartbeatEvent::Timeout) => return Err("heartbeat failure reported".into()),
            None => return Err("heartbeat stopped".into()),
        }
    }
    // Keep answering the peer's beats a little longer, so its side completes too.
    tokio::time::sleep(Duration::from_millis(500)).await;
    responder.abort();
    Ok(json!({"rtts_us": rtts}))
}

async fn heartbeat_silent_client(session: Session) -> R<Value> {
    let config = HeartbeatConfig::default()
        .with_interval(Duration::from_millis(50))
        .with_tolerance(Duration::from_millis(300));
    let (events, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let started = tokio::time::Instant::now();
    let _beating = Heartbeat::start(session, config, move |e| {
        let _ = events.send(e);
    });
    match timeout(Duration::from_secs(2), rx.recv()).await {
        Ok(Some(HeartbeatEvent::Timeout)) => {
            Ok(json!({"detected_ms": started.elapsed().as_millis() as u64}))
        }
        Ok(other) => Err(format!("expected a failure, got {other:?}")),
        Err(_) => Err("no failure reported within 2 s".into()),
    }
}

async fn heartbeat_silent_server(session: &Session) -> R<Value> {
    let (stream, ty) = session
        .accept_typed()
        .await
        .map_err(|e| format!("accept_typed: {e}"))?;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    drop(stream);
    Ok(json!({"type": ty}))
}

async fn window_mismatch_client(session: &Session) -> R<Value> {
    let mut stream = open(session).await?;
    // The writes may all be queued before the reset comes back; the read then sees it.
    let code = match write_until_error(&mut stream, &pattern(5, 512 * 1024), 64 * 1024).await {
        Some(code) => code,
        None => {
            let mut one = [0u8; 1];
            match timeout(Duration::from_secs(10), stream.read(&mut one)).await {
                Ok(Err(err)) => code_of(&err).unwrap_or(u32::MAX),
                other => return Err(format!("no reset after overrunning the window: {other:?}")),
            }
        }
    };
    if code != ErrorCode::FLOW_CONTROL_ERROR.0 {
        return Err(format!("saw code {code}, expected 3"));
    }
    Ok(json!({"code": code}))
}

async fn fin_first_reply_client(session: &Session) -> R<Value> {
    let mut stream = open(session).await?;
    // The reference sends SYN and FIN on separate frames ([INTEROP-8]).
    stream
        .close_write()
        .map_err(|e| format!("half-close: {e}"))?;
    expect_data(&mut stream, b"reply to an empty request", "the reply").await?;
    Ok(json!({}))
}

async fn fin_first_reply_server(session: &Session) -> R<Value> {
    let mut stream = accept(session).await?;
    expect_data(&mut stream, b"", "the empty request").await?;
    write_all(&mut stream, b"reply to an empty request").await?;
    stream.shutdown().await.map_err(|e| e.to_string())?;
    Ok(json!({}))
}

async fn hold_one_stream(session: &Session) -> R<Value> {
    let stream = accept(session).await?;
    let _ = timeout(Duration::from_secs(20), session.wait()).await;
    drop(stream);
    Ok(json!({}))
}

/// How many streams the `burst` client opens at once.
pub const BURST_STREAMS: u64 = 1000;
/// The bytes each `burst` stream carries in its first frame, with its SYN.
const BURST_BYTES: usize = 16;

/// How one `burst` stream ended on the client.
enum BurstEnd {
    /// Echoed exactly.
    Echoed,
    /// Failed with this error code (`u32::MAX`: an error without a muxado code).
    Failed(u32),
    /// The echo differed from what was sent.
    Mismatch(String),
}

/// The `burst` client: opens [`BURST_STREAMS`] streams, writes `pattern(k, 16)` on each (one
/// frame with its SYN, queued at once: the driver sends them together, many per TCP segment),
/// half-closes each, then reads every echo concurrently. Refusals ([STREAM-5]: code 9) are
/// counted, not fatal: whether a server may refuse under a burst its application keeps up
/// with is judged by the harness (the reference may not, [STREAM-14]).
async fn burst_client(session: &Session) -> Outcome {
    let code = |err: &std::io::Error| code_of(err).unwrap_or(u32::MAX);
    let mut streams = Vec::new();
    for _ in 0..BURST_STREAMS {
        match session.open() {
            Ok(stream) => streams.push(stream),
            Err(err) => {
                return Outcome::fail(
                    format!("open {} of {BURST_STREAMS}: {err}", streams.len()),
                    Value::Null,
                );
            }
        }
    }
    // Every first write, then every FIN, before any read: the SYNs leave together.
    let mut failed_early = vec![None; streams.len()];
    for (k, stream) in streams.iter_mut().enumerate() {
        if let Err(err) = stream.write_all(&pattern(k as u64, BURST_BYTES)).await {
            failed_early[k] = Some(code(&err));
        }
    }
    for (k, stream) in streams.iter_mut().enumerate() {
        if failed_early[k].is_none() {
            if let Err(err) = stream.shutdown().await {
                failed_early[k] = Some(code(&err));
            }
        }
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (k, (mut stream, early)) in streams.into_iter().zip(failed_early).enumerate() {
        tasks.spawn(async move {
            if let Some(code) = early {
                return BurstEnd::Failed(code);
            }
            let mut back = Vec::new();
            match stream.read_to_end(&mut back).await {
                Err(err) => BurstEnd::Failed(code(&err)),
                Ok(_) if back == pattern(k as u64, BURST_BYTES) => BurstEnd::Echoed,
                Ok(_) => BurstEnd::Mismatch(format!(
                    "stream {k} (id {}): echo of {} bytes differs from the {BURST_BYTES} sent",
                    stream.id(),
                    back.len()
                )),
            }
        });
    }
    let (mut echoed, mut refused) = (0u64, 0u64);
    let mut errors = std::collections::BTreeMap::<String, u64>::new();
    let mut mismatches = Vec::new();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(BurstEnd::Echoed) => echoed += 1,
            Ok(BurstEnd::Failed(code)) => {
                if code == ErrorCode::ACCEPT_QUEUE_FULL.0 {
                    refused += 1;
                }
                *errors.entry(code.to_string()).or_default() += 1;
            }
            Ok(BurstEnd::Mismatch(what)) => mismatches.push(what),
            Err(err) => mismatches.push(format!("a stream task failed: {err}")),
        }
    }
    let failed: u64 = errors.values().sum();
    let observed = json!({
        "streams": BURST_STREAMS,
        "echoed": echoed,
        "refused": refused,
        "errors": errors,
        "mismatches": mismatches.len(),
    });
    if let Some(first) = mismatches.first() {
        return Outcome::fail(
            format!("{first} (and {} more mismatches)", mismatches.len() - 1),
            observed,
        );
    }
    if failed != refused {
        return Outcome::fail(
            format!(
                "{} streams failed other than by refusal (codes: {})",
                failed - refused,
                observed["errors"]
            ),
            observed,
        );
    }
    Outcome {
        ok: true,
        unsupported: false,
        detail: format!("{echoed} streams echoed exactly, {refused} refused with code 9"),
        observed,
    }
}

/// The `burst` server: accepts and echoes every stream, as fast as it can, until the session
/// ends. `observed`: `streams` (accepted), `echoed` (echoed and half-closed).
async fn burst_server(session: &Session) -> R<Value> {
    let mut handlers = tokio::task::JoinSet::new();
    let mut accepted = 0u64;
    while let Ok(stream) = session.accept().await {
        accepted += 1;
        handlers.spawn(echo_stream(stream));
    }
    let (mut echoed, mut first_error) = (0u64, None);
    while let Some(done) = handlers.join_next().await {
        match done.map_err(|e| e.to_string()).and_then(|r| r) {
            Ok(()) => echoed += 1,
            Err(err) => {
                first_error.get_or_insert(err);
            }
        }
    }
    let observed = json!({"streams": accepted, "echoed": echoed});
    match first_error {
        Some(err) => Err(format!(
            "{} of {accepted} streams not echoed, first: {err} ({observed})",
            accepted - echoed
        )),
        None if accepted == 0 => Err("the session ended before any stream arrived".into()),
        None => Ok(observed),
    }
}

/// The judgement of a `burst` run beyond each side's own: the client's `refused`, which a
/// server may answer a burst with ([STREAM-5]) but the reference must not, since it waits for
/// an application that keeps accepting ([STREAM-14]).
pub fn burst_refused(client: &Value) -> Result<u64, String> {
    client["refused"]
        .as_u64()
        .ok_or_else(|| format!("client: observed.refused missing in {client}"))
}

/// Sessions for a scenario side over an accepted or dialed TCP connection.
pub fn session(tcp: tokio::net::TcpStream, scenario: &str, role: Role) -> Session {
    Session::from_tcp(tcp, role, config(scenario, role))
}

/// How many streams the soak client keeps open at once.
const SOAK_IN_FLIGHT: usize = 32;
/// The largest stream the soak client sends (and gets back).
const SOAK_MAX_SIZE: u64 = 256 * 1024;
/// One soak stream in this many is abandoned before its FIN.
const SOAK_ABORT_ONE_IN: u64 = 8;

/// splitmix64, the generator of the soak client's choices: stream `k` of a run with seed `s`
/// starts from state `s << 32 ^ k`, so that its size, writes and abort point are the same in
/// every implementation and every run with that seed (SCENARIOS.md, `soak`).
struct SoakRand(u64);

impl SoakRand {
    fn new(seed: u64, k: u64) -> SoakRand {
        SoakRand((seed << 32) ^ k)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// What soak stream `k` does, drawn in this order: its size, whether it is abandoned and
/// after how many bytes; then one draw per write ([`soak_write`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SoakPlan {
    size: usize,
    abort: bool,
    abort_at: usize,
}

impl SoakPlan {
    fn draw(rng: &mut SoakRand) -> SoakPlan {
        let size = (rng.next() % (SOAK_MAX_SIZE + 1)) as usize;
        let abort = rng.next() % SOAK_ABORT_ONE_IN == 0;
        let abort_at = (rng.next() % (size as u64 + 1)) as usize;
        SoakPlan {
            size,
            abort,
            abort_at,
        }
    }

    /// Bytes written before the FIN, or before the reset of an abandoned stream.
    fn limit(&self) -> usize {
        if self.abort { self.abort_at } else { self.size }
    }
}

/// The size of the next write: one in four is 1 to 64 bytes (small DATA frames), the others
/// 1 byte to 32 KiB.
fn soak_write(rng: &mut SoakRand) -> usize {
    let w = rng.next();
    let most = if w % 4 == 0 { 64 } else { 32 * 1024 };
    1 + ((w >> 8) % most) as usize
}

/// How one soak stream ended on the client.
enum SoakEnd {
    /// Echoed exactly, this many bytes.
    Verified(u64),
    /// Abandoned on purpose (reset midway).
    Aborted,
    /// Failed: reset by the server, or the session ended.
    Failed,
    /// A byte or the length differed: what must never happen.
    Mismatch(String),
}

/// Plays soak stream `k`: writes its plan while the echo is read and checked against the
/// pattern, byte by byte.
async fn soak_stream(seed: u64, k: u64, stream: Stream) -> SoakEnd {
    let mut rng = SoakRand::new(seed, k);
    let plan = SoakPlan::draw(&mut rng);
    let data = pattern(k, plan.size);
    let id = stream.id();
    let (mut rd, mut wr) = stream.into_split();
    let writer = async {
        let limit = plan.limit();
        let mut off = 0;
        while off < limit {
            let n = soak_write(&mut rng).min(limit - off);
            if wr.write_all(&data[off..off + n]).await.is_err() {
                // Make sure the reader ends too.
                let _ = wr.reset(ErrorCode::STREAM_CANCELLED);
                return false;
            }
            off += n;
        }
        if plan.abort {
            // [STREAM-11] an endpoint may reset a stream at any time.
            let _ = wr.reset(ErrorCode::STREAM_CANCELLED);
            return true;
        }
        wr.shutdown().await.is_ok()
    };
    let reader = async {
        // Reads to the end even after a mismatch, so that the server's echo never waits for
        // window on this stream.
        let mut buf = vec![0u8; 32 * 1024];
        let mut got = 0u64;
        let mut mismatch = None;
        loop {
            match rd.read(&mut buf).await {
                Ok(0) => return (got, true, mismatch),
                Ok(n) => {
                    if mismatch.is_none() {
                        mismatch = buf[..n].iter().enumerate().find_map(|(i, &b)| {
                            let at = got + i as u64;
                            if at >= plan.size as u64 {
                                Some(format!("more than the {} bytes sent", plan.size))
                            } else {
                                let want = data[at as usize];
                                (b != want)
                                    .then(|| format!("byte {at} is {b:#04x}, not {want:#04x}"))
                            }
                        });
                    }
                    got += n as u64;
                }
                Err(_) => return (got, false, mismatch),
            }
        }
    };
    let (written, (got, eof, mismatch)) = tokio::join!(writer, reader);
    match mismatch {
        Some(what) => {
            SoakEnd::Mismatch(format!("stream {k} (id {id}, {} bytes): {what}", plan.size))
        }
        None if plan.abort => SoakEnd::Aborted,
        None if !written || !eof => SoakEnd::Failed,
        None if got != plan.size as u64 => SoakEnd::Mismatch(format!(
            "stream {k} (id {id}): end of stream after {got} of {} bytes",
            plan.size
        )),
        None => SoakEnd::Verified(got),
    }
}

/// The soak client's tally.
#[derive(Default)]
struct SoakCounts {
    opened: u64,
    ok: u64,
    failed: u64,
    aborted: u64,
    bytes: u64,
    mismatches: Vec<String>,
}

impl SoakCounts {
    fn add(&mut self, end: SoakEnd) {
        match end {
            SoakEnd::Verified(n) => {
                self.ok += 1;
                self.bytes += n;
            }
            SoakEnd::Aborted => {
                self.aborted += 1;
                self.failed += 1;
            }
            SoakEnd::Failed => self.failed += 1,
            SoakEnd::Mismatch(what) => {
                self.failed += 1;
                self.mismatches.push(what);
            }
        }
    }
}

/// The soak client: keeps [`SOAK_IN_FLIGHT`] streams busy for `params.soak_secs`, then waits
/// for those in flight. A stream that fails (the session cut, [SESSION-2]) is counted, not
/// fatal; a byte that differs from what was sent, or a clean end-of-stream at the wrong
/// length, fails the side ([STREAM-6]: the echo ends with the server's FIN after every byte).
/// Abandoned streams are reset with `STREAM_CANCELLED` ([STREAM-11]), so the server never
/// completes them. `observed.streams_left`: streams the session still holds once every stream
/// task is done (0: nothing left behind, [STREAM-10]).
async fn soak_client(session: &Session, params: &Params) -> Outcome {
    let end = tokio::time::Instant::now() + Duration::from_secs(params.soak_secs);
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(SOAK_IN_FLIGHT));
    let mut tasks = tokio::task::JoinSet::new();
    let mut counts = SoakCounts::default();
    let mut observed = serde_json::Map::new();
    let mut broken = None;
    while tokio::time::Instant::now() < end {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            _ = session.wait() => {
                observed.insert("ended_early".into(), json!(true));
                break;
            }
        };
        if tokio::time::Instant::now() >= end {
            break;
        }
        let stream = match session.open() {
            Ok(stream) => stream,
            Err(err) => {
                // The session ended (a cut): no more streams.
                observed.insert("open_error".into(), json!(err.to_string()));
                break;
            }
        };
        let (seed, k) = (params.seed, counts.opened);
        counts.opened += 1;
        tasks.spawn(async move {
            let end = soak_stream(seed, k, stream).await;
            drop(permit);
            end
        });
        while let Some(done) = tasks.try_join_next() {
            match done {
                Ok(end) => counts.add(end),
                Err(err) => broken = Some(format!("a stream task failed: {err}")),
            }
        }
    }
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(end) => counts.add(end),
            Err(err) => broken = Some(format!("a stream task failed: {err}")),
        }
    }
    let streams_left = session.stream_count();
    for (key, value) in [
        ("streams", json!(counts.opened)),
        ("ok_streams", json!(counts.ok)),
        ("failed", json!(counts.failed)),
        ("aborted", json!(counts.aborted)),
        ("abort", json!("reset")),
        ("bytes", json!(counts.bytes)),
        ("mismatches", json!(counts.mismatches.len())),
        ("streams_left", json!(streams_left)),
    ] {
        observed.insert(key.into(), value);
    }
    let observed = Value::Object(observed);
    if let Some(first) = counts.mismatches.first() {
        let more = counts.mismatches.len() - 1;
        return Outcome::fail(format!("{first} (and {more} more mismatches)"), observed);
    }
    if let Some(broken) = broken {
        return Outcome::fail(broken, observed);
    }
    if streams_left != 0 {
        return Outcome::fail(
            format!("{streams_left} streams left in the session after every stream ended"),
            observed,
        );
    }
    Outcome {
        ok: true,
        unsupported: false,
        detail: format!(
            "{} streams: {} echoed exactly ({} bytes), {} failed ({} reset midway on purpose)",
            counts.opened, counts.ok, counts.bytes, counts.failed, counts.aborted
        ),
        observed,
    }
}

/// Echoes one soak stream: copies what it reads back as it reads, half-closes after EOF.
/// Whether it completed, and the bytes echoed.
async fn soak_echo(stream: Stream) -> (bool, u64) {
    let (mut rd, mut wr) = stream.into_split();
    let mut buf = vec![0u8; 32 * 1024];
    let mut echoed = 0u64;
    loop {
        match rd.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => {
                if wr.write_all(&buf[..n]).await.is_err() {
                    return (false, echoed);
                }
                echoed += n as u64;
            }
            Err(_) => return (false, echoed),
        }
    }
    (wr.shutdown().await.is_ok(), echoed)
}

/// The soak server: echoes every stream until the session ends (the client's close, or a cut
/// transport). A stream that fails (reset by the client, [RST-4]; or failed by the session's
/// end, [SESSION-2]) is counted, not fatal.
async fn soak_server(session: &Session) -> R<Value> {
    let mut handlers = tokio::task::JoinSet::new();
    let (mut accepted, mut complete, mut failed, mut bytes) = (0u64, 0u64, 0u64, 0u64);
    let mut tally = |done: Result<(bool, u64), tokio::task::JoinError>| -> R<()> {
        let (ok, n) = done.map_err(|e| format!("an echo task failed: {e}"))?;
        bytes += n;
        if ok {
            complete += 1;
        } else {
            failed += 1;
        }
        Ok(())
    };
    let end = loop {
        match session.accept().await {
            Ok(stream) => {
                accepted += 1;
                handlers.spawn(soak_echo(stream));
            }
            Err(err) => break err.to_string(),
        }
        while let Some(done) = handlers.try_join_next() {
            tally(done)?;
        }
    };
    while let Some(done) = handlers.join_next().await {
        tally(done)?;
    }
    Ok(json!({
        "streams": accepted,
        "complete": complete,
        "failed": failed,
        "bytes": bytes,
        "end": end,
        "streams_left": session.stream_count(),
    }))
}

/// The checks SCENARIOS.md (`soak`) makes of the two sides' `observed`: no mismatch; the
/// server completed every stream the client verified ([STREAM-6]), and only streams the
/// client verified or saw fail; nothing left in a reference session ([STREAM-10]); and,
/// when the connection was not cut, no stream failed but those the client abandoned.
pub fn check_soak(client: &Value, server: &Value, cut: bool) -> Result<(), String> {
    let number = |side: &Value, who: &str, key: &str| {
        side[key]
            .as_u64()
            .ok_or_else(|| format!("{who}: observed.{key} missing in {side}"))
    };
    let ok = number(client, "client", "ok_streams")?;
    let failed = number(client, "client", "failed")?;
    let aborted = number(client, "client", "aborted")?;
    let mismatches = number(client, "client", "mismatches")?;
    let complete = number(server, "server", "complete")?;
    let server_failed = number(server, "server", "failed")?;
    let mut problems = Vec::new();
    if mismatches != 0 {
        problems.push(format!("{mismatches} streams came back different"));
    }
    if complete < ok {
        problems.push(format!(
            "the server completed {complete} streams, fewer than the {ok} the client verified"
        ));
    }
    if complete > ok + failed {
        problems.push(format!(
            "the server completed {complete} streams, more than the client verified ({ok}) or \
             saw fail ({failed})"
        ));
    }
    for (side, who) in [(client, "client"), (server, "server")] {
        if let Some(left) = side["streams_left"].as_u64().filter(|left| *left != 0) {
            problems.push(format!("{who}: {left} streams left in the session"));
        }
    }
    if !cut {
        if failed != aborted {
            problems.push(format!(
                "without a cut, {failed} client streams failed, but only the {aborted} \
                 abandoned on purpose may"
            ));
        }
        if server_failed > aborted {
            problems.push(format!(
                "without a cut, {server_failed} server streams failed, more than the {aborted} \
                 the client abandoned"
            ));
        }
        // A stream abandoned with Close ends with a FIN after part of its data: the server
        // may echo that part whole. A reset one never completes.
        let slack = if client["abort"] == "close" {
            aborted
        } else {
            0
        };
        if complete > ok + slack {
            problems.push(format!(
                "without a cut, the server completed {complete} streams, the client verified {ok}"
            ));
        }
        for key in ["open_error", "ended_early"] {
            if !client[key].is_null() {
                problems.push(format!(
                    "without a cut, the client's session ended early ({key}: {})",
                    client[key]
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The soak's random choices are the ones SCENARIOS.md defines, drawn in its order: the
    /// same vector is checked on the Go side (`TestSoakPlan`).
    ///
    /// checks: [STREAM-6]
    #[test]
    fn soak_plan_matches_the_go_peer() {
        assert_eq!(SoakRand(0).next(), 0xe220_a839_7b1d_cdaf);
        let mut rng = SoakRand::new(1, 0);
        assert_eq!(
            SoakPlan::draw(&mut rng),
            SoakPlan {
                size: 137_961,
                abort: false,
                abort_at: 45_829
            }
        );
        assert_eq!(
            (soak_write(&mut rng), soak_write(&mut rng)),
            (27_567, 8_957)
        );
    }

    /// The cross-checks of the two sides' counts.
    ///
    /// checks: [STREAM-6] [SESSION-2]
    #[test]
    fn check_soak_judges_the_counts() {
        let client = |ok: u64, failed: u64, aborted: u64, abort: &str| {
            json!({"ok_streams": ok, "failed": failed, "aborted": aborted, "abort": abort,
                   "mismatches": 0, "streams_left": 0})
        };
        let server = |complete: u64, failed: u64| json!({"complete": complete, "failed": failed});
        assert_eq!(
            check_soak(&client(10, 2, 2, "reset"), &server(10, 2), false),
            Ok(())
        );
        assert_eq!(
            check_soak(&client(10, 2, 2, "close"), &server(12, 0), false),
            Ok(())
        );
        assert!(check_soak(&client(10, 2, 2, "reset"), &server(11, 1), false).is_err());
        assert!(check_soak(&client(10, 5, 2, "reset"), &server(10, 2), false).is_err());
        assert_eq!(
            check_soak(&client(10, 5, 2, "reset"), &server(13, 4), true),
            Ok(())
        );
        assert!(check_soak(&client(10, 5, 2, "reset"), &server(9, 4), true).is_err());
        assert!(check_soak(&client(10, 5, 2, "reset"), &server(16, 4), true).is_err());
        let mut mismatched = client(10, 2, 2, "reset");
        mismatched["mismatches"] = json!(1);
        assert!(check_soak(&mismatched, &server(10, 2), true).is_err());
    }
}
