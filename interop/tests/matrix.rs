//! The interop matrix as CI runs it: every scenario of `interop/SCENARIOS.md` between each
//! foreign peer of the registry (`interop/peers.toml`: Go muxado 2016, ngrok v2.0.1, ngrok
//! v2.0.2, ngrok's Rust crate) and the reference, both ways, over TCP on 127.0.0.1, every run
//! through the recording proxy. Builds the peers first (Go modules from the module proxy, the
//! crate from crates.io) into `target/interop-bin` (or `$MUXADO_INTEROP_BIN`).

use std::path::Path;
use std::time::Instant;

use muxado_interop::grid::{self, Spec};
use muxado_interop::matrix::{self, Pairs};
use muxado_interop::scenario::SCENARIOS;

/// checks: [STREAM-4] [STREAM-5] [STREAM-6] [STREAM-8] [STREAM-14] [RST-4] [FLOW-3] [FLOW-9] [GOAWAY-9] [TYPED-2] [TYPED-3] [HEARTBEAT-1] [HEARTBEAT-2] [HEARTBEAT-3] [LIMIT-3] [INTEROP-3] [INTEROP-5] [INTEROP-8] [INTEROP-13] [INTEROP-14] [INTEROP-27]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_both_directions_every_foreign_peer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let build_root = root.clone();
    let bin = tokio::task::spawn_blocking(move || matrix::build_peers(&build_root))
        .await
        .unwrap()
        .expect("build the peers");
    let interop = Path::new(env!("CARGO_BIN_EXE_muxado-interop"));
    let peers = matrix::registry_peers(&root, &bin, interop).unwrap();
    let names: Vec<&str> = peers.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "reference",
            "go-2016",
            "go-v2.0.1",
            "go-v2.0.2",
            "ngrok-rust"
        ],
        "the registry's peers"
    );
    let pairs = matrix::pairs_of(&peers, &Pairs::Reference);
    let options = matrix::Options {
        results: Some(root.join("target/interop-results/ci")),
        ..matrix::Options::default()
    };
    let started = Instant::now();
    let cells = matrix::run_matrix(&peers, &pairs, SCENARIOS, &options, |_| {}).await;
    assert_eq!(cells.len(), 8 * SCENARIOS.len());
    let report = grid::Report {
        peers: &peers,
        cells: &cells,
        pairs: Pairs::Reference,
        jobs: options.jobs,
        elapsed: started.elapsed(),
    };
    let text = grid::text(&report, &Spec::load(&root.join("SPEC.md")));
    println!("{text}");
    let bad: Vec<String> = cells
        .iter()
        .filter(|c| !c.verdict.is_good())
        .map(|c| {
            format!(
                "{} {} → {}: {:?} (frame log: {:?})",
                c.scenario, c.client, c.server, c.verdict, c.log_file
            )
        })
        .collect();
    assert!(
        bad.is_empty(),
        "{} of {} runs failed:\n{}\n\n{text}",
        bad.len(),
        cells.len(),
        bad.join("\n")
    );
}
