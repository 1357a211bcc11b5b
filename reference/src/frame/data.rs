//! DATA (type 0x1): stream bytes, with the SYN and FIN flags (SPEC section 4.2).

use std::fmt;

use super::types::{Flags, StreamId};

/// A DATA frame. The payload borrows from the decoder's input: decoding never copies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Data<'a> {
    /// The stream; never 0 (SPEC [DATA-1]).
    pub stream_id: StreamId,
    /// Last frame of the sender's half (SPEC [STREAM-6]).
    pub fin: bool,
    /// First frame of the stream (SPEC [STREAM-1]).
    pub syn: bool,
    /// The stream bytes, 0 to 2^24-1 of them (SPEC [DATA-2]).
    pub payload: &'a [u8],
}

impl<'a> Data<'a> {
    /// Loads a DATA frame. Flag bits other than FIN and SYN are dropped (SPEC [FRAME-9]).
    pub(crate) fn load(stream_id: StreamId, flags: Flags, payload: &'a [u8]) -> Data<'a> {
        Data {
            stream_id,
            fin: flags.contains(Flags::FIN),
            syn: flags.contains(Flags::SYN),
            payload,
        }
    }

    /// The flags field this frame is sent with.
    pub fn flags(&self) -> Flags {
        let mut flags = Flags::NONE;
        if self.fin {
            flags = flags.union(Flags::FIN);
        }
        if self.syn {
            flags = flags.union(Flags::SYN);
        }
        flags
    }
}

impl fmt::Display for Data<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DATA stream_id={} length={} flags={}",
            self.stream_id,
            self.payload.len(),
            self.flags()
        )?;
        if self.syn {
            f.write_str(" SYN")?;
        }
        if self.fin {
            f.write_str(" FIN")?;
        }
        Ok(())
    }
}
