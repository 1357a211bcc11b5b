//! Replay: the frames one side sent in a recorded transcript, sent again to a fresh live peer,
//! and what the peer sends back compared with what the transcript recorded.
//!
//! The comparison is not byte for byte: it tolerates exactly the differences SPEC.md lets two
//! correct runs of the same exchange have (listed in `vectors/README.md`, "Replay"):
//!
//! - how a sender cuts its bytes into DATA frames ([FLOW-3]): DATA is compared per stream as
//!   one byte string plus its SYN and FIN;
//! - how a receiver coalesces its credit ([FLOW-6]): WNDINC frames are not compared, only
//!   checked never to credit more than was sent on the stream ([FLOW-7]);
//! - how many RSTs answer late frames ([STREAM-8] lets a peer omit repeats): RSTs are compared
//!   per stream as the set of codes;
//! - a repeated empty FIN ([STREAM-7], Go's [INTEROP-10]): ignored; so is whether the peer
//!   sends FIN on a stream the replayed side reset ([STREAM-12] allows the empty FIN);
//! - a GOAWAY the peer sends after the replayed side ended the connection: Go writes one
//!   (`PEER_EOF`) that races with the close and normally gets lost ([ERR-2]);
//! - the interleaving of different streams and all timing ([ID-8]).
//!
//! The replayer keeps the recording's causality: before it sends a frame, it waits until the
//! live peer has sent (on each stream, in the terms above) at least what the recorded peer had
//! sent before that frame, and until the frame fits in the send window the recorded sender had
//! ([FLOW-3]). It keeps the recorded schedule: no frame goes out earlier (after the first)
//! than it did in the recording, and when waiting for the peer made the replay late, the
//! rest of the schedule moves by as much, since some peers' behaviour depends on how writes
//! are spread in time (an accept loop that starts late, [INTEROP-3]).
//!
//! One job a file: this one reads a transcript into a [`Recording`]; `frame.rs` sends and
//! describes a transcript frame; `compare.rs` is the model of what each direction sent and
//! the comparison that tolerates what SPEC.md allows; `live.rs` is the live loop, [`replay`].

mod compare;
mod frame;
mod live;

pub use compare::{Diff, Topic};
pub use frame::{describe, encode};
pub use live::{Options, Report, replay};

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::Role;
use crate::record::Dir;
use crate::transcript::{FrameRecord, TranscriptFile};

/// A transcript loaded for replay.
#[derive(Clone, Debug)]
pub struct Recording {
    /// Its title.
    pub title: String,
    /// The scenario both sides played, if the transcript says.
    pub scenario: Option<String>,
    /// The client's implementation, if the transcript says.
    pub client: Option<String>,
    /// The server's implementation, if the transcript says.
    pub server: Option<String>,
    /// Frames and stream ends, in recorded order.
    pub entries: Vec<Entry>,
}

/// One frame, or the end of one direction's bytes.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Which way.
    pub dir: Dir,
    /// Microseconds since the recording started.
    pub t_us: u64,
    /// The frame object; `None` for the end of the direction.
    pub frame: Option<FrameRecord>,
}

impl Recording {
    /// Reads a JSON transcript file.
    pub fn load(path: &Path) -> Result<Recording, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let file =
            TranscriptFile::from_json_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Recording::from_file(file))
    }

    /// Reads a JSON transcript.
    pub fn from_json(json: &Value) -> Result<Recording, String> {
        let file = TranscriptFile::deserialize(json).map_err(|e| e.to_string())?;
        file.check()?;
        Ok(Recording::from_file(file))
    }

    /// A transcript read for replay.
    pub fn from_file(file: TranscriptFile) -> Recording {
        Recording {
            title: file.title,
            scenario: file.scenario,
            client: file.client,
            server: file.server,
            entries: file
                .frames
                .into_iter()
                .map(|e| Entry {
                    dir: e.dir,
                    t_us: e.t_us,
                    frame: e.frame,
                })
                .collect(),
        }
    }

    /// The side the reference implementation played, if the transcript names one.
    pub fn reference_side(&self) -> Option<Role> {
        if self.client.as_deref() == Some("reference") {
            Some(Role::Client)
        } else if self.server.as_deref() == Some("reference") {
            Some(Role::Server)
        } else {
            None
        }
    }
}

pub(super) fn dir_of(role: Role) -> Dir {
    match role {
        Role::Client => Dir::ClientToServer,
        Role::Server => Dir::ServerToClient,
    }
}
