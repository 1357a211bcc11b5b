//! The `soak` scenario: many concurrent streams of random sizes, drawn as
//! `muxado_testkit::soak` defines, and the cross-checks of the two sides' counts.

use std::time::Duration;

use muxado_reference::frame::ErrorCode;
use muxado_reference::{Session, Stream};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use muxado_testkit::soak::{SOAK_IN_FLIGHT, SoakPlan, soak_rng, soak_write};

use super::io::R;
use super::{Outcome, Params, pattern};

/// How one soak stream ended on the client.
pub(super) enum SoakEnd {
    /// Echoed exactly, this many bytes.
    Verified(u64),
    /// Abandoned on purpose (reset midway).
    Aborted,
    /// Failed: reset by the server, or the session ended.
    Failed,
    /// A byte or the length differed: what must never happen.
    Mismatch(String),
}

/// Plays soak stream `k`: writes its plan while the echo is read and checked against the
/// pattern, byte by byte.
pub(super) async fn soak_stream(seed: u64, k: u64, stream: Stream) -> SoakEnd {
    let mut rng = soak_rng(seed, k);
    let plan = SoakPlan::draw(&mut rng);
    let data = pattern(k, plan.size);
    let id = stream.id();
    let (mut rd, mut wr) = stream.into_split();
    let writer = async {
        let limit = plan.limit();
        let mut off = 0;
        while off < limit {
            let n = soak_write(&mut rng).min(limit - off);
            if wr.write_all(&data[off..off + n]).await.is_err() {
                // Make sure the reader ends too.
                let _ = wr.reset(ErrorCode::STREAM_CANCELLED);
                return false;
            }
            off += n;
        }
        if plan.abort {
            // [STREAM-11] an endpoint may reset a stream at any time.
            let _ = wr.reset(ErrorCode::STREAM_CANCELLED);
            return true;
        }
        wr.shutdown().await.is_ok()
    };
    let reader = async {
        // Reads to the end even after a mismatch, so that the server's echo never waits for
        // window on this stream.
        let mut buf = vec![0u8; 32 * 1024];
        let mut got = 0u64;
        let mut mismatch = None;
        loop {
            match rd.read(&mut buf).await {
                Ok(0) => return (got, true, mismatch),
                Ok(n) => {
                    if mismatch.is_none() {
                        mismatch = buf[..n].iter().enumerate().find_map(|(i, &b)| {
                            let at = got + i as u64;
                            if at >= plan.size as u64 {
                                Some(format!("more than the {} bytes sent", plan.size))
                            } else {
                                let want = data[at as usize];
                                (b != want)
                                    .then(|| format!("byte {at} is {b:#04x}, not {want:#04x}"))
                            }
                        });
                    }
                    got += n as u64;
                }
                Err(_) => return (got, false, mismatch),
            }
        }
    };
    let (written, (got, eof, mismatch)) = tokio::join!(writer, reader);
    match mismatch {
        Some(what) => {
            SoakEnd::Mismatch(format!("stream {k} (id {id}, {} bytes): {what}", plan.size))
        }
        None if plan.abort => SoakEnd::Aborted,
        None if !written || !eof => SoakEnd::Failed,
        None if got != plan.size as u64 => SoakEnd::Mismatch(format!(
            "stream {k} (id {id}): end of stream after {got} of {} bytes",
            plan.size
        )),
        None => SoakEnd::Verified(got),
    }
}

/// The soak client's tally.
#[derive(Default)]
pub(super) struct SoakCounts {
    opened: u64,
    ok: u64,
    failed: u64,
    aborted: u64,
    bytes: u64,
    mismatches: Vec<String>,
}

impl SoakCounts {
    fn add(&mut self, end: SoakEnd) {
        match end {
            SoakEnd::Verified(n) => {
                self.ok += 1;
                self.bytes += n;
            }
            SoakEnd::Aborted => {
                self.aborted += 1;
                self.failed += 1;
            }
            SoakEnd::Failed => self.failed += 1,
            SoakEnd::Mismatch(what) => {
                self.failed += 1;
                self.mismatches.push(what);
            }
        }
    }
}

/// The soak client: keeps [`SOAK_IN_FLIGHT`] streams busy for `params.soak_secs`, then waits
/// for those in flight. A stream that fails (the session cut, [SESSION-2]) is counted, not
/// fatal; a byte that differs from what was sent, or a clean end-of-stream at the wrong
/// length, fails the side ([STREAM-6]: the echo ends with the server's FIN after every byte).
/// Abandoned streams are reset with `STREAM_CANCELLED` ([STREAM-11]), so the server never
/// completes them. `observed.streams_left`: streams the session still holds once every stream
/// task is done (0: nothing left behind, [STREAM-10]).
pub(super) async fn soak_client(session: &Session, params: &Params) -> Outcome {
    let end = tokio::time::Instant::now() + Duration::from_secs(params.soak_secs);
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(SOAK_IN_FLIGHT));
    let mut tasks = tokio::task::JoinSet::new();
    let mut counts = SoakCounts::default();
    let mut observed = serde_json::Map::new();
    let mut broken = None;
    while tokio::time::Instant::now() < end {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            _ = session.wait() => {
                observed.insert("ended_early".into(), json!(true));
                break;
            }
        };
        if tokio::time::Instant::now() >= end {
            break;
        }
        let stream = match session.open() {
            Ok(stream) => stream,
            Err(err) => {
                // The session ended (a cut): no more streams.
                observed.insert("open_error".into(), json!(err.to_string()));
                break;
            }
        };
        let (seed, k) = (params.seed, counts.opened);
        counts.opened += 1;
        tasks.spawn(async move {
            let end = soak_stream(seed, k, stream).await;
            drop(permit);
            end
        });
        while let Some(done) = tasks.try_join_next() {
            match done {
                Ok(end) => counts.add(end),
                Err(err) => broken = Some(format!("a stream task failed: {err}")),
            }
        }
    }
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(end) => counts.add(end),
            Err(err) => broken = Some(format!("a stream task failed: {err}")),
        }
    }
    let streams_left = session.stream_count();
    for (key, value) in [
        ("streams", json!(counts.opened)),
        ("ok_streams", json!(counts.ok)),
        ("failed", json!(counts.failed)),
        ("aborted", json!(counts.aborted)),
        ("abort", json!("reset")),
        ("bytes", json!(counts.bytes)),
        ("mismatches", json!(counts.mismatches.len())),
        ("streams_left", json!(streams_left)),
    ] {
        observed.insert(key.into(), value);
    }
    let observed = Value::Object(observed);
    if let Some(first) = counts.mismatches.first() {
        let more = counts.mismatches.len() - 1;
        return Outcome::fail(format!("{first} (and {more} more mismatches)"), observed);
    }
    if let Some(broken) = broken {
        return Outcome::fail(broken, observed);
    }
    if streams_left != 0 {
        return Outcome::fail(
            format!("{streams_left} streams left in the session after every stream ended"),
            observed,
        );
    }
    Outcome {
        ok: true,
        unsupported: false,
        detail: format!(
            "{} streams: {} echoed exactly ({} bytes), {} failed ({} reset midway on purpose)",
            counts.opened, counts.ok, counts.bytes, counts.failed, counts.aborted
        ),
        observed,
    }
}

/// Echoes one soak stream: copies what it reads back as it reads, half-closes after EOF.
/// Whether it completed, and the bytes echoed.
pub(super) async fn soak_echo(stream: Stream) -> (bool, u64) {
    let (mut rd, mut wr) = stream.into_split();
    let mut buf = vec![0u8; 32 * 1024];
    let mut echoed = 0u64;
    loop {
        match rd.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => {
                if wr.write_all(&buf[..n]).await.is_err() {
                    return (false, echoed);
                }
                echoed += n as u64;
            }
            Err(_) => return (false, echoed),
        }
    }
    (wr.shutdown().await.is_ok(), echoed)
}

/// The soak server: echoes every stream until the session ends (the client's close, or a cut
/// transport). A stream that fails (reset by the client, [RST-4]; or failed by the session's
/// end, [SESSION-2]) is counted, not fatal.
pub(super) async fn soak_server(session: &Session) -> R<Value> {
    let mut handlers = tokio::task::JoinSet::new();
    let (mut accepted, mut complete, mut failed, mut bytes) = (0u64, 0u64, 0u64, 0u64);
    let mut tally = |done: Result<(bool, u64), tokio::task::JoinError>| -> R<()> {
        let (ok, n) = done.map_err(|e| format!("an echo task failed: {e}"))?;
        bytes += n;
        if ok {
            complete += 1;
        } else {
            failed += 1;
        }
        Ok(())
    };
    let end = loop {
        match session.accept().await {
            Ok(stream) => {
                accepted += 1;
                handlers.spawn(soak_echo(stream));
            }
            Err(err) => break err.to_string(),
        }
        while let Some(done) = handlers.try_join_next() {
            tally(done)?;
        }
    };
    while let Some(done) = handlers.join_next().await {
        tally(done)?;
    }
    Ok(json!({
        "streams": accepted,
        "complete": complete,
        "failed": failed,
        "bytes": bytes,
        "end": end,
        "streams_left": session.stream_count(),
    }))
}

/// The checks SCENARIOS.md (`soak`) makes of the two sides' `observed`: no mismatch; the
/// server completed every stream the client verified ([STREAM-6]), and only streams the
/// client verified or saw fail; nothing left in a reference session ([STREAM-10]); and,
/// when the connection was not cut, no stream failed but those the client abandoned.
pub fn check_soak(client: &Value, server: &Value, cut: bool) -> Result<(), String> {
    let number = |side: &Value, who: &str, key: &str| {
        side[key]
            .as_u64()
            .ok_or_else(|| format!("{who}: observed.{key} missing in {side}"))
    };
    let ok = number(client, "client", "ok_streams")?;
    let failed = number(client, "client", "failed")?;
    let aborted = number(client, "client", "aborted")?;
    let mismatches = number(client, "client", "mismatches")?;
    let complete = number(server, "server", "complete")?;
    let server_failed = number(server, "server", "failed")?;
    let mut problems = Vec::new();
    if mismatches != 0 {
        problems.push(format!("{mismatches} streams came back different"));
    }
    if complete < ok {
        problems.push(format!(
            "the server completed {complete} streams, fewer than the {ok} the client verified"
        ));
    }
    if complete > ok + failed {
        problems.push(format!(
            "the server completed {complete} streams, more than the client verified ({ok}) or \
             saw fail ({failed})"
        ));
    }
    for (side, who) in [(client, "client"), (server, "server")] {
        if let Some(left) = side["streams_left"].as_u64().filter(|left| *left != 0) {
            problems.push(format!("{who}: {left} streams left in the session"));
        }
    }
    if !cut {
        if failed != aborted {
            problems.push(format!(
                "without a cut, {failed} client streams failed, but only the {aborted} \
                 abandoned on purpose may"
            ));
        }
        if server_failed > aborted {
            problems.push(format!(
                "without a cut, {server_failed} server streams failed, more than the {aborted} \
                 the client abandoned"
            ));
        }
        // A stream abandoned with Close ends with a FIN after part of its data: the server
        // may echo that part whole. A reset one never completes.
        let slack = if client["abort"] == "close" {
            aborted
        } else {
            0
        };
        if complete > ok + slack {
            problems.push(format!(
                "without a cut, the server completed {complete} streams, the client verified {ok}"
            ));
        }
        for key in ["open_error", "ended_early"] {
            if !client[key].is_null() {
                problems.push(format!(
                    "without a cut, the client's session ended early ({key}: {})",
                    client[key]
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cross-checks of the two sides' counts.
    ///
    /// checks: [STREAM-6] [SESSION-2]
    #[test]
    fn check_soak_judges_the_counts() {
        let client = |ok: u64, failed: u64, aborted: u64, abort: &str| {
            json!({"ok_streams": ok, "failed": failed, "aborted": aborted, "abort": abort,
                   "mismatches": 0, "streams_left": 0})
        };
        let server = |complete: u64, failed: u64| json!({"complete": complete, "failed": failed});
        assert_eq!(
            check_soak(&client(10, 2, 2, "reset"), &server(10, 2), false),
            Ok(())
        );
        assert_eq!(
            check_soak(&client(10, 2, 2, "close"), &server(12, 0), false),
            Ok(())
        );
        assert!(check_soak(&client(10, 2, 2, "reset"), &server(11, 1), false).is_err());
        assert!(check_soak(&client(10, 5, 2, "reset"), &server(10, 2), false).is_err());
        assert_eq!(
            check_soak(&client(10, 5, 2, "reset"), &server(13, 4), true),
            Ok(())
        );
        assert!(check_soak(&client(10, 5, 2, "reset"), &server(9, 4), true).is_err());
        assert!(check_soak(&client(10, 5, 2, "reset"), &server(16, 4), true).is_err());
        let mut mismatched = client(10, 2, 2, "reset");
        mismatched["mismatches"] = json!(1);
        assert!(check_soak(&mismatched, &server(10, 2), true).is_err());
    }
}
