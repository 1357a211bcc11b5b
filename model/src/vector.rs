//! Counterexamples as session vectors (`vectors/sessions` format, `vectors/README.md`): the
//! side under test becomes the vector's implementation, the other side its scripted peer.

use muxado_reference::frame::{self, ErrorCode, Frame, StreamId};
use muxado_reference::session::{Error, Machine, Read};
use muxado_testkit::hex::to_hex as hex;
use serde_json::{Value, json};

use crate::{Action, LINGER, MuxadoModel, Peer, tag};

impl MuxadoModel {
    /// Writes the path `actions` as a session vector whose implementation under test is
    /// `iut`: every byte the model made `iut` take in becomes a `recv_hex` step (cut where the
    /// model cut it), end-of-file `recv_eof`, time `advance_ms`, and `iut`'s application
    /// actions become calls. The expectations (results, frames sent, the session's end) are
    /// those of a conforming reference session replaying the same script, so the vector
    /// passes against the reference and fails against an implementation that, like the
    /// model's mutant, departs from it. WNDINC frames are left to the runner's credit ledger,
    /// as in every session vector. Frames the peer side would have sent are what the model's
    /// peer sent: with a mutant under test, what it answered to the mutant.
    pub fn session_vector(
        &self,
        actions: &[Action],
        iut: Peer,
        id: &str,
        description: &str,
        requirements: &[&str],
    ) -> Value {
        let mut conforming = self.config(iut);
        conforming.mutation = None;
        let mut session = Machine::new(iut.role(), conforming);
        let mut state = self.init();
        let mut steps: Vec<Value> = Vec::new();
        let mut now = std::time::Duration::ZERO;
        for action in actions {
            let mut call = None;
            match *action {
                Action::Deliver { to, upto } if to == iut => {
                    let chunk = state.pipes[iut.other().index()].chunk(upto);
                    session.handle_input(&chunk, now);
                    steps.push(json!({ "recv_hex": hex(&chunk) }));
                }
                Action::Eof { to } if to == iut => {
                    session.handle_eof();
                    steps.push(json!({ "recv_eof": true }));
                }
                Action::Tick => {
                    now += LINGER;
                    session.handle_timeout(now);
                    steps.push(json!({ "advance_ms": LINGER.as_millis() as u64 }));
                }
                Action::Open(p) if p == iut => {
                    call = Some(json!({ "open": { "expect": match session.open() {
                        Ok(id) => json!({ "stream_id": id.get() }),
                        Err(err) => error(&err),
                    } } }));
                }
                Action::Accept(p) if p == iut => {
                    call = Some(json!({ "accept": { "expect": match session.accept() {
                        Some(id) => json!({ "stream_id": id.get() }),
                        None => json!({ "none": true }),
                    } } }));
                }
                Action::Write { side, id, len } if side == iut => {
                    let from = state.side(iut).streams.get(&id).map_or(0, |a| a.written);
                    let data: Vec<u8> = (from..from + len).map(|pos| tag(id, pos)).collect();
                    let expect = match session.write(StreamId::new(id), &data) {
                        Ok(n) => json!({ "written": n }),
                        Err(err) => error(&err),
                    };
                    call = Some(json!({ "write": {
                        "stream_id": id, "data": hex(&data), "expect": expect,
                    } }));
                }
                Action::Read { side, id, len } if side == iut => {
                    let mut buf = vec![0; usize::from(len)];
                    let expect = match session.read(StreamId::new(id), &mut buf) {
                        Ok(Read::Data(n)) => json!({ "data": hex(&buf[..n]) }),
                        Ok(Read::Eof) => json!({ "eof": true }),
                        Ok(Read::Blocked) => json!({ "blocked": true }),
                        Err(err) => error(&err),
                    };
                    call =
                        Some(json!({ "read": { "stream_id": id, "max": len, "expect": expect } }));
                }
                Action::CloseWrite(p, id) if p == iut => {
                    let mut step = json!({ "stream_id": id });
                    if let Err(err) = session.close_write(StreamId::new(id)) {
                        step["expect"] = error(&err);
                    }
                    call = Some(json!({ "close_write": step }));
                }
                Action::CloseStream(p, id) if p == iut => {
                    session.close_stream(StreamId::new(id));
                    call = Some(json!({ "close_stream": { "stream_id": id } }));
                }
                Action::Reset(p, id) if p == iut => {
                    let code = ErrorCode::STREAM_CANCELLED;
                    let mut step = json!({ "stream_id": id, "error_code": code.0 });
                    if let Err(err) = session.reset(StreamId::new(id), code) {
                        step["expect"] = error(&err);
                    }
                    call = Some(json!({ "reset": step }));
                }
                Action::GoAway(p) if p == iut => {
                    let mut step = json!({ "error_code": 0, "debug": "" });
                    if let Err(err) = session.go_away(ErrorCode::NO_ERROR, b"") {
                        step["expect"] = error(&err);
                    }
                    call = Some(json!({ "go_away": step }));
                }
                Action::Close(p) if p == iut => {
                    session.close();
                    call = Some(json!({ "close": {} }));
                }
                // The peer's own moves: the vector sees only the bytes they send.
                _ => {}
            }
            steps.extend(call);
            let mut out = Vec::new();
            session.poll_transmit(&mut out);
            while session.poll_event().is_some() {}
            if !out.is_empty() {
                steps.push(json!({ "expect_sent": frames(&out) }));
            }
            if let Some(next) = self.step(&state, action, &mut None) {
                state = next;
            }
        }
        let end = match session.termination() {
            Some(t) => json!({ "ended": true, "local_error": code_name(t.local) }),
            None => json!({ "ended": false }),
        };
        steps.push(json!({ "expect_session": end }));
        let b = &self.bounds;
        json!({
            "id": id,
            "description": description,
            "requirements": requirements,
            "role": iut.to_string(),
            "config": {
                "max_window_size": b.window,
                "accept_backlog": b.accept_backlog,
                "max_streams": b.max_streams,
            },
            "steps": steps,
        })
    }

    /// A file of one vector, as `vectors/sessions/*.json` holds them.
    pub fn session_vector_file(&self, title: &str, vector: Value) -> String {
        let file = json!({
            "schema": "muxado-session-vectors",
            "schema_version": 1,
            "title": title,
            "vectors": [vector],
        });
        serde_json::to_string_pretty(&file).expect("JSON values serialise") + "\n"
    }
}

fn code_name(code: ErrorCode) -> Value {
    match code.name() {
        Some(name) => json!(name),
        None => json!(code.0),
    }
}

fn error(err: &Error) -> Value {
    json!({ "error": code_name(err.code()) })
}

/// The frames of `out` in vector form, WNDINC left out (the runner's credit ledger judges it).
fn frames(mut out: &[u8]) -> Vec<Value> {
    let mut frames = Vec::new();
    while let Ok((frame, used)) = frame::decode_frame(out) {
        let flags = frame.flags().get();
        let id = frame.stream_id().get();
        match frame {
            Frame::Data(data) => frames.push(json!({
                "type": "DATA", "stream_id": id, "flags": flags, "payload": hex(data.payload),
            })),
            Frame::Rst(rst) => frames.push(json!({
                "type": "RST", "stream_id": id, "flags": flags, "error_code": rst.error_code.0,
            })),
            Frame::GoAway(g) => frames.push(json!({
                "type": "GOAWAY", "stream_id": id, "flags": flags,
                "last_stream_id": g.last_stream_id.get(), "error_code": g.error_code.0,
                "debug": hex(g.debug),
            })),
            Frame::WndInc(_) | Frame::Unknown(_) => {}
        }
        out = &out[used..];
    }
    frames
}
