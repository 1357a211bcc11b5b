//! Runs frame vectors through the reference codec: decode, and re-encode what decoded.

use std::fmt::Write as _;

use muxado_reference::frame::{self, DecodeError, EncodeError, Frame, Frames};

use crate::model::{Expectation, FrameVector, FrameView};

/// What the reference codec did with a vector's input.
#[derive(Debug)]
pub struct Observed {
    /// Frames decoded, in order.
    pub frames: Vec<FrameView>,
    /// Bytes those frames span.
    pub consumed: usize,
    /// How decoding stopped: `None` at the end of the input.
    pub stop: Option<DecodeError>,
    /// The frames re-encoded (unknown types copied from the input, since encoders refuse them).
    pub reencoded: Result<Vec<u8>, EncodeError>,
}

/// Decodes `input` to the end or the first error, and re-encodes what decoded.
pub fn observe(input: &[u8]) -> Observed {
    let mut frames = Frames::new(input);
    let mut views = Vec::new();
    let mut reencoded = Ok(Vec::new());
    let mut stop = None;
    let mut start = 0;
    for item in frames.by_ref() {
        match item {
            Ok(decoded) => {
                let header = frame::decode_header(&input[start..])
                    .expect("decoded frame has a valid header");
                let length = decoded.encoded_len();
                views.push(view(&decoded, header.flags.get(), header.length));
                if let Ok(out) = &mut reencoded {
                    if let Err(err) = encode_or_copy(&decoded, &input[start..start + length], out) {
                        reencoded = Err(err);
                    }
                }
                start += length;
            }
            Err(err) => stop = Some(err),
        }
    }
    Observed {
        frames: views,
        consumed: frames.offset(),
        stop,
        reencoded,
    }
}

fn encode_or_copy(frame: &Frame<'_>, raw: &[u8], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    match frame.encode(out) {
        // [FRAME-12] encoders refuse unknown types; the vector still round-trips its bytes.
        Err(EncodeError::UnknownType { .. }) => {
            out.extend_from_slice(raw);
            Ok(())
        }
        other => other,
    }
}

pub(crate) fn view(decoded: &Frame<'_>, flags: u8, length: u32) -> FrameView {
    let mut v = FrameView {
        kind: decoded.frame_type().name().to_string(),
        type_code: None,
        stream_id: decoded.stream_id().get(),
        flags,
        length,
        error_code: None,
        increment: None,
        last_stream_id: None,
        body: Vec::new(),
    };
    match decoded {
        Frame::Rst(f) => v.error_code = Some(f.error_code.0),
        Frame::Data(f) => v.body = f.payload.to_vec(),
        Frame::WndInc(f) => v.increment = Some(f.increment),
        Frame::GoAway(f) => {
            v.error_code = Some(f.error_code.0);
            v.last_stream_id = Some(f.last_stream_id.get());
            v.body = f.debug.to_vec();
        }
        Frame::Unknown(f) => {
            v.type_code = Some(f.frame_type.get());
            v.body = f.payload.to_vec();
        }
    }
    v
}

/// Checks one vector against the reference codec; `Err` lists every mismatch.
pub fn check(vector: &FrameVector) -> Result<(), String> {
    let input = vector.input();
    let got = observe(&input);
    let want: Vec<FrameView> = vector.frames.iter().map(FrameView::from).collect();
    let mut problems = String::new();
    if got.frames != want {
        let _ = write!(
            problems,
            "\n  frames: expected {want:?}\n          got      {:?}",
            got.frames
        );
    }
    match (vector.result, &vector.error, &vector.incomplete, &got.stop) {
        (Expectation::Invalid, Some(e), None, Some(DecodeError::Violation(v)))
            if v.requirement() == e.requirement
                && v.error_code().name() == Some(e.code.as_str()) => {}
        (Expectation::Invalid, Some(e), _, stop) => {
            let _ = write!(
                problems,
                "\n  expected violation [{}] {}, got {stop:?}",
                e.requirement, e.code
            );
        }
        (_, None, Some(inc), Some(DecodeError::Incomplete { needed }))
            if needed.get() == inc.needed => {}
        (_, None, None, None) => {}
        (_, _, inc, stop) => {
            let _ = write!(
                problems,
                "\n  expected end {:?}, got {stop:?}",
                inc.map(|i| i.needed)
            );
        }
    }
    if vector.result != Expectation::Invalid {
        let expected = match &vector.encoded {
            Some(hex) => hex.0.clone(),
            None => input[..got.consumed].to_vec(),
        };
        match &got.reencoded {
            Ok(bytes) if *bytes == expected => {}
            Ok(bytes) => {
                let _ = write!(
                    problems,
                    "\n  re-encoding: expected {:?}\n               got      {:?}",
                    crate::model::Hex(expected),
                    crate::model::Hex(bytes.clone())
                );
            }
            Err(err) => {
                let _ = write!(problems, "\n  re-encoding refused: {err}");
            }
        }
    }
    if vector.result == Expectation::Acceptable && vector.flags.is_empty() {
        problems.push_str("\n  an acceptable vector must say why in `flags`");
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}
