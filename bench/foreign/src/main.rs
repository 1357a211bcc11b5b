//! `foreign-benchpeer`: the bench peer (bench/README.md) for the Rust multiplexers the
//! reference is measured against.
//!
//! ```text
//! foreign-benchpeer --impl ngrok-rust|yamux server --listen ADDR
//! foreign-benchpeer --impl ngrok-rust|yamux client --connect ADDR --workload ...
//! ```
//!
//! The workloads and the per-stream server are `muxado-bench-kit`'s, the same code the
//! reference's peer runs; this program only supplies sessions and streams.

mod ngrok;
mod yamux_peer;

use std::process::ExitCode;

use clap::Parser;
use muxado_bench_kit::peer::{Side, report, runtime};

/// The implementations this program links.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Foreign {
    /// ngrok's Rust `muxado` crate (0.5.4).
    NgrokRust,
    /// The `yamux` crate (rust-libp2p).
    Yamux,
}

/// Bench peer on ngrok's Rust muxado crate or on yamux.
#[derive(Parser, Debug)]
#[command(name = "foreign-benchpeer", version)]
struct Args {
    /// The implementation.
    #[arg(long = "impl", value_enum)]
    implementation: Foreign,
    /// Which side.
    #[command(subcommand)]
    side: Side,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => return report(Err(format!("cannot start the runtime: {e}"))),
    };
    let code = runtime.block_on(async move {
        match args.side {
            Side::Server { listen, options } => {
                let served = match args.implementation {
                    Foreign::NgrokRust => ngrok::serve(&listen, options).await,
                    Foreign::Yamux => yamux_peer::serve(&listen, options).await,
                };
                if let Err(e) = served {
                    eprintln!("foreign-benchpeer: {e}");
                }
                ExitCode::FAILURE
            }
            Side::Client {
                connect,
                heartbeat,
                max_streams,
                workload,
            } => report(match args.implementation {
                Foreign::NgrokRust => {
                    ngrok::client(&connect, heartbeat, max_streams, &workload).await
                }
                // yamux 0.14 has no heartbeat (rust-libp2p pings in a protocol of its own).
                Foreign::Yamux => yamux_peer::client(&connect, max_streams, &workload).await,
            }),
        }
    });
    // The sessions' tasks may still wait on their sockets: do not wait for them.
    runtime.shutdown_background();
    code
}
