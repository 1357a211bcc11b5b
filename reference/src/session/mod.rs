//! The sans-IO muxado session: SPEC sections 5 to 8 as a deterministic state machine, the
//! session machine ([`Machine`]).
//!
//! It owns no socket, no clock and no task. The same inputs always give the same outputs, so
//! vectors, fuzzers and the model checker drive it directly; the tokio driver
//! ([`crate::Session`]) only shovels bytes and wakes tasks. One vocabulary, quinn-proto's:
//!
//! - inputs from the transport and the clock are `handle_*`: [`Machine::handle_input`]
//!   (bytes read), [`Machine::handle_eof`] (end-of-file), [`Machine::handle_transport_error`]
//!   (a failed read or write), [`Machine::handle_timeout`] (the time now);
//! - the application's commands are plain verbs: [`Machine::open`], [`Machine::accept`],
//!   [`Machine::write`], [`Machine::read`], [`Machine::close_write`], [`Machine::reset`],
//!   [`Machine::close_stream`], [`Machine::go_away`], [`Machine::close`], ...;
//! - outputs are `poll_*`: [`Machine::poll_transmit`] (encoded frames for the transport),
//!   [`Machine::poll_event`] (whom to wake), [`Machine::poll_timeout`] (when to call
//!   `handle_timeout` next, if nothing else happens).
//!
//! Time is a [`Duration`] since an origin the driver picks and keeps for the session; it
//! never goes backwards (a smaller `now` counts as the latest one seen).
//!
//! # Driving a machine
//!
//! After every input or command, a driver, in this order:
//!
//! 1. calls [`Machine::poll_transmit`] and writes what it got to the transport (or queues it;
//!    [`Machine::wants_input`] turns false while the frames that the peer's own frames
//!    provoked pile up unsent, SPEC [LIMIT-6]);
//! 2. calls [`Machine::poll_event`] until it returns `None`, and wakes whoever each event
//!    concerns; the state itself is read through the other methods ([`Machine::read`],
//!    [`Machine::accept`], [`Machine::termination`], ...);
//! 3. calls [`Machine::poll_timeout`] and arms one timer at the instant it returns; when the
//!    timer fires, it calls [`Machine::handle_timeout`] and starts again at 1;
//! 4. reads the transport again only while [`Machine::wants_input`] is true, and hands what it
//!    read to [`Machine::handle_input`] (or [`Machine::handle_eof`] /
//!    [`Machine::handle_transport_error`]).
//!
//! Before a command, the driver calls [`Machine::handle_timeout`] with the time now, so that
//! time-based rules (the reset linger, SPEC [STREAM-11]) count from the moment of the command.
//! Once [`Machine::is_closed`] is true, the driver closes the transport.
//!
//! ```
//! use std::time::Duration;
//! use muxado_reference::session::{Config, Read, Role, Machine};
//!
//! let mut client = Machine::new(Role::Client, Config::default());
//! let mut server = Machine::new(Role::Server, Config::default());
//! let id = client.open()?;
//! client.write(id, b"ping")?;
//!
//! let mut wire = Vec::new();
//! client.poll_transmit(&mut wire);
//! server.handle_input(&wire, Duration::ZERO);
//! let accepted = server.accept().expect("a stream arrived");
//! let mut buf = [0; 16];
//! assert_eq!(server.read(accepted, &mut buf)?, Read::Data(4));
//! assert_eq!(&buf[..4], b"ping");
//! # Ok::<(), muxado_reference::session::Error>(())
//! ```

mod config;
mod error;
pub mod heartbeat;
mod input;
mod linger;
#[cfg(feature = "mutants")]
#[doc(hidden)]
pub mod mutation;
#[cfg(not(feature = "mutants"))]
mod mutation;
mod snapshot;
mod stream;
pub mod typed;

#[cfg(test)]
mod backlog_tests;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

pub use config::{Config, Role};
pub use error::{Error, RemoteGoAway, Termination};
#[cfg(feature = "test-hooks")]
pub use snapshot::{Census, Snapshot, StreamSnapshot};

use crate::frame::{Data, ErrorCode, Frame, GoAway, MAX_INCREMENT, Rst, StreamId, WndInc};
use input::Reading;
use linger::ResetLinger;
use mutation::mutated;
use stream::Stream;

/// The result of [`Machine::read`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    /// This many bytes were copied into the buffer.
    Data(usize),
    /// The peer half-closed the stream and every byte was read (SPEC [STREAM-6]).
    Eof,
    /// Nothing to read yet: wait for an [`Event::Stream`] for this stream.
    Blocked,
}

/// Something the driver must react to: wake whoever waits on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A stream became readable or writable, or ended.
    Stream(StreamId),
    /// A stream arrived in the accept queue.
    Accept,
    /// The session ended, or the peer sent GOAWAY.
    Session,
}

/// One muxado session, as one endpoint sees it.
///
/// `Clone`, `Eq` and `Hash` are for the model checker (`model/`), which stores every reachable
/// pair of sessions and compares them by hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Machine {
    role: Role,
    config: Config,
    /// Streams the protocol or the application still knows, by id. A `BTreeMap`, so that
    /// iteration, and so output, is deterministic; boxed, so that a session of few streams
    /// does not pay for a whole node of stream states.
    streams: BTreeMap<StreamId, Box<Stream>>,
    /// The next id [`Machine::open`] allocates (SPEC [ID-2], [ID-4]).
    next_local_id: u64,
    /// The highest peer stream accepted, reported in our GOAWAY (SPEC [GOAWAY-5]).
    last_accepted_remote: StreamId,
    /// How many of `streams` the peer opened: what [`Config::max_streams`] bounds
    /// (SPEC [LIMIT-2]).
    remote_streams: usize,
    accept_queue: VecDeque<StreamId>,
    /// A SYN waited [`Config::accept_patience`] for room in the full accept backlog in vain:
    /// SYNs are refused at once until the application takes a stream (SPEC [STREAM-14]).
    refusing_syns: bool,
    /// We sent GOAWAY: new streams are refused (SPEC [GOAWAY-8]).
    local_gone_away: bool,
    remote_gone_away: Option<RemoteGoAway>,
    /// Streams we reset, whose late frames are ignored (SPEC [STREAM-11]).
    recently_reset: ResetLinger,
    now: Duration,
    /// Transport bytes not yet processed: at most one frame's kept part, or, while a SYN
    /// waits for room in the accept backlog, what followed it (SPEC [STREAM-14]).
    input: Vec<u8>,
    /// When the transport last delivered bytes (SPEC [LIMIT-8]).
    last_input: Duration,
    reading: Reading,
    /// Encoded frames waiting for the transport.
    output: Vec<u8>,
    /// Bytes of `output` emitted while processing input (SPEC [LIMIT-6]).
    reaction_bytes: usize,
    ended: Option<Termination>,
    events_streams: BTreeSet<StreamId>,
    event_accept: bool,
    event_session: bool,
}

impl Machine {
    /// A new session in the given role. Nothing is sent until the application acts.
    pub fn new(role: Role, config: Config) -> Machine {
        let (next_local_id, last_accepted_remote) = match role {
            // [ID-2] clients start at 3, servers at 2; GOAWAY's "none" is 1 at a server and 0
            // at a client ([GOAWAY-5]).
            Role::Client => (3, StreamId::ZERO),
            Role::Server => (2, StreamId::new(1)),
        };
        Machine {
            role,
            config,
            streams: BTreeMap::new(),
            next_local_id,
            last_accepted_remote,
            remote_streams: 0,
            accept_queue: VecDeque::new(),
            refusing_syns: false,
            local_gone_away: false,
            remote_gone_away: None,
            recently_reset: ResetLinger::default(),
            last_input: Duration::ZERO,
            now: Duration::ZERO,
            input: Vec::new(),
            reading: Reading::Header,
            output: Vec::new(),
            reaction_bytes: 0,
            ended: None,
            events_streams: BTreeSet::new(),
            event_accept: false,
            event_session: false,
        }
    }

    /// This session's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// This session's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    // ---- transport side ---------------------------------------------------------------

    /// Processes bytes read from the transport. `now` is the time since an arbitrary origin
    /// that the caller keeps fixed for the session. Bytes that arrive while a SYN waits for
    /// room in the accept backlog are kept unprocessed, behind it ([`Machine::wants_input`]
    /// says not to read them).
    pub fn handle_input(&mut self, data: &[u8], now: Duration) {
        self.handle_timeout(now);
        if self.ended.is_some() {
            // [SESSION-4] nothing after a connection error is processed.
            return;
        }
        self.last_input = self.now;
        if self.paused_for_backlog() {
            // [STREAM-14] every frame after the waiting SYN waits with it, in order.
            self.input.extend_from_slice(data);
            return;
        }
        let before = self.output.len();
        if self.input.is_empty() {
            let used = self.process(data);
            self.input.extend_from_slice(&data[used..]);
        } else if self.input.len() + data.len() < self.reading.needs() {
            // Still short of the frame part in progress: keep the bytes and wait, without a
            // pass through `process` for every small read of a large frame.
            self.input.extend_from_slice(data);
        } else {
            self.input.extend_from_slice(data);
            let input = std::mem::take(&mut self.input);
            let used = self.process(&input);
            self.input = input;
            self.input.drain(..used);
        }
        self.reaction_bytes += self.output.len().saturating_sub(before);
    }

    /// The transport reached end-of-file (SPEC [SESSION-3]).
    pub fn handle_eof(&mut self) {
        if self.ended.is_none() {
            // [ERR-2] no GOAWAY PEER_EOF is sent: the peer is gone.
            self.end(ErrorCode::PEER_EOF, "read EOF from remote peer".into());
        }
    }

    /// The transport failed: the session ends with `code` (Go uses `UNKNOWN` for I/O errors).
    pub fn handle_transport_error(&mut self, code: ErrorCode, message: String) {
        if self.ended.is_none() {
            self.end(code, message);
        }
    }

    /// Whether the driver should read more transport bytes: not after the end, not while a
    /// SYN waits for room in the accept backlog (SPEC [STREAM-14]: the transport's flow
    /// control then holds the peer back), and not while the frames that the peer's own frames
    /// provoked (RST, GOAWAY) and that still wait for the transport exceed the write queue
    /// (SPEC [LIMIT-6]). Application data waiting for the transport does not stop reading:
    /// two peers that both write more than the transport holds must both keep reading, or
    /// neither would ever drain.
    pub fn wants_input(&self) -> bool {
        self.ended.is_none()
            && !self.paused_for_backlog()
            && self.reaction_bytes < self.config.write_queue_bytes
    }

    /// Whether input processing stopped at a SYN that found the accept backlog full, waiting
    /// for the application to take a stream ([`Machine::accept`] resumes it) or for
    /// [`Config::accept_patience`] to pass ([`Machine::poll_timeout`]) (SPEC [STREAM-14]).
    pub fn paused_for_backlog(&self) -> bool {
        matches!(self.reading, Reading::Syn { .. }) && self.ended.is_none()
    }

    /// Moves the encoded frames waiting for the transport into `buf` (which should be empty;
    /// its allocation is reused). The output is `buf` itself, so there is no return value to
    /// mark `#[must_use]`; [`Machine::has_output`] says whether there is anything to take.
    pub fn poll_transmit(&mut self, buf: &mut Vec<u8>) {
        self.reaction_bytes = 0;
        if buf.is_empty() {
            std::mem::swap(buf, &mut self.output);
        } else {
            buf.append(&mut self.output);
        }
    }

    /// Whether frames are waiting for the transport.
    pub fn has_output(&self) -> bool {
        !self.output.is_empty()
    }

    /// The next event, if any. Events only tell whom to wake; the state is read through the
    /// other methods.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        if std::mem::take(&mut self.event_session) {
            return Some(Event::Session);
        }
        if std::mem::take(&mut self.event_accept) {
            return Some(Event::Accept);
        }
        self.events_streams.pop_first().map(Event::Stream)
    }

    /// Why the session ended, once it has (Go's `Wait`).
    pub fn termination(&self) -> Option<&Termination> {
        self.ended.as_ref()
    }

    /// The GOAWAY the peer sent, if any (SPEC [GOAWAY-9]).
    pub fn remote_go_away(&self) -> Option<&RemoteGoAway> {
        self.remote_gone_away.as_ref()
    }

    /// Whether the session ended and every frame it owed the transport was taken: the driver
    /// closes the transport then.
    pub fn is_closed(&self) -> bool {
        self.ended.is_some() && self.output.is_empty()
    }

    // ---- application side: the session ------------------------------------------------

    /// Opens a stream. Nothing is sent until the first write or half-close (SPEC [STREAM-1]).
    pub fn open(&mut self) -> Result<StreamId, Error> {
        self.check_alive()?;
        if self.remote_gone_away.is_some() {
            return Err(Error::RemoteGoneAway); // [GOAWAY-7]
        }
        if self.next_local_id > u64::from(StreamId::MAX.get()) {
            return Err(Error::StreamsExhausted); // [ID-5]
        }
        let id = StreamId::new(self.next_local_id as u32);
        self.next_local_id += if mutated!(self, IdsStepFour) { 4 } else { 2 }; // [ID-4]
        self.streams
            .insert(id, Box::new(Stream::new(self.config.max_window_size, true)));
        Ok(id)
    }

    /// Takes the next stream the peer opened, if any, in the order the SYNs arrived
    /// (SPEC [STREAM-4]). The room it makes in the accept backlog lets input that waited
    /// behind a SYN be processed at once, within this call (SPEC [STREAM-14]): the driver
    /// takes the output and events it made as after any call.
    pub fn accept(&mut self) -> Option<StreamId> {
        let id = if mutated!(self, AcceptNewestFirst) {
            self.accept_queue.pop_back()
        } else {
            self.accept_queue.pop_front()
        };
        if id.is_some() && self.accept_queue.len() < self.config.accept_backlog {
            // [STREAM-14] the backlog has room again: a later SYN may wait again.
            self.refusing_syns = false;
            self.resume_input();
        }
        id
    }

    /// Sends GOAWAY: no new streams will be accepted; open streams continue (SPEC [GOAWAY-6]).
    pub fn go_away(&mut self, code: ErrorCode, debug: &[u8]) -> Result<(), Error> {
        self.check_alive()?;
        self.send_go_away(code, debug);
        // A SYN waiting for room in the backlog is refused now ([GOAWAY-8]), and the input
        // behind it goes on.
        self.resume_input();
        Ok(())
    }

    /// Ends the session: GOAWAY `NO_ERROR` with Go's debug text, then every stream fails
    /// (SPEC [SESSION-1], [SESSION-2]). The driver closes the transport once the GOAWAY left.
    pub fn close(&mut self) {
        self.close_with(ErrorCode::NO_ERROR, b"no error");
    }

    /// Ends the session with a GOAWAY carrying `code` and `debug` (Go's `GoAway` then
    /// `Close`): the peer's `wait` reports them.
    pub fn close_with(&mut self, code: ErrorCode, debug: &[u8]) {
        if self.ended.is_none() {
            self.send_go_away(code, debug);
            self.end(ErrorCode::SESSION_CLOSED, "session closed".into());
        }
    }

    /// Bytes the session holds for the application and for unfinished input: what a peer can
    /// make it buffer (SPEC [LIMIT-1]).
    pub fn buffered_bytes(&self) -> usize {
        self.input.len()
            + self
                .streams
                .values()
                .map(|s| s.recv.buffer.len())
                .sum::<usize>()
    }

    /// Test hook: makes the next locally opened stream id `next` (which must have this role's
    /// parity), to reach stream-id exhaustion (SPEC [ID-5]) without opening 2^30 streams
    /// (feature `test-hooks`).
    #[cfg(any(test, feature = "test-hooks"))]
    pub fn skip_stream_ids_to(&mut self, next: u32) {
        let parity = match self.role {
            Role::Client => 1,
            Role::Server => 0,
        };
        self.next_local_id = u64::from(next & !1 | parity).max(self.next_local_id);
    }

    // ---- application side: streams -----------------------------------------------------

    /// Writes as much of `data` as the stream's send window and the write queue allow, split
    /// into DATA frames of at most `Config::max_frame_size` bytes; returns how much. `Ok(0)`
    /// for non-empty `data` means: wait for an [`Event::Stream`] (window) or for the output to
    /// drain (SPEC [FLOW-3], [LIMIT-6]).
    pub fn write(&mut self, id: StreamId, data: &[u8]) -> Result<usize, Error> {
        self.sendable(id)?;
        self.check_alive()?;
        let room = self
            .config
            .write_queue_bytes
            .saturating_sub(self.output.len());
        let max_frame = self.config.max_frame_size.max(1);
        let stream = self.sendable(id)?;
        let n = data
            .len()
            .min(usize::try_from(stream.send.window).unwrap_or(usize::MAX))
            .min(room);
        if n == 0 {
            return Ok(0);
        }
        stream.send.window -= n as u64;
        let mut syn = !std::mem::replace(&mut stream.send.syn_sent, true);
        syn |= mutated!(self, SynEveryFrame);
        if syn && self.config.syn_alone {
            self.emit_empty_syn(id);
            syn = false;
        }
        for chunk in data[..n].chunks(max_frame) {
            // [STREAM-2] SYN on the first frame only.
            self.emit(Frame::Data(Data {
                stream_id: id,
                fin: false,
                syn,
                payload: chunk,
            }));
            syn = false;
        }
        Ok(n)
    }

    /// Opens a stream on the wire with a zero-length DATA+SYN frame ([INTEROP-6], [INTEROP-8]).
    fn emit_empty_syn(&mut self, id: StreamId) {
        self.emit(Frame::Data(Data {
            stream_id: id,
            fin: false,
            syn: true,
            payload: b"",
        }));
    }

    /// Writes all of `data` in one DATA frame, or nothing (`Ok(false)`) when the window or the
    /// write queue cannot take it whole: for prefixes that must not be split, such as a typed
    /// stream's type (SPEC [TYPED-2]).
    pub fn write_whole(&mut self, id: StreamId, data: &[u8]) -> Result<bool, Error> {
        self.sendable(id)?;
        self.check_alive()?;
        let room = self
            .config
            .write_queue_bytes
            .saturating_sub(self.output.len());
        let stream = self.sendable(id)?;
        if (stream.send.window as usize) < data.len() || room < data.len() {
            return Ok(false);
        }
        let max_frame = std::mem::replace(&mut self.config.max_frame_size, data.len().max(1));
        let written = self.write(id, data);
        self.config.max_frame_size = max_frame;
        Ok(written? == data.len())
    }

    /// Half-closes the stream: DATA with FIN, after an empty DATA with SYN if nothing was sent
    /// yet (never SYN and FIN on one frame, SPEC [INTEROP-8]). Allowed with an empty window
    /// (SPEC [FLOW-3]); a second call sends nothing (SPEC [STREAM-12]).
    pub fn close_write(&mut self, id: StreamId) -> Result<(), Error> {
        self.sendable(id)?;
        self.check_alive()?;
        let stream = self.sendable(id)?;
        stream.send.fin = true;
        if !std::mem::replace(&mut stream.send.syn_sent, true) {
            // [INTEROP-8] SYN and FIN on separate frames: a Go acceptor that gets both on one
            // frame cannot write its reply.
            self.emit_empty_syn(id);
        }
        self.emit(Frame::Data(Data {
            stream_id: id,
            fin: true,
            syn: false,
            payload: b"",
        }));
        if mutated!(self, ForgetAfterOwnFin) {
            self.streams.remove(&id);
        }
        self.forget_if_done(id);
        Ok(())
    }

    /// Reads buffered bytes of the stream into `buf`, crediting the peer for what was read
    /// (SPEC [FLOW-6]).
    pub fn read(&mut self, id: StreamId, buf: &mut [u8]) -> Result<Read, Error> {
        let window = self.config.max_window_size;
        let per_read = self.config.credit_every_read;
        let ended = self.ended.as_ref().map(|t| t.local);
        let eof_early = mutated!(self, EofBeforeBytes);
        let credited_on_arrival = mutated!(self, CreditOnArrival);
        let stream = self.streams.get_mut(&id).ok_or(Error::UnknownStream(id))?;
        if let Some(err @ Error::ResetLocally(_)) = &stream.error {
            // [STREAM-11] a stream this side reset is over at once, buffered bytes included.
            stream.recv.buffer.clear();
            return Err(err.clone());
        }
        if eof_early && stream.recv.fin {
            return Ok(Read::Eof);
        }
        if buf.is_empty() && !stream.recv.buffer.is_empty() {
            // [STREAM-6] end-of-stream only once every earlier byte was read: an empty read
            // of a stream with unread bytes reads nothing, even after FIN.
            return Ok(Read::Data(0));
        }
        if !stream.recv.buffer.is_empty() {
            let n = buf.len().min(stream.recv.buffer.len());
            // Two copies of the ring buffer's halves, not a byte at a time: this copy is a bulk
            // receiver's hot path.
            let (front, back) = stream.recv.buffer.as_slices();
            let from_front = n.min(front.len());
            buf[..from_front].copy_from_slice(&front[..from_front]);
            buf[from_front..n].copy_from_slice(&back[..n - from_front]);
            stream.recv.buffer.drain(..n);
            stream.recv.uncredited += n as u32;
            // [FLOW-6] credit no later than when the buffer empties; in between, once half a
            // window was read, so a sender is never idle waiting on bytes already consumed.
            let due =
                per_read || stream.recv.buffer.is_empty() || stream.recv.uncredited >= window / 2;
            if due && stream.receiving() && ended.is_none() && !credited_on_arrival {
                let increment = std::mem::take(&mut stream.recv.uncredited);
                self.emit(Frame::WndInc(WndInc {
                    stream_id: id,
                    increment,
                }));
            }
            return Ok(Read::Data(n));
        }
        if let Some(err) = &stream.error {
            return Err(err.clone());
        }
        if stream.recv.fin {
            return Ok(Read::Eof);
        }
        if ended.is_some() {
            return Err(Error::SessionEnded(ErrorCode::SESSION_CLOSED));
        }
        Ok(Read::Blocked)
    }

    /// Bytes buffered for the application on this stream.
    pub fn readable_bytes(&self, id: StreamId) -> usize {
        self.streams.get(&id).map_or(0, |s| s.recv.buffer.len())
    }

    /// The stream's send window: bytes that [`Machine::write`] may send now.
    pub fn send_window(&self, id: StreamId) -> u64 {
        self.streams.get(&id).map_or(0, |s| s.send.window)
    }

    /// Resets the stream with `code`: RST to the peer (if the peer knows the stream), and
    /// every later operation fails (SPEC [STREAM-11]).
    pub fn reset(&mut self, id: StreamId, code: ErrorCode) -> Result<(), Error> {
        let stream = self.streams.get(&id).ok_or(Error::UnknownStream(id))?;
        if self.ended.is_some() {
            // [SESSION-4] stream operations after the session ended report it.
            return Err(Error::SessionEnded(ErrorCode::SESSION_CLOSED));
        }
        if stream.error.is_some() || stream.finished() {
            return Ok(());
        }
        if stream.send.syn_sent {
            self.reset_stream(id, code);
        } else if let Some(stream) = self.streams.get_mut(&id) {
            // The peer never heard of it: nothing to tell.
            stream.error = Some(Error::ResetLocally(code));
        }
        Ok(())
    }

    /// Closes the stream the way Go's `Close` does: FIN if not sent yet (and only if the peer
    /// knows the stream), then the stream is forgotten: later DATA from the peer draws RST
    /// `STREAM_CLOSED` (SPEC [STREAM-9]). Dropping a stream handle calls this.
    pub fn close_stream(&mut self, id: StreamId) {
        let Some(stream) = self.streams.get_mut(&id) else {
            return;
        };
        let send_fin = stream.sending()
            && stream.send.syn_sent
            && self.ended.is_none()
            && !mutated!(self, CloseWithoutFin);
        // [STREAM-9] bytes discarded unread are credited back, so that a peer waiting on the
        // window sends again and learns of the close from the RST its next DATA draws.
        let discarded = if stream.receiving() && self.ended.is_none() {
            stream.recv.uncredited + stream.recv.buffer.len() as u32
        } else {
            0
        };
        stream.released = true;
        if send_fin {
            stream.send.fin = true;
        }
        if discarded > 0 {
            self.emit(Frame::WndInc(WndInc {
                stream_id: id,
                increment: discarded,
            }));
        }
        if send_fin {
            self.emit(Frame::Data(Data {
                stream_id: id,
                fin: true,
                syn: false,
                payload: b"",
            }));
        }
        self.forget_if_done(id);
    }

    /// The error that ended the stream, if any.
    pub fn stream_error(&self, id: StreamId) -> Option<&Error> {
        self.streams.get(&id).and_then(|s| s.error.as_ref())
    }

    /// Number of streams the session holds (open, or ended but still held by the application).
    pub fn stream_count(&self) -> usize {
        self.streams.len()
    }

    /// Bytes of transport input held while waiting for the rest of a frame, or while a SYN
    /// waits for room in the accept backlog (SPEC [STREAM-14]).
    pub fn buffered_input(&self) -> usize {
        self.input.len()
    }

    // ---- internals ------------------------------------------------------------------------

    fn check_alive(&self) -> Result<(), Error> {
        if mutated!(self, ErrorNotSticky) {
            return Ok(());
        }
        match &self.ended {
            Some(t) => Err(Error::SessionEnded(t.local)),
            None => Ok(()),
        }
    }

    /// The stream, if the application may still send on it.
    fn sendable(&mut self, id: StreamId) -> Result<&mut Stream, Error> {
        let stream = self.streams.get_mut(&id).ok_or(Error::UnknownStream(id))?;
        if let Some(err) = &stream.error {
            return Err(err.clone());
        }
        if stream.send.fin || stream.released {
            return Err(Error::StreamClosed); // [STREAM-12]
        }
        Ok(stream)
    }

    fn is_local(&self, id: StreamId) -> bool {
        id.is_client_initiated() == (self.role == Role::Client)
    }

    /// Appends a frame to the output. Every frame the session builds is valid by construction;
    /// if one were not, the session ends with `INTERNAL_ERROR` rather than send it.
    fn emit(&mut self, frame: Frame<'_>) {
        tracing::debug!(target: "muxado::frame", role = ?self.role, "send {frame}");
        if let Err(err) = frame.encode(&mut self.output) {
            self.end(
                ErrorCode::INTERNAL_ERROR,
                format!("failed to encode a frame: {err}"),
            );
        }
    }

    fn send_go_away(&mut self, code: ErrorCode, debug: &[u8]) {
        self.local_gone_away = true;
        // [LIMIT-4] never more debug data than every Go version parses correctly.
        let debug = &debug[..debug.len().min(1 << 20)];
        let mut last_stream_id = self.last_accepted_remote;
        if mutated!(self, GoAwayLastAnyStream) {
            last_stream_id = self
                .streams
                .keys()
                .copied()
                .fold(last_stream_id, StreamId::max);
        }
        self.emit(Frame::GoAway(GoAway {
            last_stream_id,
            error_code: code,
            debug,
        }));
    }

    /// A connection error (SPEC [FRAME-8], [SESSION-4]): GOAWAY with the code, then the end.
    fn fail(&mut self, code: ErrorCode, message: String) {
        if self.ended.is_none() {
            self.send_go_away(code, message.as_bytes());
            self.end(code, message);
        }
    }

    /// Ends the session: every stream fails with the session's end (SPEC [SESSION-2]).
    fn end(&mut self, code: ErrorCode, message: String) {
        tracing::debug!(target: "muxado::session", "session ended: {code}: {message}");
        for (id, stream) in &mut self.streams {
            // [SESSION-2] streams closed in both directions by FIN are over already: their
            // reader still gets its bytes, then end-of-stream.
            let closed_by_fin = stream.recv.fin && stream.send.fin;
            if stream.error.is_none() && !closed_by_fin {
                stream.error = Some(Error::SessionEnded(ErrorCode::SESSION_CLOSED));
            }
            self.events_streams.insert(*id);
        }
        self.ended = Some(Termination {
            local: code,
            message,
            remote: self.remote_gone_away.clone(),
        });
        self.event_session = true;
        self.event_accept = true;
    }

    /// Sends RST for a stream and ends it locally (SPEC [STREAM-11]).
    fn reset_stream(&mut self, id: StreamId, code: ErrorCode) {
        self.emit(Frame::Rst(Rst {
            stream_id: id,
            error_code: code,
        }));
        self.remember_reset(id);
        if let Some(stream) = self.streams.get_mut(&id) {
            if stream.error.is_none() {
                stream.error = Some(Error::ResetLocally(code));
            }
            self.events_streams.insert(id);
        }
        self.forget_if_done(id);
    }

    fn remember_reset(&mut self, id: StreamId) {
        let until = self.now + self.config.reset_linger;
        self.recently_reset.remember(id, until);
    }

    fn recently_reset(&self, id: StreamId) -> bool {
        self.recently_reset.contains(id)
    }

    /// Forgets a stream the protocol and the application are both done with
    /// (SPEC [STREAM-9], [STREAM-10]).
    fn forget_if_done(&mut self, id: StreamId) {
        if self
            .streams
            .get(&id)
            .is_some_and(|s| s.released && s.finished())
        {
            self.streams.remove(&id);
            if !self.is_local(id) {
                self.remote_streams -= 1;
            }
        }
    }

    /// Tells the machine the time now (since the origin the caller keeps fixed for the
    /// session), and does what is due by then: the end of a SYN's patience (SPEC
    /// [STREAM-14]), the read timeout (SPEC [LIMIT-8]). The driver calls it when the instant
    /// [`Machine::poll_timeout`] gave arrives, and before each command, so that time-based
    /// rules such as the reset linger (SPEC [STREAM-11]) count from the moment of the command.
    pub fn handle_timeout(&mut self, now: Duration) {
        self.now = self.now.max(now);
        self.recently_reset.expire(self.now);
        if let Reading::Syn { until, .. } = self.reading
            && self.now >= until
        {
            // [STREAM-14] the patience ran out: the SYN is refused, without further input.
            self.resume_input();
        }
        if self
            .read_deadline()
            .is_some_and(|deadline| self.now >= deadline)
        {
            // [LIMIT-8] a frame begun and stalled: the peer is holding the session hostage.
            let waited = self.now.saturating_sub(self.last_input);
            self.fail(
                ErrorCode::ENHANCE_YOUR_CALM,
                format!(
                    "read timeout: a frame stalled for {} ms",
                    waited.as_millis()
                ),
            );
        }
    }

    /// When the session ends unless the transport delivers more bytes: set while a frame has
    /// begun to arrive and `Config::read_timeout` is set (SPEC [LIMIT-8]). The driver wakes
    /// the session then with [`Machine::handle_timeout`].
    pub fn read_deadline(&self) -> Option<Duration> {
        let timeout = self.config.read_timeout?;
        let mid_frame = !self.input.is_empty() || !matches!(self.reading, Reading::Header);
        // While a SYN waits for the application, the peer stalls nothing.
        let waiting = self.paused_for_backlog();
        (mid_frame && !waiting && self.ended.is_none()).then(|| self.last_input + timeout)
    }

    /// The next time at which the session acts without input: the read deadline (SPEC
    /// [LIMIT-8]), or the end of the patience of a SYN waiting for room in the accept backlog
    /// (SPEC [STREAM-14]). The driver calls [`Machine::handle_timeout`] then, whether or not bytes
    /// arrived. The reset linger needs no wake-up: it is applied when the next frame comes.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Duration> {
        let patience = match self.reading {
            Reading::Syn { until, .. } if self.ended.is_none() => Some(until),
            _ => None,
        };
        [self.read_deadline(), patience].into_iter().flatten().min()
    }

    /// Credits a stream's send window (SPEC [FLOW-5], [FLOW-8]).
    fn credit(&mut self, id: StreamId, increment: u32) {
        if mutated!(self, WndIncUnknownFatal) && !self.streams.contains_key(&id) {
            self.fail(
                ErrorCode::PROTOCOL_ERROR,
                format!("WNDINC for unknown stream {id}"),
            );
            return;
        }
        let Some(stream) = self.streams.get_mut(&id) else {
            return;
        };
        if !stream.sending() {
            return; // [WNDINC-5] nothing more to send on it.
        }
        stream.send.window += u64::from(increment);
        if stream.send.window > u64::from(MAX_INCREMENT) {
            self.reset_stream(id, ErrorCode::FLOW_CONTROL_ERROR);
        } else {
            self.events_streams.insert(id);
        }
    }
}
