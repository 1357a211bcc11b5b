//! The harness against the reference playing the foreign side too (as the `peer` program):
//! validates the scenarios and the harness themselves, independently of any foreign peer.

use muxado_interop::matrix::{self, Direction, Verdict};
use muxado_interop::scenario::SCENARIOS;

mod common;
use common::reference_peer;

/// checks: [STREAM-4] [STREAM-6] [FLOW-3] [FLOW-9] [GOAWAY-9] [STREAM-5] [TYPED-3] [HEARTBEAT-1] [HEARTBEAT-3] [RST-4] [STREAM-8]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_reference_against_reference() {
    let peer = reference_peer();
    let mut cells = Vec::new();
    for scenario in SCENARIOS {
        for direction in Direction::BOTH {
            cells.push(matrix::run(&peer, scenario, direction).await);
        }
    }
    println!("{}", matrix::table(&cells));
    let failures: Vec<String> = cells
        .iter()
        .filter(|c| !matches!(c.verdict, Verdict::Pass) && !only_the_reference_client_plays(c))
        .map(|c| format!("{} {:?}: {:?}", c.scenario, c.direction(), c.verdict))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `typed-split-prefix` and `heartbeat-silent` have a client side only the reference plays in
/// the matrix; here the reference plays both sides, so they pass too.
fn only_the_reference_client_plays(_cell: &matrix::Cell) -> bool {
    false
}
