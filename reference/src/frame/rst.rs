//! RST (type 0x0): ends one stream abruptly (SPEC section 4.1).

use std::fmt;

use super::types::{ErrorCode, StreamId};

/// Body length of an RST frame (SPEC [RST-1]).
pub const RST_BODY_LEN: usize = 4;

/// An RST frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rst {
    /// The stream being reset; never 0 (SPEC [RST-2]).
    pub stream_id: StreamId,
    /// Why; any 32-bit value (SPEC [RST-3]).
    pub error_code: ErrorCode,
}

impl Rst {
    /// Loads the body of a frame whose header passed [`Header::check`](super::Header::check),
    /// so the body is exactly 4 bytes.
    pub(crate) fn load(stream_id: StreamId, body: &[u8; RST_BODY_LEN]) -> Rst {
        Rst {
            stream_id,
            error_code: ErrorCode(u32::from_be_bytes(*body)),
        }
    }

    pub(crate) fn encode_body(&self, dst: &mut Vec<u8>) {
        dst.extend_from_slice(&self.error_code.0.to_be_bytes());
    }
}

impl fmt::Display for Rst {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RST stream_id={} length={RST_BODY_LEN} flags=0x0 error_code={}",
            self.stream_id, self.error_code
        )
    }
}
