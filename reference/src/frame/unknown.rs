//! Frames of types 4 to 15: skipped by receivers, never sent (SPEC section 4.5).

use std::fmt;

use super::types::{Flags, FrameType, StreamId};

/// A frame of an unknown type, kept whole so that tools can show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unknown<'a> {
    /// The type, 4 to 15.
    pub frame_type: FrameType,
    /// The raw flags.
    pub flags: Flags,
    /// The stream id, any value (SPEC [FRAME-11]).
    pub stream_id: StreamId,
    /// The body, borrowed from the decoder's input.
    pub payload: &'a [u8],
}

impl fmt::Display for Unknown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} stream_id={} length={} flags={}",
            self.frame_type,
            self.stream_id,
            self.payload.len(),
            self.flags
        )
    }
}
