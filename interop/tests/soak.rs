//! Soak with fault injection, Rust against Go: rounds of the `soak` scenario
//! (`interop/SCENARIOS.md`) between the reference and a Go peer, through the fault-injecting
//! proxy of `muxado_interop::fault`, which re-cuts the bytes into writes of 1 byte to 64 KiB,
//! delays one write in four by up to 5 ms, and in some rounds cuts the connection. Bytes are
//! never reordered, dropped or duplicated: only write boundaries and timing change.
//!
//! Pairings, in turn: reference client against Go v2.0.2 server and the reverse, then the same
//! with Go 2016 (the same Go peer binary with `--impl 2016`). Each pairing's first two rounds
//! run without a cut, its third is cut at a random time, and later rounds are cut with
//! probability 1/3. After each round: both peers' RESULT lines are ok (no mismatched byte, no hung
//! or killed process, nothing left in the reference's session) and the two sides' counts
//! agree (`muxado_interop::scenario::check_soak`): every stream the client verified was
//! completed by the server, every stream the server completed was verified or failed on the
//! client, and without a cut only the streams the client abandoned on purpose failed.
//!
//! `MUXADO_SOAK_SECS` (default 60, shared with `reference/tests/soak.rs`) is the time budget:
//! rounds of 4 s, in turn, while they fit (at least three per pairing). `MUXADO_SOAK_SEED` (hex) replays
//! a run's choices (the proxy's and the soak client's; scheduling still varies).

use std::path::Path;
use std::time::{Duration, Instant};

use muxado_interop::fault::{FaultConfig, FaultStats, Rng};
use muxado_interop::matrix::{self, Direction, Verdict};
use muxado_interop::scenario::Params;
use muxado_testkit::soak_env::SoakEnv;

/// Seconds each round's client keeps opening streams.
const ROUND_SECS: u64 = 4;
/// Rough wall time of a round beyond its soak: start, draining, the client's linger, exits.
const ROUND_OVERHEAD_SECS: u64 = 1;
/// The chance that a round after a pairing's third is cut: each pairing's first two rounds
/// are not, its third is.
const CUT_PROBABILITY: f64 = 1.0 / 3.0;
/// Rounds per pairing, whatever the budget.
const MIN_ROUNDS: usize = 3;
/// A round that has not ended by then hung.
const ROUND_DEADLINE: Duration = Duration::from_secs(ROUND_SECS + 60);

/// The soak's totals, over every round.
#[derive(Default)]
struct Totals {
    rounds: u64,
    cut_rounds: u64,
    streams: u64,
    verified: u64,
    failed: u64,
    aborted: u64,
    bytes: u64,
    mismatches: u64,
    complete: u64,
    faults: FaultStats,
}

fn number(observed: &serde_json::Value, key: &str) -> u64 {
    observed[key].as_u64().unwrap_or(0)
}

/// Many concurrent streams of random sizes, half-closes and resets (or Go's mid-write
/// closes) between the reference and Go (2016 and v2.0.2, both directions) over a transport
/// that fragments, delays and sometimes cuts: every stream delivers every byte in order or
/// fails on the client, the server completed exactly what the client verified (plus, after a
/// cut, streams cut in flight), and no peer hangs and no reference stream is left behind.
///
/// checks: [FRAME-6] [FLOW-3] [FLOW-4] [FLOW-6] [STREAM-6] [STREAM-9] [STREAM-10] [STREAM-11] [RST-4] [SESSION-1] [SESSION-2]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_reference_against_go_through_faults() {
    let SoakEnv { secs: budget, seed } = SoakEnv::from_env();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let bin = tokio::task::spawn_blocking(move || matrix::build_go_peer(&root))
        .await
        .unwrap()
        .expect("build the Go peer");
    let peers = matrix::foreign_peers(&bin);
    let peer = |name: &str| {
        peers
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("{name} was built"))
            .clone()
    };
    let pairings = [
        (peer("go-v2.0.2"), Direction::RefClient),
        (peer("go-v2.0.2"), Direction::RefServer),
        (peer("go-2016"), Direction::RefClient),
        (peer("go-2016"), Direction::RefServer),
    ];
    println!("soak: {budget} s budget, rounds of {ROUND_SECS} s, MUXADO_SOAK_SEED={seed:#x}");
    let started = Instant::now();
    let mut rng = Rng(seed);
    let mut totals = Totals::default();
    let mut failures = Vec::new();
    let mut cuts_per_pairing = [0u64; 4];
    for n in 0.. {
        let (peer, direction) = &pairings[n % pairings.len()];
        let nth = n / pairings.len();
        let round_time = Duration::from_secs(ROUND_SECS + ROUND_OVERHEAD_SECS);
        if nth >= MIN_ROUNDS && started.elapsed() + round_time > Duration::from_secs(budget) {
            break;
        }
        let round_seed = rng.next_u64();
        let faults = FaultConfig {
            seed: round_seed,
            cut_probability: match nth {
                0 | 1 => 0.0,
                2 => 1.0,
                _ => CUT_PROBABILITY,
            },
            // While the client is still opening streams.
            cut_window: (
                Duration::from_millis(ROUND_SECS * 100),
                Duration::from_millis(ROUND_SECS * 900),
            ),
            ..FaultConfig::default()
        };
        let params = Params {
            soak_secs: ROUND_SECS,
            seed: round_seed >> 32,
        };
        let label = format!(
            "round {} {direction:?} {} (seed {})",
            n + 1,
            peer.name,
            params.seed
        );
        let run = matrix::run_through_faults(peer, "soak", *direction, &params, faults);
        let Ok((cell, stats)) = tokio::time::timeout(ROUND_DEADLINE, run).await else {
            failures.push(format!("{label}: hung for {} s", ROUND_DEADLINE.as_secs()));
            continue;
        };
        totals.rounds += 1;
        let Some(stats) = stats else {
            failures.push(format!("{label}: the fault proxy did not finish"));
            continue;
        };
        let cut = stats.cut_at.is_some();
        cuts_per_pairing[n % pairings.len()] += u64::from(cut);
        totals.cut_rounds += u64::from(cut);
        let (client, server) = (&cell.client_side, &cell.server_side);
        let (c, s) = (&client.observed, &server.observed);
        println!(
            "{label}: {} streams, {} verified ({} bytes), {} failed ({} {} on purpose); \
             server {} complete, {} failed; proxy {} writes from {} reads ({} split, {} of \
             at most 16 bytes), {} delays{}; {:?}",
            number(c, "streams"),
            number(c, "ok_streams"),
            number(c, "bytes"),
            number(c, "failed"),
            number(c, "aborted"),
            if c["abort"] == "close" {
                "closed"
            } else {
                "reset"
            },
            number(s, "complete"),
            number(s, "failed"),
            stats.writes,
            stats.reads,
            stats.splits,
            stats.small_writes,
            stats.delays,
            stats
                .cut_at
                .map(|at| format!(", cut at {:.3} s", at.as_secs_f64()))
                .unwrap_or_default(),
            cell.verdict
        );
        totals.streams += number(c, "streams");
        totals.verified += number(c, "ok_streams");
        totals.failed += number(c, "failed");
        totals.aborted += number(c, "aborted");
        totals.bytes += number(c, "bytes");
        totals.mismatches += number(c, "mismatches");
        totals.complete += number(s, "complete");
        totals.faults.add(&stats);
        if cell.verdict != Verdict::Pass {
            failures.push(format!(
                "{label}: {:?}\n  client: {} {}\n  server: {} {}",
                cell.verdict, client.detail, client.observed, server.detail, server.observed
            ));
        }
    }
    let f = &totals.faults;
    println!(
        "soak: {} rounds ({} cut) in {:.1} s; {} streams: {} verified ({} bytes), {} failed \
         ({} abandoned on purpose), server completed {}; proxy forwarded {} + {} bytes in {} \
         writes from {} reads: {} splits, {} writes of at most 16 bytes, {} delays, {} cuts; \
         streams with a lost or changed byte: {}",
        totals.rounds,
        totals.cut_rounds,
        started.elapsed().as_secs_f64(),
        totals.streams,
        totals.verified,
        totals.bytes,
        totals.failed,
        totals.aborted,
        totals.complete,
        f.client_to_server,
        f.server_to_client,
        f.writes,
        f.reads,
        f.splits,
        f.small_writes,
        f.delays,
        totals.cut_rounds,
        totals.mismatches
    );
    assert!(
        failures.is_empty(),
        "{} of {} rounds failed (MUXADO_SOAK_SEED={seed:#x}):\n{}",
        failures.len(),
        totals.rounds,
        failures.join("\n")
    );
    assert_eq!(totals.mismatches, 0, "bytes lost or changed");
    assert!(totals.verified > 0, "no stream verified");
    assert!(
        cuts_per_pairing.iter().all(|c| *c > 0),
        "every pairing had a cut round: {cuts_per_pairing:?}"
    );
}
