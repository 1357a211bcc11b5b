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
//! - [`session`]: the sans-IO session state machine: stream ids, stream states, flow control,
//!   the accept backlog, GOAWAY and the reaction to every violation. Bytes in, frames out,
//!   deterministic; no runtime either.
//! - the tokio driver (feature `tokio`, on by default): [`Session`] and [`Stream`], typed
//!   streams and the [`Heartbeat`], over any `AsyncRead + AsyncWrite` transport.
//!
//! # Example
//!
//! ```
//! use muxado_reference::Session;
//! use muxado_reference::session::Config;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Any transport works: TCP, TLS, or an in-memory pipe as here.
//! let (a, b) = tokio::io::duplex(64 * 1024);
//! let client = Session::client(a, Config::default());
//! let server = Session::server(b, Config::default());
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
//! let mut stream = client.open().await?;
//! stream.write_all(b"hello").await?;
//! stream.shutdown().await?; // half-close: FIN
//! let mut reply = Vec::new();
//! stream.read_to_end(&mut reply).await?;
//! assert_eq!(reply, b"hello");
//! # Ok(())
//! # }
//! ```
//!
//! # The Go API, side by side
//!
//! | Go (`muxado`, `muxado/v2`) | Rust (`muxado_reference`) |
//! |---|---|
//! | `Client(conn, config)`, `Server(conn, config)` | [`Session::client`], [`Session::server`], [`Session::from_tcp`], [`Session::with_addresses`] |
//! | `Session.Open`, `OpenStream` | [`Session::open`] |
//! | `Session.Accept`, `AcceptStream` | [`Session::accept`], [`Session::incoming`] (a `futures_core::Stream`) |
//! | `Session.Close` | [`Session::close`] (and dropping every handle) |
//! | `Session.GoAway(code, debug, deadline)` | [`Session::go_away`], [`Session::close_with`] |
//! | `Session.Wait` (local error, remote error, debug) | [`Session::wait`] → [`session::Termination`] |
//! | `Session.LocalAddr`, `Addr`, `RemoteAddr` | [`Session::local_addr`], [`Session::remote_addr`] |
//! | `Stream.Read`, `Write` | `tokio::io::AsyncRead`, `AsyncWrite` for [`Stream`] |
//! | `Stream.CloseWrite` | `AsyncWriteExt::shutdown`, [`Stream::close_write`] |
//! | `Stream.Close` | dropping the [`Stream`] (or both halves of [`Stream::into_split`]) |
//! | (none: v2 has no reset API) | [`Stream::reset`] |
//! | `Stream.SetDeadline`, `SetReadDeadline`, `SetWriteDeadline` | [`Stream::set_deadline`], [`Stream::set_read_deadline`], [`Stream::set_write_deadline`] (the read deadline works; in Go 2016 it does nothing) |
//! | `Stream.Id`, `Session`, `LocalAddr`, `RemoteAddr` | [`Stream::id`], (keep the [`Session`]), [`Stream::local_addr`], [`Stream::remote_addr`] |
//! | `GetError(err)` | [`stream_error`] and [`session::Error::code`] |
//! | `NewTypedStreamSession(s)`; `OpenTypedStream`; `AcceptTypedStream` | [`Session::open_typed`], [`Session::accept_typed`] |
//! | `NewHeartbeat(sess, cb, config)`; `Start` | [`Heartbeat::start`] (callback gets [`HeartbeatEvent`]) |
//! | `Heartbeat.Beat` (v2) | [`Heartbeat::beat`] |
//! | `Heartbeat.AcceptTypedStream`, `Accept` | [`Heartbeat::accept_typed`] |
//! | `Heartbeat.SetInterval`, `SetTolerance` | [`HeartbeatConfig`] fields, set at start |
//! | `HeartbeatConfig{Interval, Tolerance, Type}` | [`HeartbeatConfig`] (same defaults: 10 s, 15 s, `0xFFFFFFFF`) |
//! | `Config.MaxWindowSize` (256 KiB) | [`session::Config::max_window_size`] (256 KiB) |
//! | `Config.AcceptBacklog` (128) | [`session::Config::accept_backlog`] (128) |
//! | (fixed: 1 ms for every SYN that finds the backlog full) | [`session::Config::accept_patience`] (100 ms, then refusals at once until the backlog has room) |
//! | `Config.NewFramer` (debug framer) | the `tracing` target `muxado::frame`: one line per frame sent or received, at debug level |
//! | write queue (64 frames, internal) | [`session::Config::write_queue_bytes`] |
//! | (none) | [`session::Config::max_streams`], [`session::Config::max_goaway_debug`] (Go: 1 MiB, fixed), [`session::Config::max_frame_size`], [`session::Config::reset_linger`] (Go: 5 s, fixed) |
//! | `ErrorCode` constants | [`frame::ErrorCode`] constants |

pub mod frame;
pub mod session;

#[cfg(feature = "tokio")]
pub mod driver;

#[cfg(feature = "tokio")]
pub use driver::{
    Heartbeat, HeartbeatConfig, HeartbeatEvent, Incoming, ReadHalf, Session, Stream, WriteHalf,
    stream_error,
};
