//! The driver task: shovels bytes between the transport and the sans-IO session, and wakes the
//! tasks waiting on the streams. It knows nothing of frames.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::frame::ErrorCode;

use super::shared::Shared;

/// How long the final GOAWAY may take to leave once the session ended (Go: 250 ms).
const LINGER: Duration = Duration::from_millis(250);

/// Size of each transport read.
const READ_CHUNK: usize = 64 * 1024;

pub(crate) async fn run<T>(io: T, shared: Arc<Shared>)
where
    T: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let (mut reader, mut writer) = tokio::io::split(io);
    let mut read_buf = vec![0u8; READ_CHUNK];
    let mut out: Vec<u8> = Vec::new();
    let mut written = 0;
    let mut read_open = true;
    let mut linger: Option<std::pin::Pin<Box<tokio::time::Sleep>>> = None;
    loop {
        let (want_read, ended, timeout) = {
            let mut state = shared.lock();
            if written == out.len() {
                out.clear();
                written = 0;
                state.proto.poll_transmit(&mut out);
                if out.is_empty() {
                    // Everything queued reached the transport: writers blocked on the queue go on.
                    state.wake_writers();
                }
            }
            state.dispatch();
            let ended = state.proto.termination().is_some();
            if ended && out.len() == written {
                break;
            }
            let timeout = state.proto.poll_timeout();
            (read_open && state.proto.wants_input(), ended, timeout)
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
            result = writer.write(&out[written..]), if written < out.len() => {
                match result {
                    Ok(0) | Err(_) => {
                        let mut state = shared.lock();
                        let message = match result {
                            Err(err) => format!("transport write failed: {err}"),
                            _ => "transport write returned 0".to_string(),
                        };
                        state.proto.transport_failed(ErrorCode::UNKNOWN, message);
                        state.dispatch();
                        break;
                    }
                    Ok(n) => written += n,
                }
            }
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
    let _ = writer.flush().await;
    let _ = writer.shutdown().await;
    let mut state = shared.lock();
    state.driver_done = true;
    state.wake_all();
}
