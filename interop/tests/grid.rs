//! The matrix's own machinery, without foreign implementations: a peer added on the command
//! line shows up in the grids and reports, and a deliberately broken peer fails its cells,
//! each carrying the frame log of its run and the SPEC requirements it breaks.

use std::path::{Path, PathBuf};
use std::process::Command;

use muxado_interop::grid::{self, Spec};
use muxado_interop::matrix::{self, Pairs, Verdict};
use muxado_interop::registry;

mod common;
use common::{reference_peer, root};

fn interop() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_muxado-interop"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("muxado-interop-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `matrix --peer-cmd mine='...'` (here the reference's own peer program under another name,
/// as a peer written elsewhere would be) puts `mine` in the grids, both ways against the
/// reference, and in the JSON report's cells and summary (which follows
/// `interop/matrix-report.schema.json`, checked with Python's `jsonschema`, which `ci/test`
/// installs); `--pairs all` adds `mine` against itself. No registered foreign peer takes part
/// (`--peer` matches none).
///
/// checks: tooling
#[test]
fn a_peer_given_on_the_command_line_shows_up_in_the_grid() {
    let dir = scratch("peer-cmd");
    let json_path = dir.join("report.json");
    let html_dir = dir.join("html");
    let output = Command::new(interop())
        .current_dir(root())
        .args(["matrix", "--bin-dir"])
        .arg(&dir)
        .args([
            "--peer",
            "none-such",
            "--scenario",
            "echo",
            "--scenario",
            "typed",
        ])
        .args(["--pairs", "all", "-j", "2"])
        .arg(format!("--peer-cmd=mine=exec {} peer", interop().display()))
        .arg(format!("--report=json={}", json_path.display()))
        .arg(format!("--report=html={}", html_dir.display()))
        .arg("--results")
        .arg(dir.join("results"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("| client ↓ server → | reference | mine |"),
        "{stdout}"
    );
    assert!(
        stdout.contains("| **mine** | 2 pass | 2 pass |"),
        "{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(report["schema"], "muxado-interop-matrix");
    let cells = report["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 8, "2 scenarios × 4 pairs");
    for (client, server) in [
        ("reference", "mine"),
        ("mine", "reference"),
        ("mine", "mine"),
        ("reference", "reference"),
    ] {
        let pair: Vec<&serde_json::Value> = cells
            .iter()
            .filter(|c| c["client"] == client && c["server"] == server)
            .collect();
        assert_eq!(pair.len(), 2, "{client} → {server}");
        assert!(pair.iter().all(|c| c["verdict"] == "pass"), "{pair:?}");
    }
    let summary = report["summary"].as_array().unwrap();
    assert!(
        summary
            .iter()
            .any(|s| s["client"] == "mine" && s["server"] == "reference" && s["pass"] == 2)
    );
    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/matrix-report.schema.json");
    let check = Command::new("python3")
        .args([
            "-c",
            "import json, sys, jsonschema\n\
             schema = json.load(open(sys.argv[1]))\n\
             jsonschema.Draft202012Validator.check_schema(schema)\n\
             jsonschema.validate(json.load(open(sys.argv[2])), schema)",
        ])
        .arg(schema)
        .arg(&json_path)
        .output()
        .expect("python3 runs");
    assert!(
        check.status.success(),
        "the report does not follow its schema: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let html = std::fs::read_to_string(html_dir.join("index.html")).unwrap();
    assert!(html.contains("<th>mine</th>"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A peer that sends a malformed frame (a WNDINC of Length 3, `tests/peers/broken.py`) and
/// claims success fails every cell it plays, both ways: the reference side fails, the cell
/// cites the requirements its scenario checks, and it carries the frame log recorded by the
/// proxy, where the bad frame shows, also written to the results directory.
///
/// checks: tooling
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_peer_fails_its_cells_with_the_frame_log() {
    let script = root().join("interop/tests/peers/broken.py");
    let broken = registry::peer_cmd(&format!("broken=exec python3 {}", script.display())).unwrap();
    let peers = vec![reference_peer(), broken];
    let pairs = matrix::pairs_of(&peers, &Pairs::Reference);
    let results = scratch("broken");
    let options = matrix::Options {
        jobs: 2,
        results: Some(results.clone()),
        ..matrix::Options::default()
    };
    let scenarios = ["echo", "half-close"];
    let cells = matrix::run_matrix(&peers, &pairs, &scenarios, &options, |_| {}).await;
    assert_eq!(cells.len(), 4);
    for cell in &cells {
        let what = format!("{} {} → {}", cell.scenario, cell.client, cell.server);
        assert!(
            matches!(cell.verdict, Verdict::Fail(_)),
            "{what}: {:?}",
            cell.verdict
        );
        assert!(!cell.verdict.is_good());
        assert_eq!(
            cell.breaks,
            muxado_interop::scenario::requirements(cell.scenario),
            "{what}"
        );
        let log = cell
            .frame_log
            .as_deref()
            .unwrap_or_else(|| panic!("{what}: no frame log"));
        assert!(log.contains("VIOLATION"), "{what}: {log}");
        let file = cell
            .log_file
            .as_ref()
            .unwrap_or_else(|| panic!("{what}: no log file"));
        let written = std::fs::read_to_string(file).unwrap();
        assert!(
            written.contains("VIOLATION") && written.contains("FAIL"),
            "{written}"
        );
    }
    let report = grid::Report {
        peers: &peers,
        cells: &cells,
        pairs: Pairs::Reference,
        jobs: 2,
        elapsed: std::time::Duration::ZERO,
    };
    let spec = Spec::load(&root().join("SPEC.md"));
    let text = grid::text(&report, &spec);
    assert!(text.contains("| **broken** | 2 FAIL | · |"), "{text}");
    assert!(text.contains("frame log: "), "{text}");
    let json = grid::json(&report, &spec);
    assert!(json["cells"][0]["frame_log"].is_string(), "{json}");
    assert_eq!(json["cells"][0]["breaks"][0]["id"], "STREAM-4");
    let html = grid::html(&report, &spec, &results).unwrap();
    let html = std::fs::read_to_string(html).unwrap();
    assert!(
        html.contains("href=\"logs/echo.reference.broken.log\""),
        "{html}"
    );
    // STREAM-4, which `echo` checks, is defined in SPEC.md section 6.1.
    assert!(html.contains("SPEC.md#61-opening\""), "{html}");
    let _ = std::fs::remove_dir_all(&results);
}
