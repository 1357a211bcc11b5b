//! What must hold of a session after every step, whatever its peer and application did: the
//! rules of sending ([`Sent`]) and the state of every stream ([`check_invariants`]).

use std::collections::{BTreeMap, BTreeSet};

use muxado_reference::frame::{ErrorCode, GOAWAY_FIXED_LEN, HEADER_LEN, MAX_INCREMENT, StreamId};
use muxado_reference::session::{Machine, Role, StreamSnapshot};

use crate::{DATA, GOAWAY, OwnedFrame, RST, WNDINC, decode_all};

pub(super) fn is_local(role: Role, id: StreamId) -> bool {
    id.is_client_initiated() == (role == Role::Client)
}

/// What one session has sent: checks every outbound frame against the sender's rules.
#[derive(Default)]
pub struct Sent {
    /// DATA bytes sent per stream, and the window granted: W plus every WNDINC received for
    /// it while known (SPEC [FLOW-3]).
    data: BTreeMap<StreamId, u64>,
    /// See `data`.
    pub granted: BTreeMap<StreamId, u64>,
    /// DATA bytes accepted into the receive buffer, and WNDINC credit sent (SPEC [FLOW-7]).
    pub delivered: BTreeMap<StreamId, u64>,
    credited: BTreeMap<StreamId, u64>,
    /// The DATA frame arriving now and how many of its body bytes arrived: the session
    /// delivers a body as it comes, so an application read in the middle of the frame may
    /// consume, and credit, bytes of a frame not yet counted in `delivered`.
    pub arriving: Option<(StreamId, u64)>,
    fin: BTreeSet<StreamId>,
    rst: BTreeSet<StreamId>,
    last_goaway: Option<StreamId>,
}

impl Sent {
    /// A peer stream id opened anew (ids are forgotten, SPEC [ID-8]): its history restarts.
    pub(super) fn restart(&mut self, id: StreamId) {
        self.data.remove(&id);
        self.granted.remove(&id);
        self.delivered.remove(&id);
        self.credited.remove(&id);
        self.fin.remove(&id);
        self.rst.remove(&id);
    }

    /// Checks frames the session sent, in order.
    pub fn check(&mut self, frames: &[OwnedFrame], window: u32) {
        for f in frames {
            let id = StreamId::new(f.stream_id);
            match f.frame_type {
                DATA => {
                    // [STREAM-11] [STREAM-12] no DATA after RST, none after FIN but a
                    // zero-length FIN.
                    assert!(!self.rst.contains(&id), "DATA after RST on {id}");
                    let fin = f.flags & 1 != 0;
                    assert!(
                        !self.fin.contains(&id) || (fin && f.bytes.is_empty()),
                        "DATA after FIN on {id}"
                    );
                    let sent = self.data.entry(id).or_default();
                    *sent += f.bytes.len() as u64;
                    let granted = *self.granted.entry(id).or_insert(u64::from(window));
                    assert!(
                        *sent <= granted,
                        "[FLOW-3] {sent} bytes sent on {id}, {granted} granted"
                    );
                    if fin {
                        self.fin.insert(id);
                    }
                }
                WNDINC => {
                    assert!(!self.rst.contains(&id), "WNDINC after RST on {id}");
                    let credited = self.credited.entry(id).or_default();
                    *credited += u64::from(f.value);
                    let arriving = match self.arriving {
                        Some((on, n)) if on == id => n,
                        _ => 0,
                    };
                    let delivered = self.delivered.get(&id).copied().unwrap_or(0) + arriving;
                    assert!(
                        *credited <= delivered,
                        "[FLOW-7] {credited} credited on {id}, {delivered} received"
                    );
                }
                RST => {
                    assert!(
                        !(0xB..=0xE).contains(&f.value),
                        "[ERR-2] local-only code sent"
                    );
                    self.rst.insert(id);
                }
                GOAWAY => {
                    assert!(
                        !(0xB..=0xE).contains(&f.value),
                        "[ERR-2] local-only code sent"
                    );
                    // [GOAWAY-6] a later GOAWAY never names a higher last stream id.
                    if let Some(last) = self.last_goaway {
                        assert!(id <= last, "[GOAWAY-6] last stream id grew");
                    }
                    self.last_goaway = Some(id);
                }
                other => panic!("[FRAME-12] sent a frame of type {other}"),
            }
        }
    }
}

/// Takes a session's output and decodes it: it must be whole, valid frames.
pub fn transmit(s: &mut Machine) -> (Vec<u8>, Vec<OwnedFrame>) {
    let mut out = Vec::new();
    s.poll_transmit(&mut out);
    let decoded = decode_all(&out);
    assert_eq!(decoded.violation, None, "the session sent an invalid frame");
    assert_eq!(decoded.trailing, 0, "the session sent part of a frame");
    (out, decoded.frames)
}

/// The streams an application holds (opened or accepted, not closed), kept in id order so
/// that [`check_invariants`] compares them with the session's streams by lookup: building
/// sets after every step would cost more than the step it checks.
#[derive(Clone, Debug, Default)]
pub struct Held(Vec<StreamId>);

impl Held {
    /// The application took `id` from `open` or `accept`.
    pub fn insert(&mut self, id: StreamId) {
        match self.0.binary_search(&id) {
            Ok(_) => panic!("stream {id} handed to the application twice"),
            Err(at) => self.0.insert(at, id),
        }
    }

    /// The application closed `id`.
    pub fn remove(&mut self, id: StreamId) {
        if let Ok(at) = self.0.binary_search(&id) {
            self.0.remove(at);
        }
    }

    /// Whether the application holds `id`.
    pub fn contains(&self, id: StreamId) -> bool {
        self.0.binary_search(&id).is_ok()
    }

    /// The held stream an input byte selects, if any is held.
    pub fn pick(&self, arg: u8) -> Option<StreamId> {
        (!self.0.is_empty()).then(|| self.0[usize::from(arg) % self.0.len()])
    }

    /// The held streams, in id order.
    pub fn ids(&self) -> &[StreamId] {
        &self.0
    }

    /// Lets go of every held stream, returning them.
    pub fn take(&mut self) -> Vec<StreamId> {
        std::mem::take(&mut self.0)
    }
}

/// Which streams [`check_invariants`] looks at.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    /// Every stream.
    All,
    /// Every stream, and the session's byte accounting over them (at the end of a run: it
    /// walks every stream again).
    Final,
    /// These streams (the ones a step touched) and the session-wide counts. Cheaper: the
    /// whole check after every step made long inputs quadratic in their streams.
    Streams(&'a [StreamId]),
}

/// How often a harness checks every stream when steps touch few of them: whenever the
/// session holds at most this many, else every `streams / FULL_CHECK_STREAMS` steps, so that
/// a step costs about as much as checking this many streams.
pub const FULL_CHECK_STREAMS: usize = 16;

/// Whether step number `step` of a session holding `streams` streams gets a whole check.
pub fn full_check_due(step: usize, streams: usize) -> bool {
    streams <= FULL_CHECK_STREAMS || step % (streams / FULL_CHECK_STREAMS + 1) == 0
}

/// Checks one stream's state.
fn check_stream(st: &StreamSnapshot, window: usize, ended: bool) {
    if st.sending {
        // [FLOW-8] an open send window never exceeds 2^31-1.
        assert!(
            st.send_window <= u64::from(MAX_INCREMENT),
            "send window above 2^31-1"
        );
    }
    // [FLOW-4] [LIMIT-1] at most W unread bytes per stream.
    assert!(
        st.buffered <= window,
        "{} unread bytes, W = {window}",
        st.buffered
    );
    // [FLOW-6] consumed bytes are credited no later than when the buffer empties.
    if st.receiving && !ended && st.buffered == 0 {
        assert_eq!(st.uncredited, 0, "[FLOW-6] consumed bytes left uncredited");
    }
    // [STREAM-9] [STREAM-10] a stream the application let go of is forgotten.
    assert!(!st.released, "released stream {} still held", st.id);
}

/// Checks what must hold of a session after every step. `held` are the streams its
/// application holds.
pub fn check_invariants(s: &Machine, held: &Held, scope: Scope<'_>) {
    let config = s.config();
    let window = config.max_window_size as usize;
    let census = s.census();
    let ended = s.termination().is_some();
    let queue_len = s.accept_queue_ids().len();
    // No stream leaked: each of the session's streams is held by the application or waits
    // to be accepted (the queue is at most the backlog long) ...
    let owned = |id: StreamId| {
        assert!(
            held.contains(id) || s.accept_queue_ids().any(|q| q == id),
            "session holds stream {id} the application does not"
        );
    };
    // ... no stream is both, and the counts match, so the application holds no stream the
    // session forgot.
    for id in s.accept_queue_ids() {
        assert!(!held.contains(id), "stream {id} both queued and held");
        assert!(s.knows_stream(id), "queued stream {id} unknown");
    }
    assert_eq!(
        census.streams,
        held.ids().len() + queue_len,
        "session and application disagree on streams"
    );
    match scope {
        Scope::All | Scope::Final => {
            let mut unread = 0;
            let mut remote = 0;
            for st in s.stream_snapshots() {
                check_stream(&st, window, ended);
                owned(st.id);
                unread += st.buffered;
                if !is_local(s.role(), st.id) {
                    remote += 1;
                }
            }
            assert_eq!(census.remote_streams, remote, "peer stream count drifted");
            if matches!(scope, Scope::Final) {
                assert_eq!(s.buffered_bytes(), census.buffered_input + unread);
            }
        }
        Scope::Streams(ids) => {
            for st in &s.snapshot_of(ids).streams {
                check_stream(st, window, ended);
                owned(st.id);
            }
            for id in ids {
                if held.contains(*id) {
                    assert!(s.knows_stream(*id), "held stream {id} forgotten");
                }
            }
        }
    }
    // [LIMIT-2] [LIMIT-3] bounded streams and backlog.
    assert!(
        queue_len <= config.accept_backlog,
        "[LIMIT-3] backlog overflow"
    );
    assert!(
        census.remote_streams <= config.max_streams,
        "[LIMIT-2] too many peer streams"
    );
    // [LIMIT-5] at most one kept frame part of input is held.
    let keep = window
        .max(GOAWAY_FIXED_LEN + config.max_goaway_debug)
        .max(HEADER_LEN);
    assert!(
        census.buffered_input <= keep,
        "{} input bytes held",
        census.buffered_input
    );
    assert!(census.recently_reset <= 4096);
    if let Some(t) = s.termination() {
        // [ERR-3] never INTERNAL_ERROR: the session builds only valid frames.
        assert_ne!(t.local, ErrorCode::INTERNAL_ERROR, "{}", t.message);
        assert!(!s.wants_input());
    }
}
