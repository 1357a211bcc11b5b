//! `ngrok-peer`: plays the interop scenarios of interop/SCENARIOS.md with ngrok's Rust
//! implementation of muxado (the `muxado` crate, pinned to 0.5.4).
//!
//! ```text
//! ngrok-peer --role client|server (--dial ADDR | --listen ADDR) --scenario NAME
//!            [--window BYTES] [--backlog N] [--impl ngrok-rust] [--soak-secs S] [--seed N]
//! ```
//!
//! `--soak-secs` and `--seed` are accepted for the contract's sake: this peer does not play
//! `soak` (it answers unsupported).
//!
//! Prints `LISTENING <ip:port>` when listening, then one `RESULT <json>` line; exits 0 (ok),
//! 1 (failed), 3 (not supported by the crate) or 2 (usage error).

mod scenarios;

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::{ArgGroup, Parser};
use muxado::SessionBuilder;
use ngrok_peer::conn;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, timeout, timeout_at};

use muxado_testkit::scenario::{BURST_STREAMS, LISTENING_PREFIX, RESULT_PREFIX};
use scenarios::{Env, Outcome, Phase, Role, Scenario};

/// Everything a peer does is bounded by this.
const BUDGET: Duration = Duration::from_secs(30);

/// How long a side that cannot play its scenario waits for the connection it then closes.
const UNSUPPORTED_ACCEPT_WAIT: Duration = Duration::from_secs(5);

/// Interop peer for the muxado scenarios, built on ngrok's Rust `muxado` crate 0.5.4.
#[derive(Parser, Debug)]
#[command(name = "ngrok-peer", version)]
#[command(group(ArgGroup::new("transport").required(true).args(["dial", "listen"])))]
struct Args {
    /// The muxado role: the client opens odd stream ids, the server even ones.
    #[arg(long, value_enum)]
    role: Role,
    /// Connect to ADDR.
    #[arg(long, value_name = "ADDR")]
    dial: Option<String>,
    /// Listen on ADDR, print `LISTENING <ip:port>`, accept one connection.
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// The scenario (interop/SCENARIOS.md).
    #[arg(long, value_enum)]
    scenario: Scenario,
    /// The session's window size (default: the crate's, 256 KiB).
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u32).range(1..=0x7FFF_FFFF))]
    window: Option<u32>,
    /// The session's accept queue size (default: the crate's, 64).
    #[arg(long, value_name = "N")]
    backlog: Option<u32>,
    /// The implementation: this program links only ngrok's Rust crate.
    #[arg(long = "impl", value_name = "NAME", value_parser = ["ngrok-rust", "ngrok"])]
    implementation: Option<String>,
    /// `soak` only: its duration in seconds (accepted; this peer does not play `soak`).
    #[arg(long, value_name = "S")]
    soak_secs: Option<u64>,
    /// `soak` only: its random seed (accepted; this peer does not play `soak`).
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let phase = Phase::default();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            return report(Outcome::fail(format!(
                "cannot start the tokio runtime: {err}"
            )));
        }
    };
    let outcome = runtime.block_on(async {
        let deadline = Instant::now() + BUDGET;
        match timeout_at(deadline, play(&args, phase.clone())).await {
            Ok(outcome) => outcome,
            Err(_) => Outcome::fail(format!(
                "timeout after {} s while {}",
                BUDGET.as_secs(),
                phase.get()
            )),
        }
    });
    let code = report(outcome);
    // Background tasks of the crate may still wait on the transport: do not wait for them.
    runtime.shutdown_background();
    code
}

fn report(outcome: Outcome) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{RESULT_PREFIX}{}", outcome.to_json());
    let _ = out.flush();
    ExitCode::from(outcome.status.exit_code())
}

async fn play(args: &Args, phase: Phase) -> Outcome {
    let unsupported = scenarios::unsupported_up_front(args.scenario, args.role);
    let tcp = if let Some(addr) = &args.listen {
        phase.set(format!("listening on {addr}"));
        let listener = match TcpListener::bind(addr).await {
            Ok(listener) => listener,
            Err(err) => return Outcome::fail(format!("cannot listen on {addr}: {err}")),
        };
        match listener.local_addr() {
            Ok(local) => {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{LISTENING_PREFIX}{local}");
                let _ = out.flush();
            }
            Err(err) => return Outcome::fail(format!("cannot read the listening address: {err}")),
        }
        phase.set("waiting for the connection");
        if let Some(detail) = unsupported {
            // Take the connection (briefly) so that the peer sees end-of-file, not a refusal.
            let _ = timeout(UNSUPPORTED_ACCEPT_WAIT, listener.accept()).await;
            return Outcome::unsupported(detail);
        }
        match listener.accept().await {
            Ok((tcp, _)) => tcp,
            Err(err) => return Outcome::fail(format!("accept failed: {err}")),
        }
    } else {
        let addr = args.dial.as_deref().unwrap_or_default();
        phase.set(format!("connecting to {addr}"));
        match TcpStream::connect(addr).await {
            Ok(tcp) => {
                if let Some(detail) = unsupported {
                    return Outcome::unsupported(detail);
                }
                tcp
            }
            Err(err) => return Outcome::fail(format!("cannot connect to {addr}: {err}")),
        }
    };
    let (transport, ctl) = match conn::wrap(tcp) {
        Ok(pair) => pair,
        Err(err) => return Outcome::fail(format!("cannot set up the transport: {err}")),
    };
    let mut builder = SessionBuilder::new(transport);
    builder = match args.role {
        Role::Client => builder.client(),
        Role::Server => builder.server(),
    };
    if let Some(window) = args.window {
        builder = builder.window_size(window as usize);
    }
    if let Some(backlog) = args.backlog {
        builder = builder.accept_queue_size(backlog as usize);
    }
    if args.scenario == Scenario::Burst && args.role == Role::Client {
        // The crate's open fails with STREAMS_EXHAUSTED beyond `stream_limit` (default 512)
        // streams of its own: the burst client needs all 1,000 at once. The server keeps
        // its defaults, which are what the scenario measures.
        builder = builder.stream_limit(2 * BURST_STREAMS as usize);
    }
    let session = builder.start();
    let env = Env {
        role: args.role,
        ctl,
        phase,
    };
    let outcome = scenarios::run(args.scenario, session, &env).await;
    // Every scenario ends here by closing the transport, without a GOAWAY: the crate's
    // OpenClose::close writes a GOAWAY whose Length leaves out its 8 fixed bytes (see
    // README.md), which a conforming peer would misparse.
    env.ctl.close();
    outcome
}
