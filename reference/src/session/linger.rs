//! The reset linger (SPEC [STREAM-11]): the streams this side reset, remembered for
//! [`Config::reset_linger`](super::Config::reset_linger) so that the peer's late frames for
//! them are ignored instead of answered.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use crate::frame::StreamId;

/// At most this many reset streams are remembered; beyond it the oldest is forgotten early
/// (its late frames then draw RST `STREAM_CLOSED`, which SPEC [STREAM-8] allows).
const MAX_REMEMBERED: usize = 4096;

/// Reset streams and until when each is remembered, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct ResetLinger {
    /// Streams reset, and until when frames for them are ignored, in the order they were reset.
    queue: VecDeque<(StreamId, Duration)>,
    /// The ids in `queue`, with how many times each appears there: a flood of DATA for unknown
    /// streams looks each one up, and a scan of the queue made that quadratic.
    ids: HashMap<StreamId, u32>,
}

impl ResetLinger {
    /// Remembers that `id` was reset; its frames are ignored until `until`.
    pub(super) fn remember(&mut self, id: StreamId, until: Duration) {
        if self.queue.len() >= MAX_REMEMBERED {
            self.forget_oldest();
        }
        self.queue.push_back((id, until));
        *self.ids.entry(id).or_insert(0) += 1;
    }

    /// Whether frames for `id` are still ignored.
    pub(super) fn contains(&self, id: StreamId) -> bool {
        self.ids.contains_key(&id)
    }

    /// Forgets every stream whose linger ended at `now`.
    pub(super) fn expire(&mut self, now: Duration) {
        while self.queue.front().is_some_and(|(_, until)| *until <= now) {
            self.forget_oldest();
        }
    }

    /// The remembered streams, oldest first.
    #[cfg(any(test, feature = "test-hooks"))]
    pub(super) fn ids(&self) -> impl Iterator<Item = StreamId> + '_ {
        self.queue.iter().map(|(id, _)| *id)
    }

    /// How many resets are remembered.
    #[cfg(any(test, feature = "test-hooks"))]
    pub(super) fn len(&self) -> usize {
        self.queue.len()
    }

    fn forget_oldest(&mut self) {
        if let Some((id, _)) = self.queue.pop_front()
            && let Some(n) = self.ids.get_mut(&id)
        {
            *n -= 1;
            if *n == 0 {
                self.ids.remove(&id);
            }
        }
    }
}

/// Hashes the queue alone: `ids` is an index computed from it (and a `HashMap`, which has no
/// `Hash`). The model checker (`model/`) merges two sessions only when their hashes agree.
impl std::hash::Hash for ResetLinger {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.queue.hash(state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// checks: [STREAM-11]
    #[test]
    fn a_reset_is_remembered_until_its_linger_ends() {
        let mut linger = ResetLinger::default();
        let (a, b) = (StreamId::new(3), StreamId::new(5));
        linger.remember(a, 100 * MS);
        linger.remember(b, 200 * MS);
        linger.expire(99 * MS);
        assert!(linger.contains(a) && linger.contains(b));
        linger.expire(100 * MS);
        assert!(!linger.contains(a) && linger.contains(b));
        linger.expire(200 * MS);
        assert_eq!(linger.len(), 0);
    }

    /// checks: [STREAM-8] [STREAM-11]
    #[test]
    fn the_oldest_is_forgotten_beyond_the_cap_and_repeats_are_counted() {
        let mut linger = ResetLinger::default();
        let first = StreamId::new(3);
        linger.remember(first, 10 * MS);
        linger.remember(first, 20 * MS);
        for i in 0..MAX_REMEMBERED as u32 - 1 {
            linger.remember(StreamId::new(5 + 2 * i), 30 * MS);
        }
        // The first entry for stream 3 was dropped to make room; the second keeps it.
        assert_eq!(linger.len(), MAX_REMEMBERED);
        assert!(linger.contains(first));
        linger.remember(StreamId::new(1), 30 * MS);
        assert!(!linger.contains(first));
        assert_eq!(linger.ids().next(), Some(StreamId::new(5)));
    }
}
