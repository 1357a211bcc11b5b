//! `conformance fuzz`: the command line of [`muxado_conformance::fuzz`].

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

use muxado_conformance::agent::Waits;
use muxado_conformance::coverage::coverage;
use muxado_conformance::fuzz::generate::Limits;
use muxado_conformance::fuzz::{self, Findings, FuzzOptions, describe_seed, vector_file};
use muxado_conformance::report;
use muxado_conformance::run::Options;
use muxado_conformance::suite::{self, Case, Level};
use serde_json::json;

use crate::{Implementation, expected, reports_of, target_name, target_of, write_reports};

#[derive(clap::Args)]
pub struct FuzzArgs {
    #[command(flatten)]
    implementation: Implementation,
    /// The seed of the whole run (decimal or 0x-hex); default: from the clock, printed.
    #[arg(long, value_parser = parse_seed)]
    seed: Option<u64>,
    /// Replay one run seed (as printed for a difference) instead of generating runs.
    #[arg(long, value_parser = parse_seed, conflicts_with_all = ["seed", "runs", "time"])]
    replay: Option<u64>,
    /// Stop after this many scripts.
    #[arg(long)]
    runs: Option<u64>,
    /// Stop after this long (`60s`, `1h`); with neither `--runs` nor `--time`, 60 s.
    #[arg(long, value_parser = humantime::parse_duration)]
    time: Option<Duration>,
    /// Scripts played at once.
    #[arg(short = 'j', long, default_value_t = 4)]
    jobs: usize,
    /// Per-script deadline, in seconds.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Inputs per script, at most.
    #[arg(long, default_value_t = 24)]
    inputs: usize,
    /// Replays spent shrinking one difference, at most.
    #[arg(long, default_value_t = 150)]
    shrink_budget: usize,
    /// Distinct differences kept and shrunk; later runs only count.
    #[arg(long, default_value_t = 20)]
    max_findings: usize,
    /// Leave these actions out of every script (`read,reset,expect_session`): calls the
    /// implementation cannot make. Actions an agent answers `unsupported` are added as the run
    /// goes.
    #[arg(long, value_delimiter = ',')]
    avoid: Vec<String>,
    /// Stop at the first new difference (once shrunk).
    #[arg(long)]
    first: bool,
    /// The implementation's expectations file (`conformance run --expect`): a difference on
    /// a requirement a listed case fails is reported as explained, not new.
    #[arg(long)]
    expect: Option<PathBuf>,
    /// Where each difference is written as a session vector.
    #[arg(long, default_value = "target/conformance-fuzz")]
    out: PathBuf,
    /// Reports of the differences: `json=FILE`, `junit=FILE`, `html=DIR` (as `run`).
    #[arg(long, value_name = "KIND=PATH")]
    report: Vec<String>,
    /// The implementation's name, for the reports.
    #[arg(long)]
    name: Option<String>,
}

fn parse_seed(text: &str) -> Result<u64, String> {
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).map_err(|e| e.to_string()),
        None => text
            .parse()
            .map_err(|e: std::num::ParseIntError| e.to_string()),
    }
}

pub fn fuzz(args: FuzzArgs) -> ExitCode {
    match fuzz_inner(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

fn fuzz_inner(args: FuzzArgs) -> Result<ExitCode, String> {
    let target = target_of(&args.implementation)?;
    let reports = reports_of(&args.report)?;
    // A difference on a requirement that a case the implementation is known to fail judges
    // is explained by that case.
    let mut explained: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let known = expected(&args.expect)?;
    let cases = suite::cases();
    for case in cases.iter().filter(|c| known.contains(c.id())) {
        for requirement in &case.vector.requirements {
            explained
                .entry(requirement.clone())
                .or_default()
                .push(case.id().to_string());
        }
    }
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    });
    let run = Options {
        target: target.clone(),
        timeout: Duration::from_secs_f64(args.timeout),
        chop: None,
        jobs: args.jobs,
        strict: false,
        expected: Default::default(),
        waits: Waits {
            frames: Duration::from_secs(2),
            quiet: Duration::from_millis(60),
        },
    };
    let limits = Limits {
        inputs: args.inputs.max(1),
        ..Limits::default()
    };
    if let Some(run_seed) = args.replay {
        let avoid = args.avoid.iter().cloned().collect();
        return replay(run_seed, limits, &avoid, &run, &args.out);
    }
    let (runs, time) = match (args.runs, args.time) {
        (None, None) => (None, Some(Duration::from_secs(60))),
        other => other,
    };
    let options = FuzzOptions {
        run,
        seed,
        runs,
        time,
        limits,
        shrink_budget: args.shrink_budget,
        max_findings: args.max_findings.max(1),
        stop_at_new: args.first,
        avoid: args.avoid.iter().cloned().collect(),
        explained,
        notes: match &args.expect {
            Some(path) => fuzz::notes::cited(
                &std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?,
            ),
            None => Vec::new(),
        },
    };
    if let muxado_conformance::run::Target::Exec(_) = &target {
        println!(
            "compliance probe: the agent {}",
            muxado_conformance::run::probe(&options.run)?
        );
    }
    println!(
        "muxado conformance fuzz against {}: seed {} ({}), {} at a time",
        target_name(&target),
        describe_seed(seed),
        match (runs, time) {
            (Some(n), Some(t)) => format!("{n} scripts or {}", humantime::format_duration(t)),
            (Some(n), None) => format!("{n} scripts"),
            (None, Some(t)) => humantime::format_duration(t).to_string(),
            (None, None) => unreachable!("a bound is set above"),
        },
        args.jobs.max(1)
    );
    let terminal = std::io::stdout().is_terminal();
    let out = Mutex::new(std::io::stdout());
    let started = std::time::SystemTime::now();
    let findings = fuzz::fuzz(&options, &|f: &Findings| {
        let line = format!(
            "[{:>6.1} s] {} scripts, {} passed, {} differences ({} new), {} disagreements",
            f.elapsed.as_secs_f64(),
            f.runs,
            f.passed,
            f.findings.len(),
            f.new_differences().count(),
            f.disagreements.len()
        );
        let mut out = out.lock().expect("stdout");
        if terminal {
            let _ = write!(out, "\r\x1b[K{line}");
            let _ = out.flush();
        } else if f.runs.is_power_of_two() || f.runs % 500 == 0 {
            let _ = writeln!(out, "{line}");
        }
    });
    if terminal {
        println!();
    }
    print_findings(&findings, &args.out)?;
    print_coverage(&findings);
    // The differences as cases, for the same reports as `run`.
    let found: Vec<Case> = findings
        .findings
        .iter()
        .map(|f| Case {
            group: "fuzz",
            level: Level::Must,
            vector: serde_json::from_value(f.vector.clone()).expect("derived vectors parse"),
        })
        .collect();
    let found_refs: Vec<&Case> = found.iter().collect();
    let results: Vec<_> = findings.findings.iter().map(|f| f.result.clone()).collect();
    let info = report::RunInfo {
        implementation: args.name.clone().unwrap_or_else(|| target_name(&target)),
        command_line: std::env::args().collect(),
        started,
        elapsed: findings.elapsed,
        strict: false,
    };
    write_reports(&reports, &info, &found_refs, &results)?;
    write_summary(&findings, seed, &args.out)?;
    let new = findings.new_differences().count();
    let mut failed = false;
    if new > 0 {
        println!("{new} new differences");
        failed = true;
    }
    if !findings.disagreements.is_empty() {
        println!(
            "{} scripts the reference itself failed over sockets: a bug of the suite, please report it",
            findings.disagreements.len()
        );
        failed = true;
    }
    if findings.runs > 0 && findings.unsupported == findings.runs {
        println!("every script was unsupported: nothing was tested");
        failed = true;
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        println!("no new difference");
        ExitCode::SUCCESS
    })
}

/// Plays one run seed against the implementation and prints what happened.
fn replay(
    run_seed: u64,
    limits: Limits,
    avoid: &std::collections::BTreeSet<String>,
    run: &Options,
    out: &std::path::Path,
) -> Result<ExitCode, String> {
    let (_, inputs, derived) = fuzz::replay_seed(run_seed, limits, avoid);
    let case = Case {
        group: "fuzz",
        level: Level::Must,
        vector: serde_json::from_value(derived.json.clone()).expect("derived vectors parse"),
    };
    let result = muxado_conformance::run::run_case(&case, run);
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let path = out.join(format!("{}.json", case.id()));
    std::fs::write(&path, vector_file(&derived.json))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    println!(
        "run seed {}: {} inputs, {} steps, {} ({})",
        describe_seed(run_seed),
        inputs.len(),
        case.vector.steps.len(),
        result.outcome.name(),
        path.display()
    );
    if !result.detail.is_empty() {
        println!("  what happened:{}", result.detail);
    }
    Ok(match result.outcome {
        muxado_conformance::run::Outcome::Pass => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    })
}

fn print_findings(findings: &Findings, out: &std::path::Path) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    for f in &findings.findings {
        let id = f.vector["id"].as_str().unwrap_or("fuzz");
        let path = out.join(format!("{id}.json"));
        std::fs::write(&path, vector_file(&f.vector))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        println!(
            "\n==== {} {} (seen in {} scripts; run {} seed {}, shrunk from {} to {} inputs)",
            if f.explained_by.is_empty() {
                "NEW DIFFERENCE"
            } else {
                "EXPLAINED DIFFERENCE"
            },
            f.signature,
            f.seen,
            f.run,
            describe_seed(f.run_seed),
            f.inputs.0,
            f.inputs.1
        );
        if !f.explained_by.is_empty() {
            println!("  explained by: {}", f.explained_by.join(", "));
        }
        if let Some(text) = suite::requirement_text(&f.signature.requirement) {
            println!("  {text}");
        }
        println!("  what happened:{}", f.result.detail);
        println!("  frames the suite sent:");
        for line in muxado_conformance::run::frame_lines(&f.result.transcript, true) {
            println!("    → {line}");
        }
        println!("  frames the implementation sent:");
        for line in muxado_conformance::run::frame_lines(&f.result.transcript, false) {
            println!("    ← {line}");
        }
        let avoid = if f.avoid.is_empty() {
            String::new()
        } else {
            format!(" --avoid {}", f.avoid.join(","))
        };
        println!(
            "  vector: {} (replay: --replay {}{avoid})",
            path.display(),
            describe_seed(f.run_seed)
        );
    }
    for (seed, detail, vector) in &findings.disagreements {
        let path = out.join(format!("disagreement-{seed:016x}.json"));
        std::fs::write(&path, vector_file(vector))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        println!(
            "\n==== SUITE DISAGREEMENT run seed {}: the reference fails its own derived vector over sockets:{detail}\n  vector: {}",
            describe_seed(*seed),
            path.display()
        );
    }
    println!(
        "\n{} scripts in {:.1} s: {} passed, {} unsupported, {} failed SHOULD-level checks only, \
         {} flaky; {} distinct differences ({} new, {} explained), {} disagreements",
        findings.runs,
        findings.elapsed.as_secs_f64(),
        findings.passed,
        findings.unsupported,
        findings.should_only,
        findings.flaky,
        findings.findings.len(),
        findings.new_differences().count(),
        findings.findings.len() - findings.new_differences().count(),
        findings.disagreements.len()
    );
    Ok(())
}

/// Which requirements the scripts exercised, and which MUST requirements they never did.
fn print_coverage(findings: &Findings) {
    let all = coverage(&suite::cases());
    let mut missed = Vec::new();
    let mut line = String::new();
    for c in &all {
        match findings.coverage.get(c.id.as_str()) {
            Some(n) => line.push_str(&format!(" {}:{n}", c.id)),
            None if c.level == "MUST" && !c.id.starts_with("INTEROP") => missed.push(c.id.clone()),
            None => {}
        }
    }
    println!("requirements exercised (scripts):{line}");
    if !missed.is_empty() {
        println!(
            "MUST requirements no script exercised: {}",
            missed.join(" ")
        );
    }
}

fn write_summary(findings: &Findings, seed: u64, out: &std::path::Path) -> Result<(), String> {
    let summary = json!({
        "seed": describe_seed(seed),
        "runs": findings.runs,
        "passed": findings.passed,
        "unsupported": findings.unsupported,
        "should_only": findings.should_only,
        "flaky": findings.flaky,
        "elapsed_s": findings.elapsed.as_secs_f64(),
        "differences": findings.findings.iter().map(|f| json!({
            "signature": f.signature.to_string(),
            "requirement": f.signature.requirement,
            "new": f.explained_by.is_empty(),
            "explained_by": f.explained_by,
            "seen": f.seen,
            "run": f.run,
            "run_seed": describe_seed(f.run_seed),
            "inputs": [f.inputs.0, f.inputs.1],
            "vector_id": f.vector["id"],
            "avoid": f.avoid,
        })).collect::<Vec<_>>(),
        "disagreements": findings.disagreements.iter().map(|(s, d, _)| json!({
            "run_seed": describe_seed(*s), "detail": d,
        })).collect::<Vec<_>>(),
        "coverage": findings.coverage,
    });
    let path = out.join("summary.json");
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&summary).expect("serialises") + "\n",
    )
    .map_err(|e| format!("{}: {e}", path.display()))
}
