//! `conformance`: checks a muxado implementation against SPEC.md over real sockets.
//!
//! - `conformance run` runs every case against the reference implementation;
//!   `conformance run --exec CMD` against any implementation whose agent CMD starts (SPEC.md
//!   appendix A).
//! - `conformance fuzz` generates sessions and plays them against an implementation and the
//!   reference, reporting where they differ beyond what SPEC.md allows.
//! - `conformance list` lists the cases.
//! - `conformance agent` is the reference implementation's agent, following the contract.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand};
use muxado_conformance::agent::{Waits, reference_agent};
use muxado_conformance::report;
use muxado_conformance::run::{self, Options, Outcome, Target};
use muxado_conformance::standing;
use muxado_conformance::suite::{self, Case};
use muxado_reference::session::Role;

mod fuzz_command;

#[derive(Parser)]
#[command(name = "conformance", version, about = "The muxado conformance suite")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the suite (default: against the embedded reference implementation).
    Run(RunArgs),
    /// Differential testing: generate sessions from a seed, play each against the
    /// implementation and the reference, shrink every difference to a session vector.
    Fuzz(fuzz_command::FuzzArgs),
    /// List the cases: id, level, requirements, description.
    List {
        /// Only cases matching these globs (ids, groups, requirement ids).
        #[arg(long = "case")]
        cases: Vec<String>,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// For every SPEC.md requirement, the cases and frame vectors that check it; fails when
    /// a MUST requirement has none.
    Coverage {
        /// List every case and vector, not only counts.
        #[arg(short, long)]
        verbose: bool,
    },
    /// The reference implementation's agent (SPEC.md appendix A): for one case, configured
    /// from the environment (MUXADO_ROLE, MUXADO_ADDR, MUXADO_CONTROL, MUXADO_CONFIG); or a
    /// standing agent for a whole run (`--serve`, `--connect`).
    Agent {
        /// Listen here and serve every case the suite sends (`conformance run --target`).
        #[arg(long, conflicts_with = "connect")]
        serve: Option<String>,
        /// Dial the suite here for each case (`conformance run --listen`), until it stops.
        #[arg(long)]
        connect: Option<std::net::SocketAddr>,
        /// With `--connect`: cases played at once.
        #[arg(long, default_value_t = 4)]
        parallel: usize,
    },
    /// Print the completion script for a shell (`source <(conformance completions bash)`).
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page, in roff (`conformance man > conformance.1`).
    Man,
}

/// The implementation under test: `--exec`, `--target` or `--listen` (none: the embedded
/// reference). Shared by `run` and `fuzz`.
#[derive(clap::Args)]
struct Implementation {
    /// Start the implementation under test per case with this shell command (its agent).
    #[arg(long, conflicts_with_all = ["target", "listen"])]
    exec: Option<String>,
    /// A standing agent listening at HOST:PORT: the suite connects per case (SPEC [AGENT-7]).
    #[arg(long, conflicts_with = "listen")]
    target: Option<std::net::SocketAddr>,
    /// Listen at ADDR for a standing agent that connects per case (SPEC [AGENT-7]).
    #[arg(long)]
    listen: Option<String>,
}

#[derive(clap::Args)]
struct RunArgs {
    #[command(flatten)]
    implementation: Implementation,
    /// Run only cases matching these globs over case ids, groups (`flow`) and requirement
    /// ids (`FLOW-*`).
    #[arg(long = "case")]
    cases: Vec<String>,
    /// Leave out cases matching these globs.
    #[arg(long)]
    exclude: Vec<String>,
    /// SHOULD-level cases count: their failures fail the run.
    #[arg(long)]
    strict: bool,
    /// A file of case ids expected to fail (one per line, `#` comments).
    #[arg(long)]
    expect: Option<PathBuf>,
    /// Whole-case deadline, in seconds.
    #[arg(long, default_value_t = 20.0)]
    timeout: f64,
    /// Send the IUT its bytes in pieces of this many bytes.
    #[arg(long)]
    chop: Option<usize>,
    /// Cases run at once.
    #[arg(short = 'j', long, default_value_t = 4)]
    jobs: usize,
    /// Write a report: `json=FILE`, `junit=FILE` (JUnit XML, for CI systems) or `html=DIR`
    /// (an index and one page per case with its transcript). Repeatable.
    #[arg(long, value_name = "KIND=PATH")]
    report: Vec<String>,
    /// Print every case, not only the ones that did not pass.
    #[arg(short, long)]
    verbose: bool,
    /// Fail the run when more than this percentage of the cases run were unsupported: a run
    /// that tested little must not pass for one that tested much.
    #[arg(long, default_value_t = 50.0, value_name = "PERCENT")]
    max_unsupported: f64,
    /// The implementation's name, for the reports.
    #[arg(long)]
    name: Option<String>,
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Run(args) => run(args),
        Command::Fuzz(args) => fuzz_command::fuzz(args),
        Command::List { cases, json } => list(&cases, json),
        Command::Coverage { verbose } => coverage(verbose),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "conformance", &mut script);
            print_bytes(&script)
        }
        Command::Man => {
            let mut page = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut page) {
                Ok(()) => print_bytes(&page),
                Err(e) => {
                    eprintln!("conformance man: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Agent {
            serve,
            connect,
            parallel,
        } => {
            let result = match (serve, connect) {
                (Some(addr), _) => standing::serve(&addr),
                (None, Some(addr)) => standing::connect(addr, parallel),
                (None, None) => agent(),
            };
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("conformance agent: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn patterns(globs: &[String]) -> Result<Vec<glob::Pattern>, String> {
    globs
        .iter()
        .map(|g| glob::Pattern::new(g).map_err(|e| format!("bad pattern {g:?}: {e}")))
        .collect()
}

fn list(globs: &[String], json: bool) -> ExitCode {
    let Ok(patterns) = patterns(globs) else {
        return ExitCode::from(2);
    };
    let cases = suite::cases();
    let selected: Vec<&Case> = cases
        .iter()
        .filter(|c| patterns.is_empty() || suite::matches(c, &patterns))
        .collect();
    if json {
        let list: Vec<serde_json::Value> = selected
            .iter()
            .map(|c| {
                serde_json::json!({
                    "id": c.id(),
                    "group": c.group,
                    "level": c.level.name(),
                    "requirements": c.vector.requirements,
                    "flags": c.vector.flags,
                    "description": c.vector.description,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&list).expect("serializable")
        );
        return ExitCode::SUCCESS;
    }
    for case in selected {
        println!(
            "{:<60} {:<6} {:<30} {}",
            case.id(),
            case.level.name(),
            case.vector.requirements.join(","),
            case.vector.description
        );
    }
    ExitCode::SUCCESS
}

fn coverage(verbose: bool) -> ExitCode {
    let cases = suite::cases();
    let mut missing = Vec::new();
    for c in muxado_conformance::coverage::coverage(&cases) {
        let meta = muxado_conformance::coverage::META_AREAS
            .iter()
            .any(|area| c.id.starts_with(&format!("{area}-")));
        // A MUST requirement counts as checked only where a MUST-level check judges it.
        let checked = if c.level == "MUST" {
            !c.must_cases.is_empty() || !c.frame_vectors.is_empty()
        } else {
            !c.cases.is_empty() || !c.frame_vectors.is_empty()
        };
        if !checked && !meta && c.level == "MUST" {
            missing.push(c.id.clone());
        }
        println!(
            "{:<14} {:<6} {:>3} cases ({:>3} at MUST level) {:>3} frame vectors{}",
            format!("[{}]", c.id),
            c.level,
            c.cases.len(),
            c.must_cases.len(),
            c.frame_vectors.len(),
            match (checked, meta) {
                (_, true) => "  (about the document or the suite: exercised by every run)",
                (true, false) => "",
                (false, false) => "  NOT CHECKED",
            }
        );
        if verbose {
            for id in c.cases.iter().chain(&c.frame_vectors) {
                println!("      {id}");
            }
        }
    }
    if missing.is_empty() {
        println!(
            "every MUST requirement is judged by a MUST-level check of a case or a frame vector"
        );
        ExitCode::SUCCESS
    } else {
        println!(
            "MUST requirements no MUST-level check judges: {}",
            missing.join(" ")
        );
        ExitCode::FAILURE
    }
}

/// The one-case agent, configured from the environment ([AGENT-1]).
fn agent() -> Result<(), String> {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let role = match var("MUXADO_ROLE")?.as_str() {
        "client" => Role::Client,
        "server" => Role::Server,
        other => return Err(format!("MUXADO_ROLE {other:?}")),
    };
    let parse = |name: &str| -> Result<std::net::SocketAddr, String> {
        var(name)?.parse().map_err(|e| format!("{name}: {e}"))
    };
    let json = match var("MUXADO_CONFIG") {
        Ok(text) => serde_json::from_str(&text).map_err(|e| format!("MUXADO_CONFIG: {e}"))?,
        Err(_) => serde_json::Value::Null,
    };
    reference_agent(
        parse("MUXADO_ADDR")?,
        parse("MUXADO_CONTROL")?,
        role,
        standing::config_from_json(&json),
        standing::extensions_from_json(&json),
    )
}

/// The implementation under test, from `--exec`, `--target` or `--listen` (none: the
/// embedded reference).
fn target_of(implementation: &Implementation) -> Result<Target, String> {
    let Implementation {
        exec,
        target,
        listen,
    } = implementation;
    match (exec, *target, listen) {
        (Some(command), ..) => Ok(Target::Exec(command.clone())),
        (None, Some(addr), _) => Ok(Target::Standing(addr)),
        (None, None, Some(addr)) => {
            let listener =
                std::net::TcpListener::bind(addr).map_err(|e| format!("listen {addr}: {e}"))?;
            println!(
                "listening for the agent on {}",
                listener
                    .local_addr()
                    .map_or(addr.clone(), |a| a.to_string())
            );
            Ok(Target::Listen(std::sync::Arc::new(Mutex::new(listener))))
        }
        (None, None, None) => Ok(Target::Reference),
    }
}

/// The `--report KIND=PATH` arguments.
fn reports_of(args: &[String]) -> Result<Vec<(String, PathBuf)>, String> {
    args.iter()
        .map(|r| match r.split_once('=') {
            Some((kind @ ("json" | "junit" | "html"), path)) => {
                Ok((kind.to_string(), PathBuf::from(path)))
            }
            _ => Err(format!(
                "bad --report {r:?}: json=FILE, junit=FILE or html=DIR"
            )),
        })
        .collect()
}

/// Writes the reports of a run.
fn write_reports(
    reports: &[(String, PathBuf)],
    info: &report::RunInfo,
    cases: &[&Case],
    results: &[run::CaseResult],
) -> Result<(), String> {
    for (kind, path) in reports {
        let written = match kind.as_str() {
            "json" => std::fs::write(path, report::json_report(info, cases, results)),
            "junit" => std::fs::write(path, report::junit(cases, results)),
            _ => report::html(path, info, cases, results),
        };
        written.map_err(|e| format!("{}: {e}", path.display()))?;
        println!("{kind} report: {}", path.display());
    }
    Ok(())
}

/// How a target is named in reports.
fn target_name(target: &Target) -> String {
    match target {
        Target::Reference => "muxado-reference (embedded)".to_string(),
        Target::Exec(command) => command.clone(),
        Target::Standing(addr) => format!("the agent at {addr}"),
        Target::Listen(_) => "the agent that connects".to_string(),
    }
}

fn expected(path: &Option<PathBuf>) -> Result<BTreeSet<String>, String> {
    let Some(path) = path else {
        return Ok(BTreeSet::new());
    };
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

fn run(args: RunArgs) -> ExitCode {
    let (included, excluded) = match (patterns(&args.cases), patterns(&args.exclude)) {
        (Ok(i), Ok(e)) => (i, e),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut expected = match expected(&args.expect) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let all = suite::cases();
    let target = match target_of(&args.implementation) {
        Ok(Target::Reference) => {
            // The reference's own known bugs, as the vectors mark them.
            expected.extend(
                all.iter()
                    .filter(|c| c.vector.reference_bug.is_some())
                    .map(|c| c.id().to_string()),
            );
            Target::Reference
        }
        Ok(target) => target,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let cases: Vec<&Case> = all
        .iter()
        .filter(|c| included.is_empty() || suite::matches(c, &included))
        .filter(|c| !suite::matches(c, &excluded))
        .collect();
    let options = Options {
        target: target.clone(),
        timeout: Duration::from_secs_f64(args.timeout),
        chop: args.chop,
        jobs: args.jobs,
        strict: args.strict,
        expected,
        waits: Waits {
            frames: Duration::from_secs(2),
            quiet: Duration::from_millis(60),
        },
    };
    println!(
        "muxado conformance: {} cases against {}{}",
        cases.len(),
        match &target {
            Target::Reference => "the reference implementation (embedded)".to_string(),
            Target::Exec(command) => format!("`{command}`"),
            Target::Standing(addr) => format!("the agent at {addr}"),
            Target::Listen(_) => "the agent that connects".to_string(),
        },
        args.chop
            .map(|n| format!(", chopped into {n}-byte writes"))
            .unwrap_or_default()
    );
    let reports = match reports_of(&args.report) {
        Ok(reports) => reports,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if let Target::Exec(_) = &options.target {
        match run::probe(&options) {
            Ok(kind) => println!("compliance probe: the agent {kind}"),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        }
    }
    let started = std::time::SystemTime::now();
    let clock = std::time::Instant::now();
    // On a terminal, one live progress line; otherwise a line per case that did not pass.
    let terminal = std::io::stdout().is_terminal();
    let progress = Mutex::new((std::io::stdout(), 0usize, 0usize));
    let verbose = args.verbose;
    let total = cases.len();
    let results = run::run_all(&cases, &options, &|r| {
        let mut guard = progress.lock().expect("stdout");
        let (out, done, bad) = &mut *guard;
        *done += 1;
        *bad += usize::from(r.counts);
        if verbose || r.outcome != Outcome::Pass {
            if terminal {
                let _ = write!(out, "\r\x1b[K");
            }
            // A pass names the alternatives the IUT took, where the SPEC allows several.
            let took = if r.outcome == Outcome::Pass && !r.detail.is_empty() {
                format!(" ({})", r.detail)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "{:<17} {:<6} {}{took}",
                r.outcome.name().to_uppercase(),
                r.level.name(),
                r.id
            );
        }
        if terminal {
            let _ = write!(
                out,
                "\r\x1b[K[{done}/{total}] {bad} unexpected, last: {}",
                r.id
            );
            let _ = out.flush();
        }
    });
    if terminal {
        print!("\r\x1b[K");
    }
    let mut counted = 0;
    for (case, result) in cases.iter().zip(&results) {
        if result.outcome == Outcome::Pass || result.outcome == Outcome::Unsupported {
            continue;
        }
        counted += usize::from(result.counts);
        println!(
            "\n==== {} {} ({}{})",
            result.outcome.name().to_uppercase(),
            result.id,
            result.level.name(),
            if result.counts { "" } else { ", not counted" }
        );
        println!("  {}", case.vector.description);
        for id in &case.vector.requirements {
            if let Some(text) = suite::requirement_text(id) {
                println!("  {text}");
            }
        }
        println!("  what happened:{}", result.detail);
        if !result.transcript.is_empty() {
            println!("  frames the suite sent:");
            for line in run::frame_lines(&result.transcript, true) {
                println!("    → {line}");
            }
            println!("  frames the IUT sent:");
            for line in run::frame_lines(&result.transcript, false) {
                println!("    ← {line}");
            }
            println!("  bytes (hex):");
            for chunk in &result.transcript {
                let hex = report::chunk_hex(&chunk.bytes);
                println!(
                    "    {:>9.3}ms {} {}",
                    chunk.at.as_secs_f64() * 1000.0,
                    if chunk.to_iut { "→" } else { "←" },
                    hex
                );
            }
        }
    }
    let summary = report::Summary::of(&results);
    println!("\n{}", summary.line());
    let info = report::RunInfo {
        implementation: args.name.clone().unwrap_or_else(|| target_name(&target)),
        command_line: std::env::args().collect(),
        started,
        elapsed: clock.elapsed(),
        strict: args.strict,
    };
    if let Err(e) = write_reports(&reports, &info, &cases, &results) {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    // Fail closed: a run that tested nothing, or little, does not pass.
    let unsupported = summary.unsupported as f64 * 100.0 / results.len().max(1) as f64;
    let mut failed = false;
    if counted > 0 {
        println!("{counted} unexpected results");
        failed = true;
    }
    if !results.is_empty() && summary.pass + summary.expected_failure == 0 {
        println!("no case passed: nothing was tested (is the agent a muxado implementation?)");
        failed = true;
    }
    if unsupported > args.max_unsupported {
        println!(
            "{unsupported:.0} % of the cases were unsupported, more than --max-unsupported {}: \
             the run tested too little to pass",
            args.max_unsupported
        );
        failed = true;
    }
    if failed {
        ExitCode::FAILURE
    } else {
        println!("no unexpected result");
        ExitCode::SUCCESS
    }
}

/// Writes generated text to standard output; a reader that went away (`| head`) is no error.
fn print_bytes(bytes: &[u8]) -> ExitCode {
    use std::io::Write as _;
    match std::io::stdout().write_all(bytes) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("conformance: {e}");
            ExitCode::FAILURE
        }
    }
}
