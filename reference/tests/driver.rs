//! The tokio driver over real transports: in-memory duplex pipes and TCP on 127.0.0.1.

use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use muxado_reference::frame::ErrorCode;
use muxado_reference::{Config, Error, Role};
use muxado_reference::{Heartbeat, HeartbeatConfig, HeartbeatEvent, Session, Stream, stream_error};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

/// Every test is bounded: a hang is a failure with a message, never a stuck run.
const LIMIT: Duration = Duration::from_secs(30);

/// The transports every case runs over.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Duplex,
    Tcp,
    /// A duplex pipe whose writes take at most a segment and would block every third call:
    /// a write from an application's task that cannot finish is taken over by the driver.
    Stingy,
}

/// A transport that takes at most `SEGMENT` bytes per write and answers every third write
/// with `Pending` (waking the writer at once, as a socket that became writable again would).
struct Stingy {
    inner: tokio::io::DuplexStream,
    calls: u32,
}

impl Stingy {
    const SEGMENT: usize = 1500;
}

impl tokio::io::AsyncRead for Stingy {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Stingy {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.calls += 1;
        if self.calls % 3 == 0 {
            cx.waker().wake_by_ref();
            return std::task::Poll::Pending;
        }
        let n = data.len().min(Self::SEGMENT);
        std::pin::Pin::new(&mut self.inner).poll_write(cx, &data[..n])
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl Kind {
    async fn pair(self, config: Config) -> (Session, Session) {
        self.pair_of(config.clone(), config).await
    }

    /// A client and a server session with their own configurations.
    async fn pair_of(self, client: Config, server: Config) -> (Session, Session) {
        match self {
            Kind::Duplex => {
                let (a, b) = tokio::io::duplex(256 * 1024);
                (Session::client(a, client), Session::server(b, server))
            }
            Kind::Stingy => {
                let (a, b) = tokio::io::duplex(256 * 1024);
                let (a, b) = (Stingy { inner: a, calls: 0 }, Stingy { inner: b, calls: 0 });
                (Session::client(a, client), Session::server(b, server))
            }
            Kind::Tcp => {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                let (dialed, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
                (
                    Session::from_tcp(dialed.unwrap(), Role::Client, client),
                    Session::from_tcp(accepted.unwrap().0, Role::Server, server),
                )
            }
        }
    }
}

/// Generates one `#[tokio::test]` per case and transport, so a failure names both.
macro_rules! over_both_transports {
    ($($case:ident, checks: $checks:literal;)*) => {
        mod duplex {
            use super::*;
            $(
                #[doc = concat!("checks: ", $checks)]
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(Kind::Duplex).await
                }
            )*
        }
        mod tcp {
            use super::*;
            $(
                #[doc = concat!("checks: ", $checks)]
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(Kind::Tcp).await
                }
            )*
        }
        mod stingy {
            use super::*;
            $(
                #[doc = concat!("checks: ", $checks)]
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(Kind::Stingy).await
                }
            )*
        }
    };
}

/// Echoes every accepted stream until the session ends.
fn spawn_echo(session: Session) {
    tokio::spawn(async move {
        while let Ok(mut stream) = session.accept().await {
            tokio::spawn(async move {
                let (mut rd, mut wr) = tokio::io::split(&mut stream);
                let _ = tokio::io::copy(&mut rd, &mut wr).await;
                let _ = stream.shutdown().await;
            });
        }
    });
}

fn code_of(err: &std::io::Error) -> Option<ErrorCode> {
    stream_error(err).map(Error::code)
}

fn checksum(data: &[u8]) -> u64 {
    muxado_testkit::fnv::fnv1a(data)
}

fn pseudo_random(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

async fn echo(kind: Kind) {
    timeout(LIMIT, async {
        let (client, server) = kind.pair(Config::default()).await;
        spawn_echo(server);
        let mut stream = client.open().unwrap();
        assert_eq!(stream.id().get(), 3, "clients start at 3");
        stream.write_all(b"hello muxado").await.unwrap();
        stream.shutdown().await.unwrap();
        let mut back = Vec::new();
        stream.read_to_end(&mut back).await.unwrap();
        assert_eq!(back, b"hello muxado");
    })
    .await
    .expect("timed out");
}

async fn thousand_concurrent_streams(kind: Kind) {
    timeout(LIMIT * 2, async {
        // All 1,000 SYNs may arrive before the echo task accepts one: room for all of them.
        let config = Config::default().with_accept_backlog(1000);
        let (client, server) = kind.pair(config).await;
        spawn_echo(server);
        let mut tasks = Vec::new();
        for i in 0..1000u64 {
            let client = client.clone();
            tasks.push(tokio::spawn(async move {
                let data = pseudo_random(i, 1 + (i as usize * 7919) % 20_000);
                let mut stream = client.open().unwrap();
                let (mut rd, mut wr) = tokio::io::split(&mut stream);
                let writer = async {
                    wr.write_all(&data).await.unwrap();
                    wr.shutdown().await.unwrap();
                };
                let mut back = Vec::new();
                let reader = rd.read_to_end(&mut back);
                let ((), read) = tokio::join!(writer, reader);
                read.unwrap();
                assert_eq!(checksum(&back), checksum(&data), "stream {i}");
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    })
    .await
    .expect("timed out");
}

/// 1,000 streams opened at once, each SYN with a few bytes, against a server with the default
/// backlog of 128 that accepts and echoes as fast as it can: the SYNs arrive in a handful of
/// reads, and none is refused, since a SYN that finds the backlog full waits for the accept
/// loop instead ([STREAM-14]).
async fn thousand_streams_at_once_with_the_default_backlog(kind: Kind) {
    timeout(LIMIT * 2, async {
        let (client, server) = kind.pair(Config::default()).await;
        spawn_echo(server);
        // Every SYN is queued before the first reply is awaited: no await below yields.
        let mut streams = Vec::new();
        for i in 0..1000u32 {
            let mut stream = client.open().unwrap();
            stream.write_all(&i.to_be_bytes()).await.unwrap();
            stream.shutdown().await.unwrap();
            streams.push(stream);
        }
        let tasks: Vec<_> = streams
            .into_iter()
            .enumerate()
            .map(|(i, mut stream)| {
                tokio::spawn(async move {
                    let mut back = Vec::new();
                    match stream.read_to_end(&mut back).await {
                        Ok(_) => {
                            assert_eq!(back, (i as u32).to_be_bytes(), "stream {i}");
                            None
                        }
                        Err(err) => Some(code_of(&err)),
                    }
                })
            })
            .collect();
        let mut refused = Vec::new();
        for task in tasks {
            if let Some(code) = task.await.unwrap() {
                refused.push(code);
            }
        }
        assert!(refused.is_empty(), "{} refused: {refused:?}", refused.len());
    })
    .await
    .expect("timed out");
}

/// 64 MiB through one stream to a reader that pauses: the sender stalls on the window and
/// resumes, nothing is lost or reordered, and the receiver never buffers more than its limits
/// allow (window + one read of input).
async fn sixty_four_mib_to_a_slow_reader(kind: Kind) {
    timeout(LIMIT * 2, async {
        let config = Config::default();
        let bound = config.max_window_size as usize + 64 * 1024 + 8;
        let (client, server) = kind.pair(config).await;
        const TOTAL: usize = 64 << 20;
        let writer = tokio::spawn(async move {
            let mut stream = client.open().unwrap();
            let chunk = pseudo_random(7, 1 << 20);
            for _ in 0..TOTAL / chunk.len() {
                stream.write_all(&chunk).await.unwrap();
            }
            stream.shutdown().await.unwrap();
            (checksum(&chunk), client)
        });
        let mut stream = server.accept().await.unwrap();
        let mut buf = vec![0u8; 256 * 1024];
        let mut received = 0;
        let mut peak = 0;
        let mut chunk = Vec::with_capacity(1 << 20);
        let mut sums = Vec::new();
        loop {
            let n = stream.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            received += n;
            chunk.extend_from_slice(&buf[..n]);
            while chunk.len() >= 1 << 20 {
                sums.push(checksum(&chunk[..1 << 20]));
                chunk.drain(..1 << 20);
                // A slow reader: the sender fills the window and waits.
                tokio::time::sleep(Duration::from_millis(2)).await;
                peak = peak.max(server.buffered_bytes());
            }
        }
        let (expected, _client) = writer.await.unwrap();
        assert_eq!(received, TOTAL);
        assert!(
            sums.iter().all(|s| *s == expected),
            "a chunk arrived corrupted or reordered"
        );
        assert!(peak <= bound, "buffered {peak} bytes, bound {bound}");
    })
    .await
    .expect("timed out");
}

async fn half_close_in_each_direction(kind: Kind) {
    timeout(LIMIT, async {
        let (client, server) = kind.pair(Config::default()).await;
        // Client half-closes first, then still reads what the server sends.
        let mut a = client.open().unwrap();
        a.write_all(b"request").await.unwrap();
        a.shutdown().await.unwrap();
        let mut b = server.accept().await.unwrap();
        let mut got = Vec::new();
        b.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"request");
        b.write_all(b"response after the peer's FIN").await.unwrap();
        b.shutdown().await.unwrap();
        let mut back = Vec::new();
        a.read_to_end(&mut back).await.unwrap();
        assert_eq!(back, b"response after the peer's FIN");

        // Server half-closes first, then still reads what the client sends.
        let mut c = client.open().unwrap();
        c.write_all(b"x").await.unwrap();
        let mut d = server.accept().await.unwrap();
        d.shutdown().await.unwrap();
        let mut nothing = Vec::new();
        let mut first = [0u8; 1];
        d.read_exact(&mut first).await.unwrap();
        c.read_to_end(&mut nothing).await.unwrap();
        assert!(nothing.is_empty());
        c.write_all(b"more after the server's FIN").await.unwrap();
        c.shutdown().await.unwrap();
        let mut rest = Vec::new();
        d.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"more after the server's FIN");
    })
    .await
    .expect("timed out");
}

async fn server_initiated_streams(kind: Kind) {
    timeout(LIMIT, async {
        let (client, server) = kind.pair(Config::default()).await;
        spawn_echo(client);
        for expected_id in [2, 4, 6] {
            let mut stream = server.open().unwrap();
            assert_eq!(stream.id().get(), expected_id);
            stream.write_all(b"from the server").await.unwrap();
            stream.shutdown().await.unwrap();
            let mut back = Vec::new();
            stream.read_to_end(&mut back).await.unwrap();
            assert_eq!(back, b"from the server");
        }
    })
    .await
    .expect("timed out");
}

async fn reset_mid_transfer_is_seen_with_its_code(kind: Kind) {
    timeout(LIMIT, async {
        let (client, server) = kind.pair(Config::default()).await;
        let mut a = client.open().unwrap();
        a.write_all(&[1; 100_000]).await.unwrap();
        let mut b = server.accept().await.unwrap();
        let mut some = [0u8; 1000];
        b.read_exact(&mut some).await.unwrap();
        a.reset(ErrorCode::STREAM_CANCELLED)
            .expect("the session is alive");
        let err = loop {
            match b.read(&mut some).await {
                Ok(0) => panic!("a reset stream must not end cleanly"),
                Ok(_) => continue,
                Err(err) => break err,
            }
        };
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
        assert_eq!(code_of(&err), Some(ErrorCode::STREAM_CANCELLED));
        let err = a.write_all(b"late").await.unwrap_err();
        assert_eq!(code_of(&err), Some(ErrorCode::STREAM_CANCELLED));
    })
    .await
    .expect("timed out");
}

async fn goaway_code_and_debug_reach_wait(kind: Kind) {
    timeout(LIMIT, async {
        let (client, server) = kind.pair(Config::default()).await;
        server
            .close_with(ErrorCode::ENHANCE_YOUR_CALM, b"too many requests")
            .await;
        let ended = client.wait().await;
        assert_eq!(ended.local, ErrorCode::PEER_EOF);
        let remote = ended.remote.expect("GOAWAY received");
        assert_eq!(remote.error_code, ErrorCode::ENHANCE_YOUR_CALM);
        assert_eq!(remote.debug, b"too many requests");
        assert_eq!(
            remote.last_stream_id.get(),
            1,
            "a server that accepted nothing says 1"
        );
        assert_eq!(server.wait().await.local, ErrorCode::SESSION_CLOSED);
        assert!(matches!(client.open(), Err(Error::SessionEnded(_))));
    })
    .await
    .expect("timed out");
}

async fn accept_backlog_overflow_is_answered_with_accept_queue_full(kind: Kind) {
    timeout(LIMIT, async {
        let config = Config::default().with_accept_backlog(2);
        let (client, server) = kind.pair(config).await;
        let mut streams = Vec::new();
        for _ in 0..3 {
            let mut stream = client.open().unwrap();
            stream.write_all(b"hi").await.unwrap();
            streams.push(stream);
        }
        let mut buf = [0u8; 4];
        let err = streams[2].read(&mut buf).await.unwrap_err();
        assert_eq!(code_of(&err), Some(ErrorCode::ACCEPT_QUEUE_FULL));
        // The first two are queued and still work.
        let mut first = server.accept().await.unwrap();
        first.read_exact(&mut buf[..2]).await.unwrap();
        assert_eq!(&buf[..2], b"hi");
    })
    .await
    .expect("timed out");
}

async fn stream_ids_run_out_at_two_to_the_31(kind: Kind) {
    timeout(LIMIT, async {
        let (client, server) = kind.pair(Config::default()).await;
        spawn_echo(server);
        client.skip_stream_ids_to(0x7FFF_FFFD);
        let mut last = None;
        for expected in [0x7FFF_FFFD, 0x7FFF_FFFF] {
            let mut stream = client.open().unwrap();
            assert_eq!(stream.id().get(), expected);
            stream.write_all(b"edge").await.unwrap();
            stream.shutdown().await.unwrap();
            let mut back = Vec::new();
            stream.read_to_end(&mut back).await.unwrap();
            assert_eq!(back, b"edge");
            last = Some(stream);
        }
        assert!(matches!(client.open(), Err(Error::StreamsExhausted)));
        // The session goes on for the streams it has.
        drop(last);
        assert!(client.remote_go_away().is_none());
    })
    .await
    .expect("timed out");
}

async fn deadlines_fire_and_drop_closes_the_stream(kind: Kind) {
    timeout(LIMIT, async {
        let (client, server) = kind
            .pair(Config::default().with_max_window_size(1024))
            .await;
        let mut a = client.open().unwrap();
        a.write_all(b"x").await.unwrap();
        let mut b = server.accept().await.unwrap();
        let mut buf = [0u8; 8];
        b.read_exact(&mut buf[..1]).await.unwrap();
        // Read deadline: nothing more comes.
        b.set_read_deadline(Some(
            tokio::time::Instant::now() + Duration::from_millis(50),
        ));
        let err = b.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        // Write deadline: the peer does not read, the 1 KiB window fills.
        a.set_write_deadline(Some(
            tokio::time::Instant::now() + Duration::from_millis(50),
        ));
        let err = a.write_all(&[0; 4096]).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        // Dropping the opener closes its half: the acceptor reads the rest, then EOF.
        drop(a);
        b.set_read_deadline(None);
        let mut rest = Vec::new();
        b.read_to_end(&mut rest).await.unwrap();
        // The first byte was read and credited, so the window let a whole 1 KiB through.
        assert_eq!(
            rest.len(),
            1024,
            "the bytes the window let through, then EOF"
        );
    })
    .await
    .expect("timed out");
}

async fn typed_streams_both_ways(kind: Kind) {
    timeout(LIMIT, async {
        let (client, server) = kind.pair(Config::default()).await;
        let mut a = client.open_typed(0x0102_0304).await.unwrap();
        a.write_all(b"typed").await.unwrap();
        a.shutdown().await.unwrap();
        let (mut b, stream_type) = server.accept_typed().await.unwrap();
        assert_eq!(stream_type, 0x0102_0304);
        let mut got = Vec::new();
        b.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"typed");

        let mut c = server.open_typed(42).await.unwrap();
        c.write_all(b"back").await.unwrap();
        let (mut d, stream_type) = client.accept_typed().await.unwrap();
        assert_eq!(stream_type, 42);
        let mut four = [0u8; 4];
        d.read_exact(&mut four).await.unwrap();
        assert_eq!(&four, b"back");
    })
    .await
    .expect("timed out");
}

async fn heartbeat_reports_round_trip_times(kind: Kind) {
    timeout(LIMIT, async {
        let (client, server) = kind.pair(Config::default()).await;
        let config = HeartbeatConfig::default()
            .with_interval(Duration::from_millis(20))
            .with_tolerance(Duration::from_millis(500));
        let (events, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let beating = Heartbeat::start(client, config.clone(), move |e| {
            let _ = events.send(e);
        });
        let responder = Heartbeat::start(server, config, |_| {});
        tokio::spawn(async move {
            let _ = responder.accept_typed().await;
        });
        for _ in 0..3 {
            let event = rx.recv().await.unwrap();
            assert!(matches!(event, HeartbeatEvent::Rtt(_)), "{event:?}");
        }
        assert!(
            beating.beat().await.is_some(),
            "an on-demand beat is answered"
        );
    })
    .await
    .expect("timed out");
}

async fn heartbeat_detects_a_peer_that_stops_answering(kind: Kind) {
    timeout(LIMIT, async {
        let (client, server) = kind.pair(Config::default()).await;
        let config = HeartbeatConfig::default()
            .with_interval(Duration::from_millis(20))
            .with_tolerance(Duration::from_millis(100));
        let (events, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let started = tokio::time::Instant::now();
        let _beating = Heartbeat::start(client, config, move |e| {
            let _ = events.send(e);
        });
        // The peer accepts the heartbeat stream and never echoes.
        let _silent: Stream = server.accept().await.unwrap();
        let event = rx.recv().await.unwrap();
        assert_eq!(event, HeartbeatEvent::Timeout);
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(120),
            "reported after {waited:?}, before interval + tolerance"
        );
    })
    .await
    .expect("timed out");
}

async fn incoming_is_a_stream_of_streams(kind: Kind) {
    timeout(LIMIT, async {
        let (client, server) = kind.pair(Config::default()).await;
        let mut incoming = server.incoming();
        let mut opened = Vec::new();
        for _ in 0..2 {
            let mut s = client.open().unwrap();
            s.write_all(b"x").await.unwrap();
            opened.push(s);
        }
        let mut ids = Vec::new();
        for _ in 0..2 {
            let next = std::future::poll_fn(|cx| {
                futures_core::Stream::poll_next(std::pin::Pin::new(&mut incoming), cx)
            })
            .await;
            ids.push(next.unwrap().id().get());
        }
        assert_eq!(ids, [3, 5]);
        // The client session closes once its handle and its streams are gone.
        drop(opened);
        drop(client);
        let end = std::future::poll_fn(|cx| {
            futures_core::Stream::poll_next(std::pin::Pin::new(&mut incoming), cx)
        })
        .await;
        assert!(end.is_none(), "the stream of streams ends with the session");
        // The reason stays readable: the client closed the session with GOAWAY NO_ERROR.
        let termination = incoming.termination().expect("the session ended");
        let remote = termination.remote.expect("the client sent GOAWAY");
        assert_eq!(remote.error_code, ErrorCode::NO_ERROR);
    })
    .await
    .expect("timed out");
}

/// A peer that echoes the wrong bytes: the requester stops, and failures are reported.
async fn heartbeat_stops_on_a_wrong_echo(kind: Kind) {
    timeout(LIMIT, async {
        let (client, server) = kind.pair(Config::default()).await;
        let config = HeartbeatConfig::default()
            .with_interval(Duration::from_millis(20))
            .with_tolerance(Duration::from_millis(100));
        let (events, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let beating = Heartbeat::start(client, config, move |e| {
            let _ = events.send(e);
        });
        let (mut stream, stream_type) = server.accept_typed().await.unwrap();
        assert_eq!(stream_type, 0xFFFF_FFFF);
        let mut beat = [0u8; 4];
        stream.read_exact(&mut beat).await.unwrap();
        beat[3] ^= 1;
        stream.write_all(&beat).await.unwrap();
        assert!(
            matches!(stream.read(&mut beat).await, Ok(0) | Err(_)),
            "the requester closes its stream after a wrong echo"
        );
        assert_eq!(rx.recv().await.unwrap(), HeartbeatEvent::Timeout);
        assert_eq!(
            rx.recv().await.unwrap(),
            HeartbeatEvent::Timeout,
            "no beat after a wrong echo"
        );
        // A beat asked for once the beats stopped is refused at once, not after the tolerance.
        let mut demand = std::pin::pin!(beating.beat());
        let first = std::future::poll_fn(|cx| Poll::Ready(demand.as_mut().poll(cx))).await;
        assert_eq!(first, Poll::Ready(None));
    })
    .await
    .expect("timed out");
}

/// Windows are not negotiated: a sender configured with a larger window than its peer's
/// overruns it and the stream is reset with FLOW_CONTROL_ERROR.
async fn mismatched_windows_end_in_flow_control_error(kind: Kind) {
    timeout(LIMIT, async {
        let big = Config::default().with_max_window_size(1 << 20);
        let (a, b) = kind.pair_of(big, Config::default()).await;
        let mut stream = a.open().unwrap();
        // 512 KiB fits the sender's 1 MiB window but not the receiver's 256 KiB one.
        let err = loop {
            match stream.write_all(&[0u8; 64 * 1024]).await {
                Ok(()) => continue,
                Err(err) => break err,
            }
        };
        assert_eq!(code_of(&err), Some(ErrorCode::FLOW_CONTROL_ERROR));
        drop(b);
    })
    .await
    .expect("timed out");
}

/// A transport whose every read fails, as a reset socket's does; writes vanish.
struct Broken;

impl tokio::io::AsyncRead for Broken {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        _: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Poll::Ready(Err(std::io::ErrorKind::ConnectionReset.into()))
    }
}

impl tokio::io::AsyncWrite for Broken {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// A transport failure that carries no muxado code ends the session with `UNKNOWN`: the
/// session's own error, which `wait` and every later session operation report.
///
/// checks: [SESSION-8] [SESSION-4]
#[tokio::test]
async fn a_failed_transport_read_ends_the_session_with_unknown() {
    let session = Session::client(Broken, Config::default());
    let end = timeout(LIMIT, session.wait())
        .await
        .expect("the session ends");
    assert_eq!(end.local, ErrorCode::UNKNOWN);
    let err = session.open().expect_err("open after the end");
    assert_eq!(err.code(), ErrorCode::UNKNOWN);
}

// Every case, over an in-memory duplex pipe and over TCP on 127.0.0.1.
over_both_transports! {
    echo, checks: "[STREAM-1] [STREAM-4] [STREAM-6] [ID-2]";
    thousand_concurrent_streams, checks: "[STREAM-4] [FLOW-3] [FLOW-6] [ID-4] [LIMIT-6]";
    thousand_streams_at_once_with_the_default_backlog, checks: "[STREAM-14] [STREAM-4] [LIMIT-3]";
    sixty_four_mib_to_a_slow_reader, checks: "[FLOW-3] [FLOW-4] [FLOW-5] [FLOW-6] [LIMIT-1]";
    half_close_in_each_direction, checks: "[STREAM-6] [STREAM-10] [DATA-3]";
    server_initiated_streams, checks: "[ID-1] [ID-2] [ID-4]";
    reset_mid_transfer_is_seen_with_its_code, checks: "[RST-3] [RST-4] [STREAM-11]";
    goaway_code_and_debug_reach_wait, checks: "[GOAWAY-9] [SESSION-1] [SESSION-3]";
    accept_backlog_overflow_is_answered_with_accept_queue_full, checks: "[STREAM-5] [LIMIT-3]";
    stream_ids_run_out_at_two_to_the_31, checks: "[ID-5]";
    deadlines_fire_and_drop_closes_the_stream, checks: "[STREAM-9]";
    typed_streams_both_ways, checks: "[TYPED-1] [TYPED-2] [TYPED-3]";
    heartbeat_reports_round_trip_times, checks: "[HEARTBEAT-1] [HEARTBEAT-2] [HEARTBEAT-5] [TYPED-4]";
    heartbeat_detects_a_peer_that_stops_answering, checks: "[HEARTBEAT-3]";
    incoming_is_a_stream_of_streams, checks: "[STREAM-4]";
    heartbeat_stops_on_a_wrong_echo, checks: "[HEARTBEAT-4]";
    mismatched_windows_end_in_flow_control_error, checks: "[FLOW-9] [FLOW-4]";
}
