//! The driver task: shovels bytes between the transport and the sans-IO session, and wakes the
//! tasks waiting on the streams. It knows nothing of frames.

use std::future::poll_fn;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::frame::ErrorCode;

use super::shared::Shared;

/// How long the final GOAWAY may take to leave once the session ended (Go: 250 ms).
const LINGER: Duration = Duration::from_millis(250);

/// Size of each transport read.
const READ_CHUNK: usize = 64 * 1024;

pub(crate) async fn run<R>(mut reader: R, shared: Arc<Shared>)
where
    R: AsyncRead + Send + Unpin + 'static,
{
    let mut read_buf = vec![0u8; READ_CHUNK];
    let mut read_open = true;
    let mut linger: Option<std::pin::Pin<Box<tokio::time::Sleep>>> = None;
    loop {
        let (want_read, want_write, ended, timeout) = {
            let mut out = shared.outgoing();
            let mut state = shared.lock();
            if let Some(message) = out.failed.take() {
                state.proto.transport_failed(ErrorCode::UNKNOWN, message);
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
            result = reader.read(&mut read_buf), if want_read => {
                let now = shared.epoch.elapsed();
                let mut state = shared.lock();
                match result {
                    Ok(0) => {
                        read_open = false;
                        state.proto.receive_eof();
                    }
                    Ok(n) => state.proto.receive(&read_buf[..n], now),
                    Err(err) => {
                        read_open = false;
                        state.proto.transport_failed(ErrorCode::UNKNOWN, format!("transport read failed: {err}"));
                    }
                }
                state.dispatch();
            }
            () = poll_fn(|cx| shared.outgoing().poll_drain(cx)), if want_write => {}
            _ = shared.driver.notified() => {}
            () = timer => {
                let now = shared.epoch.elapsed();
                let mut state = shared.lock();
                state.proto.set_time(now);
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
