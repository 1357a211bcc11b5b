//! Reference implementation of the muxado stream-multiplexing wire protocol.
//!
//! This crate is written to be read next to `SPEC.md`: every rule it enforces cites the
//! requirement id it implements (`[FRAME-7]`, `[WNDINC-4]`, ...). It favours obvious
//! correctness over cleverness, and speaks the protocol byte for byte like Go's
//! `github.com/inconshreveable/muxado` and `golang.ngrok.com/muxado/v2`.
//!
//! Three layers, each usable on its own:
//!
//! - [`frame`]: the specification as a library: a zero-copy, streaming frame codec with no
//!   I/O and no runtime (`default-features = false`).
//! - [`session`]: the sans-IO session machine ([`session::Machine`]): stream ids, stream
//!   states, flow control, the accept backlog, GOAWAY and the reaction to every violation.
//!   Bytes in, frames out, deterministic; no runtime either.
//! - the tokio driver (feature `tokio`, on by default): [`Session`] and [`Stream`], typed
//!   streams and the [`Heartbeat`], over any `AsyncRead + AsyncWrite` transport.
//!
//! # Example
//!
//! ```
//! use muxado_reference::{Config, Session};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Any transport works: TCP, TLS, or an in-memory pipe as here.
//! let (a, b) = tokio::io::duplex(64 * 1024);
//! let client = Session::client(a, Config::default());
//! let server = Session::server(b, Config::default().with_accept_backlog(16));
//!
//! // The server echoes every stream the client opens.
//! tokio::spawn(async move {
//!     while let Ok(mut stream) = server.accept().await {
//!         let mut request = Vec::new();
//!         stream.read_to_end(&mut request).await.ok();
//!         stream.write_all(&request).await.ok();
//!     }
//! });
//!
//! let mut stream = client.open()?; // nothing to wait for: the SYN rides on the first write
//! stream.write_all(b"hello").await?;
//! stream.shutdown().await?; // half-close: FIN
//! let mut reply = Vec::new();
//! stream.read_to_end(&mut reply).await?;
//! assert_eq!(reply, b"hello");
//! # Ok(())
//! # }
//! ```
//!
//! The root exports what a tokio user needs: [`Session`], [`Stream`] and its halves
//! ([`ReadHalf`], [`WriteHalf`]), [`Incoming`], [`Heartbeat`], [`Config`], [`Role`],
//! [`Error`] (the driver's), [`ErrorCode`], [`StreamId`], [`Termination`]. The session
//! machine and its own [`session::Error`] stay in [`session`].
//!
//! # The Go API, side by side
//!
//! | Go (`muxado`, `muxado/v2`) | Rust (`muxado_reference`) |
//! |---|---|
//! | `Client(conn, config)`, `Server(conn, config)` | [`Session::client`], [`Session::server`], [`Session::from_tcp`], [`Session::with_addresses`] |
//! | `Session.Open`, `OpenStream` | [`Session::open`] (not `async`: nothing is sent until the first write) |
//! | `Session.Accept`, `AcceptStream` | [`Session::accept`], [`Session::incoming`] (a `futures_core::Stream`; [`Incoming::termination`] once it ends) |
//! | `Session.Close` | [`Session::close`] (and dropping every handle) |
//! | `Session.GoAway(code, debug, deadline)` | [`Session::go_away`], [`Session::close_with`] |
//! | `Session.Wait` (local error, remote error, debug) | [`Session::wait`] → [`Termination`] |
//! | `Session.LocalAddr`, `Addr`, `RemoteAddr` | [`Session::local_addr`], [`Session::remote_addr`] |
//! | `Stream.Read`, `Write` | `tokio::io::AsyncRead`, `AsyncWrite` for [`Stream`] |
//! | `Stream.CloseWrite` | `AsyncWriteExt::shutdown`, [`Stream::close_write`] |
//! | `Stream.Close` | dropping the [`Stream`] (or both halves of [`Stream::into_split`]) |
//! | (none: v2 has no reset API) | [`Stream::reset`] |
//! | `Stream.SetDeadline`, `SetReadDeadline`, `SetWriteDeadline` | [`Stream::set_deadline`], [`Stream::set_read_deadline`], [`Stream::set_write_deadline`] (the read deadline works; in Go 2016 it does nothing) |
//! | `Stream.Id`, `Session`, `LocalAddr`, `RemoteAddr` | [`Stream::id`] → [`StreamId`], (keep the [`Session`]), [`Stream::local_addr`], [`Stream::remote_addr`] |
//! | `GetError(err)` | [`stream_error`] and [`Error::code`] |
//! | `NewTypedStreamSession(s)`; `OpenTypedStream`; `AcceptTypedStream` | [`Session::open_typed`], [`Session::accept_typed`] |
//! | `NewHeartbeat(sess, cb, config)`; `Start` | [`Heartbeat::start`] (callback gets [`HeartbeatEvent`]) |
//! | `Heartbeat.Beat` (v2) | [`Heartbeat::beat`] |
//! | `Heartbeat.AcceptTypedStream`, `Accept` | [`Heartbeat::accept_typed`] |
//! | `Heartbeat.SetInterval`, `SetTolerance` | [`HeartbeatConfig::with_interval`], [`HeartbeatConfig::with_tolerance`], set at start |
//! | `HeartbeatConfig{Interval, Tolerance, Type}` | [`HeartbeatConfig`] (same defaults: 10 s, 15 s, `0xFFFFFFFF`) |
//! | `Config.MaxWindowSize` (256 KiB) | [`Config::with_max_window_size`] (256 KiB) |
//! | `Config.AcceptBacklog` (128) | [`Config::with_accept_backlog`] (128) |
//! | (fixed: 1 ms for every SYN that finds the backlog full) | [`Config::with_accept_patience`] (100 ms, then refusals at once until the backlog has room) |
//! | `Config.NewFramer` (debug framer) | the `tracing` target `muxado::frame`: one line per frame sent or received, at debug level |
//! | write queue (64 frames, internal) | [`Config::with_write_queue_bytes`] |
//! | (none) | [`Config::with_max_streams`], [`Config::with_max_goaway_debug`] (Go: 1 MiB, fixed), [`Config::with_max_frame_size`], [`Config::with_reset_linger`] (Go: 5 s, fixed) |
//! | `ErrorCode` constants | [`ErrorCode`] constants |
//!
//! # Coming from yamux, or from ngrok's `muxado` crate
//!
//! | [`yamux`](https://docs.rs/yamux) (0.13) | ngrok's [`muxado`](https://docs.rs/muxado) crate | here |
//! |---|---|---|
//! | `Connection::new(io, config, Mode::Client)`, then poll it | `SessionBuilder::new(io).client().start()` | [`Session::client`] (`server`, `from_tcp`): spawns its own driver task |
//! | `Config::default()` + `set_*` | `SessionBuilder` methods | [`Config::default()`](Config) + `with_*` |
//! | `set_max_num_streams` | `stream_limit` (local and peer streams) | [`Config::with_max_streams`] (the peer's streams only) |
//! | `set_max_connection_receive_window` (per connection) | `window_size` | [`Config::with_max_window_size`] (per stream, fixed: muxado has no window update beyond it) |
//! | (none) | `accept_queue_size` | [`Config::with_accept_backlog`] |
//! | `poll_new_outbound` | `OpenClose::open` (`async`) | [`Session::open`] (synchronous) |
//! | `poll_next_inbound` | `Accept::accept` (`None` at the end, no reason) | [`Session::accept`] (the reason in its error), [`Session::incoming`] ([`Incoming::termination`]) |
//! | `poll_close` | `OpenClose::close` (GOAWAY with a code) | [`Session::close`], [`Session::close_with`], [`Session::go_away`] |
//! | `Stream` (`futures::io` traits) | `Stream` (tokio traits) | [`Stream`] (tokio traits) |
//! | `Stream::id()` → `StreamId` | (none) | [`Stream::id`] → [`StreamId`] |
//! | `ConnectionError` | `muxado::Error` (an enum of error codes, inside `io::Error`) | [`Error`], [`Error::code`] → [`ErrorCode`]; [`stream_error`] finds it in an `io::Error` |
//! | (none) | `typed::Typed`, `TypedOpenClose::open_typed`, `TypedAccept::accept_typed` | [`Session::open_typed`], [`Session::accept_typed`] |
//! | (none) | `heartbeat::Heartbeat::start` | [`Heartbeat::start`] |
//! | (none) | (none) | [`session::Machine`]: the sans-IO session, for a runtime of your own |

// The crate docs name the tokio driver's types; without the `tokio` feature (the codec and the
// session machine alone) those links have nothing to point at, and the docs say so in words.
#![cfg_attr(not(feature = "tokio"), allow(rustdoc::broken_intra_doc_links))]

pub mod frame;
pub mod session;

#[cfg(feature = "tokio")]
pub mod driver;

pub use frame::{ErrorCode, StreamId};
pub use session::{Config, RemoteGoAway, Role, Termination};

#[cfg(feature = "tokio")]
pub use driver::{
    Error, Heartbeat, HeartbeatConfig, HeartbeatEvent, Incoming, ReadHalf, Session, Stream,
    WriteHalf, stream_error,
};
