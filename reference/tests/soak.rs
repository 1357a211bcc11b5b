//! Soak with fault injection: two reference sessions over a transport that fragments writes
//! and reads at random sizes, delays them, and sometimes cuts the connection. Bytes are never
//! reordered, dropped or duplicated: only the boundaries of writes and reads (and so where
//! frames fall in them) and their timing change.
//!
//! Runs rounds until `MUXADO_SOAK_SECS` (default 60) seconds passed; each round is a fresh
//! session pair with many concurrent streams of random sizes, each echoed by the server, with
//! half-closes (every client FINs after writing while it still reads the echo) and resets from
//! either side. `MUXADO_SOAK_SEED` replays a seed (scheduling still varies).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use muxado_reference::Config;
use muxado_reference::Session;
use muxado_reference::frame::ErrorCode;
use muxado_testkit::fnv::Fnv1a;
use muxado_testkit::soak_env::SoakEnv;
use muxado_testkit::splitmix::SplitMix64;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};
use tokio::task::JoinSet;
use tokio::time::Sleep;

/// The soak's random choices, drawn from the test kit's splitmix64 so that a printed seed
/// replays them.
#[derive(Clone)]
struct Rng(SplitMix64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(SplitMix64::new(seed))
    }

    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        self.0.range(lo as u64, hi as u64) as usize
    }

    /// True with probability 1/n.
    fn one_in(&mut self, n: u64) -> bool {
        self.0.one_in(n)
    }
}

#[derive(Default)]
struct Faults {
    fragments: AtomicU64,
    delays: AtomicU64,
    cuts: AtomicU64,
}

/// The connection both ends share: cut or not, and who to wake when it is cut.
#[derive(Default)]
struct Link {
    cut: AtomicBool,
    wakers: Mutex<Vec<Waker>>,
}

impl Link {
    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for waker in self.wakers.lock().unwrap().drain(..) {
            waker.wake();
        }
    }

    fn is_cut(&self, cx: &mut Context<'_>) -> bool {
        if self.cut.load(Ordering::SeqCst) {
            return true;
        }
        let mut wakers = self.wakers.lock().unwrap();
        if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
            wakers.push(cx.waker().clone());
        }
        false
    }
}

/// One end of the faulty transport.
struct Faulty {
    inner: DuplexStream,
    rng: Rng,
    read_delay: Option<Pin<Box<Sleep>>>,
    write_delay: Option<Pin<Box<Sleep>>>,
    scratch: Vec<u8>,
    link: Arc<Link>,
    faults: Arc<Faults>,
}

fn cut_error() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "connection cut by the soak")
}

/// Polls a pending delay, or starts one now and then (1 in 8), from 0 to 2 ms.
fn delay(
    slot: &mut Option<Pin<Box<Sleep>>>,
    rng: &mut Rng,
    faults: &Faults,
    cx: &mut Context<'_>,
) -> Poll<()> {
    if slot.is_none() && rng.one_in(8) {
        faults.delays.fetch_add(1, Ordering::Relaxed);
        let micros = rng.range(0, 2000) as u64;
        *slot = Some(Box::pin(tokio::time::sleep(Duration::from_micros(micros))));
    }
    if let Some(sleep) = slot {
        if sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        *slot = None;
    }
    Poll::Ready(())
}

impl AsyncRead for Faulty {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.link.is_cut(cx) {
            return Poll::Ready(Err(cut_error()));
        }
        if delay(&mut this.read_delay, &mut this.rng, &this.faults, cx).is_pending() {
            return Poll::Pending;
        }
        // A read of a random size: frames arrive split and joined anywhere.
        let limit = this.rng.range(1, buf.remaining().clamp(1, 16 * 1024));
        this.scratch.resize(limit, 0);
        let mut sub = ReadBuf::new(&mut this.scratch);
        match Pin::new(&mut this.inner).poll_read(cx, &mut sub) {
            Poll::Ready(Ok(())) => {
                buf.put_slice(sub.filled());
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl AsyncWrite for Faulty {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.link.is_cut(cx) {
            return Poll::Ready(Err(cut_error()));
        }
        if delay(&mut this.write_delay, &mut this.rng, &this.faults, cx).is_pending() {
            return Poll::Pending;
        }
        // A short write: the driver must write the rest later, from where this one stopped.
        let n = if buf.len() > 1 && this.rng.one_in(2) {
            this.faults.fragments.fetch_add(1, Ordering::Relaxed);
            this.rng.range(1, buf.len() - 1)
        } else {
            buf.len()
        };
        Pin::new(&mut this.inner).poll_write(cx, &buf[..n])
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Stream header the client sends first: stream number, data length, data checksum.
const HEADER: usize = 24;

/// How one side of one stream ended.
#[derive(Clone, Copy, Debug, Default)]
struct Outcome {
    /// Every byte arrived, in order, and the checksum matched.
    delivered: bool,
    /// The side saw an error (or caused one by resetting).
    errored: bool,
    /// The side saw a clean end with wrong bytes: what must never happen.
    corrupt: bool,
    len: u64,
}

#[derive(Default)]
struct Totals {
    streams: u64,
    delivered: u64,
    errored: u64,
    bytes: u64,
    rounds: u64,
    cut_rounds: u64,
    lost: u64,
}

fn stream_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    (0..len).map(|_| rng.next() as u8).collect()
}

/// The client side of one stream: header and data in random chunks, then FIN (or a reset
/// midway), while the echo is read and checked.
async fn client_stream(session: Session, n: u64, mut rng: Rng) -> (u64, Outcome) {
    let len = if rng.one_in(4) {
        rng.range(0, 256 * 1024)
    } else {
        rng.range(0, 8 * 1024)
    };
    let data = stream_bytes(rng.next(), len);
    let mut sum = Fnv1a::new();
    sum.update(&data);
    let mut message = Vec::with_capacity(HEADER + len);
    message.extend_from_slice(&n.to_be_bytes());
    message.extend_from_slice(&(len as u64).to_be_bytes());
    message.extend_from_slice(&sum.finish().to_be_bytes());
    message.extend_from_slice(&data);
    let mut echo_sum = Fnv1a::new();
    echo_sum.update(&message);
    let reset_at = rng.one_in(10).then(|| rng.range(HEADER, message.len()));
    let mut outcome = Outcome {
        len: len as u64,
        ..Outcome::default()
    };
    let Ok(stream) = session.open() else {
        outcome.errored = true;
        return (n, outcome);
    };
    let (mut rd, mut wr) = stream.into_split();
    let expected = (message.len(), echo_sum.finish());
    let reader = tokio::spawn(async move {
        let mut got = Fnv1a::new();
        let mut total = 0;
        let mut buf = vec![0u8; 8 * 1024];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) => return Ok((total, got.finish())),
                Ok(k) => {
                    total += k;
                    got.update(&buf[..k]);
                }
                Err(err) => return Err(err),
            }
        }
    });
    let mut sent = 0;
    let mut write_failed = false;
    while sent < message.len() {
        let end = (sent + rng.range(1, 32 * 1024)).min(message.len());
        let end = match reset_at {
            Some(at) if end >= at => at,
            _ => end,
        };
        if wr.write_all(&message[sent..end]).await.is_err() {
            write_failed = true;
            break;
        }
        sent = end;
        if reset_at == Some(sent) {
            break;
        }
        if rng.one_in(8) {
            tokio::task::yield_now().await;
        }
    }
    if reset_at.is_some() && !write_failed {
        let _ = wr.reset(ErrorCode::STREAM_CANCELLED);
        outcome.errored = true;
    } else if write_failed || wr.shutdown().await.is_err() {
        outcome.errored = true;
    }
    drop(wr);
    match reader.await.unwrap() {
        Ok(got) if got == expected => outcome.delivered = !outcome.errored,
        Ok(_) if outcome.errored => {}
        Ok(got) => {
            outcome.corrupt = true;
            eprintln!("stream {n}: clean end with echo {got:?}, expected {expected:?}");
        }
        Err(_) => outcome.errored = true,
    }
    (n, outcome)
}

/// The server side of one stream: reads the header, echoes every byte, checks length and
/// checksum at FIN; resets one stream in ten midway.
async fn server_stream(stream: muxado_reference::Stream, mut rng: Rng) -> (Option<u64>, Outcome) {
    let mut outcome = Outcome::default();
    let (mut rd, mut wr) = stream.into_split();
    let mut header = [0u8; HEADER];
    if rd.read_exact(&mut header).await.is_err() {
        outcome.errored = true;
        return (None, outcome);
    }
    if wr.write_all(&header).await.is_err() {
        outcome.errored = true;
    }
    let word = |i: usize| u64::from_be_bytes(header[i * 8..i * 8 + 8].try_into().unwrap());
    let (n, len, sum) = (word(0), word(1), word(2));
    outcome.len = len;
    let reset_after = rng.one_in(10).then(|| rng.range(0, len as usize) as u64);
    let mut got = Fnv1a::new();
    let mut total = 0u64;
    let mut buf = vec![0u8; rng.range(1, 16 * 1024)];
    loop {
        if reset_after.is_some_and(|at| total >= at) {
            let _ = wr.reset(ErrorCode::STREAM_RESET);
            outcome.errored = true;
            return (Some(n), outcome);
        }
        match rd.read(&mut buf).await {
            Ok(0) => break,
            Ok(k) => {
                total += k as u64;
                got.update(&buf[..k]);
                if !outcome.errored && wr.write_all(&buf[..k]).await.is_err() {
                    outcome.errored = true;
                }
            }
            Err(_) => {
                outcome.errored = true;
                return (Some(n), outcome);
            }
        }
    }
    if (total, got.finish()) == (len, sum) {
        outcome.delivered = true;
    } else {
        outcome.corrupt = true;
        eprintln!("stream {n}: clean end after {total} of {len} bytes, or a wrong checksum");
    }
    if wr.shutdown().await.is_err() {
        outcome.errored = true;
    }
    (Some(n), outcome)
}

/// One session pair, its streams, and the checks of every stream's fate.
async fn round(seed: u64, faults: &Arc<Faults>, totals: &mut Totals) {
    let mut rng = Rng::new(seed);
    let window = [16 * 1024, 64 * 1024, 256 * 1024][rng.range(0, 2)];
    let config = Config::default()
        .with_max_window_size(window)
        .with_max_frame_size([1024, 4096, 16 * 1024, 64 * 1024][rng.range(0, 3)])
        .with_write_queue_bytes(rng.range(16 * 1024, 256 * 1024))
        .with_accept_backlog(1024);
    let (a, b) = tokio::io::duplex(rng.range(1024, 64 * 1024));
    let link = Arc::new(Link::default());
    let faulty = |io, rng| Faulty {
        inner: io,
        rng,
        read_delay: None,
        write_delay: None,
        scratch: Vec::new(),
        link: link.clone(),
        faults: faults.clone(),
    };
    let client = Session::client(faulty(a, Rng::new(rng.next())), config.clone());
    let server = Session::server(faulty(b, Rng::new(rng.next())), config);

    let acceptor = {
        let server = server.clone();
        let mut rng = Rng::new(rng.next());
        tokio::spawn(async move {
            let mut handlers = JoinSet::new();
            while let Ok(stream) = server.accept().await {
                handlers.spawn(server_stream(stream, Rng::new(rng.next())));
            }
            handlers.join_all().await
        })
    };
    let count = rng.range(10, 80) as u64;
    let mut clients = JoinSet::new();
    for n in 0..count {
        clients.spawn(client_stream(client.clone(), n, Rng::new(rng.next())));
    }
    let cut = rng.one_in(4);
    if cut {
        let link = link.clone();
        let faults = faults.clone();
        let after = Duration::from_millis(rng.range(0, 300) as u64);
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            faults.cuts.fetch_add(1, Ordering::Relaxed);
            link.cut();
        });
    }
    let mut client_outcomes = vec![None; count as usize];
    while let Some(joined) = clients.join_next().await {
        let (n, outcome) = joined.expect("client stream task");
        client_outcomes[n as usize] = Some(outcome);
    }
    assert_eq!(client.stream_count(), 0, "client streams left");
    client.close().await;
    let server_results = acceptor.await.expect("acceptor task");
    server.wait().await;
    assert_eq!(server.stream_count(), 0, "server streams left");

    let mut server_outcomes = vec![None; count as usize];
    for (n, outcome) in server_results {
        match n {
            Some(n) => {
                assert!(server_outcomes[n as usize].is_none(), "stream {n} twice");
                server_outcomes[n as usize] = Some(outcome);
            }
            None => assert!(outcome.errored),
        }
    }
    totals.rounds += 1;
    totals.cut_rounds += u64::from(cut);
    for (n, (c, s)) in client_outcomes.iter().zip(&server_outcomes).enumerate() {
        let c = c.expect("every client stream reported");
        totals.streams += 1;
        let s_delivered = s.is_some_and(|s| s.delivered);
        let s_errored = s.is_none_or(|s| s.errored);
        // Every stream delivered every byte in order, or reported an error on both sides
        // (a server that never saw the stream counts as having failed it).
        let ok = !c.corrupt
            && !s.is_some_and(|s| s.corrupt)
            && (!c.delivered || s_delivered)
            && (s_delivered || (c.errored && s_errored))
            && (c.delivered || c.errored);
        if !ok {
            totals.lost += c.len;
            eprintln!("round {seed:#x} stream {n}: client {c:?}, server {s:?}");
        }
        if s_delivered {
            totals.delivered += 1;
            totals.bytes += c.len;
        } else {
            totals.errored += 1;
        }
        if !cut {
            assert!(
                c.delivered || c.errored,
                "without a cut every stream ends one way or the other"
            );
        }
    }
}

/// Many concurrent streams of random sizes between two reference sessions over a transport
/// that fragments, delays and cuts: every stream delivers every byte in order (checksums) or
/// fails on both sides, and nothing is left behind (stream counts 0, every task joined).
///
/// checks: [FLOW-3] [FLOW-4] [FLOW-6] [STREAM-6] [STREAM-11] [RST-4] [SESSION-2] [LIMIT-6] [FRAME-6]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_with_fault_injection() {
    let SoakEnv { secs, seed } = SoakEnv::from_env();
    println!("soak: {secs} s, MUXADO_SOAK_SEED={seed:#x}");
    let faults = Arc::new(Faults::default());
    let mut totals = Totals::default();
    let mut rng = Rng::new(seed);
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        let round_seed = rng.next();
        tokio::time::timeout(
            Duration::from_secs(60),
            round(round_seed, &faults, &mut totals),
        )
        .await
        .unwrap_or_else(|_| panic!("round {round_seed:#x} hung"));
    }
    println!(
        "soak: {} rounds ({} cut), {} streams: {} delivered ({} bytes), {} failed on both sides; \
         faults: {} fragmented writes, {} delays, {} cuts; bytes lost: {}",
        totals.rounds,
        totals.cut_rounds,
        totals.streams,
        totals.delivered,
        totals.bytes,
        totals.errored,
        faults.fragments.load(Ordering::Relaxed),
        faults.delays.load(Ordering::Relaxed),
        faults.cuts.load(Ordering::Relaxed),
        totals.lost
    );
    assert_eq!(totals.lost, 0, "bytes lost");
}
