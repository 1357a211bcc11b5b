//! The default bound (`Bounds::default()`): every property holds between two conforming
//! reference sessions, and the `sometimes` examples show that the bound reaches end-of-stream
//! and a writer blocked by flow control. Breadth-first, so a failure prints the shortest
//! counterexample as a frame log.

use muxado_model::{Bounds, MuxadoModel};
use stateright::{Checker, Model};

/// checks: [STREAM-6] [STREAM-2] [STREAM-4] [FLOW-4] [FLOW-7] [ID-1] [ID-4] [RST-5] [GOAWAY-5] [SESSION-4]
#[test]
fn default_bound_holds() {
    let model = MuxadoModel::new(Bounds::default());
    let start = std::time::Instant::now();
    let checker = model.clone().checker().threads(2).spawn_bfs().join();
    eprintln!(
        "default bound: {} unique states ({} generated), max depth {}, {:.1} s",
        checker.unique_state_count(),
        checker.state_count(),
        checker.max_depth(),
        start.elapsed().as_secs_f64()
    );
    let failures = model.failed_properties(&checker, |_| true);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The bound is what the README says it is.
    assert!(checker.unique_state_count() > 100_000);
}
