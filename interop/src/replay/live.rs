//! The live loop: sends the recorded side's frames to a fresh peer, keeping the recording's
//! causality, send window and schedule, and collects what the peer sends back.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::compare::{Diff, Topic, View, compare};
use super::frame::{describe, encode};
use super::{Recording, dir_of};
use crate::Role;
use crate::record::FrameReader;
use crate::transcript::{FrameKind, FrameRecord};

/// How to replay.
#[derive(Clone, Debug)]
pub struct Options {
    /// The side whose frames are sent; the peer plays the other.
    pub side: Role,
    /// The window size the recorded sender had: the replayer never sends more than it would
    /// have ([FLOW-3]).
    pub window: u32,
    /// The longest wait for the peer before one frame (and at the end).
    pub wait: Duration,
    /// How long to keep listening after the peer sent everything recorded, for extra frames.
    pub linger: Duration,
}

/// What a replay found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Frames sent to the peer.
    pub sent: usize,
    /// Frames received from the peer.
    pub received: usize,
    /// The differences the SPEC does not allow, each a frame-level diff. Empty: the peer
    /// behaved as recorded.
    pub diffs: Vec<Diff>,
    /// The peer's frames, one line each.
    pub log: Vec<String>,
}

enum Live {
    Frame(FrameRecord),
    End,
}

/// Replays `recording`'s `options.side` over `tcp` and compares the peer's frames.
pub async fn replay(recording: &Recording, options: &Options, tcp: TcpStream) -> Report {
    let _ = tcp.set_nodelay(true);
    let mine = dir_of(options.side);
    let (mut rd, mut wr) = tcp.into_split();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        let mut frames = FrameReader::keeping(usize::MAX);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    for decoded in frames.push(&buf[..n]) {
                        let _ = tx.send(Live::Frame(decoded.frame));
                    }
                }
            }
        }
        let _ = tx.send(Live::End);
    });

    let mut report = Report::default();
    let mut live = View::default();
    let mut recorded = View::default();
    let mut whole = View::default();
    let mut reset = BTreeSet::new();
    for entry in &recording.entries {
        match &entry.frame {
            _ if entry.dir != mine => whole.apply(entry.frame.as_ref()),
            None => whole.other_ended = true,
            Some(FrameRecord::Frame(frame)) if frame.kind == FrameKind::Rst => {
                reset.insert(frame.stream_id);
            }
            Some(_) => {}
        }
    }
    let mut sent: HashMap<u32, u64> = HashMap::new();
    // Live time of recorded time 0 (when the recording started); moves later when the peer
    // keeps the replay waiting.
    let mut origin: Option<Instant> = None;
    let receive = |live: &mut View, report: &mut Report, item: Live| match item {
        Live::Frame(frame) => {
            report.received += 1;
            report.log.push(describe(&frame));
            live.apply(Some(&frame));
        }
        Live::End => live.apply(None),
    };

    for (index, entry) in recording.entries.iter().enumerate() {
        if entry.dir != mine {
            recorded.apply(entry.frame.as_ref());
            continue;
        }
        let data = entry
            .frame
            .as_ref()
            .and_then(FrameRecord::frame)
            .filter(|f| f.kind == FrameKind::Data)
            .map(|f| (f.stream_id, u64::from(f.length)));
        // Wait for causality and for send window.
        let deadline = Instant::now() + options.wait;
        loop {
            while let Ok(item) = rx.try_recv() {
                receive(&mut live, &mut report, item);
            }
            let missing = live.covers(&recorded, &reset).or_else(|| {
                let (id, len) = data?;
                let used = sent.get(&id).copied().unwrap_or(0) + len;
                let allowed = u64::from(options.window) + live.credit(id);
                (used > allowed && !live.is_reset(id)).then(|| {
                    let what = format!("window credit for {len} bytes on stream {id}");
                    (Topic::Stream(id), format!("{what} ({used} > {allowed})"))
                })
            });
            let Some((topic, missing)) = missing else {
                break;
            };
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, rx.recv()).await {
                Ok(Some(item)) => receive(&mut live, &mut report, item),
                Ok(None) | Err(_) => {
                    let live_silent = match topic {
                        Topic::Stream(id) => !live.streams.contains_key(&id),
                        Topic::GoAway => live.goaways.is_empty(),
                        Topic::Other => live.others.is_empty(),
                        Topic::Transport => !live.ended,
                    };
                    report.diffs.push(Diff {
                        topic,
                        text: format!(
                            "before sending entry {index} ({}), waited {:?} for the peer to send {missing}",
                            entry.frame.as_ref().map_or("end".into(), describe),
                            options.wait
                        ),
                        live_silent,
                    });
                    break;
                }
            }
        }
        if !report.diffs.is_empty() {
            break;
        }
        // Keep the recorded schedule, or slip it when late.
        let now = Instant::now();
        let at = Duration::from_micros(entry.t_us);
        let start = *origin.get_or_insert_with(|| now.checked_sub(at).unwrap_or(now));
        let due = start + at;
        if due > now {
            tokio::time::sleep_until(due.into()).await;
        } else {
            origin = Some(start + (now - due));
        }
        match &entry.frame {
            None => {
                let _ = wr.shutdown().await;
                recorded.other_ended = true;
                live.other_ended = true;
            }
            Some(frame) => match encode(frame) {
                Ok(bytes) => {
                    if let Some((id, len)) = data {
                        *sent.entry(id).or_default() += len;
                    }
                    if let Err(err) = wr.write_all(&bytes).await {
                        report.diffs.push(Diff {
                            topic: Topic::Transport,
                            text: format!(
                                "sending entry {index} ({}) failed: {err}",
                                describe(frame)
                            ),
                            live_silent: false,
                        });
                        break;
                    }
                    report.sent += 1;
                }
                Err(err) => {
                    report.diffs.push(Diff {
                        topic: Topic::Transport,
                        text: format!("entry {index} cannot be replayed: {err}"),
                        live_silent: false,
                    });
                    break;
                }
            },
        }
    }

    // Everything the recorded peer sent, then a short linger for extra frames.
    let deadline = Instant::now() + options.wait;
    while live.covers(&whole, &reset).is_some() {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(item)) => receive(&mut live, &mut report, item),
            Ok(None) | Err(_) => break,
        }
    }
    let linger = Instant::now() + options.linger;
    while !live.ended {
        let left = linger.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(item)) => receive(&mut live, &mut report, item),
            Ok(None) | Err(_) => break,
        }
    }
    drop(wr);
    reader.abort();
    report.diffs.extend(compare(&whole, &live, &sent, &reset));
    report
}
