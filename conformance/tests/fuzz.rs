//! `conformance fuzz`, end to end through the command line (the CI smoke run): against the
//! reference it finds no difference and no disagreement of the suite with itself; against
//! deliberately broken agents (mutants) it finds, shrinks and writes a difference on the
//! requirement the mutant breaks, from a cold start.

use std::path::Path;
use std::process::Command;

use muxado_conformance::mutant::Mutant;
use muxado_vectors::session_model::SessionFile;
use muxado_vectors::session_run::{Offline, run_script};

fn conformance() -> Command {
    Command::new(env!("CARGO_BIN_EXE_conformance"))
}

fn out_dir(name: &str) -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The reference against itself over sockets: every derived vector passes, none is flaky.
// checks: tooling
#[test]
fn the_reference_shows_no_difference() {
    let out = out_dir("fuzz-reference");
    let run = conformance()
        .args(["fuzz", "--time", "60s", "--seed", "11", "-j", "4", "--out"])
        .arg(&out)
        .output()
        .expect("conformance fuzz runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("0 distinct differences"), "{stdout}");
    assert!(stdout.contains("0 disagreements"), "{stdout}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let runs = summary["runs"].as_u64().unwrap();
    assert!(runs >= 30, "only {runs} scripts in 60 s");
    assert_eq!(summary["passed"].as_u64(), Some(runs), "{summary}");
}

/// A mutant is found from a cold start and its difference shrunk to a vector that passes
/// against the reference offline and names the mutant's requirement.
fn finds(mutant: &str) {
    let m = Mutant::ALL
        .iter()
        .find(|m| m.name() == mutant)
        .expect("a known mutant");
    let out = out_dir(&format!("fuzz-{mutant}"));
    let agent = format!(
        "MUXADO_MUTANT={mutant} exec {} agent",
        env!("CARGO_BIN_EXE_conformance")
    );
    let run = conformance()
        .args([
            "fuzz", "--exec", &agent, "--time", "60s", "--seed", "5", "--first",
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .expect("conformance fuzz runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("NEW DIFFERENCE"), "{stdout}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let differences = summary["differences"].as_array().unwrap();
    let difference = differences
        .iter()
        .find(|d| {
            m.requirements()
                .contains(&d["requirement"].as_str().unwrap())
        })
        .unwrap_or_else(|| {
            panic!(
                "{mutant} breaks {:?}, no difference names one: {stdout}",
                m.requirements()
            )
        });
    let (before, after) = (
        difference["inputs"][0].as_u64().unwrap(),
        difference["inputs"][1].as_u64().unwrap(),
    );
    assert!(after <= before, "{difference}");
    let id = difference["vector_id"].as_str().unwrap();
    let file = SessionFile::load(&out.join(format!("{id}.json"))).expect("the vector loads");
    let vector = &file.vectors[0];
    let mut reference = Offline::new(vector);
    if let Err(f) = run_script(vector, &mut reference) {
        panic!(
            "the shrunk vector fails the reference:{}",
            f.describe(vector)
        );
    }
}

// checks: tooling
#[test]
fn a_lost_fin_is_found() {
    finds("ignore-fin");
}

// checks: tooling
#[test]
fn a_missing_stream_closed_rst_is_found() {
    finds("no-stream-closed-rst");
}
