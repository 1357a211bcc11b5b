//! A stream of the tokio driver: `AsyncRead` + `AsyncWrite`, split halves, deadlines.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use crate::frame::{ErrorCode, StreamId};
use crate::session::{self, Read};

use super::Error;
use super::shared::{Handle, Sender, Shared, State};

/// What both halves of a stream share; dropping the last half closes the stream the way Go's
/// `Close` does (SPEC [STREAM-9]).
pub(crate) struct StreamInner {
    pub id: StreamId,
    pub shared: Arc<Shared>,
    /// Keeps the session open while the stream lives.
    _handle: Arc<Handle>,
}

impl Drop for StreamInner {
    fn drop(&mut self) {
        let id = self.id;
        self.shared.with(|proto| proto.close_stream(id));
        self.shared.lock().streams.remove(&id);
    }
}

fn io_error(err: impl Into<Error>) -> io::Error {
    io::Error::from(err.into())
}

/// The muxado error behind an I/O error returned by a stream, if there is one: its
/// [`Error::code`] is the muxado error code (Go's `GetError`).
pub fn stream_error(err: &io::Error) -> Option<&Error> {
    err.get_ref().and_then(|e| e.downcast_ref::<Error>())
}

/// A deadline and the timer that fires it.
#[derive(Default)]
struct Deadline {
    at: Option<Instant>,
    timer: Option<Pin<Box<Sleep>>>,
}

impl Deadline {
    fn set(&mut self, at: Option<Instant>) {
        self.at = at;
        self.timer = None;
    }

    /// `Err` once the deadline passed; otherwise arms the timer to wake `cx` at the deadline.
    fn poll(&mut self, cx: &mut Context<'_>) -> Result<(), Error> {
        let Some(at) = self.at else { return Ok(()) };
        if Instant::now() >= at {
            return Err(Error::Timeout);
        }
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Err(Error::Timeout),
            Poll::Pending => Ok(()),
        }
    }
}

/// Registers the task waiting on one side of a stream, before the call that may leave it
/// waiting, under the same lock: an event between the two still wakes it.
fn register(state: &mut State, id: StreamId, waker: &Waker, write: bool) {
    let slot = state.streams.entry(id).or_default();
    let slot = if write {
        &mut slot.write
    } else {
        &mut slot.read
    };
    *slot = Some(waker.clone());
}

/// The reading half of a stream.
pub struct ReadHalf {
    inner: Arc<StreamInner>,
    deadline: Deadline,
}

/// The writing half of a stream.
pub struct WriteHalf {
    inner: Arc<StreamInner>,
    deadline: Deadline,
}

/// A muxado stream: tokio `AsyncRead` + `AsyncWrite`; `shutdown` half-closes it with FIN, and
/// dropping it closes it like Go's `Close`.
pub struct Stream {
    read: ReadHalf,
    write: WriteHalf,
}

impl Stream {
    pub(crate) fn new(id: StreamId, handle: Arc<Handle>) -> Stream {
        let inner = Arc::new(StreamInner {
            id,
            shared: handle.shared.clone(),
            _handle: handle,
        });
        Stream {
            read: ReadHalf {
                inner: inner.clone(),
                deadline: Deadline::default(),
            },
            write: WriteHalf {
                inner,
                deadline: Deadline::default(),
            },
        }
    }

    /// The stream id (Go's `Id`).
    pub fn id(&self) -> StreamId {
        self.read.inner.id
    }

    /// The transport's local address, when the transport has one (Go's `LocalAddr`).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.read.inner.shared.local_addr
    }

    /// The transport's remote address, when the transport has one (Go's `RemoteAddr`).
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.read.inner.shared.remote_addr
    }

    /// Resets the stream with an error code: RST to the peer, and every pending and later
    /// operation fails (SPEC [STREAM-11]).
    pub fn reset(&self, code: ErrorCode) -> Result<(), Error> {
        let id = self.read.inner.id;
        Ok(self.read.inner.shared.with(|proto| proto.reset(id, code))?)
    }

    /// Half-closes the stream (Go's `CloseWrite`): FIN, as `AsyncWriteExt::shutdown` sends.
    /// Unlike `shutdown`, a second call fails with [`Error::StreamClosed`] (SPEC [STREAM-12]);
    /// `?` in a function returning `io::Result` turns the error into the `io::Error` that
    /// `shutdown` would give.
    pub fn close_write(&self) -> Result<(), Error> {
        let id = self.read.inner.id;
        Ok(self.read.inner.shared.with(|proto| proto.close_write(id))?)
    }

    /// Reads fail with a timeout once `deadline` passes (Go's `SetReadDeadline`, which does
    /// nothing in Go 2016; here it works). `None` removes it.
    pub fn set_read_deadline(&mut self, deadline: Option<Instant>) {
        self.read.deadline.set(deadline);
    }

    /// Writes fail with a timeout once `deadline` passes (Go's `SetWriteDeadline`).
    pub fn set_write_deadline(&mut self, deadline: Option<Instant>) {
        self.write.deadline.set(deadline);
    }

    /// Both deadlines at once (Go's `SetDeadline`).
    pub fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.set_read_deadline(deadline);
        self.set_write_deadline(deadline);
    }

    /// Splits the stream into halves that can be used from different tasks. The stream is
    /// closed when both are dropped.
    pub fn into_split(self) -> (ReadHalf, WriteHalf) {
        (self.read, self.write)
    }
}

impl ReadHalf {
    /// The stream id.
    pub fn id(&self) -> StreamId {
        self.inner.id
    }

    /// See [`Stream::set_read_deadline`].
    pub fn set_read_deadline(&mut self, deadline: Option<Instant>) {
        self.deadline.set(deadline);
    }
}

impl WriteHalf {
    /// The stream id.
    pub fn id(&self) -> StreamId {
        self.inner.id
    }

    /// See [`Stream::set_write_deadline`].
    pub fn set_write_deadline(&mut self, deadline: Option<Instant>) {
        self.deadline.set(deadline);
    }

    /// See [`Stream::reset`].
    pub fn reset(&self, code: ErrorCode) -> Result<(), Error> {
        let id = self.inner.id;
        Ok(self.inner.shared.with(|proto| proto.reset(id, code))?)
    }
}

impl AsyncRead for ReadHalf {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let id = self.inner.id;
        let result = self.inner.shared.with_state(Sender::Driver, |state| {
            register(state, id, cx.waker(), false);
            state.proto.read(id, buf.initialize_unfilled())
        });
        match result {
            Ok(Read::Data(n)) => {
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Ok(Read::Eof) => Poll::Ready(Ok(())),
            Ok(Read::Blocked) => match self.deadline.poll(cx) {
                Ok(()) => Poll::Pending,
                Err(err) => Poll::Ready(Err(io_error(err))),
            },
            Err(err) => Poll::Ready(Err(io_error(err))),
        }
    }
}

impl AsyncWrite for WriteHalf {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let id = self.inner.id;
        let written = self.inner.shared.with_state(Sender::Caller, |state| {
            register(state, id, cx.waker(), true);
            state.proto.write(id, data)
        });
        match written {
            Ok(0) => match self.deadline.poll(cx) {
                Ok(()) => Poll::Pending,
                Err(err) => Poll::Ready(Err(io_error(err))),
            },
            Ok(n) => Poll::Ready(Ok(n)),
            Err(err) => Poll::Ready(Err(io_error(err))),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Written bytes are already queued for the transport; the driver sends them at once.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let id = self.inner.id;
        match self.inner.shared.with(|proto| proto.close_write(id)) {
            Ok(()) | Err(session::Error::StreamClosed) => Poll::Ready(Ok(())),
            Err(err) => Poll::Ready(Err(io_error(err))),
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.read).poll_read(cx, buf)
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.write).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.write).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.write).poll_shutdown(cx)
    }
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("id", &self.read.inner.id)
            .finish()
    }
}

impl std::fmt::Debug for ReadHalf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadHalf")
            .field("id", &self.inner.id)
            .finish()
    }
}

impl std::fmt::Debug for WriteHalf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteHalf")
            .field("id", &self.inner.id)
            .finish()
    }
}
