//! The bench peers' side of `ci/bench`: what a client does for each workload and what a server
//! does with each stream, written once against two small traits so that every Rust
//! multiplexer (the reference, plain TCP, ngrok's `muxado` crate, `yamux`) runs exactly the same
//! code. The Go peer (`interop/go/cmd/benchpeer`) implements the same contract; `bench/README.md`
//! describes it.
//!
//! The contract, per stream: the opener's first byte names what the acceptor does with it
//! ([`wire::Op`]); everything after it is payload. A client prints one `RESULT <json>` line.

pub mod client;
pub mod peer;
pub mod server;
pub mod wire;

use std::future::Future;
use std::io;

use tokio::io::{AsyncRead, AsyncWrite};

/// Opens streams on one connection (a multiplexed session, or for plain TCP a fresh
/// connection per stream). Cheap to clone: every concurrent task of a workload holds one.
pub trait Opener: Clone + Send + Sync + 'static {
    /// The stream type. Closing the write side is `shutdown`; dropping it releases it.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// Opens a stream.
    fn open(&self) -> impl Future<Output = io::Result<Self::Stream>> + Send;
}

/// Makes sessions: dials the server and starts a session on the connection (for plain TCP,
/// nothing: its opener connects anew per stream). The workloads over many sessions dial one
/// per session; the session lives as long as its opener or a stream of it.
pub trait Dialer: Send + Sync + 'static {
    /// The opener of a dialed session.
    type Opener: Opener;

    /// Dials a new session.
    fn dial(&self) -> impl Future<Output = io::Result<Self::Opener>> + Send;
}
