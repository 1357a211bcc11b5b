//! Properties of the codec, checked with quickcheck on generated frames and bytes.

use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};

use super::*;

/// A valid frame that owns its bytes, so quickcheck can generate and shrink it.
#[derive(Clone, Debug, PartialEq)]
enum OwnedFrame {
    Rst(Rst),
    Data {
        stream_id: StreamId,
        fin: bool,
        syn: bool,
        payload: Vec<u8>,
    },
    WndInc(WndInc),
    GoAway {
        last_stream_id: StreamId,
        error_code: ErrorCode,
        debug: Vec<u8>,
    },
}

impl OwnedFrame {
    fn as_frame(&self) -> Frame<'_> {
        match self {
            OwnedFrame::Rst(f) => Frame::Rst(*f),
            OwnedFrame::Data {
                stream_id,
                fin,
                syn,
                payload,
            } => Frame::Data(Data {
                stream_id: *stream_id,
                fin: *fin,
                syn: *syn,
                payload,
            }),
            OwnedFrame::WndInc(f) => Frame::WndInc(*f),
            OwnedFrame::GoAway {
                last_stream_id,
                error_code,
                debug,
            } => Frame::GoAway(GoAway {
                last_stream_id: *last_stream_id,
                error_code: *error_code,
                debug,
            }),
        }
    }

    fn from_frame(frame: &Frame<'_>) -> OwnedFrame {
        match *frame {
            Frame::Rst(f) => OwnedFrame::Rst(f),
            Frame::Data(f) => OwnedFrame::Data {
                stream_id: f.stream_id,
                fin: f.fin,
                syn: f.syn,
                payload: f.payload.to_vec(),
            },
            Frame::WndInc(f) => OwnedFrame::WndInc(f),
            Frame::GoAway(f) => OwnedFrame::GoAway {
                last_stream_id: f.last_stream_id,
                error_code: f.error_code,
                debug: f.debug.to_vec(),
            },
            Frame::Unknown(_) => panic!("generated streams hold no unknown frames"),
        }
    }
}

/// Values near the edges of a range come up often; the middle sometimes.
fn edgy(g: &mut Gen, min: u32, max: u32) -> u32 {
    let choices = [min, min.saturating_add(1), max.saturating_sub(1), max];
    if bool::arbitrary(g) {
        *g.choose(&choices).unwrap()
    } else {
        let span = u64::from(max - min) + 1;
        min + (u64::from(u32::arbitrary(g)) % span) as u32
    }
}

fn bytes(g: &mut Gen) -> Vec<u8> {
    let len = usize::arbitrary(g) % 96;
    (0..len).map(|_| u8::arbitrary(g)).collect()
}

impl Arbitrary for OwnedFrame {
    fn arbitrary(g: &mut Gen) -> OwnedFrame {
        let stream_id = StreamId::new(edgy(g, 1, StreamId::MAX.get()));
        match u8::arbitrary(g) % 4 {
            0 => OwnedFrame::Rst(Rst {
                stream_id,
                error_code: ErrorCode(edgy(g, 0, u32::MAX)),
            }),
            1 => OwnedFrame::Data {
                stream_id,
                fin: bool::arbitrary(g),
                syn: bool::arbitrary(g),
                payload: bytes(g),
            },
            2 => OwnedFrame::WndInc(WndInc {
                stream_id,
                increment: edgy(g, 1, MAX_INCREMENT),
            }),
            _ => OwnedFrame::GoAway {
                last_stream_id: StreamId::new(edgy(g, 0, StreamId::MAX.get())),
                error_code: ErrorCode(edgy(g, 0, u32::MAX)),
                debug: bytes(g),
            },
        }
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = OwnedFrame>> {
        match self.clone() {
            OwnedFrame::Data {
                stream_id,
                fin,
                syn,
                payload,
            } => Box::new(payload.shrink().map(move |payload| OwnedFrame::Data {
                stream_id,
                fin,
                syn,
                payload,
            })),
            OwnedFrame::GoAway {
                last_stream_id,
                error_code,
                debug,
            } => Box::new(debug.shrink().map(move |debug| OwnedFrame::GoAway {
                last_stream_id,
                error_code,
                debug,
            })),
            _ => Box::new(std::iter::empty()),
        }
    }
}

fn encode_all(frames: &[OwnedFrame]) -> Vec<u8> {
    let mut wire = Vec::new();
    for frame in frames {
        frame
            .as_frame()
            .encode(&mut wire)
            .expect("generated frames are valid");
    }
    wire
}

/// Decodes a byte stream delivered in the given chunks, the way a driver does: buffer what
/// arrived, take every whole frame out, keep the rest.
fn decode_chunked(chunks: &[&[u8]]) -> (Vec<OwnedFrame>, Option<DecodeError>) {
    let mut buffer = Vec::new();
    let mut frames = Vec::new();
    for chunk in chunks {
        buffer.extend_from_slice(chunk);
        loop {
            match decode_frame(&buffer) {
                Ok((frame, used)) => {
                    frames.push(OwnedFrame::from_frame(&frame));
                    buffer.drain(..used);
                }
                Err(DecodeError::Incomplete { .. }) => break,
                Err(err) => return (frames, Some(err)),
            }
        }
    }
    let tail = (!buffer.is_empty()).then(|| decode_frame(&buffer).unwrap_err());
    (frames, tail)
}

fn quickcheck() -> QuickCheck {
    QuickCheck::new().tests(10_000)
}

/// checks: [FRAME-1] [FRAME-2] [FRAME-3] [FRAME-4] [RST-3] [DATA-2] [DATA-3] [WNDINC-3] [GOAWAY-3] [GOAWAY-4]
#[test]
fn decode_inverts_encode() {
    fn prop(frame: OwnedFrame) -> bool {
        let wire = encode_all(std::slice::from_ref(&frame));
        let (decoded, used) = decode_frame(&wire).expect("valid frame decodes");
        used == wire.len()
            && wire.len() == frame.as_frame().encoded_len()
            && OwnedFrame::from_frame(&decoded) == frame
    }
    quickcheck().quickcheck(prop as fn(OwnedFrame) -> bool);
}

/// checks: [FRAME-6] [FRAME-8] [FRAME-10]
#[test]
fn decoding_arbitrary_bytes_never_panics() {
    fn prop(input: Vec<u8>) -> bool {
        let mut frames = Frames::new(&input);
        let mut count = 0;
        for item in frames.by_ref() {
            count += 1;
            if let Ok(frame) = item {
                // Whatever decodes re-encodes, unless it is a type or bit senders must not use.
                let mut wire = Vec::new();
                let _ = frame.encode(&mut wire);
                let _ = frame.to_string();
            }
        }
        frames.offset() <= input.len() && count <= input.len() / HEADER_LEN + 1
    }
    quickcheck().quickcheck(prop as fn(Vec<u8>) -> bool);
}

/// Structured garbage: valid headers of every type with random lengths and ids, so that the
/// checks of section 4 are exercised far more often than by uniform bytes.
/// checks: [FRAME-7] [FRAME-11] [RST-1] [RST-2] [DATA-1] [WNDINC-1] [WNDINC-2] [WNDINC-4] [GOAWAY-1] [GOAWAY-2]
#[test]
fn header_checks_follow_the_spec_order() {
    fn prop(type_flags: u8, length: u8, word: u32, body: Vec<u8>) -> TestResult {
        let length = u32::from(length % 12);
        let mut input = vec![0, 0, length as u8, type_flags, 0, 0, 0, 0];
        input[4..8].copy_from_slice(&word.to_be_bytes());
        input.extend_from_slice(&body);
        let frame_type = type_flags >> 4;
        let zero_id = word & 0x7FFF_FFFF == 0;
        let expected_header_violation = match frame_type {
            0 if length != 4 => Some("RST-1"),
            0 if zero_id => Some("RST-2"),
            1 if zero_id => Some("DATA-1"),
            2 if length != 4 => Some("WNDINC-1"),
            2 if zero_id => Some("WNDINC-2"),
            3 if length < 8 => Some("GOAWAY-1"),
            3 if !zero_id => Some("GOAWAY-2"),
            _ => None,
        };
        let result = decode_frame(&input);
        match (expected_header_violation, result) {
            // [FRAME-6] judged on the header alone, whatever the body holds.
            (Some(id), Err(DecodeError::Violation(v))) => {
                TestResult::from_bool(v.requirement() == id)
            }
            (Some(_), _) => TestResult::failed(),
            (None, Err(DecodeError::Incomplete { needed })) => {
                TestResult::from_bool(body.len() + needed.get() == length as usize)
            }
            (None, Err(DecodeError::Violation(v))) => TestResult::from_bool(
                frame_type == 2
                    && v.requirement() == "WNDINC-4"
                    && body[..4]
                        .iter()
                        .enumerate()
                        .all(|(i, b)| if i == 0 { b & 0x7F == 0 } else { *b == 0 }),
            ),
            (None, Ok((frame, used))) => TestResult::from_bool(
                used == HEADER_LEN + length as usize && frame.frame_type().get() == frame_type,
            ),
        }
    }
    quickcheck().quickcheck(prop as fn(u8, u8, u32, Vec<u8>) -> TestResult);
}

/// checks: [FRAME-1] [FRAME-6]
#[test]
fn splitting_a_stream_anywhere_yields_the_same_frames() {
    fn prop(mut frames: Vec<OwnedFrame>) -> bool {
        // Every split point of a few frames covers every boundary case; more frames add time only.
        frames.truncate(4);
        let wire = encode_all(&frames);
        (0..=wire.len()).all(|split| {
            let (head, tail) = wire.split_at(split);
            decode_chunked(&[head, tail]) == (frames.clone(), None)
        })
    }
    QuickCheck::new()
        .tests(500)
        .quickcheck(prop as fn(Vec<OwnedFrame>) -> bool);
}

/// checks: [FRAME-1] [FRAME-6]
#[test]
fn any_chunking_yields_the_same_frames() {
    fn prop(frames: Vec<OwnedFrame>, cuts: Vec<u8>) -> bool {
        let wire = encode_all(&frames);
        let mut chunks = Vec::new();
        let mut rest = &wire[..];
        for cut in cuts {
            let (chunk, tail) = rest.split_at((cut as usize).min(rest.len()));
            chunks.push(chunk);
            rest = tail;
        }
        chunks.push(rest);
        decode_chunked(&chunks) == (frames, None)
    }
    quickcheck().quickcheck(prop as fn(Vec<OwnedFrame>, Vec<u8>) -> bool);
}

/// The decoder asks for exactly the bytes still missing, so a driver can read precisely them.
/// checks: [FRAME-6]
#[test]
fn incomplete_names_exactly_the_missing_bytes() {
    fn prop(frame: OwnedFrame) -> bool {
        let wire = encode_all(std::slice::from_ref(&frame));
        (0..wire.len()).all(|have| {
            let want = if have < HEADER_LEN {
                HEADER_LEN - have
            } else {
                wire.len() - have
            };
            matches!(decode_frame(&wire[..have]),
                Err(DecodeError::Incomplete { needed }) if needed.get() == want)
        })
    }
    QuickCheck::new()
        .tests(2_000)
        .quickcheck(prop as fn(OwnedFrame) -> bool);
}

/// The encoder refuses every frame a receiver would reject, naming the rule.
/// checks: [FRAME-2] [FRAME-4] [FRAME-12] [RST-2] [DATA-1] [WNDINC-2] [WNDINC-3] [WNDINC-4] [GOAWAY-3]
#[test]
fn encoder_refuses_invalid_frames() {
    let big = vec![0u8; MAX_BODY_LEN + 1];
    let reserved = StreamId::new(0x8000_0003);
    let cases: Vec<(Frame<'_>, &str)> = vec![
        (
            Frame::Data(Data {
                stream_id: StreamId::new(3),
                fin: false,
                syn: false,
                payload: &big,
            }),
            "[FRAME-2]",
        ),
        (
            Frame::GoAway(GoAway {
                last_stream_id: StreamId::ZERO,
                error_code: ErrorCode::NO_ERROR,
                debug: &big[8..],
            }),
            "[FRAME-2]",
        ),
        (
            Frame::Data(Data {
                stream_id: reserved,
                fin: false,
                syn: true,
                payload: b"",
            }),
            "[FRAME-4]",
        ),
        (
            Frame::Rst(Rst {
                stream_id: reserved,
                error_code: ErrorCode::NO_ERROR,
            }),
            "[FRAME-4]",
        ),
        (
            Frame::GoAway(GoAway {
                last_stream_id: reserved,
                error_code: ErrorCode::NO_ERROR,
                debug: b"",
            }),
            "[FRAME-4]",
        ),
        (
            Frame::Rst(Rst {
                stream_id: StreamId::ZERO,
                error_code: ErrorCode::NO_ERROR,
            }),
            "[RST-2]",
        ),
        (
            Frame::Data(Data {
                stream_id: StreamId::ZERO,
                fin: true,
                syn: false,
                payload: b"",
            }),
            "[DATA-1]",
        ),
        (
            Frame::WndInc(WndInc {
                stream_id: StreamId::ZERO,
                increment: 1,
            }),
            "[WNDINC-2]",
        ),
        (
            Frame::WndInc(WndInc {
                stream_id: StreamId::new(2),
                increment: 0,
            }),
            "[WNDINC-4]",
        ),
        (
            Frame::WndInc(WndInc {
                stream_id: StreamId::new(2),
                increment: 0x8000_0000,
            }),
            "[WNDINC-3]",
        ),
        (
            Frame::Unknown(Unknown {
                frame_type: FrameType::from_nibble(7),
                flags: Flags::NONE,
                stream_id: StreamId::new(1),
                payload: b"",
            }),
            "[FRAME-12]",
        ),
    ];
    for (frame, rule) in cases {
        let mut wire = vec![0xAA];
        let err = frame
            .encode(&mut wire)
            .expect_err("invalid frame must be refused");
        assert!(
            err.to_string().contains(rule),
            "{frame:?}: {err} should cite {rule}"
        );
        assert_eq!(wire, [0xAA], "a refused frame writes nothing");
    }
}

/// checks: [FRAME-3] [GOAWAY-4]
#[test]
fn display_prints_one_line_per_frame() {
    let cases: Vec<(Frame<'_>, &str)> = vec![
        (
            Frame::Data(Data {
                stream_id: StreamId::new(3),
                fin: true,
                syn: true,
                payload: b"hello",
            }),
            "DATA stream_id=0x3 length=5 flags=0x3 SYN FIN",
        ),
        (
            Frame::Rst(Rst {
                stream_id: StreamId::new(4),
                error_code: ErrorCode::STREAM_CLOSED,
            }),
            "RST stream_id=0x4 length=4 flags=0x0 error_code=STREAM_CLOSED (0x4)",
        ),
        (
            Frame::WndInc(WndInc {
                stream_id: StreamId::new(5),
                increment: 1024,
            }),
            "WNDINC stream_id=0x5 length=4 flags=0x0 increment=1024",
        ),
        (
            Frame::GoAway(GoAway {
                last_stream_id: StreamId::new(1),
                error_code: ErrorCode(0x1234),
                debug: b"no error\n",
            }),
            "GOAWAY stream_id=0x0 length=17 flags=0x0 last_stream_id=0x1 error_code=0x1234 debug=\"no error\\n\"",
        ),
        (
            Frame::Unknown(Unknown {
                frame_type: FrameType::from_nibble(0xC),
                flags: Flags::from_nibble(5),
                stream_id: StreamId::new(9),
                payload: b"ab",
            }),
            "UNKNOWN(0xc) stream_id=0x9 length=2 flags=0x5",
        ),
    ];
    for (frame, line) in cases {
        assert_eq!(frame.to_string(), line);
    }
}

/// Decoding borrows DATA payloads and GOAWAY debug data from the input instead of copying.
/// checks: [DATA-2] [GOAWAY-4]
#[test]
fn payloads_borrow_from_the_input() {
    let mut wire = Vec::new();
    Frame::Data(Data {
        stream_id: StreamId::new(3),
        fin: false,
        syn: false,
        payload: &[7; 100],
    })
    .encode(&mut wire)
    .unwrap();
    let (Frame::Data(data), _) = decode_frame(&wire).unwrap() else {
        panic!("not DATA")
    };
    assert!(std::ptr::eq(
        data.payload.as_ptr(),
        wire[HEADER_LEN..].as_ptr()
    ));
}
