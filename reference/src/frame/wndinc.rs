//! WNDINC (type 0x2): credits a stream's send window (SPEC section 4.3).

use std::fmt;

use super::types::StreamId;

/// Body length of a WNDINC frame (SPEC [WNDINC-1]).
pub const WNDINC_BODY_LEN: usize = 4;

/// The largest window increment, 2^31-1 (SPEC [WNDINC-3]).
pub const MAX_INCREMENT: u32 = 0x7FFF_FFFF;

/// A WNDINC frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WndInc {
    /// The stream whose window grows; never 0 (SPEC [WNDINC-2]).
    pub stream_id: StreamId,
    /// Bytes granted, 1 to 2^31-1 (SPEC [WNDINC-3], [WNDINC-4]).
    pub increment: u32,
}

impl WndInc {
    /// Loads a WNDINC body, ignoring the reserved high bit (SPEC [WNDINC-3]).
    pub(crate) fn load(stream_id: StreamId, body: &[u8; WNDINC_BODY_LEN]) -> WndInc {
        WndInc {
            stream_id,
            increment: u32::from_be_bytes(*body) & MAX_INCREMENT,
        }
    }

    pub(crate) fn encode_body(&self, dst: &mut Vec<u8>) {
        dst.extend_from_slice(&self.increment.to_be_bytes());
    }
}

impl fmt::Display for WndInc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "WNDINC stream_id={} length={WNDINC_BODY_LEN} flags=0x0 increment={}",
            self.stream_id, self.increment
        )
    }
}
