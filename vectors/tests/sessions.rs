//! Every session vector file, run against the reference session state machine: one test per
//! file, naming each failing vector. Vectors marked `reference_bug` must fail (they record a
//! known deviation of the reference from SPEC.md); one that passes fails the test, so that the
//! mark is removed when the bug is fixed.

mod common;

use muxado_vectors::session_model::{SessionFile, SessionVector};
use muxado_vectors::session_run::{self, Verdict};
use muxado_vectors::sessions_dir;

fn run_file(name: &str) {
    let file = SessionFile::load(&sessions_dir().join(name)).expect("vector file loads");
    let mut failures = Vec::new();
    for vector in &file.vectors {
        match session_run::judge(vector) {
            Verdict::Pass => {}
            Verdict::KnownBug(problem) => eprintln!(
                "known reference bug {}: {}{problem}",
                vector.id,
                vector
                    .reference_bug
                    .as_ref()
                    .map_or("", |b| b.note.as_str())
            ),
            Verdict::Fail(problem) => failures.push(format!("{}:{problem}", vector.id)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors in {name} fail:\n{}",
        failures.len(),
        file.vectors.len(),
        failures.join("\n")
    );
}

// The requirement ids each file's vectors check are listed in the vectors themselves; these
// name the sections each file covers.
vector_files! {
    sessions_dir(), run_file;
    stream_sessions => "streams.json", checks: "[ID-2] [ID-4] [STREAM-4] [STREAM-6] [STREAM-8] [STREAM-11]";
    flow_sessions => "flow.json", checks: "[FLOW-3] [FLOW-4] [FLOW-5] [FLOW-6] [FLOW-8]";
    goaway_sessions => "goaway.json", checks: "[GOAWAY-5] [GOAWAY-7] [GOAWAY-8] [SESSION-1] [SESSION-3]";
    violation_sessions => "violations.json", checks: "[FRAME-8] [SESSION-4] [ID-6] [ID-7]";
    limit_sessions => "limits.json", checks: "[LIMIT-2] [LIMIT-3] [LIMIT-4] [LIMIT-5] [STREAM-5]";
    framing_sessions => "framing.json", checks: "[FRAME-1] [FRAME-5] [FRAME-6] [FRAME-9] [FRAME-11]";
    extension_sessions => "extensions.json", checks: "[TYPED-1] [TYPED-2] [HEARTBEAT-2]";
}

fn parse(json: &str) -> SessionVector {
    serde_json::from_str(json).expect("test vector parses")
}

/// The runner is not vacuous: a wrong expectation, an unchecked frame and a malformed step each
/// make a vector fail, and a `reference_bug` mark is honoured only at the step it names.
/// checks: [STREAM-1] [STREAM-2]
#[test]
fn runner_rejects_wrong_expectations() {
    let base = r#"{"id": "t", "description": "d", "requirements": ["STREAM-2"], "role": "client", "steps": [
        {"open": {"expect": {"stream_id": 3}}},
        {"write": {"stream_id": 3, "data": "6869", "expect": {"written": 2}}},
        STEPS]}"#;
    let good =
        r#"{"expect_sent": [{"type": "DATA", "stream_id": 3, "flags": 2, "payload": "6869"}]}"#;
    assert_eq!(
        session_run::check_session(&parse(&base.replace("STEPS", good))),
        Ok(())
    );
    for wrong in [
        // Wrong flags: SYN missing.
        r#"{"expect_sent": [{"type": "DATA", "stream_id": 3, "flags": 0, "payload": "6869"}]}"#,
        // Nothing checked: the SYN frame is left over at the end.
        r#"{"expect_session": {"ended": false}}"#,
        // A frame too many.
        r#"{"expect_sent": [{"type": "DATA", "stream_id": 3, "flags": 2, "payload": "6869"},
                            {"type": "RST", "stream_id": 3, "flags": 0, "error_code": 4}]}"#,
        // A length that contradicts the payload.
        r#"{"expect_sent": [{"type": "DATA", "stream_id": 3, "flags": 2, "length": 3, "payload": "6869"}]}"#,
    ] {
        let vector = parse(&base.replace("STEPS", wrong));
        assert!(
            session_run::check_session(&vector).is_err(),
            "accepted: {wrong}"
        );
    }
    // A reference_bug mark must name the step where the reference fails, and the reference
    // must fail there.
    let mark = |json: String, step: usize| {
        json.replace(
            r#""role""#,
            &format!(r#""reference_bug": {{"step": {step}, "note": "n"}}, "role""#),
        )
    };
    let wrong = base.replace(
        "STEPS",
        r#"{"expect_sent": [{"type": "DATA", "stream_id": 3, "flags": 0, "payload": "6869"}]}"#,
    );
    assert!(matches!(
        session_run::judge(&parse(&mark(wrong.clone(), 3))),
        Verdict::KnownBug(_)
    ));
    assert!(matches!(
        session_run::judge(&parse(&mark(wrong, 2))),
        Verdict::Fail(_)
    ));
    assert!(matches!(
        session_run::judge(&parse(&mark(base.replace("STEPS", good), 3))),
        Verdict::Fail(_)
    ));
}

/// Frames the peer sends are encoded by hand, including those an encoder refuses.
/// checks: [FRAME-1] [FRAME-12]
#[test]
fn peer_frames_are_encoded_by_hand() {
    let frame = |json: &str| {
        session_run::encode(&serde_json::from_str(json).expect("frame parses")).expect("encodes")
    };
    assert_eq!(
        frame(r#"{"type": "WNDINC", "stream_id": 0, "flags": 0, "increment": 0}"#),
        [0, 0, 4, 0x20, 0, 0, 0, 0, 0, 0, 0, 0]
    );
    assert_eq!(
        frame(
            r#"{"type": "UNKNOWN", "type_code": 9, "stream_id": 3, "flags": 15, "payload": "ab"}"#
        ),
        [0, 0, 1, 0x9F, 0, 0, 0, 3, 0xab]
    );
    assert_eq!(
        frame(
            r#"{"type": "GOAWAY", "stream_id": 0, "flags": 0, "last_stream_id": 5, "error_code": 1, "debug": "78"}"#
        ),
        [0, 0, 9, 0x30, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 1, b'x']
    );
}
