//! A read-only view of the session's internal state, for fuzzers and tests that check
//! invariants (windows, buffers, stream bookkeeping) after every step (feature `test-hooks`).
//! Not a stable API: its shape follows the implementation and may change with it. The
//! machine's `Hash`, for the model checker, is here too, and always built.

use super::Machine;
#[cfg(any(test, feature = "test-hooks"))]
use super::{Error, Stream};
#[cfg(any(test, feature = "test-hooks"))]
use crate::frame::StreamId;

#[cfg(any(test, feature = "test-hooks"))]
/// The session's state, copied. See [`Machine::snapshot`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Every stream the session holds, by increasing id.
    pub streams: Vec<StreamSnapshot>,
    /// Streams accepted and not yet taken by [`Machine::accept`], in order.
    pub accept_queue: Vec<StreamId>,
    /// How many held streams the peer opened (what `Config::max_streams` bounds).
    pub remote_streams: usize,
    /// The last stream id our GOAWAY would name (SPEC [GOAWAY-5]).
    pub last_accepted_remote: StreamId,
    /// Whether we sent GOAWAY.
    pub local_gone_away: bool,
    /// Streams we reset whose late frames are still ignored (SPEC [STREAM-11]), oldest first.
    pub recently_reset: Vec<StreamId>,
    /// Transport bytes held while waiting for the rest of a frame.
    pub buffered_input: usize,
    /// Bytes of encoded frames waiting for the transport.
    pub output_len: usize,
}

#[cfg(any(test, feature = "test-hooks"))]
/// One stream's state, copied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamSnapshot {
    /// The stream id.
    pub id: StreamId,
    /// The send window (SPEC [FLOW-3]).
    pub send_window: u64,
    /// Whether the stream's SYN was sent (or, for a peer's stream, received).
    pub syn_sent: bool,
    /// Whether we sent FIN.
    pub send_fin: bool,
    /// Unread received bytes (SPEC [FLOW-4]).
    pub buffered: usize,
    /// Bytes read and not yet credited by WNDINC (SPEC [FLOW-6]).
    pub uncredited: u32,
    /// Whether the peer sent FIN.
    pub recv_fin: bool,
    /// The error that ended the stream, if any.
    pub error: Option<Error>,
    /// Whether the application let go of the stream.
    pub released: bool,
    /// The receive half still accepts DATA.
    pub receiving: bool,
    /// The send half may still send DATA.
    pub sending: bool,
    /// The protocol is done with the stream (SPEC [STREAM-10]).
    pub finished: bool,
}

#[cfg(any(test, feature = "test-hooks"))]
impl StreamSnapshot {
    fn of(id: StreamId, s: &Stream) -> StreamSnapshot {
        StreamSnapshot {
            id,
            send_window: s.send.window,
            syn_sent: s.send.syn_sent,
            send_fin: s.send.fin,
            buffered: s.recv.buffer.len(),
            uncredited: s.recv.uncredited,
            recv_fin: s.recv.fin,
            error: s.error.clone(),
            released: s.released,
            receiving: s.receiving(),
            sending: s.sending(),
            finished: s.finished(),
        }
    }
}

#[cfg(any(test, feature = "test-hooks"))]
impl Machine {
    /// Test hook: a copy of the session's internal state, for checking invariants.
    pub fn snapshot(&self) -> Snapshot {
        let recently_reset = self.recently_reset.ids().collect();
        self.copy_state(self.stream_snapshots().collect(), recently_reset)
    }

    /// Test hook: a [`Snapshot`] whose `streams` and `recently_reset` hold only the streams
    /// in `ids`, for a check that concerns those streams alone. A whole snapshot per frame
    /// made the fuzzers quadratic in the number of streams.
    pub fn snapshot_of(&self, ids: &[StreamId]) -> Snapshot {
        let mut streams: Vec<StreamSnapshot> = ids
            .iter()
            .filter_map(|id| self.streams.get_key_value(id))
            .map(|(id, s)| StreamSnapshot::of(*id, s))
            .collect();
        streams.sort_by_key(|s| s.id);
        streams.dedup_by_key(|s| s.id);
        // Looked up in the id index, not by walking the up to 4,096 remembered resets.
        let recently_reset = ids
            .iter()
            .copied()
            .filter(|id| self.recently_reset(*id))
            .collect();
        self.copy_state(streams, recently_reset)
    }

    fn copy_state(&self, streams: Vec<StreamSnapshot>, recently_reset: Vec<StreamId>) -> Snapshot {
        Snapshot {
            streams,
            accept_queue: self.accept_queue.iter().copied().collect(),
            remote_streams: self.remote_streams,
            last_accepted_remote: self.last_accepted_remote,
            local_gone_away: self.local_gone_away,
            recently_reset,
            buffered_input: self.input.len(),
            output_len: self.output.len(),
        }
    }

    /// Test hook: each stream's state in id order, as [`Snapshot::streams`] would hold it,
    /// without copying the rest.
    pub fn stream_snapshots(&self) -> impl ExactSizeIterator<Item = StreamSnapshot> + '_ {
        self.streams
            .iter()
            .map(|(id, s)| StreamSnapshot::of(*id, s))
    }

    /// Test hook: the counts of a [`Snapshot`], without copying any list.
    pub fn census(&self) -> Census {
        Census {
            streams: self.streams.len(),
            remote_streams: self.remote_streams,
            recently_reset: self.recently_reset.len(),
            buffered_input: self.input.len(),
        }
    }

    /// Test hook: the streams waiting for [`Machine::accept`], in order.
    pub fn accept_queue_ids(&self) -> impl ExactSizeIterator<Item = StreamId> + '_ {
        self.accept_queue.iter().copied()
    }
}

#[cfg(any(test, feature = "test-hooks"))]
/// How many of each thing the session holds. See [`Machine::census`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Census {
    /// Streams held ([`Snapshot::streams`]).
    pub streams: usize,
    /// Held streams the peer opened ([`Snapshot::remote_streams`]).
    pub remote_streams: usize,
    /// Remembered resets ([`Snapshot::recently_reset`]).
    pub recently_reset: usize,
    /// Transport bytes held ([`Snapshot::buffered_input`]).
    pub buffered_input: usize,
}

#[cfg(any(test, feature = "test-hooks"))]
impl Machine {
    /// Whether the session holds state for stream `id` (what [`Snapshot::stream`] would find,
    /// without building a snapshot).
    pub fn knows_stream(&self, id: StreamId) -> bool {
        self.streams.contains_key(&id)
    }
}

#[cfg(any(test, feature = "test-hooks"))]
impl Snapshot {
    /// The stream with this id, if the session holds it.
    pub fn stream(&self, id: StreamId) -> Option<&StreamSnapshot> {
        // `streams` is in id order (it comes from a BTreeMap): a binary search, since the
        // fuzzers look streams up after every step.
        self.streams
            .binary_search_by_key(&id, |s| s.id)
            .ok()
            .map(|i| &self.streams[i])
    }
}

/// Hashes every field that decides the session's future behaviour, so that the model checker
/// (`model/`) merges two sessions only when they are equal. The destructuring is exhaustive: a
/// new field fails to compile until it is hashed or said to be derived here.
impl std::hash::Hash for Machine {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let Machine {
            role,
            config,
            streams,
            next_local_id,
            last_accepted_remote,
            remote_streams,
            accept_queue,
            refusing_syns,
            local_gone_away,
            remote_gone_away,
            recently_reset,
            now,
            input,
            last_input,
            reading,
            output,
            reaction_bytes,
            ended,
            events_streams,
            event_accept,
            event_session,
        } = self;
        role.hash(state);
        config.hash(state);
        streams.hash(state);
        next_local_id.hash(state);
        last_accepted_remote.hash(state);
        remote_streams.hash(state);
        accept_queue.hash(state);
        refusing_syns.hash(state);
        local_gone_away.hash(state);
        remote_gone_away.hash(state);
        recently_reset.hash(state);
        now.hash(state);
        input.hash(state);
        last_input.hash(state);
        reading.hash(state);
        output.hash(state);
        reaction_bytes.hash(state);
        ended.hash(state);
        events_streams.hash(state);
        event_accept.hash(state);
        event_session.hash(state);
    }
}
