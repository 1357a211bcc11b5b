//! The heartbeat requester (SPEC section 10.2) as a sans-IO state machine: time is an
//! argument, beats come out as bytes to write on the heartbeat stream, echoes go in as bytes
//! read from it. The tokio driver's [`crate::driver::Heartbeat`] runs it over a stream; a
//! harness that drives a [`super::Machine`] by hand (the conformance agent) runs it too.

use std::time::Duration;

use super::{Machine, Read};
use crate::frame::StreamId;

/// The values beats carry: random below 2^31, like Go's `Int31` (SPEC [HEARTBEAT-1]), from
/// an xorshift64* generator, which needs no dependency and is plenty for a nonce.
#[derive(Clone, Debug)]
pub struct BeatValues(u64);

impl BeatValues {
    /// A generator seeded with `seed` (any value).
    pub fn new(seed: u64) -> BeatValues {
        BeatValues((seed ^ 0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next value, below 2^31.
    pub fn next_value(&mut self) -> u32 {
        let s = &mut self.0;
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        ((s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as u32) & 0x7FFF_FFFF
    }
}

/// What the requester made of the bytes read from its stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Echo {
    /// The echo of the beat in flight came back after this round-trip time.
    Rtt(Duration),
    /// An echo differs from the beat it answers: the requester has stopped (SPEC
    /// [HEARTBEAT-4]); its stream should be closed.
    Wrong,
}

/// The requester side of the heartbeat: one beat in flight at a time, the next one due an
/// interval after the previous one was due (Go's ticker).
#[derive(Clone, Debug)]
pub struct Requester {
    interval: Duration,
    next_due: Duration,
    in_flight: Option<(u32, Duration)>,
    /// The bytes of an echo read so far, and how many.
    echo: ([u8; 4], usize),
    stopped: bool,
    values: BeatValues,
}

impl Requester {
    /// A requester started at `now`: its first beat is due one interval later.
    pub fn new(interval: Duration, now: Duration, values: BeatValues) -> Requester {
        Requester {
            interval,
            next_due: now + interval,
            in_flight: None,
            echo: ([0; 4], 0),
            stopped: false,
            values,
        }
    }

    /// The 4 bytes to write now, if a beat is due and none is in flight (SPEC [HEARTBEAT-1]).
    pub fn poll_beat(&mut self, now: Duration) -> Option<[u8; 4]> {
        if self.stopped || self.in_flight.is_some() || now < self.next_due {
            return None;
        }
        // A late beat does not make the next one early (Go's ticker drops missed ticks).
        while self.next_due <= now {
            self.next_due += self.interval.max(Duration::from_millis(1));
        }
        self.beat_now(now)
    }

    /// The 4 bytes of a beat sent now, outside the schedule, if none is in flight (ngrok
    /// v2's on-demand `Beat`, SPEC [HEARTBEAT-5]); the schedule stays as it was.
    pub fn beat_now(&mut self, now: Duration) -> Option<[u8; 4]> {
        if self.stopped || self.in_flight.is_some() {
            return None;
        }
        let value = self.values.next_value();
        self.in_flight = Some((value, now));
        Some(value.to_be_bytes())
    }

    /// When the next scheduled beat is due.
    pub fn next_due(&self) -> Duration {
        self.next_due
    }

    /// Bytes read from the heartbeat stream at `now`: each complete 4-byte echo is judged
    /// against the beat in flight; the first wrong one stops the requester for good (SPEC
    /// [HEARTBEAT-4]), and so does an echo with no beat in flight.
    pub fn on_read(&mut self, bytes: &[u8], now: Duration) -> Vec<Echo> {
        let mut seen = Vec::new();
        for &b in bytes {
            if self.stopped {
                break;
            }
            let (bytes, len) = &mut self.echo;
            bytes[*len] = b;
            *len += 1;
            if *len < bytes.len() {
                continue;
            }
            *len = 0;
            let echo = u32::from_be_bytes(*bytes);
            match self.in_flight.take() {
                Some((value, sent)) if value == echo => {
                    seen.push(Echo::Rtt(now.saturating_sub(sent)))
                }
                _ => {
                    self.stopped = true;
                    seen.push(Echo::Wrong);
                }
            }
        }
        seen
    }

    /// The time between beats.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Whether a wrong echo stopped the requester.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }
}

/// The responder side of the heartbeat over the sans-IO [`Machine`]: every stream of the
/// heartbeat type it is given is echoed, 4 bytes at a time, in order, unchanged, and never
/// reaches the application (SPEC [HEARTBEAT-2]).
#[derive(Clone, Debug, Default)]
pub struct Responder {
    /// Each heartbeat stream, with the bytes of an echo not yet complete.
    streams: Vec<(StreamId, Vec<u8>)>,
}

impl Responder {
    /// A responder with no stream.
    pub fn new() -> Responder {
        Responder::default()
    }

    /// Takes a heartbeat stream whose type was read.
    pub fn add(&mut self, id: StreamId) {
        self.streams.push((id, Vec::with_capacity(4)));
    }

    /// Reads every heartbeat stream and echoes each complete 4 bytes; a stream that ended is
    /// closed and dropped.
    pub fn poll(&mut self, session: &mut Machine) {
        self.streams.retain_mut(|(id, partial)| {
            loop {
                let mut buf = [0u8; 4];
                let want = 4 - partial.len();
                match session.read(*id, &mut buf[..want]) {
                    Ok(Read::Data(n)) if n > 0 => {
                        partial.extend_from_slice(&buf[..n]);
                        if partial.len() == 4 {
                            // A whole echo or nothing: the window or the write queue may be
                            // full, and then the bytes wait for the next poll.
                            match session.write_whole(*id, partial) {
                                Ok(true) => partial.clear(),
                                Ok(false) => return true,
                                Err(_) => break,
                            }
                        }
                    }
                    Ok(Read::Data(_)) | Ok(Read::Blocked) => return true,
                    Ok(Read::Eof) | Err(_) => break,
                }
            }
            session.close_stream(*id);
            false
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// checks: [HEARTBEAT-1]
    #[test]
    fn beats_once_per_interval_and_measures_the_echo() {
        let mut r = Requester::new(100 * MS, Duration::ZERO, BeatValues::new(7));
        assert_eq!(r.poll_beat(99 * MS), None);
        let beat = r.poll_beat(100 * MS).expect("due");
        assert!(u32::from_be_bytes(beat) < 1 << 31);
        assert_eq!(r.poll_beat(250 * MS), None, "one beat in flight at a time");
        assert_eq!(r.on_read(&beat[..1], 110 * MS), vec![]);
        assert_eq!(r.on_read(&beat[1..], 130 * MS), vec![Echo::Rtt(30 * MS)]);
        // The beat due at 200 ms is late: it goes now, and the next is due at 300 ms.
        assert!(r.poll_beat(250 * MS).is_some());
    }

    /// checks: [HEARTBEAT-5]
    #[test]
    fn a_beat_on_demand_leaves_the_schedule_alone() {
        let mut r = Requester::new(100 * MS, Duration::ZERO, BeatValues::new(3));
        let beat = r.beat_now(30 * MS).expect("nothing in flight");
        assert_eq!(r.beat_now(40 * MS), None, "one beat in flight at a time");
        assert_eq!(r.on_read(&beat, 45 * MS), vec![Echo::Rtt(15 * MS)]);
        assert_eq!(r.next_due(), 100 * MS);
        assert!(r.poll_beat(100 * MS).is_some());
        assert_eq!(r.next_due(), 200 * MS);
    }

    /// checks: [HEARTBEAT-4]
    #[test]
    fn a_wrong_echo_stops_the_requester() {
        let mut r = Requester::new(100 * MS, Duration::ZERO, BeatValues::new(7));
        let beat = r.poll_beat(100 * MS).expect("due");
        let wrong = (u32::from_be_bytes(beat) ^ 1).to_be_bytes();
        assert_eq!(r.on_read(&wrong, 120 * MS), vec![Echo::Wrong]);
        assert!(r.is_stopped());
        assert_eq!(r.poll_beat(1000 * MS), None);
        assert_eq!(r.on_read(&beat, 1000 * MS), vec![]);
    }

    /// checks: [HEARTBEAT-4]
    #[test]
    fn an_echo_without_a_beat_in_flight_is_wrong() {
        let mut r = Requester::new(100 * MS, Duration::ZERO, BeatValues::new(1));
        assert_eq!(r.on_read(&[0, 0, 0, 1], 10 * MS), vec![Echo::Wrong]);
        assert_eq!(r.poll_beat(100 * MS), None);
    }
}
