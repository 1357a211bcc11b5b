//! Transport bytes in: frame boundaries, and the receiver's reaction to every frame
//! (SPEC sections 4 to 8). Bodies the session does not keep are skipped as they arrive, so
//! the input held never exceeds one kept frame part (SPEC [FRAME-10], [LIMIT-5]), but while a
//! SYN waits for room in the accept backlog: then what followed it in the reads it came with
//! waits too, unprocessed, and the driver reads no more (SPEC [STREAM-14], [LIMIT-3]).

use std::time::Duration;

use crate::frame::{
    self, DecodeError, ErrorCode, Flags, Frame, FrameType, GOAWAY_FIXED_LEN, HEADER_LEN, Header,
    StreamId,
};

use super::error::RemoteGoAway;
use super::mutation::mutated;
use super::stream::Stream;
use super::{Error, Machine};

/// Where the input stands within the current frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Reading {
    /// Waiting for a frame header.
    Header,
    /// Waiting for `keep` body bytes to act on, then `skip` more to discard.
    Body {
        header: Header,
        keep: usize,
        skip: usize,
    },
    /// Discarding this many more body bytes.
    Skip(usize),
    /// Delivering an accepted DATA frame's body to its stream as it arrives, `remaining`
    /// bytes to go, then the frame's FIN. The body is not kept in the input buffer: a bulk
    /// receiver would otherwise copy most bytes twice more (into that buffer, and again when
    /// what follows a finished frame is moved to its front), which was most of a one-stream
    /// bulk receiver's time.
    Data {
        id: StreamId,
        remaining: usize,
        fin: bool,
    },
    /// A SYN whose header was read when the accept backlog was full: nothing after it is
    /// processed until the application takes a stream or `until` passes (SPEC [STREAM-14]).
    /// The input buffer holds what followed the header, unprocessed.
    Syn { header: Header, until: Duration },
}

impl Reading {
    /// How many input bytes this part of a frame needs before the session can act on it (a
    /// header, or a body kept whole); a skipped body is discarded as it comes.
    pub(crate) fn needs(&self) -> usize {
        match *self {
            Reading::Header => HEADER_LEN,
            Reading::Body { keep, .. } => keep,
            Reading::Skip(_) | Reading::Data { .. } => 1,
            // Input is not processed while a SYN waits: `Machine::handle_input` only keeps it.
            Reading::Syn { .. } => usize::MAX,
        }
    }
}

impl Machine {
    /// Processes whole frames from `data`; returns how many bytes were used. The rest is an
    /// unfinished frame part the caller keeps.
    pub(super) fn process(&mut self, data: &[u8]) -> usize {
        let mut pos = 0;
        while self.ended.is_none() {
            let rest = &data[pos..];
            match self.reading {
                Reading::Header => {
                    if rest.len() < HEADER_LEN {
                        return pos;
                    }
                    match frame::decode_header(rest) {
                        Ok(header) => {
                            pos += HEADER_LEN;
                            self.reading = self.on_header(header);
                            if self.paused_for_backlog() {
                                return pos;
                            }
                        }
                        Err(DecodeError::Violation(v)) => {
                            // [FRAME-6] [FRAME-8] judged on the header alone.
                            self.fail(v.error_code(), v.to_string());
                        }
                        Err(DecodeError::Incomplete { .. }) => return pos,
                    }
                }
                Reading::Syn { header, until } => {
                    // [STREAM-14] judged again: accepted if the application made room,
                    // refused once the patience ran out, still waiting otherwise.
                    self.reading = self.on_syn(&header, Some(until));
                    if self.paused_for_backlog() {
                        return pos;
                    }
                }
                Reading::Skip(n) => {
                    let take = n.min(rest.len());
                    pos += take;
                    if take < n {
                        self.reading = Reading::Skip(n - take);
                        return pos;
                    }
                    self.reading = Reading::Header;
                }
                Reading::Data { id, remaining, fin } => {
                    let take = remaining.min(rest.len());
                    pos += take;
                    self.deliver(id, &rest[..take]);
                    if take < remaining {
                        self.reading = Reading::Data {
                            id,
                            remaining: remaining - take,
                            fin,
                        };
                        return pos;
                    }
                    self.reading = Reading::Header;
                    self.data_ended(id, fin);
                }
                Reading::Body { header, keep, skip } => {
                    if rest.len() < keep {
                        return pos;
                    }
                    pos += keep;
                    self.reading = if skip > 0 {
                        Reading::Skip(skip)
                    } else {
                        Reading::Header
                    };
                    let kept = Header {
                        length: keep as u32,
                        ..header
                    };
                    match frame::decode_body(&kept, &rest[..keep]) {
                        Ok(frame) => self.on_frame(frame),
                        Err(DecodeError::Violation(v)) => self.fail(v.error_code(), v.to_string()),
                        Err(DecodeError::Incomplete { .. }) => unreachable!("whole body given"),
                    }
                }
            }
        }
        // [SESSION-4] after a connection error the rest of the input is dropped unread.
        data.len()
    }

    /// Processes the input kept behind a SYN that waited for room in the accept backlog: the
    /// SYN is judged again (accepted, refused, or still waiting) and, unless it still waits,
    /// the frames after it follow in order (SPEC [STREAM-14]).
    pub(super) fn resume_input(&mut self) {
        if !self.paused_for_backlog() {
            return;
        }
        let before = self.output.len();
        let input = std::mem::take(&mut self.input);
        let used = self.process(&input);
        self.input = input;
        self.input.drain(..used);
        if !self.paused_for_backlog() {
            // [LIMIT-8] the peer did not stall while we did not read: the read timeout of a
            // frame left unfinished counts from now.
            self.last_input = self.now;
        }
        self.reaction_bytes += self.output.len().saturating_sub(before);
    }

    /// Decides what to do with a frame from its header alone: how much of the body to keep,
    /// and any reaction that needs no body.
    fn on_header(&mut self, header: Header) -> Reading {
        // The frame log: one line per frame received, kept or not.
        tracing::debug!(target: "muxado::frame", role = ?self.role, "recv {header}");
        let length = header.length as usize;
        let keep = |keep: usize| Reading::Body {
            header,
            keep,
            skip: length - keep,
        };
        match header.frame_type {
            FrameType::RST | FrameType::WNDINC => keep(length),
            FrameType::GOAWAY => {
                // [LIMIT-4] keep at most the configured debug data, discard the rest unread.
                let debug = (length - GOAWAY_FIXED_LEN).min(self.config.max_goaway_debug);
                keep(GOAWAY_FIXED_LEN + debug)
            }
            FrameType::DATA => self.on_data_header(&header),
            _ => {
                // [FRAME-11] unknown types are skipped, whatever their stream id and flags.
                skip(length)
            }
        }
    }

    fn on_data_header(&mut self, header: &Header) -> Reading {
        let id = header.stream_id;
        let length = header.length as usize;
        let window = self.config.max_window_size as usize;
        let fin = header.flags.contains(Flags::FIN);
        if header.flags.contains(Flags::SYN) {
            return self.on_syn(header, None);
        }
        let deliver = Reading::Data {
            id,
            remaining: length,
            fin,
        };
        let late_buffered = mutated!(self, DataAfterFinBuffered);
        let at_window = usize::from(mutated!(self, OverrunAtWindow));
        match self.streams.get(&id) {
            Some(stream) if stream.receiving() || late_buffered && stream.error.is_none() => {
                // [FLOW-4] [FLOW-10] the whole frame must fit in what is left of the window.
                if stream.recv.buffer.len() + length + at_window > window {
                    self.reset_stream(id, ErrorCode::FLOW_CONTROL_ERROR);
                    return skip(length);
                }
                deliver
            }
            _ if length == 0 && fin && !mutated!(self, EmptyFinAnswered) => skip(0), // [STREAM-7]
            _ => {
                // [STREAM-8] DATA for an unknown stream, or one whose receive half ended.
                if !self.recently_reset(id) {
                    self.reset_stream(id, ErrorCode::STREAM_CLOSED);
                }
                skip(length)
            }
        }
    }

    /// Judges a SYN. `waiting_until` is the end of the patience when the SYN already waited
    /// for room in the accept backlog ([STREAM-14]).
    fn on_syn(&mut self, header: &Header, waiting_until: Option<Duration>) -> Reading {
        let id = header.stream_id;
        let length = header.length as usize;
        if self.local_gone_away && !mutated!(self, GoAwaySentAcceptsSyn) {
            // [GOAWAY-8] refused, and the body consumed (unlike Go, [INTEROP-6]).
            if self.streams.get(&id).is_some_and(|s| !s.finished()) {
                // A duplicate SYN of an open stream ([ID-7], which [GOAWAY-8] overrides): the
                // peer ends the stream on our RST ([RST-4]), so it ends here too and nothing
                // more is sent on it ([STREAM-11]).
                self.reset_stream(id, ErrorCode::STREAM_REFUSED);
                return skip(length);
            }
            self.emit(Frame::Rst(frame::Rst {
                stream_id: id,
                error_code: ErrorCode::STREAM_REFUSED,
            }));
            self.remember_reset(id);
            return skip(length);
        }
        if self.is_local(id) {
            self.fail(
                ErrorCode::PROTOCOL_ERROR,
                format!("[ID-6] SYN for stream {id} of the wrong parity"),
            );
            return skip(0);
        }
        match self.streams.get(&id) {
            Some(stream) if !stream.finished() => {
                self.fail(
                    ErrorCode::PROTOCOL_ERROR,
                    format!("[ID-7] SYN for already-open stream {id}"),
                );
                return skip(0);
            }
            Some(_) => {
                // [ID-7] the id is closed but its stream still held by the application: refused,
                // since two streams cannot share an id. No conforming opener reuses ids ([ID-4]).
                self.emit(Frame::Rst(frame::Rst {
                    stream_id: id,
                    error_code: ErrorCode::STREAM_REFUSED,
                }));
                self.remember_reset(id);
                return skip(length);
            }
            None => {}
        }
        let held = if mutated!(self, StreamLimitCountsOwn) {
            self.streams.len()
        } else {
            self.remote_streams
        };
        let refusal = if held >= self.config.max_streams {
            Some(ErrorCode::STREAM_REFUSED) // [LIMIT-2]
        } else if self.accept_queue.len() >= self.config.accept_backlog {
            // [STREAM-14] wait for the application to take a stream, unless the patience ran
            // out already since the backlog filled: then refuse at once, not once per SYN.
            if !self.refusing_syns && !self.config.accept_patience.is_zero() {
                let until = waiting_until.unwrap_or_else(|| self.now + self.config.accept_patience);
                if self.now < until {
                    return Reading::Syn {
                        header: *header,
                        until,
                    };
                }
                self.refusing_syns = true;
            }
            Some(ErrorCode::ACCEPT_QUEUE_FULL) // [STREAM-5] [LIMIT-3]
        } else if length > self.config.max_window_size as usize {
            Some(ErrorCode::FLOW_CONTROL_ERROR) // [FLOW-4]
        } else {
            None
        };
        if let Some(code) = refusal {
            // The stream is forgotten at once: its body is discarded, later frames for it are
            // frames for an unknown stream.
            self.emit(Frame::Rst(frame::Rst {
                stream_id: id,
                error_code: code,
            }));
            self.remember_reset(id);
            return skip(length);
        }
        // [STREAM-4] [ID-8] accepted, whatever the order of the ids: queued for the application,
        // its bytes delivered first. [GOAWAY-5] names the highest accepted.
        self.last_accepted_remote = self.last_accepted_remote.max(id);
        self.streams.insert(
            id,
            Box::new(Stream::new(self.config.max_window_size, false)),
        );
        self.remote_streams += 1;
        self.accept_queue.push_back(id);
        self.event_accept = true;
        Reading::Data {
            id,
            remaining: length,
            fin: header.flags.contains(Flags::FIN) && !mutated!(self, SynFinDropped),
        }
    }

    /// Part of an accepted DATA frame's body: into the stream's buffer, unless the
    /// application closed the stream's receive half while the body arrived.
    fn deliver(&mut self, id: StreamId, part: &[u8]) {
        if part.is_empty() {
            return;
        }
        if let Some(stream) = self.streams.get_mut(&id)
            && stream.receiving()
        {
            // Readers are woken when bytes arrive in an empty buffer; while the buffer holds
            // bytes a reader has been woken already and will read these too.
            if stream.recv.buffer.is_empty() {
                self.events_streams.insert(id);
            }
            stream.recv.buffer.extend(part);
            if mutated!(self, CreditOnArrival) {
                self.emit(Frame::WndInc(frame::WndInc {
                    stream_id: id,
                    increment: part.len() as u32,
                }));
            }
        }
    }

    /// The end of an accepted DATA frame: its FIN ([STREAM-6]) takes effect.
    fn data_ended(&mut self, id: StreamId, fin: bool) {
        tracing::trace!(target: "muxado::frame", role = ?self.role, "recv body of DATA {id} done");
        let Some(stream) = self.streams.get_mut(&id) else {
            return;
        };
        if !stream.receiving() {
            return; // closed by the application while the body arrived
        }
        if fin {
            stream.recv.fin = true;
            self.events_streams.insert(id);
        }
        self.forget_if_done(id);
    }

    fn on_frame(&mut self, frame: Frame<'_>) {
        tracing::trace!(target: "muxado::frame", role = ?self.role, "recv body {frame}");
        match frame {
            // DATA bodies never come here: they are delivered as they arrive (`Reading::Data`).
            Frame::Data(_) => debug_assert!(false, "DATA body kept whole"),
            Frame::Rst(rst) => {
                // [RST-4] ends both halves; [RST-5] ignored for unknown streams.
                if mutated!(self, RstAnswersRst) && !self.streams.contains_key(&rst.stream_id) {
                    self.emit(Frame::Rst(frame::Rst {
                        stream_id: rst.stream_id,
                        error_code: ErrorCode::STREAM_CLOSED,
                    }));
                }
                if let Some(stream) = self.streams.get_mut(&rst.stream_id) {
                    if stream.error.is_none() && !stream.finished() {
                        stream.error = Some(Error::ResetByPeer(rst.error_code));
                        self.events_streams.insert(rst.stream_id);
                    }
                    self.forget_if_done(rst.stream_id);
                }
            }
            Frame::WndInc(wndinc) => self.credit(wndinc.stream_id, wndinc.increment),
            Frame::GoAway(go_away) => {
                let last = go_away.last_stream_id;
                self.remote_gone_away = Some(RemoteGoAway {
                    last_stream_id: last,
                    error_code: go_away.error_code,
                    debug: go_away.debug.to_vec(),
                });
                // [GOAWAY-7] our streams the peer never saw fail; the rest continue.
                let unseen: Vec<StreamId> = self
                    .streams
                    .iter()
                    .filter(|(id, s)| {
                        self.is_local(**id) && **id > last && s.error.is_none() && !s.finished()
                    })
                    .map(|(id, _)| *id)
                    .collect();
                let unseen = if mutated!(self, GoAwayKeepsUnseen) {
                    Vec::new()
                } else {
                    unseen
                };
                for id in unseen {
                    if let Some(stream) = self.streams.get_mut(&id) {
                        stream.error = Some(Error::RemoteGoneAway);
                    }
                    self.events_streams.insert(id);
                }
                self.event_session = true;
                // [GOAWAY-10] reading goes on.
            }
            Frame::Unknown(_) => {}
        }
    }
}

fn skip(length: usize) -> Reading {
    if length == 0 {
        Reading::Header
    } else {
        Reading::Skip(length)
    }
}
