//! The driver end to end with the peers it plays itself (the reference and plain TCP): a smoke
//! run passes and writes its files, and `report` writes the same report again from them; so does
//! a small scaling run.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_muxado-bench");

/// `muxado-bench run ARGS` with the peers it plays itself (no peer binaries) into a fresh
/// temporary directory named after `stem`, which must succeed: the directory and the stdout.
fn run_into(stem: &str, args: &[&str]) -> (PathBuf, String) {
    let out = std::env::temp_dir().join(format!("{stem}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let run = Command::new(BIN)
        .arg("run")
        .args(args)
        .args(["--bin-dir", "/nonexistent", "--out"])
        .arg(&out)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    (out, stdout)
}

/// `muxado-bench report` of `out/results` writes `markdown` again, equal to `md`: the report
/// is a function of the raw results.
fn assert_report_again(out: &Path, results: &str, markdown: &str, md: &str) {
    let again = out.join("again");
    let report = Command::new(BIN)
        .args(["report"])
        .arg(out.join(results))
        .arg("--out")
        .arg(&again)
        .output()
        .expect("runs");
    assert!(report.status.success());
    assert_eq!(
        std::fs::read_to_string(again.join(markdown)).unwrap(),
        md,
        "the report is a function of {results}"
    );
}

/// checks: tooling (the benchmark driver, not the protocol)
#[test]
fn a_smoke_run_of_the_reference_and_tcp_writes_the_report() {
    let (out, stdout) = run_into("muxado-bench-test", &["--mode", "smoke", "--impl", "tcp"]);
    assert!(stdout.contains("| bulk-1MiB-x4 |"), "{stdout}");
    for file in [
        "results.json",
        "RESULTS.md",
        "throughput.svg",
        "scaling.svg",
    ] {
        assert!(out.join(file).exists(), "{file} written");
    }
    let md = std::fs::read_to_string(out.join("RESULTS.md")).unwrap();
    assert!(md.contains("## Ratios to the reference"));
    assert!(md.contains("| tcp |"));
    // The new workloads ran and their figures are in the report: the burst refused nothing
    // (128 streams, the default backlog of 128), the floor was measured.
    assert!(
        stdout.contains("| burst-open-128-refused | ↓ | 0.00 streams |"),
        "{stdout}"
    );
    assert!(
        md.contains("## Latency against the plain-TCP floor"),
        "{md}"
    );
    assert!(md.contains("### `sessions-idle-50-mem`"), "{md}");

    assert_report_again(&out, "results.json", "RESULTS.md", &md);
    let _ = std::fs::remove_dir_all(&out);
}

/// checks: tooling (the benchmark driver, not the protocol)
#[test]
fn a_smoke_run_refuses_to_skip_a_missing_peer() {
    let run = Command::new(BIN)
        .args([
            "run",
            "--mode",
            "smoke",
            "--impl",
            "yamux",
            "--bin-dir",
            "/nonexistent",
        ])
        .output()
        .expect("runs");
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("not found"));
}

/// checks: tooling (the benchmark driver, not the protocol)
#[test]
fn a_scaling_run_writes_its_own_report_beside_the_full_runs() {
    let (out, _) = run_into(
        "muxado-bench-scaling",
        &[
            "--mode",
            "scaling",
            "--reps",
            "1",
            "--case",
            "memory-10",
            "--case",
            "sessions-idle-10",
            "--impl",
            "tcp",
        ],
    );
    for file in [
        "results-scaling.json",
        "SCALING.md",
        "scaling-memory-streams.svg",
        "scaling-memory-sessions.svg",
    ] {
        assert!(out.join(file).exists(), "{file} written");
    }
    for file in ["results.json", "RESULTS.md", "scaling-throughput.svg"] {
        assert!(!out.join(file).exists(), "{file} not written");
    }
    let md = std::fs::read_to_string(out.join("SCALING.md")).unwrap();
    assert!(md.contains("## Memory against idle sessions"), "{md}");
    assert!(md.contains("| reference |"), "{md}");

    assert_report_again(&out, "results-scaling.json", "SCALING.md", &md);
    let _ = std::fs::remove_dir_all(&out);
}

/// `muxado-bench compare`: the committed full run against itself changes nothing; against a
/// copy whose reference moved a tenth of the bytes in every `bulk-32MiB-x1` run, that figure is
/// worse beyond the spread and the command fails.
///
/// checks: tooling (the benchmark driver, not the protocol)
#[test]
fn compare_fails_only_on_a_figure_worse_beyond_the_spread() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("results.json");
    let compare = |after: &Path| {
        Command::new(BIN)
            .arg("compare")
            .arg(&committed)
            .arg(after)
            .output()
            .expect("runs")
    };
    let same = compare(&committed);
    let stdout = String::from_utf8_lossy(&same.stdout);
    assert!(same.status.success(), "{stdout}");
    assert!(stdout.contains(" 0 worse beyond the spread"), "{stdout}");

    let mut results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&committed).unwrap()).unwrap();
    let case = results["cases"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["case"]["id"] == "bulk-32MiB-x1")
        .expect("the full run has bulk-32MiB-x1");
    for run in case["runs"]["reference"].as_array_mut().unwrap() {
        let bytes = run["result"]["bytes"].as_f64().unwrap();
        run["result"]["bytes"] = serde_json::json!(bytes / 10.0);
    }
    let slower =
        std::env::temp_dir().join(format!("muxado-bench-slower-{}.json", std::process::id()));
    std::fs::write(&slower, results.to_string()).unwrap();
    let worse = compare(&slower);
    let _ = std::fs::remove_file(&slower);
    let stdout = String::from_utf8_lossy(&worse.stdout);
    assert_eq!(worse.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("1 worse beyond the spread (bulk-32MiB-x1)"),
        "{stdout}"
    );
}
