//! The `session` target's harness: one session against a scripted peer, its every reaction
//! checked against what SPEC.md requires of it.

use std::time::Duration;

use muxado_reference::frame::{
    DecodeError, ErrorCode, Flags, FrameType, HEADER_LEN, MAX_INCREMENT, StreamId, Violation,
    decode_frame, decode_header,
};
use muxado_reference::session::{Error, Machine, Read, Role, Snapshot};

use super::input::{Input, config, frame_from_fields};
use super::invariants::{Held, Scope, Sent, check_invariants, full_check_due, is_local, transmit};
use crate::{Chunker, DATA, GOAWAY, OwnedFrame, RST, WNDINC};

/// An error code an application may send: the local-only codes 0xB to 0xE are mapped away
/// (SPEC [ERR-2]).
fn app_code(byte: u8) -> ErrorCode {
    match byte % 20 {
        c @ 0xB..=0xE => ErrorCode(u32::from(c) + 0x100),
        c => ErrorCode(u32::from(c)),
    }
}

/// The error code SPEC.md names for a connection error breaking requirement `id`: written
/// from the SPEC's text (sections 4, 5, 9), not taken from the reference's `Violation`.
fn spec_code(id: &str) -> ErrorCode {
    match id {
        "RST-1" | "WNDINC-1" | "GOAWAY-1" => ErrorCode::FRAME_SIZE_ERROR,
        "RST-2" | "DATA-1" | "WNDINC-2" | "WNDINC-4" | "GOAWAY-2" | "ID-6" | "ID-7" => {
            ErrorCode::PROTOCOL_ERROR
        }
        other => panic!("no SPEC code for {other}"),
    }
}

fn rst(id: StreamId, code: ErrorCode) -> OwnedFrame {
    OwnedFrame {
        frame_type: RST,
        flags: 0,
        stream_id: id.get(),
        value: code.0,
        bytes: Vec::new(),
    }
}

/// Whether `MUXADO_FUZZ_TRACE` is set: the harness then prints each step and frame sent.
fn trace() -> bool {
    static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("MUXADO_FUZZ_TRACE").is_some())
}

/// One session against a scripted peer.
struct Single {
    s: Machine,
    role: Role,
    now: Duration,
    chunker: Chunker,
    /// The inbound bytes of the frame in progress, as the test's own decoder sees them.
    pending: Vec<u8>,
    /// The state when the current frame's header arrived, and whether the session had ended.
    at_header: Option<(Snapshot, bool)>,
    /// An application call came between the header and the end of the current frame: the
    /// exact reaction is not checked for it.
    interleaved: bool,
    /// Output taken since the current frame's header arrived.
    reaction: Vec<OwnedFrame>,
    held: Held,
    /// The streams the current step named or moved frames of: what it may have changed.
    touched: Vec<StreamId>,
    /// The current step may have changed any stream: check them all.
    full: bool,
    last_opened: StreamId,
    sent: Sent,
}

/// Runs the `session` target on `data`.
pub fn run_single(data: &[u8]) {
    let mut input = Input::new(data);
    let (Some(role), Some(config_byte), Some(seed)) = (input.u8(), input.u8(), input.u16()) else {
        return;
    };
    let role = if role & 1 == 0 {
        Role::Client
    } else {
        Role::Server
    };
    let mut h = Single {
        s: Machine::new(role, config(config_byte)),
        role,
        now: Duration::ZERO,
        chunker: Chunker::new(seed),
        pending: Vec::new(),
        at_header: None,
        interleaved: false,
        reaction: Vec::new(),
        held: Held::default(),
        touched: Vec::new(),
        full: false,
        last_opened: StreamId::ZERO,
        sent: Sent::default(),
    };
    let mut steps = 0;
    while let Some(op) = input.u8() {
        steps += 1;
        if steps > 2000 {
            break;
        }
        h.touched.clear();
        h.full = false;
        let ended = h.s.termination().is_some();
        if h.step(op % 16, &mut input).is_none() {
            break;
        }
        h.flush();
        let full = h.full
            || ended != h.s.termination().is_some()
            || full_check_due(steps, h.s.census().streams);
        let scope = if full {
            Scope::All
        } else {
            Scope::Streams(&h.touched)
        };
        check_invariants(&h.s, &h.held, scope);
    }
    h.finish();
}

impl Single {
    fn window(&self) -> u32 {
        self.s.config().max_window_size
    }

    /// Takes the output, checks it, and keeps it as part of the current frame's reaction.
    fn flush(&mut self) -> Vec<OwnedFrame> {
        let (_, frames) = transmit(&mut self.s);
        if trace() && !frames.is_empty() {
            eprintln!("sent {frames:?}");
        }
        let window = self.window();
        self.sent.arriving = match decode_header(&self.pending) {
            Ok(h) if h.frame_type == FrameType::DATA => {
                Some((h.stream_id, (self.pending.len() - HEADER_LEN) as u64))
            }
            _ => None,
        };
        self.sent.check(&frames, window);
        self.touched
            .extend(frames.iter().map(|f| StreamId::new(f.stream_id)));
        self.reaction.extend(frames.iter().cloned());
        frames
    }

    fn pick(&mut self, arg: u8) -> Option<StreamId> {
        let id = match self.held.pick(arg).filter(|_| arg & 0x80 == 0) {
            Some(id) => Some(id),
            None => {
                let id = StreamId::new(u32::from(arg & 0x7F));
                // A stream the application does not hold is only used while the session
                // does not know it either (the unknown-stream paths).
                (!self.s.knows_stream(id)).then_some(id)
            }
        };
        self.touched.extend(id);
        id
    }

    /// Before an application call: the frame in progress no longer reacts alone.
    /// The snapshot holds stream `focus` only (and none without one).
    fn app_call(&mut self, focus: Option<StreamId>) -> (Option<Snapshot>, bool) {
        if self.pending.len() >= HEADER_LEN {
            self.interleaved = true;
        }
        self.flush();
        let snap = self.s.snapshot_of(focus.as_slice());
        (Some(snap), self.s.termination().is_some())
    }

    fn step(&mut self, op: u8, input: &mut Input<'_>) -> Option<()> {
        if trace() {
            eprintln!("op {op} pending {}", self.pending.len());
        }
        match op {
            0 | 15 => {
                let len = usize::from(input.u16()?);
                let bytes = input.bytes(len).to_vec();
                self.receive(&bytes);
            }
            1 => {
                let bytes = frame_from_fields(input)?;
                self.receive(&bytes);
            }
            2 => {
                self.app_call(None);
                let gone = self.s.remote_go_away().is_some();
                let ended = self.s.termination().is_some();
                match self.s.open() {
                    Ok(id) => {
                        assert!(!ended && !gone, "[GOAWAY-7] opened after GOAWAY");
                        assert!(is_local(self.role, id), "[ID-1] wrong parity");
                        assert!(id.get() >= 2, "[ID-2]");
                        assert!(self.last_opened < id, "[ID-4] ids increase");
                        self.last_opened = id;
                        // An RST sent earlier for this id (DATA for it while idle, [STREAM-8])
                        // concerned no stream: the new stream's history starts here.
                        self.sent.restart(id);
                        self.held.insert(id);
                        self.touched.push(id);
                    }
                    Err(Error::RemoteGoneAway) => assert!(gone),
                    Err(Error::SessionEnded(_)) => assert!(ended),
                    Err(Error::StreamsExhausted) => {}
                    Err(e) => panic!("open failed with {e:?}"),
                }
            }
            3 => {
                self.app_call(None);
                if let Some(id) = self.s.accept() {
                    self.held.insert(id);
                    self.touched.push(id);
                }
            }
            4 | 13 => {
                let id = self.pick(input.u8()?);
                let len = usize::from(input.u16()?);
                let Some(id) = id else { return Some(()) };
                let (snap, _) = self.app_call(Some(id));
                let before = snap.and_then(|s| s.stream(id).cloned());
                let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
                let result = if op == 4 {
                    self.s.write(id, &data)
                } else {
                    self.s
                        .write_whole(id, &data)
                        .map(|whole| if whole { len } else { 0 })
                };
                let frames = self.flush();
                match result {
                    Ok(n) => {
                        let before = before.expect("write on a known stream");
                        assert!(n <= len && n as u64 <= before.send_window, "[FLOW-3]");
                        // [INTEROP-6] with `syn_alone`, a first write opens the stream with
                        // an empty SYN frame of its own.
                        let alone = self.s.config().syn_alone && !before.syn_sent && n > 0;
                        let data = if alone {
                            let first = &frames[0];
                            assert_eq!((first.flags, first.bytes.len()), (2, 0), "[INTEROP-6]");
                            &frames[1..]
                        } else {
                            &frames[..]
                        };
                        let mut total = 0;
                        for (i, f) in data.iter().enumerate() {
                            assert_eq!((f.frame_type, f.stream_id), (DATA, id.get()));
                            // [STREAM-2] SYN on the stream's first frame only.
                            let syn = f.flags & 2 != 0;
                            assert_eq!(syn, i == 0 && !before.syn_sent && !alone, "[STREAM-2]");
                            total += f.bytes.len();
                        }
                        assert_eq!(total, n, "written bytes and DATA sent differ");
                        if op == 13 && n > 0 {
                            assert_eq!(data.len(), 1, "[TYPED-2] write_whole split");
                        }
                    }
                    Err(_) => assert!(frames.is_empty(), "a failed write sent frames"),
                }
            }
            5 => {
                let id = self.pick(input.u8()?);
                let max = usize::from(input.u16()?);
                let Some(id) = id else { return Some(()) };
                let (snap, _) = self.app_call(Some(id));
                let before = snap.and_then(|s| s.stream(id).cloned());
                let mut buf = vec![0; max];
                let result = self.s.read(id, &mut buf);
                let frames = self.flush();
                for f in &frames {
                    assert_eq!((f.frame_type, f.stream_id), (WNDINC, id.get()));
                }
                match result {
                    Ok(Read::Data(n)) => {
                        let before = before.expect("read from a known stream");
                        assert!(n <= max && n <= before.buffered);
                        assert!(n > 0 || max == 0, "an empty read of a non-empty buffer");
                    }
                    Ok(Read::Eof) => {
                        let before = before.expect("read from a known stream");
                        assert!(before.recv_fin && before.buffered == 0, "[STREAM-6]");
                    }
                    Ok(Read::Blocked) => {
                        let before = before.expect("read from a known stream");
                        assert!(before.buffered == 0 || max == 0);
                    }
                    Err(_) => assert!(frames.is_empty()),
                }
            }
            6 => {
                let Some(id) = self.pick(input.u8()?) else {
                    return Some(());
                };
                self.app_call(Some(id));
                let result = self.s.close_write(id);
                let frames = self.flush();
                for f in &frames {
                    assert_eq!((f.frame_type, f.stream_id), (DATA, id.get()));
                    assert!(f.bytes.is_empty());
                    // [INTEROP-8] never SYN and FIN on one frame.
                    assert_ne!(f.flags & 3, 3, "[INTEROP-8] SYN|FIN sent");
                }
                match result {
                    Ok(()) => assert_eq!(frames.last().map(|f| f.flags), Some(1), "FIN sent"),
                    Err(_) => assert!(frames.is_empty()),
                }
            }
            7 => {
                let id = self.pick(input.u8()?);
                let code = app_code(input.u8()?);
                let Some(id) = id else { return Some(()) };
                let (snap, _) = self.app_call(Some(id));
                let live = snap
                    .and_then(|s| s.stream(id).cloned())
                    .is_some_and(|st| st.error.is_none() && !st.finished);
                let result = self.s.reset(id, code);
                let frames = self.flush();
                assert!(
                    frames.is_empty() || frames == [rst(id, code)],
                    "reset sent {frames:?}"
                );
                if result.is_ok() && live {
                    // [STREAM-11] every later operation fails at once.
                    let mut buf = [0; 4];
                    let read = self.s.read(id, &mut buf);
                    assert!(read.is_err() || self.s.stream_error(id).is_none());
                }
            }
            8 => {
                let Some(id) = self.pick(input.u8()?) else {
                    return Some(());
                };
                self.app_call(Some(id));
                self.s.close_stream(id);
                let frames = self.flush();
                for f in &frames {
                    assert_eq!(f.stream_id, id.get());
                    assert!(f.frame_type == WNDINC || (f.frame_type == DATA && f.flags == 1));
                }
                self.held.remove(id);
                assert!(!self.s.knows_stream(id), "[STREAM-9] not forgotten");
            }
            9 => {
                self.full = true;
                let code = app_code(input.u8()?);
                let debug = vec![b'x'; usize::from(input.u8()?)];
                let (snap, ended) = self.app_call(None);
                let result = self.s.go_away(code, &debug);
                let frames = self.flush();
                if ended {
                    assert!(result.is_err() && frames.is_empty(), "[SESSION-4]");
                } else {
                    let last = snap.expect("snapshot").last_accepted_remote;
                    let expected = OwnedFrame {
                        frame_type: GOAWAY,
                        flags: 0,
                        stream_id: last.get(),
                        value: code.0,
                        bytes: debug,
                    };
                    assert_eq!(frames, [expected], "[GOAWAY-5]");
                }
            }
            10 => {
                self.full = true;
                let (_, ended) = self.app_call(None);
                self.s.close();
                let frames = self.flush();
                if ended {
                    assert!(frames.is_empty(), "[SESSION-5] frames after the end");
                } else {
                    assert_eq!(frames.len(), 1);
                    assert_eq!((frames[0].frame_type, frames[0].value), (GOAWAY, 0));
                    let t = self.s.termination().expect("closed");
                    assert_eq!(t.local, ErrorCode::SESSION_CLOSED);
                }
            }
            11 => {
                self.full = true;
                self.now += Duration::from_millis(u64::from(input.u16()?));
                self.s.handle_timeout(self.now);
            }
            12 => {
                self.full = true;
                let (_, ended) = self.app_call(None);
                self.s.handle_eof();
                assert!(self.flush().is_empty(), "[ERR-2] nothing sent on EOF");
                if !ended {
                    let t = self.s.termination().expect("[SESSION-3] ended");
                    assert_eq!(t.local, ErrorCode::PEER_EOF, "[SESSION-3]");
                }
            }
            14 => self.chunker = Chunker::new(input.u16()?),
            _ => unreachable!(),
        }
        Some(())
    }

    /// The peer sends `data`, delivered in chunks; each frame's reaction is checked once the
    /// frame is complete.
    fn receive(&mut self, data: &[u8]) {
        let mut rest = data;
        while !rest.is_empty() {
            let n = self.chunker.next_size().min(rest.len());
            let (chunk, after) = rest.split_at(n);
            rest = after;
            self.receive_chunk(chunk);
        }
    }

    fn receive_chunk(&mut self, mut chunk: &[u8]) {
        while !chunk.is_empty() {
            let needed = match decode_frame(&self.pending) {
                Err(DecodeError::Incomplete { needed }) => needed.get(),
                other => unreachable!("a finished frame is never pending: {other:?}"),
            };
            let n = needed.min(chunk.len());
            if trace() {
                eprintln!("feed {n} of {} pending {:02x?}", chunk.len(), self.pending);
            }
            if self.pending.len() < HEADER_LEN && self.pending.len() + n >= HEADER_LEN {
                // The header is about to arrive: the session decides from this state.
                self.flush();
                self.reaction.clear();
                self.interleaved = false;
                let mut header = self.pending.clone();
                header.extend_from_slice(&chunk[..HEADER_LEN - self.pending.len()]);
                let focus = decode_header(&header)
                    .ok()
                    .filter(|h| h.frame_type != FrameType::GOAWAY)
                    .map(|h| h.stream_id);
                let snap = self.frame_snapshot(focus);
                self.at_header = Some((snap, self.s.termination().is_some()));
            }
            let header_arrives =
                self.pending.len() < HEADER_LEN && self.pending.len() + n >= HEADER_LEN;
            // An application call (close, or the transport's EOF) may have ended the session
            // while this frame was arriving: then its last bytes are never processed.
            let ended_mid_frame = self.s.termination().map(|t| t.local);
            self.pending.extend_from_slice(&chunk[..n]);
            self.s.handle_input(&chunk[..n], self.now);
            if header_arrives {
                self.on_header();
            }
            chunk = &chunk[n..];
            let pending = std::mem::take(&mut self.pending);
            match decode_frame(&pending) {
                Err(DecodeError::Incomplete { .. }) => self.pending = pending,
                Ok((frame, used)) => {
                    assert_eq!(used, pending.len());
                    let frame = OwnedFrame::of(&frame);
                    self.flush();
                    self.check_frame(&frame);
                }
                Err(DecodeError::Violation(v)) => {
                    let late = self.flush();
                    match ended_mid_frame {
                        Some(code) => {
                            self.at_header = None;
                            assert!(late.is_empty(), "[SESSION-4] reaction after the end");
                            let t = self.s.termination().expect("still ended");
                            assert_eq!(t.local, code, "[SESSION-4] the end is kept");
                        }
                        None => self.check_violation(v),
                    }
                }
            }
        }
    }

    /// A SYN the session accepted when its header arrived: the peer opened the id anew
    /// (SPEC [ID-8]), so the sender-side history of the id starts again.
    fn on_header(&mut self) {
        let Ok(header) = decode_header(&self.pending) else {
            return;
        };
        let id = header.stream_id;
        let had = self
            .at_header
            .as_ref()
            .is_some_and(|(snap, _)| snap.stream(id).is_some());
        if header.frame_type == FrameType::DATA
            && header.flags.contains(Flags::SYN)
            && !had
            && self.s.knows_stream(id)
        {
            self.sent.restart(id);
        }
    }

    /// The state an inbound frame may change: its own stream `focus`, or every stream for a
    /// GOAWAY (which fails streams above its last stream id; `focus` is None then), a frame
    /// on stream 0 and a malformed header. Those steps get a whole invariant check too.
    fn frame_snapshot(&mut self, focus: Option<StreamId>) -> Snapshot {
        match focus {
            Some(id) if id != StreamId::ZERO => {
                self.touched.push(id);
                self.s.snapshot_of(&[id])
            }
            _ => {
                self.full = true;
                self.s.snapshot()
            }
        }
    }

    fn check_violation(&mut self, v: Violation) {
        let (snap, ended_before) = self.at_header.take().expect("header seen");
        let reaction = std::mem::take(&mut self.reaction);
        if ended_before {
            assert!(reaction.is_empty(), "[SESSION-4] reaction after the end");
            return;
        }
        // [FRAME-8] [ERR-3] a connection error with the code SPEC names, in a GOAWAY.
        let code = spec_code(v.requirement());
        let t = self
            .s
            .termination()
            .expect("[FRAME-8] a violation ends the session");
        assert_eq!(t.local, code, "{v}");
        if !self.interleaved {
            assert_eq!(reaction.len(), 1, "{reaction:?}");
            let g = &reaction[0];
            assert_eq!((g.frame_type, g.value), (GOAWAY, code.0));
            assert_eq!(g.stream_id, snap.last_accepted_remote.get(), "[GOAWAY-5]");
        }
    }

    fn check_frame(&mut self, frame: &OwnedFrame) {
        let (snap, ended_before) = self.at_header.take().expect("header seen");
        let out = std::mem::take(&mut self.reaction);
        let focus = (frame.frame_type != GOAWAY).then(|| StreamId::new(frame.stream_id));
        let after = self.frame_snapshot(focus);
        if ended_before {
            assert!(
                out.is_empty(),
                "[SESSION-4] reaction after the end: {out:?}"
            );
            // Only time may change things (reset lingers expire).
            let (mut a, mut b) = (after.clone(), snap.clone());
            a.recently_reset.clear();
            b.recently_reset.clear();
            if !self.interleaved {
                assert_eq!(a, b, "[SESSION-4] frame processed after the end");
            }
            return;
        }
        if self.interleaved {
            // The exact reaction depends on the calls in between; the bookkeeping of FLOW-3
            // and FLOW-7 counts the frame as if accepted (which only weakens those checks).
            let id = StreamId::new(frame.stream_id);
            let window = u64::from(self.window());
            match frame.frame_type {
                DATA => *self.sent.delivered.entry(id).or_default() += frame.bytes.len() as u64,
                WNDINC => *self.sent.granted.entry(id).or_insert(window) += u64::from(frame.value),
                _ => {}
            }
            return;
        }
        let config = self.s.config().clone();
        let window = config.max_window_size as usize;
        let id = StreamId::new(frame.stream_id);
        let len = frame.bytes.len();
        let ended = self.s.termination().is_some();
        let fin = frame.flags & 1 != 0;
        let expect_rst = |code: ErrorCode, why: &str| {
            assert_eq!(out, [rst(id, code)], "{why}");
            assert!(!ended, "{why}: a stream error ended the session");
        };
        let expect_nothing = |why: &str| {
            assert!(out.is_empty(), "{why}: sent {out:?}");
            assert!(!ended, "{why}: ended the session");
        };
        let connection_error = |why: &str| {
            let t = self.s.termination().expect(why);
            assert_eq!(t.local, ErrorCode::PROTOCOL_ERROR, "{why}");
            assert!(t.message.contains(&why[..6]), "{why}: {}", t.message);
            let goaway = OwnedFrame {
                frame_type: GOAWAY,
                flags: 0,
                stream_id: snap.last_accepted_remote.get(),
                value: ErrorCode::PROTOCOL_ERROR.0,
                bytes: out.first().map(|f| f.bytes.clone()).unwrap_or_default(),
            };
            assert_eq!(out, [goaway], "{why}");
        };
        match frame.frame_type {
            DATA if frame.flags & 2 != 0 => {
                let known = snap.stream(id);
                if snap.local_gone_away {
                    expect_rst(ErrorCode::STREAM_REFUSED, "[GOAWAY-8]");
                } else if is_local(self.role, id) {
                    connection_error("[ID-6] SYN of the wrong parity");
                } else if known.is_some_and(|s| !s.finished) {
                    connection_error("[ID-7] SYN for an open stream");
                } else if known.is_some() {
                    expect_rst(ErrorCode::STREAM_REFUSED, "[ID-7] SYN for a held stream");
                } else if snap.remote_streams >= config.max_streams {
                    assert!(
                        out == [rst(id, ErrorCode::STREAM_REFUSED)]
                            || out == [rst(id, ErrorCode::ENHANCE_YOUR_CALM)],
                        "[LIMIT-2] {out:?}"
                    );
                } else if snap.accept_queue.len() >= config.accept_backlog {
                    expect_rst(ErrorCode::ACCEPT_QUEUE_FULL, "[STREAM-5]");
                } else if len > window {
                    expect_rst(ErrorCode::FLOW_CONTROL_ERROR, "[FLOW-4] SYN beyond W");
                } else {
                    expect_nothing("[STREAM-4] SYN accepted");
                    let st = after.stream(id).expect("[STREAM-4] accepted");
                    assert_eq!((st.buffered, st.recv_fin), (len, fin), "[STREAM-4]");
                    assert_eq!(
                        after.accept_queue.last(),
                        Some(&id),
                        "[STREAM-4] queued last"
                    );
                    assert_eq!(
                        after.last_accepted_remote,
                        snap.last_accepted_remote.max(id),
                        "[GOAWAY-5]"
                    );
                    self.sent.delivered.insert(id, len as u64);
                }
            }
            DATA => match snap.stream(id) {
                Some(st) if st.receiving => {
                    if st.buffered + len > window {
                        expect_rst(ErrorCode::FLOW_CONTROL_ERROR, "[FLOW-4] beyond W");
                        let now = after.stream(id).expect("still held");
                        assert!(now.error.is_some(), "[FLOW-4] stream closed");
                    } else {
                        expect_nothing("[FLOW-4] DATA within W");
                        let now = after.stream(id).expect("still held");
                        assert_eq!(now.buffered, st.buffered + len, "delivered");
                        assert_eq!(now.recv_fin, fin, "[STREAM-6]");
                        *self.sent.delivered.entry(id).or_default() += len as u64;
                    }
                }
                _ if len == 0 && fin => expect_nothing("[STREAM-7]"),
                _ if snap.recently_reset.contains(&id) => {
                    // [STREAM-8] [STREAM-11] the RST may be omitted within the linger.
                    assert!(out.is_empty() || out == [rst(id, ErrorCode::STREAM_CLOSED)]);
                    assert!(!ended);
                }
                _ => expect_rst(ErrorCode::STREAM_CLOSED, "[STREAM-8]"),
            },
            RST => {
                expect_nothing("[RST-4] [RST-5]");
                if let Some(st) = snap.stream(id).filter(|st| !st.finished) {
                    let now = after.stream(id).expect("held");
                    assert_eq!(now.error, Some(Error::ResetByPeer(ErrorCode(frame.value))));
                    let _ = st;
                }
            }
            WNDINC => match snap.stream(id) {
                Some(st) if st.sending => {
                    let window = st.send_window + u64::from(frame.value);
                    *self
                        .sent
                        .granted
                        .entry(id)
                        .or_insert(u64::from(config.max_window_size)) += u64::from(frame.value);
                    if window > u64::from(MAX_INCREMENT) {
                        expect_rst(ErrorCode::FLOW_CONTROL_ERROR, "[FLOW-8]");
                    } else {
                        expect_nothing("[FLOW-5]");
                        assert_eq!(after.stream(id).expect("held").send_window, window);
                    }
                }
                _ => expect_nothing("[WNDINC-5]"),
            },
            GOAWAY => {
                expect_nothing("[GOAWAY-10]");
                let remote = self.s.remote_go_away().expect("[GOAWAY-9]");
                let keep = len.min(config.max_goaway_debug);
                assert_eq!(remote.error_code, ErrorCode(frame.value), "[GOAWAY-9]");
                assert_eq!(remote.debug, frame.bytes[..keep], "[GOAWAY-9] [LIMIT-4]");
                // [GOAWAY-7] our streams above the last stream id fail.
                for st in &after.streams {
                    let unseen = is_local(self.role, st.id) && st.id.get() > frame.stream_id;
                    let was = snap.stream(st.id).expect("no stream appears on GOAWAY");
                    if unseen && !was.finished {
                        assert!(st.error.is_some(), "[GOAWAY-7] {} survived", st.id);
                    }
                }
            }
            t => {
                assert!(!FrameType::from_nibble(t).is_known());
                expect_nothing("[FRAME-11]");
            }
        }
    }

    /// Accepts and closes every stream: afterwards the session holds none.
    fn finish(&mut self) {
        while let Some(id) = self.s.accept() {
            self.held.insert(id);
            self.touched.push(id);
        }
        for id in self.held.take() {
            self.s.close_stream(id);
            self.flush();
        }
        check_invariants(&self.s, &self.held, Scope::Final);
        assert_eq!(self.s.stream_count(), 0, "streams leaked");
    }
}
