//! The 8-byte frame header (SPEC section 3.1).

use nom::IResult;
use nom::Parser;
use nom::number::streaming::{be_u8, be_u24, be_u32};

use super::error::Violation;
use super::parse::ParseFailure;
use super::types::{Flags, FrameType, StreamId};

/// Size of the frame header in bytes (SPEC [FRAME-1]).
pub const HEADER_LEN: usize = 8;

/// The largest body length the 24-bit length field can express, 2^24-1 (SPEC [FRAME-2]).
pub const MAX_BODY_LEN: usize = 0x00FF_FFFF;

/// A decoded frame header, before its body is looked at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Header {
    /// Number of body bytes after the header (SPEC [FRAME-2]).
    pub length: u32,
    /// The frame type (SPEC [FRAME-3]).
    pub frame_type: FrameType,
    /// The raw 4-bit flags field, unknown bits included (SPEC [FRAME-9]).
    pub flags: Flags,
    /// The stream id with the reserved bit masked off (SPEC [FRAME-5]).
    pub stream_id: StreamId,
    /// Whether the reserved bit of the stream-id word was set (ignored, SPEC [FRAME-5]).
    pub reserved_bit: bool,
}

impl Header {
    /// Checks what the header alone can show, in the order SPEC [FRAME-7] fixes: first the
    /// length allowed for the type, then the stream id allowed for the type.
    pub fn check(&self) -> Result<(), Violation> {
        let length = self.length;
        let zero = self.stream_id.is_zero();
        match self.frame_type {
            FrameType::RST if length != 4 => Err(Violation::RstLength { length }),
            FrameType::RST if zero => Err(Violation::RstStreamZero),
            FrameType::DATA if zero => Err(Violation::DataStreamZero),
            FrameType::WNDINC if length != 4 => Err(Violation::WndIncLength { length }),
            FrameType::WNDINC if zero => Err(Violation::WndIncStreamZero),
            FrameType::GOAWAY if length < 8 => Err(Violation::GoAwayLength { length }),
            FrameType::GOAWAY if !zero => Err(Violation::GoAwayStreamNonZero {
                stream_id: self.stream_id,
            }),
            _ => Ok(()),
        }
    }

    /// Appends the 8 header bytes; the reserved bit is always written as zero (SPEC [FRAME-4]).
    pub(crate) fn encode(
        dst: &mut Vec<u8>,
        length: usize,
        frame_type: FrameType,
        flags: Flags,
        stream_id: StreamId,
    ) {
        debug_assert!(length <= MAX_BODY_LEN && stream_id.is_valid());
        let length = (length as u32).to_be_bytes();
        dst.extend_from_slice(&length[1..]);
        dst.push(frame_type.get() << 4 | flags.get());
        dst.extend_from_slice(&stream_id.get().to_be_bytes());
    }
}

/// One line with the fields Go's debug framer prints: type, stream id, length, flags.
impl std::fmt::Display for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} stream_id={} length={} flags={}",
            self.frame_type, self.stream_id, self.length, self.flags
        )
    }
}

/// Parses a header without judging it. Asks for exactly the missing header bytes when the
/// input is short, so a caller can read precisely what is needed (SPEC [FRAME-6]).
pub(crate) fn parse_header(input: &[u8]) -> IResult<&[u8], Header, ParseFailure> {
    if input.len() < HEADER_LEN {
        return Err(nom::Err::Incomplete(nom::Needed::new(
            HEADER_LEN - input.len(),
        )));
    }
    let (rest, (length, type_and_flags, word)) = (be_u24, be_u8, be_u32).parse(input)?;
    let header = Header {
        length,
        // [FRAME-3] type is the high nibble, flags the low nibble.
        frame_type: FrameType::from_nibble(type_and_flags >> 4),
        flags: Flags::from_nibble(type_and_flags),
        stream_id: StreamId::from_wire(word),
        reserved_bit: word & StreamId::RESERVED_BIT != 0,
    };
    Ok((rest, header))
}
