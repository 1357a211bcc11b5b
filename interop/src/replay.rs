//! Replay: the frames one side sent in a recorded transcript, sent again to a fresh live peer,
//! and what the peer sends back compared with what the transcript recorded.
//!
//! The comparison is not byte for byte: it tolerates exactly the differences SPEC.md lets two
//! correct runs of the same exchange have (listed in `vectors/README.md`, "Replay"):
//!
//! - how a sender cuts its bytes into DATA frames ([FLOW-3]): DATA is compared per stream as
//!   one byte string plus its SYN and FIN;
//! - how a receiver coalesces its credit ([FLOW-6]): WNDINC frames are not compared, only
//!   checked never to credit more than was sent on the stream ([FLOW-7]);
//! - how many RSTs answer late frames ([STREAM-8] lets a peer omit repeats): RSTs are compared
//!   per stream as the set of codes;
//! - a repeated empty FIN ([STREAM-7], Go's [INTEROP-10]): ignored; so is whether the peer
//!   sends FIN on a stream the replayed side reset ([STREAM-12] allows the empty FIN);
//! - a GOAWAY the peer sends after the replayed side ended the connection: Go writes one
//!   (`PEER_EOF`) that races with the close and normally gets lost ([ERR-2]);
//! - the interleaving of different streams and all timing ([ID-8]).
//!
//! The replayer keeps the recording's causality: before it sends a frame, it waits until the
//! live peer has sent (on each stream, in the terms above) at least what the recorded peer had
//! sent before that frame, and until the frame fits in the send window the recorded sender had
//! ([FLOW-3]). It keeps the recorded schedule: no frame goes out earlier (after the first)
//! than it did in the recording, and when waiting for the peer made the replay late, the
//! rest of the schedule moves by as much, since some peers' behaviour depends on how writes
//! are spread in time (an accept loop that starts late, [INTEROP-3]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

use muxado_reference::frame::{Data, ErrorCode, Frame, GoAway, Rst, StreamId, WndInc};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::Role;
use crate::record::{Dir, FrameReader};
use crate::transcript::{Body, FrameFields, FrameKind, FrameRecord, TranscriptFile};
use muxado_testkit::fnv::fnv1a_hex as fnv;
use muxado_testkit::hex::{from_hex, to_hex};
use serde::Deserialize;

/// A transcript loaded for replay.
#[derive(Clone, Debug)]
pub struct Recording {
    /// Its title.
    pub title: String,
    /// The scenario both sides played, if the transcript says.
    pub scenario: Option<String>,
    /// The client's implementation, if the transcript says.
    pub client: Option<String>,
    /// The server's implementation, if the transcript says.
    pub server: Option<String>,
    /// Frames and stream ends, in recorded order.
    pub entries: Vec<Entry>,
}

/// One frame, or the end of one direction's bytes.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Which way.
    pub dir: Dir,
    /// Microseconds since the recording started.
    pub t_us: u64,
    /// The frame object; `None` for the end of the direction.
    pub frame: Option<FrameRecord>,
}

impl Recording {
    /// Reads a JSON transcript file.
    pub fn load(path: &Path) -> Result<Recording, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let file =
            TranscriptFile::from_json_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Recording::from_file(file))
    }

    /// Reads a JSON transcript.
    pub fn from_json(json: &Value) -> Result<Recording, String> {
        let file = TranscriptFile::deserialize(json).map_err(|e| e.to_string())?;
        file.check()?;
        Ok(Recording::from_file(file))
    }

    /// A transcript read for replay.
    pub fn from_file(file: TranscriptFile) -> Recording {
        Recording {
            title: file.title,
            scenario: file.scenario,
            client: file.client,
            server: file.server,
            entries: file
                .frames
                .into_iter()
                .map(|e| Entry {
                    dir: e.dir,
                    t_us: e.t_us,
                    frame: e.frame,
                })
                .collect(),
        }
    }

    /// The side the reference implementation played, if the transcript names one.
    pub fn reference_side(&self) -> Option<Role> {
        if self.client.as_deref() == Some("reference") {
            Some(Role::Client)
        } else if self.server.as_deref() == Some("reference") {
            Some(Role::Server)
        } else {
            None
        }
    }
}

fn dir_of(role: Role) -> Dir {
    match role {
        Role::Client => Dir::ClientToServer,
        Role::Server => Dir::ServerToClient,
    }
}

fn field(frame: &FrameFields, key: &str, value: Option<u32>) -> Result<u32, String> {
    value.ok_or_else(|| format!("{:?} frame without {key}", frame.kind))
}

fn body(frame: &FrameFields, body: Body) -> Result<Vec<u8>, String> {
    match frame.body_hex(body) {
        Some(hex) => from_hex(hex).map_err(|e| format!("{}: {e}", body.key())),
        None => Err(format!(
            "{} of {} bytes was recorded by its hash only, so it cannot be sent again",
            body.key(),
            frame.body_len(body).unwrap_or(0)
        )),
    }
}

/// The wire bytes of a transcript frame object.
pub fn encode(record: &FrameRecord) -> Result<Vec<u8>, String> {
    let Some(frame) = record.frame() else {
        return Err("cannot send a frame rule violation".into());
    };
    let stream_id = StreamId::new(frame.stream_id);
    let flags = frame.flags;
    let payload;
    let built = match frame.kind {
        FrameKind::Data => {
            payload = body(frame, Body::Payload)?;
            Frame::Data(Data {
                stream_id,
                fin: flags & 1 != 0,
                syn: flags & 2 != 0,
                payload: &payload,
            })
        }
        FrameKind::Rst => Frame::Rst(Rst {
            stream_id,
            error_code: ErrorCode(field(frame, "error_code", frame.error_code)?),
        }),
        FrameKind::WndInc => Frame::WndInc(WndInc {
            stream_id,
            increment: field(frame, "increment", frame.increment)?,
        }),
        FrameKind::GoAway => {
            payload = body(frame, Body::Debug)?;
            Frame::GoAway(GoAway {
                last_stream_id: StreamId::new(field(
                    frame,
                    "last_stream_id",
                    frame.last_stream_id,
                )?),
                error_code: ErrorCode(field(frame, "error_code", frame.error_code)?),
                debug: &payload,
            })
        }
        FrameKind::Unknown => return Err("cannot send a frame of type UNKNOWN".into()),
    };
    let mut out = Vec::new();
    built.encode(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// One line describing a transcript frame object, for diffs.
pub fn describe(record: &FrameRecord) -> String {
    let frame = match record {
        FrameRecord::Violation { error } => {
            let code = error
                .code
                .as_deref()
                .map_or("null".into(), |c| format!("{c:?}"));
            return format!("violation {:?} ({code})", error.requirement);
        }
        FrameRecord::Frame(frame) => frame,
    };
    let id = frame.stream_id;
    let code = |value: Option<u32>| {
        let value = value.unwrap_or(u32::MAX);
        ErrorCode(value)
            .name()
            .map_or(value.to_string(), str::to_string)
    };
    let or_null = |value: Option<u32>| value.map_or("null".into(), |v| v.to_string());
    match frame.kind {
        FrameKind::Data => format!(
            "DATA stream={id}{}{} len={} {}",
            if frame.flags & 2 != 0 { " SYN" } else { "" },
            if frame.flags & 1 != 0 { " FIN" } else { "" },
            frame.length,
            preview(frame, Body::Payload)
        ),
        FrameKind::Rst => format!("RST stream={id} {}", code(frame.error_code)),
        FrameKind::WndInc => format!("WNDINC stream={id} +{}", or_null(frame.increment)),
        FrameKind::GoAway => format!(
            "GOAWAY last_stream_id={} {} debug={}",
            or_null(frame.last_stream_id),
            code(frame.error_code),
            preview(frame, Body::Debug)
        ),
        FrameKind::Unknown => format!(
            "UNKNOWN type_code={} stream={id}",
            frame.type_code.map_or("null".into(), |t| t.to_string())
        ),
    }
}

fn preview(frame: &FrameFields, body: Body) -> String {
    match frame.body_hex(body).map(from_hex) {
        Some(Ok(bytes)) => {
            let shown = &bytes[..bytes.len().min(24)];
            let more = if bytes.len() > shown.len() { "…" } else { "" };
            if shown.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
                format!("{:?}{more}", String::from_utf8_lossy(shown))
            } else {
                format!("0x{}{more}", to_hex(shown))
            }
        }
        _ => match frame.body_fnv(body) {
            Some(fnv) => format!("fnv={fnv:?}"),
            None => "fnv=null".into(),
        },
    }
}

/// Part of a stream's bytes: known, or known by length and hash.
#[derive(Clone, Debug)]
enum Piece {
    Bytes(Vec<u8>),
    Hashed { len: u64, fnv: String },
}

/// What one direction sent on one stream, in the terms the comparison uses.
#[derive(Clone, Debug, Default)]
struct StreamView {
    syn: bool,
    pieces: Vec<Piece>,
    len: u64,
    fin: bool,
    rst_codes: BTreeSet<u32>,
    credit: u64,
    after_end: u64,
    lines: Vec<String>,
}

impl StreamView {
    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for piece in &self.pieces {
            if let Piece::Bytes(b) = piece {
                out.extend_from_slice(b);
            }
        }
        out
    }
}

/// Everything one direction sent, normalised (see the module docs).
#[derive(Clone, Debug, Default)]
struct View {
    streams: BTreeMap<u32, StreamView>,
    goaways: Vec<String>,
    /// GOAWAYs sent after the other side ended the connection: not compared ([ERR-2]).
    late_goaways: Vec<String>,
    others: Vec<String>,
    ended: bool,
    /// The other side has ended the connection.
    other_ended: bool,
}

impl View {
    fn apply(&mut self, entry: Option<&FrameRecord>) {
        let Some(record) = entry else {
            self.ended = true;
            return;
        };
        let line = describe(record);
        let Some(frame) = record.frame() else {
            self.others.push(line);
            return;
        };
        let id = frame.stream_id;
        match frame.kind {
            FrameKind::Data => {
                let stream = self.streams.entry(id).or_default();
                stream.lines.push(line);
                let len = u64::from(frame.length);
                let (syn, fin) = (frame.flags & 2 != 0, frame.flags & 1 != 0);
                if stream.fin || !stream.rst_codes.is_empty() {
                    // [STREAM-7] an empty FIN after the end is ignored; anything else is late.
                    if !(len == 0 && fin && !syn) {
                        stream.after_end += len.max(1);
                    }
                    return;
                }
                stream.syn |= syn;
                if len > 0 {
                    stream
                        .pieces
                        .push(match frame.body_hex(Body::Payload).map(from_hex) {
                            Some(Ok(bytes)) => Piece::Bytes(bytes),
                            _ => Piece::Hashed {
                                len,
                                fnv: frame.payload_fnv.clone().unwrap_or_default(),
                            },
                        });
                    stream.len += len;
                }
                stream.fin |= fin;
            }
            FrameKind::Rst => {
                let stream = self.streams.entry(id).or_default();
                stream.lines.push(line);
                stream.rst_codes.insert(frame.error_code.unwrap_or(0));
            }
            FrameKind::WndInc => {
                let stream = self.streams.entry(id).or_default();
                stream.credit += u64::from(frame.increment.unwrap_or(0));
            }
            FrameKind::GoAway if self.other_ended => self.late_goaways.push(line),
            FrameKind::GoAway => self.goaways.push(line),
            FrameKind::Unknown => self.others.push(line),
        }
    }

    /// What this (live) view has not sent yet of what `recorded` had, WNDINC aside and
    /// FINs on streams in `reset` (which the other side reset).
    fn covers(&self, recorded: &View, reset: &BTreeSet<u32>) -> Option<(Topic, String)> {
        let empty = StreamView::default();
        for (id, want) in &recorded.streams {
            let have = self.streams.get(id).unwrap_or(&empty);
            if want.syn && !have.syn {
                return Some((Topic::Stream(*id), format!("the SYN of stream {id}")));
            }
            if have.len < want.len {
                return Some((
                    Topic::Stream(*id),
                    format!("{} bytes on stream {id} (has {})", want.len, have.len),
                ));
            }
            if want.fin && !have.fin && !reset.contains(id) {
                return Some((Topic::Stream(*id), format!("the FIN of stream {id}")));
            }
            if !want.rst_codes.is_empty() && have.rst_codes.is_empty() {
                return Some((Topic::Stream(*id), format!("an RST of stream {id}")));
            }
        }
        if self.goaways.len() < recorded.goaways.len() {
            return Some((Topic::GoAway, "a GOAWAY".into()));
        }
        if self.others.len() < recorded.others.len() {
            return Some((Topic::Other, recorded.others[self.others.len()].clone()));
        }
        if recorded.ended && !self.ended {
            return Some((
                Topic::Transport,
                "the end of its bytes (it closed the connection)".into(),
            ));
        }
        None
    }

    fn credit(&self, id: u32) -> u64 {
        self.streams.get(&id).map_or(0, |s| s.credit)
    }

    fn is_reset(&self, id: u32) -> bool {
        self.streams
            .get(&id)
            .is_some_and(|s| !s.rst_codes.is_empty())
    }
}

fn compare_bytes(recorded: &StreamView, live: &[u8]) -> Option<String> {
    let mut offset = 0usize;
    for piece in &recorded.pieces {
        match piece {
            Piece::Bytes(want) => {
                let have = &live[offset..offset + want.len()];
                if let Some(i) = want.iter().zip(have).position(|(a, b)| a != b) {
                    return Some(format!("bytes differ from offset {}", offset + i));
                }
                offset += want.len();
            }
            Piece::Hashed { len, fnv: want } => {
                let end = offset + *len as usize;
                if fnv(&live[offset..end]) != *want {
                    return Some(format!("bytes {offset}..{end} differ (hash)"));
                }
                offset = end;
            }
        }
    }
    None
}

fn lines(prefix: &str, lines: &[String]) -> String {
    const SHOWN: usize = 8;
    let mut out: Vec<String> = lines
        .iter()
        .take(SHOWN)
        .map(|l| format!("    {prefix} {l}"))
        .collect();
    if lines.len() > SHOWN {
        out.push(format!("    {prefix} … {} more", lines.len() - SHOWN));
    }
    if out.is_empty() {
        out.push(format!("    {prefix} (nothing)"));
    }
    out.join("\n")
}

/// The differences between what the peer sent in the recording and live: one entry per
/// stream or session-level item, each with the recorded (`-`) and live (`+`) frames.
fn compare(
    recorded: &View,
    live: &View,
    sent: &HashMap<u32, u64>,
    reset: &BTreeSet<u32>,
) -> Vec<Diff> {
    let mut diffs = Vec::new();
    let empty = StreamView::default();
    let ids: BTreeSet<u32> = recorded
        .streams
        .keys()
        .chain(live.streams.keys())
        .copied()
        .collect();
    for id in ids {
        let want = recorded.streams.get(&id).unwrap_or(&empty);
        let have = live.streams.get(&id).unwrap_or(&empty);
        let mut problems = Vec::new();
        if want.syn != have.syn {
            problems.push(format!("SYN recorded {} live {}", want.syn, have.syn));
        }
        if want.len != have.len {
            problems.push(format!("{} bytes recorded, {} live", want.len, have.len));
        } else if let Some(problem) = compare_bytes(want, &have.bytes()) {
            problems.push(problem);
        }
        if want.fin != have.fin && !reset.contains(&id) {
            problems.push(format!("FIN recorded {} live {}", want.fin, have.fin));
        }
        if want.rst_codes != have.rst_codes {
            problems.push(format!(
                "RST codes recorded {:?} live {:?}",
                want.rst_codes, have.rst_codes
            ));
        }
        if (want.after_end > 0) != (have.after_end > 0) {
            problems.push(format!(
                "data after the stream ended: recorded {} bytes, live {}",
                want.after_end, have.after_end
            ));
        }
        let given = sent.get(&id).copied().unwrap_or(0);
        if have.credit > given {
            problems.push(format!(
                "credited {} bytes but was sent {given} ([FLOW-7])",
                have.credit
            ));
        }
        if !problems.is_empty() {
            diffs.push(Diff {
                topic: Topic::Stream(id),
                text: format!(
                    "stream {id}: {}\n{}\n{}",
                    problems.join("; "),
                    lines("-", &want.lines),
                    lines("+", &have.lines)
                ),
                live_silent: have.lines.is_empty(),
            });
        }
    }
    if recorded.goaways != live.goaways {
        diffs.push(Diff {
            topic: Topic::GoAway,
            text: format!(
                "GOAWAY frames differ\n{}\n{}",
                lines("-", &recorded.goaways),
                lines("+", &live.goaways)
            ),
            live_silent: live.goaways.is_empty(),
        });
    }
    if recorded.others != live.others {
        diffs.push(Diff {
            topic: Topic::Other,
            text: format!(
                "other frames differ\n{}\n{}",
                lines("-", &recorded.others),
                lines("+", &live.others)
            ),
            live_silent: live.others.is_empty(),
        });
    }
    diffs
}

/// What a difference is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic {
    /// The frames of one stream.
    Stream(u32),
    /// The GOAWAY frames.
    GoAway,
    /// Frames of unknown types, or a frame rule broken.
    Other,
    /// The connection itself (it could not be written, or was not closed).
    Transport,
}

/// One difference between the recorded and the live peer that the SPEC does not allow.
#[derive(Clone, Debug)]
pub struct Diff {
    /// What it is about.
    pub topic: Topic,
    /// The difference, with the recorded (`-`) and live (`+`) frames where there are frames.
    pub text: String,
    /// The live peer sent nothing at all of this topic.
    pub live_silent: bool,
}

impl std::fmt::Display for Diff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// How to replay.
#[derive(Clone, Debug)]
pub struct Options {
    /// The side whose frames are sent; the peer plays the other.
    pub side: Role,
    /// The window size the recorded sender had: the replayer never sends more than it would
    /// have ([FLOW-3]).
    pub window: u32,
    /// The longest wait for the peer before one frame (and at the end).
    pub wait: Duration,
    /// How long to keep listening after the peer sent everything recorded, for extra frames.
    pub linger: Duration,
}

/// What a replay found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Frames sent to the peer.
    pub sent: usize,
    /// Frames received from the peer.
    pub received: usize,
    /// The differences the SPEC does not allow, each a frame-level diff. Empty: the peer
    /// behaved as recorded.
    pub diffs: Vec<Diff>,
    /// The peer's frames, one line each.
    pub log: Vec<String>,
}

enum Live {
    Frame(FrameRecord),
    End,
}

/// Replays `recording`'s `options.side` over `tcp` and compares the peer's frames.
pub async fn replay(recording: &Recording, options: &Options, tcp: TcpStream) -> Report {
    let _ = tcp.set_nodelay(true);
    let mine = dir_of(options.side);
    let (mut rd, mut wr) = tcp.into_split();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        let mut frames = FrameReader::keeping(usize::MAX);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    for decoded in frames.push(&buf[..n]) {
                        let _ = tx.send(Live::Frame(decoded.frame));
                    }
                }
            }
        }
        let _ = tx.send(Live::End);
    });

    let mut report = Report::default();
    let mut live = View::default();
    let mut recorded = View::default();
    let mut whole = View::default();
    let mut reset = BTreeSet::new();
    for entry in &recording.entries {
        match &entry.frame {
            _ if entry.dir != mine => whole.apply(entry.frame.as_ref()),
            None => whole.other_ended = true,
            Some(FrameRecord::Frame(frame)) if frame.kind == FrameKind::Rst => {
                reset.insert(frame.stream_id);
            }
            Some(_) => {}
        }
    }
    let mut sent: HashMap<u32, u64> = HashMap::new();
    // Live time of recorded time 0 (when the recording started); moves later when the peer
    // keeps the replay waiting.
    let mut origin: Option<Instant> = None;
    let receive = |live: &mut View, report: &mut Report, item: Live| match item {
        Live::Frame(frame) => {
            report.received += 1;
            report.log.push(describe(&frame));
            live.apply(Some(&frame));
        }
        Live::End => live.apply(None),
    };

    for (index, entry) in recording.entries.iter().enumerate() {
        if entry.dir != mine {
            recorded.apply(entry.frame.as_ref());
            continue;
        }
        let data = entry
            .frame
            .as_ref()
            .and_then(FrameRecord::frame)
            .filter(|f| f.kind == FrameKind::Data)
            .map(|f| (f.stream_id, u64::from(f.length)));
        // Wait for causality and for send window.
        let deadline = Instant::now() + options.wait;
        loop {
            while let Ok(item) = rx.try_recv() {
                receive(&mut live, &mut report, item);
            }
            let missing = live.covers(&recorded, &reset).or_else(|| {
                let (id, len) = data?;
                let used = sent.get(&id).copied().unwrap_or(0) + len;
                let allowed = u64::from(options.window) + live.credit(id);
                (used > allowed && !live.is_reset(id)).then(|| {
                    let what = format!("window credit for {len} bytes on stream {id}");
                    (Topic::Stream(id), format!("{what} ({used} > {allowed})"))
                })
            });
            let Some((topic, missing)) = missing else {
                break;
            };
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, rx.recv()).await {
                Ok(Some(item)) => receive(&mut live, &mut report, item),
                Ok(None) | Err(_) => {
                    let live_silent = match topic {
                        Topic::Stream(id) => !live.streams.contains_key(&id),
                        Topic::GoAway => live.goaways.is_empty(),
                        Topic::Other => live.others.is_empty(),
                        Topic::Transport => !live.ended,
                    };
                    report.diffs.push(Diff {
                        topic,
                        text: format!(
                            "before sending entry {index} ({}), waited {:?} for the peer to send {missing}",
                            entry.frame.as_ref().map_or("end".into(), describe),
                            options.wait
                        ),
                        live_silent,
                    });
                    break;
                }
            }
        }
        if !report.diffs.is_empty() {
            break;
        }
        // Keep the recorded schedule, or slip it when late.
        let now = Instant::now();
        let at = Duration::from_micros(entry.t_us);
        let start = *origin.get_or_insert_with(|| now.checked_sub(at).unwrap_or(now));
        let due = start + at;
        if due > now {
            tokio::time::sleep_until(due.into()).await;
        } else {
            origin = Some(start + (now - due));
        }
        match &entry.frame {
            None => {
                let _ = wr.shutdown().await;
                recorded.other_ended = true;
                live.other_ended = true;
            }
            Some(frame) => match encode(frame) {
                Ok(bytes) => {
                    if let Some((id, len)) = data {
                        *sent.entry(id).or_default() += len;
                    }
                    if let Err(err) = wr.write_all(&bytes).await {
                        report.diffs.push(Diff {
                            topic: Topic::Transport,
                            text: format!(
                                "sending entry {index} ({}) failed: {err}",
                                describe(frame)
                            ),
                            live_silent: false,
                        });
                        break;
                    }
                    report.sent += 1;
                }
                Err(err) => {
                    report.diffs.push(Diff {
                        topic: Topic::Transport,
                        text: format!("entry {index} cannot be replayed: {err}"),
                        live_silent: false,
                    });
                    break;
                }
            },
        }
    }

    // Everything the recorded peer sent, then a short linger for extra frames.
    let deadline = Instant::now() + options.wait;
    while live.covers(&whole, &reset).is_some() {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(item)) => receive(&mut live, &mut report, item),
            Ok(None) | Err(_) => break,
        }
    }
    let linger = Instant::now() + options.linger;
    while !live.ended {
        let left = linger.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(item)) => receive(&mut live, &mut report, item),
            Ok(None) | Err(_) => break,
        }
    }
    drop(wr);
    reader.abort();
    report.diffs.extend(compare(&whole, &live, &sent, &reset));
    report
}
