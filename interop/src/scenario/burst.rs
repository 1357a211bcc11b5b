//! The `burst` scenario: 1,000 streams opened at once, each echoed.

use muxado_reference::Session;
use muxado_reference::frame::ErrorCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use muxado_testkit::scenario::BURST_BYTES;

use super::io::{R, code_of, echo_stream};
use super::{BURST_STREAMS, Outcome, pattern};

/// How one `burst` stream ended on the client.
pub(super) enum BurstEnd {
    /// Echoed exactly.
    Echoed,
    /// Failed with this error code (`u32::MAX`: an error without a muxado code).
    Failed(u32),
    /// The echo differed from what was sent.
    Mismatch(String),
}

/// The `burst` client: opens [`BURST_STREAMS`] streams, writes `pattern(k, 16)` on each (one
/// frame with its SYN, queued at once: the driver sends them together, many per TCP segment),
/// half-closes each, then reads every echo concurrently. Refusals ([STREAM-5]: code 9) are
/// counted, not fatal: whether a server may refuse under a burst its application keeps up
/// with is judged by the harness (the reference may not, [STREAM-14]).
pub(super) async fn burst_client(session: &Session) -> Outcome {
    let code = |err: &std::io::Error| code_of(err).unwrap_or(u32::MAX);
    let mut streams = Vec::new();
    for _ in 0..BURST_STREAMS {
        match session.open() {
            Ok(stream) => streams.push(stream),
            Err(err) => {
                return Outcome::fail(
                    format!("open {} of {BURST_STREAMS}: {err}", streams.len()),
                    Value::Null,
                );
            }
        }
    }
    // Every first write, then every FIN, before any read: the SYNs leave together.
    let mut failed_early = vec![None; streams.len()];
    for (k, stream) in streams.iter_mut().enumerate() {
        if let Err(err) = stream.write_all(&pattern(k as u64, BURST_BYTES)).await {
            failed_early[k] = Some(code(&err));
        }
    }
    for (k, stream) in streams.iter_mut().enumerate() {
        if failed_early[k].is_none() {
            if let Err(err) = stream.shutdown().await {
                failed_early[k] = Some(code(&err));
            }
        }
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (k, (mut stream, early)) in streams.into_iter().zip(failed_early).enumerate() {
        tasks.spawn(async move {
            if let Some(code) = early {
                return BurstEnd::Failed(code);
            }
            let mut back = Vec::new();
            match stream.read_to_end(&mut back).await {
                Err(err) => BurstEnd::Failed(code(&err)),
                Ok(_) if back == pattern(k as u64, BURST_BYTES) => BurstEnd::Echoed,
                Ok(_) => BurstEnd::Mismatch(format!(
                    "stream {k} (id {}): echo of {} bytes differs from the {BURST_BYTES} sent",
                    stream.id(),
                    back.len()
                )),
            }
        });
    }
    let (mut echoed, mut refused) = (0u64, 0u64);
    let mut errors = std::collections::BTreeMap::<String, u64>::new();
    let mut mismatches = Vec::new();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(BurstEnd::Echoed) => echoed += 1,
            Ok(BurstEnd::Failed(code)) => {
                if code == ErrorCode::ACCEPT_QUEUE_FULL.0 {
                    refused += 1;
                }
                *errors.entry(code.to_string()).or_default() += 1;
            }
            Ok(BurstEnd::Mismatch(what)) => mismatches.push(what),
            Err(err) => mismatches.push(format!("a stream task failed: {err}")),
        }
    }
    let failed: u64 = errors.values().sum();
    let observed = json!({
        "streams": BURST_STREAMS,
        "echoed": echoed,
        "refused": refused,
        "errors": errors,
        "mismatches": mismatches.len(),
    });
    if let Some(first) = mismatches.first() {
        return Outcome::fail(
            format!("{first} (and {} more mismatches)", mismatches.len() - 1),
            observed,
        );
    }
    if failed != refused {
        return Outcome::fail(
            format!(
                "{} streams failed other than by refusal (codes: {})",
                failed - refused,
                observed["errors"]
            ),
            observed,
        );
    }
    Outcome {
        ok: true,
        unsupported: false,
        detail: format!("{echoed} streams echoed exactly, {refused} refused with code 9"),
        observed,
    }
}

/// The `burst` server: accepts and echoes every stream, as fast as it can, until the session
/// ends. `observed`: `streams` (accepted), `echoed` (echoed and half-closed).
pub(super) async fn burst_server(session: &Session) -> R<Value> {
    let mut handlers = tokio::task::JoinSet::new();
    let mut accepted = 0u64;
    while let Ok(stream) = session.accept().await {
        accepted += 1;
        handlers.spawn(echo_stream(stream));
    }
    let (mut echoed, mut first_error) = (0u64, None);
    while let Some(done) = handlers.join_next().await {
        match done.map_err(|e| e.to_string()).and_then(|r| r) {
            Ok(()) => echoed += 1,
            Err(err) => {
                first_error.get_or_insert(err);
            }
        }
    }
    let observed = json!({"streams": accepted, "echoed": echoed});
    match first_error {
        Some(err) => Err(format!(
            "{} of {accepted} streams not echoed, first: {err} ({observed})",
            accepted - echoed
        )),
        None if accepted == 0 => Err("the session ended before any stream arrived".into()),
        None => Ok(observed),
    }
}

/// The judgement of a `burst` run beyond each side's own: the client's `refused`, which a
/// server may answer a burst with ([STREAM-5]) but the reference must not, since it waits for
/// an application that keeps accepting ([STREAM-14]).
pub fn burst_refused(client: &Value) -> Result<u64, String> {
    client["refused"]
        .as_u64()
        .ok_or_else(|| format!("client: observed.refused missing in {client}"))
}
