//! GOAWAY (type 0x3): no new streams, and usually the end of the session (SPEC section 4.4).

use std::fmt;

use super::types::{ErrorCode, StreamId};

/// Length of the fixed part of a GOAWAY body (SPEC [GOAWAY-1]).
pub const GOAWAY_FIXED_LEN: usize = 8;

/// A GOAWAY frame. The debug data borrows from the decoder's input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GoAway<'a> {
    /// The last peer stream the sender accepted (SPEC [GOAWAY-5]).
    pub last_stream_id: StreamId,
    /// Why the sender is going away (SPEC [GOAWAY-3]).
    pub error_code: ErrorCode,
    /// Opaque debug data, usually UTF-8 text (SPEC [GOAWAY-4]).
    pub debug: &'a [u8],
}

impl<'a> GoAway<'a> {
    /// Loads a GOAWAY body of at least 8 bytes; the reserved bit of the last-stream-id word is
    /// ignored (SPEC [GOAWAY-3]).
    pub(crate) fn load(fixed: &[u8; GOAWAY_FIXED_LEN], debug: &'a [u8]) -> GoAway<'a> {
        let [a, b, c, d, e, f, g, h] = *fixed;
        GoAway {
            last_stream_id: StreamId::from_wire(u32::from_be_bytes([a, b, c, d])),
            error_code: ErrorCode(u32::from_be_bytes([e, f, g, h])),
            debug,
        }
    }

    pub(crate) fn encode_body(&self, dst: &mut Vec<u8>) {
        dst.extend_from_slice(&self.last_stream_id.get().to_be_bytes());
        dst.extend_from_slice(&self.error_code.0.to_be_bytes());
        dst.extend_from_slice(self.debug);
    }
}

impl fmt::Display for GoAway<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "GOAWAY stream_id=0x0 length={} flags=0x0 last_stream_id={} error_code={} debug={:?}",
            GOAWAY_FIXED_LEN + self.debug.len(),
            self.last_stream_id,
            self.error_code,
            String::from_utf8_lossy(self.debug)
        )
    }
}
