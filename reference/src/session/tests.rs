//! Two sessions wired to each other in memory, driven by generated commands and delivery
//! chunking: every byte written on one side is read, in order, on the other, and no receiver
//! ever buffers more than its window.

use std::collections::BTreeMap;
use std::time::Duration;

use quickcheck::{Arbitrary, Gen, QuickCheck};

use crate::frame::HEADER_LEN;

use super::*;

/// Client and server, with the bytes in flight between them.
struct Pair {
    sides: [Machine; 2],
    in_flight: [Vec<u8>; 2],
}

impl Pair {
    fn new(config: Config) -> Pair {
        Pair {
            sides: [
                Machine::new(Role::Client, config.clone()),
                Machine::new(Role::Server, config),
            ],
            in_flight: [Vec::new(), Vec::new()],
        }
    }

    /// Moves up to `chunk` bytes from side `from` to the other side.
    fn deliver(&mut self, from: usize, chunk: usize) {
        let mut out = Vec::new();
        self.sides[from].poll_transmit(&mut out);
        self.in_flight[from].extend_from_slice(&out);
        let n = chunk.min(self.in_flight[from].len());
        let bytes: Vec<u8> = self.in_flight[from].drain(..n).collect();
        self.sides[1 - from].handle_input(&bytes, Duration::ZERO);
    }

    fn quiet(&self) -> bool {
        self.sides.iter().all(|s| !s.has_output()) && self.in_flight.iter().all(Vec::is_empty)
    }
}

#[derive(Clone, Debug)]
enum Op {
    Open(usize),
    Write { side: usize, stream: u8, len: u16 },
    Read { side: usize, stream: u8, max: u16 },
    CloseWrite { side: usize, stream: u8 },
    Deliver { from: usize, chunk: u16 },
}

impl Arbitrary for Op {
    fn arbitrary(g: &mut Gen) -> Op {
        let side = usize::from(bool::arbitrary(g));
        let stream = u8::arbitrary(g) % 4;
        match u8::arbitrary(g) % 10 {
            0 => Op::Open(side),
            1..=3 => Op::Write {
                side,
                stream,
                len: u16::arbitrary(g) % 3000,
            },
            4..=5 => Op::Read {
                side,
                stream,
                max: 1 + u16::arbitrary(g) % 2000,
            },
            6 => Op::CloseWrite { side, stream },
            _ => Op::Deliver {
                from: side,
                chunk: 1 + u16::arbitrary(g) % 700,
            },
        }
    }
}

/// What one direction of one stream carried: bytes written, bytes read, FIN sent.
#[derive(Default)]
struct Flow {
    written: Vec<u8>,
    read: Vec<u8>,
    fin: bool,
    eof_seen: bool,
}

/// checks: [FLOW-3] [FLOW-4] [FLOW-6] [STREAM-1] [STREAM-4] [STREAM-6] [FRAME-1] [LIMIT-1]
#[test]
fn every_byte_arrives_in_order_within_the_window() {
    fn prop(ops: Vec<Op>) -> bool {
        let config = Config::default()
            .with_max_window_size(4096)
            .with_max_frame_size(1000);
        let window = config.max_window_size as usize;
        let mut pair = Pair::new(config);
        // streams[side] lists the ids side `side` knows, in the order it opened/accepted them.
        let mut streams: [Vec<StreamId>; 2] = [Vec::new(), Vec::new()];
        let mut flows: BTreeMap<(usize, StreamId), Flow> = BTreeMap::new();
        let mut counter = 0u8;
        let mut step = |pair: &mut Pair, streams: &mut [Vec<StreamId>; 2], op: &Op| match *op {
            Op::Open(side) => {
                if let Ok(id) = pair.sides[side].open() {
                    streams[side].push(id);
                }
            }
            Op::Write { side, stream, len } => {
                let Some(&id) = streams[side].get(stream as usize) else {
                    return;
                };
                let flow = flows.entry((side, id)).or_default();
                if flow.fin {
                    return;
                }
                let data: Vec<u8> = (0..len)
                    .map(|_| {
                        counter = counter.wrapping_add(1);
                        counter
                    })
                    .collect();
                let n = pair.sides[side]
                    .write(id, &data)
                    .expect("open stream accepts writes");
                flow.written.extend_from_slice(&data[..n]);
            }
            Op::Read { side, stream, max } => {
                let Some(&id) = streams[side].get(stream as usize) else {
                    return;
                };
                let mut buf = vec![0; max as usize];
                match pair.sides[side]
                    .read(id, &mut buf)
                    .expect("no stream fails")
                {
                    Read::Data(n) => flows
                        .entry((1 - side, id))
                        .or_default()
                        .read
                        .extend_from_slice(&buf[..n]),
                    Read::Eof => flows.entry((1 - side, id)).or_default().eof_seen = true,
                    Read::Blocked => {}
                }
            }
            Op::CloseWrite { side, stream } => {
                let Some(&id) = streams[side].get(stream as usize) else {
                    return;
                };
                let flow = flows.entry((side, id)).or_default();
                if !flow.fin {
                    pair.sides[side]
                        .close_write(id)
                        .expect("open stream half-closes");
                    flow.fin = true;
                }
            }
            Op::Deliver { from, chunk } => {
                pair.deliver(from, chunk as usize);
                while let Some(id) = pair.sides[1 - from].accept() {
                    streams[1 - from].push(id);
                }
            }
        };
        for op in &ops {
            step(&mut pair, &mut streams, op);
            // [FLOW-4] [LIMIT-1] no stream ever holds more than a window of unread bytes.
            for side in &pair.sides {
                if side.streams.values().any(|s| s.recv.buffer.len() > window)
                    || side.termination().is_some()
                {
                    return false;
                }
            }
        }
        // Drain: deliver and read everything until nothing moves.
        let mut quiet_rounds = 0;
        for _ in 0..10_000 {
            for side in 0..2 {
                step(
                    &mut pair,
                    &mut streams,
                    &Op::Deliver {
                        from: side,
                        chunk: u16::MAX,
                    },
                );
                // Read every stream dry: data, then the FIN behind it.
                for stream in 0..streams[side].len() {
                    for _ in 0..64 {
                        step(
                            &mut pair,
                            &mut streams,
                            &Op::Read {
                                side,
                                stream: stream as u8,
                                max: 4096,
                            },
                        );
                    }
                }
            }
            // Quiet twice in a row: nothing in flight, and a whole read pass found nothing new.
            quiet_rounds = if pair.quiet() { quiet_rounds + 1 } else { 0 };
            if quiet_rounds == 2 {
                break;
            }
        }
        // Every byte written was read, in order; every FIN was seen after its bytes.
        flows.values().all(|f| {
            f.read == f.written
                && (!f.fin || f.eof_seen || f.written.is_empty() && f.read.is_empty())
        })
    }
    QuickCheck::new()
        .tests(300)
        .quickcheck(prop as fn(Vec<Op>) -> bool);
}

/// The same inputs give the same outputs: a session is a pure function of what it is fed.
/// checks: [SESSION-4]
#[test]
fn sessions_are_deterministic() {
    fn run() -> Vec<u8> {
        let mut pair = Pair::new(Config::default());
        let id = pair.sides[0].open().unwrap();
        pair.sides[0].write(id, &[1; 70_000]).unwrap();
        pair.sides[0].close_write(id).unwrap();
        pair.deliver(0, usize::MAX);
        let accepted = pair.sides[1].accept().unwrap();
        let mut buf = [0; 50_000];
        pair.sides[1].read(accepted, &mut buf).unwrap();
        pair.sides[1]
            .go_away(ErrorCode::ENHANCE_YOUR_CALM, b"slow down")
            .unwrap();
        let mut wire = Vec::new();
        pair.sides[1].poll_transmit(&mut wire);
        wire
    }
    assert_eq!(run(), run());
}

/// Regression (fuzz target `session`): an empty read of a stream that holds unread bytes and
/// whose FIN arrived reads nothing; end-of-stream comes only after every byte was read.
/// checks: [STREAM-6]
#[test]
fn empty_read_with_unread_bytes_after_fin_is_not_eof() {
    let mut pair = Pair::new(Config::default());
    let id = pair.sides[0].open().unwrap();
    pair.sides[0].write(id, b"req").unwrap();
    pair.sides[0].close_write(id).unwrap();
    pair.deliver(0, usize::MAX);
    let accepted = pair.sides[1].accept().unwrap();
    assert_eq!(pair.sides[1].read(accepted, &mut []), Ok(Read::Data(0)));
    let mut buf = [0; 8];
    assert_eq!(pair.sides[1].read(accepted, &mut buf), Ok(Read::Data(3)));
    assert_eq!(&buf[..3], b"req");
    assert_eq!(pair.sides[1].read(accepted, &mut buf), Ok(Read::Eof));
}

/// A DATA body is readable as it arrives, without waiting for the frame's last byte and
/// without passing through the session's input buffer; the frame's FIN takes effect only
/// after that last byte.
/// checks: [STREAM-6]
#[test]
fn data_body_is_delivered_as_it_arrives() {
    let mut server = Machine::new(Role::Server, Config::default());
    let body: Vec<u8> = (0..=255).cycle().take(40_000).collect();
    let mut wire = Vec::new();
    Frame::Data(Data {
        stream_id: StreamId::new(1),
        fin: true,
        syn: true,
        payload: &body,
    })
    .encode(&mut wire)
    .unwrap();
    let half = HEADER_LEN + body.len() / 2;
    server.handle_input(&wire[..half], Duration::ZERO);
    let accepted = server.accept().unwrap();
    assert_eq!(
        server.census().buffered_input,
        0,
        "the body is not kept in the input"
    );
    let mut read = Vec::new();
    let mut buf = vec![0; body.len()];
    assert_eq!(
        server.read(accepted, &mut buf),
        Ok(Read::Data(body.len() / 2))
    );
    read.extend_from_slice(&buf[..body.len() / 2]);
    assert_eq!(
        server.read(accepted, &mut buf),
        Ok(Read::Blocked),
        "no FIN yet"
    );
    // All but the last byte: still no end-of-stream.
    server.handle_input(&wire[half..wire.len() - 1], Duration::ZERO);
    match server.read(accepted, &mut buf) {
        Ok(Read::Data(n)) => read.extend_from_slice(&buf[..n]),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        server.read(accepted, &mut buf),
        Ok(Read::Blocked),
        "no FIN yet"
    );
    server.handle_input(&wire[wire.len() - 1..], Duration::ZERO);
    assert_eq!(server.read(accepted, &mut buf), Ok(Read::Data(1)));
    read.push(buf[0]);
    assert!(read == body, "every byte, in order");
    assert_eq!(server.read(accepted, &mut buf), Ok(Read::Eof));
}

/// Regression (fuzz target `session`): after GOAWAY, a duplicate SYN of an open stream is
/// refused with RST `STREAM_REFUSED`, and the stream ends here too: no WNDINC or FIN follows
/// the RST on it.
/// checks: [GOAWAY-8] [STREAM-11]
#[test]
fn duplicate_syn_after_goaway_ends_the_open_stream() {
    let mut pair = Pair::new(Config::default());
    let id = pair.sides[0].open().unwrap();
    pair.sides[0].write(id, b"a").unwrap();
    pair.deliver(0, usize::MAX);
    let accepted = pair.sides[1].accept().unwrap();
    pair.sides[1].go_away(ErrorCode::NO_ERROR, b"").unwrap();
    let mut wire = Vec::new();
    pair.sides[1].poll_transmit(&mut wire);
    // The peer (misbehaving) sends SYN again on the same id.
    let mut syn = Vec::new();
    Frame::Data(Data {
        stream_id: accepted,
        fin: false,
        syn: true,
        payload: b"b",
    })
    .encode(&mut syn)
    .unwrap();
    pair.sides[1].handle_input(&syn, Duration::ZERO);
    let mut out = Vec::new();
    pair.sides[1].poll_transmit(&mut out);
    let mut expected = Vec::new();
    Frame::Rst(Rst {
        stream_id: accepted,
        error_code: ErrorCode::STREAM_REFUSED,
    })
    .encode(&mut expected)
    .unwrap();
    assert_eq!(out, expected);
    let mut buf = [0; 4];
    assert_eq!(
        pair.sides[1].read(accepted, &mut buf),
        Err(Error::ResetLocally(ErrorCode::STREAM_REFUSED))
    );
    pair.sides[1].close_stream(accepted);
    assert!(!pair.sides[1].has_output(), "nothing after the RST");
    assert_eq!(pair.sides[1].stream_count(), 0);
}

/// With `syn_alone`, a stream opens with a zero-length SYN frame and its bytes follow in a
/// later frame: the one form of SYN a Go endpoint that sent GOAWAY refuses without losing
/// step (Go's side of it: `TestInterop6EmptySynAfterGoAway` in `interop/go/notes`).
/// checks: [INTEROP-6] [STREAM-2]
#[test]
fn syn_alone_opens_with_an_empty_syn_frame() {
    let config = Config::default().with_syn_alone(true);
    let mut client = Machine::new(Role::Client, config);
    let id = client.open().unwrap();
    assert_eq!(client.write(id, b"hello"), Ok(5));
    let mut wire = Vec::new();
    client.poll_transmit(&mut wire);
    let mut expected = Vec::new();
    for (syn, payload) in [(true, &b""[..]), (false, &b"hello"[..])] {
        Frame::Data(Data {
            stream_id: id,
            fin: false,
            syn,
            payload,
        })
        .encode(&mut expected)
        .unwrap();
    }
    assert_eq!(wire, expected);
    // Later writes are plain DATA frames.
    assert_eq!(client.write(id, b"!"), Ok(1));
    let mut more = Vec::new();
    client.poll_transmit(&mut more);
    assert_eq!(more[3] & 0xF, 0, "no SYN on later frames");
}

/// The session's own error for each way a session ends: the local reason of its termination,
/// and what a later session operation reports.
///
/// checks: [SESSION-8] [SESSION-4]
#[test]
fn the_sessions_own_error_for_each_way_it_ends() {
    // A SYN (DATA with SYN, empty) of the client's own parity on stream 1, sent to the
    // client: a connection error ([ID-1]).
    const OWN_PARITY_SYN: [u8; 8] = [0, 0, 0, 0x12, 0, 0, 0, 1];
    type End = fn(&mut Machine);
    let cases: [(&str, End, ErrorCode); 4] = [
        ("close", |m| m.close(), ErrorCode::SESSION_CLOSED),
        ("end-of-file", |m| m.handle_eof(), ErrorCode::PEER_EOF),
        (
            "connection error",
            |m| m.handle_input(&OWN_PARITY_SYN, Duration::ZERO),
            ErrorCode::PROTOCOL_ERROR,
        ),
        (
            "transport failure",
            |m| m.handle_transport_error(ErrorCode::UNKNOWN, "read failed".into()),
            ErrorCode::UNKNOWN,
        ),
    ];
    for (how, end, code) in cases {
        let mut client = Machine::new(Role::Client, Config::default());
        end(&mut client);
        let local = client.termination().map(|t| t.local);
        assert_eq!(local, Some(code), "{how}: the termination's local reason");
        assert_eq!(
            client.open(),
            Err(Error::SessionEnded(code)),
            "{how}: a later open"
        );
        assert_eq!(
            client.go_away(ErrorCode::NO_ERROR, b""),
            Err(Error::SessionEnded(code)),
            "{how}: a later GOAWAY"
        );
    }
}
