//! Shared pieces of the muxado fuzz targets: owned copies of decoded frames, arbitrary
//! frames, delivery chunking, and the session harness (see `README.md`).

#![forbid(unsafe_code)]

mod pair;
pub mod session;

use arbitrary::{Arbitrary, Unstructured};
use muxado_reference::frame::{
    Data, DecodeError, ErrorCode, Frame, FrameType, GoAway, MAX_INCREMENT, Rst, StreamId, WndInc,
};

// The frame type codes of SPEC section 3.2, as `OwnedFrame::frame_type` holds them.
pub(crate) const RST: u8 = 0;
pub(crate) const DATA: u8 = 1;
pub(crate) const WNDINC: u8 = 2;
pub(crate) const GOAWAY: u8 = 3;

/// A decoded frame with its borrowed parts copied, so that results of different decodings
/// can be compared after their buffers are gone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedFrame {
    /// The frame type.
    pub frame_type: u8,
    /// The flags the frame is sent with (DATA: only FIN and SYN; unknown types: raw).
    pub flags: u8,
    /// The stream id (GOAWAY: the last stream id).
    pub stream_id: u32,
    /// RST and GOAWAY error code, WNDINC increment.
    pub value: u32,
    /// DATA and unknown payload, GOAWAY debug data.
    pub bytes: Vec<u8>,
}

impl OwnedFrame {
    /// Copies `frame`.
    pub fn of(frame: &Frame<'_>) -> OwnedFrame {
        let (stream_id, value, bytes) = match frame {
            Frame::Rst(f) => (f.stream_id, f.error_code.0, Vec::new()),
            Frame::Data(f) => (f.stream_id, 0, f.payload.to_vec()),
            Frame::WndInc(f) => (f.stream_id, f.increment, Vec::new()),
            Frame::GoAway(f) => (f.last_stream_id, f.error_code.0, f.debug.to_vec()),
            Frame::Unknown(f) => (f.stream_id, 0, f.payload.to_vec()),
        };
        OwnedFrame {
            frame_type: frame.frame_type().get(),
            flags: frame.flags().get(),
            stream_id: stream_id.get(),
            value,
            bytes,
        }
    }
}

/// The outcome of decoding a whole byte stream: the frames, then how it stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// Every frame decoded, in order.
    pub frames: Vec<OwnedFrame>,
    /// The violation that stopped decoding, if any.
    pub violation: Option<muxado_reference::frame::Violation>,
    /// Bytes after the last whole frame that do not make a frame yet (0 after a violation).
    pub trailing: usize,
}

/// Decodes all of `input` at once, with the [`muxado_reference::frame::Frames`] iterator.
pub fn decode_all(input: &[u8]) -> Decoded {
    let mut frames_iter = muxado_reference::frame::Frames::new(input);
    let mut frames = Vec::new();
    let mut violation = None;
    let mut trailing = 0;
    for item in frames_iter.by_ref() {
        match item {
            Ok(frame) => frames.push(OwnedFrame::of(&frame)),
            Err(DecodeError::Violation(v)) => violation = Some(v),
            Err(DecodeError::Incomplete { .. }) => {}
        }
    }
    if violation.is_none() {
        trailing = input.len() - frames_iter.offset();
    }
    Decoded {
        frames,
        violation,
        trailing,
    }
}

/// Chunk sizes from a small deterministic generator: what a transport's reads look like.
pub struct Chunker {
    state: u32,
    max: usize,
}

impl Chunker {
    /// Chunks of 1 to `1 + seed % 64` or, for some seeds, up to a few kilobytes.
    pub fn new(seed: u16) -> Chunker {
        let max = match seed & 3 {
            0 => 1,
            1 => 9,
            2 => 64,
            _ => 4096,
        };
        Chunker {
            state: u32::from(seed) | 0x1_0000,
            max,
        }
    }

    /// The next chunk size, at least 1.
    pub fn next_size(&mut self) -> usize {
        // xorshift32
        self.state ^= self.state << 13;
        self.state ^= self.state >> 17;
        self.state ^= self.state << 5;
        1 + (self.state as usize % self.max)
    }
}

/// A stream id of 1 to 2^31-1, biased towards small ids so that frames meet streams.
pub fn arbitrary_stream_id(u: &mut Unstructured<'_>) -> arbitrary::Result<StreamId> {
    let raw = if u.ratio(7, 8)? {
        u.int_in_range(1..=12)?
    } else {
        u.int_in_range(1..=StreamId::MAX.get())?
    };
    Ok(StreamId::new(raw))
}

/// An error code, biased towards the ones SPEC section 9 names.
pub fn arbitrary_error_code(u: &mut Unstructured<'_>) -> arbitrary::Result<ErrorCode> {
    Ok(if u.ratio(3, 4)? {
        ErrorCode(u.int_in_range(0..=0xF)?)
    } else {
        ErrorCode(u32::arbitrary(u)?)
    })
}

/// A frame a conforming sender may send (SPEC section 4), as owned parts.
#[derive(Clone, Debug)]
pub enum ValidFrame {
    /// RST on a non-zero stream.
    Rst {
        /// Stream id, never 0.
        stream_id: StreamId,
        /// Any code.
        error_code: ErrorCode,
    },
    /// DATA on a non-zero stream.
    Data {
        /// Stream id, never 0.
        stream_id: StreamId,
        /// FIN flag.
        fin: bool,
        /// SYN flag.
        syn: bool,
        /// Payload.
        payload: Vec<u8>,
    },
    /// WNDINC with an increment of 1 to 2^31-1.
    WndInc {
        /// Stream id, never 0.
        stream_id: StreamId,
        /// Increment.
        increment: u32,
    },
    /// GOAWAY.
    GoAway {
        /// Last stream id, 0 to 2^31-1.
        last_stream_id: StreamId,
        /// Any code.
        error_code: ErrorCode,
        /// Debug data.
        debug: Vec<u8>,
    },
}

impl<'a> Arbitrary<'a> for ValidFrame {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<ValidFrame> {
        Ok(match u.int_in_range(0..=7)? {
            0 => ValidFrame::Rst {
                stream_id: arbitrary_stream_id(u)?,
                error_code: arbitrary_error_code(u)?,
            },
            1..=4 => ValidFrame::Data {
                stream_id: arbitrary_stream_id(u)?,
                fin: bool::arbitrary(u)?,
                syn: bool::arbitrary(u)?,
                payload: small_bytes(u, 600)?,
            },
            5 | 6 => ValidFrame::WndInc {
                stream_id: arbitrary_stream_id(u)?,
                increment: if u.ratio(3, 4)? {
                    u.int_in_range(1..=70_000)?
                } else {
                    u.int_in_range(1..=MAX_INCREMENT)?
                },
            },
            _ => ValidFrame::GoAway {
                last_stream_id: StreamId::new(u.int_in_range(0..=StreamId::MAX.get())?),
                error_code: arbitrary_error_code(u)?,
                debug: small_bytes(u, 64)?,
            },
        })
    }
}

/// Up to `max` arbitrary bytes; sometimes a run of one byte, so that large payloads are cheap.
pub fn small_bytes(u: &mut Unstructured<'_>, max: usize) -> arbitrary::Result<Vec<u8>> {
    let len = u.int_in_range(0..=max)?;
    if u.ratio(1, 4)? {
        return Ok(vec![u8::arbitrary(u)?; len]);
    }
    let bytes = u.bytes(len.min(u.len()))?;
    Ok(bytes.to_vec())
}

impl ValidFrame {
    /// The frame, borrowing from `self`.
    pub fn frame(&self) -> Frame<'_> {
        match self {
            ValidFrame::Rst {
                stream_id,
                error_code,
            } => Frame::Rst(Rst {
                stream_id: *stream_id,
                error_code: *error_code,
            }),
            ValidFrame::Data {
                stream_id,
                fin,
                syn,
                payload,
            } => Frame::Data(Data {
                stream_id: *stream_id,
                fin: *fin,
                syn: *syn,
                payload,
            }),
            ValidFrame::WndInc {
                stream_id,
                increment,
            } => Frame::WndInc(WndInc {
                stream_id: *stream_id,
                increment: *increment,
            }),
            ValidFrame::GoAway {
                last_stream_id,
                error_code,
                debug,
            } => Frame::GoAway(GoAway {
                last_stream_id: *last_stream_id,
                error_code: *error_code,
                debug,
            }),
        }
    }

    /// The frame's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.frame()
            .encode(&mut out)
            .expect("a valid frame encodes");
        out
    }
}

/// The frame type of a number, for building frames of any type.
pub fn frame_type(value: u8) -> FrameType {
    FrameType::from_nibble(value)
}
