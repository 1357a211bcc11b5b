//! The fuzzer's bytes as the session harnesses read them: numbers, configurations and frames
//! built from fields (the encoding the module documentation of [`super`] gives).

use std::time::Duration;

use muxado_reference::frame::StreamId;
use muxado_reference::session::Config;

/// Reads the fuzzer's bytes; every read fails once they run out.
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// Reads from `data`.
    pub fn new(data: &'a [u8]) -> Input<'a> {
        Input { data }
    }

    /// One byte.
    pub fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.data.split_first()?;
        self.data = rest;
        Some(b)
    }

    /// A little-endian u16.
    pub fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes([self.u8()?, self.u8()?]))
    }

    /// A little-endian u32.
    pub fn u32(&mut self) -> Option<u32> {
        Some(u32::from(self.u16()?) | u32::from(self.u16()?) << 16)
    }

    /// Up to `n` bytes (fewer at the end of the input).
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }
}

/// Receive windows a config byte selects (bits 0 to 2).
pub const WINDOWS: [u32; 8] = [262_144, 8, 4, 16, 100, 1000, 4096, 65_535];
/// Accept backlogs a config byte selects (bits 3 and 4).
pub const BACKLOGS: [usize; 4] = [128, 1, 2, 4];
/// Stream limits a config byte selects (bits 5 and 6).
pub const MAX_STREAMS: [usize; 4] = [65_536, 1, 2, 8];

/// The configuration a config byte selects (tables shared with `gen_corpus.py`).
pub fn config(byte: u8) -> Config {
    Config::default()
        .with_max_window_size(WINDOWS[usize::from(byte & 7)])
        .with_accept_backlog(BACKLOGS[usize::from(byte >> 3 & 3)])
        // Refuse at once (SPEC [STREAM-14] allows it): the oracle judges every frame's
        // reaction as the frame is taken in, and bounds the input held to one frame part.
        .with_accept_patience(Duration::ZERO)
        .with_max_streams(MAX_STREAMS[usize::from(byte >> 5 & 3)])
        .with_max_goaway_debug(if byte & 0x80 != 0 { 4 } else { 1 << 20 })
        .with_max_frame_size(1000)
        // Both credit schedules SPEC [FLOW-6] allows.
        .with_credit_every_read(byte & 0x09 == 0x09)
        .with_write_queue_bytes(64 * 1024)
        .with_reset_linger(Duration::from_secs(5))
        .with_syn_alone(byte & 0x40 != 0 && byte & 0x20 != 0)
        // Time in the harness only moves for reset linger; a stalled frame is the hostile
        // tests' business (reference/tests/hostile.rs).
        .with_read_timeout(None)
}

/// A frame from fields, malformed ones included: type/flags byte, stream byte (0x80 and up
/// give large or reserved-bit ids), a value, a body length and a fill byte.
pub(super) fn frame_from_fields(input: &mut Input<'_>) -> Option<Vec<u8>> {
    let type_flags = input.u8()?;
    let stream = input.u8()?;
    let value = input.u32()?;
    let len = input.u16()?;
    let fill = input.u8()?;
    let frame_type = type_flags >> 4;
    let word = match stream {
        0..=0x7F => u32::from(stream),
        0x80..=0xBF => StreamId::MAX.get() - u32::from(stream & 0x3F),
        _ => StreamId::RESERVED_BIT | u32::from(stream & 0x3F),
    };
    // 0xFFFF: the length the type requires.
    let len = match (len, frame_type) {
        (0xFFFF, 0 | 2) => 4,
        (0xFFFF, 3) => 8,
        (0xFFFF, _) => 0,
        (n, _) => usize::from(n % 2048),
    };
    let mut body = Vec::with_capacity(len);
    if frame_type == 3 {
        body.extend_from_slice(&(value & 0x7F).to_be_bytes());
    }
    body.extend_from_slice(&value.to_be_bytes());
    body.resize(len.max(body.len()), fill);
    body.truncate(len);
    let mut out = (len as u32).to_be_bytes()[1..].to_vec();
    out.push(type_flags);
    out.extend_from_slice(&word.to_be_bytes());
    out.extend_from_slice(&body);
    Some(out)
}
