//! The scenario matrix: every scenario between pairs of peers of the registry
//! (`interop/peers.toml`): by default every peer against the reference, both ways; with
//! [`Pairs::All`] every client against every server.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::Role;
use crate::fault::{FaultConfig, FaultStats, proxy_one};
use crate::peer::{Endpoint, Peer};
use crate::record::{Transcript, record_one, record_one_keeping};
use crate::registry::{Deviation, Places, REFERENCE, Registry};
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
}

/// How one run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Both sides saw what the scenario requires.
    Pass,
    /// A side cannot play its part (no such API): it said so itself (exit code 3).
    NotApplicable(String),
    /// It failed exactly as a SPEC interop note says one of the two implementations does.
    Deviation(String),
    /// It failed.
    Fail(String),
    /// A deviation was expected, but the run passed: the expectation is stale.
    UnexpectedPass(String),
}

impl Verdict {
    /// Whether the verdict keeps the matrix green.
    pub fn is_good(&self) -> bool {
        matches!(
            self,
            Verdict::Pass | Verdict::NotApplicable(_) | Verdict::Deviation(_)
        )
    }

    /// The verdict in a grid cell: `pass`, `n/a`, `dev INTEROP-3`, `FAIL`, `UNEXPECTED PASS`.
    pub fn short(&self) -> String {
        match self {
            Verdict::Pass => "pass".into(),
            Verdict::NotApplicable(_) => "n/a".into(),
            Verdict::Deviation(note) => format!("dev {note}"),
            Verdict::Fail(_) => "FAIL".into(),
            Verdict::UnexpectedPass(_) => "UNEXPECTED PASS".into(),
        }
    }

    /// Its kind, as the JSON report spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::NotApplicable(_) => "n/a",
            Verdict::Deviation(_) => "deviation",
            Verdict::Fail(_) => "fail",
            Verdict::UnexpectedPass(_) => "unexpected-pass",
        }
    }

    /// What it says beyond its kind: why it is n/a, the note, what failed.
    pub fn detail(&self) -> &str {
        match self {
            Verdict::Pass => "",
            Verdict::NotApplicable(s)
            | Verdict::Deviation(s)
            | Verdict::Fail(s)
            | Verdict::UnexpectedPass(s) => s,
        }
    }
}

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

/// The replay difference `diff` of `peer`, when a SPEC interop note the registry names for it
/// explains it (e.g. ngrok's crate writes no GOAWAY when its debug data is shorter than 8
/// bytes, as when it closes a session: [INTEROP-13]).
fn explained(peer: &Peer, diff: &replay::Diff) -> Option<String> {
    let topic = match diff.topic {
        replay::Topic::Stream(_) => "stream",
        replay::Topic::GoAway => "goaway",
        replay::Topic::Other => "other",
        replay::Topic::Transport => "transport",
    };
    peer.replay
        .iter()
        .find(|r| r.topic == topic && diff.live_silent)
        .map(|r| r.note.clone())
}

/// One run of the matrix: one scenario, one client, one server.
#[derive(Clone, Debug)]
pub struct Cell {
    /// The scenario.
    pub scenario: &'static str,
    /// The client's name.
    pub client: String,
    /// The server's name.
    pub server: String,
    /// What the client side reported.
    pub client_side: Outcome,
    /// What the server side reported.
    pub server_side: Outcome,
    /// The judgement.
    pub verdict: Verdict,
    /// What the verdict rests on in SPEC.md: the interop note of a deviation, the requirements
    /// a failure breaks (empty for a pass or n/a).
    pub breaks: Vec<String>,
    /// The frame log of the run (through the recording proxy), kept for a cell that neither
    /// passed nor was n/a.
    pub frame_log: Option<String>,
    /// Where that frame log was written (in the results directory), if it was.
    pub log_file: Option<PathBuf>,
    /// How long the run took.
    pub elapsed: Duration,
}

impl Cell {
    /// The direction of a cell with the reference on one side (and not on both).
    pub fn direction(&self) -> Option<Direction> {
        match (self.client == REFERENCE, self.server == REFERENCE) {
            (true, false) => Some(Direction::RefClient),
            (false, true) => Some(Direction::RefServer),
            _ => None,
        }
    }

    /// The peer other than the reference of a reference pair, or the client.
    pub fn peer(&self) -> &str {
        if self.client == REFERENCE {
            &self.server
        } else {
            &self.client
        }
    }
}

/// One side of a run, for [`judge`].
#[derive(Clone, Copy)]
struct Side<'a> {
    name: &'a str,
    deviations: &'a [Deviation],
    outcome: &'a Outcome,
}

impl Side<'_> {
    fn deviation(&self, scenario: &str, role: Role, counterpart: &str) -> Option<&Deviation> {
        self.deviations
            .iter()
            .find(|d| !d.refusals && d.applies(scenario, role, counterpart))
    }

    fn refusals(&self, scenario: &str, counterpart: &str) -> Option<&Deviation> {
        self.deviations
            .iter()
            .find(|d| d.refusals && d.applies(scenario, Role::Server, counterpart))
    }
}

/// The verdict on one run and the SPEC ids it rests on; `cut` says whether a fault proxy cut
/// the connection (`soak`'s cross-checks of the two sides depend on it).
fn judge(scenario: &str, client: Side<'_>, server: Side<'_>, cut: bool) -> (Verdict, Vec<String>) {
    let broken = || {
        scenario::requirements(scenario)
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    };
    let expected = client
        .deviation(scenario, Role::Client, server.name)
        .or_else(|| server.deviation(scenario, Role::Server, client.name));
    let passed = client.outcome.ok && server.outcome.ok;
    if passed && scenario == "soak" {
        if let Err(problem) =
            scenario::check_soak(&client.outcome.observed, &server.outcome.observed, cut)
        {
            return (
                Verdict::Fail(format!(
                    "{problem} | client: {} | server: {}",
                    client.outcome.observed, server.outcome.observed
                )),
                broken(),
            );
        }
    }
    if passed && scenario == "burst" {
        match scenario::burst_refused(&client.outcome.observed) {
            Err(problem) => return (Verdict::Fail(problem), broken()),
            Ok(0) => {}
            Ok(refused) => {
                let what = format!(
                    "the {} server refused {refused} of {} streams: {}",
                    server.name,
                    scenario::BURST_STREAMS,
                    client.outcome.observed
                );
                return match server.refusals(scenario, client.name) {
                    Some(d) => (Verdict::Deviation(d.note.clone()), vec![d.note.clone()]),
                    None => (
                        Verdict::Fail(format!(
                            "{what}; no SPEC interop note explains it (an acceptor may wait for \
                             room instead, [STREAM-14], as the reference does)"
                        )),
                        vec!["STREAM-14".into(), "STREAM-5".into()],
                    ),
                };
            }
        }
    }
    match (passed, expected) {
        (true, None) => (Verdict::Pass, Vec::new()),
        (true, Some(d)) if d.sometimes => (Verdict::Pass, Vec::new()),
        (true, Some(d)) => (
            Verdict::UnexpectedPass(d.note.clone()),
            vec![d.note.clone()],
        ),
        (false, _) if server.outcome.unsupported => (
            Verdict::NotApplicable(format!("{}: {}", server.name, server.outcome.detail)),
            Vec::new(),
        ),
        (false, _) if client.outcome.unsupported => (
            Verdict::NotApplicable(format!("{}: {}", client.name, client.outcome.detail)),
            Vec::new(),
        ),
        (false, Some(d)) => (Verdict::Deviation(d.note.clone()), vec![d.note.clone()]),
        (false, None) => (
            Verdict::Fail(format!(
                "client {}: {} | server {}: {}",
                client.name,
                describe(client.outcome),
                server.name,
                describe(server.outcome)
            )),
            broken(),
        ),
    }
}

fn describe(outcome: &Outcome) -> String {
    if outcome.ok {
        format!("ok {}", outcome.observed)
    } else {
        format!("failed: {} {}", outcome.detail, outcome.observed)
    }
}

/// Runs one scenario in one direction between the reference, in this process, and `peer`,
/// over TCP on 127.0.0.1, with the matrix's [`Params`] (a short soak). The matrix itself runs
/// the reference as a peer program too ([`run_pair`]); this is for the harness's own tests.
pub async fn run(peer: &Peer, scenario: &'static str, direction: Direction) -> Cell {
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
    peer: &Peer,
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
    peer: &Peer,
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
    peer: &Peer,
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
pub async fn replay(peer: &Peer, recording: &Recording) -> Result<(Cell, replay::Report), String> {
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
    let notes: Vec<String> = report
        .diffs
        .iter()
        .filter_map(|d| explained(peer, d))
        .collect();
    let unexplained: Vec<String> = report
        .diffs
        .iter()
        .filter(|d| explained(peer, d).is_none())
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
        cell.verdict = Verdict::Deviation(note.clone());
        cell.breaks = vec![note.clone()];
    }
    Ok((cell, report))
}

/// The cell of an in-process run: the reference (no deviations of its own) against `peer`.
fn cell(
    peer: &Peer,
    scenario: &'static str,
    direction: Direction,
    reference: Outcome,
    foreign: Outcome,
    cut: bool,
) -> Cell {
    let none: &[Deviation] = &[];
    let (client, server, client_side, server_side, client_deviations, server_deviations) =
        match direction {
            Direction::RefClient => (
                REFERENCE,
                peer.name.as_str(),
                reference,
                foreign,
                none,
                &peer.deviations[..],
            ),
            Direction::RefServer => (
                peer.name.as_str(),
                REFERENCE,
                foreign,
                reference,
                &peer.deviations[..],
                none,
            ),
        };
    let (verdict, breaks) = judge(
        scenario,
        Side {
            name: client,
            deviations: client_deviations,
            outcome: &client_side,
        },
        Side {
            name: server,
            deviations: server_deviations,
            outcome: &server_side,
        },
        cut,
    );
    Cell {
        scenario,
        client: client.to_string(),
        server: server.to_string(),
        client_side,
        server_side,
        verdict,
        breaks,
        frame_log: None,
        log_file: None,
        elapsed: Duration::ZERO,
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

/// The matrix as a table: one row per scenario, one column per pair (`client→server`), in
/// the order the cells came.
pub fn table(cells: &[Cell]) -> String {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for cell in cells {
        let pair = (cell.client.as_str(), cell.server.as_str());
        if !pairs.contains(&pair) {
            pairs.push(pair);
        }
    }
    let mut out = String::new();
    let _ = write!(out, "| scenario |");
    for (client, server) in &pairs {
        let _ = write!(out, " {client}→{server} |");
    }
    out.push_str("\n|---|");
    for _ in &pairs {
        out.push_str("---|");
    }
    out.push('\n');
    for scenario in scenario::SCENARIOS {
        if !cells.iter().any(|c| c.scenario == *scenario) {
            continue;
        }
        let _ = write!(out, "| {scenario} |");
        for (client, server) in &pairs {
            let cell = cells
                .iter()
                .find(|c| c.scenario == *scenario && c.client == *client && c.server == *server);
            let _ = write!(
                out,
                " {} |",
                cell.map_or("-".to_string(), |c| c.verdict.short())
            );
        }
        out.push('\n');
    }
    let notes: Vec<String> = cells
        .iter()
        .filter(|c| !matches!(c.verdict, Verdict::Pass | Verdict::Deviation(_)))
        .map(|c| {
            format!(
                "- {}→{} {}: {:?}",
                c.client, c.server, c.scenario, c.verdict
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

/// Which pairs of peers the matrix runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pairs {
    /// Every peer against the reference, both ways (what CI runs).
    Reference,
    /// Every client against every server, the reference and each peer against itself
    /// included.
    All,
    /// Every peer against the one named, both ways, and that one against itself.
    With(String),
}

impl Pairs {
    /// `reference`, `all`, or the name of a peer.
    pub fn parse(text: &str) -> Pairs {
        match text {
            "reference" => Pairs::Reference,
            "all" => Pairs::All,
            name => Pairs::With(name.to_string()),
        }
    }

    /// What the pairs are, in words.
    pub fn describe(&self) -> String {
        match self {
            Pairs::Reference => "every peer with the reference".into(),
            Pairs::All => "every client against every server".into(),
            Pairs::With(name) => format!("every peer with {name}"),
        }
    }
}

/// The `(client, server)` pairs of `peers` (indices) that `pairs` asks for, clients in the
/// order of `peers`.
pub fn pairs_of(peers: &[Peer], pairs: &Pairs) -> Vec<(usize, usize)> {
    let position = |name: &str| peers.iter().position(|p| p.name == name);
    let reference = position(REFERENCE);
    let with = match pairs {
        Pairs::With(name) => position(name),
        _ => None,
    };
    let mut out = Vec::new();
    for client in 0..peers.len() {
        for server in 0..peers.len() {
            let involves = |one: Option<usize>| Some(client) == one || Some(server) == one;
            let keep = match pairs {
                Pairs::All => true,
                Pairs::Reference => involves(reference) && client != server,
                Pairs::With(_) => involves(with),
            };
            if keep {
                out.push((client, server));
            }
        }
    }
    out
}

/// How the matrix runs its cells.
#[derive(Clone, Debug)]
pub struct Options {
    /// How many runs at once (at least 1). A heavy scenario ([`scenario::is_heavy`]) runs
    /// alone.
    pub jobs: usize,
    /// Route every run through the recording proxy, and keep the frame log of the cells that
    /// neither pass nor are n/a.
    pub record: bool,
    /// Write those frame logs into `<results>/logs/`.
    pub results: Option<PathBuf>,
    /// The scenarios' parameters (the matrix's: a 2 s soak).
    pub params: Params,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            jobs: 1,
            record: true,
            results: None,
            params: Params::matrix(),
        }
    }
}

/// Frame-log lines kept of one run at most: its first ones and its last ones.
const LOG_HEAD: usize = 20_000;
const LOG_TAIL: usize = 5_000;

/// Runs `scenario` with `client` dialing `server` (both peer programs), through the recording
/// proxy when `options.record`.
pub async fn run_pair(
    client: &Peer,
    server: &Peer,
    scenario: &'static str,
    options: &Options,
) -> Cell {
    let started = Instant::now();
    let params = &options.params;
    let mut transcript = None;
    let (client_side, server_side) =
        match server.start_with(scenario, Role::Server, Endpoint::Listen, params) {
            Err(err) => (
                failed("not played: the server did not start".into()),
                failed(format!("cannot start {}: {err}", server.name)),
            ),
            Ok(mut running_server) => match running_server.listening().await {
                Err(err) => (
                    failed("not played: the server did not listen".into()),
                    failed(err),
                ),
                Ok(addr) => {
                    let (dial, recorder) = if options.record {
                        let listener = TcpListener::bind("127.0.0.1:0")
                            .await
                            .expect("bind 127.0.0.1:0");
                        let dial = listener.local_addr().expect("bound");
                        let task =
                            tokio::spawn(
                                async move { record_one_keeping(&listener, addr, 0).await },
                            );
                        (dial, Some(task))
                    } else {
                        (addr, None)
                    };
                    let sides = match client.start_with(
                        scenario,
                        Role::Client,
                        Endpoint::Dial(dial),
                        params,
                    ) {
                        Err(err) => (
                            failed(format!("cannot start {}: {err}", client.name)),
                            running_server.outcome().await,
                        ),
                        Ok(running_client) => {
                            tokio::join!(running_client.outcome(), running_server.outcome())
                        }
                    };
                    if let Some(mut task) = recorder {
                        // Both sides are done: the proxy ends with their connections.
                        match tokio::time::timeout(Duration::from_secs(2), &mut task).await {
                            Ok(Ok(Ok(t))) => transcript = Some(t),
                            Ok(_) => {}
                            Err(_) => task.abort(),
                        }
                    }
                    sides
                }
            },
        };
    let (verdict, breaks) = judge(
        scenario,
        Side {
            name: &client.name,
            deviations: &client.deviations,
            outcome: &client_side,
        },
        Side {
            name: &server.name,
            deviations: &server.deviations,
            outcome: &server_side,
        },
        false,
    );
    let keep = !matches!(verdict, Verdict::Pass | Verdict::NotApplicable(_));
    let frame_log = transcript.filter(|_| keep).map(|t| bounded_log(&t));
    Cell {
        scenario,
        client: client.name.clone(),
        server: server.name.clone(),
        client_side,
        server_side,
        verdict,
        breaks,
        frame_log,
        log_file: None,
        elapsed: started.elapsed(),
    }
}

/// The frame log of `transcript`, its first [`LOG_HEAD`] and last [`LOG_TAIL`] lines when it
/// is longer, with where each direction's byte stream ended.
fn bounded_log(transcript: &Transcript) -> String {
    let log = transcript.log();
    let lines: Vec<&str> = log.lines().collect();
    let mut out = String::new();
    if lines.len() > LOG_HEAD + LOG_TAIL {
        for line in &lines[..LOG_HEAD] {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(
            out,
            "... {} frames left out ...",
            lines.len() - LOG_HEAD - LOG_TAIL
        );
        for line in &lines[lines.len() - LOG_TAIL..] {
            let _ = writeln!(out, "{line}");
        }
    } else {
        out = log;
    }
    for (dir, t) in &transcript.ends {
        let _ = writeln!(
            out,
            "{:>10.3}ms {} end of stream",
            *t as f64 / 1000.0,
            dir.label()
        );
    }
    out
}

/// The header of a frame-log file: what ran and how it ended.
fn log_header(cell: &Cell) -> String {
    format!(
        "# {} client {} server {}: {}{}\n# breaks: {}\n# client: ok={} {} {}\n# server: ok={} {} {}\n",
        cell.scenario,
        cell.client,
        cell.server,
        cell.verdict.short(),
        match &cell.verdict {
            Verdict::Fail(why) | Verdict::NotApplicable(why) => format!(": {why}"),
            _ => String::new(),
        },
        cell.breaks.join(" "),
        cell.client_side.ok,
        cell.client_side.detail,
        cell.client_side.observed,
        cell.server_side.ok,
        cell.server_side.detail,
        cell.server_side.observed,
    )
}

/// The file name of a cell's frame log.
pub fn log_name(cell: &Cell) -> String {
    format!("{}.{}.{}.log", cell.scenario, cell.client, cell.server)
}

/// Runs `scenarios` between the `pairs` of `peers` (indices, from [`pairs_of`]), `options.jobs`
/// at a time, and returns the cells in the order of pairs, then scenarios. `progress` sees
/// each cell as it ends.
pub async fn run_matrix(
    peers: &[Peer],
    pairs: &[(usize, usize)],
    scenarios: &[&'static str],
    options: &Options,
    progress: impl Fn(&Cell),
) -> Vec<Cell> {
    let jobs = options.jobs.max(1);
    let permits = Arc::new(Semaphore::new(jobs));
    let peers: Arc<Vec<Peer>> = Arc::new(peers.to_vec());
    // Light runs first, then the heavy ones, each alone: a heavy run waiting for a slot to
    // empty would hold back every run behind it (the permits are handed out in order), and
    // some light runs spend their time waiting (a peer's 30 s limit), not computing.
    let mut order: Vec<(usize, usize, usize, &'static str)> = Vec::new();
    for &(c, s) in pairs {
        for &scenario in scenarios {
            order.push((order.len(), c, s, scenario));
        }
    }
    let total = order.len();
    order.sort_by_key(|&(i, .., scenario)| (scenario::is_heavy(scenario), i));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let dispatch_options = options.clone();
    tokio::spawn(async move {
        for (i, c, s, scenario) in order {
            let weight = if scenario::is_heavy(scenario) {
                jobs as u32
            } else {
                1
            };
            let permit = permits
                .clone()
                .acquire_many_owned(weight)
                .await
                .expect("never closed");
            let (peers, options, tx) = (peers.clone(), dispatch_options.clone(), tx.clone());
            tokio::spawn(async move {
                let cell = run_pair(&peers[c], &peers[s], scenario, &options).await;
                drop(permit);
                let _ = tx.send((i, cell));
            });
        }
    });
    let mut cells: Vec<Option<Cell>> = vec![None; total];
    while let Some((i, mut cell)) = rx.recv().await {
        if let (Some(dir), Some(log)) = (&options.results, &cell.frame_log) {
            let path = dir.join("logs").join(log_name(&cell));
            let written = std::fs::create_dir_all(dir.join("logs"))
                .and_then(|()| std::fs::write(&path, log_header(&cell) + log));
            if written.is_ok() {
                cell.log_file = Some(path);
            }
        }
        progress(&cell);
        cells[i] = Some(cell);
    }
    let done: Vec<Cell> = cells.into_iter().flatten().collect();
    assert_eq!(done.len(), total, "a matrix run panicked");
    done
}

/// The placeholders of the registry for a repository at `root`, peers built into `bin`, and
/// `interop` the `muxado-interop` program.
pub fn places(root: &Path, bin: &Path, interop: &Path) -> Places {
    Places {
        root: root.to_path_buf(),
        bin: bin.to_path_buf(),
        interop: interop.to_path_buf(),
    }
}

/// The peers of the registry under `root`, built in `bin`; `interop` plays the reference.
pub fn registry_peers(root: &Path, bin: &Path, interop: &Path) -> Result<Vec<Peer>, String> {
    Ok(Registry::load(root)?.peers(&places(root, bin, interop)))
}

/// The foreign peers of the registry (every peer but the reference), built in `bin_dir`
/// (by [`build_peers`]).
pub fn foreign_peers(bin_dir: &Path) -> Vec<Peer> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    registry_peers(&root, bin_dir, Path::new("muxado-interop"))
        .expect("interop/peers.toml")
        .into_iter()
        .filter(|p| p.name != REFERENCE)
        .collect()
}

/// Builds every peer of the registry into `bin` (the Go peers and conformance agents with `go
/// build`, ngrok's crate peer and agent with cargo into its own target directory).
pub fn build_peers_into(root: &Path, bin: &Path) -> Result<(), String> {
    Registry::load(root)?.build(&places(root, bin, Path::new("muxado-interop")), &[])
}

/// Where the peers are built: `$MUXADO_INTEROP_BIN` when set, else
/// `<root>/target/interop-bin`.
pub fn bin_dir(root: &Path) -> PathBuf {
    std::env::var_os("MUXADO_INTEROP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/interop-bin"))
}

/// Builds every peer of the registry into [`bin_dir`] and returns that directory.
pub fn build_peers(root: &Path) -> Result<PathBuf, String> {
    let bin = bin_dir(root);
    build_peers_into(root, &bin)?;
    Ok(bin)
}

/// Builds only the Go peers `go-2016` and `go-v2.0.2` (one program) into [`bin_dir`], and
/// returns that directory: all the soak needs.
pub fn build_go_peer(root: &Path) -> Result<PathBuf, String> {
    let bin = bin_dir(root);
    Registry::load(root)?.build(
        &places(root, &bin, Path::new("muxado-interop")),
        &["go-2016".into(), "go-v2.0.2".into()],
    )?;
    Ok(bin)
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

    fn judge_burst(client: (&str, &Outcome), server: (&str, &[Deviation])) -> Verdict {
        let served = outcome(true, serde_json::json!({"streams": 1000, "echoed": 1000}));
        judge(
            "burst",
            Side {
                name: client.0,
                deviations: &[],
                outcome: client.1,
            },
            Side {
                name: server.0,
                deviations: server.1,
                outcome: &served,
            },
            false,
        )
        .0
    }

    fn registered(name: &str) -> Peer {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        registry_peers(&root, Path::new("/bin"), Path::new("/interop"))
            .unwrap()
            .into_iter()
            .find(|p| p.name == name)
            .unwrap()
    }

    /// A burst cell fails when the reference server refused a stream, even though both sides
    /// report ok (a client may be refused, [STREAM-5]); a Go server's refusals are
    /// [INTEROP-5]'s (as the registry says), another server's fail the cell.
    ///
    /// checks: [STREAM-14] [INTEROP-5]
    #[test]
    fn burst_refusals_are_judged_by_who_served() {
        let reference = registered(REFERENCE);
        let go = registered("go-v2.0.2");
        let ngrok = registered("ngrok-rust");
        for client in ["go-2016", "ngrok-rust"] {
            assert_eq!(
                judge_burst(
                    (client, &burst_client(0)),
                    (REFERENCE, &reference.deviations)
                ),
                Verdict::Pass
            );
            assert!(matches!(
                judge_burst((client, &burst_client(1)), (REFERENCE, &reference.deviations)),
                Verdict::Fail(why) if why.contains("STREAM-14")
            ));
        }
        for client in [REFERENCE, "ngrok-rust"] {
            assert_eq!(
                judge_burst((client, &burst_client(0)), ("go-v2.0.2", &go.deviations)),
                Verdict::Pass
            );
            assert_eq!(
                judge_burst((client, &burst_client(3)), ("go-v2.0.2", &go.deviations)),
                Verdict::Deviation("INTEROP-5".into())
            );
        }
        assert!(matches!(
            judge_burst(
                (REFERENCE, &burst_client(3)),
                ("ngrok-rust", &ngrok.deviations)
            ),
            Verdict::Fail(_)
        ));
        let no_count = outcome(true, serde_json::json!({}));
        assert!(matches!(
            judge_burst(("go-2016", &no_count), (REFERENCE, &reference.deviations)),
            Verdict::Fail(_)
        ));
    }

    /// A registered deviation explains a failure in either role, a pass where one was
    /// expected is reported (but not against a counterpart the deviation excepts), a side that
    /// says it cannot play makes the cell n/a, and any other failure cites the requirements
    /// its scenario checks.
    ///
    /// checks: [INTEROP-14] [INTEROP-13] [INTEROP-28]
    #[test]
    fn deviations_come_from_the_registry() {
        let ngrok = registered("ngrok-rust");
        let ok = outcome(true, serde_json::json!({}));
        let bad = outcome(false, serde_json::json!({}));
        let side = |name, deviations, outcome| Side {
            name,
            deviations,
            outcome,
        };
        let (v, breaks) = judge(
            "fin-first-reply",
            side("ngrok-rust", &ngrok.deviations, &ok),
            side("go-v2.0.2", &[], &bad),
            false,
        );
        assert_eq!(v, Verdict::Deviation("INTEROP-14".into()));
        assert_eq!(breaks, ["INTEROP-14"]);
        let (v, _) = judge(
            "goaway-from-server",
            side("go-v2.0.2", &[], &ok),
            side("ngrok-rust", &ngrok.deviations, &ok),
            false,
        );
        assert_eq!(v, Verdict::UnexpectedPass("INTEROP-13".into()));
        // Go 2016 reads the crate's short GOAWAY whole ([INTEROP-28]): no deviation expected.
        let (v, _) = judge(
            "goaway-from-server",
            side("go-2016", &[], &ok),
            side("ngrok-rust", &ngrok.deviations, &ok),
            false,
        );
        assert_eq!(v, Verdict::Pass);
        let mut unsupported = bad.clone();
        unsupported.unsupported = true;
        let (v, _) = judge(
            "reset",
            side("go-2016", &[], &bad),
            side("ngrok-rust", &ngrok.deviations, &unsupported),
            false,
        );
        assert!(matches!(v, Verdict::NotApplicable(_)));
        let (v, breaks) = judge("typed", side("a", &[], &bad), side("b", &[], &ok), false);
        assert!(matches!(v, Verdict::Fail(_)));
        assert_eq!(breaks, ["TYPED-2", "TYPED-3"]);
    }

    /// The default pairs are every peer with the reference, both ways; `--pairs all` is the
    /// whole square; `--pairs NAME` every peer with NAME, and NAME against itself.
    ///
    /// checks: tooling
    #[test]
    fn pairs_are_the_reference_ones_or_all() {
        let peers: Vec<Peer> = [REFERENCE, "a", "b"]
            .iter()
            .map(|n| {
                let mut p = registered(REFERENCE);
                p.name = n.to_string();
                p
            })
            .collect();
        assert_eq!(
            pairs_of(&peers, &Pairs::Reference),
            [(0, 1), (0, 2), (1, 0), (2, 0)]
        );
        assert_eq!(pairs_of(&peers, &Pairs::All).len(), 9);
        assert_eq!(
            pairs_of(&peers, &Pairs::parse("b")),
            [(0, 2), (1, 2), (2, 0), (2, 1), (2, 2)]
        );
    }
}
