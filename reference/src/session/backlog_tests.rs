//! A full accept backlog (SPEC [STREAM-5], [STREAM-14], [LIMIT-3]): a burst of SYNs waits for
//! an application that keeps accepting, and one that stopped accepting gets refusals after the
//! patience, without stalling the session again for every SYN.

use std::time::Duration;

use super::*;
use crate::frame::{self, HEADER_LEN};

const MS: Duration = Duration::from_millis(1);

/// A DATA+SYN frame from the client side (odd ids) carrying `payload`.
fn syn(id: u32, payload: &[u8]) -> Vec<u8> {
    let mut wire = Vec::new();
    Frame::Data(Data {
        stream_id: StreamId::new(id),
        fin: false,
        syn: true,
        payload,
    })
    .encode(&mut wire)
    .unwrap();
    wire
}

/// A DATA frame without flags.
fn data(id: u32, payload: &[u8]) -> Vec<u8> {
    let mut wire = Vec::new();
    Frame::Data(Data {
        stream_id: StreamId::new(id),
        fin: false,
        syn: false,
        payload,
    })
    .encode(&mut wire)
    .unwrap();
    wire
}

/// The SYNs of streams 3, 5, 7, ... (`n` of them), each carrying its index, in one buffer:
/// what a client that opens `n` streams at once puts on the wire.
fn burst(n: u32) -> Vec<u8> {
    (0..n)
        .flat_map(|i| syn(3 + 2 * i, &i.to_be_bytes()))
        .collect()
}

/// Every frame the session sent, as (is GOAWAY, stream, code) for RST and GOAWAY; panics on
/// any other frame.
fn sent(session: &mut Machine) -> Vec<(bool, u32, ErrorCode)> {
    let mut out = Vec::new();
    session.poll_transmit(&mut out);
    let mut rest = &out[..];
    let mut found = Vec::new();
    while !rest.is_empty() {
        let (frame, used) = frame::decode_frame(rest).unwrap();
        match frame {
            Frame::Rst(rst) => found.push((false, rst.stream_id.get(), rst.error_code)),
            Frame::GoAway(g) => found.push((true, g.last_stream_id.get(), g.error_code)),
            other => panic!("unexpected {other}"),
        }
        rest = &rest[used..];
    }
    found
}

/// Every RST the session sent, as (stream, code); panics on any other frame.
fn rsts(session: &mut Machine) -> Vec<(u32, ErrorCode)> {
    sent(session)
        .into_iter()
        .map(|(goaway, id, code)| {
            assert!(!goaway, "unexpected GOAWAY");
            (id, code)
        })
        .collect()
}

/// A server that received the whole burst in one read, at time 0, and accepted nothing yet.
fn flooded(n: u32) -> (Machine, usize) {
    let mut server = Machine::new(Role::Server, Config::default());
    let wire = burst(n);
    server.handle_input(&wire, Duration::ZERO);
    (server, wire.len())
}

/// 1,000 SYNs in one `receive` against the default backlog of 128: the session stops at the
/// 129th and wants no more input, and an application that accepts as events come takes every
/// stream, in order, with its bytes. Nothing is refused.
/// checks: [STREAM-14] [STREAM-4] [LIMIT-3]
#[test]
fn a_burst_of_syns_waits_for_an_application_that_accepts() {
    let (mut server, _) = flooded(1000);
    assert_eq!(
        server.accept_queue_ids().len(),
        128,
        "[LIMIT-3] the backlog holds"
    );
    assert!(server.paused_for_backlog());
    assert!(!server.wants_input(), "the transport holds the rest back");
    assert_eq!(server.poll_timeout(), Some(Duration::from_millis(100)));
    let mut accepted = Vec::new();
    while let Some(event) = server.poll_event() {
        if event == Event::Accept {
            // Each accept makes room, which lets the next SYN in at once.
            while let Some(id) = server.accept() {
                accepted.push(id.get());
                let _ = server.poll_event();
            }
        }
    }
    assert_eq!(accepted, (0..1000).map(|i| 3 + 2 * i).collect::<Vec<_>>());
    assert_eq!(rsts(&mut server), [], "no stream refused");
    assert!(server.wants_input() && !server.paused_for_backlog());
    assert_eq!(server.buffered_input(), 0);
    assert_eq!(server.poll_timeout(), None);
    for (i, id) in accepted.iter().enumerate() {
        let mut buf = [0; 8];
        let read = server.read(StreamId::new(*id), &mut buf);
        assert_eq!(read, Ok(Read::Data(4)));
        assert_eq!(
            buf[..4],
            (i as u32).to_be_bytes(),
            "stream {id}'s own bytes"
        );
    }
}

/// An application that never accepts: the session waits the patience at the 129th SYN
/// holding no more than the one read it had, sends nothing meanwhile, then refuses that SYN
/// and every later one with RST `ACCEPT_QUEUE_FULL` without further input; a SYN that comes
/// later is refused at once, with no second pause. The read timeout does not count the pause
/// against the peer.
/// checks: [STREAM-14] [STREAM-5] [LIMIT-3] [LIMIT-8]
#[test]
fn an_application_that_never_accepts_gets_refusals_after_the_patience() {
    let config = Config::default().with_read_timeout(Some(Duration::from_millis(20)));
    let mut server = Machine::new(Role::Server, config);
    let wire = burst(1000);
    server.handle_input(&wire, Duration::ZERO);
    let frame_len = HEADER_LEN + 4;
    // 128 SYNs queued and the 129th's header read: the rest is held, unprocessed.
    assert_eq!(
        server.buffered_input(),
        wire.len() - 128 * frame_len - HEADER_LEN
    );
    assert!(server.buffered_input() < wire.len(), "bounded by the read");
    assert_eq!(server.read_deadline(), None, "the peer stalls nothing");
    server.handle_timeout(99 * MS);
    assert!(server.paused_for_backlog());
    assert_eq!(rsts(&mut server), [], "nothing refused within the patience");
    assert!(server.termination().is_none());

    // The patience ends: a timer, no input.
    server.handle_timeout(100 * MS);
    assert!(!server.paused_for_backlog());
    assert!(server.wants_input());
    let refused = rsts(&mut server);
    let expected: Vec<(u32, ErrorCode)> = (128..1000)
        .map(|i| (3 + 2 * i, ErrorCode::ACCEPT_QUEUE_FULL))
        .collect();
    assert_eq!(refused, expected);
    assert_eq!(server.buffered_input(), 0);
    assert_eq!(server.accept_queue_ids().len(), 128);
    assert_eq!(
        server.stream_count(),
        128,
        "[STREAM-5] refused streams are forgotten"
    );

    // Later SYNs: refused at once while the backlog stays full.
    server.handle_input(&syn(2003, b"late"), 500 * MS);
    assert!(!server.paused_for_backlog());
    assert_eq!(server.poll_timeout(), None);
    assert_eq!(rsts(&mut server), [(2003, ErrorCode::ACCEPT_QUEUE_FULL)]);
    assert!(server.termination().is_none(), "no read timeout");
}

/// Once the application takes a stream again after the patience ran out, a SYN that finds the
/// backlog full waits again (a fresh patience), and the frames behind it wait with it, in
/// order: DATA for an accepted stream is delivered only once the SYN before it was judged.
/// checks: [STREAM-14] [STREAM-4] [STREAM-5]
#[test]
fn accepting_after_the_patience_makes_syns_wait_again() {
    let (mut server, _) = flooded(129);
    server.handle_timeout(100 * MS);
    assert_eq!(rsts(&mut server), [(259, ErrorCode::ACCEPT_QUEUE_FULL)]);
    assert_eq!(server.accept(), Some(StreamId::new(3)));

    // One slot free: the first SYN takes it, the second waits, and the DATA behind it waits.
    let mut wire = syn(261, b"a");
    wire.extend(syn(263, b"b"));
    wire.extend(data(5, b"late"));
    server.handle_input(&wire, 200 * MS);
    assert!(server.paused_for_backlog());
    assert_eq!(server.poll_timeout(), Some(300 * MS), "a fresh patience");
    assert_eq!(server.readable_bytes(StreamId::new(5)), 4, "the DATA waits");
    assert_eq!(rsts(&mut server), []);

    // Taking a stream resumes at once, within the call.
    assert_eq!(server.accept(), Some(StreamId::new(5)));
    assert!(!server.paused_for_backlog());
    assert_eq!(
        server.readable_bytes(StreamId::new(5)),
        8,
        "delivered after the SYN"
    );
    assert_eq!(rsts(&mut server), []);
    let queue: Vec<u32> = server.accept_queue_ids().map(StreamId::get).collect();
    assert_eq!(queue.len(), 128);
    assert_eq!(queue[126..], [261, 263], "accepted in SYN order");
}

/// GOAWAY while a SYN waits: the SYN is refused as any SYN after GOAWAY, at once, and the
/// input behind it goes on.
/// checks: [STREAM-14] [GOAWAY-8]
#[test]
fn goaway_refuses_the_waiting_syn() {
    let (mut server, _) = flooded(130);
    assert!(server.paused_for_backlog());
    server.go_away(ErrorCode::NO_ERROR, b"").unwrap();
    assert_eq!(
        sent(&mut server),
        [
            (true, 257, ErrorCode::NO_ERROR),
            (false, 259, ErrorCode::STREAM_REFUSED),
            (false, 261, ErrorCode::STREAM_REFUSED)
        ]
    );
    assert!(server.wants_input());
}

/// A patience of zero refuses at once, as before [STREAM-14] existed (and as SPEC appendix B
/// allows).
/// checks: [STREAM-5] [LIMIT-3]
#[test]
fn zero_patience_refuses_at_once() {
    let config = Config::default().with_accept_patience(Duration::ZERO);
    let mut server = Machine::new(Role::Server, config);
    server.handle_input(&burst(130), Duration::ZERO);
    assert!(!server.paused_for_backlog());
    assert_eq!(
        rsts(&mut server),
        [
            (259, ErrorCode::ACCEPT_QUEUE_FULL),
            (261, ErrorCode::ACCEPT_QUEUE_FULL)
        ]
    );
}
