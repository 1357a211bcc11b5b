//! The measuring side: each workload, run over an [`Opener`], gives one JSON object of raw
//! figures (counts and seconds); the driver turns them into rates and ratios.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::wire::{CHUNK, ECHO_LEN, Op, pattern, percentile};
use crate::{Dialer, Opener};

/// Which workload a client runs (`bench/README.md` describes each).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// `streams` concurrent streams each carry `size` bytes to a sink; repeated in rounds
    /// for at least `secs`.
    Bulk,
    /// Streams opened, echoed 64 bytes and closed, `streams` at a time, for `secs`.
    Rate,
    /// Round trips of 64 bytes on one stream, `samples` of them; with `loaded`, while another
    /// stream of the session carries bulk data.
    Latency,
    /// `streams` streams opened and held idle; the acceptor's resident memory before and after.
    Memory,
    /// `streams` streams opened all at once, each echoing a short message; refusals counted.
    Burst,
    /// `sessions` more sessions dialed and left idle; the acceptor's memory before and after,
    /// and its CPU time over `secs` of idle.
    SessionsIdle,
    /// `sessions` sessions dialed, then on each, streams opened, echoed 64 bytes and closed
    /// one after another, for `secs`.
    SessionsActive,
}

/// A workload and its parameters: the client's command-line flags.
#[derive(Clone, Debug, clap::Args)]
pub struct Workload {
    /// The workload.
    #[arg(long = "workload", value_enum)]
    pub kind: Kind,
    /// Payload bytes per stream (bulk).
    #[arg(long, default_value_t = 1024)]
    pub size: u64,
    /// Concurrent streams (bulk), streams in flight (rate), idle streams (memory), streams
    /// opened at once (burst).
    #[arg(long, default_value_t = 1)]
    pub streams: usize,
    /// Sessions dialed (sessions-idle, sessions-active).
    #[arg(long, default_value_t = 1)]
    pub sessions: usize,
    /// Minimum measuring time in seconds (bulk, rate, sessions-active; bulk always runs one
    /// round at least), or the idle time measured (sessions-idle).
    #[arg(long, default_value_t = 0.5)]
    pub secs: f64,
    /// Round trips measured (latency).
    #[arg(long, default_value_t = 1000)]
    pub samples: usize,
    /// Run the latency workload while a bulk transfer loads the session.
    #[arg(long)]
    pub loaded: bool,
}

/// Runs the workload over sessions `dialer` makes and returns its figures (`"ok": true`) or
/// what went wrong.
pub async fn run<D: Dialer>(dialer: D, workload: &Workload) -> Result<Value, String> {
    let opener = dialer.dial().await.map_err(err("cannot connect"))?;
    // One round trip first: sessions that set up lazily (a first SYN, a goroutine, a task)
    // do so outside the measurement.
    echo_once(&opener, &pattern(ECHO_LEN)).await?;
    let dialer = Arc::new(dialer);
    match workload.kind {
        Kind::Bulk => bulk(opener, workload).await,
        Kind::Rate => rate(opener, workload).await,
        Kind::Latency => latency(opener, workload).await,
        Kind::Memory => memory(opener, workload).await,
        Kind::Burst => burst(opener, workload).await,
        Kind::SessionsIdle => sessions_idle(dialer, opener, workload).await,
        Kind::SessionsActive => sessions_active(dialer, workload).await,
    }
}

fn err(what: &str) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// Bulk rounds run unmeasured for this long first (whole rounds), so that what a fresh
/// process does once (page faults of new buffers, the allocator's first growth, thread
/// wake-ups) stays out of the figure.
pub const WARMUP_SECS: f64 = 0.2;

/// No warm-up when one round moves more than this: such a round lasts long enough on its own
/// that its start-up costs are lost in it, and a second one would double the run.
pub const WARMUP_MAX_ROUND_BYTES: u64 = 256 << 20;

async fn bulk<O: Opener>(opener: O, w: &Workload) -> Result<Value, String> {
    let streams = w.streams.max(1);
    let data: Arc<Vec<u8>> = Arc::new(pattern(CHUNK));
    let round = || async {
        let mut tasks = JoinSet::new();
        for _ in 0..streams {
            let (opener, data, size) = (opener.clone(), data.clone(), w.size);
            tasks.spawn(async move { sink_one(&opener, size, &data).await });
        }
        while let Some(joined) = tasks.join_next().await {
            joined.map_err(|e| format!("bulk task: {e}"))??;
        }
        Ok::<(), String>(())
    };
    let mut warmup_rounds: u64 = 0;
    if streams as u64 * w.size <= WARMUP_MAX_ROUND_BYTES {
        let warm = Instant::now();
        while warm.elapsed().as_secs_f64() < WARMUP_SECS {
            round().await?;
            warmup_rounds += 1;
        }
    }
    let start = Instant::now();
    let mut rounds: u64 = 0;
    loop {
        round().await?;
        rounds += 1;
        if start.elapsed().as_secs_f64() >= w.secs {
            break;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    Ok(json!({
        "ok": true,
        "workload": "bulk",
        "bytes": rounds * streams as u64 * w.size,
        "secs": secs,
        "rounds": rounds,
        "warmup_rounds": warmup_rounds,
    }))
}

/// One stream to a sink: the operation byte rides in the first write with the payload's
/// start, then `size` bytes in all, half-close, and the sink's byte count as the receipt.
async fn sink_one<O: Opener>(opener: &O, size: u64, data: &[u8]) -> Result<(), String> {
    let mut stream = opener.open().await.map_err(err("open"))?;
    let first = (size as usize).min(CHUNK - 1);
    let mut head = Vec::with_capacity(first + 1);
    head.push(Op::Sink.byte());
    head.extend_from_slice(&data[..first]);
    stream.write_all(&head).await.map_err(err("write"))?;
    let mut left = size - first as u64;
    while left > 0 {
        let n = (left as usize).min(CHUNK);
        stream.write_all(&data[..n]).await.map_err(err("write"))?;
        left -= n as u64;
    }
    stream.shutdown().await.map_err(err("half-close"))?;
    let mut receipt = [0u8; 8];
    stream
        .read_exact(&mut receipt)
        .await
        .map_err(err("reading the sink's count"))?;
    let got = u64::from_be_bytes(receipt);
    if got != size {
        return Err(format!("the sink read {got} bytes of {size}"));
    }
    Ok(())
}

/// One stream: open, 64 bytes echoed, half-close. The operation byte rides with the message.
async fn echo_once<O: Opener>(opener: &O, message: &[u8]) -> Result<(), String> {
    let mut stream = opener.open().await.map_err(err("open"))?;
    let mut request = Vec::with_capacity(message.len() + 1);
    request.push(Op::Echo.byte());
    request.extend_from_slice(message);
    stream.write_all(&request).await.map_err(err("write"))?;
    stream.flush().await.map_err(err("flush"))?;
    let mut reply = vec![0u8; message.len()];
    stream
        .read_exact(&mut reply)
        .await
        .map_err(err("reading the echo"))?;
    if reply != message {
        return Err("the echo differs from the message".into());
    }
    stream.shutdown().await.map_err(err("half-close"))?;
    Ok(())
}

/// Runs one loop of open+echo+close per opener until `secs` passed, and returns how many
/// completed and how long it took (`what` names the workload in errors).
async fn echo_loops<O: Opener>(
    openers: Vec<O>,
    secs: f64,
    what: &str,
) -> Result<(u64, f64), String> {
    let message: Arc<Vec<u8>> = Arc::new(pattern(ECHO_LEN));
    let ops = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(secs);
    let mut tasks = JoinSet::new();
    for opener in openers {
        let (message, ops) = (message.clone(), ops.clone());
        tasks.spawn(async move {
            loop {
                echo_once(&opener, &message).await?;
                ops.fetch_add(1, Ordering::Relaxed);
                if Instant::now() >= deadline {
                    return Ok::<(), String>(());
                }
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.map_err(|e| format!("{what} task: {e}"))??;
    }
    Ok((ops.load(Ordering::Relaxed), start.elapsed().as_secs_f64()))
}

async fn rate<O: Opener>(opener: O, w: &Workload) -> Result<Value, String> {
    let openers = vec![opener; w.streams.max(1)];
    let (ops, secs) = echo_loops(openers, w.secs, "rate").await?;
    Ok(json!({
        "ok": true,
        "workload": "rate",
        "ops": ops,
        "secs": secs,
    }))
}

async fn latency<O: Opener>(opener: O, w: &Workload) -> Result<Value, String> {
    let stop = Arc::new(AtomicBool::new(false));
    let moved = Arc::new(AtomicU64::new(0));
    let load = if w.loaded {
        let (opener, stop, counter) = (opener.clone(), stop.clone(), moved.clone());
        let task = tokio::spawn(async move { load_until(&opener, &stop, &counter).await });
        // The load runs before the first sample: wait until a window's worth has been written.
        let started = Instant::now();
        while moved.load(Ordering::Relaxed) < 1 << 20 {
            if task.is_finished() || started.elapsed() > Duration::from_secs(10) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Some(task)
    } else {
        None
    };
    let message = pattern(ECHO_LEN);
    let mut stream = opener.open().await.map_err(err("open"))?;
    let mut request = vec![Op::Echo.byte()];
    request.extend_from_slice(&message);
    let mut reply = vec![0u8; ECHO_LEN];
    let warmup = (w.samples / 10).min(100);
    let mut samples = Vec::with_capacity(w.samples);
    for i in 0..warmup + w.samples.max(1) {
        let out = if i == 0 { &request[..] } else { &message[..] };
        let sent = Instant::now();
        stream.write_all(out).await.map_err(err("write"))?;
        stream.flush().await.map_err(err("flush"))?;
        stream
            .read_exact(&mut reply)
            .await
            .map_err(err("reading the echo"))?;
        let rtt = sent.elapsed();
        if reply != message {
            return Err("the echo differs from the message".into());
        }
        if i >= warmup {
            samples.push(rtt.as_secs_f64() * 1e6);
        }
    }
    stream.shutdown().await.map_err(err("half-close"))?;
    let bulk_bytes = moved.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    if let Some(task) = load {
        task.await.map_err(|e| format!("load task: {e}"))??;
    }
    let mean = samples.iter().sum::<f64>() / samples.len() as f64;
    samples.sort_by(f64::total_cmp);
    Ok(json!({
        "ok": true,
        "workload": "latency",
        "samples": samples.len(),
        "p50_us": percentile(&samples, 50),
        "p99_us": percentile(&samples, 99),
        "mean_us": mean,
        "max_us": samples.last().copied().unwrap_or(0.0),
        "bulk_bytes": bulk_bytes,
    }))
}

/// The load of the loaded latency workload: one stream to a sink, written in chunks until
/// `stop`, then checked like any bulk stream.
async fn load_until<O: Opener>(
    opener: &O,
    stop: &AtomicBool,
    moved: &AtomicU64,
) -> Result<(), String> {
    let data = pattern(CHUNK);
    let mut stream = opener.open().await.map_err(err("open"))?;
    stream
        .write_all(&[Op::Sink.byte()])
        .await
        .map_err(err("write"))?;
    let mut sent: u64 = 0;
    while !stop.load(Ordering::Relaxed) {
        stream.write_all(&data).await.map_err(err("write"))?;
        sent += data.len() as u64;
        moved.store(sent, Ordering::Relaxed);
    }
    stream.shutdown().await.map_err(err("half-close"))?;
    let mut receipt = [0u8; 8];
    stream
        .read_exact(&mut receipt)
        .await
        .map_err(err("reading the sink's count"))?;
    if u64::from_be_bytes(receipt) != sent {
        return Err("the sink's count differs from the load sent".into());
    }
    Ok(())
}

/// What the acceptor answers to `Q`.
struct Usage {
    held: u64,
    rss: u64,
    cpu_us: u64,
}

/// Asks the acceptor how many streams it holds, how much memory it has and how much CPU time
/// its process has used.
async fn query<O: Opener>(opener: &O) -> Result<Usage, String> {
    let mut stream = opener.open().await.map_err(err("open"))?;
    stream
        .write_all(&[Op::Query.byte()])
        .await
        .map_err(err("write"))?;
    stream.shutdown().await.map_err(err("half-close"))?;
    let mut reply = [0u8; 24];
    stream
        .read_exact(&mut reply)
        .await
        .map_err(err("reading the query's reply"))?;
    let word = |i: usize| u64::from_be_bytes(reply[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
    Ok(Usage {
        held: word(0),
        rss: word(1),
        cpu_us: word(2),
    })
}

/// Opens at most this many held streams at a time, so that no accept backlog overflows.
const HOLD_IN_FLIGHT: usize = 64;

async fn memory<O: Opener>(opener: O, w: &Workload) -> Result<Value, String> {
    let rss_before = query(&opener).await?.rss;
    let held = Arc::new(std::sync::Mutex::new(Vec::with_capacity(w.streams)));
    let gate = Arc::new(Semaphore::new(HOLD_IN_FLIGHT));
    let mut tasks = JoinSet::new();
    for _ in 0..w.streams {
        let permit = gate.clone().acquire_owned().await.expect("never closed");
        let (opener, held) = (opener.clone(), held.clone());
        tasks.spawn(async move {
            let _permit = permit;
            let mut stream = opener.open().await.map_err(err("open"))?;
            stream
                .write_all(&[Op::Hold.byte()])
                .await
                .map_err(err("write"))?;
            stream.flush().await.map_err(err("flush"))?;
            let mut ack = [0u8; 1];
            stream
                .read_exact(&mut ack)
                .await
                .map_err(err("reading the hold's ack"))?;
            held.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(stream);
            Ok::<(), String>(())
        });
        while let Some(joined) = tasks.try_join_next() {
            joined.map_err(|e| format!("hold task: {e}"))??;
        }
    }
    while let Some(joined) = tasks.join_next().await {
        joined.map_err(|e| format!("hold task: {e}"))??;
    }
    // Let the acceptor finish what the last acks set in motion before it is measured.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let Usage {
        held: count,
        rss: rss_after,
        ..
    } = query(&opener).await?;
    if count != w.streams as u64 {
        return Err(format!(
            "the acceptor holds {count} streams of {}",
            w.streams
        ));
    }
    Ok(json!({
        "ok": true,
        "workload": "memory",
        "streams": w.streams,
        "rss_before": rss_before,
        "rss_after": rss_after,
    }))
}

/// Payload of each burst stream's echo, after the operation byte: a few bytes, so that the
/// SYNs of a burst are small and arrive together.
pub const BURST_LEN: usize = 16;

/// How long a burst stream may wait for its echo before it counts as failed.
const BURST_PATIENCE: Duration = Duration::from_secs(30);

/// One burst stream: open, `E` and the message in one write, the echo, half-close.
async fn burst_one<O: Opener>(opener: &O, request: &[u8]) -> Result<(), String> {
    let mut stream = opener.open().await.map_err(err("open"))?;
    stream.write_all(request).await.map_err(err("write"))?;
    stream.flush().await.map_err(err("flush"))?;
    let mut reply = vec![0u8; request.len() - 1];
    stream
        .read_exact(&mut reply)
        .await
        .map_err(err("reading the echo"))?;
    if reply != request[1..] {
        // Not a refusal: a wrong echo is a broken implementation, and fails the run.
        return Err(WRONG_ECHO.into());
    }
    let _ = stream.shutdown().await;
    Ok(())
}

const WRONG_ECHO: &str = "the echo differs from the message";

/// How many distinct failure messages a burst's result lists.
const BURST_ERRORS_SHOWN: usize = 4;

async fn burst<O: Opener>(opener: O, w: &Workload) -> Result<Value, String> {
    let n = w.streams.max(1);
    let mut request = vec![Op::Echo.byte()];
    request.extend_from_slice(&pattern(BURST_LEN));
    let request = Arc::new(request);
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    for _ in 0..n {
        let (opener, request) = (opener.clone(), request.clone());
        tasks.spawn(async move {
            match tokio::time::timeout(BURST_PATIENCE, burst_one(&opener, &request)).await {
                Ok(Ok(())) => Ok(start.elapsed()),
                Ok(Err(e)) => Err(e),
                Err(_) => Err("no echo within 30 s".to_string()),
            }
        });
    }
    let mut echoed: u64 = 0;
    let mut last = Duration::ZERO;
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        match joined.map_err(|e| format!("burst task: {e}"))? {
            Ok(at) => {
                echoed += 1;
                last = last.max(at);
            }
            Err(e) if e == WRONG_ECHO => return Err(e),
            Err(e) => *errors.entry(e).or_default() += 1,
        }
    }
    let refused: u64 = errors.values().sum();
    let mut shown: Vec<(String, u64)> = errors.into_iter().collect();
    shown.sort_by_key(|e| std::cmp::Reverse(e.1));
    shown.truncate(BURST_ERRORS_SHOWN);
    Ok(json!({
        "ok": true,
        "workload": "burst",
        "streams": n,
        "echoed": echoed,
        "refused": refused,
        "last_echo_secs": last.as_secs_f64(),
        "secs": start.elapsed().as_secs_f64(),
        "errors": shown.into_iter().map(|(e, c)| json!({"error": e, "count": c})).collect::<Vec<_>>(),
    }))
}

/// Sessions dialed at a time: enough to dial thousands quickly, few enough that no listen
/// backlog overflows (a dropped SYN waits a second for its retransmission).
const DIAL_IN_FLIGHT: usize = 64;

/// Dials `n` sessions, each checked by one echo round trip (which also makes every session's
/// lazy set-up happen now), `DIAL_IN_FLIGHT` at a time.
async fn dial_many<D: Dialer>(dialer: &Arc<D>, n: usize) -> Result<Vec<D::Opener>, String> {
    let gate = Arc::new(Semaphore::new(DIAL_IN_FLIGHT));
    let message: Arc<Vec<u8>> = Arc::new(pattern(ECHO_LEN));
    let mut tasks = JoinSet::new();
    let mut sessions = Vec::with_capacity(n);
    for i in 0..n {
        let permit = gate.clone().acquire_owned().await.expect("never closed");
        let (dialer, message) = (dialer.clone(), message.clone());
        tasks.spawn(async move {
            let _permit = permit;
            let opener = dialer
                .dial()
                .await
                .map_err(|e| format!("dialing session {}: {e}", i + 1))?;
            echo_once(&opener, &message).await?;
            Ok::<D::Opener, String>(opener)
        });
        while let Some(joined) = tasks.try_join_next() {
            sessions.push(joined.map_err(|e| format!("dial task: {e}"))??);
        }
    }
    while let Some(joined) = tasks.join_next().await {
        sessions.push(joined.map_err(|e| format!("dial task: {e}"))??);
    }
    Ok(sessions)
}

/// How long the idle sessions are left alone before the idle measurement starts: the
/// acceptor finishes what the last dials set in motion.
const SETTLE: Duration = Duration::from_millis(500);

async fn sessions_idle<D: Dialer>(
    dialer: Arc<D>,
    opener: D::Opener,
    w: &Workload,
) -> Result<Value, String> {
    let before = query(&opener).await?;
    let dialing = Instant::now();
    let sessions = dial_many(&dialer, w.sessions).await?;
    let dial_secs = dialing.elapsed().as_secs_f64();
    tokio::time::sleep(SETTLE).await;
    let after = query(&opener).await?;
    let idle = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(w.secs)).await;
    let end = query(&opener).await?;
    let idle_secs = idle.elapsed().as_secs_f64();
    drop(sessions);
    Ok(json!({
        "ok": true,
        "workload": "sessions-idle",
        "sessions": w.sessions,
        "dial_secs": dial_secs,
        "rss_before": before.rss,
        "rss_after": after.rss,
        "rss_end": end.rss,
        "cpu_idle_us": end.cpu_us.saturating_sub(after.cpu_us),
        "idle_secs": idle_secs,
    }))
}

async fn sessions_active<D: Dialer>(dialer: Arc<D>, w: &Workload) -> Result<Value, String> {
    let sessions = dial_many(&dialer, w.sessions.max(1)).await?;
    let (ops, secs) = echo_loops(sessions, w.secs, "sessions-active").await?;
    Ok(json!({
        "ok": true,
        "workload": "sessions-active",
        "sessions": w.sessions,
        "ops": ops,
        "secs": secs,
    }))
}
