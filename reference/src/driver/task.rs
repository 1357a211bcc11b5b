//! The driver task: shovels bytes between the transport and the sans-IO session, and wakes the
//! tasks waiting on the streams. It knows nothing of frames.

use std::cell::RefCell;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, ReadBuf};

use crate::frame::ErrorCode;

use super::shared::Shared;

/// How long the final GOAWAY may take to leave once the session ended (Go: 250 ms).
const LINGER: Duration = Duration::from_millis(250);

/// Size of each transport read.
const READ_CHUNK: usize = 64 * 1024;

thread_local! {
    /// The buffer every driver on this thread reads into. The session keeps only the bytes of
    /// a frame still in progress ([`crate::session::Machine::handle_input`]), so an idle session
    /// holds no read buffer at all: a server of many idle sessions pays for one per worker
    /// thread, not one per session.
    static READ_BUF: RefCell<Box<[u8]>> = RefCell::new(vec![0u8; READ_CHUNK].into_boxed_slice());
}

/// Reads what the transport has and hands it to the session. `Ready(false)` once the
/// transport is done (end-of-file or an error, both reported to the session).
fn poll_receive<R>(reader: &mut R, shared: &Shared, cx: &mut Context<'_>) -> Poll<bool>
where
    R: AsyncRead + Unpin,
{
    READ_BUF.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => poll_receive_into(reader, shared, cx, &mut buf),
        // A transport whose read runs another driver's read on this thread: rare enough for a
        // buffer of its own.
        Err(_) => poll_receive_into(reader, shared, cx, &mut vec![0u8; READ_CHUNK]),
    })
}

fn poll_receive_into<R>(
    reader: &mut R,
    shared: &Shared,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<bool>
where
    R: AsyncRead + Unpin,
{
    let mut read = ReadBuf::new(buf);
    let result = std::task::ready!(Pin::new(reader).poll_read(cx, &mut read));
    let now = shared.epoch.elapsed();
    let mut state = shared.lock();
    let open = match result {
        Ok(()) if read.filled().is_empty() => {
            state.proto.handle_eof();
            false
        }
        Ok(()) => {
            state.proto.handle_input(read.filled(), now);
            true
        }
        Err(err) => {
            state.proto.handle_transport_error(
                ErrorCode::UNKNOWN,
                format!("transport read failed: {err}"),
            );
            false
        }
    };
    state.dispatch();
    Poll::Ready(open)
}

pub(crate) async fn run<R>(mut reader: R, shared: Arc<Shared>)
where
    R: AsyncRead + Send + Unpin + 'static,
{
    let mut read_open = true;
    let mut linger: Option<std::pin::Pin<Box<tokio::time::Sleep>>> = None;
    loop {
        let (want_read, want_write, ended, timeout) = {
            let mut out = shared.outgoing();
            let mut state = shared.lock();
            if let Some(message) = out.failed.take() {
                state
                    .proto
                    .handle_transport_error(ErrorCode::UNKNOWN, message);
                state.dispatch();
                break;
            }
            if out.idle() {
                out.refill(&mut state);
            }
            state.dispatch();
            let ended = state.proto.termination().is_some();
            if ended && out.idle() {
                break;
            }
            let timeout = state.proto.poll_timeout();
            let want_read = read_open && state.proto.wants_input();
            (want_read, !out.idle(), ended, timeout)
        };
        // The session's timers: [LIMIT-8] a stalled frame ends the session at its deadline;
        // [STREAM-14] a SYN waiting for room in the accept backlog is refused at the end of
        // its patience, with no input to wake the session.
        let timer = async {
            match timeout {
                Some(at) => tokio::time::sleep_until(shared.epoch + at).await,
                None => std::future::pending().await,
            }
        };
        if ended && linger.is_none() {
            linger = Some(Box::pin(tokio::time::sleep(LINGER)));
        }
        tokio::select! {
            open = poll_fn(|cx| poll_receive(&mut reader, &shared, cx)), if want_read => read_open = open,
            () = poll_fn(|cx| shared.outgoing().poll_drain(cx)), if want_write => {}
            _ = shared.driver.notified() => {}
            () = timer => {
                let now = shared.epoch.elapsed();
                let mut state = shared.lock();
                state.proto.handle_timeout(now);
                state.dispatch();
            }
            _ = async { linger.as_mut().expect("set when ended").await }, if linger.is_some() => break,
        }
    }
    let _ = poll_fn(|cx| shared.outgoing().io().poll_flush(cx)).await;
    let _ = poll_fn(|cx| shared.outgoing().io().poll_shutdown(cx)).await;
    shared.outgoing().failed = Some("the session is over".into());
    let mut state = shared.lock();
    state.driver_done = true;
    state.wake_all();
}
