//! A model of two reference muxado sessions, checked exhaustively by [stateright].
//!
//! The model runs the real sans-IO [`Machine`] of `muxado-reference` (not a copy): a client and
//! a server joined by two in-order byte pipes, one each way. Every step is one of:
//!
//! - a side takes in bytes in flight: the rest of the frame at the head of its pipe, or only
//!   part of it (cut inside the header, at the header's end, or inside the body), or, when
//!   [`Bounds::coalesce`] is set, everything in flight at once;
//! - a side reads end-of-file, once the other side's session ended and its bytes were taken;
//! - an application action from a bounded menu: open, accept, write `k` bytes, read up to `k`,
//!   close_write, close_stream, reset, go_away, close;
//! - time passes by the reset linger (SPEC [STREAM-11]), while a reset is remembered or a SYN
//!   waits for room in a full accept backlog (SPEC [STREAM-14]: the linger is longer than the
//!   accept patience, so the waiting SYN is refused).
//!
//! A side takes in bytes only while its session wants input, as the driver reads only then:
//! not while a SYN waits for room in its accept backlog ([STREAM-14]).
//!
//! After each step the driver moves each session's output into its pipe and drains its events,
//! as the tokio driver would. The checker visits every state reachable within [`Bounds`] and
//! checks the properties of [`MuxadoModel::properties`], each named with the SPEC.md ids it
//! checks. A violation stops its path; [`MuxadoModel::frame_log`] prints the path as a frame log.
//!
//! State identity: a [`State`] is hashed whole: both sessions (every field that decides their
//! future, see the reference's `impl Hash for Machine`), the frames in flight and how much of
//! the head frame was taken, the applications' bookkeeping, the clock and the budgets. Two
//! paths that reach equal states are merged; nothing that affects the future is left out.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use muxado_reference::frame::{self, ErrorCode, Frame, FrameType, HEADER_LEN, StreamId};
pub use muxado_reference::session::mutation::Mutation;
use muxado_reference::session::{Config, Error, Machine, Read, Role, StreamSnapshot};
use stateright::{Expectation, Model, Property};

mod vector;

/// How far the checker explores. Every field bounds one kind of nondeterminism.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Bounds {
    /// Streams each side may open (`[client, server]`).
    pub streams: [u8; 2],
    /// Most bytes an application writes on one stream, over the stream's life (at most 15).
    pub bytes_per_stream: u8,
    /// The sizes `k` a write offers (each capped by what is left of `bytes_per_stream`).
    pub write_sizes: Vec<u8>,
    /// The buffer sizes a read offers.
    pub read_sizes: Vec<u8>,
    /// The window size W of both sessions (SPEC [FLOW-2]).
    pub window: u32,
    /// Both sessions' accept backlog (SPEC [LIMIT-3]).
    pub accept_backlog: usize,
    /// Both sessions' bound on streams the peer holds open (SPEC [LIMIT-2]).
    pub max_streams: usize,
    /// Largest DATA body a session sends: writes larger than this are split into frames.
    pub max_frame_size: usize,
    /// Application actions other than read and accept, both sides together: open, write,
    /// close_write, close_stream, reset, go_away, close. Reads and accepts are free: the
    /// applications always keep reading, which is the fairness the liveness properties need.
    pub app_actions: u8,
    /// How many times time may pass by the reset linger.
    pub time_steps: u8,
    /// Offer cuts of a frame (inside the header, at its end, inside the body) besides whole
    /// frames.
    pub cuts: bool,
    /// Offer taking in every frame in flight in one `receive`.
    pub coalesce: bool,
    /// Which of the optional actions the menu offers.
    pub menu: Menu,
}

/// The optional application actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Menu {
    /// `close_write`: half-close with FIN.
    pub close_write: bool,
    /// `close_stream`: Go's `Close`.
    pub close_stream: bool,
    /// `reset` with `STREAM_CANCELLED`.
    pub reset: bool,
    /// `go_away` with `NO_ERROR`, at most once a side.
    pub go_away: bool,
    /// `close` of the session, at most once a side.
    pub close: bool,
}

impl Menu {
    /// Every action on the menu.
    pub const ALL: Menu = Menu {
        close_write: true,
        close_stream: true,
        reset: true,
        go_away: true,
        close: true,
    };
}

impl Default for Bounds {
    /// The default bound, run by `cargo test -p muxado-model`: one stream each way, a window
    /// of 2 bytes against 3 bytes to write (so flow control blocks), backlog 1, cut and
    /// coalesced receives, every action on the menu.
    fn default() -> Bounds {
        Bounds {
            streams: [1, 1],
            bytes_per_stream: 3,
            write_sizes: vec![3],
            read_sizes: vec![1],
            window: 2,
            accept_backlog: 1,
            max_streams: 4,
            max_frame_size: 2,
            app_actions: 4,
            time_steps: 1,
            cuts: true,
            coalesce: true,
            menu: Menu::ALL,
        }
    }
}

impl Bounds {
    /// Between the two: two client streams and one server stream, five actions.
    pub fn medium() -> Bounds {
        Bounds {
            streams: [2, 1],
            app_actions: 5,
            ..Bounds::default()
        }
    }

    /// The deep bound, run once for the README: two streams each way, a window of 2 against
    /// 3 bytes to write, backlog 1, cut frames, every action on the menu, more actions.
    pub fn deep() -> Bounds {
        Bounds {
            streams: [2, 2],
            app_actions: 6,
            ..Bounds::default()
        }
    }
}

/// One end of the transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Peer {
    /// Opens odd stream ids.
    Client,
    /// Opens even stream ids.
    Server,
}

impl Peer {
    /// Both peers, client first.
    pub const BOTH: [Peer; 2] = [Peer::Client, Peer::Server];

    fn index(self) -> usize {
        self as usize
    }

    /// The other end.
    pub fn other(self) -> Peer {
        match self {
            Peer::Client => Peer::Server,
            Peer::Server => Peer::Client,
        }
    }

    fn role(self) -> Role {
        match self {
            Peer::Client => Role::Client,
            Peer::Server => Role::Server,
        }
    }

    /// Whether stream `id` was opened by this peer (SPEC [ID-1]).
    fn opened(self, id: u32) -> bool {
        (id % 2 == 1) == (self == Peer::Client)
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Peer::Client => "client",
            Peer::Server => "server",
        })
    }
}

/// Which sessions play a mutation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Placement {
    /// The client only; the server conforms.
    Client,
    /// The server only; the client conforms.
    Server,
    /// Both sessions.
    Both,
}

/// One step of the model.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// `to` takes in the bytes of the frame at the head of the other side's pipe up to byte
    /// `upto` of that frame (the frame's length: the rest of it); `usize::MAX`: every frame
    /// in flight.
    Deliver {
        /// The receiving side.
        to: Peer,
        /// Where the delivered bytes end, within the head frame.
        upto: usize,
    },
    /// `to` reads end-of-file on the transport.
    Eof {
        /// The receiving side.
        to: Peer,
    },
    /// The application opens a stream.
    Open(Peer),
    /// The application accepts a stream.
    Accept(Peer),
    /// The application writes `len` bytes on stream `id`.
    Write {
        /// The writing side.
        side: Peer,
        /// The stream.
        id: u32,
        /// Bytes offered.
        len: u8,
    },
    /// The application reads up to `len` bytes from stream `id`.
    Read {
        /// The reading side.
        side: Peer,
        /// The stream.
        id: u32,
        /// The buffer size.
        len: u8,
    },
    /// The application half-closes stream `id`.
    CloseWrite(Peer, u32),
    /// The application closes stream `id` (Go's `Close`).
    CloseStream(Peer, u32),
    /// The application resets stream `id` with `STREAM_CANCELLED`.
    Reset(Peer, u32),
    /// The application sends GOAWAY `NO_ERROR`.
    GoAway(Peer),
    /// The application closes the session.
    Close(Peer),
    /// Time passes by the reset linger.
    Tick,
}

/// What one application knows of one stream.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AppStream {
    /// Bytes the session accepted from `write`.
    pub written: u8,
    /// Bytes `read` returned.
    pub read: u8,
    /// Unread bytes thrown away by `close_stream`.
    pub discarded: u8,
    /// The application called `close_write` or `close_stream`.
    pub fin: bool,
    /// A read returned end-of-stream.
    pub eof: bool,
    /// A read returned an error.
    pub failed: bool,
    /// The application called `close_stream`.
    pub released: bool,
    /// The application called `reset`.
    pub reset: bool,
}

/// One side: its session and what its application did.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Side {
    /// The reference session.
    pub session: Machine,
    /// Streams the application opened or accepted, by id (kept after they end).
    pub streams: BTreeMap<u32, AppStream>,
    /// Streams opened.
    pub opened: u8,
    /// The last stream id of the first GOAWAY this side sent.
    pub goaway_last: Option<u32>,
    /// The application called `go_away`.
    pub went_away: bool,
    /// The application called `close`.
    pub closed: bool,
    /// This side read end-of-file.
    pub eof: bool,
    /// Whether SYN was sent on each of this side's streams (SPEC [STREAM-2]).
    pub syn_seen: BTreeMap<u32, bool>,
}

/// Frames on their way from one side to the other, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Pipe {
    /// Encoded frames not yet wholly taken in.
    pub frames: VecDeque<Vec<u8>>,
    /// Bytes of the head frame already taken in.
    pub offset: usize,
    /// The sending side's session ended: after the frames, end-of-file.
    pub eof: bool,
}

impl Pipe {
    /// The bytes [`Action::Deliver`] with this `upto` takes in.
    pub fn chunk(&self, upto: usize) -> Vec<u8> {
        let mut chunk = Vec::new();
        for (n, frame) in self.frames.iter().enumerate() {
            let start = if n == 0 { self.offset } else { 0 };
            if upto != usize::MAX && n > 0 {
                break;
            }
            let end = if upto == usize::MAX {
                frame.len()
            } else {
                upto.min(frame.len())
            };
            chunk.extend_from_slice(&frame[start..end]);
        }
        chunk
    }
}

/// The model's state.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct State {
    /// `[client, server]`.
    pub sides: [Side; 2],
    /// `pipes[i]` carries what side `i` sent.
    pub pipes: [Pipe; 2],
    /// How many times time passed.
    pub ticks: u8,
    /// Application actions left (see [`Bounds::app_actions`]).
    pub actions_left: u8,
    /// Streams an RST was sent for, by either side: their bytes may be lost.
    pub rst: BTreeSet<u32>,
    /// The first property broken by a step (property name, detail): the path stops there.
    pub violation: Option<(&'static str, String)>,
}

impl State {
    fn side(&self, peer: Peer) -> &Side {
        &self.sides[peer.index()]
    }

    fn side_mut(&mut self, peer: Peer) -> &mut Side {
        &mut self.sides[peer.index()]
    }

    fn violate(&mut self, property: &'static str, detail: String) {
        if self.violation.is_none() {
            self.violation = Some((property, detail));
        }
    }

    fn ok(&self, property: &'static str) -> bool {
        self.violation.as_ref().is_none_or(|(p, _)| *p != property)
    }

    /// No frame in flight either way.
    pub fn quiet_wire(&self) -> bool {
        self.pipes.iter().all(|p| p.frames.is_empty())
    }

    /// Nothing in flight, nothing waiting for `accept`, nothing unread by an application that
    /// still holds its stream: the applications have seen everything the wire carried.
    pub fn quiescent(&self) -> bool {
        self.quiet_wire()
            && self.sides.iter().all(|side| {
                side.session.accept_queue_ids().len() == 0
                    && side.streams.iter().all(|(id, app)| {
                        app.released
                            || app.eof
                            || app.failed
                            || side.session.readable_bytes(StreamId::new(*id)) == 0
                    })
            })
    }
}

// ---- properties -------------------------------------------------------------------------

/// [STREAM-4] [STREAM-6] [DATA-4]: the bytes an application reads on a stream are a prefix of
/// what the other side wrote, in order, never duplicated.
pub const P_BYTES: &str = "read bytes are a prefix of written bytes [STREAM-4] [STREAM-6]";
/// [STREAM-6]: end-of-stream only after every byte, and only after the writer's FIN.
pub const P_EOF: &str = "end-of-stream only after every byte [STREAM-6]";
/// [FLOW-4]: a receiver never buffers more than its window.
pub const P_BUFFER: &str = "a receiver buffers at most W per stream [FLOW-4]";
/// [FLOW-7] [FLOW-3]: a sender's window never exceeds W less what it wrote plus what the
/// receiver consumed.
pub const P_CREDIT: &str = "credit never exceeds consumption [FLOW-7] [FLOW-3]";
/// [ID-1] [ID-2] [ID-4]: opened ids have the opener's parity, start at 3 / 2, step by 2.
pub const P_IDS: &str = "ids have their parity and step by 2, never reused [ID-1] [ID-2] [ID-4]";
/// [SESSION-4] [FRAME-8]: two conforming sessions never end each other with an error, nor
/// reset a stream for a flow-control error.
pub const P_NO_ERROR: &str =
    "no connection error, no FLOW_CONTROL_ERROR between conforming sessions [SESSION-4] [FLOW-4]";
/// [RST-4] [RST-5] [WNDINC-5] [STREAM-7]: a received RST, WNDINC or empty FIN draws no frame on
/// its stream (no RST or WNDINC ping-pong).
pub const P_NO_ANSWER: &str =
    "no frame answers an RST, a WNDINC or an empty FIN [RST-4] [RST-5] [WNDINC-5] [STREAM-7]";
/// [STREAM-4]: streams are accepted in the order their SYNs arrived.
pub const P_ACCEPT_ORDER: &str = "accept in the order SYNs arrived [STREAM-4]";
/// [STREAM-2]: SYN on exactly the first frame of a stream.
pub const P_SYN: &str = "SYN on exactly a stream's first frame [STREAM-2]";
/// [GOAWAY-5]: GOAWAY names the highest stream the sender accepted (or 0 / 1).
pub const P_GOAWAY_LAST: &str = "GOAWAY names the last accepted stream [GOAWAY-5]";
/// [GOAWAY-8]: after sending GOAWAY no new stream is accepted.
pub const P_GOAWAY_REFUSES: &str = "no stream accepted after sending GOAWAY [GOAWAY-8]";
/// [GOAWAY-7]: a received GOAWAY fails every own stream above its last id.
pub const P_GOAWAY_FAILS: &str = "a received GOAWAY fails unseen streams [GOAWAY-7]";
/// [SESSION-4] [SESSION-5]: after the session ended, no open succeeds and no frame is sent.
pub const P_ENDED: &str = "nothing succeeds or is sent after the end [SESSION-4] [SESSION-5]";
/// [LIMIT-2] [STREAM-5]: a SYN is refused only beyond a limit or after GOAWAY.
pub const P_REFUSAL: &str = "a SYN is refused only at a limit or after GOAWAY [LIMIT-2] [STREAM-5]";
/// [STREAM-14]: input waits behind a SYN only while the accept backlog is full: taking a
/// stream resumes it at once.
pub const P_WAIT: &str = "a SYN waits only while the backlog is full [STREAM-14]";
/// [STREAM-14]: the bound reaches a SYN waiting for room (offered when a side can open more
/// streams than the backlog holds).
pub const P_WAIT_REACHED: &str = "a SYN waits for room in a full accept backlog [STREAM-14]";
/// [STREAM-9] [STREAM-10]: a session never forgets a stream its application still holds.
pub const P_HELD: &str = "a held stream is never forgotten [STREAM-9] [STREAM-10]";
/// [STREAM-6] [STREAM-9] [RST-4]: when nothing is in flight, both sides agree on every stream:
/// a half ended by FIN (or by forgetting the stream) is ended at the peer, a reset stream is
/// over at the peer.
pub const P_AGREE: &str =
    "at quiescence both sides agree on stream states [STREAM-6] [STREAM-9] [RST-4]";
/// [FLOW-6] [FLOW-3]: when nothing is in flight and the applications read everything, every
/// byte written on a live stream was consumed and its window is whole again: no flow-control
/// deadlock.
pub const P_DRAINED: &str =
    "at quiescence every byte was consumed and every window is whole [FLOW-6] (no deadlock)";

/// [FLOW-6] liveness: every path reaches a state with nothing in flight and nothing unread.
pub const P_QUIESCENT: &str = "eventually nothing is in flight or unread [FLOW-6] (liveness)";

/// SPEC 6.2: the reaction to every frame received is the one its table gives for the
/// stream's state.
pub const P_TABLE: &str = "the reaction to each frame is SPEC 6.2's table row [STREAM-4] \
                           [STREAM-6] [STREAM-7] [STREAM-8] [RST-4] [RST-5] [WNDINC-5] [FLOW-5]";

/// The cells of SPEC 6.2's table the checker reached, when [`MuxadoModel::coverage`] is set.
pub type Coverage = Arc<Mutex<BTreeSet<Cell>>>;

/// The model: its bounds and, for testing the checker, a mutation of the reference to play.
#[derive(Clone, Debug)]
pub struct MuxadoModel {
    /// How far to explore.
    pub bounds: Bounds,
    /// A source-level bug of the reference session (`session::mutation`) and where it plays.
    pub mutation: Option<(Mutation, Placement)>,
    /// Where to note each cell of SPEC 6.2's table that a step reaches.
    pub coverage: Option<Coverage>,
}

impl MuxadoModel {
    /// The model of two conforming sessions within `bounds`.
    pub fn new(bounds: Bounds) -> MuxadoModel {
        // Each byte carries its stream id and position in 4 bits each (`tag`).
        assert!(bounds.bytes_per_stream <= 15, "at most 15 bytes per stream");
        assert!(
            bounds.streams.iter().all(|&n| n <= 6),
            "stream ids must stay below 16"
        );
        MuxadoModel {
            bounds,
            mutation: None,
            coverage: None,
        }
    }

    /// The same model with `mutation` played by the sessions `placement` names.
    pub fn with_mutation(mut self, mutation: Mutation, placement: Placement) -> MuxadoModel {
        self.mutation = Some((mutation, placement));
        self
    }

    /// The configuration of `peer`'s session.
    pub fn config(&self, peer: Peer) -> Config {
        let b = &self.bounds;
        let mut config = Config::default()
            .with_max_window_size(b.window)
            .with_accept_backlog(b.accept_backlog)
            .with_max_streams(b.max_streams)
            .with_max_frame_size(b.max_frame_size)
            .with_reset_linger(LINGER);
        if let Some((mutation, placement)) = self.mutation {
            let on = match placement {
                Placement::Client => peer == Peer::Client,
                Placement::Server => peer == Peer::Server,
                Placement::Both => true,
            };
            if on {
                config.mutation = Some(mutation);
            }
        }
        config
    }

    /// The shortest path to a state where `property` fails (breadth-first), if the bound holds
    /// one.
    pub fn shortest_counterexample(&self, property: &'static str) -> Option<Vec<Action>> {
        use stateright::{Checker, HasDiscoveries};
        self.clone()
            .checker()
            .finish_when(HasDiscoveries::AnyOf(BTreeSet::from([property])))
            .spawn_bfs()
            .join()
            .discovery(property)
            .map(|path| path.into_actions())
    }

    /// The properties a finished check judged against their expectation, each with its frame
    /// log (or "no example found" for a `sometimes` without one); `judged` picks which count.
    pub fn failed_properties(
        &self,
        checker: &impl stateright::Checker<MuxadoModel>,
        judged: impl Fn(&Property<MuxadoModel>) -> bool,
    ) -> Vec<String> {
        let mut failures = Vec::new();
        for property in self.properties().iter().filter(|p| judged(p)) {
            let found = checker.discovery(property.name);
            if found.is_some() == property.expectation.discovery_is_failure() {
                let log = found.map_or_else(
                    || "  no example found".to_string(),
                    |path| self.frame_log(&path.into_actions()).join("\n  "),
                );
                failures.push(format!(
                    "{:?} {}:\n  {log}",
                    property.expectation, property.name
                ));
            }
        }
        failures
    }

    /// Replays `actions` from the initial state and returns the frame log: each action, then
    /// each frame it made a side send.
    pub fn frame_log<'a>(&self, actions: impl IntoIterator<Item = &'a Action>) -> Vec<String> {
        let mut log = Some(Vec::new());
        let mut state = self.init();
        for action in actions {
            if let Some(l) = log.as_mut() {
                l.push(format!("{}", Step(action)));
            }
            match self.step(&state, action, &mut log) {
                Some(next) => state = next,
                None => {
                    if let Some(l) = log.as_mut() {
                        l.push("  (no change)".into());
                    }
                }
            }
        }
        let mut log = log.unwrap_or_default();
        if let Some((property, detail)) = &state.violation {
            log.push(format!("VIOLATED {property}: {detail}"));
        }
        for property in self.properties() {
            let broken = property.expectation == Expectation::Always
                && !(property.condition)(self, &state)
                && state
                    .violation
                    .as_ref()
                    .is_none_or(|(p, _)| *p != property.name);
            if broken {
                log.push(format!("VIOLATED {}", property.name));
            }
        }
        log
    }

    fn init(&self) -> State {
        let side = |peer: Peer| Side {
            session: Machine::new(peer.role(), self.config(peer)),
            streams: BTreeMap::new(),
            opened: 0,
            goaway_last: None,
            went_away: false,
            closed: false,
            eof: false,
            syn_seen: BTreeMap::new(),
        };
        State {
            sides: [side(Peer::Client), side(Peer::Server)],
            pipes: [Pipe::default(), Pipe::default()],
            ticks: 0,
            rst: BTreeSet::new(),
            actions_left: self.bounds.app_actions,
            violation: None,
        }
    }

    /// Applies one action and the driver's moves after it; `None` if nothing changed.
    fn step(&self, last: &State, action: &Action, log: &mut Option<Vec<String>>) -> Option<State> {
        let decision = match *action {
            Action::Deliver { to, upto } => decision(last, to, upto),
            _ => None,
        };
        let mut s = last.clone();
        let now = LINGER * u32::from(s.ticks);
        let ended_before = [0, 1].map(|i| s.sides[i].session.termination().is_some());
        // Frames the step made each side take in whole: (type, stream, empty FIN).
        let mut taken: Vec<(Peer, FrameType, u32, bool)> = Vec::new();
        match *action {
            Action::Deliver { to, upto } => {
                let pipe = &mut s.pipes[to.other().index()];
                let mut chunk = Vec::new();
                let frames = if upto == usize::MAX {
                    pipe.frames.len()
                } else {
                    1
                };
                for n in 0..frames {
                    let head = pipe.frames.front()?;
                    let end = if n == 0 && upto != usize::MAX {
                        upto.min(head.len())
                    } else {
                        head.len()
                    };
                    chunk.extend_from_slice(&head[pipe.offset..end]);
                    if end == head.len() {
                        let (kind, id, empty_fin) = describe(head);
                        taken.push((to, kind, id, empty_fin));
                        pipe.frames.pop_front();
                        pipe.offset = 0;
                    } else {
                        pipe.offset = end;
                    }
                }
                s.side_mut(to).session.handle_input(&chunk, now);
            }
            Action::Eof { to } => {
                s.side_mut(to).eof = true;
                s.side_mut(to).session.handle_eof();
            }
            Action::Open(peer) => {
                let side = s.side_mut(peer);
                let ended = side.session.termination().is_some();
                let id = side.session.open().ok()?.get();
                side.streams.insert(id, AppStream::default());
                let expected = match peer {
                    Peer::Client => 3,
                    Peer::Server => 2,
                } + 2 * u32::from(side.opened);
                side.opened += 1;
                s.actions_left -= 1;
                if ended {
                    s.violate(
                        P_ENDED,
                        format!("{peer} opened stream {id} after its session ended"),
                    );
                }
                if id != expected || !peer.opened(id) {
                    s.violate(
                        P_IDS,
                        format!("{peer} opened stream {id}, expected {expected}"),
                    );
                }
            }
            Action::Accept(peer) => {
                let side = s.side_mut(peer);
                let oldest = side.session.accept_queue_ids().next();
                let id = side.session.accept()?;
                side.streams.insert(id.get(), AppStream::default());
                if Some(id) != oldest {
                    s.violate(
                        P_ACCEPT_ORDER,
                        format!("{peer} accepted stream {id} before stream {oldest:?}"),
                    );
                }
            }
            Action::Write {
                side: peer,
                id,
                len,
            } => {
                let side = s.side_mut(peer);
                let app = side.streams.get(&id)?;
                let data: Vec<u8> = (app.written..app.written + len)
                    .map(|pos| tag(id, pos))
                    .collect();
                let n = side.session.write(StreamId::new(id), &data).ok()?;
                if n == 0 {
                    return None;
                }
                side.streams.get_mut(&id)?.written += n as u8;
                s.actions_left -= 1;
            }
            Action::Read {
                side: peer,
                id,
                len,
            } => {
                let other = s
                    .side(peer.other())
                    .streams
                    .get(&id)
                    .cloned()
                    .unwrap_or_default();
                let side = s.side_mut(peer);
                let mut buf = vec![0; usize::from(len)];
                let result = side.session.read(StreamId::new(id), &mut buf);
                let app = side.streams.get_mut(&id)?;
                match result {
                    Ok(Read::Data(n)) => {
                        let expected: Vec<u8> =
                            (app.read..app.read + n as u8).map(|p| tag(id, p)).collect();
                        let at = app.read;
                        app.read += n as u8;
                        if buf[..n] != expected[..] || app.read > other.written {
                            let detail = format!(
                                "{peer} read {:?} at offset {at} of stream {id}; the writer wrote {} bytes",
                                &buf[..n],
                                other.written
                            );
                            s.violate(P_BYTES, detail);
                        }
                    }
                    Ok(Read::Eof) => {
                        app.eof = true;
                        if app.read != other.written || !other.fin {
                            let detail = format!(
                                "{peer} read end-of-stream on stream {id} after {} bytes; the writer wrote {} and {}",
                                app.read,
                                other.written,
                                if other.fin { "closed" } else { "did not close" }
                            );
                            s.violate(P_EOF, detail);
                        }
                    }
                    Ok(Read::Blocked) => return None,
                    Err(err) => {
                        app.failed = true;
                        if matches!(err, Error::UnknownStream(_)) {
                            s.violate(
                                P_HELD,
                                format!("{peer}'s read of held stream {id} failed: {err}"),
                            );
                        }
                    }
                }
            }
            Action::CloseWrite(peer, id) => {
                let side = s.side_mut(peer);
                side.session.close_write(StreamId::new(id)).ok()?;
                side.streams.get_mut(&id)?.fin = true;
                s.actions_left -= 1;
            }
            Action::CloseStream(peer, id) => {
                let side = s.side_mut(peer);
                let unread = side.session.readable_bytes(StreamId::new(id));
                side.session.close_stream(StreamId::new(id));
                let app = side.streams.get_mut(&id)?;
                app.discarded += unread as u8;
                app.fin = true;
                app.released = true;
                s.actions_left -= 1;
            }
            Action::Reset(peer, id) => {
                let side = s.side_mut(peer);
                side.session
                    .reset(StreamId::new(id), ErrorCode::STREAM_CANCELLED)
                    .ok()?;
                side.streams.get_mut(&id)?.reset = true;
                s.actions_left -= 1;
            }
            Action::GoAway(peer) => {
                let side = s.side_mut(peer);
                side.session.go_away(ErrorCode::NO_ERROR, b"").ok()?;
                side.went_away = true;
                s.actions_left -= 1;
            }
            Action::Close(peer) => {
                let side = s.side_mut(peer);
                side.session.close();
                side.closed = true;
                s.actions_left -= 1;
            }
            Action::Tick => {
                s.ticks += 1;
                let now = LINGER * u32::from(s.ticks);
                for side in &mut s.sides {
                    side.session.handle_timeout(now);
                }
            }
        }
        let sent = self.drive(&mut s, ended_before, log);
        if let Some(decision) = decision {
            self.check_table(&mut s, &decision, &sent[decision.to.index()]);
        }
        // [RST-4] [RST-5] [WNDINC-5] [STREAM-7]: the reaction to a frame taken in whole.
        for &(to, kind, id, empty_fin) in &taken {
            let quiet = kind == FrameType::RST || kind == FrameType::WNDINC || empty_fin;
            let alone = taken.iter().filter(|t| t.2 == id).count() == 1;
            if quiet && alone && sent[to.index()].iter().any(|(_, sid, _)| *sid == id) {
                let detail = format!(
                    "{to} answered a {} on stream {id} with a frame on that stream",
                    if empty_fin {
                        "zero-length FIN".to_string()
                    } else {
                        kind.name().to_string()
                    }
                );
                s.violate(P_NO_ANSWER, detail);
            }
        }
        Some(s)
    }

    /// The driver after each step: each session's output into its pipe (checking each frame
    /// sent), events drained, a transport closed once its session ended. Returns the (type,
    /// stream) of each frame each side sent.
    fn drive(
        &self,
        s: &mut State,
        ended_before: [bool; 2],
        log: &mut Option<Vec<String>>,
    ) -> [Vec<(FrameType, u32, u32)>; 2] {
        let mut sent: [Vec<(FrameType, u32, u32)>; 2] = Default::default();
        for peer in Peer::BOTH {
            let i = peer.index();
            let mut out = Vec::new();
            s.sides[i].session.poll_transmit(&mut out);
            while s.sides[i].session.poll_event().is_some() {}
            let mut rest = &out[..];
            while !rest.is_empty() {
                let (frame, used) = match frame::decode_frame(rest) {
                    Ok(decoded) => decoded,
                    Err(err) => {
                        s.violate(
                            P_NO_ERROR,
                            format!("{peer} sent an undecodable frame: {err}"),
                        );
                        break;
                    }
                };
                if let Some(l) = log.as_mut() {
                    l.push(format!("  {peer} -> {frame}"));
                }
                let id = frame.stream_id().get();
                let code = match &frame {
                    Frame::Rst(rst) => rst.error_code.0,
                    _ => 0,
                };
                sent[i].push((frame.frame_type(), id, code));
                if ended_before[i] {
                    s.violate(
                        P_ENDED,
                        format!("{peer} sent {frame} after its session ended"),
                    );
                }
                self.check_sent(s, peer, &frame);
                if s.sides[1 - i].session.termination().is_none() {
                    s.pipes[i].frames.push_back(rest[..used].to_vec());
                }
                rest = &rest[used..];
            }
        }
        for peer in Peer::BOTH {
            let i = peer.index();
            if s.sides[i].session.termination().is_some() {
                // The driver closes the transport: end-of-file after the frames in flight,
                // and whatever was on its way in is lost.
                s.pipes[i].eof = true;
                let incoming = &mut s.pipes[1 - i];
                incoming.frames.clear();
                incoming.offset = 0;
            }
        }
        sent
    }

    /// Checks one frame `peer` sent.
    fn check_sent(&self, s: &mut State, peer: Peer, frame: &Frame<'_>) {
        let id = frame.stream_id().get();
        match frame {
            Frame::Data(data) => {
                if peer.opened(id) {
                    let first = !s.side(peer).syn_seen.contains_key(&id);
                    s.side_mut(peer).syn_seen.insert(id, true);
                    if data.syn != first {
                        let which = if first { "first" } else { "a later" };
                        let detail = format!(
                            "{peer} sent {which} frame of stream {id} with syn={}",
                            data.syn
                        );
                        s.violate(P_SYN, detail);
                    }
                }
            }
            Frame::GoAway(go_away) => {
                if go_away.error_code != ErrorCode::NO_ERROR {
                    s.violate(P_NO_ERROR, format!("{peer} sent {frame}"));
                }
                let last = go_away.last_stream_id.get();
                let none = match peer {
                    Peer::Client => 0,
                    Peer::Server => 1,
                };
                // The highest peer stream this side's session took in.
                let accepted = s
                    .side(peer)
                    .session
                    .stream_snapshots()
                    .map(|st| st.id.get())
                    .chain(s.side(peer).streams.keys().copied())
                    .filter(|id| peer.other().opened(*id))
                    .max()
                    .unwrap_or(none);
                if last != none && (!peer.other().opened(last) || last > accepted) {
                    let detail = format!("{peer} sent {frame}; highest accepted: {accepted}");
                    s.violate(P_GOAWAY_LAST, detail);
                }
                let side = s.side_mut(peer);
                side.goaway_last.get_or_insert(last);
            }
            Frame::Rst(rst) => {
                s.rst.insert(id);
                let code = rst.error_code;
                if code == ErrorCode::FLOW_CONTROL_ERROR {
                    s.violate(P_NO_ERROR, format!("{peer} sent {frame}"));
                }
                if code == ErrorCode::STREAM_REFUSED && s.side(peer).goaway_last.is_none() {
                    let held = s.side(peer).session.census().remote_streams;
                    if held < self.bounds.max_streams {
                        let detail = format!(
                            "{peer} sent {frame} without GOAWAY, holding {held} of {} peer streams",
                            self.bounds.max_streams
                        );
                        s.violate(P_REFUSAL, detail);
                    }
                }
                if code == ErrorCode::ACCEPT_QUEUE_FULL {
                    let queued = s.side(peer).session.accept_queue_ids().len();
                    if queued < self.bounds.accept_backlog {
                        s.violate(
                            P_REFUSAL,
                            format!("{peer} sent {frame} with {queued} queued"),
                        );
                    }
                }
            }
            Frame::WndInc(_) | Frame::Unknown(_) => {}
        }
    }

    /// Checks the receiver's reaction to one frame against SPEC 6.2's table of reactions
    /// (the row of the frame, the column of the stream's state), and notes the cell reached.
    fn check_table(&self, s: &mut State, d: &Decision, sent: &[(FrameType, u32, u32)]) {
        if let Some(cells) = &self.coverage {
            cells.lock().expect("coverage lock").insert(d.cell);
        }
        let (state, lingering, event) = d.cell;
        let side = s.side(d.to);
        let on_stream: Vec<(FrameType, u32)> = sent
            .iter()
            .filter(|(_, id, _)| *id == d.id)
            .map(|(t, _, code)| (*t, *code))
            .collect();
        let after = snapshot(side, d.id);
        let ended = side.session.termination().is_some();
        let rst = |code: ErrorCode| on_stream == [(FrameType::RST, code.0)];
        let silent = on_stream.is_empty();
        use StreamState::*;
        let ok = match (event, state) {
            // [STREAM-4] [ID-8] a new stream, or refused [STREAM-5] [GOAWAY-8] [LIMIT-2];
            // [ID-7] refused while the application holds a closed stream of that id.
            (Event::Syn, Idle | Closed) => {
                let accepted = silent
                    && after.is_some()
                    && side.session.accept_queue_ids().any(|q| q.get() == d.id);
                // [STREAM-14] or it waits, unjudged, for room in the full backlog.
                let waiting = silent
                    && side.session.paused_for_backlog()
                    && side.session.accept_queue_ids().len() >= self.bounds.accept_backlog;
                accepted
                    || waiting
                    || rst(ErrorCode::STREAM_REFUSED)
                    || rst(ErrorCode::ACCEPT_QUEUE_FULL)
                    || rst(ErrorCode::FLOW_CONTROL_ERROR)
            }
            // [ID-7] a SYN for a known stream is a connection error.
            (Event::Syn, _) => ended,
            // [STREAM-7] ignored; [STREAM-6] half-closes an open receive half.
            (Event::EmptyFin, Open | HalfClosedLocal) => {
                silent && after.as_ref().is_some_and(|a| a.recv_fin)
            }
            (Event::EmptyFin, _) => silent,
            // [FLOW-4] delivered, counted against the window.
            (Event::Data, Open | HalfClosedLocal) => silent,
            // [STREAM-8] RST STREAM_CLOSED; within the linger SHOULD be ignored, MAY be
            // answered ([STREAM-11]).
            (Event::Data, _) => rst(ErrorCode::STREAM_CLOSED) || lingering && silent,
            // [RST-5] ignored; [RST-4] closes without an answer.
            (Event::Rst, Idle | Closed | ClosedByFin) => silent,
            (Event::Rst, Open | HalfClosedLocal | HalfClosedRemote) => {
                silent && after.as_ref().is_none_or(|a| a.error.is_some())
            }
            // [WNDINC-5] ignored; [FLOW-5] credits the send window of a sending half.
            (Event::WndInc, _) => {
                let credited = match (&d.before, &after) {
                    (Some(b), Some(a)) if b.sending => {
                        a.send_window == b.send_window + u64::from(d.increment)
                    }
                    _ => true,
                };
                silent && credited
            }
        };
        if !ok {
            let detail = format!(
                "{} received {event:?} on stream {} in state {state:?}{}: sent {on_stream:?},                  after: {after:?}",
                d.to,
                d.id,
                if lingering { " (reset lingering)" } else { "" }
            );
            s.violate(P_TABLE, detail);
        }
    }

    /// What a read of `id` by `peer` would return, without doing it: `false` when it would
    /// block (then the action is not offered).
    fn readable(&self, side: &Side, id: u32) -> bool {
        let sid = StreamId::new(id);
        side.session.termination().is_some()
            || !side.session.knows_stream(sid)
            || side.session.readable_bytes(sid) > 0
            || side.session.stream_error(sid).is_some()
            || side
                .session
                .snapshot_of(&[sid])
                .stream(sid)
                .is_some_and(|st| st.recv_fin)
    }
}

/// A stream's state in the receiver, as SPEC 6.2's tables name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StreamState {
    /// Unknown to the session: never opened, or forgotten.
    Idle,
    /// Both halves open.
    Open,
    /// We sent FIN; we still receive.
    HalfClosedLocal,
    /// We received FIN; we still send.
    HalfClosedRemote,
    /// Both FINs exchanged, the application still holds the stream.
    ClosedByFin,
    /// Reset either way or closed locally, the application still holds the stream: closed
    /// for the protocol.
    Closed,
}

/// A frame received, as SPEC 6.2's table of reactions sorts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Event {
    /// DATA with SYN.
    Syn,
    /// DATA of length 0 with FIN, without SYN.
    EmptyFin,
    /// Any other DATA.
    Data,
    /// RST.
    Rst,
    /// WNDINC.
    WndInc,
}

/// One cell of the table: the receiver's stream state, whether an RST for the stream was sent
/// within the reset linger ([STREAM-11]), and the frame.
pub type Cell = (StreamState, bool, Event);

/// The frame a delivery makes the receiver act on, if it acts on exactly one.
#[derive(Clone, Debug)]
struct Decision {
    to: Peer,
    id: u32,
    cell: Cell,
    before: Option<StreamSnapshot>,
    increment: u32,
}

fn classify(side: &Side, id: u32) -> (StreamState, bool, Option<StreamSnapshot>) {
    let sid = StreamId::new(id);
    let lingering = side
        .session
        .snapshot_of(&[sid])
        .recently_reset
        .contains(&sid);
    let st = snapshot(side, id);
    let state = match &st {
        None => StreamState::Idle,
        Some(st) if st.error.is_some() || st.released => StreamState::Closed,
        Some(st) => match (st.send_fin, st.recv_fin) {
            (false, false) => StreamState::Open,
            (true, false) => StreamState::HalfClosedLocal,
            (false, true) => StreamState::HalfClosedRemote,
            (true, true) => StreamState::ClosedByFin,
        },
    };
    (state, lingering, st)
}

/// The decision a delivery to `to` makes: a DATA frame is judged when its header is complete,
/// the other frames when they are whole. `None` when the delivery spans several frames or
/// completes no decision.
fn decision(s: &State, to: Peer, upto: usize) -> Option<Decision> {
    let pipe = &s.pipes[to.other().index()];
    let head = pipe.frames.front()?;
    if upto == usize::MAX && pipe.frames.len() > 1 {
        return None;
    }
    let end = upto.min(head.len());
    let header = frame::decode_header(head).ok()?;
    let event = if header.frame_type == FrameType::DATA {
        if !(pipe.offset < HEADER_LEN && end >= HEADER_LEN) {
            return None;
        }
        if header.flags.contains(frame::Flags::SYN) {
            Event::Syn
        } else if header.length == 0 && header.flags.contains(frame::Flags::FIN) {
            Event::EmptyFin
        } else {
            Event::Data
        }
    } else {
        if end != head.len() {
            return None;
        }
        match header.frame_type {
            FrameType::RST => Event::Rst,
            FrameType::WNDINC => Event::WndInc,
            _ => return None,
        }
    };
    let increment = match frame::decode_frame(head) {
        Ok((Frame::WndInc(w), _)) => w.increment,
        _ => 0,
    };
    let id = header.stream_id.get();
    let (state, lingering, before) = classify(s.side(to), id);
    Some(Decision {
        to,
        id,
        cell: (state, lingering, event),
        before,
        increment,
    })
}

/// How long the reset linger lasts (the reference's default, which session vectors assume);
/// time passes by this much (SPEC [STREAM-11]).
pub const LINGER: Duration = Duration::from_secs(5);

/// The byte at `pos` of stream `id`: the stream and the position, so that a byte read on the
/// wrong stream, out of order or twice is seen.
fn tag(id: u32, pos: u8) -> u8 {
    ((id as u8) << 4) | (pos & 0xF)
}

/// The type, stream and "zero-length FIN without SYN" of an encoded frame.
fn describe(encoded: &[u8]) -> (FrameType, u32, bool) {
    let header = frame::decode_header(encoded).expect("the model only carries frames it decoded");
    let empty_fin = header.frame_type == FrameType::DATA
        && header.length == 0
        && header.flags.contains(frame::Flags::FIN)
        && !header.flags.contains(frame::Flags::SYN);
    (header.frame_type, header.stream_id.get(), empty_fin)
}

/// An action, as the frame log prints it.
struct Step<'a>(&'a Action);

impl fmt::Display for Step<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self.0 {
            Action::Deliver {
                to,
                upto: usize::MAX,
            } => write!(f, "{to} takes in every frame in flight"),
            Action::Deliver { to, upto } => {
                write!(f, "{to} takes in the head frame up to byte {upto}")
            }
            Action::Eof { to } => write!(f, "{to} reads end-of-file"),
            Action::Open(p) => write!(f, "{p}: open"),
            Action::Accept(p) => write!(f, "{p}: accept"),
            Action::Write { side, id, len } => write!(f, "{side}: write {len} bytes on {id}"),
            Action::Read { side, id, len } => write!(f, "{side}: read up to {len} bytes from {id}"),
            Action::CloseWrite(p, id) => write!(f, "{p}: close_write {id}"),
            Action::CloseStream(p, id) => write!(f, "{p}: close_stream {id}"),
            Action::Reset(p, id) => write!(f, "{p}: reset {id} STREAM_CANCELLED"),
            Action::GoAway(p) => write!(f, "{p}: go_away NO_ERROR"),
            Action::Close(p) => write!(f, "{p}: close"),
            Action::Tick => write!(f, "time passes"),
        }
    }
}

fn snapshot(side: &Side, id: u32) -> Option<StreamSnapshot> {
    let sid = StreamId::new(id);
    side.session.snapshot_of(&[sid]).stream(sid).cloned()
}

/// Every stream id either side knows, as (opener, id).
fn all_ids(s: &State) -> Vec<u32> {
    let mut ids: Vec<u32> = s
        .sides
        .iter()
        .flat_map(|side| {
            side.streams
                .keys()
                .copied()
                .chain(side.session.stream_snapshots().map(|st| st.id.get()))
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn buffers_within_window(m: &MuxadoModel, s: &State) -> bool {
    s.sides.iter().all(|side| {
        side.session
            .stream_snapshots()
            .all(|st| st.buffered <= m.bounds.window as usize)
    })
}

fn credit_within_consumption(m: &MuxadoModel, s: &State) -> bool {
    let w = u64::from(m.bounds.window);
    Peer::BOTH.iter().all(|&writer| {
        let (x, y) = (s.side(writer), s.side(writer.other()));
        x.session.stream_snapshots().all(|st| {
            let id = st.id.get();
            let written = u64::from(x.streams.get(&id).map_or(0, |a| a.written));
            let consumed = y
                .streams
                .get(&id)
                .map_or(0, |a| u64::from(a.read) + u64::from(a.discarded));
            !st.sending || st.send_window + written <= w + consumed
        })
    })
}

fn no_connection_error(_: &MuxadoModel, s: &State) -> bool {
    s.ok(P_NO_ERROR)
        && s.sides.iter().all(|side| {
            side.session.termination().is_none_or(|t| {
                t.local == ErrorCode::SESSION_CLOSED || t.local == ErrorCode::PEER_EOF
            })
        })
}

fn goaway_refuses(_: &MuxadoModel, s: &State) -> bool {
    Peer::BOTH.iter().all(|&peer| {
        let side = s.side(peer);
        side.goaway_last.is_none_or(|last| {
            side.session
                .stream_snapshots()
                .all(|st| !peer.other().opened(st.id.get()) || st.id.get() <= last)
        })
    })
}

fn goaway_fails_unseen(_: &MuxadoModel, s: &State) -> bool {
    Peer::BOTH.iter().all(|&peer| {
        let side = s.side(peer);
        side.session.remote_go_away().is_none_or(|ga| {
            let last = ga.last_stream_id.get();
            side.session.stream_snapshots().all(|st| {
                let id = st.id.get();
                !peer.opened(id) || id <= last || st.error.is_some() || st.finished
            })
        })
    })
}

fn waits_only_while_full(m: &MuxadoModel, s: &State) -> bool {
    s.sides.iter().all(|side| {
        !side.session.paused_for_backlog()
            || side.session.accept_queue_ids().len() >= m.bounds.accept_backlog
    })
}

fn held_streams_known(_: &MuxadoModel, s: &State) -> bool {
    s.ok(P_HELD)
        && s.sides.iter().all(|side| {
            side.streams
                .iter()
                .all(|(id, app)| app.released || side.session.knows_stream(StreamId::new(*id)))
        })
}

/// Whether the stream's half from `writer` to its peer is live: neither application reset
/// it, no RST for it was sent, neither session ended.
fn live(s: &State, id: u32) -> bool {
    !s.rst.contains(&id)
        && s.sides.iter().all(|side| {
            side.session.termination().is_none()
                && side.streams.get(&id).is_none_or(|a| !a.reset && !a.failed)
                && snapshot(side, id).is_none_or(|st| st.error.is_none())
        })
}

fn agree_at_quiescence(m: &MuxadoModel, s: &State) -> bool {
    if !s.quiescent() || s.violation.is_some() {
        return true;
    }
    let w = u64::from(m.bounds.window);
    all_ids(s).into_iter().all(|id| {
        Peer::BOTH.iter().all(|&writer| {
            let (x, y) = (s.side(writer), s.side(writer.other()));
            let (sx, sy) = (snapshot(x, id), snapshot(y, id));
            let Some(sy) = sy else { return true };
            if sy.error.is_some() || sy.released {
                return true;
            }
            // The writer's half is over: by FIN, or the writer forgot the stream. A stream
            // the writer never announced (no SYN sent) is unknown to the reader too.
            let announced = if writer.opened(id) {
                x.syn_seen.contains_key(&id)
            } else {
                y.syn_seen.contains_key(&id)
            };
            let writer_done = match &sx {
                None => announced,
                Some(sx) => sx.send_fin && sx.error.is_none(),
            };
            if writer_done && !sy.recv_fin && live_or_unknown(s, id) {
                return false;
            }
            // [RST-4]: the writer reset the stream and its RST arrived.
            if let Some(sx) = &sx {
                if matches!(sx.error, Some(Error::ResetLocally(_))) && sx.syn_sent && !sy.finished {
                    return false;
                }
                // [FLOW-3] [FLOW-6] the window is conserved once nothing is in flight.
                if sx.sending
                    && sy.receiving
                    && sx.send_window + sy.buffered as u64 + u64::from(sy.uncredited) != w
                {
                    return false;
                }
            }
            true
        })
    })
}

/// Neither session ended (a stream the writer forgot because its session ended is not a
/// disagreement).
fn live_or_unknown(s: &State, _id: u32) -> bool {
    s.sides
        .iter()
        .all(|side| side.session.termination().is_none())
}

fn drained_at_quiescence(m: &MuxadoModel, s: &State) -> bool {
    if !s.quiescent() || s.violation.is_some() {
        return true;
    }
    let w = u64::from(m.bounds.window);
    all_ids(s).into_iter().all(|id| {
        if !live(s, id) {
            return true;
        }
        Peer::BOTH.iter().all(|&writer| {
            let (x, y) = (s.side(writer), s.side(writer.other()));
            let written = x.streams.get(&id).map_or(0, |a| a.written);
            let consumed = y.streams.get(&id).map_or(0, |a| a.read + a.discarded);
            // Bytes written on a stream the reader released may be refused (RST STREAM_CLOSED
            // answers them, [STREAM-9]); anything else must have arrived and been read.
            let reader_released = y.streams.get(&id).is_some_and(|a| a.released);
            if written != consumed && !reader_released {
                return false;
            }
            match (snapshot(x, id), snapshot(y, id)) {
                (Some(sx), Some(sy)) if sx.sending && sy.receiving => sx.send_window == w,
                _ => true,
            }
        })
    })
}

impl Model for MuxadoModel {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        vec![self.init()]
    }

    fn actions(&self, s: &State, actions: &mut Vec<Action>) {
        if s.violation.is_some() {
            return;
        }
        let b = &self.bounds;
        for to in Peer::BOTH {
            let pipe = &s.pipes[to.other().index()];
            if !s.side(to).session.wants_input() {
                // The driver does not read ([STREAM-14]: a SYN waits for room).
                continue;
            }
            if let Some(head) = pipe.frames.front() {
                if b.cuts {
                    let body = head.len() - HEADER_LEN;
                    let mut cuts = vec![HEADER_LEN / 2, HEADER_LEN];
                    if body >= 2 {
                        cuts.push(HEADER_LEN + body / 2);
                    }
                    for cut in cuts {
                        if cut > pipe.offset && cut < head.len() {
                            actions.push(Action::Deliver { to, upto: cut });
                        }
                    }
                }
                actions.push(Action::Deliver {
                    to,
                    upto: head.len(),
                });
                if b.coalesce && pipe.frames.len() > 1 {
                    actions.push(Action::Deliver {
                        to,
                        upto: usize::MAX,
                    });
                }
            } else if pipe.eof && !s.side(to).eof && s.side(to).session.termination().is_none() {
                actions.push(Action::Eof { to });
            }
        }
        for peer in Peer::BOTH {
            let side = s.side(peer);
            let budget = s.actions_left > 0;
            if side.session.accept_queue_ids().len() > 0 {
                actions.push(Action::Accept(peer));
            }
            if budget && side.opened < b.streams[peer.index()] {
                actions.push(Action::Open(peer));
            }
            for (&id, app) in &side.streams {
                let over = app.released || app.reset || app.failed;
                if !over && !app.eof && self.readable(side, id) {
                    for &len in &b.read_sizes {
                        actions.push(Action::Read {
                            side: peer,
                            id,
                            len,
                        });
                    }
                }
                if !budget || over {
                    continue;
                }
                if !app.fin && app.written < b.bytes_per_stream {
                    let mut sizes: Vec<u8> = b
                        .write_sizes
                        .iter()
                        .map(|&k| k.min(b.bytes_per_stream - app.written))
                        .collect();
                    sizes.sort_unstable();
                    sizes.dedup();
                    for len in sizes {
                        actions.push(Action::Write {
                            side: peer,
                            id,
                            len,
                        });
                    }
                }
                if b.menu.close_write && !app.fin {
                    actions.push(Action::CloseWrite(peer, id));
                }
                if b.menu.close_stream {
                    actions.push(Action::CloseStream(peer, id));
                }
                if b.menu.reset {
                    actions.push(Action::Reset(peer, id));
                }
            }
            let alive = side.session.termination().is_none();
            if budget && alive && b.menu.go_away && !side.went_away {
                actions.push(Action::GoAway(peer));
            }
            if budget && alive && b.menu.close && !side.closed {
                actions.push(Action::Close(peer));
            }
        }
        if s.ticks < b.time_steps
            && s.sides.iter().any(|side| {
                side.session.census().recently_reset > 0 || side.session.poll_timeout().is_some()
            })
        {
            actions.push(Action::Tick);
        }
    }

    fn next_state(&self, last: &State, action: Action) -> Option<State> {
        self.step(last, &action, &mut None)
    }

    fn format_action(&self, action: &Action) -> String {
        Step(action).to_string()
    }

    fn properties(&self) -> Vec<Property<Self>> {
        // A property checked when a step happens, recorded in `State::violation`.
        macro_rules! flagged {
            ($p:expr) => {
                Property::always($p, |_: &MuxadoModel, s: &State| s.ok($p))
            };
        }
        let b = &self.bounds;
        let backlog_can_fill = b.streams.iter().any(|&n| usize::from(n) > b.accept_backlog);
        let mut properties = vec![
            flagged!(P_BYTES),
            flagged!(P_EOF),
            Property::always(P_BUFFER, buffers_within_window),
            Property::always(P_CREDIT, credit_within_consumption),
            flagged!(P_IDS),
            Property::always(P_NO_ERROR, no_connection_error),
            flagged!(P_NO_ANSWER),
            flagged!(P_ACCEPT_ORDER),
            flagged!(P_SYN),
            flagged!(P_GOAWAY_LAST),
            Property::always(P_GOAWAY_REFUSES, goaway_refuses),
            Property::always(P_GOAWAY_FAILS, goaway_fails_unseen),
            flagged!(P_ENDED),
            flagged!(P_REFUSAL),
            Property::always(P_WAIT, waits_only_while_full),
            Property::always(P_HELD, held_streams_known),
            Property::always(P_AGREE, agree_at_quiescence),
            Property::always(P_DRAINED, drained_at_quiescence),
            flagged!(P_TABLE),
            // [FLOW-6] [SESSION-2] the session can always be drained: on every path, the
            // wire falls quiet with nothing left unread (stateright checks `eventually` on
            // terminal paths; the model has no cycles, every step consumes a bounded budget
            // or input).
            Property::eventually(P_QUIESCENT, |_: &MuxadoModel, s: &State| {
                s.violation.is_some() || s.quiescent()
            }),
            // Examples that show the bound reaches what it claims to.
            Property::sometimes("a stream is read to end-of-stream", |_, s: &State| {
                s.sides
                    .iter()
                    .any(|side| side.streams.values().any(|a| a.eof))
            }),
            Property::sometimes(
                "a writer is blocked by an empty window [FLOW-3]",
                |_, s: &State| {
                    s.sides.iter().any(|side| {
                        side.session
                            .stream_snapshots()
                            .any(|st| st.sending && st.send_window == 0)
                    })
                },
            ),
        ];
        if backlog_can_fill {
            properties.push(Property::sometimes(P_WAIT_REACHED, |_, s: &State| {
                s.sides.iter().any(|side| side.session.paused_for_backlog())
            }));
        }
        properties
    }
}
