//! What can go wrong decoding or encoding a frame, each case naming the SPEC rule it breaks.

use std::num::NonZeroUsize;

use super::types::{ErrorCode, FrameType, StreamId};

/// A frame that breaks a rule of SPEC section 4.
///
/// Every violation is a connection error (SPEC [FRAME-8]): [`Violation::error_code`] is the
/// code of the GOAWAY the receiver sends, [`Violation::requirement`] the id of the rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// An RST frame whose length is not 4.
    #[error("[RST-1] RST frame length must be 4, got {length}")]
    RstLength {
        /// The header's length field.
        length: u32,
    },
    /// An RST frame on stream 0.
    #[error("[RST-2] RST frame on stream 0")]
    RstStreamZero,
    /// A DATA frame on stream 0.
    #[error("[DATA-1] DATA frame on stream 0")]
    DataStreamZero,
    /// A WNDINC frame whose length is not 4.
    #[error("[WNDINC-1] WNDINC frame length must be 4, got {length}")]
    WndIncLength {
        /// The header's length field.
        length: u32,
    },
    /// A WNDINC frame on stream 0.
    #[error("[WNDINC-2] WNDINC frame on stream 0")]
    WndIncStreamZero,
    /// A WNDINC frame whose increment is zero.
    #[error("[WNDINC-4] WNDINC increment of zero on stream {stream_id}")]
    WndIncZero {
        /// The stream the frame was for.
        stream_id: StreamId,
    },
    /// A GOAWAY frame shorter than 8 bytes.
    #[error("[GOAWAY-1] GOAWAY frame length must be at least 8, got {length}")]
    GoAwayLength {
        /// The header's length field.
        length: u32,
    },
    /// A GOAWAY frame on a stream other than 0.
    #[error("[GOAWAY-2] GOAWAY frame on stream {stream_id}, must be 0")]
    GoAwayStreamNonZero {
        /// The frame's (masked) stream id.
        stream_id: StreamId,
    },
}

impl Violation {
    /// The SPEC requirement id this violation breaks, e.g. `"RST-1"`.
    pub const fn requirement(&self) -> &'static str {
        match self {
            Violation::RstLength { .. } => "RST-1",
            Violation::RstStreamZero => "RST-2",
            Violation::DataStreamZero => "DATA-1",
            Violation::WndIncLength { .. } => "WNDINC-1",
            Violation::WndIncStreamZero => "WNDINC-2",
            Violation::WndIncZero { .. } => "WNDINC-4",
            Violation::GoAwayLength { .. } => "GOAWAY-1",
            Violation::GoAwayStreamNonZero { .. } => "GOAWAY-2",
        }
    }

    /// The error code the receiver must send in its GOAWAY (SPEC [FRAME-8], [ERR-3]).
    pub const fn error_code(&self) -> ErrorCode {
        match self {
            Violation::RstLength { .. }
            | Violation::WndIncLength { .. }
            | Violation::GoAwayLength { .. } => ErrorCode::FRAME_SIZE_ERROR,
            Violation::RstStreamZero
            | Violation::DataStreamZero
            | Violation::WndIncStreamZero
            | Violation::WndIncZero { .. }
            | Violation::GoAwayStreamNonZero { .. } => ErrorCode::PROTOCOL_ERROR,
        }
    }
}

/// Why [`decode_frame`](super::decode_frame) returned no frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input ends inside a frame: at least `needed` more bytes are required. Never
    /// returned for input that already shows a violation (SPEC [FRAME-6]).
    #[error("incomplete frame: need {needed} more bytes")]
    Incomplete {
        /// The number of bytes still missing (exact for the header and for the body).
        needed: NonZeroUsize,
    },
    /// The input holds a frame that breaks the protocol.
    #[error(transparent)]
    Violation(#[from] Violation),
}

/// Why [`Frame::encode`](super::Frame::encode) refused to produce a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The body would be longer than 2^24-1 bytes.
    #[error("[FRAME-2] frame body of {length} bytes exceeds 16777215")]
    BodyTooLong {
        /// The body length the frame would have.
        length: usize,
    },
    /// A stream id with the reserved bit set.
    #[error("[FRAME-4] stream id {stream_id} has the reserved bit set")]
    ReservedBit {
        /// The offending id.
        stream_id: StreamId,
    },
    /// A frame the receiver would reject: the violation it would report.
    #[error("refusing to encode an invalid frame: {0}")]
    Invalid(#[from] Violation),
    /// A WNDINC increment that does not fit in 31 bits.
    #[error("[WNDINC-3] window increment {increment} does not fit in 31 bits")]
    IncrementTooLarge {
        /// The offending increment.
        increment: u32,
    },
    /// A frame of an unknown type: senders must not send them.
    #[error("[FRAME-12] frames of unknown type {frame_type} must not be sent")]
    UnknownType {
        /// The frame's type.
        frame_type: FrameType,
    },
}
