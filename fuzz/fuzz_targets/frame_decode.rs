//! Arbitrary bytes into the streaming frame decoder, fed in arbitrary chunk sizes. The first
//! two input bytes choose the chunking, the rest is the byte stream. Checks: decoding never
//! panics; chunking never changes the frames or the violation; the header-then-body path a
//! session uses (`decode_header` + `decode_body`) agrees with `decode_frame`; an "incomplete"
//! answer is never contradicted before the bytes it asked for arrived (SPEC [FRAME-6]); every
//! frame decoded re-encodes (known types) to bytes that decode to the same frame.

#![no_main]

use libfuzzer_sys::fuzz_target;
use muxado_fuzz::{Chunker, Decoded, OwnedFrame, decode_all};
use muxado_reference::frame::{
    DecodeError, Frame, HEADER_LEN, decode_body, decode_frame, decode_header,
};

fuzz_target!(|input: &[u8]| {
    if input.len() < 2 {
        return;
    }
    let seed = u16::from_le_bytes([input[0], input[1]]);
    let stream = &input[2..];

    let whole = decode_all(stream);
    assert_eq!(whole, chunked(stream, seed), "chunking changed the result");
    assert_eq!(
        whole,
        two_phase(stream),
        "decode_header + decode_body disagree"
    );

    // Re-encoding: a decoded frame of a known type encodes (reserved bits and unknown flags
    // cleared, SPEC [FRAME-4] [FRAME-9]) to bytes that decode to the same frame.
    let mut offset = 0;
    while let Ok((frame, used)) = decode_frame(&stream[offset..]) {
        offset += used;
        if !frame.frame_type().is_known() {
            continue;
        }
        let mut bytes = Vec::new();
        frame.encode(&mut bytes).expect("a decoded frame encodes");
        assert_eq!(bytes.len(), used, "re-encoded length");
        let (again, again_used) = decode_frame(&bytes).expect("re-encoded frame decodes");
        assert_eq!(again_used, used);
        assert_eq!(OwnedFrame::of(&again), OwnedFrame::of(&frame));
    }
});

/// Decodes `stream` as a transport delivers it: a growing buffer, one chunk at a time.
fn chunked(stream: &[u8], seed: u16) -> Decoded {
    let mut chunker = Chunker::new(seed);
    let mut buf: Vec<u8> = Vec::new();
    let mut frames = Vec::new();
    let mut fed = 0;
    // After "incomplete, need n", no other answer may come before `buf.len()` reaches this.
    let mut promised = 0;
    while fed < stream.len() {
        let n = chunker.next_size().min(stream.len() - fed);
        buf.extend_from_slice(&stream[fed..fed + n]);
        fed += n;
        loop {
            match decode_frame(&buf) {
                Ok((frame, used)) => {
                    assert!(buf.len() >= promised, "frame before the bytes asked for");
                    frames.push(OwnedFrame::of(&frame));
                    buf.drain(..used);
                    promised = 0;
                }
                Err(DecodeError::Incomplete { needed }) => {
                    let target = buf.len() + needed.get();
                    assert!(target >= promised, "incomplete asked for fewer bytes");
                    promised = target;
                    break;
                }
                Err(DecodeError::Violation(v)) => {
                    assert!(
                        buf.len() >= promised,
                        "violation before the bytes asked for"
                    );
                    return Decoded {
                        frames,
                        violation: Some(v),
                        trailing: 0,
                    };
                }
            }
        }
    }
    Decoded {
        frames,
        violation: None,
        trailing: buf.len(),
    }
}

/// Decodes `stream` the way a session does: the header alone first, then the body.
fn two_phase(stream: &[u8]) -> Decoded {
    let mut offset = 0;
    let mut frames = Vec::new();
    loop {
        let rest = &stream[offset..];
        let stop = |violation| Decoded {
            frames: frames.clone(),
            violation,
            trailing: if violation.is_some() { 0 } else { rest.len() },
        };
        if rest.is_empty() {
            return stop(None);
        }
        let header = match decode_header(rest) {
            Ok(header) => header,
            Err(DecodeError::Violation(v)) => return stop(Some(v)),
            Err(DecodeError::Incomplete { needed }) => {
                assert_eq!(
                    needed.get(),
                    HEADER_LEN - rest.len(),
                    "header need is exact"
                );
                return stop(None);
            }
        };
        let body = &rest[HEADER_LEN..];
        let frame: Frame<'_> = match decode_body(&header, body) {
            Ok(frame) => frame,
            Err(DecodeError::Violation(v)) => return stop(Some(v)),
            Err(DecodeError::Incomplete { needed }) => {
                assert_eq!(
                    needed.get(),
                    header.length as usize - body.len(),
                    "body need is exact"
                );
                return stop(None);
            }
        };
        frames.push(OwnedFrame::of(&frame));
        offset += HEADER_LEN + header.length as usize;
    }
}
