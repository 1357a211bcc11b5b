//! The acceptor's side: what happens to each accepted stream, named by its first byte.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::wire::{CHUNK, ECHO_BUF, Op, cpu_micros, rss_bytes};

/// Streams kept open by [`Op::Hold`], shared by every stream task of a server.
pub struct Holder<S> {
    streams: Mutex<Vec<S>>,
}

impl<S> Default for Holder<S> {
    fn default() -> Self {
        Holder {
            streams: Mutex::new(Vec::new()),
        }
    }
}

impl<S> Holder<S> {
    /// A new, empty holder, to share between the stream tasks.
    pub fn new() -> Arc<Holder<S>> {
        Arc::new(Holder::default())
    }

    fn push(&self, stream: S) {
        self.streams
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(stream);
    }

    /// How many streams are held.
    pub fn len(&self) -> usize {
        self.streams
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether no stream is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Serves one accepted stream according to its first byte. Errors end the stream quietly: the
/// client reports what went wrong, since it is the side that measures.
pub async fn serve_stream<S>(mut stream: S, holder: Arc<Holder<S>>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut first = [0u8; 1];
    if stream.read_exact(&mut first).await.is_err() {
        return;
    }
    match Op::from_byte(first[0]) {
        Some(Op::Sink) => {
            let mut buf = vec![0u8; CHUNK];
            let mut count: u64 = 0;
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) => break,
                    Ok(n) => count += n as u64,
                    Err(_) => return,
                }
            }
            if stream.write_all(&count.to_be_bytes()).await.is_ok() {
                let _ = stream.shutdown().await;
            }
        }
        Some(Op::Echo) => {
            let mut buf = vec![0u8; ECHO_BUF];
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) => break,
                    Ok(n) => {
                        if stream.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                    Err(_) => return,
                }
            }
            let _ = stream.shutdown().await;
        }
        Some(Op::Hold) => {
            let acked = stream.write_all(b"h").await.is_ok() && stream.flush().await.is_ok();
            if acked {
                holder.push(stream);
            }
        }
        Some(Op::Query) => {
            let mut reply = [0u8; 24];
            reply[..8].copy_from_slice(&(holder.len() as u64).to_be_bytes());
            reply[8..16].copy_from_slice(&rss_bytes().to_be_bytes());
            reply[16..].copy_from_slice(&cpu_micros().to_be_bytes());
            if stream.write_all(&reply).await.is_ok() {
                let _ = stream.shutdown().await;
            }
        }
        None => {}
    }
}
