//! A transcript frame object sent again (its wire bytes) and described in one line for diffs.

use muxado_reference::frame::ErrorCode;
use muxado_testkit::hex::{from_hex, to_hex};
use muxado_vectors::model::Hex;
use muxado_vectors::session_model::WireFrame;

use crate::transcript::{Body, FrameFields, FrameKind, FrameRecord};

fn body(frame: &FrameFields, body: Body) -> Result<Vec<u8>, String> {
    match frame.body_hex(body) {
        Some(hex) => from_hex(hex).map_err(|e| format!("{}: {e}", body.key())),
        None => Err(format!(
            "{} of {} bytes was recorded by its hash only, so it cannot be sent again",
            body.key(),
            frame.body_len(body).unwrap_or(0)
        )),
    }
}

/// The wire bytes of a transcript frame object, as recorded: its header fields as they were
/// (flags included), its body from the recorded bytes. The frame goes through the vectors'
/// encoder, the one that writes a described frame in Rust.
pub fn encode(record: &FrameRecord) -> Result<Vec<u8>, String> {
    let Some(frame) = record.frame() else {
        return Err("cannot send a frame rule violation".into());
    };
    let kind = match frame.kind {
        FrameKind::Data => "DATA",
        FrameKind::Rst => "RST",
        FrameKind::WndInc => "WNDINC",
        FrameKind::GoAway => "GOAWAY",
        FrameKind::Unknown => "UNKNOWN",
    };
    let carries = |body: Body| match body {
        Body::Payload => matches!(frame.kind, FrameKind::Data | FrameKind::Unknown),
        Body::Debug => frame.kind == FrameKind::GoAway,
    };
    let bytes = |which: Body| -> Result<Option<Hex>, String> {
        if carries(which) {
            body(frame, which).map(|b| Some(Hex(b)))
        } else {
            Ok(None)
        }
    };
    let wire = WireFrame {
        kind: kind.into(),
        stream_id: frame.stream_id,
        flags: frame.flags,
        length: Some(frame.length),
        error_code: frame.error_code,
        increment: frame.increment,
        last_stream_id: frame.last_stream_id,
        type_code: frame.type_code,
        payload: bytes(Body::Payload)?,
        payload_fill: None,
        debug: bytes(Body::Debug)?,
        debug_fill: None,
        debug_any: false,
        payload_pattern: None,
    };
    muxado_vectors::session_run::encode(&wire)
}

/// One line describing a transcript frame object, for diffs.
pub fn describe(record: &FrameRecord) -> String {
    let frame = match record {
        FrameRecord::Violation { error } => {
            let code = error
                .code
                .as_deref()
                .map_or("null".into(), |c| format!("{c:?}"));
            return format!("violation {:?} ({code})", error.requirement);
        }
        FrameRecord::Frame(frame) => frame,
    };
    let id = frame.stream_id;
    let code = |value: Option<u32>| {
        let value = value.unwrap_or(u32::MAX);
        ErrorCode(value)
            .name()
            .map_or(value.to_string(), str::to_string)
    };
    let or_null = |value: Option<u32>| value.map_or("null".into(), |v| v.to_string());
    match frame.kind {
        FrameKind::Data => format!(
            "DATA stream={id}{}{} len={} {}",
            if frame.flags & 2 != 0 { " SYN" } else { "" },
            if frame.flags & 1 != 0 { " FIN" } else { "" },
            frame.length,
            preview(frame, Body::Payload)
        ),
        FrameKind::Rst => format!("RST stream={id} {}", code(frame.error_code)),
        FrameKind::WndInc => format!("WNDINC stream={id} +{}", or_null(frame.increment)),
        FrameKind::GoAway => format!(
            "GOAWAY last_stream_id={} {} debug={}",
            or_null(frame.last_stream_id),
            code(frame.error_code),
            preview(frame, Body::Debug)
        ),
        FrameKind::Unknown => format!(
            "UNKNOWN type_code={} stream={id}",
            frame.type_code.map_or("null".into(), |t| t.to_string())
        ),
    }
}

fn preview(frame: &FrameFields, body: Body) -> String {
    match frame.body_hex(body).map(from_hex) {
        Some(Ok(bytes)) => {
            let shown = &bytes[..bytes.len().min(24)];
            let more = if bytes.len() > shown.len() { "…" } else { "" };
            if shown.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
                format!("{:?}{more}", String::from_utf8_lossy(shown))
            } else {
                format!("0x{}{more}", to_hex(shown))
            }
        }
        _ => match frame.body_fnv(body) {
            Some(fnv) => format!("fnv={fnv:?}"),
            None => "fnv=null".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(json: &str) -> FrameRecord {
        serde_json::from_str(json).expect("a transcript frame")
    }

    /// A recorded frame is sent again byte for byte: its flags as they were, a frame of an
    /// unknown type too; a body kept by its hash alone cannot be sent.
    ///
    /// checks: [FRAME-1] [FRAME-11]
    #[test]
    fn recorded_frames_are_sent_as_recorded() {
        let data = r#"{"type":"DATA","stream_id":3,"flags":7,"length":2,"payload":"6869"}"#;
        assert_eq!(
            encode(&record(data)).unwrap(),
            [0, 0, 2, 0x17, 0, 0, 0, 3, b'h', b'i']
        );
        let unknown =
            r#"{"type":"UNKNOWN","type_code":7,"stream_id":0,"flags":0,"length":1,"payload":"ff"}"#;
        assert_eq!(
            encode(&record(unknown)).unwrap(),
            [0, 0, 1, 0x70, 0, 0, 0, 0, 0xff]
        );
        let rst = r#"{"type":"RST","stream_id":5,"flags":0,"length":4,"error_code":9}"#;
        assert_eq!(
            encode(&record(rst)).unwrap(),
            [0, 0, 4, 0x00, 0, 0, 0, 5, 0, 0, 0, 9]
        );
        let hashed = r#"{"type":"DATA","stream_id":3,"flags":0,"length":9,"payload_fnv":"00","payload_len":9}"#;
        let err = encode(&record(hashed)).unwrap_err();
        assert!(err.contains("hash"), "{err}");
    }
}
