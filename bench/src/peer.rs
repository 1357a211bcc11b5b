//! The bench peers this binary plays itself: the reference (`muxado-reference`'s tokio driver)
//! and plain TCP (one connection per stream, no multiplexing: the physical limit).

use std::io;
use std::process::ExitCode;
use std::sync::Arc;

use muxado_bench_kit::peer::{ServerOptions, Side, connect, listen, report, runtime};
use muxado_bench_kit::server::{Holder, serve_stream};
use muxado_bench_kit::wire::{BACKLOG, MAX_STREAMS, WINDOW};
use muxado_bench_kit::{Dialer, Opener, client};
use muxado_reference::Session;
use muxado_reference::{Config, Role};
use muxado_reference::{Heartbeat, HeartbeatConfig};
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
/// (`muxado_bench_kit::wire`), its own defaults otherwise; with `default_backlog`, its own
/// accept backlog (128); with `max_streams`, that stream limit.
pub fn reference_config(default_backlog: bool, max_streams: Option<usize>) -> Config {
    let config = Config::default()
        .with_max_window_size(WINDOW)
        .with_max_streams(max_streams.unwrap_or(MAX_STREAMS));
    if default_backlog {
        config
    } else {
        config.with_accept_backlog(BACKLOG as usize)
    }
}

/// Starts the heartbeat (Go's defaults: a beat every 10 s) on a session and answers the
/// peer's in a task of its own, which ends with the session; streams that are not heartbeats
/// go to `serve` (the client side has none to serve).
fn heartbeat(session: Session, serve: Option<Arc<Holder<muxado_reference::Stream>>>) {
    let beats = Heartbeat::start(session, HeartbeatConfig::default(), |_| {});
    tokio::spawn(async move {
        while let Ok((stream, _)) = beats.accept_typed().await {
            if let Some(holder) = &serve {
                tokio::spawn(serve_stream(stream, holder.clone()));
            }
        }
    });
}

/// Plays one side with the chosen implementation.
pub fn run(local: Local, side: Side) -> ExitCode {
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => return report(Err(format!("cannot start the runtime: {e}"))),
    };
    let code = runtime.block_on(async move {
        match side {
            Side::Server {
                listen: addr,
                options,
            } => match serve(local, &addr, options).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("muxado-bench peer: {e}");
                    ExitCode::FAILURE
                }
            },
            Side::Client {
                connect,
                heartbeat,
                max_streams,
                workload,
            } => {
                let result = match local {
                    Local::Reference => {
                        let dialer = RefDialer {
                            addr: connect,
                            heartbeat,
                            max_streams,
                        };
                        client::run(dialer, &workload).await
                    }
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

async fn serve(local: Local, addr: &str, options: ServerOptions) -> io::Result<()> {
    let listener = listen(addr).await?;
    match local {
        Local::Reference => {
            let holder = Holder::new();
            loop {
                let (tcp, _) = listener.accept().await?;
                let config = reference_config(options.default_backlog, options.max_streams);
                let session = Session::from_tcp(tcp, Role::Server, config);
                if options.heartbeat {
                    heartbeat(session, Some(holder.clone()));
                    continue;
                }
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

/// Dials reference sessions, with the heartbeat on or off.
struct RefDialer {
    addr: String,
    heartbeat: bool,
    max_streams: Option<usize>,
}

impl Dialer for RefDialer {
    type Opener = RefOpener;

    async fn dial(&self) -> io::Result<RefOpener> {
        let tcp = connect(&self.addr).await?;
        let session =
            Session::from_tcp(tcp, Role::Client, reference_config(false, self.max_streams));
        if self.heartbeat {
            heartbeat(session.clone(), None);
        }
        Ok(RefOpener {
            session,
            typed: self.heartbeat,
        })
    }
}

/// Opens streams on a reference session: typed streams (type 0) when the session runs the
/// heartbeat, whose peer then accepts typed streams only.
#[derive(Clone)]
struct RefOpener {
    session: Session,
    typed: bool,
}

impl Opener for RefOpener {
    type Stream = muxado_reference::Stream;

    async fn open(&self) -> io::Result<Self::Stream> {
        let stream = if self.typed {
            self.session.open_typed(0).await
        } else {
            self.session.open()
        };
        stream.map_err(io::Error::other)
    }
}

/// "Opens a stream" by connecting anew; as a dialer, a "session" is just the address.
#[derive(Clone)]
struct TcpOpener(Arc<str>);

impl Dialer for TcpOpener {
    type Opener = TcpOpener;

    async fn dial(&self) -> io::Result<TcpOpener> {
        Ok(self.clone())
    }
}

impl Opener for TcpOpener {
    type Stream = TcpStream;

    async fn open(&self) -> io::Result<TcpStream> {
        connect(&self.0).await
    }
}
