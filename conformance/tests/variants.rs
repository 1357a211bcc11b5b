//! The suite accepts every choice SPEC.md leaves to an implementation: the reference agent,
//! made to choose differently by the test-only `MUXADO_VARIANT` (`src/variant.rs`), passes
//! every case with `--strict` (so also without it) when it
//!
//! - sends DATA frames of at most 1, 3 or 7 bytes ([FLOW-3]; a typed stream's type stays
//!   whole, [TYPED-2]),
//! - credits every read with its own WNDINC, as Go does ([FLOW-6]),
//! - does both at once,
//! - refuses a SYN that finds the accept backlog full at once, or after waiting 1 s for room
//!   instead of 100 ms ([STREAM-14]).
//!
//! A case that compared frame boundaries or a credit schedule would fail here.

mod common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use muxado_conformance::run::{CaseResult, Options, Outcome, run_case};
use muxado_conformance::suite;
use muxado_conformance::variant::ENV;

/// Cases running at once, over all variants: most of a case's time is spent waiting.
const WORKERS: usize = 24;

const VARIANTS: &[&str] = &[
    "max-frame=1",
    "max-frame=3",
    "max-frame=7",
    "credit=per-read",
    "max-frame=3,credit=per-read",
    "accept-patience=0",
    "accept-patience=1000",
];

fn options(variant: &str) -> Options {
    common::strict_agent_options(&format!("{ENV}={variant} "), Duration::from_secs(30))
}

/// checks: [FLOW-3] [FLOW-6] [FLOW-7] [TYPED-2] [STREAM-14] [AGENT-6]
#[test]
fn every_choice_spec_allows_passes_every_case() {
    let cases = suite::cases();
    let options: Vec<Options> = VARIANTS.iter().map(|v| options(v)).collect();
    let work: Vec<(usize, usize)> = (0..cases.len())
        .flat_map(|c| (0..VARIANTS.len()).map(move |v| (v, c)))
        .collect();
    let next = AtomicUsize::new(0);
    let failed: Mutex<Vec<(usize, CaseResult)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                while let Some(&(v, c)) = work.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let result = run_case(&cases[c], &options[v]);
                    if result.outcome != Outcome::Pass {
                        failed.lock().unwrap().push((v, result));
                    }
                }
            });
        }
    });
    let failed = failed.into_inner().unwrap();
    let report: Vec<String> = failed
        .iter()
        .map(|(v, r)| {
            format!(
                "{} {} {} ({}):{}",
                VARIANTS[*v],
                r.outcome.name(),
                r.id,
                r.level.name(),
                r.detail
            )
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} runs did not pass:\n{}",
        failed.len(),
        work.len(),
        report.join("\n")
    );
}
