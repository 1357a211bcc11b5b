//! The muxado frame codec: the wire format of SPEC sections 3 and 4 as a library.
//!
//! - [`decode_frame`] takes a byte slice and returns one frame and the bytes it used, or
//!   [`DecodeError::Incomplete`] with the exact number of bytes still missing, or the
//!   [`Violation`] the input commits (with its SPEC requirement id and the GOAWAY code).
//!   Payloads and debug data borrow from the input: decoding never copies them.
//! - [`Frame::encode`] appends a frame's bytes, refusing any frame a receiver would reject.
//! - [`Frames`] iterates over every frame in a buffer.
//!
//! The codec knows nothing of streams or sessions: rules that need state (flow control, the
//! stream lifecycle) live above it.

mod data;
mod error;
mod goaway;
mod header;
mod parse;
mod rst;
mod types;
mod unknown;
mod wndinc;

#[cfg(test)]
mod tests;

use std::fmt;
use std::num::NonZeroUsize;

pub use data::Data;
pub use error::{DecodeError, EncodeError, Violation};
pub use goaway::{GOAWAY_FIXED_LEN, GoAway};
pub use header::{HEADER_LEN, Header, MAX_BODY_LEN};
pub use rst::{RST_BODY_LEN, Rst};
pub use types::{ErrorCode, Flags, FrameType, StreamId};
pub use unknown::Unknown;
pub use wndinc::{MAX_INCREMENT, WNDINC_BODY_LEN, WndInc};

use parse::ParseFailure;

/// One muxado frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// RST, type 0x0.
    Rst(Rst),
    /// DATA, type 0x1.
    Data(Data<'a>),
    /// WNDINC, type 0x2.
    WndInc(WndInc),
    /// GOAWAY, type 0x3.
    GoAway(GoAway<'a>),
    /// Types 0x4 to 0xF.
    Unknown(Unknown<'a>),
}

impl<'a> Frame<'a> {
    /// Builds a frame from a header that passed [`Header::check`] and its whole body, applying
    /// the checks that need the body.
    fn load(header: &Header, body: &'a [u8]) -> Result<Frame<'a>, Violation> {
        let stream_id = header.stream_id;
        Ok(match header.frame_type {
            FrameType::RST => Frame::Rst(Rst::load(stream_id, fixed(body))),
            FrameType::DATA => Frame::Data(Data::load(stream_id, header.flags, body)),
            FrameType::WNDINC => {
                let frame = WndInc::load(stream_id, fixed(body));
                // [WNDINC-4] a zero increment, after masking the reserved bit.
                if frame.increment == 0 {
                    return Err(Violation::WndIncZero { stream_id });
                }
                Frame::WndInc(frame)
            }
            FrameType::GOAWAY => {
                let (head, debug) = body.split_at(GOAWAY_FIXED_LEN);
                Frame::GoAway(GoAway::load(fixed(head), debug))
            }
            // [FRAME-11] unknown types are kept whole for the caller to skip.
            frame_type => Frame::Unknown(Unknown {
                frame_type,
                flags: header.flags,
                stream_id,
                payload: body,
            }),
        })
    }

    /// The frame's type.
    pub fn frame_type(&self) -> FrameType {
        match self {
            Frame::Rst(_) => FrameType::RST,
            Frame::Data(_) => FrameType::DATA,
            Frame::WndInc(_) => FrameType::WNDINC,
            Frame::GoAway(_) => FrameType::GOAWAY,
            Frame::Unknown(f) => f.frame_type,
        }
    }

    /// The frame's stream id (0 for GOAWAY).
    pub fn stream_id(&self) -> StreamId {
        match self {
            Frame::Rst(f) => f.stream_id,
            Frame::Data(f) => f.stream_id,
            Frame::WndInc(f) => f.stream_id,
            Frame::GoAway(_) => StreamId::ZERO,
            Frame::Unknown(f) => f.stream_id,
        }
    }

    /// The number of body bytes the frame has on the wire.
    pub fn body_len(&self) -> usize {
        match self {
            Frame::Rst(_) => RST_BODY_LEN,
            Frame::Data(f) => f.payload.len(),
            Frame::WndInc(_) => WNDINC_BODY_LEN,
            Frame::GoAway(f) => GOAWAY_FIXED_LEN + f.debug.len(),
            Frame::Unknown(f) => f.payload.len(),
        }
    }

    /// The number of bytes [`Frame::encode`] appends: header plus body.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + self.body_len()
    }

    /// Checks that a receiver would accept the frame, without encoding it.
    pub fn check(&self) -> Result<(), EncodeError> {
        let body_len = self.body_len();
        if body_len > MAX_BODY_LEN {
            return Err(EncodeError::BodyTooLong { length: body_len });
        }
        let stream_id = match self {
            Frame::GoAway(f) => f.last_stream_id,
            Frame::Unknown(f) => {
                return Err(EncodeError::UnknownType {
                    frame_type: f.frame_type,
                });
            }
            other => other.stream_id(),
        };
        // [FRAME-4] (and [GOAWAY-3] for the last stream id) the reserved bit is sent as zero.
        if !stream_id.is_valid() {
            return Err(EncodeError::ReservedBit { stream_id });
        }
        if let Frame::WndInc(f) = self {
            if f.increment > MAX_INCREMENT {
                return Err(EncodeError::IncrementTooLarge {
                    increment: f.increment,
                });
            }
        }
        // Every check a decoder makes, made on the header this frame would have.
        let header = Header {
            length: body_len as u32,
            frame_type: self.frame_type(),
            flags: self.flags(),
            stream_id: self.stream_id(),
            reserved_bit: false,
        };
        header.check()?;
        if let Frame::WndInc(f) = self {
            if f.increment == 0 {
                return Err(Violation::WndIncZero {
                    stream_id: f.stream_id,
                }
                .into());
            }
        }
        Ok(())
    }

    /// The flags field the frame is sent with.
    pub fn flags(&self) -> Flags {
        match self {
            Frame::Data(f) => f.flags(),
            Frame::Unknown(f) => f.flags,
            _ => Flags::NONE,
        }
    }

    /// Appends the frame's bytes to `dst`, or leaves `dst` untouched and says which rule the
    /// frame would break.
    pub fn encode(&self, dst: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.check()?;
        dst.reserve(self.encoded_len());
        Header::encode(
            dst,
            self.body_len(),
            self.frame_type(),
            self.flags(),
            self.stream_id(),
        );
        match self {
            Frame::Rst(f) => f.encode_body(dst),
            Frame::Data(f) => dst.extend_from_slice(f.payload),
            Frame::WndInc(f) => f.encode_body(dst),
            Frame::GoAway(f) => f.encode_body(dst),
            Frame::Unknown(_) => unreachable!("check() refuses unknown frame types"),
        }
        Ok(())
    }
}

/// Prints one line per frame, with the fields Go's debug framer prints (type, stream id,
/// length, flags) followed by the body fields.
impl fmt::Display for Frame<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Frame::Rst(frame) => frame.fmt(f),
            Frame::Data(frame) => frame.fmt(f),
            Frame::WndInc(frame) => frame.fmt(f),
            Frame::GoAway(frame) => frame.fmt(f),
            Frame::Unknown(frame) => frame.fmt(f),
        }
    }
}

/// A fixed-size view of a body whose length the header check already established.
fn fixed<const N: usize>(body: &[u8]) -> &[u8; N] {
    body.first_chunk::<N>()
        .expect("length checked by Header::check")
}

/// Decodes and checks the frame header at the start of `input` (SPEC [FRAME-6], [FRAME-7]),
/// without looking at the body. A driver that must skip a large body without buffering it
/// (SPEC [FRAME-10]) uses this, then consumes `header.length` bytes itself.
pub fn decode_header(input: &[u8]) -> Result<Header, DecodeError> {
    let (_, header) = header::parse_header(input).map_err(into_decode_error)?;
    header.check()?;
    Ok(header)
}

/// Decodes a frame from a header that passed [`decode_header`] and the first
/// `header.length` bytes of `body`. A driver that keeps only part of a body (GOAWAY debug data
/// beyond its limit, SPEC [LIMIT-4]) passes a header whose `length` it lowered to what it kept.
pub fn decode_body<'a>(header: &Header, body: &'a [u8]) -> Result<Frame<'a>, DecodeError> {
    header.check()?;
    let length = header.length as usize;
    match body.get(..length) {
        Some(body) => Ok(Frame::load(header, body)?),
        None => Err(DecodeError::Incomplete {
            needed: NonZeroUsize::new(length - body.len()).unwrap_or(NonZeroUsize::MIN),
        }),
    }
}

/// Decodes the frame at the start of `input`: the frame and the number of bytes it spans.
pub fn decode_frame(input: &[u8]) -> Result<(Frame<'_>, usize), DecodeError> {
    let (rest, frame) = parse::parse_frame(input).map_err(into_decode_error)?;
    Ok((frame, input.len() - rest.len()))
}

fn into_decode_error(err: nom::Err<ParseFailure>) -> DecodeError {
    match err {
        nom::Err::Incomplete(needed) => {
            let needed = match needed {
                nom::Needed::Size(n) => n,
                nom::Needed::Unknown => NonZeroUsize::MIN,
            };
            DecodeError::Incomplete { needed }
        }
        nom::Err::Error(ParseFailure::Violation(v))
        | nom::Err::Failure(ParseFailure::Violation(v)) => DecodeError::Violation(v),
        nom::Err::Error(ParseFailure::Nom(kind)) | nom::Err::Failure(ParseFailure::Nom(kind)) => {
            unreachable!("streaming number and take parsers only report Incomplete, got {kind:?}")
        }
    }
}

/// Iterates over the frames in a buffer: each item is a frame, or the error that stops the
/// iteration (an incomplete trailing frame, or a violation). Nothing is yielded after an error.
#[derive(Clone, Debug)]
pub struct Frames<'a> {
    input: &'a [u8],
    offset: usize,
    done: bool,
}

impl<'a> Frames<'a> {
    /// Frames of `input`, from its start.
    pub fn new(input: &'a [u8]) -> Frames<'a> {
        Frames {
            input,
            offset: 0,
            done: false,
        }
    }

    /// How many bytes the frames yielded so far span.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<Frame<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = &self.input[self.offset..];
        if self.done || rest.is_empty() {
            return None;
        }
        match decode_frame(rest) {
            Ok((frame, used)) => {
                self.offset += used;
                Some(Ok(frame))
            }
            Err(err) => {
                self.done = true;
                Some(Err(err))
            }
        }
    }
}
