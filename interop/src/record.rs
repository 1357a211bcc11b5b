//! Frame-aware recording: a TCP proxy that passes bytes through untouched and logs every frame
//! in both directions, as a JSON transcript and as a human-readable frame log; and the decoder
//! behind it, also used by `muxado-interop decode` on hex dumps and raw files.

use std::time::Instant;

use muxado_reference::frame::{self, DecodeError, Frame};
use muxado_testkit::hex::from_hex;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::transcript::{
    Body, Event, FrameFields, FrameKind, FrameRecord, SCHEMA_VERSION, Schema, TranscriptFile,
    Violation,
};

/// Payloads up to this size are kept whole in transcripts; longer ones by length and hash.
const KEEP_PAYLOAD: usize = 4096;

pub use crate::transcript::Dir;

/// Turns a byte stream into frames as the bytes arrive, whatever the chunking.
pub struct FrameReader {
    buffer: Vec<u8>,
    failed: bool,
    keep: usize,
}

impl Default for FrameReader {
    fn default() -> FrameReader {
        FrameReader::keeping(KEEP_PAYLOAD)
    }
}

/// One decoded frame or the violation that stopped decoding, as a transcript frame object in
/// the frame vector format (`vectors/README.md`) plus the log line.
#[derive(Clone, Debug)]
pub struct Decoded {
    /// The frame (or the violation).
    pub frame: FrameRecord,
    /// One line, like Go's debug framer.
    pub line: String,
}

impl FrameReader {
    /// A reader whose frame objects keep bodies up to `keep` bytes whole (longer ones by length
    /// and hash); the default keeps 4096.
    pub fn keeping(keep: usize) -> FrameReader {
        FrameReader {
            buffer: Vec::new(),
            failed: false,
            keep,
        }
    }

    /// Feeds bytes; returns the frames they completed. After a violation the reader stops.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Decoded> {
        if self.failed {
            return Vec::new();
        }
        self.buffer.extend_from_slice(bytes);
        let mut out = Vec::new();
        let mut used = 0;
        loop {
            match frame::decode_frame(&self.buffer[used..]) {
                Ok((frame, n)) => {
                    out.push(Decoded {
                        frame: frame_record_keeping(&frame, self.keep),
                        line: frame.to_string(),
                    });
                    used += n;
                }
                Err(DecodeError::Incomplete { .. }) => break,
                Err(DecodeError::Violation(v)) => {
                    out.push(Decoded {
                        frame: FrameRecord::Violation {
                            error: Violation {
                                code: v.error_code().name().map(str::to_string),
                                requirement: v.requirement().to_string(),
                            },
                        },
                        line: format!("VIOLATION {v}"),
                    });
                    self.failed = true;
                    break;
                }
            }
        }
        self.buffer.drain(..used);
        out
    }

    /// Bytes of an unfinished frame left at the end.
    pub fn pending(&self) -> usize {
        self.buffer.len()
    }
}

/// A frame as a transcript frame object, bodies over 4096 bytes by length and hash.
pub fn frame_record(frame: &Frame<'_>) -> FrameRecord {
    frame_record_keeping(frame, KEEP_PAYLOAD)
}

/// A frame as a transcript frame object, bodies over `keep` bytes by length and hash.
pub fn frame_record_keeping(frame: &Frame<'_>, keep: usize) -> FrameRecord {
    let kind = match frame {
        Frame::Data(_) => FrameKind::Data,
        Frame::Rst(_) => FrameKind::Rst,
        Frame::WndInc(_) => FrameKind::WndInc,
        Frame::GoAway(_) => FrameKind::GoAway,
        Frame::Unknown(_) => FrameKind::Unknown,
    };
    let mut out = FrameFields::new(
        kind,
        frame.stream_id().get(),
        frame.flags().get(),
        frame.body_len() as u32,
    );
    match frame {
        Frame::Rst(f) => out.error_code = Some(f.error_code.0),
        Frame::Data(f) => out.set_body(Body::Payload, f.payload, keep),
        Frame::WndInc(f) => out.increment = Some(f.increment),
        Frame::GoAway(f) => {
            out.last_stream_id = Some(f.last_stream_id.get());
            out.error_code = Some(f.error_code.0);
            out.set_body(Body::Debug, f.debug, keep);
        }
        Frame::Unknown(f) => {
            out.type_code = Some(f.frame_type.get());
            out.set_body(Body::Payload, f.payload, keep);
        }
    }
    FrameRecord::Frame(out)
}

/// A recorded session.
#[derive(Clone, Debug, Default)]
pub struct Transcript {
    /// `(direction, microseconds since the first byte, frame)`.
    pub frames: Vec<(Dir, u64, Decoded)>,
    /// When each direction's byte stream ended (its sender closed or the connection broke).
    pub ends: Vec<(Dir, u64)>,
}

/// What a transcript says about where it came from; every field is optional.
#[derive(Clone, Debug, Default)]
pub struct About {
    /// One line for people.
    pub title: String,
    /// The `interop/SCENARIOS.md` scenario both sides played, if any.
    pub scenario: Option<String>,
    /// The implementation on the client side (`reference`, `go-v2.0.2`, ...).
    pub client: Option<String>,
    /// The implementation on the server side.
    pub server: Option<String>,
}

impl Transcript {
    /// The transcript file (`vectors/README.md`, "Transcripts"): frames and ends in time
    /// order.
    pub fn to_file(&self, about: &About) -> TranscriptFile {
        let mut entries: Vec<Event> = self
            .frames
            .iter()
            .map(|(dir, t, d)| Event {
                dir: *dir,
                end: false,
                frame: Some(d.frame.clone()),
                t_us: *t,
            })
            .collect();
        for (dir, t) in &self.ends {
            entries.push(Event {
                dir: *dir,
                end: true,
                frame: None,
                t_us: *t,
            });
        }
        // Stable: frames before ends at the same time, each in recorded order.
        entries.sort_by_key(|e| e.t_us);
        TranscriptFile {
            client: about.client.clone(),
            frames: entries,
            scenario: about.scenario.clone(),
            schema: Schema::MuxadoTranscript,
            schema_version: SCHEMA_VERSION,
            server: about.server.clone(),
            title: about.title.clone(),
        }
    }

    /// The transcript file as JSON.
    pub fn to_json(&self, about: &About) -> Value {
        serde_json::to_value(self.to_file(about)).expect("a transcript serialises")
    }

    /// Keeps the bodies of frames sent in `dir` only by length and hash when they are longer
    /// than `keep` bytes: for the direction a replay compares but never sends.
    pub fn hash_bodies(&mut self, dir: Dir, keep: usize) {
        for (_, _, decoded) in self.frames.iter_mut().filter(|(d, ..)| *d == dir) {
            let FrameRecord::Frame(frame) = &mut decoded.frame else {
                continue;
            };
            for body in [Body::Payload, Body::Debug] {
                let Some(Ok(bytes)) = frame.body_hex(body).map(from_hex) else {
                    continue;
                };
                if bytes.len() > keep {
                    frame.set_body(body, &bytes, keep);
                }
            }
        }
    }

    /// The human-readable frame log: one line per frame.
    pub fn log(&self) -> String {
        self.frames
            .iter()
            .map(|(dir, t, d)| {
                format!(
                    "{:>10.3}ms {} {}\n",
                    *t as f64 / 1000.0,
                    dir.label(),
                    d.line
                )
            })
            .collect()
    }
}

/// Proxies one connection accepted on `listener` to `target`, recording every frame both ways,
/// until both directions ended.
pub async fn record_one(
    listener: &TcpListener,
    target: std::net::SocketAddr,
) -> std::io::Result<Transcript> {
    record_one_keeping(listener, target, KEEP_PAYLOAD).await
}

/// [`record_one`], keeping bodies up to `keep` bytes whole in the transcript's frames (longer
/// ones by length and hash): the matrix keeps none, it needs only the frame log.
pub async fn record_one_keeping(
    listener: &TcpListener,
    target: std::net::SocketAddr,
    keep: usize,
) -> std::io::Result<Transcript> {
    let (client, _) = listener.accept().await?;
    let server = TcpStream::connect(target).await?;
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let start = Instant::now();
    let (client_rd, client_wr) = client.into_split();
    let (server_rd, server_wr) = server.into_split();
    let (a, b) = tokio::join!(
        pump(client_rd, server_wr, Dir::ClientToServer, start, keep),
        pump(server_rd, client_wr, Dir::ServerToClient, start, keep)
    );
    let ((mut frames, a_end), (b_frames, b_end)) = (a?, b?);
    frames.extend(b_frames);
    frames.sort_by_key(|(_, t, _)| *t);
    Ok(Transcript {
        frames,
        ends: vec![(Dir::ClientToServer, a_end), (Dir::ServerToClient, b_end)],
    })
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    dir: Dir,
    start: Instant,
    keep: usize,
) -> std::io::Result<(Vec<(Dir, u64, Decoded)>, u64)> {
    let mut reader = FrameReader::keeping(keep);
    let mut frames = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let t = start.elapsed().as_micros() as u64;
        for decoded in reader.push(&buf[..n]) {
            frames.push((dir, t, decoded));
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let end = start.elapsed().as_micros() as u64;
    let _ = to.shutdown().await;
    Ok((frames, end))
}
