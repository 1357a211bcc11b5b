//! `muxado-interop`: the interop harness.
//!
//! - `muxado-interop matrix` builds the peers of the registry (`interop/peers.toml`) and runs
//!   every scenario between each and the reference, both ways (`--pairs all`: every client
//!   against every server), printing the grids; `--peer-cmd NAME='COMMAND'` adds a peer.
//! - `muxado-interop build` only builds the registry's peers.
//! - `muxado-interop peer ...` is the reference as a peer program following the contract of
//!   `interop/SCENARIOS.md`, for other harnesses (and this one's self-test).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use muxado_interop::Role;
use muxado_interop::grid::{self, Spec};
use muxado_interop::matrix::{self, Direction};
use muxado_interop::peer::Peer;
use muxado_interop::record::{About, Dir};
use muxado_interop::registry::{self, REFERENCE, Registry};
use muxado_interop::replay::{self, Recording};
use muxado_interop::scenario::{self, SCENARIOS};
use muxado_reference::Session;
use muxado_testkit::scenario::{LISTENING_PREFIX, RESULT_PREFIX};
use tokio::net::{TcpListener, TcpStream};

#[derive(Parser)]
#[command(name = "muxado-interop", version, about = "The muxado interop harness")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the interop matrix: every scenario between the peers of the registry
    /// (`interop/peers.toml`) and those given by `--peer-cmd`: each with the reference, both
    /// ways, or (`--pairs all`) every client against every server.
    Matrix {
        /// Only these scenarios (default: all).
        #[arg(long)]
        scenario: Vec<String>,
        /// Only registered peers whose name starts with one of these (default: all); the
        /// reference and `--peer-cmd` peers always take part.
        #[arg(long)]
        peer: Vec<String>,
        /// Add a peer for this run: `NAME=COMMAND`, a shell command that plays the peer
        /// contract (SCENARIOS.md; the contract's arguments are appended). Repeatable.
        #[arg(long, value_name = "NAME=COMMAND")]
        peer_cmd: Vec<String>,
        /// `reference`: every peer with the reference, both ways (CI's); `all`: every client
        /// against every server; a peer's name: every peer with it, both ways, and it against
        /// itself.
        #[arg(long, default_value = "reference")]
        pairs: String,
        /// Runs at once (`bulk`, `soak` and `burst` run alone).
        #[arg(short = 'j', long, default_value_t = 1)]
        jobs: usize,
        /// Write a report: `json=FILE`, `html=DIR` (or `html=FILE.html`), `text=FILE`.
        /// Repeatable.
        #[arg(long, value_name = "KIND=PATH")]
        report: Vec<String>,
        /// Where the frame logs of the cells that neither pass nor are n/a go (`logs/`).
        #[arg(long, default_value = "target/interop-results")]
        results: PathBuf,
        /// Do not route the runs through the recording proxy (no frame logs).
        #[arg(long)]
        no_record: bool,
        /// Use peers already built in this directory instead of building them.
        #[arg(long)]
        bin_dir: Option<PathBuf>,
    },
    /// Build the registry's peers (`interop/peers.toml`) into a directory.
    Build {
        /// Where (default: `$MUXADO_INTEROP_BIN`, else `target/interop-bin`).
        #[arg(long)]
        bin_dir: Option<PathBuf>,
        /// Only these peers (default: all).
        #[arg(long)]
        peer: Vec<String>,
    },
    /// Proxy one TCP connection and record every frame both ways: a JSON transcript and a
    /// human-readable frame log.
    Record {
        /// Where the client connects.
        #[arg(long)]
        listen: String,
        /// Where the proxy connects.
        #[arg(long)]
        target: std::net::SocketAddr,
        /// Write the JSON transcript here (default: only the log on stdout).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Title of the transcript.
        #[arg(long, default_value = "recorded session")]
        title: String,
        /// The scenario the two sides play, noted in the transcript (replay needs it).
        #[arg(long)]
        scenario: Option<String>,
        /// The client's implementation, noted in the transcript (`reference` marks the side
        /// replay plays by default).
        #[arg(long)]
        client: Option<String>,
        /// The server's implementation, noted in the transcript.
        #[arg(long)]
        server: Option<String>,
    },
    /// Record the kept transcripts (`vectors/transcripts/`): sessions between the reference
    /// and a foreign peer, through the recording proxy.
    Transcripts {
        /// Where to write them.
        #[arg(long, default_value = "vectors/transcripts")]
        out: PathBuf,
        /// The foreign peer.
        #[arg(long, default_value = "go-v2.0.2")]
        peer: String,
        /// Use peers already built in this directory instead of building them.
        #[arg(long)]
        bin_dir: Option<PathBuf>,
    },
    /// Replay one side of a transcript against a live peer and print the differences the
    /// SPEC does not allow (`vectors/README.md`, "Replay"). Exit code 1 when there are any.
    Replay {
        /// The JSON transcript.
        transcript: PathBuf,
        /// A built foreign peer (`go-2016`, `go-v2.0.1`, `go-v2.0.2`, `ngrok-rust`), started on
        /// the other side of the transcript's scenario.
        #[arg(long, conflicts_with_all = ["target", "listen"])]
        peer: Option<String>,
        /// Dial an implementation listening here.
        #[arg(long, conflicts_with = "listen")]
        target: Option<std::net::SocketAddr>,
        /// Listen here for one connection from the implementation.
        #[arg(long)]
        listen: Option<String>,
        /// The side whose frames are sent (default: the side the transcript says the
        /// reference played).
        #[arg(long, value_enum)]
        side: Option<RoleArg>,
        /// Use peers already built in this directory instead of building them.
        #[arg(long)]
        bin_dir: Option<PathBuf>,
    },
    /// Print the frame log of one direction's bytes, given as hex or as a raw file, or of
    /// every TCP connection in a pcap capture (both directions).
    Decode {
        /// The bytes, in hex (spaces allowed).
        #[arg(long, conflicts_with_all = ["raw", "pcap"])]
        hex: Option<String>,
        /// A file holding the raw bytes.
        #[arg(long, conflicts_with = "pcap")]
        raw: Option<PathBuf>,
        /// A pcap capture (Ethernet, Linux cooked or raw IP) of muxado sessions over TCP.
        #[arg(long)]
        pcap: Option<PathBuf>,
    },
    /// Play one side of a scenario as the reference implementation (the peer contract).
    Peer {
        /// The muxado role.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Dial this address.
        #[arg(long, conflicts_with = "listen")]
        dial: Option<String>,
        /// Listen on this address and take one connection.
        #[arg(long)]
        listen: Option<String>,
        /// The scenario.
        #[arg(long)]
        scenario: String,
        /// Max window size (ignored: the scenario's settings apply).
        #[arg(long)]
        window: Option<u32>,
        /// Accept backlog (ignored: the scenario's settings apply).
        #[arg(long)]
        backlog: Option<usize>,
        /// Implementation name (ignored: this is the reference).
        #[arg(long)]
        r#impl: Option<String>,
        /// `soak`: how long the client keeps opening streams, in seconds.
        #[arg(long, default_value_t = scenario::Params::default().soak_secs)]
        soak_secs: u64,
        /// `soak`: the seed of the client's random choices.
        #[arg(long, default_value_t = scenario::Params::default().seed)]
        seed: u64,
    },
    /// Print the completion script for a shell (`source <(muxado-interop completions bash)`).
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page, in roff (`muxado-interop man > muxado-interop.1`).
    Man,
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Client,
    Server,
}

impl RoleArg {
    fn role(self) -> Role {
        match self {
            RoleArg::Client => Role::Client,
            RoleArg::Server => Role::Server,
        }
    }
}

enum Transport {
    Peer(String, Option<PathBuf>),
    Dial(std::net::SocketAddr),
    Listen(String),
}

#[tokio::main]
async fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "muxado-interop", &mut script);
            print_bytes(&script)
        }
        Command::Man => {
            let mut page = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut page) {
                Ok(()) => print_bytes(&page),
                Err(e) => {
                    eprintln!("muxado-interop man: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Matrix {
            scenario,
            peer,
            peer_cmd,
            pairs,
            jobs,
            report,
            results,
            no_record,
            bin_dir,
        } => {
            let pairs = matrix::Pairs::parse(&pairs);
            let wanted = Wanted {
                scenarios: scenario,
                peers: peer,
                peer_cmds: peer_cmd,
                pairs,
            };
            let options = matrix::Options {
                jobs: jobs.max(1),
                record: !no_record,
                results: Some(results),
                ..matrix::Options::default()
            };
            run_matrix(wanted, options, report, bin_dir).await
        }
        Command::Build { bin_dir, peer } => {
            let root = root();
            let bin = bin_dir.unwrap_or_else(|| matrix::bin_dir(&root));
            let built = Registry::load(&root).and_then(|registry| {
                registry.build(&matrix::places(&root, &bin, &interop_program()), &peer)
            });
            match built {
                Ok(()) => {
                    println!("built into {}", bin.display());
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("{err}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Record {
            listen,
            target,
            out,
            title,
            scenario,
            client,
            server,
        } => {
            let about = About {
                title,
                scenario,
                client,
                server,
            };
            record(&listen, target, out, &about).await
        }
        Command::Transcripts { out, peer, bin_dir } => transcripts(&out, &peer, bin_dir).await,
        Command::Replay {
            transcript,
            peer,
            target,
            listen,
            side,
            bin_dir,
        } => {
            let transport = match (peer, target, listen) {
                (Some(peer), None, None) => Transport::Peer(peer, bin_dir),
                (None, Some(addr), None) => Transport::Dial(addr),
                (None, None, Some(addr)) => Transport::Listen(addr),
                _ => {
                    eprintln!("give one of --peer, --target and --listen");
                    return ExitCode::from(2);
                }
            };
            replay(&transcript, transport, side.map(RoleArg::role)).await
        }
        Command::Decode { hex, raw, pcap } => match pcap {
            Some(path) => decode_pcap(&path),
            None => decode(hex, raw),
        },
        Command::Peer {
            role,
            dial,
            listen,
            scenario,
            soak_secs,
            seed,
            ..
        } => {
            let params = scenario::Params { soak_secs, seed };
            play_as_peer(role.role(), dial, listen, &scenario, &params).await
        }
    }
}

async fn play_as_peer(
    role: Role,
    dial: Option<String>,
    listen: Option<String>,
    scenario: &str,
    params: &scenario::Params,
) -> ExitCode {
    let tcp = match (dial, listen) {
        (Some(addr), None) => TcpStream::connect(&addr)
            .await
            .map_err(|e| format!("dial {addr}: {e}")),
        (None, Some(addr)) => match TcpListener::bind(&addr).await {
            Ok(listener) => {
                println!(
                    "{LISTENING_PREFIX}{}",
                    listener.local_addr().expect("bound")
                );
                listener
                    .accept()
                    .await
                    .map(|(tcp, _)| tcp)
                    .map_err(|e| format!("accept: {e}"))
            }
            Err(e) => Err(format!("listen {addr}: {e}")),
        },
        _ => {
            eprintln!("exactly one of --dial and --listen");
            return ExitCode::from(2);
        }
    };
    let tcp = match tcp {
        Ok(tcp) => tcp,
        Err(detail) => {
            println!(
                "{RESULT_PREFIX}{}",
                serde_json::json!({"ok": false, "detail": detail, "observed": null})
            );
            return ExitCode::FAILURE;
        }
    };
    let session: Session = scenario::session(tcp, scenario, role);
    let outcome = scenario::play_with(scenario, role, session.clone(), params).await;
    session.close().await;
    println!(
        "{RESULT_PREFIX}{}",
        serde_json::json!({"ok": outcome.ok, "detail": outcome.detail, "observed": outcome.observed})
    );
    match (outcome.ok, outcome.unsupported) {
        (true, _) => ExitCode::SUCCESS,
        (false, true) => ExitCode::from(3),
        (false, false) => ExitCode::FAILURE,
    }
}

fn peers_in(bin_dir: Option<PathBuf>) -> Result<Vec<Peer>, String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let bin = match bin_dir {
        Some(dir) => dir,
        None => matrix::build_peers(&root)
            .map_err(|err| format!("building the foreign peers failed: {err}"))?,
    };
    Ok(matrix::foreign_peers(&bin))
}

/// The built foreign peer called `name`, or the exit code saying why there is none.
fn peer_named(name: &str, bin_dir: Option<PathBuf>) -> Result<Peer, ExitCode> {
    match peers_in(bin_dir).map(|peers| peers.into_iter().find(|p| p.name == name)) {
        Ok(Some(peer)) => Ok(peer),
        Ok(None) => {
            eprintln!("no foreign peer named {name}");
            Err(ExitCode::from(2))
        }
        Err(err) => {
            eprintln!("{err}");
            Err(ExitCode::FAILURE)
        }
    }
}

async fn transcripts(out: &Path, peer: &str, bin_dir: Option<PathBuf>) -> ExitCode {
    let peer = match peer_named(peer, bin_dir) {
        Ok(peer) => peer,
        Err(code) => return code,
    };
    let mut failed = 0;
    for &(scenario, direction) in matrix::KEPT_TRANSCRIPTS {
        let (cell, transcript) = matrix::record(&peer, scenario, direction).await;
        let Some(mut transcript) = transcript.filter(|_| cell.verdict.is_good()) else {
            eprintln!("{scenario} {direction:?}: not kept: {:?}", cell.verdict);
            failed += 1;
            continue;
        };
        let (client, server, side, foreign_dir) = match direction {
            Direction::RefClient => (
                "reference",
                peer.name.as_str(),
                "ref-client",
                Dir::ServerToClient,
            ),
            Direction::RefServer => (
                peer.name.as_str(),
                "reference",
                "ref-server",
                Dir::ClientToServer,
            ),
        };
        // The foreign side's bodies are only compared: their hashes keep the files small.
        transcript.hash_bodies(foreign_dir, 64);
        let about = About {
            title: format!("{scenario}: {client} client, {server} server"),
            scenario: Some(scenario.to_string()),
            client: Some(client.to_string()),
            server: Some(server.to_string()),
        };
        let stem = format!("{scenario}.{side}.{}", peer.name);
        let json = transcript.to_file(&about).to_json_string();
        let written = std::fs::write(out.join(format!("{stem}.json")), json)
            .and_then(|()| std::fs::write(out.join(format!("{stem}.log")), transcript.log()));
        if let Err(err) = written {
            eprintln!("write {}: {err}", out.join(stem).display());
            return ExitCode::FAILURE;
        }
        println!("{stem} ({} frames)", transcript.frames.len());
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn replay(path: &Path, transport: Transport, side: Option<Role>) -> ExitCode {
    let recording = match Recording::load(path) {
        Ok(recording) => recording,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::from(2);
        }
    };
    let report = match transport {
        Transport::Peer(name, bin_dir) => {
            let peer = match peer_named(&name, bin_dir) {
                Ok(peer) => peer,
                Err(code) => return code,
            };
            match matrix::replay(&peer, &recording).await {
                Ok((cell, report)) => {
                    let foreign = match cell.direction() {
                        Some(Direction::RefServer) => &cell.client_side,
                        _ => &cell.server_side,
                    };
                    println!("peer {}: {:?}", peer.name, foreign);
                    println!("verdict: {:?}", cell.verdict);
                    report
                }
                Err(err) => {
                    eprintln!("{err}");
                    return ExitCode::FAILURE;
                }
            }
        }
        transport => {
            let Some(side) = side.or(recording.reference_side()) else {
                eprintln!("the transcript names no reference side: give --side");
                return ExitCode::from(2);
            };
            let tcp = match transport {
                Transport::Dial(addr) => TcpStream::connect(addr).await.map_err(|e| e.to_string()),
                Transport::Listen(addr) => match TcpListener::bind(&addr).await {
                    Ok(listener) => {
                        println!("LISTENING {}", listener.local_addr().expect("bound"));
                        listener
                            .accept()
                            .await
                            .map(|(tcp, _)| tcp)
                            .map_err(|e| e.to_string())
                    }
                    Err(err) => Err(format!("listen {addr}: {err}")),
                },
                Transport::Peer(..) => unreachable!("handled above"),
            };
            let tcp = match tcp {
                Ok(tcp) => tcp,
                Err(err) => {
                    eprintln!("{err}");
                    return ExitCode::FAILURE;
                }
            };
            let scenario = recording.scenario.clone().unwrap_or_default();
            let options = replay::Options {
                side,
                window: scenario::config(&scenario, side).max_window_size,
                wait: Duration::from_secs(10),
                linger: Duration::from_millis(300),
            };
            replay::replay(&recording, &options, tcp).await
        }
    };
    for line in &report.log {
        println!("  {line}");
    }
    println!("sent {} frames, received {}", report.sent, report.received);
    if report.diffs.is_empty() {
        println!("no difference the SPEC does not allow");
        ExitCode::SUCCESS
    } else {
        for diff in &report.diffs {
            println!("DIFF {diff}");
        }
        ExitCode::FAILURE
    }
}

/// The repository root (the harness is run from its checkout).
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// This program, which plays the reference peer (`{interop}` in the registry).
fn interop_program() -> PathBuf {
    std::env::current_exe().unwrap_or_else(|_| PathBuf::from("muxado-interop"))
}

/// What a matrix run is asked for.
struct Wanted {
    scenarios: Vec<String>,
    peers: Vec<String>,
    peer_cmds: Vec<String>,
    pairs: matrix::Pairs,
}

/// The `--report KIND=PATH` arguments.
fn reports_of(args: &[String]) -> Result<Vec<(String, PathBuf)>, String> {
    args.iter()
        .map(|r| match r.split_once('=') {
            Some((kind @ ("json" | "html" | "text"), path)) if !path.is_empty() => {
                Ok((kind.to_string(), PathBuf::from(path)))
            }
            _ => Err(format!(
                "bad --report {r:?}: json=FILE, html=DIR (or FILE.html) or text=FILE"
            )),
        })
        .collect()
}

async fn run_matrix(
    wanted: Wanted,
    options: matrix::Options,
    reports: Vec<String>,
    bin_dir: Option<PathBuf>,
) -> ExitCode {
    let reports = match reports_of(&reports) {
        Ok(reports) => reports,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::from(2);
        }
    };
    let unknown: Vec<&String> = wanted
        .scenarios
        .iter()
        .filter(|s| !SCENARIOS.contains(&s.as_str()))
        .collect();
    if !unknown.is_empty() {
        eprintln!(
            "unknown scenario(s) {unknown:?}; known: {}",
            SCENARIOS.join(", ")
        );
        return ExitCode::from(2);
    }
    let root = root();
    let registry = match Registry::load(&root) {
        Ok(registry) => registry,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::FAILURE;
        }
    };
    let mut extra = Vec::new();
    for arg in &wanted.peer_cmds {
        match registry::peer_cmd(arg) {
            Ok(peer) if registry.peers.iter().any(|p| p.name == peer.name) => {
                eprintln!(
                    "--peer-cmd {}: the registry has a peer of that name",
                    peer.name
                );
                return ExitCode::from(2);
            }
            Ok(peer) => extra.push(peer),
            Err(err) => {
                eprintln!("{err}");
                return ExitCode::from(2);
            }
        }
    }
    let chosen = |name: &str| {
        name == REFERENCE
            || wanted.peers.is_empty()
            || wanted
                .peers
                .iter()
                .any(|want| name.starts_with(want.as_str()))
    };
    let bin = match bin_dir {
        Some(dir) => dir,
        None => {
            let bin = matrix::bin_dir(&root);
            let names: Vec<String> = registry
                .peers
                .iter()
                .map(|p| p.name.clone())
                .filter(|n| chosen(n))
                .collect();
            let places = matrix::places(&root, &bin, &interop_program());
            if let Err(err) = registry.build(&places, &names) {
                eprintln!("building the peers failed: {err}");
                return ExitCode::FAILURE;
            }
            bin
        }
    };
    let mut peers: Vec<Peer> = registry
        .peers(&matrix::places(&root, &bin, &interop_program()))
        .into_iter()
        .filter(|p| chosen(&p.name))
        .collect();
    peers.extend(extra);
    let scenarios: Vec<&'static str> = SCENARIOS
        .iter()
        .copied()
        .filter(|s| wanted.scenarios.is_empty() || wanted.scenarios.iter().any(|w| w == s))
        .collect();
    if let matrix::Pairs::With(name) = &wanted.pairs {
        if !peers.iter().any(|p| &p.name == name) {
            eprintln!("--pairs {name}: no such peer (reference, all, or a peer's name)");
            return ExitCode::from(2);
        }
    }
    let pairs = matrix::pairs_of(&peers, &wanted.pairs);
    eprintln!(
        "{} pairs × {} scenarios, -j {}",
        pairs.len(),
        scenarios.len(),
        options.jobs
    );
    let started = std::time::Instant::now();
    let cells = matrix::run_matrix(&peers, &pairs, &scenarios, &options, |cell| {
        eprintln!(
            "{:<20} {:>10} → {:<10} {:>6.1} s  {}",
            cell.scenario,
            cell.client,
            cell.server,
            cell.elapsed.as_secs_f64(),
            cell.verdict.short()
        );
        if cell.scenario == "burst" {
            // The counts behind the verdict: refusals vary from run to run.
            eprintln!("{:<31}  client: {}", "", cell.client_side.observed);
        }
    })
    .await;
    let report = grid::Report {
        peers: &peers,
        cells: &cells,
        pairs: wanted.pairs.clone(),
        jobs: options.jobs,
        elapsed: started.elapsed(),
    };
    let spec = Spec::load(&root.join("SPEC.md"));
    let text = grid::text(&report, &spec);
    println!("{text}");
    for (kind, path) in &reports {
        let written = match kind.as_str() {
            "json" => serde_json::to_string_pretty(&grid::json(&report, &spec))
                .map_err(std::io::Error::other)
                .and_then(|json| std::fs::write(path, json + "\n"))
                .map(|()| path.clone()),
            "text" => std::fs::write(path, &text).map(|()| path.clone()),
            _ => grid::html(&report, &spec, path),
        };
        match written {
            Ok(file) => println!("{kind} report: {}", file.display()),
            Err(err) => {
                eprintln!("{kind} report {}: {err}", path.display());
                return ExitCode::FAILURE;
            }
        }
    }
    let bad = cells.iter().filter(|c| !c.verdict.is_good()).count();
    println!(
        "{} runs: {} as expected, {} not, {:.0} s",
        cells.len(),
        cells.len() - bad,
        bad,
        started.elapsed().as_secs_f64()
    );
    if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn record(
    listen: &str,
    target: std::net::SocketAddr,
    out: Option<PathBuf>,
    about: &About,
) -> ExitCode {
    let listener = match TcpListener::bind(listen).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("listen {listen}: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!("LISTENING {}", listener.local_addr().expect("bound"));
    match muxado_interop::record::record_one(&listener, target).await {
        Ok(transcript) => {
            print!("{}", transcript.log());
            if let Some(path) = out {
                let json = transcript.to_file(about).to_json_string();
                if let Err(err) = std::fs::write(&path, json) {
                    eprintln!("write {}: {err}", path.display());
                    return ExitCode::FAILURE;
                }
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("recording failed: {err}");
            ExitCode::FAILURE
        }
    }
}

fn decode(hex: Option<String>, raw: Option<PathBuf>) -> ExitCode {
    let bytes = match (hex, raw) {
        (Some(hex), None) => {
            let digits: String = hex.chars().filter(|c| !c.is_whitespace()).collect();
            let parsed: Result<Vec<u8>, _> = (0..digits.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(digits.get(i..i + 2).unwrap_or("?"), 16))
                .collect();
            match parsed {
                Ok(bytes) => bytes,
                Err(err) => {
                    eprintln!("bad hex: {err}");
                    return ExitCode::from(2);
                }
            }
        }
        (None, Some(path)) => match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) => {
                eprintln!("read {}: {err}", path.display());
                return ExitCode::FAILURE;
            }
        },
        _ => {
            eprintln!("give --hex or --raw");
            return ExitCode::from(2);
        }
    };
    let mut reader = muxado_interop::record::FrameReader::default();
    for decoded in reader.push(&bytes) {
        println!("{}", decoded.line);
    }
    if reader.pending() > 0 {
        println!("({} bytes of an unfinished frame)", reader.pending());
    }
    ExitCode::SUCCESS
}

fn decode_pcap(path: &std::path::Path) -> ExitCode {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) => {
            eprintln!("read {}: {err}", path.display());
            return ExitCode::FAILURE;
        }
    };
    match muxado_interop::pcap::decode_pcap(&bytes) {
        Ok(frames) => {
            let start = frames.first().map_or(0, |(t, ..)| *t);
            for (time, connection, dir, decoded) in frames {
                let ms = (time - start) as f64 / 1000.0;
                println!(
                    "{ms:>10.3}ms #{connection} {} {}",
                    dir.label(),
                    decoded.line
                );
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("{}: {err}", path.display());
            ExitCode::FAILURE
        }
    }
}

/// Writes generated text to standard output; a reader that went away (`| head`) is no error.
fn print_bytes(bytes: &[u8]) -> ExitCode {
    use std::io::Write as _;
    match std::io::stdout().write_all(bytes) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("muxado-interop: {e}");
            ExitCode::FAILURE
        }
    }
}
