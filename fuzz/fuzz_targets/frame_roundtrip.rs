//! An arbitrary valid frame encodes and decodes to itself; an arbitrary frame built from raw,
//! unchecked fields either encodes (and then round-trips) or is refused with `dst` untouched.

#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use muxado_fuzz::{OwnedFrame, ValidFrame, frame_type, small_bytes};
use muxado_reference::frame::{
    Data, ErrorCode, Flags, Frame, GoAway, Rst, StreamId, Unknown, WndInc, decode_frame,
};

fuzz_target!(|input: &[u8]| {
    let mut u = Unstructured::new(input);
    while let Ok(valid) = ValidFrame::arbitrary(&mut u) {
        let frame = valid.frame();
        let bytes = valid.encode();
        assert_eq!(bytes.len(), frame.encoded_len());
        let (decoded, used) = decode_frame(&bytes).expect("a valid frame decodes");
        assert_eq!(used, bytes.len());
        assert_eq!(decoded, frame, "decode(encode(frame)) == frame");

        if let Ok(raw) = raw_frame(&mut u) {
            check_raw(&raw);
        }
        if u.is_empty() {
            break;
        }
    }
});

/// Frame fields with no constraint at all: any stream id (reserved bit included), any type.
#[derive(Debug)]
struct RawFrame {
    kind: u8,
    flags: u8,
    stream_id: u32,
    value: u32,
    bytes: Vec<u8>,
}

fn raw_frame(u: &mut Unstructured<'_>) -> arbitrary::Result<RawFrame> {
    Ok(RawFrame {
        kind: u.int_in_range(0..=5)?,
        flags: u8::arbitrary(u)?,
        stream_id: u32::arbitrary(u)?,
        value: u32::arbitrary(u)?,
        bytes: small_bytes(u, 40)?,
    })
}

fn check_raw(raw: &RawFrame) {
    let stream_id = StreamId::new(raw.stream_id);
    let frame = match raw.kind {
        0 => Frame::Rst(Rst {
            stream_id,
            error_code: ErrorCode(raw.value),
        }),
        1 => Frame::Data(Data {
            stream_id,
            fin: raw.flags & 1 != 0,
            syn: raw.flags & 2 != 0,
            payload: &raw.bytes,
        }),
        2 => Frame::WndInc(WndInc {
            stream_id,
            increment: raw.value,
        }),
        3 => Frame::GoAway(GoAway {
            last_stream_id: stream_id,
            error_code: ErrorCode(raw.value),
            debug: &raw.bytes,
        }),
        _ => Frame::Unknown(Unknown {
            frame_type: frame_type(4 + raw.flags % 12),
            flags: Flags::from_nibble(raw.flags >> 4),
            stream_id,
            payload: &raw.bytes,
        }),
    };
    let mut dst = vec![0xAA];
    match frame.encode(&mut dst) {
        Ok(()) => {
            assert!(frame.check().is_ok());
            let (decoded, used) = decode_frame(&dst[1..]).expect("an encoded frame decodes");
            assert_eq!(used, dst.len() - 1);
            assert_eq!(OwnedFrame::of(&decoded), OwnedFrame::of(&frame));
        }
        Err(err) => {
            assert_eq!(frame.check(), Err(err));
            assert_eq!(dst, [0xAA], "a refused frame leaves dst untouched");
            // The refusal is right: each SPEC rule the encoder cites is really broken.
            match frame {
                Frame::Unknown(_) => {}
                Frame::GoAway(f) => assert!(!f.last_stream_id.is_valid()),
                Frame::WndInc(f) => assert!(
                    f.stream_id.is_zero()
                        || !f.stream_id.is_valid()
                        || f.increment == 0
                        || f.increment > 0x7FFF_FFFF
                ),
                other => assert!(other.stream_id().is_zero() || !other.stream_id().is_valid()),
            }
        }
    }
}
