//! A fault-injecting TCP proxy for the soak (`interop/tests/soak.rs`): it sits between two
//! peers and forwards every byte both ways, in order, exactly once, but re-cuts the byte
//! stream into writes of random sizes (from 1 byte, so that frame headers are split, to
//! 64 KiB, so that several frames go out in one segment) with random small delays between
//! them, and with a configurable probability cuts the connection once, at a random time:
//! both sockets are closed with an RST.
//!
//! Only where write boundaries fall and when bytes arrive change: a receiver must parse frames
//! whatever the chunking (SPEC [FRAME-6]) and a session must survive any timing; a cut ends
//! the session on both sides (SPEC [SESSION-1]), and every stream not closed in both
//! directions then fails ([SESSION-2]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

/// splitmix64: small and seedable, to choose the faults.
pub use muxado_testkit::splitmix::SplitMix64 as Rng;

/// What the proxy does to a connection.
#[derive(Clone, Debug)]
pub struct FaultConfig {
    /// Seeds every random choice of the proxy (scheduling still varies).
    pub seed: u64,
    /// The largest write (at least 1).
    pub max_chunk: usize,
    /// One write in this many is preceded by a delay.
    pub delay_one_in: u64,
    /// The longest delay.
    pub max_delay: Duration,
    /// The probability that the connection is cut.
    pub cut_probability: f64,
    /// When a cut happens, counted from the accepted connection: uniformly in this range.
    pub cut_window: (Duration, Duration),
}

impl Default for FaultConfig {
    /// Writes of 1 byte to 64 KiB, one in four delayed by up to 5 ms, no cut.
    fn default() -> FaultConfig {
        FaultConfig {
            seed: 1,
            max_chunk: 64 * 1024,
            delay_one_in: 4,
            max_delay: Duration::from_millis(5),
            cut_probability: 0.0,
            cut_window: (Duration::ZERO, Duration::ZERO),
        }
    }
}

/// What the proxy did to one connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultStats {
    /// Bytes read from the client and written to the server.
    pub client_to_server: u64,
    /// Bytes read from the server and written to the client.
    pub server_to_client: u64,
    /// Reads from either peer.
    pub reads: u64,
    /// Writes to either peer: every read's bytes went out in one or more writes.
    pub writes: u64,
    /// Writes beyond the first of their read: how often a read's bytes were split.
    pub splits: u64,
    /// Writes of at most 16 bytes (a frame header is 8).
    pub small_writes: u64,
    /// Delays before a write.
    pub delays: u64,
    /// When the connection was cut, if it was.
    pub cut_at: Option<Duration>,
    /// Bytes read but not written because the receiving peer had closed its end, or the
    /// connection was cut: never any other way.
    pub undelivered: u64,
}

impl FaultStats {
    /// Adds another connection's counts (the cut time is kept if this one has none).
    pub fn add(&mut self, other: &FaultStats) {
        self.client_to_server += other.client_to_server;
        self.server_to_client += other.server_to_client;
        self.reads += other.reads;
        self.writes += other.writes;
        self.splits += other.splits;
        self.small_writes += other.small_writes;
        self.delays += other.delays;
        self.undelivered += other.undelivered;
        self.cut_at = self.cut_at.or(other.cut_at);
    }
}

/// The counters both directions share while they run, so that they survive a cut.
#[derive(Default)]
struct Counters {
    bytes: [AtomicU64; 2],
    reads: AtomicU64,
    writes: AtomicU64,
    splits: AtomicU64,
    small_writes: AtomicU64,
    delays: AtomicU64,
    undelivered: AtomicU64,
}

/// Accepts one connection on `listener`, connects to `target`, and forwards both ways with
/// the faults of `config` until both directions ended or the connection was cut.
pub async fn proxy_one(
    listener: &TcpListener,
    target: SocketAddr,
    config: &FaultConfig,
) -> std::io::Result<FaultStats> {
    let (client, _) = listener.accept().await?;
    let server = TcpStream::connect(target).await?;
    let start = Instant::now();
    let mut rng = Rng(config.seed);
    let cut_after = rng.chance(config.cut_probability).then(|| {
        let (lo, hi) = config.cut_window;
        let span = hi.saturating_sub(lo).as_micros() as u64;
        lo + Duration::from_micros(rng.range(0, span))
    });
    for tcp in [&client, &server] {
        // Every write goes out as its own segment, so that the peer's reads see the new
        // boundaries rather than Nagle's.
        tcp.set_nodelay(true)?;
        // A cut closes with RST, as a broken connection would. With a zero linger the close
        // never blocks, which is why tokio deprecates the setter.
        #[allow(deprecated)]
        tcp.set_linger(Some(Duration::ZERO))?;
    }
    let counters = Arc::new(Counters::default());
    let (client_rd, client_wr) = client.into_split();
    let (server_rd, server_wr) = server.into_split();
    let both = async {
        tokio::join!(
            pump(
                client_rd,
                server_wr,
                0,
                Rng(rng.next_u64()),
                config,
                &counters
            ),
            pump(
                server_rd,
                client_wr,
                1,
                Rng(rng.next_u64()),
                config,
                &counters
            ),
        )
    };
    let mut cut_at = None;
    match cut_after {
        None => {
            both.await;
        }
        Some(after) => {
            tokio::select! {
                _ = both => {}
                () = tokio::time::sleep(after) => {
                    // Dropping the pumps closes all four halves: both sockets go.
                    cut_at = Some(start.elapsed());
                }
            }
        }
    }
    let load = |c: &AtomicU64| c.load(Ordering::SeqCst);
    Ok(FaultStats {
        client_to_server: load(&counters.bytes[0]),
        server_to_client: load(&counters.bytes[1]),
        reads: load(&counters.reads),
        writes: load(&counters.writes),
        splits: load(&counters.splits),
        small_writes: load(&counters.small_writes),
        delays: load(&counters.delays),
        cut_at,
        undelivered: load(&counters.undelivered),
    })
}

/// The size of the next write: a quarter of 1 to 16 bytes (frame headers split), a quarter up
/// to 1500, the rest up to `max`.
fn chunk_size(rng: &mut Rng, max: usize) -> usize {
    let cap = match rng.next_u64() % 4 {
        0 => 16,
        1 => 1500,
        _ => max,
    }
    .clamp(1, max.max(1));
    rng.range(1, cap as u64) as usize
}

/// Forwards one direction: every read's bytes in random writes, some delayed; at the end of
/// the input, closes the output's write side, as the peer did.
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    dir: usize,
    mut rng: Rng,
    config: &FaultConfig,
    counters: &Counters,
) {
    let mut buf = vec![0u8; config.max_chunk.max(1)];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        counters.reads.fetch_add(1, Ordering::Relaxed);
        let mut off = 0;
        let mut pieces = 0u64;
        while off < n {
            let size = chunk_size(&mut rng, config.max_chunk).min(n - off);
            if config.delay_one_in > 0 && rng.next_u64() % config.delay_one_in == 0 {
                counters.delays.fetch_add(1, Ordering::Relaxed);
                let micros = rng.range(0, config.max_delay.as_micros() as u64);
                tokio::time::sleep(Duration::from_micros(micros)).await;
            }
            if to.write_all(&buf[off..off + size]).await.is_err() {
                counters
                    .undelivered
                    .fetch_add((n - off) as u64, Ordering::Relaxed);
                return;
            }
            off += size;
            pieces += 1;
            counters.writes.fetch_add(1, Ordering::Relaxed);
            if size <= 16 {
                counters.small_writes.fetch_add(1, Ordering::Relaxed);
            }
            counters.bytes[dir].fetch_add(size as u64, Ordering::Relaxed);
        }
        counters
            .splits
            .fetch_add(pieces.saturating_sub(1), Ordering::Relaxed);
    }
    let _ = to.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The proxy changes write boundaries but never the bytes: 4 MiB each way arrive whole
    /// and in order, split into many more writes than were made.
    ///
    /// checks: [FRAME-6]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn forwards_every_byte_in_order() {
        let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let target = server.local_addr().unwrap();
        let proxy_addr = proxy.local_addr().unwrap();
        let config = FaultConfig {
            seed: 42,
            ..FaultConfig::default()
        };
        let faults = tokio::spawn(async move { proxy_one(&proxy, target, &config).await });
        let data: Vec<u8> = (0..4u32 << 20).map(|i| (i % 251) as u8).collect();
        let echo = tokio::spawn(async move {
            let (mut tcp, _) = server.accept().await.unwrap();
            let mut got = Vec::new();
            tcp.read_to_end(&mut got).await.unwrap();
            tcp.write_all(&got).await.unwrap();
            tcp.shutdown().await.unwrap();
            got.len()
        });
        let mut tcp = TcpStream::connect(proxy_addr).await.unwrap();
        let (mut rd, mut wr) = tcp.split();
        let write = async {
            wr.write_all(&data).await.unwrap();
            wr.shutdown().await.unwrap();
        };
        let mut back = Vec::new();
        let (_, read) = tokio::join!(write, rd.read_to_end(&mut back));
        read.unwrap();
        assert_eq!(echo.await.unwrap(), data.len());
        assert!(back == data, "the bytes came back changed");
        let stats = faults.await.unwrap().unwrap();
        assert_eq!(stats.client_to_server, data.len() as u64);
        assert_eq!(stats.server_to_client, data.len() as u64);
        assert_eq!(stats.undelivered, 0);
        assert_eq!(stats.cut_at, None);
        assert!(stats.splits > 0 && stats.small_writes > 0 && stats.delays > 0);
        assert_eq!(stats.writes, stats.reads + stats.splits);
    }

    /// A cut closes both connections with a reset: each peer's next read fails or ends.
    ///
    /// checks: [SESSION-1]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cuts_both_sides() {
        let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let target = server.local_addr().unwrap();
        let proxy_addr = proxy.local_addr().unwrap();
        let config = FaultConfig {
            cut_probability: 1.0,
            cut_window: (Duration::from_millis(100), Duration::from_millis(200)),
            ..FaultConfig::default()
        };
        let faults = tokio::spawn(async move { proxy_one(&proxy, target, &config).await });
        let mut client = TcpStream::connect(proxy_addr).await.unwrap();
        let (mut accepted, _) = server.accept().await.unwrap();
        let started = Instant::now();
        let (mut one, mut other) = ([0u8; 1], [0u8; 1]);
        let (a, b) = tokio::join!(client.read(&mut one), accepted.read(&mut other));
        assert!(matches!(a, Ok(0) | Err(_)) && matches!(b, Ok(0) | Err(_)));
        assert!(started.elapsed() < Duration::from_secs(2));
        let stats = faults.await.unwrap().unwrap();
        let cut = stats.cut_at.expect("cut");
        assert!(cut >= Duration::from_millis(100) && cut < Duration::from_secs(1));
    }
}
