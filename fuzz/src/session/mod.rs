//! The session harnesses: one session against a scripted peer (`run_single`, the `session`
//! target) and two sessions wired to each other (`run_pair`, the `session_pair` target).
//!
//! Input encoding (so that `gen_corpus.py` can write seeds from the session vectors):
//! `run_single`: `[role, config, seed_lo, seed_hi]` then ops, each an op byte (`% 16`) and
//! its arguments (u16 little-endian):
//!
//! | op | meaning | args |
//! |---|---|---|
//! | 0, 15 | peer sends raw bytes | len u16, bytes |
//! | 1 | peer sends one frame built from fields (may be malformed) | type/flags, stream, value u32, len u16, fill |
//! | 2 | open | |
//! | 3 | accept | |
//! | 4 | write | stream, len u16 |
//! | 5 | read | stream, max u16 |
//! | 6 | close_write | stream |
//! | 7 | reset | stream, code |
//! | 8 | close_stream | stream |
//! | 9 | go_away | code, debug len |
//! | 10 | close | |
//! | 11 | time passes | ms u16 |
//! | 12 | peer closes the transport | |
//! | 13 | write_whole | stream, len u16 |
//! | 14 | new delivery chunking | seed u16 |
//!
//! A stream argument below 0x80 picks one of the streams the application holds (index
//! modulo their number); from 0x80 it is the raw id `arg & 0x7F`.
//!
//! `run_pair`: `[config, seed_lo, seed_hi]` then ops: the op byte's low nibble is the op
//! (`% 12`), bit 4 the side: 0 open, 1 accept, 2 write (stream, len u16 & 0x1FFF), 3 read (stream, max
//! u16), 4 close_write (stream), 5 reset (stream, code), 6 close_stream (stream), 7 go_away
//! (code), 8 close, 9 and 11 deliver (chunk u16), 10 time passes (ms u16).

mod input;
mod invariants;
mod single;

pub use input::{Input, config};
pub use invariants::{
    FULL_CHECK_STREAMS, Held, Scope, Sent, check_invariants, full_check_due, transmit,
};
pub use single::run_single;

/// Runs the `session_pair` target on `data`.
pub fn run_pair(data: &[u8]) {
    crate::pair::run(data);
}
