//! The suite against the reference implementation (embedded and as an agent process), and
//! against agents that misbehave, to show each outcome is reached when it should be.

use std::collections::BTreeSet;
use std::time::Duration;

use muxado_conformance::agent::Waits;
use muxado_conformance::run::{CaseResult, Options, Outcome, Target, run_all};
use muxado_conformance::suite::{self, Case};

fn options(target: Target) -> Options {
    Options {
        target,
        timeout: Duration::from_secs(20),
        chop: None,
        jobs: 4,
        strict: true,
        expected: BTreeSet::new(),
        waits: Waits {
            frames: Duration::from_secs(2),
            quiet: Duration::from_millis(60),
        },
    }
}

fn agent_command(prefix: &str) -> String {
    format!("{prefix}{} agent", env!("CARGO_BIN_EXE_conformance"))
}

fn selected(all: &[Case], glob: &str) -> Vec<usize> {
    let pattern = [glob::Pattern::new(glob).unwrap()];
    (0..all.len())
        .filter(|i| suite::matches(&all[*i], &pattern))
        .collect()
}

fn run(all: &[Case], indices: &[usize], options: &Options) -> Vec<CaseResult> {
    let cases: Vec<&Case> = indices.iter().map(|i| &all[*i]).collect();
    run_all(&cases, options, &|_| {})
}

/// An agent (a few lines of Python) that connects as the contract says and answers every
/// command with the JSON line `answer`.
fn answering_agent(answer: &str) -> String {
    assert!(
        !answer.contains('\''),
        "the answer goes between single quotes"
    );
    format!(
        "ANSWER='{answer}' exec python3 -c 'import os, socket\n\
         t = socket.create_connection(os.environ[\"MUXADO_ADDR\"].rsplit(\":\", 1))\n\
         c = socket.create_connection(os.environ[\"MUXADO_CONTROL\"].rsplit(\":\", 1))\n\
         for line in c.makefile():\n    c.sendall(os.environ[\"ANSWER\"].encode() + b\"\\n\")'"
    )
}

fn summary(results: &[CaseResult]) -> String {
    results
        .iter()
        .filter(|r| r.outcome != Outcome::Pass)
        .map(|r| format!("{} {}: {}", r.outcome.name(), r.id, r.detail))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every case passes against the reference, its agent in this process: the suite and the
/// vectors agree with the reference over real sockets, as they do offline.
///
/// checks: [AGENT-3] [AGENT-4] [AGENT-5] [AGENT-6]
#[test]
fn the_embedded_reference_passes_every_case() {
    let all = suite::cases();
    assert!(all.len() >= 80, "at least 80 cases, got {}", all.len());
    let ids: BTreeSet<&str> = all.iter().map(|c| c.id()).collect();
    assert_eq!(ids.len(), all.len(), "case ids are unique");
    let indices: Vec<usize> = (0..all.len()).collect();
    let results = run(&all, &indices, &options(Target::Reference));
    let bad: Vec<&CaseResult> = results
        .iter()
        .filter(|r| r.outcome != Outcome::Pass)
        .collect();
    assert!(bad.is_empty(), "{}", summary(&results));
}

/// The reference as an agent process (`conformance agent`), with every byte the suite sends
/// in its own TCP write: the framing and stream cases pass.
///
/// checks: [AGENT-1] [AGENT-2] [FRAME-6]
#[test]
fn the_reference_agent_process_passes_with_one_byte_writes() {
    let all = suite::cases();
    let mut indices = selected(&all, "framing");
    indices.extend(selected(&all, "streams"));
    assert!(indices.len() > 20);
    let mut options = options(Target::Exec(agent_command("")));
    options.chop = Some(1);
    let results = run(&all, &indices, &options);
    assert!(
        results.iter().all(|r| r.outcome == Outcome::Pass),
        "{}",
        summary(&results)
    );
}

/// An IUT whose window is not the one the case configures fails the flow-control cases, with
/// the step and both sides' frames in the report, and the failure counts.
///
/// checks: [FLOW-3] [FLOW-4] [AGENT-6]
#[test]
fn an_iut_with_another_window_fails_the_flow_cases() {
    let all = suite::cases();
    let indices = selected(&all, "session-flow-write-limited-by-window");
    assert_eq!(indices.len(), 1);
    let wrong = agent_command("MUXADO_CONFIG='{\"max_window_size\": 4}' ");
    let results = run(&all, &indices, &options(Target::Exec(wrong)));
    let r = &results[0];
    assert_eq!(r.outcome, Outcome::Fail, "{}", r.detail);
    assert!(r.counts);
    assert!(r.detail.contains("step 2 (write)"), "{}", r.detail);
    assert!(
        r.detail
            .contains("expected 5 bytes written, got 4 bytes written"),
        "{}",
        r.detail
    );
    assert!(!r.transcript.is_empty());
}

/// Exit code 127 before connecting is `unsupported`, and does not count; another exit is an
/// `error`, which does; an agent that never connects is a `timeout` at the case deadline.
///
/// checks: [AGENT-1] [AGENT-6]
#[test]
fn agent_exits_and_silence_map_to_their_outcomes() {
    let all = suite::cases();
    let indices = selected(&all, "session-flow-write-limited-by-window");
    let outcome = |command: &str, timeout: u64| {
        let mut options = options(Target::Exec(command.into()));
        options.timeout = Duration::from_secs(timeout);
        run(&all, &indices, &options).remove(0)
    };
    let r = outcome("exit 127", 10);
    assert_eq!((r.outcome, r.counts), (Outcome::Unsupported, false));
    let r = outcome("echo broken >&2; exit 3", 10);
    assert_eq!((r.outcome, r.counts), (Outcome::Error, true));
    assert!(r.detail.contains("exited"), "{}", r.detail);
    let r = outcome("sleep 5", 1);
    assert_eq!((r.outcome, r.counts), (Outcome::Timeout, true));
}

/// `--expect`: a listed case that fails is an expected failure (not counted); a listed case
/// that passes is an unexpected pass (counted). SHOULD-level failures count only when strict.
///
/// checks: [AGENT-6]
#[test]
fn expectations_and_levels_decide_what_counts() {
    let all = suite::cases();
    let failing = selected(&all, "session-flow-write-limited-by-window");
    let passing = selected(&all, "session-flow-wndinc-resumes-sender");
    assert_eq!(passing.len(), 1, "the passing case exists");
    let wrong = agent_command("MUXADO_CONFIG='{\"max_window_size\": 4}' ");
    let mut options = options(Target::Exec(wrong));
    options.expected = [all[failing[0]].id().to_string()].into();
    let r = run(&all, &failing, &options).remove(0);
    assert_eq!((r.outcome, r.counts), (Outcome::ExpectedFailure, false));

    let mut options = self::options(Target::Reference);
    options.expected = [all[passing[0]].id().to_string()].into();
    let r = run(&all, &passing, &options).remove(0);
    assert_eq!((r.outcome, r.counts), (Outcome::UnexpectedPass, true));

    // A MUST-level case with one check that pins a SHOULD ([STREAM-11]'s 5 s linger): an
    // implementation that answers late frames at once fails only that check, which counts
    // only with --strict, and the MUST checks after it still ran.
    let should = selected(&all, "session-reset-late-frames-within-linger-ignored");
    assert_eq!(
        all[should[0]].level,
        suite::Level::Must,
        "it has MUST checks"
    );
    let no_linger = agent_command("MUXADO_VARIANT=reset-linger=0 ");
    for strict in [false, true] {
        let mut options = self::options(Target::Exec(no_linger.clone()));
        options.strict = strict;
        let r = run(&all, &should, &options).remove(0);
        assert_eq!(
            (r.outcome, r.level, r.counts),
            (Outcome::Fail, suite::Level::Should, strict),
            "{}",
            r.detail
        );
        assert!(
            r.detail.contains("every MUST-level check held"),
            "{}",
            r.detail
        );
    }
}

/// A standing agent, reached by the suite per case (`--target`) and reaching the suite per
/// case (`--listen`): the same cases pass both ways, and the JUnit report lists them.
///
/// checks: [AGENT-7] [AGENT-3]
#[test]
fn standing_agents_both_ways() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    use std::sync::{Arc, Mutex};
    let all = suite::cases();
    let indices = selected(&all, "goaway");
    assert!(indices.len() > 10);

    let mut server = Command::new(env!("CARGO_BIN_EXE_conformance"))
        .args(["agent", "--serve", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("LISTENING ")
        .unwrap()
        .parse()
        .unwrap();
    let results = run(&all, &indices, &options(Target::Standing(addr)));
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        results.iter().all(|r| r.outcome == Outcome::Pass),
        "{}",
        summary(&results)
    );
    let cases: Vec<&Case> = indices.iter().map(|i| &all[*i]).collect();
    let xml = muxado_conformance::report::junit(&cases, &results);
    assert!(xml.contains("<testsuite name=\"goaway\""), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), indices.len());
    assert!(!xml.contains("<failure"));
    assert!(
        xml.contains("<property name=\"requirement\" value=\"GOAWAY-5\"/>"),
        "requirement ids are testcase properties: {xml}"
    );

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut client = Command::new(env!("CARGO_BIN_EXE_conformance"))
        .args(["agent", "--connect", &addr.to_string(), "--parallel", "4"])
        .spawn()
        .unwrap();
    let results = run(
        &all,
        &indices,
        &options(Target::Listen(Arc::new(Mutex::new(listener)))),
    );
    let _ = client.kill();
    let _ = client.wait();
    assert!(
        results.iter().all(|r| r.outcome == Outcome::Pass),
        "{}",
        summary(&results)
    );
}

/// The README's worked example, an agent on the reference's public tokio API (whose calls
/// wait, like most implementations'), passes every case: the contract can be met from an
/// ordinary API with short grace periods.
///
/// checks: [AGENT-1] [AGENT-2] [AGENT-3] [AGENT-5]
#[test]
fn the_worked_example_agent_passes_every_case() {
    // `cargo test` builds the examples next to the test binaries' directory.
    let exe = std::env::current_exe().unwrap();
    let example = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("examples/minimal_agent");
    assert!(example.exists(), "{} is built", example.display());
    let all = suite::cases();
    let indices: Vec<usize> = (0..all.len()).collect();
    let command = format!("exec {}", example.display());
    let results = run(&all, &indices, &options(Target::Exec(command)));
    assert!(
        results.iter().all(|r| r.outcome == Outcome::Pass),
        "{}",
        summary(&results)
    );
}

/// The compliance probe: a random case name; a command-driven agent plays it, an agent that
/// knows its cases refuses it with 127, and an agent that cannot be started stops the run.
///
/// checks: [AGENT-1] [AGENT-3]
#[test]
fn the_compliance_probe_tells_agents_apart() {
    let probe = |command: String| muxado_conformance::run::probe(&options(Target::Exec(command)));
    assert_eq!(
        probe(agent_command("exec ")),
        Ok("plays any case it is given")
    );
    assert_eq!(
        probe("exit 127".into()),
        Ok("refuses cases it does not know (exit 127)")
    );
    let err = probe("exit 3".into()).unwrap_err();
    assert!(err.contains("compliance probe"), "{err}");
}

/// The command line fails closed: an agent that plays nothing (exit 127 for every case) does
/// not make a green run, and an agent that cannot start stops the run at the probe with its
/// exit status and standard error ([AGENT-8]).
///
/// checks: [AGENT-1] [AGENT-8]
#[test]
fn the_command_line_fails_closed() {
    let run = |exec: &str, extra: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_conformance"))
            .args(["run", "--case", "session-flow-*", "--exec", exec])
            .args(extra)
            .output()
            .expect("conformance runs");
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code(), text)
    };
    let (code, text) = run("exit 127", &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("no case passed"), "{text}");
    assert!(text.contains("were unsupported"), "{text}");
    let (code, text) = run("exit 127", &["--max-unsupported", "100"]);
    assert_eq!(
        code,
        Some(1),
        "nothing passed, whatever the threshold: {text}"
    );

    let (code, text) = run("echo 'no such implementation' >&2; exit 3", &[]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("compliance probe"), "{text}");
    assert!(text.contains("exit status: 3"), "{text}");
    assert!(text.contains("no such implementation"), "{text}");

    let agent = agent_command("exec ");
    let (code, text) = run(&agent, &[]);
    assert_eq!(code, Some(0), "{text}");
    let flow = selected(&suite::cases(), "session-flow-*").len();
    assert!(
        text.contains(&format!("{flow} cases: {flow} pass | counted: 0 fail MUST")),
        "{text}"
    );
}

/// The JSON report follows `conformance/report.schema.json` (checked with Python's
/// `jsonschema`, which `ci/test` installs), carries the run's facts and each case's command
/// log, and stays small when a failing case moved a megabyte: large chunks are elided.
///
/// checks: [AGENT-6]
#[test]
fn the_json_report_follows_its_schema_and_elides_large_payloads() {
    let dir = std::env::temp_dir().join(format!("muxado-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("report.json");
    let html = dir.join("html");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_conformance"))
        .args([
            "run",
            "--case",
            "session-limit-goaway-debug-over-1mib",
            "--name",
            "mutant",
        ])
        .arg("--case")
        .arg("session-flow-credit-at-half-window")
        .arg("--report")
        .arg(format!("json={}", json.display()))
        .arg("--report")
        .arg(format!("html={}", html.display()))
        .arg("--exec")
        .arg(agent_command("MUXADO_MUTANT=debug-limit-ignored exec "))
        .output()
        .expect("conformance runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "one case fails: {stdout}");
    assert!(
        stdout.len() < 64 * 1024,
        "the terminal report is {} bytes",
        stdout.len()
    );
    let text = std::fs::read_to_string(&json).unwrap();
    assert!(
        text.len() < 64 * 1024,
        "the JSON report is {} bytes",
        text.len()
    );
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["implementation"], "mutant");
    assert_eq!(report["totals"]["total"], 2);
    assert_eq!(report["totals"]["fail_must"], 1);
    assert_eq!(report["totals"]["pass"], 1);
    let failing = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["outcome"] == "fail")
        .expect("a failing case");
    assert!(
        failing["transcript"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["elided"] == true && c["len"].as_u64() > Some(1 << 20)),
        "the 1 MiB GOAWAY is elided: {failing}"
    );
    assert!(
        failing["log"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["command"].as_str().unwrap().contains("\"session\"")),
        "the command log is kept: {failing}"
    );
    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/report.schema.json");
    let check = std::process::Command::new("python3")
        .args([
            "-c",
            "import json, sys, jsonschema\n\
             schema = json.load(open(sys.argv[1]))\n\
             jsonschema.Draft202012Validator.check_schema(schema)\n\
             jsonschema.validate(json.load(open(sys.argv[2])), schema)",
        ])
        .arg(schema)
        .arg(&json)
        .output()
        .expect("python3 runs");
    assert!(
        check.status.success(),
        "the report does not follow its schema: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let index = std::fs::read_to_string(html.join("index.html")).unwrap();
    let fail_at = index.find("session-limit-goaway-debug-over-1mib").unwrap();
    let pass_at = index.find("session-flow-credit-at-half-window").unwrap();
    assert!(fail_at < pass_at, "failures come first in the index");
    assert!(
        index.contains("counted: 1 fail MUST"),
        "the totals head the index"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// An answer the contract does not give is an `error` that says how the agent broke the
/// contract, never a pass or a fail: here an agent (a few lines of Python) that answers every
/// command with `{"ok": {"weird": 1}}`.
///
/// checks: [AGENT-4] [AGENT-6]
#[test]
fn an_answer_outside_the_contract_is_an_error() {
    let agent = answering_agent(r#"{"ok": {"weird": 1}}"#);
    let all = suite::cases();
    let indices = selected(&all, "session-client-stream-ids");
    let r = run(&all, &indices, &options(Target::Exec(agent))).remove(0);
    assert_eq!(
        (r.outcome, r.counts),
        (Outcome::Error, true),
        "{}",
        r.detail
    );
    assert!(r.detail.contains("broke the contract"), "{}", r.detail);
    assert!(r.detail.contains("weird"), "{}", r.detail);
}

/// A `remote` answer without `last_stream_id` (the contract lets an agent leave it out: Go
/// does not report it) is judged, not a panic of the suite: here an agent that answers every
/// command with an ended session and a GOAWAY received without its last stream id, as Go's
/// agent answers.
///
/// checks: [AGENT-4]
#[test]
fn a_remote_without_its_last_stream_id_is_judged() {
    let agent = answering_agent(
        r#"{"ok": {"ended": {"code": 0}, "remote": {"error_code": 0, "debug": ""}}}"#,
    );
    let vector = serde_json::from_value(serde_json::json!({
        "id": "remote-without-last-id",
        "description": "the session ended by a GOAWAY NO_ERROR",
        "requirements": ["GOAWAY-9"],
        "role": "client",
        "steps": [{"expect_session": {"ended": true, "remote": {"error_code": 0}}}],
    }))
    .unwrap();
    let case = Case {
        group: "test",
        level: suite::Level::Must,
        vector,
    };
    let r = run_all(&[&case], &options(Target::Exec(agent)), &|_| {}).remove(0);
    assert_eq!(r.outcome, Outcome::Pass, "{}", r.detail);
}
