//! A minimal conformance agent (SPEC.md appendix A), written the way one is written for any
//! implementation: on its ordinary public API (here the reference's tokio `Session`/`Stream`,
//! whose calls wait), not on a special test interface. The README of `conformance/` walks
//! through it.
//!
//! ```sh
//! cargo build -p muxado-conformance --example minimal_agent
//! cargo run -p muxado-conformance -- run --exec target/debug/examples/minimal_agent
//! ```

use std::collections::HashMap;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use muxado_reference::{
    Config, ErrorCode, Heartbeat, HeartbeatConfig, Role, Session, Stream, stream_error,
};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// How long a call may take before the agent says "not now" ([AGENT-3]: calls never wait).
const GRACE: Duration = Duration::from_millis(20);

/// The transport, counting the bytes the session has read from it ([AGENT-3] `after`), and
/// its end as one more: after the suite closed the transport, `after` counts it.
struct Counted {
    tcp: TcpStream,
    read: Arc<AtomicU64>,
    ended: bool,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let room = buf.remaining() > 0;
        let poll = Pin::new(&mut self.tcp).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        let end = room && n == 0 && matches!(poll, Poll::Ready(_)) && !self.ended;
        self.ended |= end;
        self.read
            .fetch_add(n as u64 + u64::from(end), Ordering::SeqCst);
        poll
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .filter_map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok())
        .collect()
}

/// `{"error": ...}` for an I/O error carrying a muxado code ([AGENT-4]).
fn failed(err: &std::io::Error) -> Value {
    let code = stream_error(err).map_or(ErrorCode::INTERNAL_ERROR.0, |e| e.code().0);
    json!({"error": {"code": code, "message": err.to_string()}})
}

#[tokio::main]
async fn main() -> ExitCode {
    // [AGENT-1] role and configuration from the environment.
    let env = |name: &str| std::env::var(name).unwrap_or_default();
    let role = if env("MUXADO_ROLE") == "client" {
        Role::Client
    } else {
        Role::Server
    };
    let settings: Value = serde_json::from_str(&env("MUXADO_CONFIG")).unwrap_or(Value::Null);
    let mut config = Config::default();
    if let Some(w) = settings["max_window_size"].as_u64() {
        config.max_window_size = w as u32;
    }
    if let Some(b) = settings["accept_backlog"].as_u64() {
        config.accept_backlog = b as usize;
    }
    if let Some(m) = settings["max_streams"].as_u64() {
        config.max_streams = m as usize;
    }
    if let Some(d) = settings["max_goaway_debug"].as_u64() {
        config.max_goaway_debug = d as usize;
    }
    if let Some(ms) = settings["read_timeout_ms"].as_u64() {
        config.read_timeout = Some(Duration::from_millis(ms));
    }
    // [AGENT-2] the transport first, then the control connection.
    let (Ok(tcp), Ok(control)) = (
        TcpStream::connect(env("MUXADO_ADDR")).await,
        TcpStream::connect(env("MUXADO_CONTROL")).await,
    ) else {
        return ExitCode::FAILURE;
    };
    let _ = tcp.set_nodelay(true);
    let taken_in = Arc::new(AtomicU64::new(0));
    let io = Counted {
        tcp,
        read: taken_in.clone(),
        ended: false,
    };
    let session = match role {
        Role::Client => Session::client(io, config),
        Role::Server => Session::server(io, config),
    };
    let (control_in, mut control_out) = control.into_split();
    let mut lines = tokio::io::BufReader::new(control_in).lines();
    let mut streams: HashMap<u32, Stream> = HashMap::new();
    // [AGENT-1] typed streams, and the heartbeat responder, run in the background the way an
    // application runs them: every typed stream is taken as it arrives; heartbeat streams
    // are echoed ([HEARTBEAT-2]), the others wait for `accept_typed`.
    let heartbeat_on = settings["heartbeat"] == true;
    let (typed_tx, mut typed_rx) = tokio::sync::mpsc::unbounded_channel();
    if heartbeat_on || settings["typed_streams"] == true {
        let session = session.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, stream_type)) = session.accept_typed().await {
                if heartbeat_on && stream_type == HeartbeatConfig::default().stream_type {
                    tokio::spawn(async move {
                        let mut beat = [0u8; 4];
                        while stream.read_exact(&mut beat).await.is_ok() {
                            if stream.write_all(&beat).await.is_err() {
                                break;
                            }
                        }
                    });
                } else if typed_tx.send((stream, stream_type)).is_err() {
                    break;
                }
            }
        });
    }
    // Heartbeat requesters the `heartbeat` command started: they beat while kept.
    let mut heartbeats: Vec<Heartbeat> = Vec::new();
    while let Ok(Some(line)) = lines.next_line().await {
        let command: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
        // [AGENT-3] not before the session has read what the suite sent before the command.
        let after = command["after"].as_u64().unwrap_or(0);
        for _ in 0..2000 {
            if taken_in.load(Ordering::SeqCst) >= after {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(Duration::from_millis(2)).await; // let the session process them
        let (name, args) = command
            .as_object()
            .and_then(|o| o.iter().find(|(k, _)| *k != "after"))
            .map(|(k, v)| (k.as_str(), v.clone()))
            .unwrap_or(("", Value::Null));
        let id = args["stream_id"].as_u64().unwrap_or(0) as u32;
        let code = ErrorCode(args["error_code"].as_u64().unwrap_or(0) as u32);
        let answer = match (name, streams.get_mut(&id)) {
            ("open", _) => match session.open() {
                Ok(s) => {
                    let id = s.id().get();
                    streams.insert(id, s);
                    json!({"ok": {"stream_id": id}})
                }
                Err(e) => json!({"error": {"code": e.code().0, "message": e.to_string()}}),
            },
            ("accept", _) => match timeout(GRACE, session.accept()).await {
                Ok(Ok(s)) => {
                    let id = s.id().get();
                    streams.insert(id, s);
                    json!({"ok": {"stream_id": id}})
                }
                // [SESSION-4] the session ended: its error.
                Ok(Err(e)) => json!({"error": {"code": e.code().0, "message": e.to_string()}}),
                Err(_) => json!({"ok": {"none": true}}),
            },
            ("open_typed", _) => {
                let stream_type = args["stream_type"].as_u64().unwrap_or(0) as u32;
                match session.open_typed(stream_type).await {
                    Ok(s) => {
                        let id = s.id().get();
                        streams.insert(id, s);
                        json!({"ok": {"stream_id": id}})
                    }
                    Err(e) => json!({"error": {"code": e.code().0, "message": e.to_string()}}),
                }
            }
            ("accept_typed", _) => match timeout(GRACE, typed_rx.recv()).await {
                Ok(Some((s, stream_type))) => {
                    let id = s.id().get();
                    streams.insert(id, s);
                    json!({"ok": {"stream_id": id, "stream_type": stream_type}})
                }
                _ => match timeout(Duration::from_millis(1), session.wait()).await {
                    Ok(t) => json!({"error": {"code": t.local.0, "message": t.message}}),
                    Err(_) => json!({"ok": {"none": true}}),
                },
            },
            // A write that does not finish within the grace took nothing: the window is empty.
            ("write", Some(s)) => {
                match timeout(GRACE, s.write(&unhex(args["data"].as_str().unwrap_or("")))).await {
                    Ok(Ok(n)) => json!({"ok": {"written": n}}),
                    Ok(Err(e)) => failed(&e),
                    Err(_) => json!({"ok": {"written": 0}}),
                }
            }
            ("read", Some(s)) => {
                let mut buf = vec![0; args["max"].as_u64().unwrap_or(0) as usize];
                match timeout(GRACE, s.read(&mut buf)).await {
                    Ok(Ok(0)) => json!({"ok": {"eof": true}}),
                    Ok(Ok(n)) => json!({"ok": {"data": hex(&buf[..n])}}),
                    Ok(Err(e)) => failed(&e),
                    Err(_) => json!({"ok": {"blocked": true}}),
                }
            }
            ("close_write", Some(s)) => match s.close_write() {
                Ok(()) => json!({"ok": {}}),
                Err(e) => json!({"error": {"code": e.code().0, "message": e.to_string()}}),
            },
            ("close_stream", _) => {
                streams.remove(&id); // dropping a Stream is Go's Close
                json!({"ok": {}})
            }
            ("reset", Some(s)) => match s.reset(code) {
                Ok(()) => json!({"ok": {}}),
                Err(e) => json!({"error": {"code": e.code().0, "message": e.to_string()}}),
            },
            ("go_away", _) => {
                match session.go_away(code, &unhex(args["debug"].as_str().unwrap_or(""))) {
                    Ok(()) => json!({"ok": {}}),
                    Err(e) => json!({"error": {"code": e.code().0, "message": e.to_string()}}),
                }
            }
            ("close", _) => {
                session.close().await;
                json!({"ok": {}})
            }
            ("session", _) => {
                let ended = timeout(GRACE, session.wait()).await.ok();
                let remote = session.remote_go_away();
                json!({"ok": {
                    "ended": ended.map(|t| json!({"code": t.local.0, "message": t.message})),
                    "remote": remote.map(|r| json!({
                        "error_code": r.error_code.0,
                        "last_stream_id": r.last_stream_id.get(),
                        "debug": hex(&r.debug),
                    })),
                }})
            }
            // The requester runs until the agent exits; its measurements are not reported.
            ("heartbeat", _) => {
                let ms = |key: &str| Duration::from_millis(args[key].as_u64().unwrap_or(0));
                let config = HeartbeatConfig::default()
                    .with_interval(ms("interval_ms"))
                    .with_tolerance(ms("tolerance_ms"));
                heartbeats.push(Heartbeat::start(session.clone(), config, |_| {}));
                json!({"ok": {}})
            }
            (other, _) => json!({"unsupported": format!("no stream for {other} on {id}")}),
        };
        // [AGENT-5] frames the call made are written by the session's task: let them out.
        tokio::time::sleep(Duration::from_millis(5)).await;
        if control_out
            .write_all(format!("{answer}\n").as_bytes())
            .await
            .is_err()
        {
            break;
        }
    }
    ExitCode::SUCCESS
}
