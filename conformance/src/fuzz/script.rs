//! Inputs and their expectations: a fuzz script is a list of [`Input`]s (frames the suite
//! sends, application calls, end-of-file), without expectations. [`Deriver`] plays them
//! against the reference state machine offline and writes the session vector they make: every
//! call with the reference's answer, every frame the reference sent (WNDINC left to the
//! runner's credit ledger, as in every session vector), the session's end. Played against
//! another implementation by `conformance run`'s own engine and judge, the vector fails exactly
//! where that implementation departs from the reference beyond what SPEC.md allows
//! (appendix B): framing and credit schedules are judged by the same ledger and lanes as every
//! case, and the few other choices SPEC.md leaves open are either pinned at SHOULD level or
//! kept out of the scripts (see [`Deriver::apply`]).

use std::collections::{BTreeMap, BTreeSet};

use muxado_reference::frame::{ErrorCode, Frame, StreamId, decode_frame};
use muxado_testkit::hex::to_hex as hex;
use muxado_vectors::session_model::SessionVector;
use muxado_vectors::session_run::{CallError, Iut, Offline, ReadResult};
use serde_json::{Value, json};

/// A stream a script names: by position, so that a script keeps its meaning when the shrinker
/// removes an input before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamRef {
    /// The k-th stream the implementation opened (0-based).
    Own(usize),
    /// The k-th stream id of the suite's parity (0-based), opened or not.
    Peer(usize),
    /// This id.
    Id(u32),
}

/// A frame the suite sends; bodies are made from a pattern that tells streams and positions
/// apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeerFrame {
    /// DATA with `len` bytes of the stream's next payload bytes.
    Data {
        /// The stream.
        stream: StreamRef,
        /// SYN.
        syn: bool,
        /// FIN.
        fin: bool,
        /// Body length.
        len: usize,
    },
    /// WNDINC.
    WndInc {
        /// The stream.
        stream: StreamRef,
        /// The increment.
        increment: u32,
    },
    /// RST.
    Rst {
        /// The stream.
        stream: StreamRef,
        /// The error code.
        code: u32,
    },
    /// GOAWAY naming the suite's last accepted stream.
    GoAway {
        /// Its error code.
        code: u32,
        /// Debug bytes.
        debug: usize,
    },
    /// Any header and body: unknown types, undefined flags, wrong lengths, stream 0, the
    /// reserved bit.
    Raw {
        /// Type, 0 to 15.
        type_code: u8,
        /// Flags, 0 to 15.
        flags: u8,
        /// The stream.
        stream: StreamRef,
        /// The reserved bit of the stream-id word.
        reserved: bool,
        /// The body.
        body: Vec<u8>,
    },
}

/// One input of a script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// The suite sends frames, in one write or, with `cut`, in two (cut that many bytes in).
    /// With `keep`, only the first `keep` bytes go out (the script then ends the transport:
    /// end-of-file inside a frame).
    Send {
        /// The frames.
        frames: Vec<PeerFrame>,
        /// Where the bytes are cut into two writes.
        cut: Option<usize>,
        /// How many bytes are sent at all.
        keep: Option<usize>,
    },
    /// The suite closes the transport.
    Eof,
    /// `open`.
    Open,
    /// `accept`.
    Accept,
    /// `write` of `len` pattern bytes.
    Write(StreamRef, usize),
    /// `read` of at most this many bytes.
    Read(StreamRef, usize),
    /// `close_write`.
    CloseWrite(StreamRef),
    /// `close_stream`.
    CloseStream(StreamRef),
    /// `reset` with a code.
    Reset(StreamRef, u32),
    /// `go_away` with a code and this many debug bytes.
    GoAway(u32, usize),
    /// `close`.
    Close,
}

impl Input {
    /// The session-vector action it becomes (`recv_hex`, `open`, ...).
    pub fn action(&self) -> &'static str {
        match self {
            Input::Send { .. } => "recv_hex",
            Input::Eof => "recv_eof",
            Input::Open => "open",
            Input::Accept => "accept",
            Input::Write(..) => "write",
            Input::Read(..) => "read",
            Input::CloseWrite(_) => "close_write",
            Input::CloseStream(_) => "close_stream",
            Input::Reset(..) => "reset",
            Input::GoAway(..) => "go_away",
            Input::Close => "close",
        }
    }
}

/// The role and settings of the implementation under test in one script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setup {
    /// The implementation is the client (opens odd ids).
    pub client: bool,
    /// Its window W.
    pub window: u32,
    /// Its accept backlog.
    pub backlog: usize,
}

/// The byte at `pos` of what is sent on stream `id`: the suite's bytes and the
/// implementation's differ (`from_peer`), so a byte echoed or delivered on the wrong stream is
/// seen.
pub fn pattern(id: u32, pos: usize, from_peer: bool) -> u8 {
    let salt: u32 = if from_peer { 0x5a } else { 0xa5 };
    (id.wrapping_mul(31)
        .wrapping_add(pos as u32)
        .wrapping_add(salt)
        & 0xff) as u8
}

/// Plays inputs against the reference and writes the session vector.
pub struct Deriver {
    setup: Setup,
    iut: Offline,
    own: Vec<u32>,
    /// Streams the application accepted.
    accepted: Vec<u32>,
    /// Bytes sent on each stream: by the suite, by the implementation's application.
    peer_sent: BTreeMap<u32, usize>,
    iut_wrote: BTreeMap<u32, usize>,
    /// Streams the suite has sent SYN on.
    peer_opened: BTreeSet<u32>,
    /// Streams the suite has sent FIN on.
    peer_fin: BTreeSet<u32>,
    /// Streams the reference sent RST on: what the suite sends on them afterwards meets a
    /// choice SPEC.md leaves open ([STREAM-11], appendix B).
    reset_by_iut: BTreeSet<u32>,
    /// Credit the reference granted per stream (its WNDINC frames), for the generator.
    credit: BTreeMap<u32, u64>,
    steps: Vec<Value>,
    /// Per step, the requirements the input exercised.
    tags: Vec<Vec<&'static str>>,
    pins: bool,
    calls_after_end: usize,
    /// SYNs earlier in the batch being encoded (they fill the backlog before this one).
    batch_syns: usize,
}

/// A derived script: the vector, and per step the requirement ids its input exercised.
pub struct Derived {
    /// The vector, as JSON.
    pub json: Value,
    /// The vector.
    pub vector: SessionVector,
    /// Per step, the requirements the input that made it exercised.
    pub tags: Vec<Vec<&'static str>>,
}

impl Deriver {
    /// A fresh reference session set up as `setup` says.
    pub fn new(setup: Setup) -> Deriver {
        let vector: SessionVector =
            serde_json::from_value(vector_json(setup, "derive", &[], &[], false))
                .expect("a vector without steps parses");
        Deriver {
            setup,
            iut: Offline::new(&vector),
            own: Vec::new(),
            accepted: Vec::new(),
            peer_sent: BTreeMap::new(),
            iut_wrote: BTreeMap::new(),
            peer_opened: BTreeSet::new(),
            peer_fin: BTreeSet::new(),
            reset_by_iut: BTreeSet::new(),
            credit: BTreeMap::new(),
            steps: Vec::new(),
            tags: Vec::new(),
            pins: false,
            calls_after_end: 0,
            batch_syns: 0,
        }
    }

    /// The setup.
    pub fn setup(&self) -> Setup {
        self.setup
    }

    /// The reference session, as it stands.
    pub fn reference(&self) -> &muxado_reference::session::Machine {
        self.iut.reference()
    }

    /// Streams the implementation opened, in order.
    pub fn own(&self) -> &[u32] {
        &self.own
    }

    /// Streams the suite opened (sent SYN on).
    pub fn peer_opened(&self) -> &BTreeSet<u32> {
        &self.peer_opened
    }

    /// The id of the suite's k-th stream.
    pub fn peer_id(&self, k: usize) -> u32 {
        let first = if self.setup.client { 2 } else { 3 };
        first + 2 * k as u32
    }

    /// Bytes the suite sent on a stream.
    pub fn peer_sent(&self, id: u32) -> usize {
        self.peer_sent.get(&id).copied().unwrap_or(0)
    }

    /// Bytes the implementation's application wrote on a stream.
    pub fn iut_wrote(&self, id: u32) -> usize {
        self.iut_wrote.get(&id).copied().unwrap_or(0)
    }

    /// How many more bytes the suite may send on a stream without overrunning the
    /// implementation's window.
    pub fn peer_window(&self, id: u32) -> u64 {
        (u64::from(self.setup.window) + self.credit.get(&id).copied().unwrap_or(0))
            .saturating_sub(self.peer_sent(id) as u64)
    }

    /// Whether the reference session has ended.
    pub fn ended(&self) -> bool {
        self.iut.ended()
    }

    /// How many inputs were taken.
    pub fn steps(&self) -> usize {
        self.steps.len()
    }

    fn resolve(&self, stream: StreamRef) -> Option<u32> {
        match stream {
            StreamRef::Own(k) => self.own.get(k).copied(),
            StreamRef::Peer(k) => Some(self.peer_id(k)),
            StreamRef::Id(id) => Some(id),
        }
    }

    /// Plays one input; `false` when it does not apply to this script (a stream it names was
    /// never opened, the session has ended and enough calls were made after it, or it would
    /// meet a choice SPEC.md leaves open that the vector could not judge fairly: closing or
    /// resetting a stream never written to, [STREAM-2]; a call on a stream the application
    /// does not hold; a write that must wait for window).
    pub fn apply(&mut self, input: &Input) -> bool {
        if self.iut.ended() {
            if self.calls_after_end >= 2 || matches!(input, Input::Send { .. } | Input::Eof) {
                return false;
            }
            self.calls_after_end += 1;
        }
        let before = self.steps.len();
        let ended = self.iut.ended();
        let tags = match input {
            Input::Send { frames, cut, keep } => {
                let Some((bytes, mut tags)) = self.encode(frames) else {
                    return false;
                };
                let bytes = match keep {
                    Some(n) => &bytes[..(*n).min(bytes.len())],
                    None => &bytes[..],
                };
                let pieces: Vec<&[u8]> = match cut {
                    Some(c) if *c > 0 && *c < bytes.len() => vec![&bytes[..*c], &bytes[*c..]],
                    _ => vec![bytes],
                };
                for piece in pieces {
                    if piece.is_empty() {
                        continue;
                    }
                    let _ = self.iut.recv(piece);
                    self.steps.push(json!({ "recv_hex": hex(piece) }));
                    if self.iut.reference().paused_for_backlog() {
                        // [STREAM-14] a SYN waits for room: the script lets twice the patience
                        // pass, as real time does over a socket, so that offline and live agree
                        // (twice: the next call must not reach a live session still waiting).
                        let patience = self.iut.reference().config().accept_patience;
                        let ms = 2 * patience.as_millis() as u64;
                        let _ = self.iut.advance(ms);
                        self.steps.push(json!({ "advance_ms": ms }));
                        tags.push("STREAM-14");
                    }
                }
                tags
            }
            Input::Eof => {
                let _ = self.iut.recv_eof();
                self.steps.push(json!({ "recv_eof": true }));
                vec!["SESSION-3", "SESSION-7"]
            }
            Input::Open => {
                let answer = self.iut.open();
                let expect = match answer {
                    Ok(Ok(id)) => {
                        self.own.push(id);
                        json!({ "stream_id": id })
                    }
                    Ok(Err(e)) => error(&e),
                    Err(_) => return false,
                };
                self.steps.push(json!({ "open": { "expect": expect } }));
                vec!["ID-1", "ID-2", "ID-4", "STREAM-1", "GOAWAY-7"]
            }
            Input::Accept => {
                let expect = match self.iut.accept() {
                    Ok(Ok(Some(id))) => {
                        self.accepted.push(id);
                        json!({ "stream_id": id })
                    }
                    Ok(Ok(None)) => json!({ "none": true }),
                    Ok(Err(e)) => error(&e),
                    Err(_) => return false,
                };
                self.steps.push(json!({ "accept": { "expect": expect } }));
                vec!["STREAM-4", "LIMIT-3"]
            }
            Input::Write(stream, len) => {
                let Some(id) = self.held(*stream) else {
                    return false;
                };
                let room = self.iut.reference().send_window(StreamId::new(id)) as usize;
                if *len == 0 || *len > room && !self.iut.ended() {
                    return false;
                }
                let from = self.iut_wrote(id);
                let data: Vec<u8> = (from..from + len).map(|p| pattern(id, p, false)).collect();
                let expect = match self.iut.write(id, &data) {
                    Ok(Ok(n)) => {
                        *self.iut_wrote.entry(id).or_default() += n;
                        json!({ "written": n })
                    }
                    Ok(Err(e)) => error(&e),
                    Err(_) => return false,
                };
                self.steps.push(json!({ "write": {
                    "stream_id": id, "data": hex(&data), "expect": expect,
                } }));
                vec!["STREAM-2", "STREAM-12", "FLOW-3", "DATA-3"]
            }
            Input::Read(stream, max) => {
                let Some(id) = self.held(*stream) else {
                    return false;
                };
                let expect = match self.iut.read(id, *max) {
                    Ok(Ok(ReadResult::Data(bytes))) => json!({ "data": hex(&bytes) }),
                    Ok(Ok(ReadResult::Eof)) => json!({ "eof": true }),
                    Ok(Ok(ReadResult::Blocked)) => json!({ "blocked": true }),
                    Ok(Err(e)) => error(&e),
                    Err(_) => return false,
                };
                self.steps.push(json!({ "read": {
                    "stream_id": id, "max": max, "expect": expect,
                } }));
                vec!["STREAM-6", "FLOW-6", "FLOW-7", "DATA-4"]
            }
            Input::CloseWrite(stream) => {
                let Some(id) = self.unwritten_guard(*stream) else {
                    return false;
                };
                let mut step = json!({ "stream_id": id });
                match self.iut.close_write(id) {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => step["expect"] = error(&e),
                    Err(_) => return false,
                }
                self.steps.push(json!({ "close_write": step }));
                vec!["STREAM-6", "STREAM-10"]
            }
            Input::CloseStream(stream) => {
                let Some(id) = self.unwritten_guard(*stream) else {
                    return false;
                };
                let _ = self.iut.close_stream(id);
                self.steps
                    .push(json!({ "close_stream": { "stream_id": id } }));
                vec!["STREAM-9", "STREAM-13"]
            }
            Input::Reset(stream, code) => {
                let Some(id) = self.unwritten_guard(*stream) else {
                    return false;
                };
                let mut step = json!({ "stream_id": id, "error_code": code });
                match self.iut.reset(id, *code) {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => step["expect"] = error(&e),
                    Err(_) => return false,
                }
                self.steps.push(json!({ "reset": step }));
                vec!["STREAM-11", "RST-3"]
            }
            Input::GoAway(code, debug) => {
                let debug: Vec<u8> = (0..*debug).map(|p| pattern(0, p, false)).collect();
                let mut step = json!({ "error_code": code, "debug": hex(&debug) });
                match self.iut.go_away(*code, &debug) {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => step["expect"] = error(&e),
                    Err(_) => return false,
                }
                self.steps.push(json!({ "go_away": step }));
                vec!["GOAWAY-5", "GOAWAY-6", "GOAWAY-8", "GOAWAY-11"]
            }
            Input::Close => {
                let _ = self.iut.close();
                self.steps.push(json!({ "close": {} }));
                vec!["SESSION-1", "SESSION-2", "SESSION-5"]
            }
        };
        // A call after the session ended is about what it reports ([SESSION-4], [SESSION-8]).
        let tags = if ended && !matches!(input, Input::Send { .. } | Input::Eof) {
            [vec!["SESSION-4", "SESSION-8"], tags].concat()
        } else {
            tags
        };
        self.expect_sent(matches!(input, Input::GoAway(..)));
        let made = self.steps.len() - before;
        self.tags.extend(std::iter::repeat_n(tags, made));
        true
    }

    /// The id of a stream the application holds (opened or accepted): calls name no other,
    /// since an agent knows streams only through its application ([AGENT-3]).
    fn held(&self, stream: StreamRef) -> Option<u32> {
        let id = self.resolve(stream)?;
        (self.own.contains(&id) || self.accepted.contains(&id)).then_some(id)
    }

    /// Streams the application holds: opened or accepted.
    pub fn held_streams(&self) -> Vec<u32> {
        self.own.iter().chain(&self.accepted).copied().collect()
    }

    /// The id of a stream the script may close or reset: not one of the implementation's own
    /// streams it never wrote to (SPEC.md allows several reactions there, [STREAM-2]).
    fn unwritten_guard(&self, stream: StreamRef) -> Option<u32> {
        let id = self.held(stream)?;
        let own = self.own.contains(&id);
        (!own || self.iut_wrote(id) > 0).then_some(id)
    }

    /// The frames' bytes, and the requirements they exercise.
    fn encode(&mut self, frames: &[PeerFrame]) -> Option<(Vec<u8>, Vec<&'static str>)> {
        let mut out = Vec::new();
        let mut tags: Vec<&'static str> = Vec::new();
        let mut primaries: Vec<&'static str> = Vec::new();
        self.batch_syns = 0;
        for frame in frames {
            let from = tags.len();
            let (type_code, flags, id, reserved, body) = match frame {
                PeerFrame::Data {
                    stream,
                    syn,
                    fin,
                    len,
                } => {
                    let id = self.resolve(*stream)?;
                    tags.extend(self.data_tags(id, *syn, *fin, *len));
                    self.batch_syns += usize::from(*syn);
                    if *syn {
                        self.peer_opened.insert(id);
                        self.peer_fin.remove(&id);
                    }
                    if *fin {
                        self.peer_fin.insert(id);
                    }
                    let from = self.peer_sent(id);
                    *self.peer_sent.entry(id).or_default() += len;
                    let body = (from..from + len).map(|p| pattern(id, p, true)).collect();
                    (1, u8::from(*fin) | u8::from(*syn) << 1, id, false, body)
                }
                PeerFrame::WndInc { stream, increment } => {
                    let id = self.resolve(*stream)?;
                    let known = self.iut.reference().knows_stream(StreamId::new(id));
                    tags.push(match (*increment, known) {
                        (0, _) => "WNDINC-4",
                        (_, false) => "WNDINC-5",
                        (i, true) if u64::from(i) > 0x7fff_ffff / 2 => "FLOW-8",
                        _ => "FLOW-5",
                    });
                    tags.extend(["FLOW-5", "WNDINC-5"]);
                    (2, 0, id, false, increment.to_be_bytes().to_vec())
                }
                PeerFrame::Rst { stream, code } => {
                    let id = self.resolve(*stream)?;
                    let known = self.iut.reference().knows_stream(StreamId::new(id));
                    tags.extend(if known {
                        ["RST-4", "RST-3"]
                    } else {
                        ["RST-5", "RST-3"]
                    });
                    (0, 0, id, false, code.to_be_bytes().to_vec())
                }
                PeerFrame::GoAway { code, debug } => {
                    tags.extend(["GOAWAY-7", "GOAWAY-9", "GOAWAY-10"]);
                    // The suite "accepted" every stream of the implementation it has seen.
                    let last = self
                        .own
                        .iter()
                        .copied()
                        .filter(|id| self.iut_wrote(*id) > 0)
                        .max()
                        .unwrap_or(0);
                    let mut body = last.to_be_bytes().to_vec();
                    body.extend(code.to_be_bytes());
                    body.extend((0..*debug).map(|p| pattern(0, p, true)));
                    (3, 0, 0, false, body)
                }
                PeerFrame::Raw {
                    type_code,
                    flags,
                    stream,
                    reserved,
                    body,
                } => {
                    let id = self.resolve(*stream)?;
                    tags.extend(raw_tags(*type_code, *flags, id, *reserved, body.len()));
                    (*type_code & 0xf, *flags & 0xf, id, *reserved, body.clone())
                }
            };
            if let Some(primary) = tags.get(from) {
                primaries.push(primary);
            }
            if self.reset_by_iut.contains(&id) {
                // What the reference does here (silence) is the SHOULD of [STREAM-11].
                self.pins = true;
            }
            let len = body.len() as u32;
            out.extend(&len.to_be_bytes()[1..]);
            out.push(type_code << 4 | flags);
            let word = id & 0x7fff_ffff | if reserved { 0x8000_0000 } else { 0 };
            out.extend(word.to_be_bytes());
            out.extend(body);
        }
        // The batch is about its most particular frame: the first whose requirement is not
        // that of plain data or a plain open.
        let primary = primaries
            .iter()
            .find(|p| !matches!(**p, "DATA-4" | "STREAM-4" | "FLOW-5"))
            .or(primaries.first())
            .copied();
        tags.extend(["FRAME-1", "FRAME-6"]);
        tags.insert(0, primary.unwrap_or("FRAME-1"));
        Some((out, tags))
    }

    /// The requirements a DATA frame from the suite exercises, from the state it meets; the
    /// first is the one the frame's reception turns on (a difference's signature).
    fn data_tags(&self, id: u32, syn: bool, fin: bool, len: usize) -> Vec<&'static str> {
        let session = self.iut.reference();
        let known = session.knows_stream(StreamId::new(id));
        let ours = (id % 2 == 1) == self.setup.client;
        let overrun = len as u64 > self.peer_window(id);
        let primary = if id == 0 {
            "DATA-1"
        } else if syn && known {
            "ID-7"
        } else if syn && ours {
            "ID-6"
        } else if syn && overrun {
            "FLOW-4"
        } else if syn && session.accept_queue_ids().len() + self.batch_syns >= self.setup.backlog {
            "STREAM-5"
        } else if syn {
            "STREAM-4"
        } else if self.reset_by_iut.contains(&id) {
            "STREAM-11"
        } else if self.peer_fin.contains(&id) {
            "STREAM-8"
        } else if !known && len == 0 && fin {
            "STREAM-7"
        } else if !known {
            "STREAM-8"
        } else if overrun {
            "FLOW-4"
        } else if fin {
            "STREAM-6"
        } else {
            "DATA-4"
        };
        let mut tags = vec![primary, "DATA-2", "DATA-4", "FLOW-10"];
        if syn {
            tags.extend(["STREAM-4", "ID-8", "LIMIT-3"]);
        } else if !known {
            tags.push("LIMIT-5");
        }
        if overrun {
            tags.extend(["FLOW-4", "LIMIT-1"]);
        }
        if fin {
            tags.extend(["STREAM-6", "STREAM-10", "STREAM-12"]);
        }
        tags
    }

    /// Adds an `expect_sent` step with the frames the reference sent, if any.
    fn expect_sent(&mut self, own_go_away: bool) {
        let Ok(bytes) = self.iut.sent(&mut |_| true) else {
            return;
        };
        let mut frames = Vec::new();
        let mut rest = &bytes[..];
        while let Ok((frame, used)) = decode_frame(rest) {
            let id = frame.stream_id().get();
            let flags = frame.flags().get();
            match frame {
                Frame::Data(data) => frames.push(json!({
                    "type": "DATA", "stream_id": id, "flags": flags,
                    "payload": hex(data.payload),
                })),
                Frame::Rst(rst) => {
                    self.reset_by_iut.insert(id);
                    frames.push(json!({
                        "type": "RST", "stream_id": id, "flags": flags,
                        "error_code": rst.error_code.0,
                    }));
                }
                Frame::GoAway(g) => {
                    let mut f = json!({
                        "type": "GOAWAY", "stream_id": id, "flags": flags,
                        "last_stream_id": g.last_stream_id.get(),
                        "error_code": g.error_code.0,
                    });
                    if own_go_away {
                        f["debug"] = json!(hex(g.debug));
                    } else {
                        // Its text is the implementation's to choose ([SESSION-1], [FRAME-8]).
                        f["debug_any"] = json!(true);
                    }
                    frames.push(f);
                }
                Frame::WndInc(w) => {
                    *self.credit.entry(id).or_default() += u64::from(w.increment);
                }
                Frame::Unknown(_) => {}
            }
            rest = &rest[used..];
        }
        let pinned = std::mem::take(&mut self.pins);
        if frames.is_empty() && !pinned {
            return;
        }
        let mut step = json!({ "expect_sent": frames });
        if pinned {
            step["pins"] = json!("ResetLinger");
        }
        self.steps.push(step);
    }

    /// The vector: the steps so far and, unless `session_check` is off (an implementation that
    /// cannot tell its session's state), the session's end.
    pub fn finish(mut self, id: &str, description: &str, session_check: bool) -> Derived {
        let end = match self.iut.session() {
            Ok(state) => match state.ended {
                Some(e) => json!({ "ended": true, "local_error": code_value(e.code) }),
                None => json!({ "ended": false }),
            },
            Err(_) => json!({ "ended": self.iut.ended() }),
        };
        if session_check {
            self.steps.push(json!({ "expect_session": end }));
            self.tags.push(vec!["SESSION-4", "SESSION-8"]);
        }
        let mut requirements: Vec<&str> = self.tags.iter().flatten().copied().collect();
        requirements.sort_unstable();
        requirements.dedup();
        let pinned = self.steps.iter().any(|s| s.get("pins").is_some());
        let json = vector_json(self.setup, id, &requirements, &self.steps, pinned);
        json_with_description(json, description, self.tags)
    }
}

fn json_with_description(
    mut json: Value,
    description: &str,
    tags: Vec<Vec<&'static str>>,
) -> Derived {
    json["description"] = json!(description);
    let vector = serde_json::from_value(json.clone()).expect("a derived vector parses");
    Derived { json, vector, tags }
}

/// The requirements a raw frame exercises.
fn raw_tags(type_code: u8, flags: u8, id: u32, reserved: bool, len: usize) -> Vec<&'static str> {
    let primary = match (type_code, len) {
        (4.., _) => "FRAME-11",
        (0, 4) if flags == 0 && id != 0 => "RST-3",
        (0, 4) if flags == 0 => "RST-2",
        (0, _) if flags == 0 => "RST-1",
        (2, 4) if flags == 0 && id != 0 => "WNDINC-4",
        (2, 4) if flags == 0 => "WNDINC-2",
        (2, _) if flags == 0 => "WNDINC-1",
        (3, 0..=7) => "GOAWAY-1",
        (3, _) if id != 0 => "GOAWAY-2",
        (1, _) if id == 0 => "DATA-1",
        _ if flags != 0 => "FRAME-9",
        _ if reserved => "FRAME-5",
        _ => "FRAME-8",
    };
    let mut tags = vec![primary, "FRAME-2", "FRAME-3", "FRAME-7", "FRAME-8", "ERR-3"];
    if reserved {
        tags.extend(["FRAME-4", "FRAME-5"]);
    }
    match type_code {
        0 => {
            tags.extend(["RST-1", "RST-2"]);
            if flags != 0 {
                tags.push("FRAME-9");
            }
        }
        1 => {
            if id == 0 {
                tags.push("DATA-1");
            }
            if flags & 0xc != 0 {
                tags.push("FRAME-9");
            }
        }
        2 => {
            tags.extend(["WNDINC-1", "WNDINC-2", "WNDINC-3", "WNDINC-4"]);
            if flags != 0 {
                tags.push("FRAME-9");
            }
        }
        3 => {
            tags.extend(["GOAWAY-1", "GOAWAY-2", "GOAWAY-3", "GOAWAY-4"]);
            if len > 8 {
                tags.push("LIMIT-4");
            }
        }
        _ => tags.extend(["FRAME-11", "LIMIT-5", "LIMIT-7"]),
    }
    tags
}

fn vector_json(
    setup: Setup,
    id: &str,
    requirements: &[&str],
    steps: &[Value],
    pinned: bool,
) -> Value {
    let mut v = json!({
        "id": id,
        "description": "",
        "requirements": if requirements.is_empty() { vec!["FRAME-1"] } else { requirements.to_vec() },
        "role": if setup.client { "client" } else { "server" },
        "config": {
            "max_window_size": setup.window,
            "accept_backlog": setup.backlog,
        },
        "steps": steps,
    });
    if pinned {
        v["flags"] = json!(["ResetLinger"]);
    }
    v
}

/// A code as vectors write it: its SPEC name, or its number.
fn code_value(code: u32) -> Value {
    match ErrorCode(code).name() {
        Some(name) => json!(name),
        None => json!(code),
    }
}

fn error(e: &CallError) -> Value {
    json!({ "error": code_value(e.code) })
}
