//! `muxado-vectors`: runs every frame vector against the reference codec and every session
//! vector against the reference session state machine, and prints a report: a section per
//! directory, a line per file, and a final `N passed, M failed` line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use muxado_vectors::model::VectorFile;
use muxado_vectors::session_model::{self, SessionFile};
use muxado_vectors::session_run::{self, Verdict};
use muxado_vectors::{run, sessions_dir};

/// Check the muxado frame and session vectors against the reference implementation.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Vector files or directories of them (default: this checkout's vectors/frames and
    /// vectors/sessions). A file's `schema` field says whether it holds frame or session
    /// vectors.
    paths: Vec<PathBuf>,
    /// Print every vector, not only failures.
    #[arg(short, long)]
    verbose: bool,
}

#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
    known_bugs: usize,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let paths = if args.paths.is_empty() {
        vec![muxado_vectors::frames_dir(), sessions_dir()]
    } else {
        args.paths.clone()
    };
    // One section per directory, in the order given; a file given alone is its own section.
    let mut sections: Vec<(String, Vec<PathBuf>)> = Vec::new();
    for path in paths {
        match std::fs::read_dir(&path) {
            Ok(entries) => {
                let mut found: Vec<PathBuf> = entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "json"))
                    .collect();
                found.sort();
                sections.push((format!("{}/", path.display()), found));
            }
            Err(_) => sections.push((path.display().to_string(), vec![path])),
        }
    }
    println!(
        "muxado vectors against muxado-reference {}",
        env!("CARGO_PKG_VERSION")
    );
    let mut tally = Tally::default();
    for (title, files) in sections {
        println!("{}", short(&title));
        for path in files {
            run_file(&path, args.verbose, &mut tally);
        }
    }
    if tally.known_bugs > 0 {
        println!(
            "{} known reference bugs (vectors marked reference_bug, failing as expected; counted as passed)",
            tally.known_bugs
        );
    }
    println!("{} passed, {} failed", tally.passed, tally.failed);
    if tally.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// A directory path relative to this checkout when it is inside it.
fn short(title: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(|p| format!("{}/", p.display()))
        .unwrap_or_default();
    title.strip_prefix(&root).unwrap_or(title).to_string()
}

fn schema_of(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    value.get("schema")?.as_str().map(str::to_string)
}

fn run_file(path: &Path, verbose: bool, tally: &mut Tally) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (title, total, file_failed) = if schema_of(path).as_deref() == Some(session_model::SCHEMA) {
        match SessionFile::load(path) {
            Ok(file) => {
                let failed = run_sessions(&file, &name, verbose, tally);
                (file.title, file.vectors.len(), failed)
            }
            Err(err) => {
                println!("  ERROR {err}");
                tally.failed += 1;
                return;
            }
        }
    } else {
        match VectorFile::load(path) {
            Ok(file) => {
                let failed = run_frames(&file, &name, verbose, tally);
                (file.title, file.vectors.len(), failed)
            }
            Err(err) => {
                println!("  ERROR {err}");
                tally.failed += 1;
                return;
            }
        }
    };
    println!(
        "{name:<16} {total:>4} vectors  {:>4} pass  {file_failed:>3} fail   {title}",
        total - file_failed,
    );
}

fn run_frames(file: &VectorFile, name: &str, verbose: bool, tally: &mut Tally) -> usize {
    let mut failed = 0;
    for vector in &file.vectors {
        match run::check(vector) {
            Ok(()) => {
                tally.passed += 1;
                if verbose {
                    println!("  pass {} [{}]", vector.id, vector.requirements.join(" "));
                }
            }
            Err(problems) => {
                tally.failed += 1;
                failed += 1;
                println!("  FAIL {} ({name}){problems}", vector.id);
            }
        }
    }
    failed
}

fn run_sessions(file: &SessionFile, name: &str, verbose: bool, tally: &mut Tally) -> usize {
    let mut failed = 0;
    for vector in &file.vectors {
        match session_run::judge(vector) {
            Verdict::Pass => {
                tally.passed += 1;
                if verbose {
                    println!("  pass {} [{}]", vector.id, vector.requirements.join(" "));
                }
            }
            Verdict::KnownBug(problem) => {
                tally.passed += 1;
                tally.known_bugs += 1;
                let note = vector.reference_bug.as_ref().map(|b| b.note.as_str());
                println!(
                    "  XFAIL {} ({name}): known reference bug: {}",
                    vector.id,
                    note.unwrap_or_default()
                );
                if verbose {
                    println!("    {}", problem.trim_start());
                }
            }
            Verdict::Fail(problems) => {
                tally.failed += 1;
                failed += 1;
                println!("  FAIL {} ({name}){problems}", vector.id);
            }
        }
    }
    failed
}
