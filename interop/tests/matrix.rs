//! The interop matrix: every scenario of `interop/SCENARIOS.md`, in both directions, against
//! Go muxado 2016, ngrok v2.0.1, ngrok v2.0.2 and ngrok's Rust crate, over TCP on 127.0.0.1.
//! Builds the foreign peers first (Go modules from the module proxy, the crate from crates.io).

use std::path::Path;

use muxado_interop::matrix::{self, Direction};
use muxado_interop::scenario::SCENARIOS;

/// checks: [STREAM-4] [STREAM-5] [STREAM-6] [STREAM-8] [STREAM-14] [RST-4] [FLOW-3] [FLOW-9] [GOAWAY-9] [TYPED-2] [TYPED-3] [HEARTBEAT-1] [HEARTBEAT-2] [HEARTBEAT-3] [LIMIT-3] [INTEROP-3] [INTEROP-5] [INTEROP-8] [INTEROP-13] [INTEROP-14] [INTEROP-27]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_both_directions_every_foreign_peer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let bin = tokio::task::spawn_blocking(move || matrix::build_peers(&root))
        .await
        .unwrap()
        .expect("build the foreign peers");
    let peers = matrix::foreign_peers(&bin);
    let names: Vec<&str> = peers.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        ["go-2016", "go-v2.0.1", "go-v2.0.2", "ngrok-rust"],
        "every foreign peer was built"
    );
    let mut cells = Vec::new();
    for peer in &peers {
        for scenario in SCENARIOS {
            for direction in Direction::BOTH {
                cells.push(matrix::run(peer, scenario, direction).await);
            }
        }
    }
    let table = matrix::table(&cells);
    println!("{table}");
    let bad: Vec<String> = cells
        .iter()
        .filter(|c| !c.verdict.is_good())
        .map(|c| {
            format!(
                "{} {:?} {}: {:?}",
                c.scenario, c.direction, c.peer, c.verdict
            )
        })
        .collect();
    assert!(
        bad.is_empty(),
        "{} of {} runs failed:\n{}\n\n{table}",
        bad.len(),
        cells.len(),
        bad.join("\n")
    );
}
