//! Typed streams (SPEC section 10.1) over the sans-IO [`Machine`]: the acceptor side, which
//! reads each accepted stream's 4-byte type before handing the stream over. The tokio driver
//! does the same with async reads; a harness that drives a [`Machine`] by hand (the
//! conformance agent) uses this.

use std::collections::VecDeque;

use super::{Machine, Read};
use crate::frame::StreamId;

/// Streams accepted from the session whose type is still arriving, in the order their SYNs
/// arrived ([STREAM-4]).
#[derive(Clone, Debug, Default)]
pub struct TypedAcceptor {
    pending: VecDeque<(StreamId, Vec<u8>)>,
}

/// The length of a typed stream's type prefix ([TYPED-1]).
pub const TYPE_LEN: usize = 4;

impl TypedAcceptor {
    /// An acceptor with nothing pending.
    pub fn new() -> TypedAcceptor {
        TypedAcceptor::default()
    }

    /// Takes every stream the session accepted, while fewer than `limit` wait for their type
    /// (the rest stay in the session's own backlog, so that [LIMIT-3] still bounds them).
    pub fn take_accepted(&mut self, session: &mut Machine, limit: usize) {
        while self.pending.len() < limit {
            match session.accept() {
                Some(id) => self.pending.push_back((id, Vec::with_capacity(TYPE_LEN))),
                None => break,
            }
        }
    }

    /// Reads what has arrived of each pending stream's type; the first stream whose 4 type
    /// bytes are all in, with its type. A stream that ends (FIN or RST) before its type is
    /// closed and never delivered ([TYPED-3]). `limit` as in [`TypedAcceptor::take_accepted`].
    pub fn poll_accept(&mut self, session: &mut Machine, limit: usize) -> Option<(StreamId, u32)> {
        self.take_accepted(session, limit);
        let mut ready = None;
        let mut i = 0;
        while i < self.pending.len() {
            let (id, prefix) = &mut self.pending[i];
            let id = *id;
            let mut ended = false;
            while prefix.len() < TYPE_LEN {
                let mut buf = [0u8; TYPE_LEN];
                let want = TYPE_LEN - prefix.len();
                match session.read(id, &mut buf[..want]) {
                    Ok(Read::Data(n)) if n > 0 => prefix.extend_from_slice(&buf[..n]),
                    Ok(Read::Data(_)) | Ok(Read::Blocked) => break,
                    Ok(Read::Eof) | Err(_) => {
                        ended = true;
                        break;
                    }
                }
            }
            if prefix.len() == TYPE_LEN && ready.is_none() {
                let t = u32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]);
                ready = Some((i, (id, t)));
            } else if ended {
                // [TYPED-3] ended before its type: closed, not delivered.
                session.close_stream(id);
                self.pending.remove(i);
                continue;
            }
            i += 1;
        }
        let (i, found) = ready?;
        self.pending.remove(i);
        Some(found)
    }

    /// Streams waiting for their type.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}
