//! Frame-aware recording: a TCP proxy that passes bytes through untouched and logs every frame
//! in both directions, as a JSON transcript and as a human-readable frame log; and the decoder
//! behind it, also used by `muxado-interop decode` on hex dumps and raw files.

use std::time::Instant;

use muxado_reference::frame::{self, DecodeError, Frame};
use muxado_testkit::fnv::fnv1a_hex;
use muxado_testkit::hex::{from_hex, to_hex};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Payloads up to this size are kept whole in transcripts; longer ones by length and hash.
const KEEP_PAYLOAD: usize = 4096;

/// Which way a frame went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// Client to server.
    ClientToServer,
    /// Server to client.
    ServerToClient,
}

impl Dir {
    /// `c2s` or `s2c`, as in transcripts.
    pub fn label(self) -> &'static str {
        match self {
            Dir::ClientToServer => "c2s",
            Dir::ServerToClient => "s2c",
        }
    }
}

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

/// One decoded frame or the violation that stopped decoding, as a JSON object in the frame
/// vector format (`vectors/README.md`) plus the log line.
#[derive(Clone, Debug)]
pub struct Decoded {
    /// The frame (or `{"error": ...}`) as JSON.
    pub json: Value,
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
                        json: frame_json_keeping(&frame, self.keep),
                        line: frame.to_string(),
                    });
                    used += n;
                }
                Err(DecodeError::Incomplete { .. }) => break,
                Err(DecodeError::Violation(v)) => {
                    out.push(Decoded {
                        json: json!({"error": {"requirement": v.requirement(), "code": v.error_code().name()}}),
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

fn body(key: &str, bytes: &[u8], keep: usize, obj: &mut serde_json::Map<String, Value>) {
    if bytes.len() <= keep {
        obj.insert(key.into(), Value::String(to_hex(bytes)));
    } else {
        obj.insert(format!("{key}_len"), json!(bytes.len()));
        obj.insert(format!("{key}_fnv"), json!(fnv1a_hex(bytes)));
    }
}

/// A frame in the JSON form of the frame vectors, bodies over 4096 bytes by length and hash.
pub fn frame_json(frame: &Frame<'_>) -> Value {
    frame_json_keeping(frame, KEEP_PAYLOAD)
}

/// A frame in the JSON form of the frame vectors, bodies over `keep` bytes by length and hash.
pub fn frame_json_keeping(frame: &Frame<'_>, keep: usize) -> Value {
    let mut obj = serde_json::Map::new();
    let kind = if frame.frame_type().is_known() {
        frame.frame_type().name()
    } else {
        "UNKNOWN"
    };
    obj.insert("type".into(), json!(kind));
    obj.insert("stream_id".into(), json!(frame.stream_id().get()));
    obj.insert("flags".into(), json!(frame.flags().get()));
    obj.insert("length".into(), json!(frame.body_len()));
    match frame {
        Frame::Rst(f) => {
            obj.insert("error_code".into(), json!(f.error_code.0));
        }
        Frame::Data(f) => body("payload", f.payload, keep, &mut obj),
        Frame::WndInc(f) => {
            obj.insert("increment".into(), json!(f.increment));
        }
        Frame::GoAway(f) => {
            obj.insert("last_stream_id".into(), json!(f.last_stream_id.get()));
            obj.insert("error_code".into(), json!(f.error_code.0));
            body("debug", f.debug, keep, &mut obj);
        }
        Frame::Unknown(f) => {
            obj.insert("type_code".into(), json!(f.frame_type.get()));
            body("payload", f.payload, keep, &mut obj);
        }
    }
    Value::Object(obj)
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
    /// The JSON transcript (`vectors/README.md`, "Transcripts"): frames and ends in time order.
    pub fn to_json(&self, about: &About) -> Value {
        let mut entries: Vec<(u64, Value)> = self
            .frames
            .iter()
            .map(|(dir, t, d)| (*t, json!({"dir": dir.label(), "t_us": t, "frame": d.json})))
            .collect();
        for (dir, t) in &self.ends {
            entries.push((*t, json!({"dir": dir.label(), "t_us": t, "end": true})));
        }
        entries.sort_by_key(|(t, _)| *t);
        let mut out =
            json!({"schema": "muxado-transcript", "schema_version": 1, "title": about.title});
        for (key, value) in [
            ("scenario", &about.scenario),
            ("client", &about.client),
            ("server", &about.server),
        ] {
            if let Some(value) = value {
                out[key] = json!(value);
            }
        }
        out["frames"] = Value::Array(entries.into_iter().map(|(_, v)| v).collect());
        out
    }

    /// Keeps the bodies of frames sent in `dir` only by length and hash when they are longer
    /// than `keep` bytes: for the direction a replay compares but never sends.
    pub fn hash_bodies(&mut self, dir: Dir, keep: usize) {
        for (_, _, decoded) in self.frames.iter_mut().filter(|(d, ..)| *d == dir) {
            let Value::Object(obj) = &mut decoded.json else {
                continue;
            };
            for key in ["payload", "debug"] {
                let Some(Value::String(hex)) = obj.get(key) else {
                    continue;
                };
                if hex.len() / 2 <= keep {
                    continue;
                }
                let Ok(bytes) = from_hex(hex) else {
                    continue;
                };
                obj.remove(key);
                obj.insert(format!("{key}_len"), json!(bytes.len()));
                obj.insert(format!("{key}_fnv"), json!(fnv1a_hex(&bytes)));
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
