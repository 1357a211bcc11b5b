//! `muxado-vectors`: runs every frame vector against the reference codec and prints a report.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use muxado_vectors::model::VectorFile;
use muxado_vectors::run;

/// Check the muxado frame vectors against the reference codec.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Vector files or directories of them (default: this checkout's vectors/frames).
    paths: Vec<PathBuf>,
    /// Print every vector, not only failures.
    #[arg(short, long)]
    verbose: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let paths = if args.paths.is_empty() {
        vec![muxado_vectors::frames_dir()]
    } else {
        args.paths
    };
    let mut files = Vec::new();
    for path in paths {
        match std::fs::read_dir(&path) {
            Ok(entries) => {
                let mut found: Vec<PathBuf> = entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "json"))
                    .collect();
                found.sort();
                files.extend(found);
            }
            Err(_) => files.push(path),
        }
    }
    println!(
        "muxado frame vectors against muxado-reference {}",
        env!("CARGO_PKG_VERSION")
    );
    let (mut passed, mut failed) = (0, 0);
    for path in files {
        let file = match VectorFile::load(&path) {
            Ok(file) => file,
            Err(err) => {
                println!("  ERROR {err}");
                failed += 1;
                continue;
            }
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut file_failed = 0;
        for vector in &file.vectors {
            match run::check(vector) {
                Ok(()) => {
                    passed += 1;
                    if args.verbose {
                        println!("  pass {} [{}]", vector.id, vector.requirements.join(" "));
                    }
                }
                Err(problems) => {
                    failed += 1;
                    file_failed += 1;
                    println!("  FAIL {} ({name}){problems}", vector.id);
                }
            }
        }
        println!(
            "{name:<14} {:>4} vectors  {:>4} pass  {:>3} fail   {}",
            file.vectors.len(),
            file.vectors.len() - file_failed,
            file_failed,
            file.title
        );
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
