//! The tokio driver: the API a Rust user expects, over any `AsyncRead + AsyncWrite` transport.
//!
//! One task per session moves bytes between the transport and the
//! sans-IO [`Machine`]; [`Session`] and [`Stream`] are handles onto it. A write
//! from outside the runtime's tasks (a `block_on`, a thread of its own) sends its frames
//! itself while the transport is idle, rather than wake a parked worker to do it; the driver
//! task reads, and writes the rest. Writes
//! are batched (every frame queued while the transport was busy leaves in one write), large
//! writes are split at the window and at `Config::max_frame_size`, and WNDINC frames are
//! coalesced as SPEC [FLOW-6] allows.

mod error;
mod heartbeat;
mod shared;
mod stream;
mod task;

use std::future::poll_fn;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::net::TcpStream;

pub use error::Error;
pub use heartbeat::{Heartbeat, HeartbeatConfig, HeartbeatEvent};
pub use stream::{ReadHalf, Stream, WriteHalf, stream_error};

use crate::frame::ErrorCode;
use crate::session::{self, Config, Machine, Role, Termination};
use shared::{Handle, Shared};

/// A muxado session over a transport (Go's `Session`). Cheap to clone. The session is closed
/// by [`Session::close`], or once every clone and every stream of it has been dropped.
///
/// Must be created inside a tokio runtime: it spawns the task that drives the transport.
#[derive(Clone)]
pub struct Session {
    handle: Arc<Handle>,
}

impl Session {
    /// A client session: opens odd stream ids from 3 (Go's `Client`).
    pub fn client<T>(io: T, config: Config) -> Session
    where
        T: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        Session::with_addresses(io, Role::Client, config, None, None)
    }

    /// A server session: opens even stream ids from 2 (Go's `Server`).
    pub fn server<T>(io: T, config: Config) -> Session
    where
        T: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        Session::with_addresses(io, Role::Server, config, None, None)
    }

    /// A session over a TCP connection, which knows its addresses. Disables Nagle's algorithm,
    /// as Go does for every TCP connection: frames are batched by the driver already, and a
    /// small frame (a WNDINC, a heartbeat) must not wait for an ACK.
    pub fn from_tcp(tcp: TcpStream, role: Role, config: Config) -> Session {
        let _ = tcp.set_nodelay(true);
        let (local, remote) = (tcp.local_addr().ok(), tcp.peer_addr().ok());
        Session::with_addresses(tcp, role, config, local, remote)
    }

    /// A session over any transport, with the addresses its streams report.
    pub fn with_addresses<T>(
        io: T,
        role: Role,
        config: Config,
        local: Option<SocketAddr>,
        remote: Option<SocketAddr>,
    ) -> Session
    where
        T: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        let (reader, writer) = tokio::io::split(io);
        let shared = Shared::new(Machine::new(role, config), Box::pin(writer), local, remote);
        tokio::spawn(task::run(reader, shared.clone()));
        Session {
            handle: Arc::new(Handle { shared }),
        }
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.handle.shared
    }

    /// Opens a stream (Go's `OpenStream`). Nothing is sent until the first write or
    /// half-close (SPEC [STREAM-1]), so there is nothing to wait for: the stream id is
    /// allocated at once, or the session says why not (it ended, the peer sent GOAWAY, the
    /// ids ran out). Opening is never limited by the peer: muxado has no limit a peer
    /// announces, and a SYN the peer cannot take is refused by RST, which the stream reports.
    pub fn open(&self) -> Result<Stream, Error> {
        let id = self.shared().with(|proto| proto.open())?;
        Ok(Stream::new(id, self.handle.clone()))
    }

    /// Waits for the next stream the peer opens (Go's `AcceptStream`); fails once the session
    /// ended.
    pub async fn accept(&self) -> Result<Stream, Error> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<Result<Stream, Error>> {
        let shared = self.shared();
        let mut state = shared.lock();
        state.proto.handle_timeout(shared.epoch.elapsed());
        let paused = state.proto.paused_for_backlog();
        if let Some(id) = state.proto.accept() {
            // [STREAM-14] the room this made lets input held behind a SYN go on, within the
            // call: its events are dispatched, and the driver sends what it provoked and
            // reads again.
            state.dispatch();
            let output = state.proto.has_output();
            drop(state);
            if paused {
                shared.driver.notify_one();
            }
            if output {
                shared.send();
            }
            return Poll::Ready(Ok(Stream::new(id, self.handle.clone())));
        }
        if let Some(t) = state.proto.termination() {
            return Poll::Ready(Err(Error::SessionEnded(t.local)));
        }
        state.accept.push(cx.waker().clone());
        Poll::Pending
    }

    /// The incoming streams as a `futures_core::Stream`, for use as a listener. It ends when
    /// the session ends; [`Incoming::termination`] then says why.
    pub fn incoming(&self) -> Incoming {
        Incoming {
            session: self.clone(),
        }
    }

    /// Opens a typed stream: its first 4 bytes, in one frame, are the type
    /// (SPEC [TYPED-1], [TYPED-2]) (Go's `OpenTypedStream`). Unlike [`Session::open`] this
    /// sends, so it waits while the write queue is full (SPEC [LIMIT-6]).
    pub async fn open_typed(&self, stream_type: u32) -> Result<Stream, Error> {
        let stream = self.open()?;
        let id = stream.id();
        let prefix = stream_type.to_be_bytes();
        poll_fn(|cx| {
            let mut state = self.shared().lock();
            let result = state.proto.write_whole(id, &prefix);
            state.dispatch();
            match result {
                Ok(true) => {
                    drop(state);
                    self.shared().send();
                    Poll::Ready(Ok(()))
                }
                Ok(false) => {
                    state.streams.entry(id).or_default().write = Some(cx.waker().clone());
                    Poll::Pending
                }
                Err(err) => Poll::Ready(Err(Error::from(err))),
            }
        })
        .await?;
        Ok(stream)
    }

    /// Waits for the next typed stream and reads its 4-byte type (Go's `AcceptTypedStream`,
    /// which reads it with one `Read`, [INTEROP-3]; this reads exactly 4 bytes,
    /// SPEC [TYPED-3]). A stream that ends before its type is closed and skipped.
    pub async fn accept_typed(&self) -> Result<(Stream, u32), Error> {
        loop {
            let mut stream = self.accept().await?;
            let mut prefix = [0u8; 4];
            if stream.read_exact(&mut prefix).await.is_ok() {
                return Ok((stream, u32::from_be_bytes(prefix)));
            }
        }
    }

    /// Sends GOAWAY without ending the session: no new streams are accepted; open streams go
    /// on (SPEC [GOAWAY-6]). Go peers before v2.0.2 cannot read frames after a GOAWAY
    /// ([INTEROP-1]).
    pub fn go_away(&self, code: ErrorCode, debug: &[u8]) -> Result<(), Error> {
        Ok(self.shared().with(|proto| proto.go_away(code, debug))?)
    }

    /// Ends the session: GOAWAY `NO_ERROR`, then the transport is closed once it left (at
    /// most 250 ms later, as Go). Waits for the transport to close.
    pub async fn close(&self) {
        self.shared().with(|proto| proto.close());
        self.wait().await;
    }

    /// Ends the session with a GOAWAY carrying `code` and `debug` data, which the peer's
    /// [`Session::wait`] reports; waits for the transport to close.
    pub async fn close_with(&self, code: ErrorCode, debug: &[u8]) {
        self.shared().with(|proto| proto.close_with(code, debug));
        self.wait().await;
    }

    /// Bytes the session buffers for its streams and for unfinished input.
    pub fn buffered_bytes(&self) -> usize {
        self.shared().lock().proto.buffered_bytes()
    }

    /// Waits until the session ended and its transport closed, and says why (Go's `Wait`: the
    /// local error, and the remote's GOAWAY code and debug data).
    pub async fn wait(&self) -> Termination {
        poll_fn(|cx| {
            let mut state = self.shared().lock();
            match state.proto.termination() {
                Some(t) if state.driver_done => Poll::Ready(t.clone()),
                _ => {
                    state.session.push(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await
    }

    /// Streams the session still holds: open, or ended but not yet dropped by the application.
    /// 0 once every stream was closed or reset and dropped (SPEC [STREAM-9], [STREAM-10]).
    pub fn stream_count(&self) -> usize {
        self.shared().lock().proto.stream_count()
    }

    /// The GOAWAY the peer sent, if any, while the session may still be running.
    pub fn remote_go_away(&self) -> Option<session::RemoteGoAway> {
        self.shared().lock().proto.remote_go_away().cloned()
    }

    /// The transport's local address, if known (Go's `LocalAddr`, `Addr`).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.shared().local_addr
    }

    /// The transport's remote address, if known (Go's `RemoteAddr`).
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.shared().remote_addr
    }

    /// Test hook (feature `test-hooks`): see [`Machine::skip_stream_ids_to`].
    #[cfg(feature = "test-hooks")]
    pub fn skip_stream_ids_to(&self, next: u32) {
        self.shared().with(|proto| proto.skip_stream_ids_to(next));
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.shared().lock();
        f.debug_struct("Session")
            .field("role", &state.proto.role())
            .field("streams", &state.proto.stream_count())
            .field("ended", &state.proto.termination().map(|t| t.local))
            .finish()
    }
}

/// The incoming streams of a session, as a `futures_core::Stream`; ends when the session ends,
/// and [`Incoming::termination`] then says why.
#[derive(Debug)]
pub struct Incoming {
    session: Session,
}

impl Incoming {
    /// Why the session ended, once it has (the same as [`Session::wait`] reports, without
    /// waiting for the transport to close); `None` while it runs.
    pub fn termination(&self) -> Option<Termination> {
        self.session.shared().lock().proto.termination().cloned()
    }

    /// The session the streams arrive on.
    pub fn session(&self) -> &Session {
        &self.session
    }
}

impl futures_core::Stream for Incoming {
    type Item = Stream;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Stream>> {
        self.session.poll_accept(cx).map(Result::ok)
    }
}
