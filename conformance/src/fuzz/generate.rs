//! The generator: from a seed, a script whose inputs are chosen by looking at the reference
//! session as the script plays on it, weighted so that scripts reach the states where
//! implementations differ: flow-control windows spent, half-closed streams, resets in the
//! middle of a transfer, GOAWAY with streams in flight, full accept backlogs, frames cut at
//! any byte, hostile frames and end-of-file inside a frame.

use muxado_reference::frame::StreamId;
use muxado_testkit::splitmix::SplitMix64;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::script::{Deriver, Input, PeerFrame, Setup, StreamRef};

/// Bounds on what one script may contain.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Inputs per script, at most.
    pub inputs: usize,
    /// Bytes in one DATA frame or one write, at most.
    pub payload: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            inputs: 24,
            payload: 64,
        }
    }
}

/// The seed of run `index` of a fuzz run started with `seed` (splitmix64's mix, so that
/// neighbouring runs are unrelated).
pub fn run_seed(seed: u64, index: u64) -> u64 {
    SplitMix64::new(seed.wrapping_add(index.wrapping_mul(SplitMix64::GAMMA))).next_u64()
}

/// A script from a seed: its setup and inputs (every one of them applies), with no input of
/// an action in `avoid` (calls the implementation said it cannot make).
pub fn generate(
    seed: u64,
    limits: Limits,
    avoid: &std::collections::BTreeSet<String>,
) -> (Setup, Vec<Input>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let setup = Setup {
        client: rng.random_bool(0.5),
        // Small windows make flow control bite within a few frames; sometimes the default.
        window: *[16u32, 32, 64, 256, 262_144]
            .get(rng.random_range(0..5))
            .expect("in range"),
        backlog: rng.random_range(1..=4),
    };
    let mut deriver = Deriver::new(setup);
    let mut inputs = Vec::new();
    let count = rng.random_range(limits.inputs / 3..=limits.inputs).max(1);
    let mut tries = 0;
    while inputs.len() < count && tries < count * 4 {
        tries += 1;
        let input = choose(&mut rng, &deriver, limits);
        if avoid.contains(input.action()) {
            continue;
        }
        if deriver.apply(&input) {
            let ends = matches!(input, Input::Eof | Input::Close);
            inputs.push(input);
            if ends && rng.random_bool(0.5) {
                break;
            }
        }
    }
    (setup, inputs)
}

/// One input, chosen from the reference session's state.
fn choose(rng: &mut ChaCha8Rng, d: &Deriver, limits: Limits) -> Input {
    let session = d.reference();
    let own = d.own();
    let peer_open: Vec<u32> = d.peer_opened().iter().copied().collect();
    // Streams either side opened that the reference still knows.
    let live: Vec<u32> = own
        .iter()
        .chain(&peer_open)
        .copied()
        .filter(|id| session.knows_stream(StreamId::new(*id)))
        .collect();
    let any_stream = |rng: &mut ChaCha8Rng| -> StreamRef {
        let all: Vec<u32> = own.iter().chain(&peer_open).copied().collect();
        match (rng.random_range(0..10), live.is_empty(), all.is_empty()) {
            (0..=6, false, _) => StreamRef::Id(live[rng.random_range(0..live.len())]),
            (7..=8, _, false) => StreamRef::Id(all[rng.random_range(0..all.len())]),
            _ => StreamRef::Peer(rng.random_range(0..4)),
        }
    };
    let len = |rng: &mut ChaCha8Rng| -> usize {
        match rng.random_range(0..10) {
            0 => 0,
            1..=6 => rng.random_range(1..=8),
            _ => rng.random_range(1..=limits.payload),
        }
    };
    let new_peer = d.peer_opened().len();
    match rng.random_range(0..100) {
        // The suite opens a stream, often several at once (a burst against the backlog).
        0..=13 => {
            let n = if rng.random_bool(0.3) {
                rng.random_range(2..=d.setup().backlog + 2)
            } else {
                1
            };
            let frames = (0..n)
                .map(|k| PeerFrame::Data {
                    stream: StreamRef::Peer(new_peer + k),
                    syn: true,
                    fin: rng.random_bool(0.15),
                    len: len(rng),
                })
                .collect();
            send(rng, frames)
        }
        // DATA on a stream, mostly within the window, sometimes past it.
        14..=29 => {
            let stream = any_stream(rng);
            let mut frames = Vec::new();
            for _ in 0..rng.random_range(1..=3) {
                let id = match stream {
                    StreamRef::Id(id) => id,
                    _ => 0,
                };
                let room = d.peer_window(id) as usize;
                let n = if rng.random_bool(0.9) {
                    len(rng).min(room)
                } else {
                    room + rng.random_range(1..=4)
                };
                frames.push(PeerFrame::Data {
                    stream,
                    syn: false,
                    fin: rng.random_bool(0.15),
                    len: n,
                });
            }
            send(rng, frames)
        }
        // Credit for what the implementation writes.
        30..=38 => {
            let stream = match own.is_empty() {
                false if rng.random_bool(0.8) => StreamRef::Own(rng.random_range(0..own.len())),
                _ => any_stream(rng),
            };
            let increment = match rng.random_range(0..20) {
                0 => 0x7fff_ffff,
                1 => 0,
                _ => rng.random_range(1..=64),
            };
            send(rng, vec![PeerFrame::WndInc { stream, increment }])
        }
        39..=43 => {
            let code = *[0u32, 1, 4, 6, 7, 0xdead]
                .get(rng.random_range(0..6))
                .expect("in range");
            let stream = any_stream(rng);
            send(rng, vec![PeerFrame::Rst { stream, code }])
        }
        44..=45 => {
            let code = if rng.random_bool(0.7) { 0 } else { 1 };
            let debug = rng.random_range(0..=8);
            send(rng, vec![PeerFrame::GoAway { code, debug }])
        }
        // Frames of unknown types, and frames that break a rule.
        46..=49 => {
            let type_code = match rng.random_range(0..6) {
                0..=2 => rng.random_range(4..=15),
                other => other as u8 - 3,
            };
            let body_len = match type_code {
                0 | 2 => *[4usize, 4, 4, 0, 3, 5]
                    .get(rng.random_range(0..6))
                    .expect("in range"),
                3 => rng.random_range(6..=12),
                _ => rng.random_range(0..=8),
            };
            let body = (0..body_len).map(|_| rng.random()).collect();
            let stream = if rng.random_bool(0.2) {
                StreamRef::Id(0)
            } else {
                any_stream(rng)
            };
            let flags = if rng.random_bool(0.2) {
                rng.random_range(0..16)
            } else {
                0
            };
            let frame = PeerFrame::Raw {
                type_code,
                flags,
                stream,
                reserved: rng.random_bool(0.2),
                body,
            };
            send(rng, vec![frame])
        }
        50 => {
            // End-of-file, sometimes inside a frame.
            if rng.random_bool(0.5) {
                let frames = vec![PeerFrame::Data {
                    stream: any_stream(rng),
                    syn: false,
                    fin: false,
                    len: rng.random_range(1..=8),
                }];
                let keep = Some(rng.random_range(1..=12));
                Input::Send {
                    frames,
                    cut: None,
                    keep,
                }
            } else {
                Input::Eof
            }
        }
        51..=56 => Input::Open,
        57..=66 => Input::Accept,
        67..=77 => {
            let held = d.held_streams();
            if held.is_empty() {
                return Input::Open;
            }
            let id = held[rng.random_range(0..held.len())];
            let stream = refer(d, id);
            // Writes stay within the window: a write that must wait is not a call every
            // agent can answer ([AGENT-3]).
            let room = session.send_window(StreamId::new(id)) as usize;
            if room == 0 {
                return Input::Read(stream, rng.random_range(1..=limits.payload));
            }
            Input::Write(stream, rng.random_range(1..=limits.payload).min(room))
        }
        78..=97 => {
            let held = d.held_streams();
            if held.is_empty() {
                return Input::Accept;
            }
            let stream = refer(d, held[rng.random_range(0..held.len())]);
            match rng.random_range(0..20) {
                0..=12 => Input::Read(stream, rng.random_range(1..=limits.payload)),
                13..=15 => Input::CloseWrite(stream),
                16..=17 => Input::CloseStream(stream),
                _ => Input::Reset(stream, if rng.random_bool(0.5) { 6 } else { 0x77 }),
            }
        }
        98 => Input::GoAway(0, rng.random_range(0..=4)),
        _ => Input::Close,
    }
}

/// A `Send` of frames, cut in two writes now and then.
fn send(rng: &mut ChaCha8Rng, frames: Vec<PeerFrame>) -> Input {
    let cut = rng.random_bool(0.3).then(|| rng.random_range(1..=16));
    Input::Send {
        frames,
        cut,
        keep: None,
    }
}

/// How a script names a stream: the implementation's own by their rank (their ids move when
/// the shrinker removes an `open`), the suite's by id.
fn refer(d: &Deriver, id: u32) -> StreamRef {
    match d.own().iter().position(|own| *own == id) {
        Some(k) => StreamRef::Own(k),
        None => StreamRef::Id(id),
    }
}
