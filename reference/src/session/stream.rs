//! Per-stream state: the two halves of SPEC section 6 and the two windows of section 7.

use std::collections::VecDeque;

use super::error::Error;

/// The receiving half: bytes from the peer waiting for the application.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct RecvHalf {
    /// Bytes received and not yet read (SPEC [FLOW-4] bounds it by W).
    pub buffer: VecDeque<u8>,
    /// Bytes read by the application and not yet credited by WNDINC (SPEC [FLOW-6]).
    pub uncredited: u32,
    /// The peer sent FIN: once the buffer is empty, reads see end-of-stream.
    pub fin: bool,
}

/// The sending half: what the peer lets us send.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct SendHalf {
    /// Bytes we may still send (SPEC [FLOW-3]); starts at our own W (SPEC [FLOW-2]).
    pub window: u64,
    /// Whether our first frame (with SYN) has been sent (SPEC [STREAM-2]).
    pub syn_sent: bool,
    /// Whether we sent FIN.
    pub fin: bool,
}

/// One stream of the session.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Stream {
    pub recv: RecvHalf,
    pub send: SendHalf,
    /// Set when the stream ended abnormally: every later operation fails with it.
    pub error: Option<Error>,
    /// True once the application has let go of the stream (Go's `Close`); the stream is then
    /// forgotten (SPEC [STREAM-9]).
    pub released: bool,
}

impl Stream {
    /// A new stream; `opened_locally` streams still owe the peer their SYN.
    pub fn new(window: u32, opened_locally: bool) -> Stream {
        Stream {
            recv: RecvHalf {
                buffer: VecDeque::new(),
                uncredited: 0,
                fin: false,
            },
            send: SendHalf {
                window: u64::from(window),
                syn_sent: !opened_locally,
                fin: false,
            },
            error: None,
            released: false,
        }
    }

    /// The receive half still accepts DATA (SPEC state table): no FIN received, not reset,
    /// not released.
    pub fn receiving(&self) -> bool {
        !self.recv.fin && self.error.is_none() && !self.released
    }

    /// The send half may still send DATA (SPEC [STREAM-12]).
    pub fn sending(&self) -> bool {
        !self.send.fin && self.error.is_none() && !self.released
    }

    /// Both halves ended by FIN, or the stream failed: the protocol no longer knows it
    /// (SPEC [STREAM-10]).
    pub fn finished(&self) -> bool {
        (self.recv.fin && self.send.fin) || self.error.is_some() || self.released
    }
}
