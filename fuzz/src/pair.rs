//! Two sessions wired to each other, driven by arbitrary commands and delivery chunking.
//! Checks: every byte written on one side is read, in order, on the other, unless a reset,
//! a GOAWAY or the end of a session explains why not; two conforming sessions never provoke a
//! flow-control or connection error in each other; the per-session invariants of
//! [`crate::session`] after every step; no stream left once both sides closed everything.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use muxado_reference::frame::{ErrorCode, StreamId};
use muxado_reference::session::{Machine, Read, Role};

use crate::session::{
    Held, Input, Scope, Sent, check_invariants, config, full_check_due, transmit,
};
use crate::{Chunker, DATA, GOAWAY, OwnedFrame, RST, WNDINC};

/// Codes the applications use: none that a conforming peer's violation would draw
/// (`PROTOCOL_ERROR`, `FLOW_CONTROL_ERROR`, `FRAME_SIZE_ERROR`), so that those stay a finding.
const APP_CODES: [u32; 8] = [0, 2, 4, 5, 6, 7, 9, 10];

fn app_code(byte: u8) -> ErrorCode {
    ErrorCode(APP_CODES[usize::from(byte) % APP_CODES.len()])
}

/// One direction of one stream: from the side that wrote to the side that reads.
#[derive(Default)]
struct Flow {
    written: Vec<u8>,
    read: Vec<u8>,
    fin: bool,
    eof: bool,
}

struct Pair {
    sides: [Machine; 2],
    sent: [Sent; 2],
    held: [Held; 2],
    in_flight: [Vec<u8>; 2],
    chunker: Chunker,
    now: Duration,
    /// Keyed by (writing side, stream id).
    flows: BTreeMap<(usize, StreamId), Flow>,
    /// Streams a byte may go missing on: reset or refused by either side (RST seen), closed
    /// by their reader, or failed.
    excused: BTreeSet<StreamId>,
    /// A side closed its session, or sent GOAWAY.
    session_ended: bool,
    counter: u8,
    /// The buffer reads go into, kept between reads.
    read_buf: Vec<u8>,
}

/// Runs the `session_pair` target on `data`.
pub fn run(data: &[u8]) {
    let mut input = Input::new(data);
    let (Some(config_byte), Some(seed)) = (input.u8(), input.u16()) else {
        return;
    };
    let config = config(config_byte & 0x7F);
    let mut p = Pair {
        sides: [
            Machine::new(Role::Client, config.clone()),
            Machine::new(Role::Server, config),
        ],
        sent: [Sent::default(), Sent::default()],
        held: [Held::default(), Held::default()],
        in_flight: [Vec::new(), Vec::new()],
        chunker: Chunker::new(seed),
        now: Duration::ZERO,
        flows: BTreeMap::new(),
        excused: BTreeSet::new(),
        session_ended: false,
        counter: 0,
        read_buf: Vec::new(),
    };
    let mut steps = 0;
    while let Some(op) = input.u8() {
        steps += 1;
        if steps > 2000 || p.step(op, &mut input).is_none() {
            break;
        }
        p.collect();
        for side in 0..2 {
            // Frames delivered in this step may belong to any stream, so the steps that do
            // not check every stream check none of them (their session-wide counts still);
            // the whole checks come often enough to cost about FULL_CHECK_STREAMS streams a
            // step, and the `session` target checks each touched stream after every step.
            let scope = if full_check_due(steps, p.sides[side].census().streams) {
                Scope::All
            } else {
                Scope::Streams(&[])
            };
            check_invariants(&p.sides[side], &p.held[side], scope);
        }
    }
    p.drain();
    p.finish();
}

/// The largest write the `session_pair` harness makes (a mask on the input's u16).
const MAX_WRITE: u16 = 0x1FFF;

impl Pair {
    fn pick(&self, side: usize, arg: u8) -> Option<StreamId> {
        self.held[side].pick(arg)
    }

    /// Moves each side's output into the wire, checking it.
    fn collect(&mut self) {
        let window = u64::from(self.sides[0].config().max_window_size);
        for side in 0..2 {
            let (bytes, frames) = transmit(&mut self.sides[side]);
            self.sent[side].check(&frames, window as u32);
            for f in &frames {
                self.observe(side, f, window);
            }
            self.in_flight[side].extend_from_slice(&bytes);
        }
    }

    fn observe(&mut self, side: usize, f: &OwnedFrame, window: u64) {
        let id = StreamId::new(f.stream_id);
        let other = &mut self.sent[1 - side];
        match f.frame_type {
            // What the other side may credit, and what it may send.
            DATA => *other.delivered.entry(id).or_default() += f.bytes.len() as u64,
            WNDINC => *other.granted.entry(id).or_insert(window) += u64::from(f.value),
            RST => {
                // Two conforming sessions with the same W never overrun each other.
                assert_ne!(
                    ErrorCode(f.value),
                    ErrorCode::FLOW_CONTROL_ERROR,
                    "[FLOW-4] [FLOW-8] a conforming peer overran a window"
                );
                self.excused.insert(id);
            }
            GOAWAY => {
                assert!(
                    ErrorCode(f.value) != ErrorCode::PROTOCOL_ERROR
                        && ErrorCode(f.value) != ErrorCode::FRAME_SIZE_ERROR,
                    "a conforming peer caused a connection error: {f:?}"
                );
                self.session_ended = true;
            }
            _ => {}
        }
    }

    /// Delivers up to `chunk` bytes from `from` to the other side, in the current chunking.
    fn deliver(&mut self, from: usize, chunk: usize) {
        let n = chunk.min(self.in_flight[from].len());
        let bytes: Vec<u8> = self.in_flight[from].drain(..n).collect();
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let k = self.chunker.next_size().min(rest.len());
            self.sides[1 - from].handle_input(&rest[..k], self.now);
            rest = &rest[k..];
        }
    }

    fn read(&mut self, side: usize, id: StreamId, max: usize) -> bool {
        let mut buf = std::mem::take(&mut self.read_buf);
        buf.resize(max, 0);
        let flow = self.flows.entry((1 - side, id)).or_default();
        let result = self.sides[side].read(id, &mut buf);
        let more = match result {
            Ok(Read::Data(n)) => {
                // Every byte in order: what was read is a prefix of what was written (the
                // bytes read before were checked already).
                let at = flow.read.len();
                assert!(
                    flow.written.get(at..at + n) == Some(&buf[..n]),
                    "stream {id}: bytes read differ from bytes written"
                );
                flow.read.extend_from_slice(&buf[..n]);
                true
            }
            Ok(Read::Eof) => {
                assert!(flow.fin, "[STREAM-6] end-of-stream without FIN on {id}");
                assert_eq!(flow.read, flow.written, "[STREAM-6] EOF before every byte");
                flow.eof = true;
                false
            }
            Ok(Read::Blocked) => false,
            Err(_) => {
                self.excused.insert(id);
                false
            }
        };
        self.read_buf = buf;
        more
    }

    fn step(&mut self, op: u8, input: &mut Input<'_>) -> Option<()> {
        let side = usize::from(op >> 4 & 1);
        match op & 0xF {
            0 => {
                if let Ok(id) = self.sides[side].open() {
                    self.held[side].insert(id);
                }
            }
            1 => {
                while let Some(id) = self.sides[side].accept() {
                    self.held[side].insert(id);
                }
            }
            2 => {
                let stream = input.u8()?;
                // At most 8 KiB a write: the delivery chunking may hand every byte to the
                // session alone, and tens of megabytes delivered a byte at a time made some
                // inputs take half a second without exercising anything more than 8 KiB
                // writes do (a 256 KiB window still fills in 32 writes).
                let len = usize::from(input.u16()? & MAX_WRITE);
                let Some(id) = self.pick(side, stream) else {
                    return Some(());
                };
                let data: Vec<u8> = (0..len)
                    .map(|_| {
                        self.counter = self.counter.wrapping_add(1);
                        self.counter
                    })
                    .collect();
                match self.sides[side].write(id, &data) {
                    Ok(n) => {
                        let flow = self.flows.entry((side, id)).or_default();
                        assert!(!flow.fin, "[STREAM-12] write after FIN accepted");
                        flow.written.extend_from_slice(&data[..n]);
                    }
                    Err(_) => {
                        self.excused.insert(id);
                    }
                }
            }
            3 => {
                let stream = input.u8()?;
                let max = usize::from(input.u16()?);
                if let Some(id) = self.pick(side, stream) {
                    self.read(side, id, max);
                }
            }
            4 => {
                let stream = input.u8()?;
                if let Some(id) = self.pick(side, stream) {
                    if self.sides[side].close_write(id).is_ok() {
                        self.flows.entry((side, id)).or_default().fin = true;
                    }
                }
            }
            5 => {
                let stream = input.u8()?;
                let code = app_code(input.u8()?);
                if let Some(id) = self.pick(side, stream) {
                    let _ = self.sides[side].reset(id, code);
                    self.excused.insert(id);
                }
            }
            6 => {
                let stream = input.u8()?;
                if let Some(id) = self.pick(side, stream) {
                    self.sides[side].close_stream(id);
                    // [STREAM-9] closing sends FIN: the reader sees end-of-stream.
                    self.flows.entry((side, id)).or_default().fin = true;
                    self.held[side].remove(id);
                    // Its reader let go: bytes towards this side may be lost; bytes from it
                    // still arrive (FIN follows them).
                    self.excused.insert(id);
                }
            }
            7 => {
                let code = app_code(input.u8()?);
                let _ = self.sides[side].go_away(code, b"fuzz");
            }
            8 => {
                self.sides[side].close();
                self.session_ended = true;
            }
            9 | 11 => {
                let chunk = usize::from(input.u16()?);
                self.deliver(side, chunk);
            }
            10 => {
                self.now += Duration::from_millis(u64::from(input.u16()?));
                for s in &mut self.sides {
                    s.handle_timeout(self.now);
                }
            }
            _ => {}
        }
        Some(())
    }

    /// Delivers and reads everything until nothing moves.
    fn drain(&mut self) {
        let mut quiet = 0;
        for _ in 0..1000 {
            let mut moved = false;
            for side in 0..2 {
                self.collect();
                moved |= !self.in_flight[side].is_empty();
                self.deliver(side, usize::MAX);
                while let Some(id) = self.sides[1 - side].accept() {
                    self.held[1 - side].insert(id);
                }
            }
            for side in 0..2 {
                for id in self.held[side].ids().to_vec() {
                    while self.read(side, id, 1 << 16) {
                        moved = true;
                    }
                }
            }
            self.collect();
            for side in 0..2 {
                check_invariants(&self.sides[side], &self.held[side], Scope::Final);
            }
            quiet = if moved { 0 } else { quiet + 1 };
            if quiet == 2 {
                break;
            }
        }
        assert_eq!(quiet, 2, "the pair never became quiet");
    }

    /// Every unexcused flow delivered every byte (and its FIN); then both sides close every
    /// stream and hold none.
    fn finish(&mut self) {
        for side in 0..2 {
            for id in self.held[side].ids() {
                if self.sides[side].stream_error(*id).is_some() {
                    self.excused.insert(*id);
                }
            }
            if self.sides[side].termination().is_some()
                || self.sides[side].remote_go_away().is_some()
            {
                self.session_ended = true;
            }
        }
        for ((from, id), flow) in &self.flows {
            if self.session_ended || self.excused.contains(id) {
                continue;
            }
            assert_eq!(
                flow.read.len(),
                flow.written.len(),
                "stream {id} from side {from}: bytes lost with no reset, GOAWAY or close"
            );
            assert_eq!(flow.read, flow.written);
            assert!(!flow.fin || flow.eof, "stream {id}: FIN never seen");
        }
        for side in 0..2 {
            for id in self.held[side].take() {
                self.sides[side].close_stream(id);
            }
        }
        self.collect();
        for side in 0..2 {
            check_invariants(&self.sides[side], &self.held[side], Scope::Final);
            assert_eq!(self.sides[side].stream_count(), 0, "streams leaked");
        }
    }
}
