//! The suite's side of the contract: an IUT behind its agent, as an [`Iut`] the script engine
//! drives ([`RemoteIut`]), with the transcript of what both sides sent.

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use muxado_agent_contract::{
    Call, CallError, Enough, Flooded, Iut, ReadResult, RemoteState, SessionState,
};
use muxado_reference::frame::{self, DecodeError};
use serde_json::{Value, json};

use super::{UNSUPPORTED, hex, unhex};

/// The length of the first `frames` complete frames of `bytes`.
fn decode_prefix(bytes: &[u8], frames: usize) -> usize {
    let mut used = 0;
    for _ in 0..frames {
        match frame::decode_frame(&bytes[used..]) {
            Ok((_, n)) => used += n,
            Err(_) => break,
        }
    }
    used
}

/// Whether a transport error means the IUT has closed the connection.
fn closed_by_peer(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, NotConnected};
    matches!(
        e.kind(),
        BrokenPipe | ConnectionReset | ConnectionAborted | NotConnected
    )
}

/// Whether an `ok` value has the shape appendix A's table gives for the command `name`.
fn answer_shape(name: &str, v: &Value) -> Result<(), String> {
    // Any 32-bit id is an answer: a Go peer reports ids above 2^31 - 1 ([INTEROP-7]), a
    // failure of the implementation the case judges, not a breach of the contract.
    let id = |v: &Value| {
        v["stream_id"]
            .as_u64()
            .is_some_and(|id| u32::try_from(id).is_ok())
    };
    let none = |v: &Value| v["none"] == true && v.as_object().is_some_and(|o| o.len() == 1);
    let fine = match name {
        "open" | "open_typed" => id(v),
        "accept" => id(v) || none(v),
        "accept_typed" => id(v) && v["stream_type"].as_u64().is_some() || none(v),
        "write" => v["written"].as_u64().is_some(),
        "read" => {
            v["data"].as_str().is_some_and(|d| unhex(d).is_ok())
                || v["eof"] == true
                || v["blocked"] == true
        }
        "session" => {
            v.get("ended")
                .is_some_and(|e| e.is_null() || e["code"].is_u64())
                && v.get("remote").is_none_or(|r| r.is_null() || r.is_object())
        }
        _ => v.is_object(),
    };
    if fine {
        Ok(())
    } else {
        Err("not an answer appendix A gives for it".into())
    }
}

/// One command the suite sent on the control connection, and the agent's answer.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// When it was sent, since the case started.
    pub at: Duration,
    /// The command line.
    pub command: String,
    /// The answer line; `None` when none came.
    pub answer: Option<String>,
}

/// Bytes one side sent, with when, for the case's transcript.
#[derive(Clone, Debug)]
pub struct Chunk {
    /// `true`: the suite (the peer) sent it to the IUT.
    pub to_iut: bool,
    /// Since the case started.
    pub at: Duration,
    /// The bytes.
    pub bytes: Vec<u8>,
}

#[derive(Default)]
struct Inbox {
    bytes: Vec<u8>,
    eof: bool,
    /// The suite reads nothing from the transport while this is set (a `flood` step).
    paused: bool,
    /// What the IUT sends is not copied into the transcript while this is set.
    unrecorded: bool,
}

/// How long the suite waits for frames a script expects, and for extra ones after them.
#[derive(Clone, Copy, Debug)]
pub struct Waits {
    /// The longest wait for expected frames.
    pub frames: Duration,
    /// The quiet period that must pass without another frame.
    pub quiet: Duration,
}

/// An IUT behind its agent: the suite's side of the contract, as an [`Iut`] that the session
/// vector engine drives.
pub struct RemoteIut {
    transport: TcpStream,
    control: BufReader<TcpStream>,
    inbox: Arc<(Mutex<Inbox>, Condvar)>,
    transcript: Arc<Mutex<Vec<Chunk>>>,
    start: Instant,
    chop: Option<usize>,
    waits: Waits,
    written: u64,
    /// A `recv_delayed` write still to happen: later writes wait for it, to keep the order.
    delayed: Option<std::thread::JoinHandle<Result<(), String>>>,
    /// The suite closed its side of the transport.
    eof_sent: bool,
    /// The command sent and not answered yet (a timeout names it).
    pending: Arc<Mutex<Option<String>>>,
    /// Every command and its answer.
    log: Arc<Mutex<Vec<Exchange>>>,
}

impl RemoteIut {
    /// Wraps the two connections the agent made.
    pub fn new(
        transport: TcpStream,
        control: TcpStream,
        chop: Option<usize>,
        waits: Waits,
    ) -> std::io::Result<RemoteIut> {
        transport.set_nodelay(true)?;
        control.set_read_timeout(Some(Duration::from_secs(10)))?;
        let inbox: Arc<(Mutex<Inbox>, Condvar)> = Arc::default();
        let transcript: Arc<Mutex<Vec<Chunk>>> = Arc::default();
        let start = Instant::now();
        let mut reader = transport.try_clone()?;
        let (inbox2, transcript2) = (inbox.clone(), transcript.clone());
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                {
                    let (lock, ready) = &*inbox2;
                    let mut inbox = lock.lock().expect("inbox");
                    while inbox.paused {
                        inbox = ready.wait(inbox).expect("inbox");
                    }
                }
                let n = std::io::Read::read(&mut reader, &mut buf).unwrap_or(0);
                let (lock, ready) = &*inbox2;
                let mut inbox = lock.lock().expect("inbox");
                if n == 0 {
                    inbox.eof = true;
                    ready.notify_all();
                    return;
                }
                inbox.bytes.extend_from_slice(&buf[..n]);
                if !inbox.unrecorded {
                    transcript2.lock().expect("transcript").push(Chunk {
                        to_iut: false,
                        at: start.elapsed(),
                        bytes: buf[..n].to_vec(),
                    });
                }
                ready.notify_all();
            }
        });
        Ok(RemoteIut {
            transport,
            control: BufReader::new(control),
            inbox,
            transcript,
            start,
            chop,
            waits,
            written: 0,
            delayed: None,
            eof_sent: false,
            pending: Arc::default(),
            log: Arc::default(),
        })
    }

    /// Everything both sides sent so far.
    pub fn transcript(&self) -> Vec<Chunk> {
        self.transcript.lock().expect("transcript").clone()
    }

    /// Waits for a `recv_delayed` write still in flight.
    fn finish_delayed(&mut self) -> Result<(), String> {
        match self.delayed.take() {
            Some(handle) => handle
                .join()
                .map_err(|_| "the delayed write panicked".to_string())?,
            None => Ok(()),
        }
    }

    /// The command the agent has not answered yet, if any.
    pub fn pending_command(&self) -> Option<String> {
        self.pending.lock().expect("pending").clone()
    }

    /// Every command sent so far, with its answer.
    pub fn log(&self) -> Vec<Exchange> {
        self.log.lock().expect("log").clone()
    }

    fn command(&mut self, mut command: Value) -> Result<Value, String> {
        // [AGENT-3] once the transport's write side is closed, one more: the end counts.
        command["after"] = json!(self.written + u64::from(self.eof_sent));
        *self.pending.lock().expect("pending") = Some(command.to_string());
        self.log.lock().expect("log").push(Exchange {
            at: self.start.elapsed(),
            command: command.to_string(),
            answer: None,
        });
        let stream = self.control.get_mut();
        writeln!(stream, "{command}").map_err(|e| format!("control connection: {e}"))?;
        let mut line = String::new();
        let read = self.control.read_line(&mut line);
        if matches!(read, Ok(n) if n > 0) {
            *self.pending.lock().expect("pending") = None;
            if let Some(last) = self.log.lock().expect("log").last_mut() {
                last.answer = Some(line.trim_end().to_string());
            }
        }
        match read {
            Ok(0) => Err("the agent closed the control connection".into()),
            Ok(_) => serde_json::from_str(&line).map_err(|e| format!("bad answer {line:?}: {e}")),
            Err(e) => Err(format!("no answer to {command}: {e}")),
        }
    }

    fn call(&mut self, command: Value) -> Call<Value> {
        let name = command
            .as_object()
            .and_then(|o| o.keys().next().cloned())
            .unwrap_or_default();
        let answer = self.command(command)?;
        let breach = |why: String| Err(format!("the agent broke the contract ([AGENT-4]): {why}"));
        let Some(object) = answer.as_object().filter(|o| o.len() == 1) else {
            return breach(format!(
                "the answer to {name} is {answer}, not one object with one key"
            ));
        };
        if let Some(why) = answer.get("unsupported") {
            return Err(format!("{UNSUPPORTED}{}", why.as_str().unwrap_or("")));
        }
        if let Some(error) = answer.get("error") {
            let Some(code) = error["code"].as_u64().and_then(|c| u32::try_from(c).ok()) else {
                return breach(format!(
                    "the error answer to {name} has no 32-bit code: {answer}"
                ));
            };
            return Ok(Err(CallError {
                code,
                message: error["message"].as_str().unwrap_or("").to_string(),
            }));
        }
        let Some(value) = object.get("ok") else {
            return breach(format!(
                "the answer to {name} is {answer}: neither ok, error nor unsupported"
            ));
        };
        match answer_shape(&name, value) {
            Ok(()) => Ok(Ok(value.clone())),
            Err(why) => breach(format!("the answer to {name} is {answer}: {why}")),
        }
    }

    fn unit(&mut self, command: Value) -> Call<()> {
        Ok(self.call(command)?.map(|_| ()))
    }

    /// Complete frames at the start of `bytes`: how many, and their length in bytes. A frame
    /// that breaks a rule counts, with everything after it, so the comparison shows it.
    fn complete(bytes: &[u8]) -> (usize, usize) {
        let (mut count, mut used) = (0, 0);
        loop {
            match frame::decode_frame(&bytes[used..]) {
                Ok((_, n)) => {
                    count += 1;
                    used += n;
                }
                Err(DecodeError::Incomplete { .. }) => return (count, used),
                Err(DecodeError::Violation(_)) => return (count + 1, bytes.len()),
            }
        }
    }

    fn write_transport(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.finish_delayed()?;
        self.transcript.lock().expect("transcript").push(Chunk {
            to_iut: true,
            at: self.start.elapsed(),
            bytes: bytes.to_vec(),
        });
        self.written += bytes.len() as u64;
        let pieces: Vec<&[u8]> = match self.chop {
            Some(n) if n > 0 => bytes.chunks(n).collect(),
            _ => vec![bytes],
        };
        for piece in pieces {
            match self.transport.write_all(piece) {
                Ok(()) => {}
                // The IUT closed the transport (as [FRAME-8] has it do after a connection
                // error): what the peer sends now is lost, which is no harness failure.
                Err(e) if closed_by_peer(&e) => return Ok(()),
                Err(e) => return Err(format!("writing to the IUT: {e}")),
            }
        }
        Ok(())
    }
}

/// The most bytes the kernel may buffer on one loopback connection in each direction (the
/// largest TCP receive plus send buffer), from `/proc/sys/net/ipv4`; 10 MiB if unknown.
fn socket_buffers() -> u64 {
    let largest = |name: &str| {
        std::fs::read_to_string(format!("/proc/sys/net/ipv4/{name}"))
            .ok()
            .and_then(|t| t.split_whitespace().nth(2)?.parse::<u64>().ok())
    };
    match (largest("tcp_rmem"), largest("tcp_wmem")) {
        (Some(r), Some(w)) => r + w,
        _ => 10 << 20,
    }
}

/// How long a write to the IUT may make no progress before the flood counts as pushed back.
const PUSH_BACK: Duration = Duration::from_secs(2);

/// Frames written before and after a flood that the transcript keeps: a case's report stays
/// readable when a flood moved tens of megabytes.
const FLOOD_RECORDED: usize = 16;

impl RemoteIut {
    /// Lets the reader thread read the transport again after a flood paused it.
    fn resume_reading(&self) {
        let (lock, ready) = &*self.inbox;
        lock.lock().expect("inbox").paused = false;
        ready.notify_all();
    }

    /// Writes `count` frames from `next` (all of one length), until the IUT stops taking them
    /// for [`PUSH_BACK`]; a frame cut by the stop is completed, so that the transport stays
    /// in step.
    fn flood_writes(
        &mut self,
        next: &mut dyn FnMut() -> Vec<u8>,
        count: u64,
    ) -> Result<Flooded, String> {
        let mut flooded = Flooded::default();
        let mut batch = Vec::with_capacity(64 * 1024);
        while flooded.sent < count && !flooded.pushed_back {
            batch.clear();
            let mut frame_len = 0;
            let mut frames = 0;
            while batch.len() < 64 * 1024 && flooded.sent + frames < count {
                let frame = next();
                if flooded.sent + frames < FLOOD_RECORDED as u64 {
                    self.transcript.lock().expect("transcript").push(Chunk {
                        to_iut: true,
                        at: self.start.elapsed(),
                        bytes: frame.clone(),
                    });
                }
                frame_len = frame.len().max(1);
                batch.extend(frame);
                frames += 1;
            }
            let mut at = 0;
            while at < batch.len() {
                match std::io::Write::write(&mut self.transport, &batch[at..]) {
                    Ok(n) => at += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) =>
                    {
                        flooded.pushed_back = true;
                        // Complete the frame the stop cut, reading again first: the IUT
                        // takes more only once its answers drain.
                        self.resume_reading();
                        let end = at.div_ceil(frame_len) * frame_len;
                        let _ = self.transport.set_write_timeout(None);
                        if let Err(e) = self.transport.write_all(&batch[at..end]) {
                            if !closed_by_peer(&e) {
                                return Err(format!("writing to the IUT: {e}"));
                            }
                        }
                        at = end;
                        break;
                    }
                    Err(e) if closed_by_peer(&e) => {
                        self.written += at as u64;
                        flooded.sent += (at / frame_len) as u64;
                        return Ok(flooded);
                    }
                    Err(e) => return Err(format!("writing to the IUT: {e}")),
                }
            }
            self.written += at as u64;
            flooded.sent += (at / frame_len) as u64;
        }
        Ok(flooded)
    }
}

impl Iut for RemoteIut {
    /// More frames than `count` when the socket buffers could hold the answers to all of them:
    /// twice what the kernel buffers both ways. An IUT that stops reading once its queue is
    /// full has then taken at most the buffers' worth of frames and of answers (5/3 of that
    /// bound with 8-byte frames and 12-byte answers), plus its queue, before the suite's
    /// writes stall; only an IUT that queues every answer takes them all.
    fn flood(&mut self, next: &mut dyn FnMut() -> Vec<u8>, count: u64) -> Result<Flooded, String> {
        let mut probe = next();
        let frame_len = probe.len().max(1) as u64;
        let count = count.max(2 * socket_buffers() / frame_len);
        let mut first = Some(std::mem::take(&mut probe));
        let mut frames = || first.take().unwrap_or_else(&mut *next);
        {
            let mut inbox = self.inbox.0.lock().expect("inbox");
            inbox.paused = true;
            inbox.unrecorded = true;
        }
        self.transport
            .set_write_timeout(Some(PUSH_BACK))
            .map_err(|e| e.to_string())?;
        let written = self.flood_writes(&mut frames, count);
        let _ = self.transport.set_write_timeout(None);
        self.resume_reading();
        let (lock, ready) = &*self.inbox;
        let mut flooded = written?;
        // Everything the IUT sends now is an answer to the flood, until it falls quiet.
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut inbox = lock.lock().expect("inbox");
        loop {
            let before = inbox.bytes.len();
            let (guard, _) = ready
                .wait_timeout(inbox, Duration::from_millis(500))
                .expect("inbox");
            inbox = guard;
            if inbox.bytes.len() == before || inbox.eof || Instant::now() > deadline {
                break;
            }
        }
        let (_, used) = Self::complete(&inbox.bytes);
        flooded.replies = inbox.bytes.drain(..used).collect();
        inbox.unrecorded = false;
        // The transcript keeps the first answers and the start of a frame still arriving, so
        // that what follows decodes in step.
        let kept = decode_prefix(&flooded.replies, FLOOD_RECORDED);
        let mut transcript = self.transcript.lock().expect("transcript");
        for bytes in [&flooded.replies[..kept], &inbox.bytes[..]] {
            transcript.push(Chunk {
                to_iut: false,
                at: self.start.elapsed(),
                bytes: bytes.to_vec(),
            });
        }
        drop(transcript);
        Ok(flooded)
    }

    fn recv(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.write_transport(bytes)
    }

    /// The bytes count towards the next command's `after` at once, but reach the transport
    /// only `ms` later: an agent that does not wait for them answers too early ([AGENT-3]).
    fn recv_delayed(&mut self, bytes: &[u8], ms: u64) -> Result<(), String> {
        self.finish_delayed()?;
        self.written += bytes.len() as u64;
        let mut transport = self.transport.try_clone().map_err(|e| e.to_string())?;
        let (transcript, start, bytes) = (self.transcript.clone(), self.start, bytes.to_vec());
        self.delayed = Some(std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(ms));
            transcript.lock().expect("transcript").push(Chunk {
                to_iut: true,
                at: start.elapsed(),
                bytes: bytes.clone(),
            });
            match transport.write_all(&bytes) {
                Err(e) if !closed_by_peer(&e) => Err(format!("writing to the IUT: {e}")),
                _ => Ok(()),
            }
        }));
        Ok(())
    }

    fn recv_eof(&mut self) -> Result<(), String> {
        self.finish_delayed()?;
        self.eof_sent = true;
        match self.transport.shutdown(Shutdown::Write) {
            Err(e) if !closed_by_peer(&e) => Err(format!("closing the transport: {e}")),
            _ => Ok(()),
        }
    }

    fn advance(&mut self, ms: u64) -> Result<(), String> {
        std::thread::sleep(Duration::from_millis(ms));
        Ok(())
    }

    fn open(&mut self) -> Call<u32> {
        Ok(self
            .call(json!({"open": {}}))?
            .map(|v| v["stream_id"].as_u64().unwrap_or(0) as u32))
    }

    fn accept(&mut self) -> Call<Option<u32>> {
        Ok(self
            .call(json!({"accept": {}}))?
            .map(|v| v["stream_id"].as_u64().map(|id| id as u32)))
    }

    fn open_typed(&mut self, stream_type: u32) -> Call<u32> {
        Ok(self
            .call(json!({"open_typed": {"stream_type": stream_type}}))?
            .map(|v| v["stream_id"].as_u64().unwrap_or(0) as u32))
    }

    fn accept_typed(&mut self) -> Call<Option<(u32, u32)>> {
        Ok(self.call(json!({"accept_typed": {}}))?.map(|v| {
            v["stream_id"].as_u64().map(|id| {
                (
                    id as u32,
                    v["stream_type"].as_u64().unwrap_or(u64::MAX) as u32,
                )
            })
        }))
    }

    fn write(&mut self, id: u32, data: &[u8]) -> Call<usize> {
        Ok(self
            .call(json!({"write": {"stream_id": id, "data": hex(data)}}))?
            .map(|v| v["written"].as_u64().unwrap_or(0) as usize))
    }

    fn read(&mut self, id: u32, max: usize) -> Call<ReadResult> {
        match self.call(json!({"read": {"stream_id": id, "max": max}}))? {
            Err(e) => Ok(Err(e)),
            Ok(v) if v["eof"] == true => Ok(Ok(ReadResult::Eof)),
            Ok(v) if v["blocked"] == true => Ok(Ok(ReadResult::Blocked)),
            Ok(v) => Ok(Ok(ReadResult::Data(unhex(
                v["data"].as_str().unwrap_or(""),
            )?))),
        }
    }

    fn close_write(&mut self, id: u32) -> Call<()> {
        self.unit(json!({"close_write": {"stream_id": id}}))
    }

    fn close_stream(&mut self, id: u32) -> Call<()> {
        self.unit(json!({"close_stream": {"stream_id": id}}))
    }

    fn reset(&mut self, id: u32, code: u32) -> Call<()> {
        self.unit(json!({"reset": {"stream_id": id, "error_code": code}}))
    }

    fn go_away(&mut self, code: u32, debug: &[u8]) -> Call<()> {
        self.unit(json!({"go_away": {"error_code": code, "debug": hex(debug)}}))
    }

    fn close(&mut self) -> Result<(), String> {
        self.unit(json!({"close": {}}))?
            .map_err(|e| format!("close failed: {}", e.message))
    }

    fn sent(&mut self, enough: Enough<'_>) -> Result<Vec<u8>, String> {
        self.finish_delayed()?;
        let (lock, ready) = &*self.inbox;
        let deadline = Instant::now() + self.waits.frames;
        let mut inbox = lock.lock().expect("inbox");
        // Wait for the expected frames, then for a quiet period without another byte.
        while !enough(&inbox.bytes[..Self::complete(&inbox.bytes).1]) && !inbox.eof {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            inbox = ready.wait_timeout(inbox, left).expect("inbox").0;
        }
        loop {
            let before = inbox.bytes.len();
            let (guard, timeout) = ready.wait_timeout(inbox, self.waits.quiet).expect("inbox");
            inbox = guard;
            if timeout.timed_out() && inbox.bytes.len() == before || inbox.eof {
                break;
            }
        }
        let (_, used) = Self::complete(&inbox.bytes);
        Ok(inbox.bytes.drain(..used).collect())
    }

    fn heartbeat(&mut self, interval: Duration, tolerance: Duration) -> Call<()> {
        self.unit(json!({"heartbeat": {
            "interval_ms": interval.as_millis() as u64,
            "tolerance_ms": tolerance.as_millis() as u64,
        }}))
    }

    fn session(&mut self) -> Result<SessionState, String> {
        let v = match self.call(json!({"session": {}}))? {
            Ok(v) => v,
            Err(e) => return Err(format!("session failed: {}", e.message)),
        };
        let ended = v["ended"].as_object().map(|e| CallError {
            code: e.get("code").and_then(Value::as_u64).unwrap_or(0) as u32,
            message: e
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        });
        // A `remote` key left out: the agent cannot tell (Go before its session ends); a
        // `last_stream_id` left out or null: the implementation does not report it.
        let remote_unknown = v.get("remote").is_none();
        let remote = match v["remote"].as_object() {
            None => None,
            Some(r) => Some(RemoteState {
                // `get`, not indexing: a key the contract lets an agent leave out
                // (`last_stream_id`) must not panic the suite.
                error_code: r.get("error_code").and_then(Value::as_u64).unwrap_or(0) as u32,
                last_stream_id: r
                    .get("last_stream_id")
                    .and_then(Value::as_u64)
                    .map(|l| l as u32),
                debug: unhex(r.get("debug").and_then(Value::as_str).unwrap_or(""))?,
            }),
        };
        Ok(SessionState {
            ended,
            remote,
            remote_unknown,
        })
    }
}
