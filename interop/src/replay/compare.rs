//! What one direction sent, normalised to the terms SPEC.md lets two correct runs share, and
//! the comparison of the recorded peer with the live one (see the module docs of `replay`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use muxado_testkit::fnv::fnv1a_hex as fnv;
use muxado_testkit::hex::from_hex;

use super::frame::describe;
use crate::transcript::{Body, FrameKind, FrameRecord};

/// Part of a stream's bytes: known, or known by length and hash.
#[derive(Clone, Debug)]
pub(super) enum Piece {
    Bytes(Vec<u8>),
    Hashed { len: u64, fnv: String },
}

/// What one direction sent on one stream, in the terms the comparison uses.
#[derive(Clone, Debug, Default)]
pub(super) struct StreamView {
    pub(super) syn: bool,
    pub(super) pieces: Vec<Piece>,
    pub(super) len: u64,
    pub(super) fin: bool,
    pub(super) rst_codes: BTreeSet<u32>,
    pub(super) credit: u64,
    pub(super) after_end: u64,
    pub(super) lines: Vec<String>,
}

impl StreamView {
    pub(super) fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for piece in &self.pieces {
            if let Piece::Bytes(b) = piece {
                out.extend_from_slice(b);
            }
        }
        out
    }
}

/// Everything one direction sent, normalised (see the module docs).
#[derive(Clone, Debug, Default)]
pub(super) struct View {
    pub(super) streams: BTreeMap<u32, StreamView>,
    pub(super) goaways: Vec<String>,
    /// GOAWAYs sent after the other side ended the connection: not compared ([ERR-2]).
    pub(super) late_goaways: Vec<String>,
    pub(super) others: Vec<String>,
    pub(super) ended: bool,
    /// The other side has ended the connection.
    pub(super) other_ended: bool,
}

impl View {
    pub(super) fn apply(&mut self, entry: Option<&FrameRecord>) {
        let Some(record) = entry else {
            self.ended = true;
            return;
        };
        let line = describe(record);
        let Some(frame) = record.frame() else {
            self.others.push(line);
            return;
        };
        let id = frame.stream_id;
        match frame.kind {
            FrameKind::Data => {
                let stream = self.streams.entry(id).or_default();
                stream.lines.push(line);
                let len = u64::from(frame.length);
                let (syn, fin) = (frame.flags & 2 != 0, frame.flags & 1 != 0);
                if stream.fin || !stream.rst_codes.is_empty() {
                    // [STREAM-7] an empty FIN after the end is ignored; anything else is late.
                    if !(len == 0 && fin && !syn) {
                        stream.after_end += len.max(1);
                    }
                    return;
                }
                stream.syn |= syn;
                if len > 0 {
                    stream
                        .pieces
                        .push(match frame.body_hex(Body::Payload).map(from_hex) {
                            Some(Ok(bytes)) => Piece::Bytes(bytes),
                            _ => Piece::Hashed {
                                len,
                                fnv: frame.payload_fnv.clone().unwrap_or_default(),
                            },
                        });
                    stream.len += len;
                }
                stream.fin |= fin;
            }
            FrameKind::Rst => {
                let stream = self.streams.entry(id).or_default();
                stream.lines.push(line);
                stream.rst_codes.insert(frame.error_code.unwrap_or(0));
            }
            FrameKind::WndInc => {
                let stream = self.streams.entry(id).or_default();
                stream.credit += u64::from(frame.increment.unwrap_or(0));
            }
            FrameKind::GoAway if self.other_ended => self.late_goaways.push(line),
            FrameKind::GoAway => self.goaways.push(line),
            FrameKind::Unknown => self.others.push(line),
        }
    }

    /// What this (live) view has not sent yet of what `recorded` had, WNDINC aside and
    /// FINs on streams in `reset` (which the other side reset).
    pub(super) fn covers(&self, recorded: &View, reset: &BTreeSet<u32>) -> Option<(Topic, String)> {
        let empty = StreamView::default();
        for (id, want) in &recorded.streams {
            let have = self.streams.get(id).unwrap_or(&empty);
            if want.syn && !have.syn {
                return Some((Topic::Stream(*id), format!("the SYN of stream {id}")));
            }
            if have.len < want.len {
                return Some((
                    Topic::Stream(*id),
                    format!("{} bytes on stream {id} (has {})", want.len, have.len),
                ));
            }
            if want.fin && !have.fin && !reset.contains(id) {
                return Some((Topic::Stream(*id), format!("the FIN of stream {id}")));
            }
            if !want.rst_codes.is_empty() && have.rst_codes.is_empty() {
                return Some((Topic::Stream(*id), format!("an RST of stream {id}")));
            }
        }
        if self.goaways.len() < recorded.goaways.len() {
            return Some((Topic::GoAway, "a GOAWAY".into()));
        }
        if self.others.len() < recorded.others.len() {
            return Some((Topic::Other, recorded.others[self.others.len()].clone()));
        }
        if recorded.ended && !self.ended {
            return Some((
                Topic::Transport,
                "the end of its bytes (it closed the connection)".into(),
            ));
        }
        None
    }

    pub(super) fn credit(&self, id: u32) -> u64 {
        self.streams.get(&id).map_or(0, |s| s.credit)
    }

    pub(super) fn is_reset(&self, id: u32) -> bool {
        self.streams
            .get(&id)
            .is_some_and(|s| !s.rst_codes.is_empty())
    }
}

pub(super) fn compare_bytes(recorded: &StreamView, live: &[u8]) -> Option<String> {
    let mut offset = 0usize;
    for piece in &recorded.pieces {
        match piece {
            Piece::Bytes(want) => {
                let have = &live[offset..offset + want.len()];
                if let Some(i) = want.iter().zip(have).position(|(a, b)| a != b) {
                    return Some(format!("bytes differ from offset {}", offset + i));
                }
                offset += want.len();
            }
            Piece::Hashed { len, fnv: want } => {
                let end = offset + *len as usize;
                if fnv(&live[offset..end]) != *want {
                    return Some(format!("bytes {offset}..{end} differ (hash)"));
                }
                offset = end;
            }
        }
    }
    None
}

pub(super) fn lines(prefix: &str, lines: &[String]) -> String {
    const SHOWN: usize = 8;
    let mut out: Vec<String> = lines
        .iter()
        .take(SHOWN)
        .map(|l| format!("    {prefix} {l}"))
        .collect();
    if lines.len() > SHOWN {
        out.push(format!("    {prefix} … {} more", lines.len() - SHOWN));
    }
    if out.is_empty() {
        out.push(format!("    {prefix} (nothing)"));
    }
    out.join("\n")
}

/// The differences between what the peer sent in the recording and live: one entry per
/// stream or session-level item, each with the recorded (`-`) and live (`+`) frames.
pub(super) fn compare(
    recorded: &View,
    live: &View,
    sent: &HashMap<u32, u64>,
    reset: &BTreeSet<u32>,
) -> Vec<Diff> {
    let mut diffs = Vec::new();
    let empty = StreamView::default();
    let ids: BTreeSet<u32> = recorded
        .streams
        .keys()
        .chain(live.streams.keys())
        .copied()
        .collect();
    for id in ids {
        let want = recorded.streams.get(&id).unwrap_or(&empty);
        let have = live.streams.get(&id).unwrap_or(&empty);
        let mut problems = Vec::new();
        if want.syn != have.syn {
            problems.push(format!("SYN recorded {} live {}", want.syn, have.syn));
        }
        if want.len != have.len {
            problems.push(format!("{} bytes recorded, {} live", want.len, have.len));
        } else if let Some(problem) = compare_bytes(want, &have.bytes()) {
            problems.push(problem);
        }
        if want.fin != have.fin && !reset.contains(&id) {
            problems.push(format!("FIN recorded {} live {}", want.fin, have.fin));
        }
        if want.rst_codes != have.rst_codes {
            problems.push(format!(
                "RST codes recorded {:?} live {:?}",
                want.rst_codes, have.rst_codes
            ));
        }
        if (want.after_end > 0) != (have.after_end > 0) {
            problems.push(format!(
                "data after the stream ended: recorded {} bytes, live {}",
                want.after_end, have.after_end
            ));
        }
        let given = sent.get(&id).copied().unwrap_or(0);
        if have.credit > given {
            problems.push(format!(
                "credited {} bytes but was sent {given} ([FLOW-7])",
                have.credit
            ));
        }
        if !problems.is_empty() {
            diffs.push(Diff::of_lines(
                Topic::Stream(id),
                format!("stream {id}: {}", problems.join("; ")),
                &want.lines,
                &have.lines,
            ));
        }
    }
    for (topic, what, want, have) in [
        (Topic::GoAway, "GOAWAY", &recorded.goaways, &live.goaways),
        (Topic::Other, "other", &recorded.others, &live.others),
    ] {
        if want != have {
            let what = format!("{what} frames differ");
            diffs.push(Diff::of_lines(topic, what, want, have));
        }
    }
    diffs
}

/// What a difference is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic {
    /// The frames of one stream.
    Stream(u32),
    /// The GOAWAY frames.
    GoAway,
    /// Frames of unknown types, or a frame rule broken.
    Other,
    /// The connection itself (it could not be written, or was not closed).
    Transport,
}

/// One difference between the recorded and the live peer that the SPEC does not allow.
#[derive(Clone, Debug)]
pub struct Diff {
    /// What it is about.
    pub topic: Topic,
    /// The difference, with the recorded (`-`) and live (`+`) frames where there are frames.
    pub text: String,
    /// The live peer sent nothing at all of this topic.
    pub live_silent: bool,
}

impl Diff {
    /// A difference shown as `what`, then the recorded (`-`) and the live (`+`) frame lines.
    fn of_lines(topic: Topic, what: String, recorded: &[String], live: &[String]) -> Diff {
        Diff {
            topic,
            text: format!("{what}\n{}\n{}", lines("-", recorded), lines("+", live)),
            live_silent: live.is_empty(),
        }
    }
}

impl std::fmt::Display for Diff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}
