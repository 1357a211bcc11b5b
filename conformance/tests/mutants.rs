//! The suite against deliberately broken implementations: every mutant of the reference agent
//! (`muxado_conformance::mutant`, selected by the test-only `MUXADO_MUTANT`) must make at least
//! one case fail, when the whole suite runs against it.
//!
//! All runs share one pool of workers, the clean agent among them: it must pass every case
//! under the same load, so that a mutant's failures are its own and not the harness's.
//! Run with `cargo test -p muxado-conformance --test mutants -- --nocapture` to see the kill
//! table (mutant, the cases that caught it).

mod common;

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use muxado_conformance::mutant::{ENV, Mutant};
use muxado_conformance::run::{CaseResult, Options, Outcome, Target, run_case};
use muxado_conformance::suite::{self, Case, Level};

/// Cases running at once, over all runs: most of a case's time is spent waiting.
const WORKERS: usize = 32;

/// The reference agent process (`conformance agent`), broken as `mutant` says.
fn options(mutant: Option<Mutant>) -> Options {
    let env = mutant.map_or(String::new(), |m| format!("{ENV}={} ", m.name()));
    common::strict_agent_options(&env, Duration::from_secs(20))
}

/// Runs every case against every run's agent, `WORKERS` cases at a time; per run, its results
/// in case order.
fn run_matrix(cases: &[Case], runs: &[Option<Mutant>]) -> Vec<Vec<CaseResult>> {
    let options: Vec<Options> = runs.iter().map(|m| options(*m)).collect();
    // Case-major, so that slow cases of different runs overlap.
    let work: Vec<(usize, usize)> = (0..cases.len())
        .flat_map(|c| (0..runs.len()).map(move |r| (r, c)))
        .filter(|&(r, c)| runs_case(runs[r], &cases[c]))
        .collect();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Vec<Option<CaseResult>>>> =
        Mutex::new(vec![vec![None; cases.len()]; runs.len()]);
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                while let Some(&(r, c)) = work.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let result = run_case(&cases[c], &options[r]);
                    results.lock().unwrap()[r][c] = Some(result);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|run| run.into_iter().flatten().collect())
        .collect()
}

/// Whether a run plays a case. A flood case moves tens of megabytes, so it runs against the
/// clean agent and the mutants that break what it checks, not against every mutant.
fn runs_case(mutant: Option<Mutant>, case: &Case) -> bool {
    let heavy = case
        .vector
        .steps
        .iter()
        .any(|s| matches!(s.action, muxado_vectors::session_model::Step::Flood(_)));
    match mutant {
        Some(m) if heavy => m
            .requirements()
            .iter()
            .any(|r| case.vector.requirements.iter().any(|c| c == r)),
        _ => true,
    }
}

fn describe(results: &[&CaseResult]) -> String {
    results
        .iter()
        .map(|r| format!("{} {}: {}", r.outcome.name(), r.id, r.detail))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every mutant is caught: the whole suite (strict) against each makes at least one case fail
/// and count, while the clean agent, run alongside, passes every case. Prints the kill table.
///
/// checks: [AGENT-6] [AGENT-1] [FRAME-8] [FRAME-11] [STREAM-6] [FLOW-4] [FLOW-6] [GOAWAY-5]
#[test]
fn every_mutant_is_caught_by_the_suite() {
    let cases = suite::cases();
    let mut runs = vec![None];
    runs.extend(Mutant::ALL.iter().copied().map(Some));
    let results = run_matrix(&cases, &runs);

    let clean: Vec<&CaseResult> = results[0]
        .iter()
        .filter(|r| r.outcome != Outcome::Pass)
        .collect();
    assert!(
        clean.is_empty(),
        "the clean agent fails under the mutants' load:\n{}",
        describe(&clean)
    );

    let mut table = String::from(
        "| mutant | cases that catch it | of them MUST-level | first of them |\n|---|---|---|---|\n",
    );
    let mut survivors = Vec::new();
    for (mutant, results) in runs.iter().zip(&results).skip(1) {
        let mutant = mutant.expect("runs after the first are mutants");
        let caught: Vec<&CaseResult> = results.iter().filter(|r| r.counts).collect();
        let first: Vec<&str> = caught.iter().take(3).map(|r| r.id.as_str()).collect();
        let must = caught.iter().filter(|r| r.level == Level::Must).count();
        table.push_str(&format!(
            "| `{}` | {} | {must} | {} |\n",
            mutant.name(),
            caught.len(),
            first.join(", ")
        ));
        // Caught by the default run: a MUST-level check fails, not only a SHOULD one.
        if must == 0 {
            survivors.push(mutant.name());
        }
        // Outcomes other than fail are no catch to be proud of: the agent broke, or hung.
        let odd: Vec<&CaseResult> = caught
            .iter()
            .copied()
            .filter(|r| r.outcome != Outcome::Fail)
            .collect();
        if !odd.is_empty() {
            println!("{}: {}", mutant.name(), describe(&odd));
        }
    }
    println!("{table}");
    assert!(
        survivors.is_empty(),
        "mutants no MUST-level check catches: {survivors:?}\n{table}"
    );
}

/// The mutants are at least 16 small bugs, each named once, each citing SPEC requirements that
/// exist; an unknown `MUXADO_MUTANT` makes the agent fail (an `error`), never pass as the clean
/// reference.
///
/// checks: [AGENT-1] [AGENT-6]
#[test]
fn mutants_are_named_documented_and_checked() {
    assert!(Mutant::ALL.len() >= 16, "{} mutants", Mutant::ALL.len());
    // Beside the wrappers, bugs in the reference session's own logic (feature `mutants`).
    let source = Mutant::ALL
        .iter()
        .filter(|m| m.site() == muxado_conformance::mutant::Site::Source)
        .count();
    assert!(source >= 15, "{source} source-level mutants");
    let names: BTreeSet<&str> = Mutant::ALL.iter().map(|m| m.name()).collect();
    assert_eq!(names.len(), Mutant::ALL.len(), "mutant names are unique");
    for mutant in Mutant::ALL {
        assert_eq!(Mutant::from_name(mutant.name()), Some(*mutant));
        assert!(!mutant.bug().is_empty(), "{mutant:?} says its bug");
        for id in mutant.requirements() {
            assert!(
                suite::requirement_text(id).is_some(),
                "{mutant:?} cites {id}, which SPEC.md does not define"
            );
        }
    }

    let cases = suite::cases();
    let case = cases
        .iter()
        .find(|c| c.id() == "session-client-stream-ids")
        .expect("the case exists");
    let mut options = options(None);
    options.target = Target::Exec(format!(
        "{ENV}=no-such-mutant exec {} agent",
        env!("CARGO_BIN_EXE_conformance")
    ));
    let r = run_case(case, &options);
    assert_eq!(
        (r.outcome, r.counts),
        (Outcome::Error, true),
        "{}",
        r.detail
    );
}
