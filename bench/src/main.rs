//! `muxado-bench`: side-by-side benchmarks of muxado implementations over loopback TCP.
//!
//! ```text
//! muxado-bench run [--mode smoke|quick|full|scaling] [--out DIR] [--bin-dir DIR] [--impl NAME]... [--case PREFIX]...
//! muxado-bench report RESULTS.json --out DIR
//! muxado-bench compare BEFORE.json AFTER.json [--impl NAME]...
//! muxado-bench peer --impl reference|tcp server|client ...
//! ```
//!
//! `run` starts, for every run of every case, a fresh server peer and a fresh client peer of
//! one implementation (this binary plays the reference and plain TCP; the Go and the foreign
//! Rust peers come from `--bin-dir`), collects the client's result, and writes
//! `results.json`, `RESULTS.md`, `throughput.svg` and `scaling.svg` (the scaling mode:
//! `results-scaling.json`, `SCALING.md` and its three plots). `ci/bench` builds everything
//! and calls it; `bench/README.md` explains the workloads and the fairness rules.

mod compare;
mod machine;
mod peer;
mod plan;
mod report;
mod results;
mod run;
mod scaling;
mod svg;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use clap::{Parser, Subcommand};

use muxado_bench_kit::peer::Side;
use muxado_bench_kit::wire::{BACKLOG, MAX_STREAMS, WINDOW};
use plan::{Kind, Mode, PAIRS, Pair, PeerImpl};
use results::{ImplInfo, Metric, Results};

/// Side-by-side muxado benchmarks over loopback TCP.
#[derive(Parser, Debug)]
#[command(name = "muxado-bench", version)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run the benchmark and write the results.
    Run(RunArgs),
    /// Write RESULTS.md and the plots again from a results.json (SCALING.md and its plots
    /// from a results-scaling.json).
    Report {
        /// The results.json (or results-scaling.json) of an earlier run.
        results: PathBuf,
        /// Where to write RESULTS.md and throughput.svg.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Compare two runs' results.json: every metric both measured, median and range before
    /// and after; exits with 1 when a figure got worse beyond the spread the two runs show
    /// (the after run's best repetition worse than the before run's worst).
    Compare {
        /// The earlier run's results.json (e.g. `git show HEAD:bench/results.json`).
        before: PathBuf,
        /// The later run's results.json.
        after: PathBuf,
        /// The implementations to compare (repeatable; default: the reference).
        #[arg(long = "impl", value_name = "NAME")]
        implementations: Vec<String>,
    },
    /// Play one side as a bench peer (the reference, or plain TCP).
    Peer {
        /// The implementation.
        #[arg(long = "impl", value_enum)]
        implementation: peer::Local,
        /// Which side.
        #[command(subcommand)]
        side: Side,
    },
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// How much to run.
    #[arg(long, value_enum, default_value_t = Mode::Quick)]
    mode: Mode,
    /// Repetitions per case and implementation (default: 1 smoke, 3 quick, 5 full, 5 scaling).
    #[arg(long)]
    reps: Option<usize>,
    /// Only these implementations (repeatable; the reference always runs).
    #[arg(long = "impl", value_name = "NAME")]
    only: Vec<String>,
    /// Only the case with this id, or if there is none, the cases whose id starts with this
    /// (repeatable).
    #[arg(long = "case", value_name = "PREFIX")]
    cases: Vec<String>,
    /// Where the Go and foreign Rust peers are (`go-benchpeer`, `foreign-benchpeer`).
    #[arg(long, value_name = "DIR", default_value = "target/bench-bin")]
    bin_dir: PathBuf,
    /// The repository, for versions (default: the current directory).
    #[arg(long, value_name = "DIR", default_value = ".")]
    root: PathBuf,
    /// Where to write results.json, RESULTS.md and throughput.svg (nothing is written
    /// without it).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// The command to name in the report (default: this program's arguments).
    #[arg(long)]
    command: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Peer {
            implementation,
            side,
        } => peer::run(implementation, side),
        Cmd::Report { results, out } => match report_from(&results, &out) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("muxado-bench: {e}");
                ExitCode::FAILURE
            }
        },
        Cmd::Compare {
            before,
            after,
            implementations,
        } => match compare_files(&before, &after, &implementations) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("muxado-bench: {e}");
                ExitCode::from(2)
            }
        },
        Cmd::Run(args) => match run(args) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("muxado-bench: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

/// The settings every implementation runs with, for the report.
fn settings(mode: Mode) -> Vec<String> {
    let mut settings = common_settings();
    if mode == Mode::Scaling {
        let cases = plan::Mode::Scaling.cases();
        let raised: Vec<String> = cases
            .iter()
            .filter_map(|c| Some(format!("{} in `{}`", c.stream_limit()?, c.id)))
            .collect();
        if !raised.is_empty() {
            settings.push(format!(
                "stream limit raised on both sides where a case holds more streams than \
                 {MAX_STREAMS}: {} (the reference, ngrok's crate and yamux; Go has none)",
                raised.join(", ")
            ));
        }
        settings.push(
            "the mixed pairs (reference and Go v2.0.2 on either side) do not run: they show \
             how two implementations meet, not how one grows"
                .into(),
        );
    }
    settings
}

fn common_settings() -> Vec<String> {
    vec![
        format!(
            "window {} KiB per stream for every implementation (the default of all of them; \
             yamux's auto-tuning is kept from growing it, below)",
            WINDOW / 1024
        ),
        format!(
            "accept backlog {BACKLOG} where there is one (reference and Go default 128, ngrok's \
             crate 64): 256 streams opened at once must not be refused; except in \
             burst-open-N, whose server keeps its implementation's default"
        ),
        "heartbeat in sessions-idle-N only, on both sides of every session, at each \
         implementation's default (a beat every 10 s in Go 2016, v2.0.2, ngrok's crate and the \
         reference; yamux has none)"
            .into(),
        format!(
            "stream limit {MAX_STREAMS} where there is one (ngrok's crate and yamux default 512), \
             for the 10,000-stream memory case; Go has none"
        ),
        format!(
            "yamux: max_num_streams {MAX_STREAMS}, max_connection_receive_window = {MAX_STREAMS} × \
             256 KiB, which leaves its window auto-tuning no room: every stream keeps 256 KiB; \
             split_send_size its default 16 KiB"
        ),
        "everything else at each implementation's defaults (frame sizes, write queues, \
         heartbeats off elsewhere)"
            .into(),
        "TCP_NODELAY on every connection (Go's default; the Rust peers set it)".into(),
        "Rust peers: tokio multi-threaded runtime, one worker per core; Go peers: GOMAXPROCS \
         default (one per core)"
            .into(),
        "writes of 64 KiB, sink reads of 64 KiB, echo reads of 16 KiB in every peer".into(),
    ]
}

fn run(args: RunArgs) -> Result<ExitCode, String> {
    let this = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let bin_dir = args
        .bin_dir
        .canonicalize()
        .unwrap_or_else(|_| args.bin_dir.clone());
    let reps = args.reps.unwrap_or(args.mode.reps()).max(1);
    let mut cases = args.mode.cases();
    if !args.cases.is_empty() {
        cases = plan::select(cases, &args.cases);
    }
    let mut pairs: Vec<Pair> = PAIRS
        .iter()
        .filter(|p| args.mode.runs(p))
        .filter(|p| {
            args.only.is_empty()
                || p.name == plan::REFERENCE
                || args.only.iter().any(|o| o == p.name)
        })
        .copied()
        .collect();
    // A pair whose peer program is missing cannot run; in smoke mode that is an error.
    let missing = |p: &Pair| {
        [p.client, p.server]
            .into_iter()
            .map(|i| i.command(&this, &bin_dir).program)
            .find(|prog| !prog.exists())
    };
    let mut skipped = Vec::new();
    pairs.retain(|p| match missing(p) {
        Some(prog) => {
            skipped.push(format!("{} ({} not found)", p.name, prog.display()));
            false
        }
        None => true,
    });
    if !skipped.is_empty() {
        let message = format!("not run: {}", skipped.join(", "));
        if args.mode == Mode::Smoke {
            return Err(format!("{message}; build them with ci/bench"));
        }
        eprintln!("muxado-bench: {message}");
    }
    if cases.is_empty() {
        return Err("no case selected".into());
    }
    let command = args
        .command
        .clone()
        .unwrap_or_else(|| std::env::args().collect::<Vec<_>>().join(" "));
    let started_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let load_before = machine::load_average();
    let started = Instant::now();
    eprintln!(
        "muxado-bench: {} case(s) × {} implementation(s) × {reps} repetition(s)",
        cases.len(),
        pairs.len()
    );
    let case_runs =
        run::run_plan(&cases, &pairs, reps, &this, &bin_dir).map_err(|e| format!("run: {e}"))?;
    let versions = machine::versions(&args.root);
    let version_of = |i: PeerImpl| {
        versions
            .get(i.version_key())
            .cloned()
            .unwrap_or_else(|| "unknown".into())
    };
    let results = Results {
        schema: 1,
        mode: args.mode,
        command,
        started_utc: machine::utc(started_unix),
        duration_s: started.elapsed().as_secs_f64(),
        machine: {
            let mut m = machine::machine();
            m.insert(
                "load average (1, 5, 15 min) at start and end".into(),
                format!("{load_before}; {}", machine::load_average()),
            );
            m
        },
        settings: settings(args.mode),
        implementations: pairs
            .iter()
            .map(|p| ImplInfo {
                name: p.name.to_string(),
                about: p.about.to_string(),
                version: if p.client == p.server {
                    version_of(p.client)
                } else {
                    format!(
                        "client: {}; server: {}",
                        version_of(p.client),
                        version_of(p.server)
                    )
                },
                client: display_command(p.client, &this, &bin_dir),
                server: display_command(p.server, &this, &bin_dir),
            })
            .collect(),
        versions,
        reps,
        cases: case_runs,
    };
    if let Some(out) = &args.out {
        write_all(&results, out)?;
        eprintln!("muxado-bench: wrote {}", out.display());
    }
    if args.mode == Mode::Scaling {
        // Another implementation's failure at a size is a gap in the curve, which the report
        // explains; the reference's, or a figure that makes no sense, still fails the run.
        println!("{}", scaling::tables(&results));
        let problems = check(&results, true);
        for p in &problems {
            eprintln!("muxado-bench: {p}");
        }
        return Ok(if problems.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    println!("{}", report::ratio_table(&results));
    if let Some(floor) = report::floor_table(&results) {
        println!("{floor}");
    }
    // A smoke run checks that everything works; its tiny cases say nothing about targets.
    let targets = if args.mode == Mode::Smoke {
        Vec::new()
    } else {
        report::targets(&results)
    };
    for t in targets {
        let mark = match t.met {
            Some(true) => "met",
            Some(false) => "NOT MET",
            None => "n/a",
        };
        println!("{mark}: {}", t.text);
    }
    let problems = check(&results, false);
    for p in &problems {
        eprintln!("muxado-bench: {p}");
    }
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A peer's command for the report, with paths relative to the working directory when they
/// lie below it.
fn display_command(i: PeerImpl, this: &Path, bin_dir: &Path) -> plan::PeerCommand {
    let mut c = i.command(this, bin_dir);
    if let Ok(cwd) = std::env::current_dir() {
        let cwd = cwd.canonicalize().unwrap_or(cwd);
        if let Ok(rel) = c.program.strip_prefix(&cwd) {
            c.program = rel.to_path_buf();
        }
    }
    c
}

/// Failed runs and insane figures: what makes a run exit non-zero. With `gaps`, only the
/// reference's failed runs count: another implementation's are gaps in its curve.
fn check(results: &Results, gaps: bool) -> Vec<String> {
    let mut problems: Vec<String> = results
        .failures()
        .into_iter()
        .filter(|(_, name, _, _)| !gaps || name == plan::REFERENCE)
        .map(|(case, name, rep, error)| format!("{case} {name} rep {}: {error}", rep + 1))
        .collect();
    for case in &results.cases {
        for (name, runs) in &case.runs {
            for run in runs {
                let Some(result) = &run.result else { continue };
                for m in Metric::of(&case.case) {
                    match m.value(result) {
                        None => problems
                            .push(format!("{} {name}: no {} in {result}", case.case.id, m.id)),
                        Some(v) if v <= 0.0 && m.must_be_positive() => {
                            problems.push(format!("{} {name}: {} = {v}", case.case.id, m.id))
                        }
                        Some(v) if v < 0.0 && m.unit != "B/stream" && m.unit != "B/session" => {
                            problems.push(format!("{} {name}: {} = {v}", case.case.id, m.id))
                        }
                        Some(_) => {}
                    }
                }
                if let Some(p) = insane(&case.case, result) {
                    problems.push(format!("{} {name}: {p} in {result}", case.case.id));
                }
            }
        }
    }
    problems
}

/// What makes no sense in a result beyond its metrics: counts that do not add up.
fn insane(case: &plan::Case, result: &serde_json::Value) -> Option<String> {
    let count = |key: &str| result.get(key).and_then(serde_json::Value::as_u64);
    match case.kind {
        Kind::Burst => {
            let (echoed, refused) = (count("echoed")?, count("refused")?);
            (echoed + refused != case.streams as u64 || echoed == 0).then(|| {
                format!(
                    "{echoed} echoed + {refused} refused of {} streams",
                    case.streams
                )
            })
        }
        Kind::SessionsIdle | Kind::SessionsActive => {
            if count("sessions") != Some(case.sessions as u64) {
                return Some(format!("not {} sessions", case.sessions));
            }
            let idle = result.get("idle_secs").and_then(serde_json::Value::as_f64);
            let short = idle.is_some_and(|s| s < case.secs * 0.9);
            (case.kind == Kind::SessionsIdle && (idle.is_none() || short))
                .then(|| format!("idle for less than {} s", case.secs))
        }
        _ => None,
    }
}

fn write_all(results: &Results, out: &Path) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("creating {}: {e}", out.display()))?;
    let json = serde_json::to_string_pretty(results).map_err(|e| e.to_string())?;
    // The scaling mode's files sit beside the full run's in bench/ without replacing them.
    let name = if results.mode == Mode::Scaling {
        scaling::RESULTS_JSON
    } else {
        "results.json"
    };
    std::fs::write(out.join(name), json + "\n").map_err(|e| format!("writing {name}: {e}"))?;
    write_report(results, out)
}

fn write_report(results: &Results, out: &Path) -> Result<(), String> {
    if results.mode == Mode::Scaling {
        return scaling::write(results, out);
    }
    let svg = svg::throughput(results);
    if let Some(svg) = &svg {
        std::fs::write(out.join("throughput.svg"), svg)
            .map_err(|e| format!("writing throughput.svg: {e}"))?;
    }
    let scaling = svg::scaling(results);
    if let Some(scaling) = &scaling {
        std::fs::write(out.join("scaling.svg"), scaling)
            .map_err(|e| format!("writing scaling.svg: {e}"))?;
    }
    let md = report::markdown(
        results,
        svg.as_ref().map(|_| "throughput.svg"),
        scaling.as_ref().map(|_| "scaling.svg"),
    );
    std::fs::write(out.join("RESULTS.md"), md).map_err(|e| format!("writing RESULTS.md: {e}"))
}

fn read_results(path: &Path) -> Result<Results, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("parsing {}: {e}", path.display()))
}

/// Prints the comparison of two runs; `Ok(false)` when a figure got worse beyond the spread.
fn compare_files(before: &Path, after: &Path, implementations: &[String]) -> Result<bool, String> {
    let (before, after) = (read_results(before)?, read_results(after)?);
    let names = if implementations.is_empty() {
        vec![plan::REFERENCE.to_string()]
    } else {
        implementations.to_vec()
    };
    let mut steady = true;
    for name in &names {
        let rows = compare::rows(&before, &after, name);
        if rows.is_empty() {
            return Err(format!("no metric of {name} is in both runs"));
        }
        println!("{}", compare::table(&rows, name));
        steady &= rows
            .iter()
            .all(|r| r.verdict != compare::Verdict::WorseBeyondSpread);
    }
    Ok(steady)
}

fn report_from(path: &Path, out: &Path) -> Result<(), String> {
    let results = read_results(path)?;
    std::fs::create_dir_all(out).map_err(|e| format!("creating {}: {e}", out.display()))?;
    write_report(&results, out)
}
