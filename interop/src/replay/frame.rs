//! A transcript frame object sent again (its wire bytes) and described in one line for diffs.

use muxado_reference::frame::{Data, ErrorCode, Frame, GoAway, Rst, StreamId, WndInc};
use muxado_testkit::hex::{from_hex, to_hex};

use crate::transcript::{Body, FrameFields, FrameKind, FrameRecord};

fn field(frame: &FrameFields, key: &str, value: Option<u32>) -> Result<u32, String> {
    value.ok_or_else(|| format!("{:?} frame without {key}", frame.kind))
}

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

/// The wire bytes of a transcript frame object.
pub fn encode(record: &FrameRecord) -> Result<Vec<u8>, String> {
    let Some(frame) = record.frame() else {
        return Err("cannot send a frame rule violation".into());
    };
    let stream_id = StreamId::new(frame.stream_id);
    let flags = frame.flags;
    let payload;
    let built = match frame.kind {
        FrameKind::Data => {
            payload = body(frame, Body::Payload)?;
            Frame::Data(Data {
                stream_id,
                fin: flags & 1 != 0,
                syn: flags & 2 != 0,
                payload: &payload,
            })
        }
        FrameKind::Rst => Frame::Rst(Rst {
            stream_id,
            error_code: ErrorCode(field(frame, "error_code", frame.error_code)?),
        }),
        FrameKind::WndInc => Frame::WndInc(WndInc {
            stream_id,
            increment: field(frame, "increment", frame.increment)?,
        }),
        FrameKind::GoAway => {
            payload = body(frame, Body::Debug)?;
            Frame::GoAway(GoAway {
                last_stream_id: StreamId::new(field(
                    frame,
                    "last_stream_id",
                    frame.last_stream_id,
                )?),
                error_code: ErrorCode(field(frame, "error_code", frame.error_code)?),
                debug: &payload,
            })
        }
        FrameKind::Unknown => return Err("cannot send a frame of type UNKNOWN".into()),
    };
    let mut out = Vec::new();
    built.encode(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
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
