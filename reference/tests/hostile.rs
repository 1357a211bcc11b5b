//! Hostile peers over real TCP (127.0.0.1): a raw-frame peer against the reference driver's
//! [`Session`], with the heap the session uses measured by a counting global allocator.
//!
//! The peer runs on plain threads with blocking sockets, inside
//! [`AllocationRegistry::untracked`], so its own buffers (a 16 MiB GOAWAY, 8 MB of SYNs) are not
//! counted: the live and peak figures are those of the session, its driver task and the tokio
//! runtime. Tests take a lock, so one runs at a time and the counters are theirs alone.
//!
//! Each bound is computed from the configured limits (SPEC section 11) and the driver's
//! documented buffers, plus a stated fixed allowance; none comes from observation. Vectors may
//! hold up to twice their length (growth by doubling), which the bounds allow for.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Once};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use muxado_reference::Session;
use muxado_reference::frame::{
    self, Data, DecodeError, ErrorCode, Frame, GoAway, HEADER_LEN, MAX_BODY_LEN, Rst, StreamId,
};
use muxado_reference::{Config, Error, Role};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tracking_allocator::{AllocationGroupId, AllocationRegistry, AllocationTracker, Allocator};

#[global_allocator]
static GLOBAL: Allocator<std::alloc::System> = Allocator::system();

/// Heap bytes allocated and not yet freed (requested sizes, not the tracker's own header).
static LIVE: AtomicIsize = AtomicIsize::new(0);
/// The highest `LIVE` since the last [`Meter::start`].
static PEAK: AtomicIsize = AtomicIsize::new(0);

struct Counter;

impl AllocationTracker for Counter {
    fn allocated(&self, _addr: usize, size: usize, _wrapped: usize, _group: AllocationGroupId) {
        let live = LIVE.fetch_add(size as isize, Ordering::Relaxed) + size as isize;
        PEAK.fetch_max(live, Ordering::Relaxed);
    }

    fn deallocated(
        &self,
        _addr: usize,
        size: usize,
        _wrapped: usize,
        _source: AllocationGroupId,
        _current: AllocationGroupId,
    ) {
        LIVE.fetch_sub(size as isize, Ordering::Relaxed);
    }
}

/// The driver reads the transport in chunks of this size (`READ_CHUNK` in
/// `reference/src/driver/task.rs`): the most unprocessed input one read adds. The buffer it
/// reads into is one per thread, kept for the thread's life.
const READ_CHUNK: usize = 64 * 1024;
/// Worker threads of the runtime each case runs on.
const WORKERS: usize = 2;
/// The session remembers at most this many reset streams (`MAX_RECENTLY_RESET` in
/// `reference/src/session/mod.rs`); allowance per entry, VecDeque growth included.
const RECENTLY_RESET: usize = 4096 * 64;
/// Fixed allowance: the tokio runtime's per-connection state, the session and driver
/// structures, wakers, a few handles. Stated, not measured.
const FIXED: usize = 256 * 1024;
/// Allowance per stream the session holds: its state, map entries, waker slots.
const PER_STREAM: usize = 1024;
/// What may stay allocated after a session ended and was dropped: tokio's slabs and timers,
/// and each worker thread's read buffer.
const AFTER: isize = 128 * 1024 + (WORKERS * READ_CHUNK) as isize;
/// Every wait in these tests is bounded.
const LIMIT: Duration = Duration::from_secs(60);

/// The most outbound bytes the session can hold: its write queue plus the reactions one read
/// chunk provokes (at most a 12-byte RST per 8-byte frame, SPEC [LIMIT-6]), in two vectors
/// (the session's queue and the driver's buffer in flight), each up to twice its length.
fn outbound_bound(config: &Config) -> usize {
    2 * 2 * (config.write_queue_bytes + READ_CHUNK * 12 / 8)
}

fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        AllocationRegistry::set_global_tracker(Counter).expect("no other tracker");
        AllocationRegistry::enable_tracking();
    });
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .unwrap()
}

/// Live and peak heap bytes relative to a baseline.
struct Meter {
    baseline: isize,
}

impl Meter {
    fn start() -> Meter {
        let baseline = LIVE.load(Ordering::Relaxed);
        PEAK.store(baseline, Ordering::Relaxed);
        Meter { baseline }
    }

    fn peak(&self) -> usize {
        (PEAK.load(Ordering::Relaxed) - self.baseline).max(0) as usize
    }

    fn live(&self) -> isize {
        LIVE.load(Ordering::Relaxed) - self.baseline
    }

    /// Prints the peak next to its bound, and fails if it is above.
    fn check_peak(&self, scenario: &str, bound: usize, terms: &str) {
        let peak = self.peak();
        println!("{scenario}: peak {peak} B above baseline, bound {bound} B = {terms}");
        assert!(
            peak <= bound,
            "{scenario}: peak {peak} B exceeds bound {bound} B"
        );
    }

    /// After the session ended and was dropped: memory is back near the baseline.
    async fn check_released(&self, scenario: &str) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.live() > AFTER && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let live = self.live();
        println!("{scenario}: live {live} B above baseline after the end, allowance {AFTER} B");
        assert!(live <= AFTER, "{scenario}: {live} B left after the end");
    }
}

/// What the raw peer saw the session send.
#[derive(Debug, Default)]
struct Seen {
    /// RST frames by error code.
    rst_by_code: BTreeMap<u32, usize>,
    /// The first RST frames, in order.
    rst: Vec<(u32, ErrorCode)>,
    /// The last RST frame.
    last_rst: Option<(u32, ErrorCode)>,
    /// DATA body bytes by stream.
    data: BTreeMap<u32, usize>,
    /// FIN flags by stream.
    fin: BTreeMap<u32, usize>,
    wndinc: usize,
    go_away: Option<ErrorCode>,
    eof: bool,
}

impl Seen {
    fn rsts(&self, code: ErrorCode) -> usize {
        self.rst_by_code.get(&code.0).copied().unwrap_or(0)
    }
}

/// The hostile end: a blocking TCP socket, a thread that reads and decodes everything the
/// session sends, and threads that write what the test asks.
struct Peer {
    tcp: TcpStream,
    seen: Arc<Mutex<Seen>>,
    reader: Option<JoinHandle<()>>,
    writers: Vec<JoinHandle<()>>,
}

impl Peer {
    /// A session (server role) over TCP, and the raw peer at the other end.
    async fn connect(config: Config) -> (Session, Peer) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let dial = std::thread::spawn(move || {
            AllocationRegistry::untracked(|| TcpStream::connect(addr).unwrap())
        });
        let (tcp, _) = listener.accept().await.unwrap();
        let session = Session::from_tcp(tcp, Role::Server, config);
        let tcp = dial.join().unwrap();
        tcp.set_nodelay(true).unwrap();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let reader = {
            let tcp = tcp.try_clone().unwrap();
            let seen = seen.clone();
            std::thread::spawn(move || AllocationRegistry::untracked(|| read_all(tcp, &seen)))
        };
        let peer = Peer {
            tcp,
            seen,
            reader: Some(reader),
            writers: Vec::new(),
        };
        (session, peer)
    }

    /// Writes `make()`'s bytes from a peer thread (built there, so they are not counted).
    fn send(&mut self, make: impl FnOnce() -> Vec<u8> + Send + 'static) {
        let mut tcp = self.tcp.try_clone().unwrap();
        self.writers.push(std::thread::spawn(move || {
            AllocationRegistry::untracked(|| {
                let bytes = make();
                let _ = tcp.write_all(&bytes);
            })
        }));
    }

    /// Waits for the writes so far to be handed to the kernel.
    async fn flushed(&mut self) {
        for writer in self.writers.drain(..) {
            tokio::task::spawn_blocking(move || writer.join().unwrap())
                .await
                .unwrap();
        }
    }

    /// Waits until what the peer saw satisfies `done`.
    async fn wait_for(&self, what: &str, done: impl Fn(&Seen) -> bool) {
        let deadline = Instant::now() + LIMIT;
        loop {
            if done(&self.seen.lock().unwrap()) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {:?}",
                summary(&self.seen.lock().unwrap())
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Half-closes the peer's side: the session reads end-of-file (SPEC [SESSION-3]); waits for
    /// the session to close its side too.
    async fn close(mut self) -> Seen {
        self.flushed().await;
        let _ = self.tcp.shutdown(Shutdown::Write);
        let reader = self.reader.take().unwrap();
        tokio::task::spawn_blocking(move || reader.join().unwrap())
            .await
            .unwrap();
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

fn summary(seen: &Seen) -> String {
    format!(
        "rst {:?} (first {:?}), data {:?}, fin {:?}, wndinc {}, goaway {:?}, eof {}",
        seen.rst_by_code,
        &seen.rst[..seen.rst.len().min(4)],
        seen.data,
        seen.fin,
        seen.wndinc,
        seen.go_away,
        seen.eof
    )
}

/// The peer's reader: decodes every frame the session sends until end-of-file.
fn read_all(mut tcp: TcpStream, seen: &Mutex<Seen>) {
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match tcp.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        pending.extend_from_slice(&buf[..n]);
        let mut used = 0;
        let mut seen = seen.lock().unwrap();
        loop {
            match frame::decode_frame(&pending[used..]) {
                Ok((frame, len)) => {
                    used += len;
                    match frame {
                        Frame::Rst(rst) => {
                            *seen.rst_by_code.entry(rst.error_code.0).or_default() += 1;
                            seen.last_rst = Some((rst.stream_id.get(), rst.error_code));
                            if seen.rst.len() < 1000 {
                                seen.rst.push((rst.stream_id.get(), rst.error_code));
                            }
                        }
                        Frame::Data(data) => {
                            let id = data.stream_id.get();
                            *seen.data.entry(id).or_default() += data.payload.len();
                            if data.fin {
                                *seen.fin.entry(id).or_default() += 1;
                            }
                        }
                        Frame::WndInc(_) => seen.wndinc += 1,
                        Frame::GoAway(g) => seen.go_away = Some(g.error_code),
                        Frame::Unknown(_) => panic!("the session sent an unknown frame type"),
                    }
                }
                Err(DecodeError::Incomplete { .. }) => break,
                Err(DecodeError::Violation(v)) => panic!("the session sent an invalid frame: {v}"),
            }
        }
        pending.drain(..used);
    }
    seen.lock().unwrap().eof = true;
}

fn encode(frame: Frame<'_>, dst: &mut Vec<u8>) {
    frame.encode(dst).expect("a valid frame");
}

fn syn(dst: &mut Vec<u8>, id: u32, payload: &[u8], fin: bool) {
    encode(
        Frame::Data(Data {
            stream_id: StreamId::new(id),
            fin,
            syn: true,
            payload,
        }),
        dst,
    );
}

fn data(dst: &mut Vec<u8>, id: u32, payload: &[u8]) {
    encode(
        Frame::Data(Data {
            stream_id: StreamId::new(id),
            fin: false,
            syn: false,
            payload,
        }),
        dst,
    );
}

/// A raw header (SPEC section 3.1): 24-bit length, type and flags nibbles, stream id. The
/// codec refuses to encode what these tests send on purpose (unknown types, partial frames).
fn raw_header(length: usize, frame_type: u8, flags: u8, stream_id: u32) -> [u8; HEADER_LEN] {
    let len = (length as u32).to_be_bytes();
    let id = stream_id.to_be_bytes();
    [
        len[1],
        len[2],
        len[3],
        frame_type << 4 | flags,
        id[0],
        id[1],
        id[2],
        id[3],
    ]
}

/// Accepts the next stream and reads it to the end.
async fn accept_and_read(session: &Session) -> (u32, Result<Vec<u8>, std::io::Error>) {
    let mut stream = tokio::time::timeout(LIMIT, session.accept())
        .await
        .expect("a stream in time")
        .expect("the session accepts");
    let mut got = Vec::new();
    let result = stream.read_to_end(&mut got).await.map(|_| got);
    (stream.id().get(), result)
}

/// The number of SYNs of the flood: `MUXADO_HOSTILE_SYNS`, default 1,000,000.
fn flood_size() -> u32 {
    std::env::var("MUXADO_HOSTILE_SYNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

/// A flood of SYNs (zero-length DATA+SYN, 8 bytes each, in one write) that the application
/// never accepts: the first `accept_backlog` streams wait in the backlog; the next SYN stops
/// the session's reading for the accept patience ([STREAM-14]: the input held is what one read
/// brought), then it and every later SYN are refused with RST `ACCEPT_QUEUE_FULL` and
/// forgotten, with no second pause. The peer reads every RST, so the session's backpressure
/// ([LIMIT-6]) never stalls it for long; memory stays bounded by the backlog, the write queue
/// and one read chunk of reactions. The full 1,000,000 runs by default
/// (`MUXADO_HOSTILE_SYNS` changes it).
///
/// checks: [LIMIT-3] [STREAM-5] [STREAM-14] [LIMIT-6] [LIMIT-2] [SESSION-3]
#[test]
fn syn_flood_without_accepting() {
    let _serial = serial();
    runtime().block_on(async {
        let config = Config::default().with_accept_backlog(16).with_write_queue_bytes(64 * 1024);
        let n = flood_size();
        let backlog = config.accept_backlog;
        let meter = Meter::start();
        let (session, mut peer) = Peer::connect(config.clone()).await;
        let started = Instant::now();
        peer.send(move || {
            let mut bytes = Vec::with_capacity(n as usize * HEADER_LEN);
            for i in 0..n {
                syn(&mut bytes, 3 + 2 * i, b"", false);
            }
            bytes
        });
        let refused = n as usize - backlog;
        peer.wait_for("every refusal", |s| {
            s.rsts(ErrorCode::ACCEPT_QUEUE_FULL) >= refused
        })
        .await;
        println!(
            "syn flood: {n} SYNs, {refused} refused with ACCEPT_QUEUE_FULL in {:?}",
            started.elapsed()
        );
        meter.check_peak(
            "syn flood",
            FIXED + backlog * PER_STREAM + outbound_bound(&config) + 2 * READ_CHUNK + RECENTLY_RESET,
            "FIXED + accept_backlog * PER_STREAM + 4 * (write_queue_bytes + 1.5 * READ_CHUNK) + 2 * READ_CHUNK + RECENTLY_RESET",
        );
        // The backlog holds exactly the first streams, still usable.
        assert_eq!(session.stream_count(), backlog);
        for i in 0..backlog {
            let stream = session.accept().await.unwrap();
            assert_eq!(stream.id().get(), 3 + 2 * i as u32);
        }
        let seen = peer.close().await;
        assert_eq!(seen.rsts(ErrorCode::ACCEPT_QUEUE_FULL), refused);
        assert_eq!(seen.rst_by_code.len(), 1, "{}", summary(&seen));
        let end = session.wait().await;
        assert_eq!(end.local, ErrorCode::PEER_EOF);
        drop(session);
        meter.check_released("syn flood").await;
    });
}

/// DATA beyond a stream's window: the stream is reset with `FLOW_CONTROL_ERROR`, a 16 MiB DATA
/// frame for the reset stream is skipped unbuffered, a SYN larger than the window is refused
/// with the same code, and the session goes on: a later stream works.
///
/// checks: [FLOW-4] [FLOW-10] [LIMIT-1] [LIMIT-5] [STREAM-11]
#[test]
fn data_beyond_the_window() {
    let _serial = serial();
    runtime().block_on(async {
        let config = Config::default()
            .with_max_window_size(64 * 1024)
            .with_write_queue_bytes(64 * 1024);
        let window = config.max_window_size as usize;
        let meter = Meter::start();
        let (session, mut peer) = Peer::connect(config.clone()).await;
        peer.send(move || {
            let mut bytes = Vec::new();
            syn(&mut bytes, 3, &[1; 1000], false);
            data(&mut bytes, 3, &vec![2; window]); // 1000 + W > W
            data(&mut bytes, 3, &vec![3; MAX_BODY_LEN]); // after the reset: skipped
            syn(&mut bytes, 5, &vec![4; window + 1], false); // refused
            syn(&mut bytes, 7, b"still here", true);
            bytes
        });
        let (id, result) = accept_and_read(&session).await;
        assert_eq!(id, 3);
        let err = result.expect_err("stream 3 was reset");
        assert_eq!(
            muxado_reference::stream_error(&err),
            Some(&Error::ResetLocally(ErrorCode::FLOW_CONTROL_ERROR))
        );
        let (id, result) = accept_and_read(&session).await;
        assert_eq!((id, result.unwrap()), (7, b"still here".to_vec()));
        peer.wait_for("two RSTs", |s| s.rst.len() >= 2).await;
        meter.check_peak(
            "data beyond window",
            FIXED
                + 2 * (window + READ_CHUNK)
                + 2 * PER_STREAM
                + outbound_bound(&config)
                + READ_CHUNK,
            "FIXED + 2 * (max_window_size + READ_CHUNK) + 2 * PER_STREAM + outbound + READ_CHUNK",
        );
        let seen = peer.close().await;
        assert_eq!(
            seen.rst,
            vec![
                (3, ErrorCode::FLOW_CONTROL_ERROR),
                (5, ErrorCode::FLOW_CONTROL_ERROR)
            ]
        );
        assert_eq!(seen.go_away, None, "the session survives a stream error");
        assert_eq!(session.wait().await.local, ErrorCode::PEER_EOF);
        drop(session);
        meter.check_released("data beyond window").await;
    });
}

/// A GOAWAY whose debug data fills the largest body (2^24-1 - 8 bytes, about 16 MiB): the
/// session keeps the first `max_goaway_debug` bytes, discards the rest unbuffered, reports
/// code and debug data, and keeps reading frames after it.
///
/// checks: [LIMIT-4] [LIMIT-5] [GOAWAY-9] [GOAWAY-10] [FRAME-10]
#[test]
fn go_away_with_16_mib_of_debug_data() {
    let _serial = serial();
    runtime().block_on(async {
        let config = Config::default().with_max_goaway_debug(64 * 1024).with_write_queue_bytes(64 * 1024);
        let kept = config.max_goaway_debug;
        let debug_len = MAX_BODY_LEN - 8;
        let pattern = |i: usize| (i % 251) as u8;
        let meter = Meter::start();
        let (session, mut peer) = Peer::connect(config.clone()).await;
        peer.send(move || {
            let debug: Vec<u8> = (0..debug_len).map(pattern).collect();
            let mut bytes = Vec::new();
            encode(
                Frame::GoAway(GoAway {
                    last_stream_id: StreamId::ZERO,
                    error_code: ErrorCode::ENHANCE_YOUR_CALM,
                    debug: &debug,
                }),
                &mut bytes,
            );
            syn(&mut bytes, 3, b"after the goaway", true);
            bytes
        });
        let (id, result) = accept_and_read(&session).await;
        assert_eq!((id, result.unwrap()), (3, b"after the goaway".to_vec()));
        let remote = session.remote_go_away().expect("GOAWAY reported");
        assert_eq!(remote.error_code, ErrorCode::ENHANCE_YOUR_CALM);
        assert_eq!(remote.debug.len(), kept);
        assert!(remote.debug.iter().enumerate().all(|(i, b)| *b == pattern(i)));
        drop(remote);
        meter.check_peak(
            "goaway 16 MiB",
            FIXED + 2 * (HEADER_LEN + 8 + kept + READ_CHUNK) + kept + PER_STREAM + outbound_bound(&config) + READ_CHUNK,
            "FIXED + 2 * (8 + 8 + max_goaway_debug + READ_CHUNK) + max_goaway_debug + PER_STREAM + outbound + READ_CHUNK",
        );
        let seen = peer.close().await;
        assert!(seen.rst.is_empty(), "{}", summary(&seen));
        let end = session.wait().await;
        assert_eq!(end.local, ErrorCode::PEER_EOF);
        assert_eq!(end.remote.map(|r| r.debug.len()), Some(kept));
        drop(session);
        meter.check_released("goaway 16 MiB").await;
    });
}

/// Slowloris with a read timeout: five bytes of a frame header, then silence. With
/// `Config::read_timeout` at 300 ms the session ends with `ENHANCE_YOUR_CALM` about 300 ms
/// later, says so in a GOAWAY, and gives back what it held. Bytes that keep coming reset the
/// clock: a header that trickles in one byte per 100 ms is no stall.
///
/// checks: [LIMIT-8] [FRAME-6] [SESSION-2]
#[test]
fn partial_header_then_silence_with_read_timeout() {
    let _serial = serial();
    runtime().block_on(async {
        let config = Config::default()
            .with_write_queue_bytes(64 * 1024)
            .with_read_timeout(Some(Duration::from_millis(300)));
        let meter = Meter::start();
        let (session, mut peer) = Peer::connect(config.clone()).await;
        // A SYN that trickles in: each byte comes within the timeout.
        let mut frame = Vec::new();
        syn(&mut frame, 3, b"ok", false);
        for byte in frame {
            peer.send(move || vec![byte]);
            peer.flushed().await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let (id, _) = tokio::time::timeout(LIMIT, session.accept())
            .await
            .expect("the trickled SYN opens a stream")
            .map(|s| (s.id().get(), s))
            .expect("accept");
        assert_eq!(id, 3);
        // Then five bytes of a header, and nothing.
        let stalled_at = Instant::now();
        peer.send(|| raw_header(4, 0, 0, 5)[..5].to_vec());
        peer.flushed().await;
        let end = tokio::time::timeout(LIMIT, session.wait())
            .await
            .expect("the stalled frame ends the session");
        let waited = stalled_at.elapsed();
        assert_eq!(end.local, ErrorCode::ENHANCE_YOUR_CALM, "{end:?}");
        assert!(
            waited >= Duration::from_millis(250) && waited < Duration::from_secs(3),
            "ended {waited:?} after the stall"
        );
        meter.check_peak(
            "slowloris with read timeout",
            FIXED + outbound_bound(&config) + 2 * READ_CHUNK,
            "FIXED + outbound + 2 * READ_CHUNK",
        );
        peer.wait_for("GOAWAY", |seen| seen.go_away.is_some()).await;
        let seen = peer.close().await;
        assert_eq!(seen.go_away, Some(ErrorCode::ENHANCE_YOUR_CALM));
        drop(session);
        meter.check_released("slowloris with read timeout").await;
    });
}

/// Slowloris without a read timeout (the default, as in Go): five bytes of a frame header,
/// then silence. The partial header costs a few bytes, the session stays usable meanwhile, and
/// it ends cleanly with `PEER_EOF` when the peer finally closes, the partial frame dropped.
///
/// checks: [LIMIT-8] [FRAME-6] [SESSION-3]
#[test]
fn partial_header_then_silence() {
    let _serial = serial();
    runtime().block_on(async {
        let config = Config::default().with_write_queue_bytes(64 * 1024);
        let meter = Meter::start();
        let (session, mut peer) = Peer::connect(config.clone()).await;
        peer.send(|| raw_header(4, 0, 0, 3)[..5].to_vec());
        peer.flushed().await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(still_running(&session).await, "the session waits");
        meter.check_peak(
            "slowloris",
            FIXED + outbound_bound(&config) + 2 * READ_CHUNK,
            "FIXED + outbound + 2 * READ_CHUNK",
        );
        let seen = peer.close().await;
        assert!(seen.rst.is_empty() && seen.go_away.is_none());
        assert_eq!(session.wait().await.local, ErrorCode::PEER_EOF);
        drop(session);
        meter.check_released("slowloris").await;
    });
}

/// True when the session is still running after a short wait.
async fn still_running(session: &Session) -> bool {
    tokio::time::timeout(Duration::from_millis(100), session.wait())
        .await
        .is_err()
}

/// A peer that reads everything but never sends WNDINC while the application writes 8 windows'
/// worth: exactly W bytes leave, the writer then waits, and the bytes the session holds stay
/// within its write queue. When the peer closes, the waiting writer fails.
///
/// checks: [FLOW-3] [LIMIT-6] [SESSION-2]
#[test]
fn zero_window_peer() {
    let _serial = serial();
    runtime().block_on(async {
        let config = Config::default()
            .with_max_window_size(64 * 1024)
            .with_max_frame_size(16 * 1024)
            .with_write_queue_bytes(32 * 1024);
        let window = config.max_window_size as usize;
        let payload = vec![7u8; 8 * window];
        let meter = Meter::start();
        let (session, peer) = Peer::connect(config.clone()).await;
        let mut stream = session.open().unwrap();
        let id = stream.id().get();
        let writer = tokio::spawn(async move {
            let result = stream.write_all(&payload).await;
            (stream, result)
        });
        peer.wait_for("a window of data", |s| {
            s.data.get(&id).copied() >= Some(window)
        })
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(peer.seen.lock().unwrap().data.get(&id), Some(&window));
        assert!(!writer.is_finished(), "the writer waits for WNDINC");
        meter.check_peak(
            "zero window",
            FIXED + PER_STREAM + outbound_bound(&config) + READ_CHUNK,
            "FIXED + PER_STREAM + 4 * (write_queue_bytes + 1.5 * READ_CHUNK) + READ_CHUNK",
        );
        peer.close().await;
        let (stream, result) = writer.await.unwrap();
        let err = result.expect_err("the session ended under the writer");
        assert_eq!(
            muxado_reference::stream_error(&err),
            Some(&Error::SessionEnded(ErrorCode::SESSION_CLOSED))
        );
        drop(stream);
        assert_eq!(session.wait().await.local, ErrorCode::PEER_EOF);
        drop(session);
        meter.check_released("zero window").await;
    });
}

/// 100,000 streams the peer opens (SYN with 16 bytes) and resets at once, while the application
/// accepts and drops them; then 100,000 the application opens, writes to and resets. Nothing
/// leaks: the session's stream count returns to 0 and its heap to near the baseline.
///
/// checks: [STREAM-9] [STREAM-10] [RST-4] [STREAM-11] [LIMIT-2] [LIMIT-3]
#[test]
fn hundred_thousand_streams_opened_and_reset() {
    let _serial = serial();
    runtime().block_on(async {
        let config = Config::default().with_write_queue_bytes(64 * 1024);
        const N: u32 = 100_000;
        let marker = 3 + 2 * N + 1000;
        let meter = Meter::start();
        let (session, mut peer) = Peer::connect(config.clone()).await;
        let acceptor = {
            let session = session.clone();
            tokio::spawn(async move {
                let mut accepted = 0usize;
                while let Ok(stream) = session.accept().await {
                    accepted += 1;
                    drop(stream);
                }
                accepted
            })
        };
        peer.send(move || {
            let mut bytes = Vec::new();
            for i in 0..N {
                let id = 3 + 2 * i;
                syn(&mut bytes, id, &[0; 16], false);
                encode(
                    Frame::Rst(Rst {
                        stream_id: StreamId::new(id),
                        error_code: ErrorCode::STREAM_CANCELLED,
                    }),
                    &mut bytes,
                );
            }
            // DATA for a stream never opened: its RST STREAM_CLOSED says all before it was read.
            data(&mut bytes, marker, b"x");
            bytes
        });
        peer.wait_for("the marker's RST", |s| {
            s.last_rst == Some((marker, ErrorCode::STREAM_CLOSED))
        })
        .await;
        let deadline = Instant::now() + LIMIT;
        while session.stream_count() > 0 {
            assert!(Instant::now() < deadline, "streams left: {}", session.stream_count());
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // The application's own streams: open, write (SYN), reset, drop.
        for _ in 0..N {
            let mut stream = session.open().unwrap();
            stream.write_all(b"y").await.unwrap();
            let _ = stream.reset(ErrorCode::STREAM_CANCELLED);
        }
        let local_last = 2 * N;
        peer.wait_for("the last local RST", |s| {
            s.rsts(ErrorCode::STREAM_CANCELLED) >= N as usize
        })
        .await;
        assert_eq!(session.stream_count(), 0);
        let live = meter.live();
        // With no stream left, what remains is the session's fixed part and the capacity its
        // buffers keep: 200,000 leaked streams would be megabytes above this.
        let bound = FIXED + outbound_bound(&config) + 3 * READ_CHUNK + RECENTLY_RESET;
        println!(
            "streams opened and reset: live {live} B above baseline with 0 streams, bound {bound} B = FIXED + outbound + 3 * READ_CHUNK + RECENTLY_RESET"
        );
        assert!(live <= bound as isize);
        meter.check_peak(
            "streams opened and reset",
            FIXED + config.accept_backlog * PER_STREAM + outbound_bound(&config) + 2 * READ_CHUNK + RECENTLY_RESET,
            "FIXED + accept_backlog * PER_STREAM + outbound + 2 * READ_CHUNK + RECENTLY_RESET",
        );
        let seen = peer.close().await;
        assert_eq!(seen.data.get(&local_last), Some(&1));
        assert_eq!(session.wait().await.local, ErrorCode::PEER_EOF);
        let accepted = acceptor.await.unwrap();
        println!(
            "streams opened and reset: {accepted} of {N} peer streams accepted, {} refused",
            seen.rsts(ErrorCode::ACCEPT_QUEUE_FULL)
        );
        assert_eq!(accepted + seen.rsts(ErrorCode::ACCEPT_QUEUE_FULL), N as usize);
        drop(session);
        meter.check_released("streams opened and reset").await;
    });
}

/// A frame of an unknown type (0x7) with the largest length, 2^24-1: skipped as it arrives,
/// never buffered whole (the session's input holds at most one read chunk), and the frame
/// after it is read from the right place.
///
/// checks: [FRAME-11] [FRAME-10] [LIMIT-5]
#[test]
fn unknown_type_of_the_largest_length() {
    let _serial = serial();
    runtime().block_on(async {
        let config = Config::default().with_write_queue_bytes(64 * 1024);
        let meter = Meter::start();
        let (session, mut peer) = Peer::connect(config.clone()).await;
        peer.send(|| {
            let mut bytes = raw_header(MAX_BODY_LEN, 0x7, 0xF, 0x7FFF_FFFF).to_vec();
            bytes.extend((0..MAX_BODY_LEN).map(|i| (i % 253) as u8));
            syn(&mut bytes, 3, b"after the unknown frame", true);
            bytes
        });
        let (id, result) = accept_and_read(&session).await;
        assert_eq!(
            (id, result.unwrap()),
            (3, b"after the unknown frame".to_vec())
        );
        meter.check_peak(
            "unknown type 2^24-1",
            FIXED + 2 * READ_CHUNK + READ_CHUNK + PER_STREAM + outbound_bound(&config),
            "FIXED + 2 * READ_CHUNK (input) + READ_CHUNK (read buffer) + PER_STREAM + outbound",
        );
        let seen = peer.close().await;
        assert!(
            seen.rst.is_empty() && seen.go_away.is_none(),
            "{}",
            summary(&seen)
        );
        assert_eq!(session.wait().await.local, ErrorCode::PEER_EOF);
        drop(session);
        meter.check_released("unknown type 2^24-1").await;
    });
}
