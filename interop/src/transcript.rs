//! The transcript format (`vectors/README.md`, "Transcripts"; `vectors/transcript.schema.json`):
//! what the recording proxy writes and a replay reads, as serde types.
//!
//! Fields are declared in alphabetical order, the order the files were written in while they
//! were built as untyped JSON maps, so that a transcript serialised again is byte for byte the
//! file it was read from.

use serde::{Deserialize, Serialize};

/// The value of a transcript's `schema` field.
pub const SCHEMA: &str = "muxado-transcript";
/// The transcript format's version.
pub const SCHEMA_VERSION: u32 = 1;

/// The `schema` field: only `muxado-transcript` is a transcript.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Schema {
    /// `muxado-transcript`.
    #[default]
    #[serde(rename = "muxado-transcript")]
    MuxadoTranscript,
}

/// A transcript file: one recorded session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranscriptFile {
    /// The implementation on the client side (`reference`, `go-v2.0.2`, ...), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// Frames and the ends of each direction's bytes, in time order.
    pub frames: Vec<Event>,
    /// The `interop/SCENARIOS.md` scenario both sides played, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    /// Always `muxado-transcript`.
    pub schema: Schema,
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The implementation on the server side, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// One line for people.
    #[serde(default)]
    pub title: String,
}

impl TranscriptFile {
    /// Reads a transcript from JSON text, refusing another schema version.
    pub fn from_json_str(text: &str) -> Result<TranscriptFile, String> {
        let file: TranscriptFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
        file.check()?;
        Ok(file)
    }

    /// The transcript as pretty JSON with a final newline, as files keep it.
    pub fn to_json_string(&self) -> String {
        serde_json::to_string_pretty(self).expect("a transcript serialises") + "\n"
    }

    /// What JSON Schema cannot say of a transcript read with serde: its version, and that each
    /// event is a frame or an end, not both or neither.
    pub fn check(&self) -> Result<(), String> {
        if self.schema_version != SCHEMA_VERSION {
            return Err(format!(
                "transcript schema_version {}, expected {SCHEMA_VERSION}",
                self.schema_version
            ));
        }
        for (i, event) in self.frames.iter().enumerate() {
            if event.end == event.frame.is_some() {
                return Err(format!("entry {i}: neither a frame nor an end, or both"));
            }
        }
        Ok(())
    }
}

/// Which way a frame went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Dir {
    /// Client to server.
    #[serde(rename = "c2s")]
    ClientToServer,
    /// Server to client.
    #[serde(rename = "s2c")]
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

/// One entry of `frames`: a frame, or the end of one direction's bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Which way.
    pub dir: Dir,
    /// That direction's byte stream ended (its sender closed or the connection broke).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub end: bool,
    /// The frame, unless this is an end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame: Option<FrameRecord>,
    /// Microseconds since the proxy accepted the client.
    pub t_us: u64,
}

/// A frame in the JSON form of the frame vectors, or the violation that stopped decoding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FrameRecord {
    /// A decoded frame.
    Frame(FrameFields),
    /// The frame rule the direction broke; nothing after it was decoded.
    Violation {
        /// Which rule, and the GOAWAY code it calls for.
        error: Violation,
    },
}

impl FrameRecord {
    /// The frame, unless this is a violation.
    pub fn frame(&self) -> Option<&FrameFields> {
        match self {
            FrameRecord::Frame(f) => Some(f),
            FrameRecord::Violation { .. } => None,
        }
    }
}

/// `{"requirement": "RST-1", "code": "FRAME_SIZE_ERROR"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Violation {
    /// The GOAWAY error code's name (`null` for a code without one).
    pub code: Option<String>,
    /// The SPEC.md requirement broken.
    pub requirement: String,
}

/// A frame's type as transcripts name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FrameKind {
    /// `DATA`.
    #[serde(rename = "DATA")]
    Data,
    /// `RST`.
    #[serde(rename = "RST")]
    Rst,
    /// `WNDINC`.
    #[serde(rename = "WNDINC")]
    WndInc,
    /// `GOAWAY`.
    #[serde(rename = "GOAWAY")]
    GoAway,
    /// A type SPEC.md does not define (its code in `type_code`).
    #[serde(rename = "UNKNOWN")]
    Unknown,
}

/// The fields of a frame object. Bodies (`payload` of DATA and unknown frames, `debug` of
/// GOAWAY) are hex, or over the recorder's limit `*_len` and `*_fnv` (FNV-1a 64, hex).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameFields {
    /// GOAWAY: the debug data, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debug: Option<String>,
    /// GOAWAY: the debug data's hash, when kept by hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debug_fnv: Option<String>,
    /// GOAWAY: the debug data's length, when kept by hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debug_len: Option<u64>,
    /// RST and GOAWAY: the error code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<u32>,
    /// The header's flags.
    pub flags: u8,
    /// WNDINC: the increment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub increment: Option<u32>,
    /// GOAWAY: the last stream id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_stream_id: Option<u32>,
    /// The header's length: the body's bytes.
    pub length: u32,
    /// DATA and unknown types: the payload, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// The payload's hash, when kept by hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_fnv: Option<String>,
    /// The payload's length, when kept by hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_len: Option<u64>,
    /// The header's stream id.
    pub stream_id: u32,
    /// The frame's type.
    #[serde(rename = "type")]
    pub kind: FrameKind,
    /// Unknown types: the type code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_code: Option<u8>,
}

impl FrameFields {
    /// A frame with no body fields: `kind` on `stream_id`.
    pub fn new(kind: FrameKind, stream_id: u32, flags: u8, length: u32) -> FrameFields {
        FrameFields {
            debug: None,
            debug_fnv: None,
            debug_len: None,
            error_code: None,
            flags,
            increment: None,
            last_stream_id: None,
            length,
            payload: None,
            payload_fnv: None,
            payload_len: None,
            stream_id,
            kind,
            type_code: None,
        }
    }

    /// The hex of a body (`payload` or `debug`) kept whole, if it was.
    pub fn body_hex(&self, body: Body) -> Option<&str> {
        match body {
            Body::Payload => self.payload.as_deref(),
            Body::Debug => self.debug.as_deref(),
        }
    }

    /// The hash of a body kept by hash, if it was.
    pub fn body_fnv(&self, body: Body) -> Option<&str> {
        match body {
            Body::Payload => self.payload_fnv.as_deref(),
            Body::Debug => self.debug_fnv.as_deref(),
        }
    }

    /// The length of a body kept by hash, if it was.
    pub fn body_len(&self, body: Body) -> Option<u64> {
        match body {
            Body::Payload => self.payload_len,
            Body::Debug => self.debug_len,
        }
    }

    /// Keeps a body whole as hex, or by length and hash when longer than `keep` bytes.
    pub fn set_body(&mut self, body: Body, bytes: &[u8], keep: usize) {
        let (hex, len, fnv) = if bytes.len() <= keep {
            (Some(muxado_testkit::hex::to_hex(bytes)), None, None)
        } else {
            let fnv = muxado_testkit::fnv::fnv1a_hex(bytes);
            (None, Some(bytes.len() as u64), Some(fnv))
        };
        match body {
            Body::Payload => (self.payload, self.payload_len, self.payload_fnv) = (hex, len, fnv),
            Body::Debug => (self.debug, self.debug_len, self.debug_fnv) = (hex, len, fnv),
        }
    }
}

/// A frame's body field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// `payload`: DATA and unknown types.
    Payload,
    /// `debug`: GOAWAY.
    Debug,
}

impl Body {
    /// The field's name.
    pub fn key(self) -> &'static str {
        match self {
            Body::Payload => "payload",
            Body::Debug => "debug",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame, an end and a violation read and write back as the same JSON.
    ///
    /// checks: tooling
    #[test]
    fn events_round_trip() {
        let text = r#"{
  "frames": [
    {
      "dir": "c2s",
      "frame": {
        "flags": 2,
        "length": 4,
        "payload": "70696e67",
        "stream_id": 3,
        "type": "DATA"
      },
      "t_us": 412
    },
    {
      "dir": "s2c",
      "frame": {
        "error": {
          "code": "FRAME_SIZE_ERROR",
          "requirement": "RST-1"
        }
      },
      "t_us": 500
    },
    {
      "dir": "c2s",
      "end": true,
      "t_us": 1003711
    }
  ],
  "schema": "muxado-transcript",
  "schema_version": 1,
  "title": ""
}
"#;
        let file = TranscriptFile::from_json_str(text).unwrap();
        assert_eq!(file.to_json_string(), text);
        assert!(file.frames[1].frame.as_ref().unwrap().frame().is_none());
    }

    /// Other schemas, versions, unknown fields and entries neither frame nor end are refused.
    ///
    /// checks: tooling
    #[test]
    fn refuses_what_is_no_transcript() {
        let with = |schema: &str, version: u32, entry: &str| {
            TranscriptFile::from_json_str(&format!(
                r#"{{"schema": "{schema}", "schema_version": {version}, "frames": [{entry}]}}"#
            ))
        };
        let end = r#"{"dir": "c2s", "t_us": 1, "end": true}"#;
        assert!(with("muxado-transcript", 1, end).is_ok());
        assert!(with("muxado-session-vectors", 1, end).is_err());
        assert!(with("muxado-transcript", 2, end).is_err());
        assert!(with("muxado-transcript", 1, r#"{"dir": "c2s", "t_us": 1}"#).is_err());
        assert!(
            with(
                "muxado-transcript",
                1,
                r#"{"dir": "x", "t_us": 1, "end": true}"#
            )
            .is_err()
        );
        assert!(
            with(
                "muxado-transcript",
                1,
                r#"{"dir": "c2s", "t_us": 1, "end": true, "extra": 1}"#
            )
            .is_err()
        );
    }
}
