//! `ngrok-agent`: the conformance agent (SPEC.md appendix A, [AGENT-1] to [AGENT-6]) of ngrok's
//! Rust `muxado` crate, pinned to 0.5.4. The conformance suite starts it per case with the
//! environment of [AGENT-1] (`MUXADO_ROLE`, `MUXADO_ADDR`, `MUXADO_CONTROL`, `MUXADO_CONFIG`);
//! it dials the session's transport, runs a crate session of that role over it, dials the
//! control connection and turns each JSON command into a call of the crate's API.
//!
//! The crate's API is async and waits where the contract's calls must not, and it lacks some
//! calls altogether. Every place where the agent emulates a non-waiting call is marked
//! "Emulation" below and listed in README.md ("The conformance agent"). The agent never makes
//! up a result the crate did not give: what it cannot tell, it answers `{"unsupported": why}`,
//! and the suite reports the case unsupported.
//!
//! - Stream ids: `Stream` has no id accessor. An accepted stream's id is read off the wire:
//!   the transport wrapper (`ngrok_peer::conn`) records, in arrival order, the id of every
//!   received frame with the SYN flag, which is the order in which the crate's reader hands
//!   streams to `accept()`. An opened stream sends nothing until it is written, so its id
//!   cannot be on the wire when `open` must answer: see [`Agent::open`].
//! - `after` ([AGENT-3]): the wrapper counts the bytes the crate's session read.
//! - Output before answers ([AGENT-5]): the crate's writer task writes frames asynchronously;
//!   the agent waits until the bytes written stop changing ([`Agent::settle`]).
//! - Typed streams (SPEC section 10.1): the session is `typed::Typed`, split into its open
//!   and accept halves; with `typed_streams` in the config a background task runs the
//!   crate's `accept_typed` in a loop ([`accept_typed_loop`]). The heartbeat (section 10.2)
//!   cannot be played: see [`config`].

use std::collections::HashMap;
use std::io;
use std::ops::{Deref, DerefMut};
use std::process::ExitCode;
use std::time::Duration;

use muxado::typed::{StreamType, Typed, TypedAccept, TypedOpenClose, TypedSession, TypedStream};
use muxado::{
    Accept, Error as MuxError, MuxadoAccept, MuxadoOpen, OpenClose, SessionBuilder, Stream,
};
use muxado_testkit::hex::{from_hex, to_hex as hex};
use ngrok_peer::conn::{self, ConnCtl};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, timeout};

/// How long a call that the crate makes wait may take before the agent treats it as "would
/// wait" (Emulation: accept, read, write).
const GRACE: Duration = Duration::from_millis(20);
/// How long the agent lets the crate's reader task handle newly read bytes before a command
/// looks at the state (Emulation: the reader works asynchronously).
const SETTLE: Duration = Duration::from_millis(20);
/// The quiet period after which the crate's writer task is taken to have written everything
/// a call queued ([AGENT-5]).
const QUIET: Duration = Duration::from_millis(10);
/// Longest wait for the writer to fall quiet.
const QUIET_LIMIT: Duration = Duration::from_secs(1);
/// Longest wait for the transport bytes a command's `after` names ([AGENT-3]).
const AFTER_LIMIT: Duration = Duration::from_secs(5);
/// When the session has read nothing for this long while unread input waits in the socket,
/// the crate has stopped reading (its reader task ends after a GOAWAY or a failed SYN, and
/// waits while its accept channel is full): waiting longer for `after` would only time out.
const STALL: Duration = Duration::from_millis(300);
/// Bound on calls that should return at once (`open`, `close`, `shutdown`).
const CALL_LIMIT: Duration = Duration::from_secs(1);
/// [AGENT-1]'s exit code for a case the agent cannot play.
const UNSUPPORTED_EXIT: u8 = 127;
/// The code of an answer that reports the agent's own failure, not the crate's.
const HARNESS: u32 = u32::MAX;

fn main() -> ExitCode {
    let config = match config(std::env::var("MUXADO_CONFIG").ok().as_deref()) {
        Ok(config) => config,
        Err(Exit::Unsupported(why)) => {
            eprintln!("ngrok-agent: muxado 0.5.4 cannot play this case: {why}");
            return ExitCode::from(UNSUPPORTED_EXIT);
        }
        Err(Exit::Usage(why)) => {
            eprintln!("ngrok-agent: {why}");
            return ExitCode::from(2);
        }
    };
    let client = match std::env::var("MUXADO_ROLE").as_deref() {
        Ok("client") => true,
        Ok("server") => false,
        other => {
            eprintln!("ngrok-agent: MUXADO_ROLE must be client or server, not {other:?}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("ngrok-agent: cannot start the tokio runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let code = match runtime.block_on(run(client, config)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("ngrok-agent: {e}");
            1
        }
    };
    // The crate's tasks may still wait on the transport: do not wait for them.
    runtime.shutdown_background();
    ExitCode::from(code)
}

enum Exit {
    Unsupported(String),
    Usage(String),
}

/// The crate's settings for `MUXADO_CONFIG` ([AGENT-1]).
#[derive(Default, Debug)]
struct Config {
    window: Option<usize>,
    accept_queue: Option<usize>,
    stream_limit: Option<usize>,
    /// `typed_streams`: the peer's streams are taken by the crate's `accept_typed`.
    typed: bool,
}

/// Reads `MUXADO_CONFIG`. `max_window_size` is `SessionBuilder::window_size`,
/// `accept_backlog` is `accept_queue_size` (the capacity of the channel between the reader
/// task and `accept()`; README.md deviation 5), `max_streams` is `stream_limit` (which counts
/// local and peer streams; deviation 11): the crate's settings of those names, applied as they
/// are, so the suite sees what they do. The crate has no GOAWAY debug limit (it keeps no debug
/// data at all), so a case that sets `max_goaway_debug` is declined.
///
/// `typed_streams` is the crate's `typed::Typed` wrapper. `heartbeat` is declined: the crate's
/// only heartbeat is `heartbeat::Heartbeat::start`, which opens its requester's stream and
/// beats at once (its first tick is immediate) when the wrapper is made, and its responder
/// runs only inside that wrapper's `accept_typed`. A session that answers the peer's heartbeat
/// streams but starts its requester only on the `heartbeat` command, as [AGENT-1] asks, cannot
/// be made with it.
fn config(text: Option<&str>) -> Result<Config, Exit> {
    let text = text.unwrap_or("").trim();
    if text.is_empty() || text == "null" {
        return Ok(Config::default());
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Exit::Usage(format!("bad MUXADO_CONFIG {text:?}: {e}")))?;
    let get = |key: &str| -> Result<Option<usize>, Exit> {
        match &value[key] {
            Value::Null => Ok(None),
            v => v
                .as_u64()
                .map(|n| Some(n as usize))
                .ok_or_else(|| Exit::Usage(format!("MUXADO_CONFIG {key}: not a number: {v}"))),
        }
    };
    if get("read_timeout_ms")?.is_some() {
        return Err(Exit::Unsupported(
            "read_timeout_ms: the crate has no session read timeout".into(),
        ));
    }
    if get("max_goaway_debug")?.is_some() {
        return Err(Exit::Unsupported(
            "max_goaway_debug: the crate has no GOAWAY debug limit (it drops a received GOAWAY's debug data)"
                .into(),
        ));
    }
    let flag = |key: &str| -> Result<bool, Exit> {
        match &value[key] {
            Value::Null => Ok(false),
            Value::Bool(b) => Ok(*b),
            v => Err(Exit::Usage(format!(
                "MUXADO_CONFIG {key}: not a boolean: {v}"
            ))),
        }
    };
    if flag("heartbeat")? {
        return Err(Exit::Unsupported(
            "heartbeat: the crate's Heartbeat::start opens its requester's stream and beats at once, and answers the peer's heartbeat streams only inside that wrapper: it has no responder without a running requester"
                .into(),
        ));
    }
    Ok(Config {
        window: get("max_window_size")?,
        accept_queue: get("accept_backlog")?,
        stream_limit: get("max_streams")?,
        typed: flag("typed_streams")?,
    })
}

async fn run(client: bool, config: Config) -> Result<(), String> {
    let addr = std::env::var("MUXADO_ADDR").map_err(|_| "MUXADO_ADDR is not set")?;
    let control = std::env::var("MUXADO_CONTROL").map_err(|_| "MUXADO_CONTROL is not set")?;
    let tcp = TcpStream::connect(&addr)
        .await
        .map_err(|e| format!("dial {addr}: {e}"))?;
    let (transport, ctl) = conn::wrap(tcp).map_err(|e| format!("transport: {e}"))?;
    let mut builder = SessionBuilder::new(transport);
    builder = if client {
        builder.client()
    } else {
        builder.server()
    };
    if let Some(window) = config.window {
        builder = builder.window_size(window);
    }
    if let Some(size) = config.accept_queue {
        builder = builder.accept_queue_size(size);
    }
    if let Some(limit) = config.stream_limit {
        builder = builder.stream_limit(limit);
    }
    // The crate's typed wrapper, split into the halves the agent drives: `Typed` derefs to
    // the plain halves, so `open`, `close` and `accept` are the crate's plain calls.
    let (open, accept) = Typed::new(builder.start()).split_typed();
    let incoming = if config.typed {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(accept_typed_loop(accept, tx));
        Incoming::Typed { rx, ended: None }
    } else {
        Incoming::Plain(accept)
    };
    let control = TcpStream::connect(&control)
        .await
        .map_err(|e| format!("dial {control}: {e}"))?;
    let (control_in, mut control_out) = control.into_split();
    let mut lines = BufReader::new(control_in).lines();
    let mut agent = Agent {
        client,
        open,
        incoming,
        ctl,
        streams: HashMap::new(),
        opened: 0,
        accepted: 0,
        seen: 0,
    };
    // [AGENT-2]: serve until the suite closes the control connection.
    while let Ok(Some(line)) = lines.next_line().await {
        let answer = agent.serve(&line).await;
        let mut out = answer.to_string();
        out.push('\n');
        if control_out.write_all(out.as_bytes()).await.is_err() {
            break;
        }
    }
    Ok(())
}

/// A stream the agent holds.
struct Entry {
    /// The crate's stream; `None` once `close_stream` dropped it.
    stream: Option<Held>,
    /// For an opened stream whose id is the crate's numbering (see [`Agent::open`]), not yet
    /// seen on the wire: the id answered.
    unconfirmed: Option<u32>,
    /// Set when the wire showed that the id answered for this stream was not the crate's:
    /// every later call on it fails (with [`HARNESS`]), so the mistake cannot pass a case.
    wrong_id: Option<String>,
}

/// What the typed accept loop took: a stream with its type, or the crate's error. The number
/// is how many streams the crate's `accept()` had handed over before, this one included, which
/// names the stream's SYN on the wire.
type TypedAccepted = (usize, Result<TypedStream, MuxError>);

/// The accept half of the session.
enum Incoming {
    /// Untyped: `accept` calls the crate's `accept()`.
    Plain(Typed<MuxadoAccept>),
    /// `typed_streams`: [`accept_typed_loop`] owns the accept half.
    Typed {
        rx: mpsc::UnboundedReceiver<TypedAccepted>,
        /// The error that ended the loop, once `accept_typed` took it.
        ended: Option<MuxError>,
    },
}

/// The typed session's accept loop, as an application on the crate runs it: the crate's
/// `accept_typed` again and again, each result queued for `accept_typed`.
///
/// Emulation: `accept_typed` waits for a stream and then for its 4 type bytes
/// (`read_exact`), and is not cancellation-safe (a cancelled call loses the stream it took),
/// so it runs in the background from the start. It fails with `SESSION_CLOSED` when the
/// crate's `accept()` ends (no stream will come: the loop ends), and with `STREAM_CLOSED`
/// when a stream ended before its type (the crate drops that stream; the session goes on, and
/// so does the loop, handing the error to nobody).
async fn accept_typed_loop(
    mut accept: Typed<MuxadoAccept>,
    tx: mpsc::UnboundedSender<TypedAccepted>,
) {
    let mut taken = 0;
    loop {
        match accept.accept_typed().await {
            Ok(stream) => {
                taken += 1;
                if tx.send((taken, Ok(stream))).is_err() {
                    return;
                }
            }
            Err(MuxError::SessionClosed) => {
                let _ = tx.send((taken, Err(MuxError::SessionClosed)));
                return;
            }
            Err(e) => {
                taken += 1;
                eprintln!(
                    "ngrok-agent: accept_typed: {e} (stream {taken} ended before its type; the session goes on)"
                );
            }
        }
    }
}

struct Agent {
    client: bool,
    /// The open half (the crate's `open`, `open_typed`, `close`).
    open: Typed<MuxadoOpen>,
    incoming: Incoming,
    ctl: ConnCtl,
    streams: HashMap<u32, Entry>,
    /// Successful `open` calls.
    opened: u32,
    /// Streams taken from `accept()`.
    accepted: usize,
    /// Transport bytes the session had read when the previous command ran.
    seen: u64,
}

fn ok(value: Value) -> Value {
    json!({ "ok": value })
}

fn unsupported(why: impl Into<String>) -> Value {
    json!({ "unsupported": why.into() })
}

fn harness(message: impl Into<String>) -> Value {
    json!({"error": {"code": HARNESS, "message": message.into()}})
}

/// The muxado error code an `io::Error` of the crate carries (the crate wraps its
/// `muxado::Error`, an enum of the SPEC codes, in every `io::Error` it returns).
fn crate_error(e: &io::Error) -> Value {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<MuxError>())
    {
        Some(code) => json!({"error": {"code": *code as u32, "message": code.to_string()}}),
        None => harness(format!("the crate failed without a muxado error code: {e}")),
    }
}

fn mux_error(e: MuxError) -> Value {
    json!({"error": {"code": e as u32, "message": e.to_string()}})
}

/// The crate's `Error` variant for a SPEC code: `close` takes the enum, not a number.
fn error_of(code: u32) -> Option<MuxError> {
    use MuxError::*;
    Some(match code {
        0x0 => None,
        0x1 => Protocol,
        0x2 => Internal,
        0x3 => FlowControl,
        0x4 => StreamClosed,
        0x5 => StreamRefused,
        0x6 => StreamCancelled,
        0x7 => StreamReset,
        0x8 => FrameSizeError,
        0x9 => AcceptQueueFull,
        0xA => EnhanceYourCalm,
        0xB => RemoteGoneAway,
        0xC => StreamsExhausted,
        0xD => WriteTimeout,
        0xE => SessionClosed,
        0xF => PeerEOF,
        _ => return Option::None,
    })
}

/// Hex `text` as bytes, or why not (for the harness error).
fn unhex(text: &str) -> Result<Vec<u8>, String> {
    from_hex(text).map_err(|e| format!("bad hex {text:?}: {e}"))
}

impl Agent {
    async fn serve(&mut self, line: &str) -> Value {
        let command: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => return harness(format!("bad command: {e}")),
        };
        let Some((name, args)) = command
            .as_object()
            .and_then(|o| o.iter().find(|(k, _)| *k != "after"))
        else {
            return harness("empty command");
        };
        let after = command["after"].as_u64().unwrap_or(0);
        self.wait_for(after).await;
        let id = args["stream_id"].as_u64().unwrap_or(0) as u32;
        let code = args["error_code"].as_u64().unwrap_or(0) as u32;
        let heads_before = self.ctl.sent_head_count();
        let answer = match name.as_str() {
            "open" => self.open().await,
            "accept" => self.accept().await,
            "write" => match unhex(args["data"].as_str().unwrap_or("")) {
                Ok(data) => self.write(id, &data).await,
                Err(e) => harness(e),
            },
            "read" => {
                let max = args["max"].as_u64().unwrap_or(0) as usize;
                self.read(id, max).await
            }
            "close_write" => self.close_write(id).await,
            "close_stream" => self.close_stream(id),
            "reset" => unsupported(
                "the crate has no API to reset a stream (Stream is AsyncRead + AsyncWrite only: shutdown and drop send FIN; it sends RST only by itself)",
            ),
            "go_away" => match unhex(args["debug"].as_str().unwrap_or("")) {
                Ok(debug) => self.go_away(code, debug).await,
                Err(e) => harness(e),
            },
            "close" => self.close().await,
            "session" => unsupported(
                "the crate reports no session state: no session error, no received GOAWAY (its code reaches the application only as a stream write error, its debug data is dropped)",
            ),
            "heartbeat" => unsupported(
                "the crate's only heartbeat, Heartbeat::start, wraps the session when it is made (the agent declines heartbeat configs, see config)",
            ),
            "open_typed" => {
                let typ = args["stream_type"].as_u64().unwrap_or(0) as u32;
                self.open_typed(typ).await
            }
            "accept_typed" => self.accept_typed().await,
            // A command this agent does not know is a call it cannot make ([AGENT-4]), not a
            // failure of the crate's.
            other => unsupported(format!("the ngrok agent has no command {other}")),
        };
        // [AGENT-5]: the frames the call queued are on the wire before the answer.
        self.settle().await;
        // An opened typed stream sent its type: check the id answered against the wire.
        let id = match (name.as_str(), answer["ok"]["stream_id"].as_u64()) {
            ("open_typed", Some(opened)) => opened as u32,
            _ => id,
        };
        match self.confirm(id, heads_before) {
            Some(wrong) if answer.get("unsupported").is_none() => harness(wrong),
            _ => answer,
        }
    }

    /// [AGENT-3]: waits until the session has read `after` transport bytes, or its reads
    /// ended; then, if it read anything new, lets the reader task handle it.
    ///
    /// Emulation: the crate's reader stops reading for good after a GOAWAY or a SYN it could
    /// not take, and waits while its accept channel is full. When it has read nothing for
    /// [`STALL`] although input waits in the socket, it will not take in `after` bytes, and
    /// the command runs on the state the session has (as the Go agent does after its bound).
    async fn wait_for(&mut self, after: u64) {
        let start = Instant::now();
        let (mut last, _) = self.ctl.read_progress();
        let mut last_change = Instant::now();
        loop {
            let (read, ended) = self.ctl.read_progress();
            if read >= after || ended || start.elapsed() > AFTER_LIMIT {
                break;
            }
            if read != last {
                last = read;
                last_change = Instant::now();
            } else if last_change.elapsed() > STALL && self.ctl.input_pending() {
                break;
            }
            sleep(Duration::from_millis(1)).await;
        }
        let (read, _) = self.ctl.read_progress();
        if read != self.seen {
            self.seen = read;
            sleep(SETTLE).await;
        }
    }

    /// Waits until the crate's writer task has fallen quiet: [`SETTLE`], then until no byte
    /// was written for [`QUIET`] (bounded by [`QUIET_LIMIT`]).
    async fn settle(&self) {
        sleep(SETTLE).await;
        let start = Instant::now();
        loop {
            let before = self.ctl.written();
            sleep(QUIET).await;
            if self.ctl.written() == before || start.elapsed() > QUIET_LIMIT {
                return;
            }
        }
    }

    /// Checks an opened stream's answered id against the DATA frames the last call made the
    /// crate write (only calls on that stream write DATA frames): when they carry its id, it is
    /// confirmed; when they carry another, the id answered was wrong, and this and every later
    /// call on the stream fail.
    fn confirm(&mut self, id: u32, heads_before: usize) -> Option<String> {
        let entry = self.streams.get_mut(&id)?;
        if let Some(wrong) = &entry.wrong_id {
            return Some(wrong.clone());
        }
        let predicted = entry.unconfirmed?;
        let data: Vec<u32> = self
            .ctl
            .sent_heads(heads_before)
            .iter()
            .filter(|h| h.typ == 1)
            .map(|h| h.stream_id)
            .collect();
        if data.is_empty() {
            return None;
        }
        if data.iter().all(|&sent| sent == predicted) {
            entry.unconfirmed = None;
            return None;
        }
        let wrong = format!(
            "agent: stream {predicted} was answered with the crate's numbering, but its frames carry stream ids {data:?}"
        );
        entry.wrong_id = Some(wrong.clone());
        Some(wrong)
    }

    /// `open`: the crate's `open()`, which only registers the stream (it sends nothing).
    ///
    /// Emulation: the crate gives no stream id, and none is on the wire before the stream's
    /// first frame. The crate numbers local streams in the order they are opened
    /// (`StreamManager::create_stream`: the previous local id + 2, starting from 1 at a client
    /// and 0 at a server; a failed open takes no id), so the agent answers the id of the n-th
    /// successful open: 3, 5, ... at a client, 2, 4, ... at a server. That numbering is checked
    /// against the crate by `tests/agent.rs`, and in every case against the wire: the first
    /// frames the stream sends must carry that id, or every later call on the stream fails
    /// ([`Agent::confirm`]).
    async fn open(&mut self) -> Value {
        match timeout(CALL_LIMIT, self.open.open()).await {
            Err(_) => unsupported("the crate's open() did not return"),
            Ok(Err(e)) => mux_error(e),
            Ok(Ok(stream)) => ok(json!({ "stream_id": self.opened(Held::Plain(stream)) })),
        }
    }

    /// Registers a stream the crate opened, under the id of the n-th successful open (see
    /// [`Agent::open`]), unconfirmed until its frames show it.
    fn opened(&mut self, stream: Held) -> u32 {
        let id = if self.client { 3 } else { 2 } + 2 * self.opened;
        self.opened += 1;
        self.streams.insert(
            id,
            Entry {
                stream: Some(stream),
                unconfirmed: Some(id),
                wrong_id: None,
            },
        );
        id
    }

    /// `open_typed`: the crate's `Typed::open_typed`, which opens a stream (numbered as in
    /// [`Agent::open`]) and writes the 4-byte type with one `write`, so its SYN goes out now
    /// and the id answered is checked against the wire at once ([`Agent::confirm`]).
    ///
    /// Emulation: the write waits when the send window is empty; the agent gives the call
    /// [`CALL_LIMIT`], and if it has not returned, the answer is unsupported (cancelling it
    /// leaves no handle to the stream it opened).
    async fn open_typed(&mut self, typ: u32) -> Value {
        match timeout(CALL_LIMIT, self.open.open_typed(StreamType::clamp(typ))).await {
            Err(_) => unsupported(
                "the crate's open_typed() did not return (its write of the type waits for send window)",
            ),
            Ok(Err(e)) => mux_error(e),
            Ok(Ok(stream)) => {
                let id = self.opened(Held::Typed(stream));
                ok(json!({ "stream_id": id }))
            }
        }
    }

    /// `accept_typed`: the next stream [`accept_typed_loop`] took, with its type, if one is
    /// there within [`GRACE`]; once the crate's accept ended, its error (`SESSION_CLOSED`, the
    /// crate's `accept_typed` result, for this and every later call). The stream's id is the
    /// id of the n-th received frame with SYN, as in [`Agent::accept`].
    async fn accept_typed(&mut self) -> Value {
        let Incoming::Typed { rx, ended } = &mut self.incoming else {
            return unsupported(
                "the session was not configured with typed_streams: its streams are taken by accept, untyped",
            );
        };
        if let Some(e) = ended {
            return mux_error(*e);
        }
        let (taken, result) = match timeout(GRACE, rx.recv()).await {
            Err(_) => return ok(json!({ "none": true })),
            Ok(None) => return harness("agent: the typed accept loop ended without a result"),
            Ok(Some(got)) => got,
        };
        let stream = match result {
            Err(e) => {
                *ended = Some(e);
                return mux_error(e);
            }
            Ok(stream) => stream,
        };
        let typ = *stream.typ();
        let ids = self.ctl.received_syn_any_ids();
        let Some(&id) = ids.get(taken - 1) else {
            return harness(format!(
                "agent: accepted stream {taken} but the wire shows only {} SYNs",
                ids.len()
            ));
        };
        self.streams.insert(
            id,
            Entry {
                stream: Some(Held::Typed(stream)),
                unconfirmed: None,
                wrong_id: None,
            },
        );
        ok(json!({ "stream_id": id, "stream_type": typ }))
    }

    /// `accept`: the crate's `accept()`, given [`GRACE`] (Emulation: it waits; cancelling it
    /// is safe, it only polls a channel). Its stream's id is the id of the n-th received frame
    /// with SYN, read off the wire.
    ///
    /// `None` says that no stream will ever come: the crate's reader task ended, without an
    /// error code. While the transport is still open in both directions the session has not
    /// ended ([SESSION-1]; the reader stops by itself, README.md deviations 3 and 11), and no
    /// stream is ready: "none". Once the transport's input ended, the session has, and
    /// [SESSION-4]'s answer, the session's error code, is one the crate does not give:
    /// unsupported.
    async fn accept(&mut self) -> Value {
        let Incoming::Plain(accept) = &mut self.incoming else {
            return unsupported(
                "the session uses typed streams: its accept loop takes the peer's streams with their type (accept_typed)",
            );
        };
        match timeout(GRACE, accept.accept()).await {
            Err(_) => ok(json!({ "none": true })),
            Ok(None) if self.ctl.read_progress().1 => unsupported(
                "the session ended (its transport did) and the crate's accept() returned None, which carries no error code",
            ),
            Ok(None) => ok(json!({ "none": true })),
            Ok(Some(stream)) => {
                let ids = self.ctl.received_syn_any_ids();
                let Some(&id) = ids.get(self.accepted) else {
                    return harness(format!(
                        "agent: accepted stream {} but the wire shows only {} SYNs",
                        self.accepted + 1,
                        ids.len()
                    ));
                };
                self.accepted += 1;
                // A SYN for an id already held replaces the stream in the crate's table
                // (README.md deviation 11); the agent follows it.
                self.streams.insert(
                    id,
                    Entry {
                        stream: Some(Held::Plain(stream)),
                        unconfirmed: None,
                        wrong_id: None,
                    },
                );
                ok(json!({ "stream_id": id }))
            }
        }
    }

    fn stream(&mut self, id: u32) -> Result<&mut Stream, Value> {
        match self.streams.get_mut(&id) {
            None => Err(unsupported(format!(
                "stream {id} was not opened or accepted through the agent: the crate gives no handle to it"
            ))),
            Some(Entry {
                wrong_id: Some(wrong),
                ..
            }) => Err(harness(wrong.clone())),
            Some(Entry { stream: None, .. }) => Err(unsupported(format!(
                "stream {id} was closed: the crate's close is dropping the stream, which leaves no handle to call"
            ))),
            Some(Entry {
                stream: Some(stream),
                ..
            }) => Ok(&mut **stream),
        }
    }

    /// `write`: the crate's `poll_write` takes what the send window allows now, as one DATA
    /// frame, or, when the window is empty, takes nothing and waits for credit.
    ///
    /// Emulation: the agent writes until every byte is taken or a write has not returned
    /// within [`GRACE`]; cancelling it is safe (a pending `poll_write` has taken nothing), so
    /// the bytes taken before are exactly the answer.
    async fn write(&mut self, id: u32, data: &[u8]) -> Value {
        let stream = match self.stream(id) {
            Ok(stream) => stream,
            Err(answer) => return answer,
        };
        let mut written = 0;
        loop {
            match timeout(GRACE, stream.write(&data[written..])).await {
                Err(_) => break,
                Ok(Err(e)) if written == 0 => return crate_error(&e),
                Ok(Err(_)) => break,
                Ok(Ok(n)) => {
                    written += n;
                    if written == data.len() || n == 0 {
                        break;
                    }
                }
            }
        }
        ok(json!({ "written": written }))
    }

    /// `read`: the crate's `read`, given [`GRACE`] (Emulation: it waits; cancelling it is
    /// safe, the stream keeps what it received in its buffer). Bytes are data, a read of 0
    /// bytes is the end of the peer's half, no return within the grace is "blocked". The
    /// crate's reads never fail (README.md deviations 4 and 6).
    ///
    /// Emulation: one crate `read` returns the bytes of one DATA frame at most (it takes the
    /// next frame from the stream's channel only once its buffer is empty), so "at most `max`
    /// bytes available now" is read as an application would: after the first read returned
    /// bytes, further reads, each polled once (bytes already queued for the stream come at
    /// once), until `max` bytes, nothing more at once, or the end of the peer's half (which the
    /// next `read` command reports). Each crate read credits its bytes with a WNDINC.
    async fn read(&mut self, id: u32, max: usize) -> Value {
        let stream = match self.stream(id) {
            Ok(stream) => stream,
            Err(answer) => return answer,
        };
        if max == 0 {
            // A read into no room returns 0 bytes at once, which says nothing about the end.
            return ok(json!({ "data": "" }));
        }
        let mut buf = vec![0u8; max];
        let mut got = match timeout(GRACE, stream.read(&mut buf)).await {
            Err(_) => return ok(json!({ "blocked": true })),
            Ok(Err(e)) => return crate_error(&e),
            Ok(Ok(0)) => return ok(json!({ "eof": true })),
            Ok(Ok(n)) => n,
        };
        while got < max {
            match timeout(Duration::ZERO, stream.read(&mut buf[got..])).await {
                Ok(Ok(n)) if n > 0 => got += n,
                _ => break,
            }
        }
        ok(json!({ "data": hex(&buf[..got]) }))
    }

    /// `close_write`: the crate's `shutdown()` (queues a FIN; fails with the code of an RST
    /// received).
    async fn close_write(&mut self, id: u32) -> Value {
        let stream = match self.stream(id) {
            Ok(stream) => stream,
            Err(answer) => return answer,
        };
        match timeout(CALL_LIMIT, stream.shutdown()).await {
            Err(_) => unsupported("the crate's shutdown() did not return"),
            Ok(Err(e)) => crate_error(&e),
            Ok(Ok(())) => ok(json!({})),
        }
    }

    /// `close_stream`: the crate's close of a stream is dropping it (its session then sends
    /// FIN if none was sent, and forgets the stream).
    fn close_stream(&mut self, id: u32) -> Value {
        match self.stream(id) {
            Ok(_) => {
                if let Some(entry) = self.streams.get_mut(&id) {
                    entry.stream = None;
                }
                ok(json!({}))
            }
            Err(answer) => answer,
        }
    }

    /// `go_away`: the crate's only GOAWAY call, `OpenClose::close(Error, String)` ("Close the
    /// session by sending a GOAWAY"): it queues the GOAWAY and leaves the transport open, as
    /// Go's `GoAway` does. Its writer task then stops (README.md deviation 12). It takes the
    /// code as its `Error` enum and the debug data as a `String`: a code without a variant, or
    /// debug data that is not UTF-8, cannot be passed.
    async fn go_away(&mut self, code: u32, debug: Vec<u8>) -> Value {
        let Some(error) = error_of(code) else {
            return unsupported(format!(
                "the crate's close takes an Error enum: code {code:#x} has no variant"
            ));
        };
        let Ok(text) = String::from_utf8(debug) else {
            return unsupported("the crate's close takes the debug data as a String: not UTF-8");
        };
        match timeout(CALL_LIMIT, OpenClose::close(&mut *self.open, error, text)).await {
            Err(_) => unsupported("the crate's close() did not return"),
            Ok(Err(e)) => mux_error(e),
            Ok(Ok(())) => ok(json!({})),
        }
    }

    /// `close`: the crate has no other way to end a session than `close` with a code and a
    /// text; the agent passes `Error::None` and no text (the crate then writes no GOAWAY at
    /// all: INTEROP-13).
    async fn close(&mut self) -> Value {
        match timeout(
            CALL_LIMIT,
            OpenClose::close(&mut *self.open, MuxError::None, String::new()),
        )
        .await
        {
            Err(_) => unsupported("the crate's close() did not return"),
            Ok(Err(e)) => mux_error(e),
            Ok(Ok(())) => ok(json!({})),
        }
    }
}

/// A stream the agent holds: the crate's `TypedStream` keeps its `Stream` inside (no accessor
/// but `Deref`), so typed streams are held as they are.
enum Held {
    Plain(Stream),
    Typed(TypedStream),
}

impl Deref for Held {
    type Target = Stream;
    fn deref(&self) -> &Stream {
        match self {
            Held::Plain(stream) => stream,
            Held::Typed(stream) => stream,
        }
    }
}

impl DerefMut for Held {
    fn deref_mut(&mut self) -> &mut Stream {
        match self {
            Held::Plain(stream) => stream,
            Held::Typed(stream) => stream,
        }
    }
}
