//! What a run measures: the implementations (pairs of bench peers) and the cases, per mode.

use std::path::{Path, PathBuf};
use std::time::Duration;

use muxado_bench_kit::wire::MAX_STREAMS;
use serde::{Deserialize, Serialize};

/// One bench peer program and the arguments that choose its implementation.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PeerCommand {
    /// The program.
    pub program: PathBuf,
    /// Arguments before the side (`server ...` / `client ...`).
    pub args: Vec<String>,
}

/// A peer implementation as it appears on one side of a pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerImpl {
    /// The reference (this binary).
    Reference,
    /// Plain TCP (this binary).
    Tcp,
    /// `github.com/inconshreveable/muxado` (the Go bench peer, `--impl 2016`).
    Go2016,
    /// `golang.ngrok.com/muxado/v2` v2.0.2 (the Go bench peer, `--impl ngrok`).
    GoV2,
    /// ngrok's Rust `muxado` crate (the foreign bench peer, `--impl ngrok-rust`).
    NgrokRust,
    /// The `yamux` crate (the foreign bench peer, `--impl yamux`).
    Yamux,
}

impl PeerImpl {
    /// The key of this implementation's entry in the report's versions.
    pub fn version_key(self) -> &'static str {
        match self {
            PeerImpl::Reference => "reference",
            PeerImpl::Tcp => "tcp",
            PeerImpl::Go2016 => "go-2016",
            PeerImpl::GoV2 => "go-v2.0.2",
            PeerImpl::NgrokRust => "ngrok-rust",
            PeerImpl::Yamux => "yamux",
        }
    }

    /// The command that runs this implementation. `this` is the bench driver's own program;
    /// `bin_dir` holds the Go and foreign peers.
    pub fn command(self, this: &Path, bin_dir: &Path) -> PeerCommand {
        let (program, args): (PathBuf, &[&str]) = match self {
            PeerImpl::Reference => (this.to_path_buf(), &["peer", "--impl", "reference"]),
            PeerImpl::Tcp => (this.to_path_buf(), &["peer", "--impl", "tcp"]),
            PeerImpl::Go2016 => (bin_dir.join("go-benchpeer"), &["--impl", "2016"]),
            PeerImpl::GoV2 => (bin_dir.join("go-benchpeer"), &["--impl", "ngrok"]),
            PeerImpl::NgrokRust => (bin_dir.join("foreign-benchpeer"), &["--impl", "ngrok-rust"]),
            PeerImpl::Yamux => (bin_dir.join("foreign-benchpeer"), &["--impl", "yamux"]),
        };
        PeerCommand {
            program,
            args: args.iter().map(|a| a.to_string()).collect(),
        }
    }
}

/// A pair of peers measured as one implementation: the client measures, the server serves.
#[derive(Clone, Copy, Debug)]
pub struct Pair {
    /// The name used in tables and on the command line.
    pub name: &'static str,
    /// Who dials and measures.
    pub client: PeerImpl,
    /// Who listens and serves.
    pub server: PeerImpl,
    /// What it is, for the report.
    pub about: &'static str,
}

/// The name of the pair every ratio is taken against.
pub const REFERENCE: &str = "reference";

/// Every implementation, in report order.
pub const PAIRS: [Pair; 8] = [
    Pair {
        name: REFERENCE,
        client: PeerImpl::Reference,
        server: PeerImpl::Reference,
        about: "muxado-reference (this repository), Rust to Rust",
    },
    Pair {
        name: "go-2016",
        client: PeerImpl::Go2016,
        server: PeerImpl::Go2016,
        about: "github.com/inconshreveable/muxado fc182d9, Go to Go",
    },
    Pair {
        name: "go-v2.0.2",
        client: PeerImpl::GoV2,
        server: PeerImpl::GoV2,
        about: "golang.ngrok.com/muxado/v2 v2.0.2, Go to Go",
    },
    Pair {
        name: "ngrok-rust",
        client: PeerImpl::NgrokRust,
        server: PeerImpl::NgrokRust,
        about: "ngrok's Rust muxado crate 0.5.4, Rust to Rust",
    },
    Pair {
        name: "yamux",
        client: PeerImpl::Yamux,
        server: PeerImpl::Yamux,
        about: "the yamux crate (rust-libp2p), Rust to Rust",
    },
    Pair {
        name: "tcp",
        client: PeerImpl::Tcp,
        server: PeerImpl::Tcp,
        about: "plain TCP, one connection per stream (no multiplexing)",
    },
    Pair {
        name: "ref-to-go-v2.0.2",
        client: PeerImpl::Reference,
        server: PeerImpl::GoV2,
        about: "reference client, Go v2.0.2 server",
    },
    Pair {
        name: "go-v2.0.2-to-ref",
        client: PeerImpl::GoV2,
        server: PeerImpl::Reference,
        about: "Go v2.0.2 client, reference server",
    },
];

/// The workload kinds, as the peers name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Bytes per second through concurrent streams.
    Bulk,
    /// Streams opened, echoed and closed per second.
    Rate,
    /// Round-trip times of 64-byte echoes.
    Latency,
    /// Resident memory per idle stream.
    Memory,
    /// Streams opened all at once against a server with its default accept backlog.
    Burst,
    /// Memory and CPU per idle session, the heartbeat on.
    SessionsIdle,
    /// Streams opened, echoed and closed per second, spread over many sessions.
    SessionsActive,
}

/// One measured situation: a workload with its parameters.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Case {
    /// Short id, e.g. `bulk-1MiB-x64`.
    pub id: String,
    /// The workload.
    pub kind: Kind,
    /// Bulk: payload bytes per stream.
    #[serde(default)]
    pub size: u64,
    /// Bulk: concurrent streams; rate: streams in flight; memory: idle streams; burst:
    /// streams opened at once.
    #[serde(default)]
    pub streams: usize,
    /// Sessions-idle and sessions-active: sessions dialed.
    #[serde(default)]
    pub sessions: usize,
    /// Bulk, rate and sessions-active: minimum measuring time per run, seconds;
    /// sessions-idle: the idle time measured.
    #[serde(default)]
    pub secs: f64,
    /// Latency: round trips measured.
    #[serde(default)]
    pub samples: usize,
    /// Latency: with a bulk transfer on another stream.
    #[serde(default)]
    pub loaded: bool,
    /// At most this many repetitions, whatever the mode's: a case whose runs are long and
    /// steady (idle sessions: 10 s of idle each) would otherwise dominate the full run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_reps: Option<usize>,
}

impl Default for Case {
    fn default() -> Case {
        Case {
            id: String::new(),
            kind: Kind::Latency,
            size: 0,
            streams: 0,
            sessions: 0,
            secs: 0.0,
            samples: 0,
            loaded: false,
            max_reps: None,
        }
    }
}

impl Case {
    /// The client's workload arguments.
    pub fn args(&self) -> Vec<String> {
        let kind = match self.kind {
            Kind::Bulk => "bulk",
            Kind::Rate => "rate",
            Kind::Latency => "latency",
            Kind::Memory => "memory",
            Kind::Burst => "burst",
            Kind::SessionsIdle => "sessions-idle",
            Kind::SessionsActive => "sessions-active",
        };
        let mut args = vec![
            "--workload".to_string(),
            kind.to_string(),
            "--size".into(),
            self.size.to_string(),
            "--streams".into(),
            self.streams.to_string(),
            "--secs".into(),
            self.secs.to_string(),
            "--samples".into(),
            self.samples.to_string(),
            "--sessions".into(),
            self.sessions.to_string(),
        ];
        if self.loaded {
            args.push("--loaded".into());
        }
        if self.heartbeat() {
            args.push("--heartbeat".into());
        }
        args.extend(self.stream_limit_args());
        args
    }

    /// The stream limit a case needs beyond the shared one ([`MAX_STREAMS`]): the memory case
    /// that holds more streams than that raises it on both sides (the reference, ngrok's crate
    /// and yamux have one; Go has none and ignores the option).
    pub fn stream_limit(&self) -> Option<usize> {
        // The held streams, and a few more: the query and the first echo.
        let needed = self.streams + 64;
        (self.kind == Kind::Memory && needed > MAX_STREAMS).then(|| needed.next_power_of_two())
    }

    fn stream_limit_args(&self) -> Vec<String> {
        self.stream_limit()
            .map(|n| vec!["--max-streams".to_string(), n.to_string()])
            .unwrap_or_default()
    }

    /// Idle sessions run the heartbeat at its default, as a server holding many idle
    /// sessions would (both sides beat and answer).
    fn heartbeat(&self) -> bool {
        self.kind == Kind::SessionsIdle
    }

    /// The server's arguments after `--listen ADDR`: the burst runs against the default
    /// accept backlog (every other case raises it, so that 256 streams opened at once are
    /// not refused); idle sessions run the heartbeat.
    pub fn server_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if self.kind == Kind::Burst {
            args.push("--default-backlog".into());
        }
        if self.heartbeat() {
            args.push("--heartbeat".into());
        }
        args.extend(self.stream_limit_args());
        args
    }

    /// Whether the pair is measured in this case: plain TCP has no session whose memory
    /// per stream or per idle session means anything (a connection's buffers live in the
    /// kernel, not in RSS, and a connection with no stream is no connection).
    pub fn applies_to(&self, pair: &Pair) -> bool {
        let tcp = pair.client == PeerImpl::Tcp;
        match self.kind {
            Kind::Memory | Kind::SessionsIdle => !tcp,
            _ => true,
        }
    }

    /// Whether the pair runs this case: it applies, and is not skipped.
    pub fn measures(&self, pair: &Pair) -> bool {
        self.applies_to(pair) && self.skip(pair).is_none()
    }

    /// Why the pair is left out of this case although it applies: an implementation that
    /// cannot reach the case's size in a bounded time. The report shows the gap and the reason.
    pub fn skip(&self, pair: &Pair) -> Option<&'static str> {
        (self.kind == Kind::Memory
            && self.streams > YAMUX_MOST_HELD
            && pair.client == PeerImpl::Yamux)
            .then_some(YAMUX_HELD_STREAMS)
    }

    /// File descriptors a peer process needs for this case, beyond its few own: a socket per
    /// session (and per stream for plain TCP, in the cases it runs).
    pub fn descriptors(&self) -> usize {
        let per_stream = match self.kind {
            Kind::Memory | Kind::SessionsIdle => 0,
            _ => self.streams,
        };
        self.sessions + per_stream + 64
    }

    /// Repetitions of this case in a run of `reps`. A latency case runs 2 × `reps` − 1: its
    /// runs are a second or two each, and on an idle virtual machine they spread the most (a
    /// round trip pays for waking a halted vCPU), so more of them steady the median at little
    /// cost.
    pub fn reps(&self, reps: usize) -> usize {
        let reps = if self.kind == Kind::Latency {
            (2 * reps).saturating_sub(1).max(1)
        } else {
            reps
        };
        self.max_reps.map_or(reps, |most| reps.min(most.max(1)))
    }

    /// How long one run may take before it is killed and counted as failed.
    pub fn timeout(&self) -> Duration {
        let bytes = self.size as f64 * self.streams as f64;
        let setup = match self.kind {
            // A burst stream waits at most 30 s for its echo; dialing takes a few ms each.
            Kind::Burst => 35.0,
            Kind::SessionsIdle | Kind::SessionsActive => self.sessions as f64 * 0.01,
            // Held streams open 64 at a time, each acknowledged: a slow implementation
            // manages a few thousand a second.
            Kind::Memory => self.streams as f64 * 0.001,
            _ => 0.0,
        };
        Duration::from_secs_f64(60.0 + self.secs + bytes / 50e6 + setup)
    }
}

/// Human size of a payload: 1B, 1KiB, 1MiB, 32MiB.
pub fn size_label(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{}MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{}KiB", b >> 10),
        b => format!("{b}B"),
    }
}

/// The payload sizes and stream counts of the bulk matrix (upstream muxado's benchmark suite).
pub const PAYLOADS: [u64; 4] = [1, 1 << 10, 1 << 20, 32 << 20];
/// See [`PAYLOADS`].
pub const STREAM_COUNTS: [usize; 5] = [1, 4, 8, 64, 256];

fn bulk(size: u64, streams: usize, secs: f64) -> Case {
    Case {
        id: format!("bulk-{}-x{streams}", size_label(size)),
        kind: Kind::Bulk,
        size,
        streams,
        secs,
        samples: 0,
        loaded: false,
        ..Case::default()
    }
}

/// Throughput against streams: `total` bytes a round, spread evenly over `streams` streams
/// (each carries `total / streams` bytes), so that every round moves about the same data
/// however many streams share it.
fn split(total: u64, streams: usize) -> Case {
    Case {
        id: format!("split-{}-x{streams}", size_label(total)),
        ..bulk(total / streams as u64, streams, BULK_SECS)
    }
}

fn rate(in_flight: usize, secs: f64) -> Case {
    Case {
        id: if in_flight == 1 {
            "rate-seq".into()
        } else {
            format!("rate-x{in_flight}")
        },
        kind: Kind::Rate,
        size: 0,
        streams: in_flight,
        secs,
        samples: 0,
        loaded: false,
        ..Case::default()
    }
}

/// Round trips per idle-latency run: p99 is then the 100th slowest, steady from run to run
/// where the 50th of 5,000 was not.
const LATENCY_IDLE_SAMPLES: usize = 10_000;
/// Round trips per loaded-latency run.
const LATENCY_LOADED_SAMPLES: usize = 5_000;

/// 64-byte round trips on one stream. Plain TCP's run of it (one stream is one connection) is
/// the floor the report divides by: measured in the same rotation as every implementation, so
/// that it meets the machine in the same state.
fn latency(loaded: bool, samples: usize) -> Case {
    Case {
        id: if loaded {
            "latency-loaded".into()
        } else {
            "latency-idle".into()
        },
        kind: Kind::Latency,
        size: 0,
        streams: 1,
        secs: 0.0,
        samples,
        loaded,
        ..Case::default()
    }
}

fn burst(streams: usize) -> Case {
    Case {
        id: format!("burst-open-{streams}"),
        kind: Kind::Burst,
        streams,
        ..Case::default()
    }
}

/// Idle sessions: the heartbeat of the implementations that have one beats every 10 s, so
/// an idle time of 10 s sees every one beat once, wherever it is in its period.
fn sessions_idle(sessions: usize, idle_secs: f64) -> Case {
    Case {
        id: format!("sessions-idle-{sessions}"),
        kind: Kind::SessionsIdle,
        sessions,
        secs: idle_secs,
        max_reps: Some(3),
        ..Case::default()
    }
}

fn sessions_active(sessions: usize, secs: f64) -> Case {
    Case {
        id: format!("sessions-active-{sessions}"),
        kind: Kind::SessionsActive,
        sessions,
        secs,
        ..Case::default()
    }
}

fn memory(streams: usize) -> Case {
    Case {
        id: if streams % 1000 == 0 {
            format!("memory-{}k", streams / 1000)
        } else {
            format!("memory-{streams}")
        },
        kind: Kind::Memory,
        size: 0,
        streams,
        secs: 0.0,
        samples: 0,
        loaded: false,
        ..Case::default()
    }
}

/// The most idle streams the memory case asks of yamux; see [`YAMUX_HELD_STREAMS`].
pub const YAMUX_MOST_HELD: usize = 50_000;

/// Why yamux holds no more than [`YAMUX_MOST_HELD`] idle streams in a run.
pub const YAMUX_HELD_STREAMS: &str = "yamux 0.14.1 counts its outbound streams not yet \
    acknowledged by going through every stream of the connection on each open \
    (`Connection::ack_backlog`), so opening N streams on one session takes time that grows \
    with N²: 1.4 s for 10,000 held streams, 5.1 s for 20,000, 29 s for 40,000 (one run each, \
    this machine); 100,000 did not finish within the run's 160 s";

/// How much a run measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// One tiny case of each kind per implementation, once: checks that every peer works.
    Smoke,
    /// A representative subset, three repetitions (about two minutes).
    Quick,
    /// Everything, five repetitions (up to half an hour).
    Full,
    /// How cost grows: throughput by streams (1 to 10,000), memory by idle streams (1 to
    /// 100,000) and by idle sessions (1 to 10,000), five repetitions (the idle sessions three;
    /// about 10 minutes).
    Scaling,
}

impl Mode {
    /// Repetitions of every case per implementation.
    pub fn reps(self) -> usize {
        match self {
            Mode::Smoke => 1,
            Mode::Quick => 3,
            Mode::Full => 5,
            Mode::Scaling => 5,
        }
    }

    /// Whether this mode runs a pair: the scaling mode leaves out the mixed pairs (reference
    /// and Go on either side), which show how two implementations meet, not how one grows.
    pub fn runs(self, pair: &Pair) -> bool {
        self != Mode::Scaling || pair.client == pair.server
    }

    /// The cases, in run order. A case that two modes share runs with the same parameters in
    /// both, so that their figures differ only by the repetitions.
    pub fn cases(self) -> Vec<Case> {
        match self {
            Mode::Smoke => vec![
                bulk(1 << 20, 4, 0.0),
                rate(4, 0.05),
                latency(false, 20),
                latency(true, 20),
                memory(100),
                burst(128),
                sessions_idle(50, 0.5),
                sessions_active(10, 0.05),
            ],
            Mode::Quick => vec![
                bulk(32 << 20, 1, BULK_SECS),
                bulk(1 << 20, 8, BULK_SECS),
                bulk(1 << 20, 256, BULK_SECS),
                bulk(1 << 10, 64, BULK_SECS),
                bulk(1, 1, BULK_SECS),
                rate(1, RATE_SECS),
                rate(64, RATE_SECS),
                latency(false, LATENCY_IDLE_SAMPLES),
                latency(true, LATENCY_LOADED_SAMPLES),
                memory(10_000),
                burst(128),
                burst(1000),
                sessions_idle(1000, IDLE_SECS),
                sessions_active(100, RATE_SECS),
            ],
            Mode::Full => {
                let mut cases = Vec::new();
                for size in PAYLOADS {
                    for streams in STREAM_COUNTS {
                        cases.push(bulk(size, streams, BULK_SECS));
                    }
                }
                cases.extend([
                    rate(1, RATE_SECS),
                    rate(64, RATE_SECS),
                    latency(false, LATENCY_IDLE_SAMPLES),
                    latency(true, LATENCY_LOADED_SAMPLES),
                    memory(10_000),
                    burst(128),
                    burst(1000),
                    burst(10_000),
                    sessions_idle(1000, IDLE_SECS),
                    sessions_idle(10_000, IDLE_SECS),
                    sessions_active(100, RATE_SECS),
                    sessions_active(1000, RATE_SECS),
                ]);
                cases
            }
            Mode::Scaling => {
                let mut cases: Vec<Case> = SCALING_STREAMS
                    .iter()
                    .map(|&n| split(SPLIT_TOTAL, n))
                    .collect();
                cases.extend(SCALING_IDLE_STREAMS.iter().map(|&n| memory(n)));
                cases.extend(
                    SCALING_SESSIONS
                        .iter()
                        .map(|&n| sessions_idle(n, SCALING_IDLE_SECS)),
                );
                cases
            }
        }
    }
}

/// The cases `patterns` choose: for each, the case with exactly that id, or if there is none,
/// every case whose id starts with it (`memory-10` is one case, `bulk-1MiB` five).
pub fn select(cases: Vec<Case>, patterns: &[String]) -> Vec<Case> {
    let chosen = |case: &Case| {
        patterns.iter().any(|p| {
            let exact = cases.iter().any(|c| c.id == *p);
            if exact {
                case.id == *p
            } else {
                case.id.starts_with(p.as_str())
            }
        })
    };
    cases.iter().filter(|c| chosen(c)).cloned().collect()
}

/// The scaling mode's stream counts of the throughput curve.
pub const SCALING_STREAMS: [usize; 5] = [1, 10, 100, 1000, 10_000];
/// The scaling mode's idle streams (one session) of the memory curve.
pub const SCALING_IDLE_STREAMS: [usize; 6] = [1, 10, 100, 1000, 10_000, 100_000];
/// The scaling mode's idle sessions of the memory curve.
pub const SCALING_SESSIONS: [usize; 5] = [1, 10, 100, 1000, 10_000];
/// The data a round of the scaling mode's throughput cases moves, spread over its streams.
pub const SPLIT_TOTAL: u64 = 64 << 20;
/// Idle time of the scaling mode's idle sessions: their memory is read before it starts (after
/// the same half second of settling as in the full mode), so it only needs to be short; the
/// CPU figure over it says little (no heartbeat beats in one second; 10 ms steps).
pub const SCALING_IDLE_SECS: f64 = 1.0;

/// Measuring time of a bulk run, after its warm-up (bench/kit `WARMUP_SECS`): long enough
/// for tens of rounds of the one-stream 32 MiB case, so that one scheduling hiccup of a
/// shared machine moves the figure by a few per cent, not by half.
pub const BULK_SECS: f64 = 0.6;
/// Measuring time of a rate run.
pub const RATE_SECS: f64 = 0.4;
/// Idle time measured by the idle-sessions case: one heartbeat interval (10 s in every
/// implementation that has a heartbeat), so every session's heartbeat beats once in it.
pub const IDLE_SECS: f64 = 10.0;

#[cfg(test)]
mod tests {
    use super::*;

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn labels_and_ids() {
        assert_eq!(size_label(1), "1B");
        assert_eq!(size_label(1024), "1KiB");
        assert_eq!(size_label(32 << 20), "32MiB");
        assert_eq!(bulk(1 << 20, 64, 0.5).id, "bulk-1MiB-x64");
        assert_eq!(memory(10_000).id, "memory-10k");
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn the_full_mode_has_the_whole_bulk_matrix() {
        let cases = Mode::Full.cases();
        assert_eq!(cases.iter().filter(|c| c.kind == Kind::Bulk).count(), 20);
        let mut ids: Vec<_> = cases.iter().map(|c| c.id.clone()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), cases.len(), "case ids are unique");
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn tcp_has_no_memory_case() {
        let tcp = PAIRS.iter().find(|p| p.name == "tcp").unwrap();
        let reference = PAIRS.iter().find(|p| p.name == REFERENCE).unwrap();
        assert!(!memory(10).applies_to(tcp));
        assert!(memory(10).applies_to(reference));
        assert!(bulk(1, 1, 0.0).applies_to(tcp));
        assert!(!sessions_idle(10, 1.0).applies_to(tcp));
        assert!(latency(false, 10).applies_to(tcp));
        assert!(burst(10).applies_to(tcp));
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn only_the_burst_keeps_the_default_backlog_and_only_idle_sessions_beat() {
        assert_eq!(burst(128).server_args(), ["--default-backlog"]);
        assert_eq!(sessions_idle(10, 1.0).server_args(), ["--heartbeat"]);
        assert!(
            sessions_idle(10, 1.0)
                .args()
                .contains(&"--heartbeat".to_string())
        );
        for case in Mode::Full.cases() {
            if !matches!(case.kind, Kind::Burst | Kind::SessionsIdle) {
                assert!(case.server_args().is_empty(), "{}", case.id);
                assert!(!case.args().contains(&"--heartbeat".to_string()));
            }
        }
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn quick_and_full_run_shared_cases_alike() {
        let full = Mode::Full.cases();
        for case in Mode::Quick.cases() {
            let twin = full.iter().find(|c| c.id == case.id);
            let twin = twin.unwrap_or_else(|| panic!("{} is in the full mode", case.id));
            assert_eq!(&case, twin, "{} runs alike", case.id);
        }
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn latency_cases_run_nearly_twice_the_repetitions() {
        let full = Mode::Full.cases();
        let reps =
            |id: &str, mode: Mode| full.iter().find(|c| c.id == id).unwrap().reps(mode.reps());
        assert_eq!(reps("latency-idle", Mode::Full), 9);
        assert_eq!(reps("latency-loaded", Mode::Quick), 5);
        assert_eq!(reps("latency-idle", Mode::Smoke), 1);
        assert_eq!(reps("bulk-32MiB-x1", Mode::Full), 5);
        assert_eq!(reps("sessions-idle-1000", Mode::Full), 3);
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn the_scaling_mode_spans_its_sizes_without_the_mixed_pairs() {
        let cases = Mode::Scaling.cases();
        let sizes = |kind: Kind, of: fn(&Case) -> usize| -> Vec<usize> {
            cases.iter().filter(|c| c.kind == kind).map(of).collect()
        };
        assert_eq!(sizes(Kind::Bulk, |c| c.streams), [1, 10, 100, 1000, 10_000]);
        assert_eq!(
            sizes(Kind::Memory, |c| c.streams),
            [1, 10, 100, 1000, 10_000, 100_000]
        );
        assert_eq!(
            sizes(Kind::SessionsIdle, |c| c.sessions),
            [1, 10, 100, 1000, 10_000]
        );
        assert_eq!(cases.len(), 16, "nothing else");
        for case in cases.iter().filter(|c| c.kind == Kind::Bulk) {
            // Every round moves the same data, whatever the streams.
            let round = case.size * case.streams as u64;
            assert!(
                round <= SPLIT_TOTAL && round > SPLIT_TOTAL - 10_000,
                "{}",
                case.id
            );
            assert!(case.id.starts_with("split-64MiB-x"), "{}", case.id);
        }
        let mut ids: Vec<_> = cases.iter().map(|c| c.id.clone()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), cases.len(), "case ids are unique");
        let mixed: Vec<_> = PAIRS.iter().filter(|p| !Mode::Scaling.runs(p)).collect();
        assert_eq!(mixed.len(), 2);
        assert!(mixed.iter().all(|p| p.client != p.server));
        assert!(PAIRS.iter().all(|p| Mode::Full.runs(p)));
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn scaling_cases_shared_with_the_full_mode_measure_memory_alike() {
        let full = Mode::Full.cases();
        let mut shared = 0;
        for case in Mode::Scaling.cases() {
            let Some(twin) = full.iter().find(|c| c.id == case.id) else {
                continue;
            };
            shared += 1;
            // Idle sessions idle for less time: only their CPU figure depends on it.
            let twin = Case {
                secs: case.secs,
                ..twin.clone()
            };
            assert_eq!(case, twin, "{} runs alike", case.id);
        }
        assert_eq!(shared, 3, "memory-10k, sessions-idle-1000 and -10000");
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn only_the_memory_case_beyond_the_shared_limit_raises_it() {
        let big = memory(100_000);
        assert_eq!(big.id, "memory-100k");
        assert_eq!(big.stream_limit(), Some(131_072));
        let flag = ["--max-streams".to_string(), "131072".to_string()];
        assert!(big.args().windows(2).any(|w| w == flag));
        assert!(big.server_args().windows(2).any(|w| w == flag));
        assert_eq!(memory(10_000).stream_limit(), None);
        for case in Mode::Full.cases() {
            assert_eq!(case.stream_limit(), None, "{}", case.id);
        }
        // Idle streams share one socket: the open-files limit of the machine (20,000) is
        // enough, even for 100,000 of them; plain TCP's streams need one each.
        assert!(big.descriptors() < 1000);
        assert!(split(SPLIT_TOTAL, 10_000).descriptors() > 10_000);
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn yamux_skips_what_it_cannot_open_in_bounded_time_and_only_that() {
        let yamux = PAIRS.iter().find(|p| p.name == "yamux").unwrap();
        for case in Mode::Scaling.cases().iter().chain(&Mode::Full.cases()) {
            let skipped = case.skip(yamux).is_some();
            assert_eq!(skipped, case.id == "memory-100k", "{}", case.id);
            assert_eq!(case.measures(yamux), !skipped && case.applies_to(yamux));
            for pair in PAIRS.iter().filter(|p| p.name != "yamux") {
                assert!(case.skip(pair).is_none(), "{} {}", case.id, pair.name);
            }
        }
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn a_case_is_chosen_by_its_id_or_a_prefix() {
        let ids = |mode: Mode, patterns: &[&str]| -> Vec<String> {
            let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
            select(mode.cases(), &patterns)
                .into_iter()
                .map(|c| c.id)
                .collect()
        };
        assert_eq!(ids(Mode::Scaling, &["memory-10"]), ["memory-10"]);
        assert_eq!(
            ids(Mode::Scaling, &["memory-1", "sessions-idle-10k"]),
            ["memory-1"],
            "no prefix of an id that exists; nothing for an id that does not"
        );
        assert_eq!(ids(Mode::Full, &["bulk-1MiB"]).len(), 5);
        assert_eq!(
            ids(Mode::Full, &["sessions-idle-1000", "memory"]),
            ["memory-10k", "sessions-idle-1000"],
            "in run order"
        );
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn client_args_name_every_parameter() {
        let args = latency(true, 10).args();
        assert!(args.windows(2).any(|w| w == ["--workload", "latency"]));
        assert!(args.contains(&"--loaded".to_string()));
    }
}
