//! `muxado-spec-trace`: prints, per SPEC.md requirement, the tests and vectors that check it,
//! and fails on an undefined, duplicated or missing citation.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Check the traceability between SPEC.md and the tests, vectors and code.
#[derive(Parser)]
struct Args {
    /// Repository root (default: this checkout).
    #[arg(long)]
    root: Option<PathBuf>,
    /// List every citing test and vector.
    #[arg(short, long)]
    verbose: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let root = args.root.unwrap_or_else(muxado_spec_trace_root);
    let trace = match muxado_spec_trace::scan(&root) {
        Ok(trace) => trace,
        Err(err) => {
            eprintln!("cannot scan {}: {err}", root.display());
            return ExitCode::FAILURE;
        }
    };
    print!("{}", muxado_spec_trace::report(&trace, args.verbose));
    let errors = trace.errors();
    for error in &errors {
        println!("ERROR {error}");
    }
    if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn muxado_spec_trace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}
