//! The scenario matrix: every scenario, in both directions, against every foreign peer.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::Role;
use crate::fault::{FaultConfig, FaultStats, proxy_one};
use crate::peer::{Endpoint, ForeignPeer};
use crate::record::{Transcript, record_one};
use crate::replay::{self, Recording};
use crate::scenario::{self, Outcome, Params};

/// Which side the reference plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Reference client, foreign server.
    RefClient,
    /// Foreign client, reference server.
    RefServer,
}

impl Direction {
    /// Both directions.
    pub const BOTH: [Direction; 2] = [Direction::RefClient, Direction::RefServer];

    fn label(self) -> &'static str {
        match self {
            Direction::RefClient => "ref→",
            Direction::RefServer => "→ref",
        }
    }
}

/// How one run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Both sides saw what the scenario requires.
    Pass,
    /// The foreign side cannot play this part (no such API).
    NotApplicable(String),
    /// It failed exactly as a SPEC interop note says this implementation does.
    Deviation(&'static str),
    /// It failed.
    Fail(String),
    /// A deviation was expected, but the run passed: the expectation is stale.
    UnexpectedPass(&'static str),
}

impl Verdict {
    /// Whether the verdict keeps the matrix green.
    pub fn is_good(&self) -> bool {
        matches!(
            self,
            Verdict::Pass | Verdict::NotApplicable(_) | Verdict::Deviation(_)
        )
    }

    fn short(&self) -> String {
        match self {
            Verdict::Pass => "pass".into(),
            Verdict::NotApplicable(_) => "n/a".into(),
            Verdict::Deviation(note) => format!("dev {note}"),
            Verdict::Fail(_) => "FAIL".into(),
            Verdict::UnexpectedPass(_) => "UNEXPECTED PASS".into(),
        }
    }
}

/// Known deviations of foreign implementations, each explained by a SPEC interop note:
/// `(peer name prefix, scenario, direction, note)`.
const DEVIATIONS: &[(&str, &str, Direction, &str)] = &[
    (
        "go-",
        "typed-split-prefix",
        Direction::RefClient,
        "INTEROP-3",
    ),
    (
        "ngrok-rust",
        "goaway-from-server",
        Direction::RefClient,
        "INTEROP-13",
    ),
    (
        "ngrok-rust",
        "goaway-from-client",
        Direction::RefServer,
        "INTEROP-13",
    ),
    (
        "ngrok-rust",
        "fin-first-reply",
        Direction::RefServer,
        "INTEROP-14",
    ),
    ("ngrok-rust", "burst", Direction::RefClient, "INTEROP-27"),
];

/// Foreign servers whose refusals of `burst` streams a SPEC interop note explains:
/// `(peer name prefix, note)`. Go waits 1 ms for its application to make room
/// ([INTEROP-5]), so whether a run refuses any stream depends on scheduling: the cell is
/// `pass` when none was refused, `dev INTEROP-5` when some were. A refusal by any other
/// server fails the cell; by the reference, always ([STREAM-14]).
const BURST_REFUSALS: &[(&str, &str)] = &[("go-", "INTEROP-5")];

/// The sessions kept as transcripts in `vectors/transcripts/` (recorded against
/// `go-v2.0.2` by `muxado-interop transcripts`): the scenarios whose reference side sends only
/// bodies small enough to be kept whole (so they can be replayed), whose bytes do not depend
/// on a clock or a random source, and in which Go behaves as the SPEC says (a recording of a
/// deviation, like `typed-split-prefix`'s, would make every correct peer differ).
pub const KEPT_TRANSCRIPTS: &[(&str, Direction)] = &[
    ("half-close", Direction::RefClient),
    ("half-close", Direction::RefServer),
    ("server-opens", Direction::RefClient),
    ("server-opens", Direction::RefServer),
    ("close-late-data", Direction::RefServer),
    ("goaway-from-server", Direction::RefClient),
    ("goaway-from-server", Direction::RefServer),
    ("goaway-from-client", Direction::RefClient),
    ("goaway-from-client", Direction::RefServer),
    ("backlog", Direction::RefClient),
    ("backlog", Direction::RefServer),
    ("typed", Direction::RefClient),
    ("typed", Direction::RefServer),
    ("fin-first-reply", Direction::RefClient),
    ("fin-first-reply", Direction::RefServer),
];

/// Replay differences explained by a SPEC interop note: ngrok's crate writes no GOAWAY when
/// its debug data is shorter than 8 bytes, as when it closes a session ([INTEROP-13]).
fn explained(peer: &str, diff: &replay::Diff) -> Option<&'static str> {
    (peer.starts_with("ngrok-rust") && diff.topic == replay::Topic::GoAway && diff.live_silent)
        .then_some("INTEROP-13")
}

/// One run of the matrix.
#[derive(Clone, Debug)]
pub struct Cell {
    /// The scenario.
    pub scenario: &'static str,
    /// Which side the reference played.
    pub direction: Direction,
    /// The foreign peer's name.
    pub peer: String,
    /// What the reference side reported.
    pub reference: Outcome,
    /// What the foreign side reported.
    pub foreign: Outcome,
    /// The judgement.
    pub verdict: Verdict,
}

/// The verdict on one run; `cut` says whether a fault proxy cut the connection (`soak`'s
/// cross-checks of the two sides depend on it).
fn judge(
    peer: &str,
    scenario: &str,
    direction: Direction,
    reference: &Outcome,
    foreign: &Outcome,
    cut: bool,
) -> Verdict {
    let expected = DEVIATIONS
        .iter()
        .find(|(p, s, d, _)| peer.starts_with(p) && *s == scenario && *d == direction)
        .map(|(.., note)| *note);
    let passed = reference.ok && foreign.ok;
    if passed && scenario == "soak" {
        let (client, server) = match direction {
            Direction::RefClient => (reference, foreign),
            Direction::RefServer => (foreign, reference),
        };
        if let Err(problem) = scenario::check_soak(&client.observed, &server.observed, cut) {
            return Verdict::Fail(format!(
                "{problem} | client: {} | server: {}",
                client.observed, server.observed
            ));
        }
    }
    if passed && scenario == "burst" {
        let client = match direction {
            Direction::RefClient => reference,
            Direction::RefServer => foreign,
        };
        match scenario::burst_refused(&client.observed) {
            Err(problem) => return Verdict::Fail(problem),
            Ok(0) => {}
            Ok(refused) => {
                let what = format!(
                    "the server refused {refused} of {} streams: {}",
                    scenario::BURST_STREAMS,
                    client.observed
                );
                let note = BURST_REFUSALS
                    .iter()
                    .find(|(p, _)| peer.starts_with(p))
                    .map(|(_, note)| *note);
                return match (direction, note) {
                    (Direction::RefClient, Some(note)) => Verdict::Deviation(note),
                    (Direction::RefClient, None) => {
                        Verdict::Fail(format!("{what}; no SPEC interop note explains it"))
                    }
                    (Direction::RefServer, _) => Verdict::Fail(format!(
                        "{what}; the reference waits for an application that keeps accepting \
                         ([STREAM-14])"
                    )),
                };
            }
        }
    }
    match (passed, expected) {
        (true, None) => Verdict::Pass,
        (true, Some(note)) => Verdict::UnexpectedPass(note),
        (false, _) if foreign.unsupported => Verdict::NotApplicable(foreign.detail.clone()),
        (false, _) if reference.unsupported => Verdict::NotApplicable(reference.detail.clone()),
        (false, Some(note)) => Verdict::Deviation(note),
        (false, None) => Verdict::Fail(format!(
            "reference: {} | {}: {}",
            describe(reference),
            peer,
            describe(foreign)
        )),
    }
}

fn describe(outcome: &Outcome) -> String {
    if outcome.ok {
        format!("ok {}", outcome.observed)
    } else {
        format!("failed: {} {}", outcome.detail, outcome.observed)
    }
}

/// Runs one scenario in one direction against one peer, over TCP on 127.0.0.1, with the
/// matrix's [`Params`] (a short soak).
pub async fn run(peer: &ForeignPeer, scenario: &'static str, direction: Direction) -> Cell {
    run_via(
        peer,
        scenario,
        direction,
        &Params::matrix(),
        Between::Nothing,
    )
    .await
    .0
}

/// Runs one scenario like [`run`], through the recording proxy ([`record_one`]), and returns
/// the transcript of the session with the cell.
pub async fn record(
    peer: &ForeignPeer,
    scenario: &'static str,
    direction: Direction,
) -> (Cell, Option<Transcript>) {
    let (cell, proxied) = run_via(
        peer,
        scenario,
        direction,
        &Params::matrix(),
        Between::Recorder,
    )
    .await;
    (cell, proxied.transcript)
}

/// Runs one scenario with `params` through the fault-injecting proxy ([`proxy_one`]): the
/// cell (judged knowing whether the connection was cut) and what the proxy did, if it
/// finished.
pub async fn run_through_faults(
    peer: &ForeignPeer,
    scenario: &'static str,
    direction: Direction,
    params: &Params,
    faults: FaultConfig,
) -> (Cell, Option<FaultStats>) {
    let (cell, proxied) = run_via(peer, scenario, direction, params, Between::Faults(faults)).await;
    (cell, proxied.faults)
}

/// What sits between the two sides of a run.
#[derive(Clone, Debug)]
pub enum Between {
    /// Nothing: the client dials the server.
    Nothing,
    /// The recording proxy ([`record_one`]).
    Recorder,
    /// The fault-injecting proxy ([`proxy_one`]).
    Faults(FaultConfig),
}

/// A proxy at work.
enum Proxy {
    Recorder(JoinHandle<std::io::Result<Transcript>>),
    Faults(JoinHandle<std::io::Result<FaultStats>>),
}

/// What a proxy reported after a run.
#[derive(Default)]
pub struct Proxied {
    /// The recording proxy's transcript.
    pub transcript: Option<Transcript>,
    /// What the fault-injecting proxy did.
    pub faults: Option<FaultStats>,
}

/// Puts the proxy `between` in front of `target`: returns the address to dial and the proxy.
async fn via_proxy(target: SocketAddr, between: Between) -> (SocketAddr, Option<Proxy>) {
    if let Between::Nothing = between {
        return (target, None);
    }
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("bound");
    let proxy = match between {
        Between::Nothing => unreachable!("returned above"),
        Between::Recorder => {
            Proxy::Recorder(tokio::spawn(
                async move { record_one(&listener, target).await },
            ))
        }
        Between::Faults(config) => Proxy::Faults(tokio::spawn(async move {
            proxy_one(&listener, target, &config).await
        })),
    };
    (addr, Some(proxy))
}

/// Waits (at most 10 s) for the proxy to finish once both sides are done.
async fn proxied(proxy: Option<Proxy>) -> Proxied {
    let wait = std::time::Duration::from_secs(10);
    let mut out = Proxied::default();
    match proxy {
        None => {}
        Some(Proxy::Recorder(mut task)) => match tokio::time::timeout(wait, &mut task).await {
            Ok(Ok(Ok(transcript))) => out.transcript = Some(transcript),
            Ok(_) => {}
            Err(_) => task.abort(),
        },
        Some(Proxy::Faults(mut task)) => match tokio::time::timeout(wait, &mut task).await {
            Ok(Ok(Ok(stats))) => out.faults = Some(stats),
            Ok(_) => {}
            Err(_) => task.abort(),
        },
    }
    out
}

async fn run_via(
    peer: &ForeignPeer,
    scenario: &'static str,
    direction: Direction,
    params: &Params,
    between: Between,
) -> (Cell, Proxied) {
    let mut proxy = None;
    let (reference, foreign) = match direction {
        Direction::RefClient => {
            match peer.start_with(scenario, Role::Server, Endpoint::Listen, params) {
                Err(err) => (
                    skipped(),
                    failed(format!("cannot start {}: {err}", peer.name)),
                ),
                Ok(mut running) => match running.listening().await {
                    Err(err) => (skipped(), failed(err)),
                    Ok(addr) => {
                        let (addr, started) = via_proxy(addr, between).await;
                        proxy = started;
                        match TcpStream::connect(addr).await {
                            Err(err) => (skipped(), failed(format!("cannot dial {addr}: {err}"))),
                            Ok(tcp) => {
                                let session = scenario::session(tcp, scenario, Role::Client);
                                let reference =
                                    scenario::play_with(scenario, Role::Client, session, params)
                                        .await;
                                (reference, running.outcome().await)
                            }
                        }
                    }
                },
            }
        }
        Direction::RefServer => {
            let listener = TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind 127.0.0.1:0");
            let (addr, started) = via_proxy(listener.local_addr().expect("bound"), between).await;
            proxy = started;
            match peer.start_with(scenario, Role::Client, Endpoint::Dial(addr), params) {
                Err(err) => (
                    skipped(),
                    failed(format!("cannot start {}: {err}", peer.name)),
                ),
                Ok(running) => {
                    let accepted =
                        tokio::time::timeout(std::time::Duration::from_secs(20), listener.accept())
                            .await;
                    match accepted {
                        Ok(Ok((tcp, _))) => {
                            let session = scenario::session(tcp, scenario, Role::Server);
                            let play = scenario::play_with(scenario, Role::Server, session, params);
                            let (reference, foreign) = tokio::join!(play, running.outcome());
                            (reference, foreign)
                        }
                        _ => {
                            let foreign = running.outcome().await;
                            let reference = if foreign.unsupported {
                                skipped()
                            } else {
                                failed("the peer never connected".into())
                            };
                            (reference, foreign)
                        }
                    }
                }
            }
        }
    };
    let proxied = proxied(proxy).await;
    let cut = proxied.faults.as_ref().is_some_and(|f| f.cut_at.is_some());
    (
        cell(peer, scenario, direction, reference, foreign, cut),
        proxied,
    )
}

/// Replays the reference's side of `recording` against `peer`, which plays the other side of
/// the transcript's scenario; the cell's reference outcome is the replay's comparison.
pub async fn replay(
    peer: &ForeignPeer,
    recording: &Recording,
) -> Result<(Cell, replay::Report), String> {
    let scenario = recording
        .scenario
        .as_deref()
        .and_then(|name| scenario::SCENARIOS.iter().find(|s| **s == name))
        .ok_or("the transcript names no scenario of SCENARIOS.md")?;
    let side = recording
        .reference_side()
        .ok_or("the transcript names no side played by the reference")?;
    let options = replay::Options {
        side,
        window: scenario::config(scenario, side).max_window_size,
        wait: std::time::Duration::from_secs(10),
        linger: std::time::Duration::from_millis(300),
    };
    let (report, foreign) = match side {
        Role::Client => {
            let mut running = peer
                .start(scenario, Role::Server, Endpoint::Listen)
                .map_err(|e| format!("cannot start {}: {e}", peer.name))?;
            let addr = running.listening().await?;
            let tcp = TcpStream::connect(addr)
                .await
                .map_err(|e| format!("cannot dial {addr}: {e}"))?;
            let report = replay::replay(recording, &options, tcp).await;
            (report, running.outcome().await)
        }
        Role::Server => {
            let listener = TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|e| e.to_string())?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            let running = peer
                .start(scenario, Role::Client, Endpoint::Dial(addr))
                .map_err(|e| format!("cannot start {}: {e}", peer.name))?;
            match tokio::time::timeout(std::time::Duration::from_secs(20), listener.accept()).await
            {
                Ok(Ok((tcp, _))) => {
                    tokio::join!(replay::replay(recording, &options, tcp), running.outcome())
                }
                _ => {
                    let foreign = running.outcome().await;
                    let report = replay::Report {
                        diffs: vec![replay::Diff {
                            topic: replay::Topic::Transport,
                            text: "the peer never connected".into(),
                            live_silent: true,
                        }],
                        ..Default::default()
                    };
                    (report, foreign)
                }
            }
        }
    };
    // Differences a SPEC interop note explains for this implementation.
    let notes: Vec<&'static str> = report
        .diffs
        .iter()
        .filter_map(|d| explained(&peer.name, d))
        .collect();
    let unexplained: Vec<String> = report
        .diffs
        .iter()
        .filter(|d| explained(&peer.name, d).is_none())
        .map(|d| d.to_string())
        .collect();
    let reference = Outcome {
        ok: unexplained.is_empty(),
        unsupported: false,
        detail: unexplained.join("\n"),
        observed: serde_json::json!({"sent": report.sent, "received": report.received}),
    };
    let direction = match side {
        Role::Client => Direction::RefClient,
        Role::Server => Direction::RefServer,
    };
    let mut cell = cell(peer, scenario, direction, reference, foreign, false);
    if let (Verdict::Pass, Some(note)) = (&cell.verdict, notes.first()) {
        cell.verdict = Verdict::Deviation(note);
    }
    Ok((cell, report))
}

fn cell(
    peer: &ForeignPeer,
    scenario: &'static str,
    direction: Direction,
    reference: Outcome,
    foreign: Outcome,
    cut: bool,
) -> Cell {
    let verdict = judge(&peer.name, scenario, direction, &reference, &foreign, cut);
    Cell {
        scenario,
        direction,
        peer: peer.name.clone(),
        reference,
        foreign,
        verdict,
    }
}

fn skipped() -> Outcome {
    Outcome {
        ok: false,
        unsupported: true,
        detail: "not played".into(),
        observed: serde_json::Value::Null,
    }
}

fn failed(detail: String) -> Outcome {
    Outcome {
        ok: false,
        unsupported: false,
        detail,
        observed: serde_json::Value::Null,
    }
}

/// The matrix as a table: one row per scenario, one column per peer and direction.
pub fn table(cells: &[Cell]) -> String {
    let mut peers: Vec<&str> = Vec::new();
    for cell in cells {
        if !peers.contains(&cell.peer.as_str()) {
            peers.push(&cell.peer);
        }
    }
    let mut out = String::new();
    let _ = write!(out, "| scenario |");
    for peer in &peers {
        for direction in Direction::BOTH {
            let _ = write!(out, " {} {} |", direction.label(), peer);
        }
    }
    out.push_str("\n|---|");
    for _ in 0..peers.len() * 2 {
        out.push_str("---|");
    }
    out.push('\n');
    for scenario in scenario::SCENARIOS {
        let _ = write!(out, "| {scenario} |");
        for peer in &peers {
            for direction in Direction::BOTH {
                let cell = cells.iter().find(|c| {
                    c.scenario == *scenario && c.peer == *peer && c.direction == direction
                });
                let _ = write!(
                    out,
                    " {} |",
                    cell.map_or("-".to_string(), |c| c.verdict.short())
                );
            }
        }
        out.push('\n');
    }
    let notes: Vec<String> = cells
        .iter()
        .filter(|c| !matches!(c.verdict, Verdict::Pass | Verdict::Deviation(_)))
        .map(|c| {
            format!(
                "- {} {} {}: {:?}",
                c.direction.label(),
                c.peer,
                c.scenario,
                c.verdict
            )
        })
        .collect();
    if !notes.is_empty() {
        out.push('\n');
        out.push_str(&notes.join("\n"));
        out.push('\n');
    }
    out
}

/// The foreign peers found in `bin_dir` (built by [`build_peers`]).
pub fn foreign_peers(bin_dir: &Path) -> Vec<ForeignPeer> {
    let peer = |name: &str, program: &str, args: &[&str]| ForeignPeer {
        name: name.to_string(),
        program: bin_dir.join(program),
        args: args.iter().map(|a| a.to_string()).collect(),
    };
    vec![
        peer("go-2016", "go-peer-v2.0.2", &["--impl", "2016"]),
        peer("go-v2.0.1", "go-peer-v2.0.1", &["--impl", "ngrok"]),
        peer("go-v2.0.2", "go-peer-v2.0.2", &["--impl", "ngrok"]),
        peer("ngrok-rust", "ngrok-peer", &[]),
    ]
    .into_iter()
    .filter(|p| p.program.exists())
    .collect()
}

/// Builds the foreign peers into `<root>/target/interop-bin` (Go peers and conformance agents
/// with `go build`: `go-peer-v2.0.2`, `go-agent-v2.0.2`, and the same for v2.0.1; the ngrok
/// Rust peer with cargo into its own target directory) and returns that directory.
pub fn build_peers(root: &Path) -> Result<PathBuf, String> {
    let bin = root.join("target/interop-bin");
    std::fs::create_dir_all(&bin).map_err(|e| e.to_string())?;
    // The interop peers, and the conformance agents (SPEC.md appendix A), per modfile.
    for (modfile, version) in [("go.mod", "v2.0.2"), ("go.v2.0.1.mod", "v2.0.1")] {
        for (package, name) in [("./cmd/peer", "go-peer"), ("./cmd/agent", "go-agent")] {
            go_build(root, &bin, modfile, package, &format!("{name}-{version}"))?;
        }
    }
    let mut cargo =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo
        .args(["build", "--release", "--locked", "--manifest-path"])
        .arg(root.join("interop/ngrok-peer/Cargo.toml"))
        .arg("--target-dir")
        .arg(root.join("target/ngrok-peer"));
    run_build(cargo, "cargo build (ngrok-peer)")?;
    // The interop peer and the conformance agent on ngrok's Rust crate (one build).
    for name in ["ngrok-peer", "ngrok-agent"] {
        std::fs::copy(
            root.join("target/ngrok-peer/release").join(name),
            bin.join(name),
        )
        .map_err(|e| format!("copying {name}: {e}"))?;
    }
    Ok(bin)
}

/// Builds only the Go interop peer that links 2016 and v2.0.2 (`go-peer-v2.0.2`, the
/// `go-2016` and `go-v2.0.2` of [`foreign_peers`]) into `<root>/target/interop-bin`, and
/// returns that directory: all the soak needs.
pub fn build_go_peer(root: &Path) -> Result<PathBuf, String> {
    let bin = root.join("target/interop-bin");
    std::fs::create_dir_all(&bin).map_err(|e| e.to_string())?;
    go_build(root, &bin, "go.mod", "./cmd/peer", "go-peer-v2.0.2")?;
    Ok(bin)
}

/// `go build` of `package` in `interop/go` with `modfile`, to `bin/name`.
fn go_build(
    root: &Path,
    bin: &Path,
    modfile: &str,
    package: &str,
    name: &str,
) -> Result<(), String> {
    let mut go = std::process::Command::new("go");
    go.current_dir(root.join("interop/go"))
        .args([
            "build",
            "-mod=readonly",
            &format!("-modfile={modfile}"),
            "-o",
        ])
        .arg(bin.join(name))
        .arg(package);
    run_build(go, &format!("go build {package} ({modfile})"))
}

fn run_build(mut command: std::process::Command, what: &str) -> Result<(), String> {
    let status = command.status().map_err(|e| format!("{what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed: {status}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(ok: bool, observed: serde_json::Value) -> Outcome {
        Outcome {
            ok,
            unsupported: false,
            detail: String::new(),
            observed,
        }
    }

    fn burst_client(refused: u64) -> Outcome {
        outcome(
            true,
            serde_json::json!({"streams": 1000, "echoed": 1000 - refused, "refused": refused}),
        )
    }

    /// A burst cell fails when the reference server refused a stream, even though both sides
    /// report ok (a client may be refused, [STREAM-5]); a Go server's refusals are
    /// [INTEROP-5]'s, another server's fail the cell.
    ///
    /// checks: [STREAM-14] [INTEROP-5]
    #[test]
    fn burst_refusals_are_judged_by_who_served() {
        let server = outcome(true, serde_json::json!({"streams": 1000, "echoed": 1000}));
        let judge_burst = |peer, direction, client: &Outcome| match direction {
            Direction::RefServer => judge(peer, "burst", direction, &server, client, false),
            Direction::RefClient => judge(peer, "burst", direction, client, &server, false),
        };
        for peer in ["go-2016", "ngrok-rust"] {
            assert_eq!(
                judge_burst(peer, Direction::RefServer, &burst_client(0)),
                Verdict::Pass
            );
            assert!(matches!(
                judge_burst(peer, Direction::RefServer, &burst_client(1)),
                Verdict::Fail(why) if why.contains("STREAM-14")
            ));
        }
        assert_eq!(
            judge_burst("go-v2.0.2", Direction::RefClient, &burst_client(0)),
            Verdict::Pass
        );
        assert_eq!(
            judge_burst("go-v2.0.2", Direction::RefClient, &burst_client(3)),
            Verdict::Deviation("INTEROP-5")
        );
        assert!(matches!(
            judge_burst("ngrok-rust", Direction::RefClient, &burst_client(3)),
            Verdict::Fail(_)
        ));
        let no_count = outcome(true, serde_json::json!({}));
        assert!(matches!(
            judge_burst("go-2016", Direction::RefServer, &no_count),
            Verdict::Fail(_)
        ));
    }
}
