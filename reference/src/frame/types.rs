//! The protocol's registry values, as newtypes in which every wire value stays representable.

use std::fmt;

/// A stream id: the low 31 bits of a frame header's stream-id word (SPEC [FRAME-4]).
///
/// The newtype holds any `u32` so that an out-of-range value (one with the reserved bit set,
/// as Go produces, SPEC [INTEROP-7]) can be represented and refused by the encoder; the
/// decoder only ever produces ids that fit in 31 bits (SPEC [FRAME-5]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId(u32);

impl StreamId {
    /// Stream id 0: never a stream; the stream id of GOAWAY frames (SPEC [ID-1]).
    pub const ZERO: StreamId = StreamId(0);
    /// The largest stream id, 2^31-1 (SPEC [ID-5]).
    pub const MAX: StreamId = StreamId(0x7FFF_FFFF);
    /// The reserved high bit of the stream-id word (SPEC [FRAME-4]).
    pub const RESERVED_BIT: u32 = 0x8000_0000;

    /// A stream id with the given value, which may be out of range (see [`StreamId::is_valid`]).
    pub const fn new(value: u32) -> StreamId {
        StreamId(value)
    }

    /// Decodes a stream-id word from the wire, ignoring the reserved bit (SPEC [FRAME-5]).
    pub const fn from_wire(word: u32) -> StreamId {
        StreamId(word & !Self::RESERVED_BIT)
    }

    /// The id's value.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// True when the value fits in 31 bits, i.e. may be put on the wire (SPEC [FRAME-4]).
    pub const fn is_valid(self) -> bool {
        self.0 & Self::RESERVED_BIT == 0
    }

    /// True for stream 0.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// True for ids a client allocates: odd ids (SPEC [ID-1]).
    pub const fn is_client_initiated(self) -> bool {
        self.0 & 1 == 1
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// A 32-bit error code carried by RST and GOAWAY frames (SPEC section 9).
///
/// Every 32-bit value is representable: receivers must accept unknown codes (SPEC [ERR-1]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ErrorCode(pub u32);

macro_rules! error_codes {
    ($($(#[$doc:meta])* $name:ident = $value:literal,)*) => {
        impl ErrorCode {
            $($(#[$doc])* pub const $name: ErrorCode = ErrorCode($value);)*

            /// The code's name in SPEC.md's error-code table, if it has one.
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some(stringify!($name)),)*
                    _ => None,
                }
            }

            /// The code with the given SPEC.md name (`"PROTOCOL_ERROR"`), if any.
            pub fn from_name(name: &str) -> Option<ErrorCode> {
                match name {
                    $(stringify!($name) => Some(ErrorCode::$name),)*
                    _ => None,
                }
            }
        }
    };
}

error_codes! {
    /// 0x0: orderly shutdown (GOAWAY).
    NO_ERROR = 0x0,
    /// 0x1: the peer violated the specification (GOAWAY).
    PROTOCOL_ERROR = 0x1,
    /// 0x2: the sender failed internally (GOAWAY).
    INTERNAL_ERROR = 0x2,
    /// 0x3: the peer overran a stream's window (RST, SPEC [FLOW-4]).
    FLOW_CONTROL_ERROR = 0x3,
    /// 0x4: DATA for a closed or unknown stream (RST, SPEC [STREAM-8]).
    STREAM_CLOSED = 0x4,
    /// 0x5: SYN received after GOAWAY was sent (RST, SPEC [GOAWAY-8]).
    STREAM_REFUSED = 0x5,
    /// 0x6: stream cancelled by the application (RST).
    STREAM_CANCELLED = 0x6,
    /// 0x7: stream reset by the application (RST).
    STREAM_RESET = 0x7,
    /// 0x8: a frame length not allowed for its type (GOAWAY).
    FRAME_SIZE_ERROR = 0x8,
    /// 0x9: the acceptor's backlog was full (RST, SPEC [STREAM-5]).
    ACCEPT_QUEUE_FULL = 0x9,
    /// 0xA: the peer exceeded a limit (GOAWAY or RST).
    ENHANCE_YOUR_CALM = 0xA,
    /// 0xB: local only: the peer sent GOAWAY.
    REMOTE_GONE_AWAY = 0xB,
    /// 0xC: local only: no stream id left (SPEC [ID-5]).
    STREAMS_EXHAUSTED = 0xC,
    /// 0xD: local only: a write deadline expired.
    WRITE_TIMEOUT = 0xD,
    /// 0xE: local only: the session ended.
    SESSION_CLOSED = 0xE,
    /// 0xF: the transport reached end-of-file.
    PEER_EOF = 0xF,
    /// 0xFF: an error without a muxado code.
    UNKNOWN = 0xFF,
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({:#x})", self.0),
            None => write!(f, "{:#x}", self.0),
        }
    }
}

/// The 4-bit frame type (SPEC [FRAME-3]); values 4 to 15 are unknown types (SPEC [FRAME-11]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FrameType(u8);

impl FrameType {
    /// 0x0: RST.
    pub const RST: FrameType = FrameType(0x0);
    /// 0x1: DATA.
    pub const DATA: FrameType = FrameType(0x1);
    /// 0x2: WNDINC.
    pub const WNDINC: FrameType = FrameType(0x2);
    /// 0x3: GOAWAY.
    pub const GOAWAY: FrameType = FrameType(0x3);

    /// The type with the given 4-bit value, or `None` above 15.
    pub const fn new(value: u8) -> Option<FrameType> {
        if value <= 0xF {
            Some(FrameType(value))
        } else {
            None
        }
    }

    /// The type in the low 4 bits of `value`; higher bits are dropped.
    pub const fn from_nibble(value: u8) -> FrameType {
        FrameType(value & 0xF)
    }

    /// The type's 4-bit value.
    pub const fn get(self) -> u8 {
        self.0
    }

    /// True for RST, DATA, WNDINC and GOAWAY.
    pub const fn is_known(self) -> bool {
        self.0 <= 0x3
    }

    /// The type's name, `UNKNOWN` for types 4 to 15.
    pub const fn name(self) -> &'static str {
        match self.0 {
            0x0 => "RST",
            0x1 => "DATA",
            0x2 => "WNDINC",
            0x3 => "GOAWAY",
            _ => "UNKNOWN",
        }
    }
}

impl fmt::Display for FrameType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_known() {
            f.write_str(self.name())
        } else {
            write!(f, "UNKNOWN({:#x})", self.0)
        }
    }
}

/// The 4-bit flags field of a frame header (SPEC [FRAME-3]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Flags(u8);

impl Flags {
    /// No flag set.
    pub const NONE: Flags = Flags(0);
    /// DATA: last frame of the sender's half of the stream (SPEC [STREAM-6]).
    pub const FIN: Flags = Flags(0x1);
    /// DATA: this frame opens the stream (SPEC [STREAM-1]).
    pub const SYN: Flags = Flags(0x2);

    /// Flags with the given 4-bit value, or `None` above 15.
    pub const fn new(value: u8) -> Option<Flags> {
        if value <= 0xF {
            Some(Flags(value))
        } else {
            None
        }
    }

    /// The flags in the low 4 bits of `value`; higher bits are dropped.
    pub const fn from_nibble(value: u8) -> Flags {
        Flags(value & 0xF)
    }

    /// The 4-bit value.
    pub const fn get(self) -> u8 {
        self.0
    }

    /// True when every bit of `other` is set in `self`.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// The union of both flag sets.
    pub const fn union(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }
}

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}
