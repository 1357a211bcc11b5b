//! The frames of a script on the wire: those the peer sends, built by hand from their fields
//! ([`encode`]), those the script expects, as the lanes compare them (`seen_of`), and those
//! the implementation sent, decoded with the reference codec ([`decode_all`]).

use muxado_reference::frame::Frames;

use super::malformed;
use crate::judge::Seen;
use crate::model::FrameView;
use crate::session_model::{WireFrame, bytes_of};

pub(super) fn encode_all(frames: &[WireFrame]) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    for frame in frames {
        bytes.extend(encode(frame)?);
    }
    Ok(bytes)
}

/// An expected frame as the lanes see it: payload patterns and `debug_any` kept as wildcards.
pub(super) fn seen_of(frame: &WireFrame) -> Result<Seen, String> {
    let (type_code, body) = parts(frame)?;
    if frame.debug_any && frame.kind != "GOAWAY" {
        return Err(malformed("debug_any on a frame that is not a GOAWAY"));
    }
    let view = FrameView {
        kind: frame.kind.clone(),
        type_code: (type_code > 3).then_some(type_code),
        stream_id: frame.stream_id,
        flags: frame.flags,
        length: body.len() as u32,
        error_code: frame.error_code,
        increment: frame.increment,
        last_stream_id: frame.last_stream_id,
        body: match frame.kind.as_str() {
            "GOAWAY" => body[8..].to_vec(),
            "DATA" | "UNKNOWN" => body,
            _ => Vec::new(),
        },
    };
    let pattern = match &frame.payload_pattern {
        Some(p) => self::pattern(p)?,
        None => view.body.iter().copied().map(Some).collect(),
    };
    Ok(Seen {
        view,
        pattern,
        debug_any: frame.debug_any,
    })
}

/// The type code and body of a script frame, checking that the fields its type needs are
/// there and that `length`, if given, matches.
fn parts(frame: &WireFrame) -> Result<(u8, Vec<u8>), String> {
    let need = |v: Option<u32>, field: &str| {
        v.ok_or_else(|| malformed(&format!("{} frame without {field}", frame.kind)))
    };
    let (type_code, body) = match frame.kind.as_str() {
        "RST" => (
            0,
            need(frame.error_code, "error_code")?.to_be_bytes().to_vec(),
        ),
        "DATA" => match &frame.payload_pattern {
            Some(p) => (1, pattern(p)?.iter().map(|b| b.unwrap_or(0)).collect()),
            None => (1, bytes_of(&frame.payload, &frame.payload_fill)),
        },
        "WNDINC" => (
            2,
            need(frame.increment, "increment")?.to_be_bytes().to_vec(),
        ),
        "GOAWAY" => {
            let mut body = need(frame.last_stream_id, "last_stream_id")?
                .to_be_bytes()
                .to_vec();
            body.extend(need(frame.error_code, "error_code")?.to_be_bytes());
            body.extend(bytes_of(&frame.debug, &frame.debug_fill));
            (3, body)
        }
        "UNKNOWN" => match frame.type_code {
            Some(t @ 4..=15) => (t, bytes_of(&frame.payload, &frame.payload_fill)),
            other => {
                return Err(malformed(&format!(
                    "UNKNOWN frame with type_code {other:?}"
                )));
            }
        },
        other => return Err(malformed(&format!("frame type {other:?}"))),
    };
    if let Some(length) = frame.length {
        if length as usize != body.len() && !frame.debug_any {
            return Err(malformed(&format!(
                "{} frame with length {length} and a {}-byte body",
                frame.kind,
                body.len()
            )));
        }
    }
    if frame.flags > 0xF || frame.stream_id > 0x7FFF_FFFF || body.len() > 0xFF_FFFF {
        return Err(malformed(&format!(
            "{} frame with flags {:#x}, stream id {:#x}, {} body bytes",
            frame.kind,
            frame.flags,
            frame.stream_id,
            body.len()
        )));
    }
    Ok((type_code, body))
}

/// A `payload_pattern`: hex bytes, `..` for any byte.
fn pattern(p: &str) -> Result<Vec<Option<u8>>, String> {
    if p.len() % 2 != 0 {
        return Err(malformed("payload_pattern of odd length"));
    }
    (0..p.len())
        .step_by(2)
        .map(|i| match &p[i..i + 2] {
            ".." => Ok(None),
            hex => u8::from_str_radix(hex, 16)
                .map(Some)
                .map_err(|_| malformed(&format!("payload_pattern byte {hex:?}"))),
        })
        .collect()
}

/// The bytes of a frame the peer sends, built by hand (SPEC section 3.1): any field values,
/// including those a conforming encoder refuses.
pub fn encode(frame: &WireFrame) -> Result<Vec<u8>, String> {
    if frame.debug_any || frame.payload_pattern.is_some() {
        return Err(malformed("debug_any or payload_pattern in a frame to send"));
    }
    let (type_code, body) = parts(frame)?;
    let mut out = Vec::with_capacity(8 + body.len());
    out.extend(&(body.len() as u32).to_be_bytes()[1..]);
    out.push(type_code << 4 | frame.flags);
    out.extend(frame.stream_id.to_be_bytes());
    out.extend(body);
    Ok(out)
}

/// Decodes every frame of `bytes` with the reference codec; the second value describes what
/// stopped decoding before the end, if anything did.
pub fn decode_all(bytes: &[u8]) -> (Vec<FrameView>, Option<String>) {
    let mut frames = Frames::new(bytes);
    let mut views = Vec::new();
    let mut stop = None;
    let mut start = 0;
    for item in frames.by_ref() {
        match item {
            Ok(frame) => {
                let length = frame.body_len() as u32;
                views.push(crate::run::view(&frame, bytes[start + 3] & 0xF, length));
                start += frame.encoded_len();
            }
            Err(e) => stop = Some(format!("undecodable output: {e}")),
        }
    }
    (views, stop)
}
