//! Reference implementation of the muxado stream-multiplexing wire protocol.
//!
//! This crate is written to be read next to `SPEC.md`: every rule it enforces cites the
//! requirement id it implements (`[FRAME-7]`, `[WNDINC-4]`, ...). It favours obvious
//! correctness over cleverness.
//!
//! The [`frame`] module is the specification as a library: a zero-copy, streaming frame codec
//! with no I/O and no runtime, usable with `default-features = false`.
//!
//! ```
//! use muxado_reference::frame::{self, Data, Frame, StreamId};
//!
//! let mut wire = Vec::new();
//! let syn = Frame::Data(Data { stream_id: StreamId::new(3), fin: false, syn: true, payload: b"hi" });
//! syn.encode(&mut wire)?;
//! assert_eq!(wire, [0, 0, 2, 0x12, 0, 0, 0, 3, b'h', b'i']);
//!
//! let (decoded, used) = frame::decode_frame(&wire)?;
//! assert_eq!(decoded, syn);
//! assert_eq!(used, wire.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod frame;
pub mod session;

#[cfg(feature = "tokio")]
pub mod driver;

#[cfg(feature = "tokio")]
pub use driver::{
    Heartbeat, HeartbeatConfig, HeartbeatEvent, Incoming, ReadHalf, Session, Stream, WriteHalf,
    stream_error,
};
