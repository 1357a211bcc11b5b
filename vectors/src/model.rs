//! The frame-vector JSON format, as serde types.

use std::fmt;
use std::path::Path;

use muxado_testkit::hex::{HexError, from_hex};
use serde::Deserialize;

/// A file of frame vectors (`vectors/frames/*.json`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorFile {
    /// Always `muxado-frame-vectors`.
    pub schema: String,
    /// Always 1.
    pub schema_version: u32,
    /// What the file covers.
    pub title: String,
    /// The vectors, in file order.
    pub vectors: Vec<FrameVector>,
}

/// Why a vector file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid vector file.
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl VectorFile {
    /// Reads and parses a vector file, checking its schema name and version.
    pub fn load(path: &Path) -> Result<VectorFile, LoadError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
            path: name.clone(),
            source,
        })?;
        let file: VectorFile = serde_json::from_str(&text).map_err(|e| LoadError::Format {
            path: name.clone(),
            message: e.to_string(),
        })?;
        if file.schema != "muxado-frame-vectors" || file.schema_version != 1 {
            return Err(LoadError::Format {
                path: name,
                message: format!(
                    "unsupported schema {} v{}",
                    file.schema, file.schema_version
                ),
            });
        }
        Ok(file)
    }
}

/// Wycheproof's tri-state result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expectation {
    /// Every conforming decoder accepts the input.
    Valid,
    /// Every conforming decoder rejects the input.
    Invalid,
    /// A conforming decoder may accept or reject; the reference accepts.
    Acceptable,
}

/// One frame vector.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameVector {
    /// Stable id.
    pub id: String,
    /// What the vector is.
    pub description: String,
    /// SPEC requirement ids checked.
    pub requirements: Vec<String>,
    /// Input bytes.
    pub hex: Hex,
    /// Bytes appended to `hex`.
    pub fill: Option<Fill>,
    /// Expected result.
    pub result: Expectation,
    /// Why `acceptable`, or notable properties.
    #[serde(default)]
    pub flags: Vec<String>,
    /// Frames decoded before the end or the error.
    pub frames: Vec<ExpectedFrame>,
    /// The input ends inside a frame.
    pub incomplete: Option<Incomplete>,
    /// Canonical re-encoding, when it differs from the input.
    pub encoded: Option<Hex>,
    /// The violation, for `invalid` vectors.
    pub error: Option<ExpectedError>,
    /// Go deviations; checked by `interop/go`, not here.
    #[serde(default)]
    pub go: Vec<serde_json::Value>,
}

impl FrameVector {
    /// The input bytes: `hex` then `fill`.
    pub fn input(&self) -> Vec<u8> {
        let mut bytes = self.hex.0.clone();
        if let Some(fill) = &self.fill {
            bytes.extend(fill.bytes());
        }
        bytes
    }
}

/// `{"needed": N}`.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Incomplete {
    /// Bytes still missing.
    pub needed: usize,
}

/// `{"requirement": "RST-1", "code": "FRAME_SIZE_ERROR"}`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedError {
    /// The SPEC requirement violated.
    pub requirement: String,
    /// The GOAWAY error code's name.
    pub code: String,
}

/// A byte string written in hex, spaces allowed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Hex(pub Vec<u8>);

impl<'de> Deserialize<'de> for Hex {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Hex, D::Error> {
        let text = String::deserialize(d)?;
        parse_hex(&text).map(Hex).map_err(serde::de::Error::custom)
    }
}

impl fmt::Debug for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

/// Bytes as plain lowercase hex, as vectors write them.
pub use muxado_testkit::hex::to_hex;

/// Parses hex, ignoring spaces (vectors group long byte strings with them).
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: String = text.chars().filter(|c| *c != ' ').collect();
    from_hex(&digits).map_err(|e| match e {
        HexError::OddLength(_) => format!("odd number of hex digits in {text:?}"),
        HexError::BadDigit(at) => {
            let pair = &digits.as_bytes()[at / 2 * 2..(at / 2 * 2 + 2).min(digits.len())];
            format!("bad hex {:?}", String::from_utf8_lossy(pair))
        }
    })
}

/// Writes bytes as hex, eliding the middle of long strings.
pub fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    const SHOWN: usize = 32;
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    if bytes.len() <= 2 * SHOWN {
        write!(f, "\"{}\"", hex(bytes))
    } else {
        let tail = &bytes[bytes.len() - SHOWN..];
        write!(
            f,
            "\"{}..({} bytes)..{}\"",
            hex(&bytes[..SHOWN]),
            bytes.len(),
            hex(tail)
        )
    }
}

/// `{"byte": "61", "count": N}`: N copies of one byte.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fill {
    /// The byte, as two hex digits.
    pub byte: Hex,
    /// How many.
    pub count: usize,
}

impl Fill {
    /// The bytes this fill stands for.
    pub fn bytes(&self) -> Vec<u8> {
        vec![self.byte.0.first().copied().unwrap_or(0); self.count]
    }
}

/// A frame as a vector writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedFrame {
    /// `RST`, `DATA`, `WNDINC`, `GOAWAY` or `UNKNOWN`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The decoded stream id.
    pub stream_id: u32,
    /// The raw flags field.
    pub flags: u8,
    /// The header's length field.
    pub length: u32,
    /// RST, GOAWAY.
    pub error_code: Option<u32>,
    /// WNDINC.
    pub increment: Option<u32>,
    /// GOAWAY.
    pub last_stream_id: Option<u32>,
    /// UNKNOWN.
    pub type_code: Option<u8>,
    /// DATA, UNKNOWN.
    pub payload: Option<Hex>,
    /// DATA, UNKNOWN.
    pub payload_fill: Option<Fill>,
    /// GOAWAY.
    pub debug: Option<Hex>,
    /// GOAWAY.
    pub debug_fill: Option<Fill>,
}

/// The comparable content of a frame, whether expected by a vector or produced by a decoder.
#[derive(Clone, PartialEq, Eq)]
pub struct FrameView {
    /// `RST`, `DATA`, `WNDINC`, `GOAWAY` or `UNKNOWN`.
    pub kind: String,
    /// Type code for unknown frames.
    pub type_code: Option<u8>,
    /// Stream id.
    pub stream_id: u32,
    /// Raw flags field.
    pub flags: u8,
    /// Length field.
    pub length: u32,
    /// RST and GOAWAY error code.
    pub error_code: Option<u32>,
    /// WNDINC increment.
    pub increment: Option<u32>,
    /// GOAWAY last stream id.
    pub last_stream_id: Option<u32>,
    /// DATA and UNKNOWN payload, GOAWAY debug data.
    pub body: Vec<u8>,
}

impl From<&ExpectedFrame> for FrameView {
    fn from(f: &ExpectedFrame) -> FrameView {
        let body = [&f.payload, &f.debug]
            .into_iter()
            .flatten()
            .map(|h| h.0.clone())
            .chain(
                [&f.payload_fill, &f.debug_fill]
                    .into_iter()
                    .flatten()
                    .map(Fill::bytes),
            )
            .next()
            .unwrap_or_default();
        FrameView {
            kind: f.kind.clone(),
            type_code: f.type_code,
            stream_id: f.stream_id,
            flags: f.flags,
            length: f.length,
            error_code: f.error_code,
            increment: f.increment,
            last_stream_id: f.last_stream_id,
            body,
        }
    }
}

impl fmt::Debug for FrameView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if let Some(t) = self.type_code {
            write!(f, "({t:#x})")?;
        }
        write!(
            f,
            " stream_id={:#x} flags={:#x} length={}",
            self.stream_id, self.flags, self.length
        )?;
        if let Some(c) = self.error_code {
            write!(f, " error_code={c:#x}")?;
        }
        if let Some(i) = self.increment {
            write!(f, " increment={i}")?;
        }
        if let Some(l) = self.last_stream_id {
            write!(f, " last_stream_id={l:#x}")?;
        }
        if !self.body.is_empty() {
            f.write_str(" body=")?;
            write_hex(f, &self.body)?;
        }
        Ok(())
    }
}
