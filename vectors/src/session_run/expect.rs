//! Judges what a call returned, and the session's state, against what a step expects, in the
//! protocol's words for the report.

use std::fmt::Write as _;

use muxado_reference::frame::ErrorCode;

use super::{MALFORMED, malformed};
use crate::judge::show_hex;
use crate::session_model::{
    AcceptExpect, CallExpect, CodeRef, ReadExpect, SessionExpect, bytes_of,
};
use muxado_agent_contract::{CallError, ReadResult, SessionState};

pub(super) fn expect_opened(
    got: Result<u32, CallError>,
    e: &crate::session_model::OpenExpect,
) -> Result<(), String> {
    match (e.stream_id, &e.error) {
        (Some(id), None) => expect_ok(got, id),
        (None, Some(code)) => expect_err(got, code),
        _ => Err(malformed("open expects one of stream_id, error")),
    }
}

/// Judges `accept` and `accept_typed` (the type is `Some` for the latter).
pub(super) fn expect_accepted(
    got: Result<Option<(u32, Option<u32>)>, CallError>,
    e: &AcceptExpect,
) -> Result<(), String> {
    let want = match (e.stream_id, e.none, &e.error) {
        (Some(id), None, None) => Some((id, e.stream_type)),
        (None, Some(true), None) => None,
        (None, None, Some(code)) => return expect_err(got, code),
        _ => {
            return Err(malformed("accept expects one of stream_id, none, error"));
        }
    };
    let show = |a: &Option<(u32, Option<u32>)>| match a {
        None => "no stream".to_string(),
        Some((id, None)) => format!("stream {id}"),
        Some((id, Some(t))) => format!("stream {id} of type {t:#x}"),
    };
    match got {
        Ok(a) if a == want => Ok(()),
        Ok(a) => Err(format!("expected {}, got {}", show(&want), show(&a))),
        Err(err) => Err(format!(
            "expected {}, got error {} ({})",
            show(&want),
            show_code(err.code),
            err.message
        )),
    }
}

fn code_value(code: &CodeRef) -> Result<u32, String> {
    match code {
        CodeRef::Value(v) => Ok(*v),
        CodeRef::Name(name) => ErrorCode::from_name(name)
            .map(|c| c.0)
            .ok_or_else(|| malformed(&format!("unknown error code name {name:?}"))),
    }
}

fn show_code(code: u32) -> String {
    ErrorCode(code).to_string()
}

/// A call's successful result in the protocol's words, for messages.
pub(super) trait Shown {
    fn shown(&self) -> String;
}

impl Shown for () {
    fn shown(&self) -> String {
        "success".into()
    }
}

impl Shown for u32 {
    fn shown(&self) -> String {
        format!("stream {self}")
    }
}

impl Shown for usize {
    fn shown(&self) -> String {
        format!("{self} bytes written")
    }
}

impl Shown for ReadResult {
    fn shown(&self) -> String {
        show_read(self)
    }
}

impl<T: Shown> Shown for Option<T> {
    fn shown(&self) -> String {
        match self {
            Some(v) => v.shown(),
            None => "no stream".into(),
        }
    }
}

impl Shown for (u32, Option<u32>) {
    fn shown(&self) -> String {
        match self.1 {
            Some(t) => format!("stream {} of type {t:#x}", self.0),
            None => format!("stream {}", self.0),
        }
    }
}

pub(super) fn expect_ok<T: PartialEq + Shown>(
    got: Result<T, CallError>,
    want: T,
) -> Result<(), String> {
    match got {
        Ok(v) if v == want => Ok(()),
        Ok(v) => Err(format!("expected {}, got {}", want.shown(), v.shown())),
        Err(e) => Err(format!(
            "expected {}, got error {} ({})",
            want.shown(),
            show_code(e.code),
            e.message
        )),
    }
}

pub(super) fn expect_err<T: Shown>(
    got: Result<T, CallError>,
    want: &CodeRef,
) -> Result<(), String> {
    let want = code_value(want)?;
    match got {
        Err(e) if e.code == want => Ok(()),
        Err(e) => Err(format!(
            "expected error {}, got error {} ({})",
            show_code(want),
            show_code(e.code),
            e.message
        )),
        Ok(v) => Err(format!(
            "expected error {}, got {}",
            show_code(want),
            v.shown()
        )),
    }
}

pub(super) fn expect_call(
    got: Result<(), CallError>,
    want: &Option<CallExpect>,
) -> Result<(), String> {
    match want {
        None => expect_ok(got, ()),
        Some(e) => expect_err(got, &e.error),
    }
}

pub(super) fn check_read(e: &ReadExpect, got: Result<ReadResult, CallError>) -> Result<(), String> {
    if let Some(alternatives) = &e.one_of {
        let others = [
            e.data.is_some(),
            e.data_fill.is_some(),
            e.eof.is_some(),
            e.blocked.is_some(),
            e.error.is_some(),
        ];
        if alternatives.is_empty() || others.iter().any(|f| *f) {
            return Err(malformed("read one_of stands alone, with alternatives"));
        }
        let mut problems = Vec::new();
        for alternative in alternatives {
            match check_read(alternative, got.clone()) {
                Ok(()) => return Ok(()),
                Err(p) if p.starts_with(MALFORMED) => return Err(p),
                Err(p) => problems.push(p),
            }
        }
        return Err(format!(
            "none of the results SPEC.md allows: {}",
            problems.join("; ")
        ));
    }
    let fields = [
        e.data.is_some() || e.data_fill.is_some(),
        e.eof.is_some(),
        e.blocked.is_some(),
        e.error.is_some(),
    ];
    if fields.iter().filter(|f| **f).count() != 1
        || e.eof == Some(false)
        || e.blocked == Some(false)
        || (e.data.is_some() && e.data_fill.is_some())
    {
        return Err(malformed(
            "read expects one of data, data_fill, eof, blocked, error",
        ));
    }
    if let Some(code) = &e.error {
        return expect_err(got, code);
    }
    let want = if e.eof.is_some() {
        ReadResult::Eof
    } else if e.blocked.is_some() {
        ReadResult::Blocked
    } else {
        ReadResult::Data(bytes_of(&e.data, &e.data_fill))
    };
    match got {
        Ok(r) if r == want => Ok(()),
        Ok(r) => Err(format!(
            "expected {}, got {}",
            show_read(&want),
            show_read(&r)
        )),
        Err(err) => Err(format!(
            "expected {}, got error {} ({})",
            show_read(&want),
            show_code(err.code),
            err.message
        )),
    }
}

fn show_read(r: &ReadResult) -> String {
    match r {
        ReadResult::Data(d) => format!("{} bytes {}", d.len(), show_hex(d)),
        ReadResult::Eof => "end of stream".into(),
        ReadResult::Blocked => "nothing to read yet (blocked)".into(),
    }
}

/// What `e` expects that the implementation did not tell (after everything it told matched).
pub(super) fn unknown_expected(state: &SessionState, e: &SessionExpect) -> Option<&'static str> {
    match (&e.remote, &state.remote) {
        (Some(_), _) if state.remote_unknown => {
            Some("the implementation does not tell whether it received a GOAWAY")
        }
        (Some(Some(want)), Some(got))
            if want.last_stream_id.is_some() && got.last_stream_id.is_none() =>
        {
            Some("the implementation does not tell the received GOAWAY's last stream id")
        }
        _ => None,
    }
}

pub(super) fn check_session_state(state: &SessionState, e: &SessionExpect) -> Result<(), String> {
    if let Some(ended) = e.ended {
        if state.ended.is_some() != ended {
            return Err(format!(
                "expected ended={ended}, got {}",
                match &state.ended {
                    Some(t) => format!("ended with {} ({})", show_code(t.code), t.message),
                    None => "not ended".to_string(),
                }
            ));
        }
    }
    if let Some(code) = &e.local_error {
        let want = code_value(code)?;
        match &state.ended {
            Some(t) if t.code == want => {}
            Some(t) => {
                return Err(format!(
                    "expected local error {}, got {} ({})",
                    show_code(want),
                    show_code(t.code),
                    t.message
                ));
            }
            None => {
                return Err(format!(
                    "expected local error {}, session not ended",
                    show_code(want)
                ));
            }
        }
    }
    match (&e.remote, &state.remote) {
        (_, _) if state.remote_unknown => {}
        (None, _) | (Some(None), None) => {}
        (Some(None), Some(got)) => {
            return Err(format!(
                "expected no GOAWAY received, got one: last stream id {}, {}, {} debug bytes",
                got.last_stream_id
                    .map_or("not told".to_string(), |l| l.to_string()),
                show_code(got.error_code),
                got.debug.len()
            ));
        }
        (Some(Some(_)), None) => return Err("expected a GOAWAY received, got none".to_string()),
        (Some(Some(want)), Some(got)) => {
            let mut problems = String::new();
            if want.error_code.is_some_and(|c| c != got.error_code) {
                let _ = write!(
                    problems,
                    " error_code: expected {}, got {};",
                    show_code(want.error_code.unwrap_or_default()),
                    show_code(got.error_code)
                );
            }
            if let (Some(l), Some(got_l)) = (want.last_stream_id, got.last_stream_id) {
                if l != got_l {
                    let _ = write!(problems, " last_stream_id: expected {l}, got {got_l};");
                }
            }
            if want.debug.is_some() || want.debug_fill.is_some() {
                let debug = bytes_of(&want.debug, &want.debug_fill);
                if debug != got.debug {
                    let _ = write!(
                        problems,
                        " debug: expected {} bytes {}, got {} bytes {};",
                        debug.len(),
                        show_hex(&debug),
                        got.debug.len(),
                        show_hex(&got.debug)
                    );
                }
            }
            if !problems.is_empty() {
                return Err(format!("GOAWAY received:{problems}"));
            }
        }
    }
    Ok(())
}
