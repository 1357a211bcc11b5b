//! Runs the checker at a named bound and prints states, time and any counterexample as a frame
//! log: `cargo run --release -p muxado-model --example check -- [default|medium|deep] [threads]
//! [dfs|bfs]`. Depth-first search (the default here) keeps only the path and the fingerprints
//! seen; breadth-first keeps every frontier state whole, which deep bounds cannot afford, but
//! finds the shortest counterexample.

use std::time::{Duration, Instant};

use muxado_model::{Bounds, MuxadoModel};
use stateright::{Checker, Model};

fn main() {
    let mut args = std::env::args().skip(1);
    let bound = args.next().unwrap_or_else(|| "default".into());
    let threads: usize = args.next().map_or(1, |t| t.parse().expect("threads"));
    let dfs = args.next().is_none_or(|s| s == "dfs");
    let bounds = match bound.as_str() {
        "default" => Bounds::default(),
        "deep" => Bounds::deep(),
        "medium" => Bounds::medium(),
        other => panic!("unknown bound {other}: default, medium or deep"),
    };
    println!("bound {bound}: {bounds:?}");
    let model = MuxadoModel::new(bounds);
    let start = Instant::now();
    let builder = model.clone().checker().threads(threads);
    let failed = if dfs {
        report(&model, builder.spawn_dfs().join(), start.elapsed(), threads)
    } else {
        report(&model, builder.spawn_bfs().join(), start.elapsed(), threads)
    };
    if failed {
        std::process::exit(1);
    }
}

fn report(
    model: &MuxadoModel,
    checker: impl Checker<MuxadoModel>,
    took: Duration,
    threads: usize,
) -> bool {
    println!(
        "{} unique states ({} generated), max depth {}, {:.1} s on {threads} thread(s)",
        checker.unique_state_count(),
        checker.state_count(),
        checker.max_depth(),
        took.as_secs_f64()
    );
    let mut failed = false;
    for property in model.properties() {
        let found = checker.discovery(property.name);
        let ok = found.is_some() != property.expectation.discovery_is_failure();
        let verdict = if ok { "ok  " } else { "FAIL" };
        println!("{verdict} {:?} {}", property.expectation, property.name);
        if let Some(path) = found.filter(|_| !ok) {
            failed = true;
            for line in model.frame_log(&path.into_actions()) {
                println!("    {line}");
            }
        }
    }
    failed
}
