//! The reference's side of each short scenario of `interop/SCENARIOS.md`, client and server.

use std::time::Duration;

use muxado_reference::Role;
use muxado_reference::frame::ErrorCode;
use muxado_reference::{Heartbeat, HeartbeatConfig, HeartbeatEvent, Session};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;

use super::io::{
    R, accept, code_of, echo_stream, expect_data, open, read_all, read_slowly, write_all,
    write_until_error,
};
use super::{fnv, pattern};

pub(super) async fn echo_client(session: &Session) -> R<Value> {
    let mut tasks = Vec::new();
    for k in 0..256u64 {
        let mut stream = open(session).await?;
        tasks.push(tokio::spawn(async move {
            let data = pattern(k, 1 + (k as usize * 7919) % 8192);
            let (mut rd, mut wr) = tokio::io::split(&mut stream);
            let writer = async {
                wr.write_all(&data).await?;
                wr.shutdown().await
            };
            let mut back = Vec::new();
            let (w, r) = tokio::join!(writer, rd.read_to_end(&mut back));
            w.map_err(|e| format!("stream {k}: write: {e}"))?;
            r.map_err(|e| format!("stream {k}: read: {e}"))?;
            if back != data {
                return Err(format!(
                    "stream {k}: echo differs ({} of {} bytes)",
                    back.len(),
                    data.len()
                ));
            }
            Ok(())
        }));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    Ok(json!({"streams": 256}))
}

pub(super) async fn serve_echo(session: &Session, count: usize) -> R<()> {
    let mut tasks = Vec::new();
    for _ in 0..count {
        let stream = accept(session).await?;
        tasks.push(tokio::spawn(echo_stream(stream)));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    Ok(())
}

pub(super) const BULK: usize = 64 << 20;

pub(super) async fn bulk_client(session: &Session) -> R<Value> {
    let mut stream = open(session).await?;
    write_all(&mut stream, &pattern(1, BULK)).await?;
    stream.shutdown().await.map_err(|e| e.to_string())?;
    let got = read_slowly(&mut stream, BULK).await?;
    if got != pattern(2, BULK) {
        return Err(format!(
            "bulk reply differs: {} bytes, fnv {}",
            got.len(),
            fnv(&got)
        ));
    }
    Ok(json!({"bytes": got.len(), "fnv": fnv(&got)}))
}

pub(super) async fn bulk_server(session: &Session) -> R<Value> {
    let mut stream = accept(session).await?;
    let got = read_slowly(&mut stream, BULK).await?;
    if got != pattern(1, BULK) {
        return Err(format!(
            "bulk upload differs: {} bytes, fnv {}",
            got.len(),
            fnv(&got)
        ));
    }
    write_all(&mut stream, &pattern(2, BULK)).await?;
    stream.shutdown().await.map_err(|e| e.to_string())?;
    Ok(json!({"bytes": got.len(), "fnv": fnv(&got)}))
}

pub(super) async fn half_close_client(session: &Session) -> R<Value> {
    let mut a = open(session).await?;
    write_all(&mut a, b"ping").await?;
    a.shutdown().await.map_err(|e| e.to_string())?;
    expect_data(&mut a, b"pong after your fin", "stream A").await?;
    let mut b = accept(session).await?;
    expect_data(&mut b, b"server done", "stream B").await?;
    write_all(&mut b, b"client still talking").await?;
    b.shutdown().await.map_err(|e| e.to_string())?;
    // Keep the session until the server has read B.
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(json!({}))
}

pub(super) async fn half_close_server(session: &Session) -> R<Value> {
    let mut a = accept(session).await?;
    expect_data(&mut a, b"ping", "stream A").await?;
    write_all(&mut a, b"pong after your fin").await?;
    a.shutdown().await.map_err(|e| e.to_string())?;
    let mut b = open(session).await?;
    write_all(&mut b, b"server done").await?;
    b.shutdown().await.map_err(|e| e.to_string())?;
    expect_data(&mut b, b"client still talking", "stream B").await?;
    Ok(json!({}))
}

pub(super) async fn server_opens(session: &Session) -> R<Value> {
    let mut ids = Vec::new();
    let mut tasks = Vec::new();
    for k in 0..3u64 {
        let mut stream = open(session).await?;
        ids.push(stream.id().get());
        tasks.push(tokio::spawn(async move {
            let data = pattern(10 + k, 1000);
            write_all(&mut stream, &data).await?;
            stream.shutdown().await.map_err(|e| e.to_string())?;
            expect_data(&mut stream, &data, "echo").await
        }));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    Ok(json!({"ids": ids}))
}

pub(super) async fn expect_write_error(
    session: &Session,
    code: u32,
    data: Vec<u8>,
    chunk: usize,
    first: usize,
) -> R<Value> {
    let mut stream = open(session).await?;
    if first > 0 {
        write_all(&mut stream, &data[..first]).await?;
    }
    match write_until_error(&mut stream, &data[first..], chunk).await {
        Some(seen) if seen == code => Ok(json!({"code": seen})),
        Some(seen) => Err(format!("write failed with code {seen}, expected {code}")),
        None => Err(format!("every write succeeded; expected code {code}")),
    }
}

pub(super) async fn reset_server(session: &Session) -> R<Value> {
    let mut stream = accept(session).await?;
    let mut buf = vec![0u8; 64 * 1024];
    stream
        .read_exact(&mut buf)
        .await
        .map_err(|e| format!("read: {e}"))?;
    let _ = stream.reset(ErrorCode::STREAM_RESET);
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(json!({}))
}

pub(super) async fn close_late_data_client(session: &Session) -> R<Value> {
    let mut stream = open(session).await?;
    write_all(&mut stream, &pattern(4, 4)).await?;
    // Wait for the server's FIN first: data sent before its close may fill a window that a
    // server not crediting discarded bytes (Go) never reopens (SPEC [STREAM-9]).
    let mut buf = [0u8; 16];
    let fin_seen = matches!(
        timeout(Duration::from_secs(2), stream.read(&mut buf)).await,
        Ok(Ok(0))
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    match write_until_error(&mut stream, &pattern(4, 16 << 20), 4096).await {
        Some(4) => Ok(json!({"code": 4, "fin_seen": fin_seen})),
        Some(seen) => Err(format!("write failed with code {seen}, expected 4")),
        None => Err("every write succeeded; expected code 4".into()),
    }
}

pub(super) async fn close_late_data_server(session: &Session) -> R<Value> {
    let mut stream = accept(session).await?;
    let mut four = [0u8; 4];
    stream
        .read_exact(&mut four)
        .await
        .map_err(|e| format!("read: {e}"))?;
    drop(stream);
    // Keep the session open until the client finished (it closes the connection).
    let _ = timeout(Duration::from_secs(20), session.wait()).await;
    Ok(json!({}))
}

pub(super) async fn go_away_sender(session: &Session, role: Role) -> R<Value> {
    let mut stream = accept(session).await?;
    let mut hello = [0u8; 5];
    stream
        .read_exact(&mut hello)
        .await
        .map_err(|e| format!("read: {e}"))?;
    let who = if role == Role::Client {
        "client"
    } else {
        "server"
    };
    session
        .close_with(
            ErrorCode::ENHANCE_YOUR_CALM,
            format!("calm down from {who}").as_bytes(),
        )
        .await;
    Ok(json!({}))
}

pub(super) async fn go_away_receiver(session: &Session, sender: &str) -> R<Value> {
    let mut stream = open(session).await?;
    write_all(&mut stream, b"hello").await?;
    let ended = session.wait().await;
    let remote = ended.remote.ok_or("the session ended without a GOAWAY")?;
    let debug = String::from_utf8_lossy(&remote.debug).into_owned();
    let observed = json!({"remote_code": remote.error_code.0, "remote_debug": debug});
    let want = format!("calm down from {sender}");
    if remote.error_code != ErrorCode::ENHANCE_YOUR_CALM || debug != want {
        return Err(format!(
            "remote GOAWAY {} {debug:?}, expected 10 {want:?}",
            remote.error_code.0
        ));
    }
    Ok(observed)
}

pub(super) async fn backlog_client(session: &Session) -> R<Value> {
    let mut streams = Vec::new();
    for _ in 0..8 {
        let mut stream = open(session).await?;
        write_all(&mut stream, b"x").await?;
        streams.push(stream);
    }
    // Read every stream at once: refused ones fail at once, accepted ones stay silent.
    let reads: Vec<_> = streams
        .into_iter()
        .map(|mut stream| {
            tokio::spawn(async move {
                let mut one = [0u8; 1];
                let result = timeout(Duration::from_secs(1), stream.read(&mut one)).await;
                let refused = matches!(&result, Ok(Err(err)) if code_of(err) == Some(ErrorCode::ACCEPT_QUEUE_FULL.0));
                (refused, result.is_err(), format!("{result:?}"), stream)
            })
        })
        .collect();
    let (mut refused, mut accepted) = (0, 0);
    let mut held = Vec::new();
    for read in reads {
        let (was_refused, timed_out, result, stream) = read.await.map_err(|e| e.to_string())?;
        match (was_refused, timed_out) {
            (true, _) => refused += 1,
            (_, true) => accepted += 1,
            _ => return Err(format!("unexpected read result {result}")),
        }
        held.push(stream);
    }
    let observed = json!({"refused": refused, "accepted": accepted});
    if refused < 4 {
        return Err(format!(
            "only {refused} of 8 streams refused with ACCEPT_QUEUE_FULL"
        ));
    }
    Ok(observed)
}

pub(super) async fn backlog_server(session: &Session) -> R<Value> {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut accepted = Vec::new();
    while let Ok(Ok(mut stream)) = timeout(Duration::from_millis(200), session.accept()).await {
        let mut one = [0u8; 1];
        stream
            .read_exact(&mut one)
            .await
            .map_err(|e| format!("read: {e}"))?;
        accepted.push(stream);
    }
    let n = accepted.len();
    // Hold the accepted streams until the client gave up reading them.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    Ok(json!({"accepted": n}))
}

pub(super) async fn typed_client(session: &Session) -> R<Value> {
    let mut sent = Vec::new();
    for ty in [1u32, 2, 0x1234_5678] {
        let mut stream = session
            .open_typed(ty)
            .await
            .map_err(|e| format!("open_typed: {e}"))?;
        write_all(&mut stream, format!("typed {ty}").as_bytes()).await?;
        stream.shutdown().await.map_err(|e| e.to_string())?;
        sent.push(stream);
    }
    let (mut stream, ty) = session
        .accept_typed()
        .await
        .map_err(|e| format!("accept_typed: {e}"))?;
    if ty != 7 {
        return Err(format!("server's typed stream has type {ty}, expected 7"));
    }
    expect_data(&mut stream, b"seven", "typed stream 7").await?;
    Ok(json!({}))
}

pub(super) async fn typed_server(session: &Session) -> R<Value> {
    let mut types = Vec::new();
    for _ in 0..3 {
        let (mut stream, ty) = session
            .accept_typed()
            .await
            .map_err(|e| format!("accept_typed: {e}"))?;
        expect_data(
            &mut stream,
            format!("typed {ty}").as_bytes(),
            "typed stream",
        )
        .await?;
        types.push(ty);
    }
    let mut stream = session
        .open_typed(7)
        .await
        .map_err(|e| format!("open_typed: {e}"))?;
    write_all(&mut stream, b"seven").await?;
    stream.shutdown().await.map_err(|e| e.to_string())?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(json!({"types": types}))
}

pub(super) async fn typed_split_client(session: &Session) -> R<Value> {
    let mut stream = open(session).await?;
    write_all(&mut stream, &[0x01, 0x02]).await?;
    tokio::time::sleep(Duration::from_millis(50)).await;
    write_all(&mut stream, &[0x03, 0x04]).await?;
    write_all(&mut stream, b"payload").await?;
    stream.shutdown().await.map_err(|e| e.to_string())?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok(json!({}))
}

pub(super) async fn typed_split_server(session: &Session) -> R<Value> {
    let (mut stream, ty) = session
        .accept_typed()
        .await
        .map_err(|e| format!("accept_typed: {e}"))?;
    let data = read_all(&mut stream).await?;
    let text = String::from_utf8_lossy(&data).into_owned();
    let observed = json!({"type": ty, "data": text});
    if ty != 0x0102_0304 || text != "payload" {
        return Err(format!(
            "type {ty:#x} and data {text:?}, expected 0x1020304 and \"payload\""
        ));
    }
    Ok(observed)
}

pub(super) async fn heartbeat(session: Session) -> R<Value> {
    let config = HeartbeatConfig::default()
        .with_interval(Duration::from_millis(50))
        .with_tolerance(Duration::from_secs(1));
    let (events, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let beating = Heartbeat::start(session, config, move |e| {
        let _ = events.send(e);
    });
    let responder = tokio::spawn(async move {
        let _ = beating.accept_typed().await;
        beating
    });
    let mut rtts = Vec::new();
    while rtts.len() < 3 {
        match rx.recv().await {
            Some(HeartbeatEvent::Rtt(rtt)) => rtts.push(rtt.as_micros() as u64),
            Some(HeartbeatEvent::Timeout) => return Err("heartbeat failure reported".into()),
            None => return Err("heartbeat stopped".into()),
        }
    }
    // Keep answering the peer's beats a little longer, so its side completes too.
    tokio::time::sleep(Duration::from_millis(500)).await;
    responder.abort();
    Ok(json!({"rtts_us": rtts}))
}

pub(super) async fn heartbeat_silent_client(session: Session) -> R<Value> {
    let config = HeartbeatConfig::default()
        .with_interval(Duration::from_millis(50))
        .with_tolerance(Duration::from_millis(300));
    let (events, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let started = tokio::time::Instant::now();
    let _beating = Heartbeat::start(session, config, move |e| {
        let _ = events.send(e);
    });
    match timeout(Duration::from_secs(2), rx.recv()).await {
        Ok(Some(HeartbeatEvent::Timeout)) => {
            Ok(json!({"detected_ms": started.elapsed().as_millis() as u64}))
        }
        Ok(other) => Err(format!("expected a failure, got {other:?}")),
        Err(_) => Err("no failure reported within 2 s".into()),
    }
}

pub(super) async fn heartbeat_silent_server(session: &Session) -> R<Value> {
    let (stream, ty) = session
        .accept_typed()
        .await
        .map_err(|e| format!("accept_typed: {e}"))?;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    drop(stream);
    Ok(json!({"type": ty}))
}

pub(super) async fn window_mismatch_client(session: &Session) -> R<Value> {
    let mut stream = open(session).await?;
    // The writes may all be queued before the reset comes back; the read then sees it.
    let code = match write_until_error(&mut stream, &pattern(5, 512 * 1024), 64 * 1024).await {
        Some(code) => code,
        None => {
            let mut one = [0u8; 1];
            match timeout(Duration::from_secs(10), stream.read(&mut one)).await {
                Ok(Err(err)) => code_of(&err).unwrap_or(u32::MAX),
                other => return Err(format!("no reset after overrunning the window: {other:?}")),
            }
        }
    };
    if code != ErrorCode::FLOW_CONTROL_ERROR.0 {
        return Err(format!("saw code {code}, expected 3"));
    }
    Ok(json!({"code": code}))
}

pub(super) async fn fin_first_reply_client(session: &Session) -> R<Value> {
    let mut stream = open(session).await?;
    // The reference sends SYN and FIN on separate frames ([INTEROP-8]).
    stream
        .close_write()
        .map_err(|e| format!("half-close: {e}"))?;
    expect_data(&mut stream, b"reply to an empty request", "the reply").await?;
    Ok(json!({}))
}

pub(super) async fn fin_first_reply_server(session: &Session) -> R<Value> {
    let mut stream = accept(session).await?;
    expect_data(&mut stream, b"", "the empty request").await?;
    write_all(&mut stream, b"reply to an empty request").await?;
    stream.shutdown().await.map_err(|e| e.to_string())?;
    Ok(json!({}))
}

pub(super) async fn hold_one_stream(session: &Session) -> R<Value> {
    let stream = accept(session).await?;
    let _ = timeout(Duration::from_secs(20), session.wait()).await;
    drop(stream);
    Ok(json!({}))
}
