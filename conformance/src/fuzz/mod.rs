//! `conformance fuzz`: differential testing of an implementation against the reference.
//!
//! Each run generates a script from its seed ([`mod@generate`]), derives its expectations from
//! the reference state machine ([`script`]), and plays the resulting session vector against
//! the implementation with `conformance run`'s own engine and judge (so the equivalences
//! SPEC.md allows, appendix B, are exactly those of every case). A failing run is checked
//! twice before it is reported: played again against the implementation (a difference that
//! does not repeat is counted as flaky), and against the reference over sockets (a vector the
//! reference itself fails is the suite's bug, counted as a disagreement and never blamed on the
//! implementation). A difference is then shrunk ([`shrink`]) and written as a session vector
//! with its seed. A difference whose requirement an `--expect` entry already fails is counted
//! apart as explained.

pub mod generate;
pub mod notes;
pub mod script;
pub mod shrink;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::run::{CaseResult, Options, Outcome, Target, run_case};
use crate::suite::{Case, Level};
use generate::{Limits, generate, run_seed};
use script::{Derived, Input, Setup};
use shrink::{Signature, derive};

/// How to fuzz.
#[derive(Clone, Debug)]
pub struct FuzzOptions {
    /// The implementation, deadlines and waits, as for `run` (its `expected` is unused).
    pub run: Options,
    /// The seed of the whole run.
    pub seed: u64,
    /// Stop after this many runs.
    pub runs: Option<u64>,
    /// Stop after this long.
    pub time: Option<Duration>,
    /// Bounds on each script.
    pub limits: Limits,
    /// Replays the shrinker may spend on one difference.
    pub shrink_budget: usize,
    /// Distinct differences kept (the rest are counted only).
    pub max_findings: usize,
    /// Stop once a difference no `--expect` entry explains was found and shrunk.
    pub stop_at_new: bool,
    /// Actions no script contains (`read`, `reset`, `expect_session`, ...): calls the
    /// implementation cannot make. The run adds every action an agent answers `unsupported`.
    pub avoid: BTreeSet<String>,
    /// Requirements of the cases the `--expect` file says the implementation fails, and the
    /// cases: a difference on one of them is explained.
    pub explained: BTreeMap<String, Vec<String>>,
    /// The interop notes the `--expect` file cites: a difference whose shrunk script contains
    /// one's trigger ([`notes::TRIGGERS`]) is explained by it.
    pub notes: Vec<String>,
}

/// A difference found.
#[derive(Debug)]
pub struct Finding {
    /// What it is about.
    pub signature: Signature,
    /// The seed of the run that found it first (`--seed S --runs 1` is not needed: the run
    /// seed alone regenerates the script, see [`replay_seed`]).
    pub run_seed: u64,
    /// The run index at which it was first seen.
    pub run: u64,
    /// How many runs showed it.
    pub seen: u64,
    /// Inputs of the script as generated, and after shrinking.
    pub inputs: (usize, usize),
    /// The `--expect` cases that explain it (they fail on the same requirement), if any.
    pub explained_by: Vec<String>,
    /// The shrunk script as a session vector.
    pub vector: Value,
    /// The shrunk script's result against the implementation.
    pub result: CaseResult,
    /// The actions scripts avoided when it was found (`--avoid`, to replay its seed).
    pub avoid: Vec<String>,
}

/// What a fuzz run found.
#[derive(Debug, Default)]
pub struct Findings {
    /// Scripts played.
    pub runs: u64,
    /// Of them, passed.
    pub passed: u64,
    /// The implementation could not play them.
    pub unsupported: u64,
    /// Only SHOULD-level checks failed.
    pub should_only: u64,
    /// Failed once, passed when played again.
    pub flaky: u64,
    /// The reference itself failed the derived vector over sockets: the suite's bug.
    pub disagreements: Vec<(u64, String, Value)>,
    /// Distinct differences, in the order found.
    pub findings: Vec<Finding>,
    /// Runs per requirement the scripts exercised.
    pub coverage: BTreeMap<&'static str, u64>,
    /// How long it took.
    pub elapsed: Duration,
}

impl Findings {
    /// Differences no `--expect` entry explains.
    pub fn new_differences(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.explained_by.is_empty())
    }
}

/// The script of run seed `seed`, as a session vector with the reference's expectations;
/// `avoid`: actions left out.
pub fn replay_seed(
    seed: u64,
    limits: Limits,
    avoid: &BTreeSet<String>,
) -> (Setup, Vec<Input>, Derived) {
    let (setup, inputs) = generate(seed, limits, avoid);
    let (inputs, derived) = derive(
        setup,
        &inputs,
        &case_id(seed),
        &description(seed, None),
        !avoid.contains("expect_session"),
    );
    (setup, inputs, derived)
}

fn case_id(seed: u64) -> String {
    format!("fuzz-{seed:016x}")
}

fn description(seed: u64, shrunk: Option<(usize, usize)>) -> String {
    let how = match shrunk {
        Some((from, to)) => format!(", shrunk from {from} to {to} inputs"),
        None => String::new(),
    };
    format!(
        "conformance fuzz, run seed {seed:#018x}{how}: expectations are the reference's \
         (muxado-reference) answers to the same inputs"
    )
}

fn case_of(derived: &Derived) -> Case {
    let level = if derived.vector.has_must_checks() {
        Level::Must
    } else {
        Level::Should
    };
    Case {
        group: "fuzz",
        level,
        vector: serde_json::from_value(derived.json.clone()).expect("derived vectors parse"),
    }
}

/// Plays `derived` against the implementation: `Some(signature)` when a MUST-level check
/// failed or the implementation hung or crashed; the result either way.
fn play(derived: &Derived, options: &Options) -> (Option<Signature>, CaseResult) {
    let case = case_of(derived);
    let result = run_case(&case, options);
    let signature = match result.outcome {
        Outcome::Fail if result.level == Level::Must => {
            let (step, requirement) = result.failed.clone().unwrap_or((None, None));
            Some(Signature::of(
                derived,
                step,
                requirement.as_deref(),
                &result.detail,
            ))
        }
        Outcome::Timeout | Outcome::Error => Some(Signature {
            action: result.outcome.name().to_string(),
            requirement: "AGENT-3".to_string(),
        }),
        _ => None,
    };
    (signature, result)
}

/// Runs the fuzzer. `progress` is called after each run with the findings so far.
pub fn fuzz(options: &FuzzOptions, progress: &(dyn Fn(&Findings) + Sync)) -> Findings {
    let start = Instant::now();
    let next = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let shared = Mutex::new(Findings::default());
    // Signatures being shrunk or kept: a second run with one only counts.
    let known: Mutex<BTreeSet<Signature>> = Mutex::new(BTreeSet::new());
    let avoid = Mutex::new(options.avoid.clone());
    // Actions seen in a passing script (never avoided), and how often each was unsupported.
    let learnt: Mutex<(BTreeSet<String>, BTreeMap<String, u32>)> = Mutex::default();
    let mut run_options = options.run.clone();
    run_options.expected.clear();
    run_options.strict = false;
    let mut reference = run_options.clone();
    reference.target = Target::Reference;
    std::thread::scope(|scope| {
        for _ in 0..options.run.jobs.max(1) {
            scope.spawn(|| {
                loop {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let out_of_time = options.time.is_some_and(|t| start.elapsed() >= t);
                    if options.runs.is_some_and(|n| index >= n) || out_of_time {
                        stop.store(true, Ordering::SeqCst);
                        break;
                    }
                    let seed = run_seed(options.seed, index);
                    let avoiding = avoid.lock().expect("avoid").clone();
                    let (setup, inputs, derived) = replay_seed(seed, options.limits, &avoiding);
                    let (signature, result) = play(&derived, &run_options);
                    {
                        let mut learnt = learnt.lock().expect("learnt");
                        let (supported, refused) = &mut *learnt;
                        if result.outcome == Outcome::Pass {
                            supported.extend(
                                derived
                                    .vector
                                    .steps
                                    .iter()
                                    .map(|s| s.action.name().to_string()),
                            );
                        }
                        if let (Outcome::Unsupported, Some((Some(step), _))) =
                            (result.outcome, &result.failed)
                        {
                            // An action the agent refused three times and never played in a
                            // passing script is left out of the scripts from now on (a call
                            // refused only in some states, such as a read that would wait,
                            // stays).
                            if let Some(entry) = derived.vector.steps.get(step - 1) {
                                let name = entry.action.name().to_string();
                                let count = refused.entry(name.clone()).or_default();
                                *count += 1;
                                if *count >= 3 && !supported.contains(&name) {
                                    avoid.lock().expect("avoid").insert(name);
                                }
                            }
                        }
                    }
                    let mut tags: BTreeSet<&'static str> = BTreeSet::new();
                    tags.extend(derived.tags.iter().flatten().copied());
                    let finding = match signature {
                        None => None,
                        Some(signature) => examine(
                            (&stop, options.time.map(|t| start + t)),
                            options,
                            &run_options,
                            &reference,
                            &known,
                            &shared,
                            (index, seed, setup, &avoiding),
                            (inputs, &derived, signature),
                        ),
                    };
                    let mut findings = shared.lock().expect("findings");
                    findings.runs += 1;
                    for tag in tags {
                        *findings.coverage.entry(tag).or_default() += 1;
                    }
                    match result.outcome {
                        Outcome::Pass => findings.passed += 1,
                        Outcome::Unsupported => findings.unsupported += 1,
                        Outcome::Fail if result.level == Level::Should => findings.should_only += 1,
                        _ => {}
                    }
                    if let Some(finding) = finding {
                        if options.stop_at_new && finding.explained_by.is_empty() {
                            stop.store(true, Ordering::SeqCst);
                        }
                        findings.findings.push(finding);
                    }
                    findings.elapsed = start.elapsed();
                    progress(&findings);
                }
            });
        }
    });
    let mut findings = shared.into_inner().expect("findings");
    findings.elapsed = start.elapsed();
    findings
}

/// A failing run: seen before, flaky, the suite's own disagreement, or a new difference to
/// shrink.
#[allow(clippy::too_many_arguments)]
fn examine(
    (stop, deadline): (&AtomicBool, Option<Instant>),
    options: &FuzzOptions,
    run_options: &Options,
    reference: &Options,
    known: &Mutex<BTreeSet<Signature>>,
    shared: &Mutex<Findings>,
    (index, seed, setup, avoiding): (u64, u64, Setup, &BTreeSet<String>),
    (inputs, derived, signature): (Vec<Input>, &Derived, Signature),
) -> Option<Finding> {
    let count_seen = |signature: &Signature| {
        let mut findings = shared.lock().expect("findings");
        if let Some(f) = findings
            .findings
            .iter_mut()
            .find(|f| f.signature == *signature)
        {
            f.seen += 1;
        }
    };
    let mut explained_by = options
        .explained
        .get(&signature.requirement)
        .cloned()
        .unwrap_or_default();
    if explained_by.is_empty() {
        explained_by = notes::explaining(&options.notes, &setup, &inputs);
    }
    {
        let mut known = known.lock().expect("signatures");
        // Only new differences count against the bound; explained ones are kept too, up to
        // four times as many.
        let new = shared
            .lock()
            .expect("findings")
            .findings
            .iter()
            .filter(|f| f.explained_by.is_empty())
            .count();
        let full = if explained_by.is_empty() {
            new >= options.max_findings
        } else {
            known.len() >= options.max_findings * 4
        };
        if known.contains(&signature) || full {
            drop(known);
            count_seen(&signature);
            return None;
        }
        known.insert(signature.clone());
    }
    let forget = |signature: &Signature| {
        known.lock().expect("signatures").remove(signature);
    };
    // Does it repeat?
    if play(derived, run_options).0.as_ref() != Some(&signature) {
        shared.lock().expect("findings").flaky += 1;
        forget(&signature);
        return None;
    }
    // Is the vector sound: does the reference pass it over sockets?
    let (against_reference, reference_result) = play(derived, reference);
    if against_reference.is_some() {
        shared.lock().expect("findings").disagreements.push((
            seed,
            reference_result.detail.clone(),
            derived.json.clone(),
        ));
        forget(&signature);
        return None;
    }
    let before = inputs.len();
    let inputs_copy = inputs.clone();
    let id = case_id(seed);
    let session_check = !avoiding.contains("expect_session");
    // An explained difference is shrunk less: it is already known.
    let budget = if explained_by.is_empty() {
        options.shrink_budget
    } else {
        options.shrink_budget / 4
    };
    let shrunk = shrink::shrink(inputs, budget, &mut |candidate| {
        if stop.load(Ordering::SeqCst) || deadline.is_some_and(|d| Instant::now() >= d) {
            // The run is over (`--first`, `--time`): keep what was shrunk so far.
            return false;
        }
        let (_, d) = derive(setup, candidate, &id, "shrinking", session_check);
        play(&d, run_options).0.as_ref() == Some(&signature)
    });
    let after = shrunk.len();
    let (_, shrunk_derived) = derive(
        setup,
        &shrunk,
        &id,
        &description(seed, Some((before, after))),
        session_check,
    );
    // The reference must pass what is reported: if it fails the shrunk script over sockets,
    // the script as generated (checked above) is reported instead.
    let (derived, after) = if play(&shrunk_derived, reference).0.is_none() {
        // The note a difference is put down to is one whose trigger is still there once
        // shrinking took away what did not matter.
        if explained_by.iter().all(|e| e.starts_with("[INTEROP-")) {
            explained_by = notes::explaining(&options.notes, &setup, &shrunk);
        }
        (shrunk_derived, after)
    } else {
        let (_, whole) = derive(
            setup,
            &inputs_copy,
            &id,
            &description(seed, None),
            session_check,
        );
        (whole, before)
    };
    let (_, result) = play(&derived, run_options);
    Some(Finding {
        signature,
        run_seed: seed,
        run: index,
        seen: 1,
        inputs: (before, after),
        explained_by,
        vector: derived.json,
        result,
        avoid: avoiding.iter().cloned().collect(),
    })
}

/// A session-vector file holding one vector, as `vectors/sessions/` files do.
pub fn vector_file(vector: &Value) -> String {
    let file = json!({
        "schema": "muxado-session-vectors",
        "schema_version": 1,
        "title": "a difference conformance fuzz found",
        "vectors": [vector],
    });
    serde_json::to_string_pretty(&file).expect("JSON values serialise") + "\n"
}

/// The seed of a run, for people: the run seed regenerates the script alone.
pub fn describe_seed(seed: u64) -> String {
    format!("{seed:#018x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use muxado_vectors::session_run::{Offline, run_script};

    /// Every generated script, derived from the reference, passes against the reference
    /// offline: the deriver and the judge agree (a difference is then never the suite's).
    // checks: tooling
    #[test]
    fn derived_vectors_pass_against_the_reference_offline() {
        let mut steps = 0;
        for index in 0..1000 {
            let seed = run_seed(7, index);
            let (_, inputs, derived) = replay_seed(seed, Limits::default(), &BTreeSet::new());
            assert!(!inputs.is_empty());
            steps += derived.vector.steps.len();
            let mut iut = Offline::new(&derived.vector);
            if let Err(failure) = run_script(&derived.vector, &mut iut) {
                panic!(
                    "seed {seed:#x}: {}\n{}",
                    failure.describe(&derived.vector),
                    serde_json::to_string_pretty(&derived.json).unwrap()
                );
            }
        }
        assert!(steps > 1000 * 5, "scripts too short: {steps} steps");
    }

    /// One seed, one script: a difference replays from its seed.
    // checks: tooling
    #[test]
    fn a_seed_regenerates_its_script() {
        for index in 0..20 {
            let seed = run_seed(1, index);
            let (_, a, da) = replay_seed(seed, Limits::default(), &BTreeSet::new());
            let (_, b, db) = replay_seed(seed, Limits::default(), &BTreeSet::new());
            assert_eq!(a, b);
            assert_eq!(da.json, db.json);
        }
        assert_ne!(run_seed(1, 0), run_seed(1, 1));
        assert_ne!(run_seed(1, 0), run_seed(2, 0));
    }

    /// The generator reaches the states the issue names, over a few hundred scripts.
    // checks: tooling
    #[test]
    fn generation_reaches_deep_states() {
        let mut tags: BTreeSet<&str> = BTreeSet::new();
        let mut steps: BTreeSet<&str> = BTreeSet::new();
        for index in 0..300 {
            let (_, _, derived) =
                replay_seed(run_seed(3, index), Limits::default(), &BTreeSet::new());
            tags.extend(derived.tags.iter().flatten().copied());
            let text = derived.json.to_string();
            for (needle, name) in [
                ("\"error_code\":9,\"flags\":0,\"stream_id\"", "backlog full"),
                ("FLOW_CONTROL_ERROR", "window overrun"),
                ("\"written\":", "write"),
                ("\"eof\":true", "end of stream read"),
                ("\"type\":\"GOAWAY\"", "GOAWAY sent"),
                ("\"recv_eof\"", "end-of-file"),
                ("\"type\":\"RST\"", "RST sent"),
                ("\"blocked\":true", "read with nothing buffered"),
            ] {
                if text.contains(needle) {
                    steps.insert(name);
                }
            }
        }
        for want in [
            "STREAM-5",
            "FLOW-4",
            "STREAM-8",
            "STREAM-11",
            "RST-4",
            "GOAWAY-7",
            "FRAME-11",
            "SESSION-7",
            "WNDINC-4",
            "STREAM-6",
        ] {
            assert!(
                tags.contains(want),
                "no script exercised [{want}]: {tags:?}"
            );
        }
        assert_eq!(steps.len(), 8, "reached only {steps:?}");
    }

    /// Calls an implementation cannot make are left out, and so is the final session check
    /// when it cannot tell its session's state.
    // checks: tooling
    #[test]
    fn avoided_actions_never_appear() {
        let avoid: BTreeSet<String> = ["read", "reset", "expect_session"]
            .into_iter()
            .map(String::from)
            .collect();
        for index in 0..200 {
            let (_, inputs, derived) = replay_seed(run_seed(9, index), Limits::default(), &avoid);
            assert!(
                inputs.iter().all(|i| !avoid.contains(i.action())),
                "{inputs:?}"
            );
            assert!(
                derived
                    .vector
                    .steps
                    .iter()
                    .all(|s| !avoid.contains(s.action.name())),
                "{}",
                derived.json
            );
        }
    }
}
