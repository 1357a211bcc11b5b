//! The command line and output every Rust bench peer shares (the Go peer follows the same):
//!
//! ```text
//! PEER server --listen ADDR [--default-backlog] [--heartbeat] [--max-streams N]
//!                                  prints `LISTENING <ip:port>`, serves until killed
//! PEER client --connect ADDR [--heartbeat] [--max-streams N]
//!             --workload bulk|rate|latency|memory|burst|sessions-idle|sessions-active
//!             [--size N] [--streams N] [--sessions N] [--secs F] [--samples N] [--loaded]
//!                                  prints `RESULT <json>`, exits 0 when ok, 1 when not
//! ```

use std::io::Write;
use std::process::ExitCode;

use serde_json::{Value, json};
use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpSocket, TcpStream};

use crate::client::Workload;

/// A peer's command: which side it plays.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum Side {
    /// Listen on ADDR, print `LISTENING <ip:port>`, serve every connection until killed.
    Server {
        /// The address to listen on, e.g. 127.0.0.1:0.
        #[arg(long, value_name = "ADDR")]
        listen: String,
        /// How the sessions are set up.
        #[command(flatten)]
        options: ServerOptions,
    },
    /// Connect to ADDR, run the workload, print `RESULT <json>`.
    Client {
        /// The server's address.
        #[arg(long, value_name = "ADDR")]
        connect: String,
        /// Run the implementation's heartbeat, at its default interval, on every session
        /// (where it has one); every stream is then a typed stream of type 0.
        #[arg(long)]
        heartbeat: bool,
        /// The session's stream limit, where the implementation has one, instead of
        /// [`crate::wire::MAX_STREAMS`] (the memory workload beyond it).
        #[arg(long, value_name = "N")]
        max_streams: Option<usize>,
        /// What to run.
        #[command(flatten)]
        workload: Workload,
    },
}

/// A server's session settings beyond the shared ones (`crate::wire`).
#[derive(Clone, Copy, Debug, Default, clap::Args)]
pub struct ServerOptions {
    /// Keep the implementation's default accept backlog instead of raising it to
    /// [`crate::wire::BACKLOG`]: the burst workload measures what a default server refuses.
    #[arg(long)]
    pub default_backlog: bool,
    /// Answer (and run) the implementation's heartbeat on every session, at its default
    /// interval, where it has one; every stream is then a typed stream.
    #[arg(long)]
    pub heartbeat: bool,
    /// The sessions' stream limit, where the implementation has one, instead of
    /// [`crate::wire::MAX_STREAMS`]: the memory workload holds more streams than that.
    #[arg(long, value_name = "N")]
    pub max_streams: Option<usize>,
}

/// The runtime every Rust peer runs on: multi-threaded with one worker per core, as Go
/// schedules goroutines on every core by default.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
}

/// Listen backlog: as deep as the kernel allows (Linux clamps it to `net.core.somaxconn`), as
/// Go's `net.Listen` asks. Plain TCP opens a connection per stream, and a shallow accept queue
/// overflowing under 256 simultaneous connects costs a one-second SYN retransmission: the
/// kernel's configuration would be measured instead of TCP.
const LISTEN_BACKLOG: u32 = 4096;

/// Binds `addr` and announces the bound address on stdout for the driver.
pub async fn listen(addr: &str) -> std::io::Result<TcpListener> {
    let addr: SocketAddr = tokio::net::lookup_host(addr)
        .await?
        .next()
        .ok_or_else(|| std::io::Error::other(format!("{addr} resolves to nothing")))?;
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    let listener = socket.listen(LISTEN_BACKLOG)?;
    let local = listener.local_addr()?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "LISTENING {local}")?;
    out.flush()?;
    Ok(listener)
}

/// Connects to `addr` with Nagle's algorithm off, as Go does for every TCP connection: small
/// frames (acks, window updates, echoes) must not wait for the peer's ACK.
pub async fn connect(addr: &str) -> std::io::Result<TcpStream> {
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    Ok(tcp)
}

/// Prints the `RESULT` line and gives the exit code.
pub fn report(result: Result<Value, String>) -> ExitCode {
    let (line, code) = match result {
        Ok(value) => (value, 0),
        Err(error) => (json!({ "ok": false, "error": error }), 1),
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "RESULT {line}");
    let _ = out.flush();
    ExitCode::from(code)
}
