//! The stream helpers every side uses: reads and writes whose errors are texts.

use std::time::Duration;

use muxado_reference::{Session, Stream, stream_error};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::fnv;

pub(super) type R<T> = Result<T, String>;

pub(super) fn code_of(err: &std::io::Error) -> Option<u32> {
    stream_error(err).map(|e| e.code().0)
}

pub(super) async fn read_all(stream: &mut Stream) -> R<Vec<u8>> {
    let mut out = Vec::new();
    stream
        .read_to_end(&mut out)
        .await
        .map_err(|e| format!("read: {e}"))?;
    Ok(out)
}

/// Reads to EOF, sleeping 1 ms after every 256 KiB.
pub(super) async fn read_slowly(stream: &mut Stream, expected: usize) -> R<Vec<u8>> {
    let mut out = Vec::with_capacity(expected);
    let mut buf = vec![0u8; 64 * 1024];
    let mut since_pause = 0;
    loop {
        let n = stream
            .read(&mut buf)
            .await
            .map_err(|e| format!("read after {} bytes: {e}", out.len()))?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
        since_pause += n;
        if since_pause >= 256 * 1024 {
            since_pause = 0;
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

pub(super) async fn write_all(stream: &mut Stream, data: &[u8]) -> R<()> {
    stream
        .write_all(data)
        .await
        .map_err(|e| format!("write: {e}"))
}

pub(super) async fn expect_data(stream: &mut Stream, want: &[u8], what: &str) -> R<()> {
    let got = read_all(stream).await?;
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{what}: expected {} bytes ({}), got {} ({})",
            want.len(),
            fnv(want),
            got.len(),
            fnv(&got)
        ))
    }
}

pub(super) async fn accept(session: &Session) -> R<Stream> {
    session.accept().await.map_err(|e| format!("accept: {e}"))
}

pub(super) async fn open(session: &Session) -> R<Stream> {
    session.open().map_err(|e| format!("open: {e}"))
}

/// Copies a stream back to its sender, then half-closes.
pub(super) async fn echo_stream(mut stream: Stream) -> R<()> {
    let data = read_all(&mut stream).await?;
    write_all(&mut stream, &data).await?;
    stream
        .shutdown()
        .await
        .map_err(|e| format!("shutdown: {e}"))
}

/// Writes `chunk`-sized pieces of `data` until a write fails; the failure's code.
pub(super) async fn write_until_error(
    stream: &mut Stream,
    data: &[u8],
    chunk: usize,
) -> Option<u32> {
    for piece in data.chunks(chunk) {
        if let Err(err) = stream.write_all(piece).await {
            return Some(code_of(&err).unwrap_or(u32::MAX));
        }
    }
    None
}
