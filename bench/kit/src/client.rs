//! The measuring side: each workload, run over an [`Opener`], gives one JSON object of raw
//! figures (counts and seconds); the driver turns them into rates and ratios.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::Opener;
use crate::wire::{CHUNK, ECHO_LEN, Op, pattern, percentile};

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
    /// Concurrent streams (bulk), streams in flight (rate), idle streams (memory).
    #[arg(long, default_value_t = 1)]
    pub streams: usize,
    /// Minimum measuring time in seconds (bulk, rate); bulk always runs one round at least.
    #[arg(long, default_value_t = 0.5)]
    pub secs: f64,
    /// Round trips measured (latency).
    #[arg(long, default_value_t = 1000)]
    pub samples: usize,
    /// Run the latency workload while a bulk transfer loads the session.
    #[arg(long)]
    pub loaded: bool,
}

/// Runs the workload and returns its figures (`"ok": true`) or what went wrong.
pub async fn run<O: Opener>(opener: O, workload: &Workload) -> Result<Value, String> {
    // One round trip first: sessions that set up lazily (a first SYN, a goroutine, a task)
    // do so outside the measurement.
    echo_once(&opener, &pattern(ECHO_LEN)).await?;
    match workload.kind {
        Kind::Bulk => bulk(opener, workload).await,
        Kind::Rate => rate(opener, workload).await,
        Kind::Latency => latency(opener, workload).await,
        Kind::Memory => memory(opener, workload).await,
    }
}

fn err(what: &str) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

async fn bulk<O: Opener>(opener: O, w: &Workload) -> Result<Value, String> {
    let streams = w.streams.max(1);
    let data: Arc<Vec<u8>> = Arc::new(pattern(CHUNK));
    let start = Instant::now();
    let mut rounds: u64 = 0;
    loop {
        let mut tasks = JoinSet::new();
        for _ in 0..streams {
            let (opener, data, size) = (opener.clone(), data.clone(), w.size);
            tasks.spawn(async move { sink_one(&opener, size, &data).await });
        }
        while let Some(joined) = tasks.join_next().await {
            joined.map_err(|e| format!("bulk task: {e}"))??;
        }
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

async fn rate<O: Opener>(opener: O, w: &Workload) -> Result<Value, String> {
    let in_flight = w.streams.max(1);
    let message: Arc<Vec<u8>> = Arc::new(pattern(ECHO_LEN));
    let ops = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(w.secs);
    let mut tasks = JoinSet::new();
    for _ in 0..in_flight {
        let (opener, message, ops) = (opener.clone(), message.clone(), ops.clone());
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
        joined.map_err(|e| format!("rate task: {e}"))??;
    }
    Ok(json!({
        "ok": true,
        "workload": "rate",
        "ops": ops.load(Ordering::Relaxed),
        "secs": start.elapsed().as_secs_f64(),
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

/// Asks the acceptor how many streams it holds and how much memory it has.
async fn query<O: Opener>(opener: &O) -> Result<(u64, u64), String> {
    let mut stream = opener.open().await.map_err(err("open"))?;
    stream
        .write_all(&[Op::Query.byte()])
        .await
        .map_err(err("write"))?;
    stream.shutdown().await.map_err(err("half-close"))?;
    let mut reply = [0u8; 16];
    stream
        .read_exact(&mut reply)
        .await
        .map_err(err("reading the query's reply"))?;
    let held = u64::from_be_bytes(reply[..8].try_into().expect("8 bytes"));
    let rss = u64::from_be_bytes(reply[8..].try_into().expect("8 bytes"));
    Ok((held, rss))
}

/// Opens at most this many held streams at a time, so that no accept backlog overflows.
const HOLD_IN_FLIGHT: usize = 64;

async fn memory<O: Opener>(opener: O, w: &Workload) -> Result<Value, String> {
    let (_, rss_before) = query(&opener).await?;
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
    let (count, rss_after) = query(&opener).await?;
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
