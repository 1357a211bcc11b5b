//! The bench peers this binary plays itself: the reference (`muxado-reference`'s tokio driver)
//! and plain TCP (one connection per stream, no multiplexing: the physical limit).

use std::io;
use std::process::ExitCode;
use std::sync::Arc;

use muxado_bench_kit::peer::{Side, connect, listen, report, runtime};
use muxado_bench_kit::server::{Holder, serve_stream};
use muxado_bench_kit::wire::{BACKLOG, MAX_STREAMS, WINDOW};
use muxado_bench_kit::{Opener, client};
use muxado_reference::Session;
use muxado_reference::session::{Config, Role};
use tokio::net::TcpStream;

/// The implementations this binary links.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Local {
    /// The reference: `muxado_reference::Session` over TCP.
    Reference,
    /// Plain TCP: every stream is its own connection.
    Tcp,
}

/// The reference's settings in every run: the shared window, backlog and stream limit
/// (`muxado_bench_kit::wire`), its own defaults otherwise.
pub fn reference_config() -> Config {
    Config {
        max_window_size: WINDOW,
        accept_backlog: BACKLOG as usize,
        max_streams: MAX_STREAMS,
        ..Config::default()
    }
}

/// Plays one side with the chosen implementation.
pub fn run(local: Local, side: Side) -> ExitCode {
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => return report(Err(format!("cannot start the runtime: {e}"))),
    };
    let code = runtime.block_on(async move {
        match side {
            Side::Server { listen: addr } => match serve(local, &addr).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("muxado-bench peer: {e}");
                    ExitCode::FAILURE
                }
            },
            Side::Client { connect, workload } => {
                let result = match local {
                    Local::Reference => match muxado_bench_kit::peer::connect(&connect).await {
                        Ok(tcp) => {
                            let session = Session::from_tcp(tcp, Role::Client, reference_config());
                            let result = client::run(RefOpener(session.clone()), &workload).await;
                            session.close().await;
                            result
                        }
                        Err(e) => Err(format!("cannot connect to {connect}: {e}")),
                    },
                    Local::Tcp => client::run(TcpOpener(connect.into()), &workload).await,
                };
                report(result)
            }
        }
    });
    // Stream tasks may still wait on their sockets: do not wait for them.
    runtime.shutdown_background();
    code
}

async fn serve(local: Local, addr: &str) -> io::Result<()> {
    let listener = listen(addr).await?;
    match local {
        Local::Reference => {
            let holder = Holder::new();
            loop {
                let (tcp, _) = listener.accept().await?;
                let session = Session::from_tcp(tcp, Role::Server, reference_config());
                let holder = holder.clone();
                tokio::spawn(async move {
                    while let Ok(stream) = session.accept().await {
                        tokio::spawn(serve_stream(stream, holder.clone()));
                    }
                });
            }
        }
        Local::Tcp => {
            let holder = Holder::new();
            loop {
                let (tcp, _) = listener.accept().await?;
                tcp.set_nodelay(true)?;
                tokio::spawn(serve_stream(tcp, holder.clone()));
            }
        }
    }
}

/// Opens streams on a reference session.
#[derive(Clone)]
struct RefOpener(Session);

impl Opener for RefOpener {
    type Stream = muxado_reference::Stream;

    async fn open(&self) -> io::Result<Self::Stream> {
        self.0.open().await.map_err(io::Error::other)
    }
}

/// "Opens a stream" by connecting anew.
#[derive(Clone)]
struct TcpOpener(Arc<str>);

impl Opener for TcpOpener {
    type Stream = TcpStream;

    async fn open(&self) -> io::Result<TcpStream> {
        connect(&self.0).await
    }
}
