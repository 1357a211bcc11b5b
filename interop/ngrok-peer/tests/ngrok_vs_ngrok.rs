//! Every scenario of interop/SCENARIOS.md with ngrok-peer on both sides: the server side is
//! started with `--listen 127.0.0.1:0`, its `LISTENING` line read, then the client side dials
//! it. Each test asserts both `RESULT` lines: ok on both sides, or, where muxado 0.5.4 cannot
//! play a side, exactly the outcome this program documents for it (README.md).
//!
//! The pairs run one at a time (the scenarios measure timings: heartbeats, 1 s read timeouts).

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Mutex;
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::Value;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Longer than a peer's own 30 s budget: a peer that overruns is a failure, not a hang.
const PAIR_DEADLINE: Duration = Duration::from_secs(45);

/// One side's exit code and RESULT object.
#[derive(Debug)]
struct Side {
    code: i32,
    ok: bool,
    detail: String,
    observed: Value,
}

fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ngrok-peer"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start ngrok-peer")
}

fn wait_bounded(child: &mut Child, until: Instant, name: &str, other: &mut Child) -> i32 {
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status.code().unwrap_or(-1);
        }
        if Instant::now() >= until {
            let _ = child.kill();
            let _ = other.kill();
            let _ = child.wait();
            let _ = other.wait();
            panic!("{name} did not exit within {PAIR_DEADLINE:?}");
        }
        sleep(Duration::from_millis(10));
    }
}

fn result_of(code: i32, out: &mut impl Read, name: &str) -> Side {
    let mut text = String::new();
    out.read_to_string(&mut text).expect("read stdout");
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("{name} printed no RESULT line; stdout: {text:?}"));
    let json: Value = serde_json::from_str(line).expect("RESULT is JSON");
    let side = Side {
        code,
        ok: json["ok"].as_bool().expect("ok is a bool"),
        detail: json["detail"].as_str().expect("detail is a string").into(),
        observed: json["observed"].clone(),
    };
    assert!(side.observed.is_object(), "{name}: observed is an object");
    let want_code = if side.ok { 0 } else { code.max(1) };
    assert_eq!(code, want_code, "{name}: exit code against ok: {side:?}");
    side
}

/// Runs `scenario`: returns (server, client).
fn pair(scenario: &str, server_args: &[&str], client_args: &[&str]) -> (Side, Side) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let until = Instant::now() + PAIR_DEADLINE;
    let mut args = vec![
        "--role",
        "server",
        "--listen",
        "127.0.0.1:0",
        "--scenario",
        scenario,
    ];
    args.extend_from_slice(server_args);
    let mut server = spawn(&args);
    let mut server_out: BufReader<ChildStdout> =
        BufReader::new(server.stdout.take().expect("server stdout"));
    let mut line = String::new();
    server_out.read_line(&mut line).expect("read LISTENING");
    let addr = line
        .trim_end()
        .strip_prefix("LISTENING ")
        .unwrap_or_else(|| panic!("server's first line is not LISTENING: {line:?}"))
        .to_string();
    assert!(addr.starts_with("127.0.0.1:"), "listening address {addr}");
    let mut args = vec!["--role", "client", "--dial", &addr, "--scenario", scenario];
    args.extend_from_slice(client_args);
    let mut client = spawn(&args);
    let client_code = wait_bounded(&mut client, until, "client", &mut server);
    let server_code = wait_bounded(&mut server, until, "server", &mut client);
    let client_side = result_of(
        client_code,
        &mut client.stdout.take().expect("client stdout"),
        "client",
    );
    let server_side = result_of(server_code, &mut server_out, "server");
    (server_side, client_side)
}

fn assert_both_ok(scenario: &str, server_args: &[&str], client_args: &[&str]) -> (Side, Side) {
    let (server, client) = pair(scenario, server_args, client_args);
    assert!(
        server.ok && client.ok,
        "{scenario}: server {server:?}, client {client:?}"
    );
    (server, client)
}

// checks: [STREAM-1] [STREAM-4] [STREAM-6] [ID-8]
#[test]
fn echo() {
    let (server, client) = assert_both_ok("echo", &["--backlog", "256"], &[]);
    assert_eq!(client.observed["streams"], 256);
    assert_eq!(server.observed["streams"], 256);
}

// checks: [FLOW-3] [FLOW-5] [FLOW-6]
#[test]
fn bulk() {
    let (server, client) = assert_both_ok("bulk", &[], &[]);
    assert_eq!(client.observed["bytes"], 64 * 1024 * 1024);
    assert_eq!(server.observed["bytes"], 64 * 1024 * 1024);
}

// checks: [STREAM-6] [STREAM-2]
#[test]
fn half_close() {
    assert_both_ok("half-close", &[], &[]);
}

// checks: [ID-1] [ID-2] [STREAM-4]
#[test]
fn server_opens() {
    let (_, client) = assert_both_ok("server-opens", &[], &[]);
    assert_eq!(client.observed["ids"], serde_json::json!([2, 4, 6]));
}

// checks: [STREAM-11] [RST-4]
#[test]
fn reset() {
    // The crate has no API to reset a stream: the server side is unsupported and closes the
    // connection, so the client sees its writes end without code 7.
    let (server, client) = pair("reset", &[], &[]);
    assert_eq!(server.code, 3, "server: {server:?}");
    assert!(server.detail.contains("no API to reset"), "{server:?}");
    assert_eq!(client.code, 1, "client: {client:?}");
    assert!(!client.detail.starts_with("timeout"), "{client:?}");
}

// checks: [STREAM-9] [STREAM-8] [RST-4]
#[test]
fn close_late_data() {
    let (_, client) = assert_both_ok("close-late-data", &[], &[]);
    assert_eq!(client.observed["code"], 4);
}

/// The GOAWAY scenarios: the sender's side plays fully; the receiving side sees code 10 but
/// cannot read the debug text from the crate, so it reports unsupported.
fn goaway(scenario: &str, sender_is_server: bool) {
    let (server, client) = pair(scenario, &[], &[]);
    let (sender, receiver) = if sender_is_server {
        (server, client)
    } else {
        (client, server)
    };
    assert!(sender.ok, "sender: {sender:?}");
    assert_eq!(sender.observed["sent_code"], 10);
    assert_eq!(sender.observed["wire_code"], 10);
    // muxado 0.5.4 writes the GOAWAY's Length as the debug length alone (21), leaving out
    // the 8 fixed body bytes it writes before the debug text (29 bytes in all).
    assert_eq!(sender.observed["wire_length"], 21, "sender: {sender:?}");
    assert_eq!(sender.observed["wire_body_bytes"], 29, "sender: {sender:?}");
    assert_eq!(receiver.code, 3, "receiver: {receiver:?}");
    assert_eq!(
        receiver.observed["remote_code"], 10,
        "receiver: {receiver:?}"
    );
    assert_eq!(receiver.observed["remote_debug"], Value::Null);
}

// checks: [GOAWAY-9] [SESSION-1]
#[test]
fn goaway_from_server() {
    goaway("goaway-from-server", true);
}

// checks: [GOAWAY-9] [SESSION-1]
#[test]
fn goaway_from_client() {
    goaway("goaway-from-client", false);
}

// checks: [STREAM-5] [LIMIT-3] [INTEROP-5]
#[test]
fn backlog() {
    // The crate never refuses a stream: its full accept queue stalls the session's reader
    // instead. The server side says so (unsupported); the client then sees no refusal.
    let (server, client) = pair("backlog", &["--backlog", "4"], &[]);
    assert_eq!(server.code, 3, "server: {server:?}");
    assert_eq!(server.observed["accepted"], 8, "server: {server:?}");
    assert_eq!(client.code, 1, "client: {client:?}");
    assert_eq!(client.observed["refused"], 0, "client: {client:?}");
    assert_eq!(client.observed["accepted"], 8, "client: {client:?}");
}

// checks: [TYPED-1] [TYPED-2] [TYPED-3]
#[test]
fn typed() {
    let (server, client) = assert_both_ok("typed", &[], &[]);
    assert_eq!(
        server.observed["types"],
        serde_json::json!([1, 2, 0x1234_5678])
    );
    assert_eq!(client.observed["type"], 7);
}

// checks: [TYPED-3] [INTEROP-3]
#[test]
fn typed_split_prefix() {
    let (server, _) = assert_both_ok("typed-split-prefix", &[], &[]);
    assert_eq!(server.observed["type"], 0x0102_0304);
    assert_eq!(server.observed["data"], "payload");
}

// checks: [HEARTBEAT-1] [HEARTBEAT-2]
#[test]
fn heartbeat() {
    let (server, client) = assert_both_ok("heartbeat", &[], &[]);
    for side in [&server, &client] {
        assert_eq!(side.observed["rtts_us"].as_array().map(Vec::len), Some(3));
    }
}

// checks: [HEARTBEAT-3]
#[test]
fn heartbeat_silent() {
    let (server, client) = assert_both_ok("heartbeat-silent", &[], &[]);
    assert_eq!(server.observed["type"], 0xFFFF_FFFFu32);
    let after = client.observed["detected_ms"].as_u64().expect("ms");
    assert!(after <= 2000, "failure after {after} ms");
}

// checks: [FLOW-4] [FLOW-9]
#[test]
fn window_mismatch() {
    let (_, client) = assert_both_ok("window-mismatch", &[], &["--window", "1048576"]);
    assert_eq!(client.observed["code"], 3);
}

// checks: [STREAM-6]
#[test]
fn soak() {
    // Not played by this peer: both sides take the soak's flags and answer unsupported.
    let args = ["--soak-secs", "1", "--seed", "5"];
    let (server, client) = pair("soak", &args, &args);
    assert_eq!(server.code, 3, "server: {server:?}");
    assert_eq!(client.code, 3, "client: {client:?}");
    assert!(server.detail.contains("soak"), "{server:?}");
}
