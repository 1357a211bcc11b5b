//! The agent's side of the contract for any [`Iut`]: one command line in, one answer line
//! out.

use std::time::Duration;

use serde_json::{Value, json};

use super::{hex, unhex};
use muxado_agent_contract::{Call, Iut, ReadResult};

fn answer<T>(result: Call<T>, value: impl FnOnce(T) -> Value) -> Value {
    match result {
        Ok(Ok(v)) => json!({"ok": value(v)}),
        Ok(Err(e)) => json!({"error": {"code": e.code, "message": e.message}}),
        Err(harness) => json!({"error": {"code": u32::MAX, "message": harness}}),
    }
}

/// Executes one command line on `iut` and returns the answer line: the agent side of the
/// contract, for any [`Iut`].
pub fn serve(iut: &mut dyn Iut, line: &str) -> Value {
    let command: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => {
            return json!({"error": {"code": u32::MAX, "message": format!("bad command: {e}")}});
        }
    };
    let Some((name, args)) = command
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| *k != "after"))
    else {
        return json!({"error": {"code": u32::MAX, "message": "empty command"}});
    };
    let id = args["stream_id"].as_u64().unwrap_or(0) as u32;
    let code = args["error_code"].as_u64().unwrap_or(0) as u32;
    let bytes = |key: &str| unhex(args[key].as_str().unwrap_or(""));
    let unit = |r: Result<(), String>| answer(r.map(Ok), |()| json!({}));
    match name.as_str() {
        "open" => answer(iut.open(), |id| json!({"stream_id": id})),
        "accept" => answer(iut.accept(), |id| match id {
            Some(id) => json!({"stream_id": id}),
            None => json!({"none": true}),
        }),
        "open_typed" => {
            let t = args["stream_type"].as_u64().unwrap_or(0) as u32;
            answer(iut.open_typed(t), |id| json!({"stream_id": id}))
        }
        "accept_typed" => answer(iut.accept_typed(), |s| match s {
            Some((id, t)) => json!({"stream_id": id, "stream_type": t}),
            None => json!({"none": true}),
        }),
        "write" => match bytes("data") {
            Ok(data) => answer(iut.write(id, &data), |n| json!({"written": n})),
            Err(e) => answer::<()>(Err(e), |_| Value::Null),
        },
        "read" => {
            let max = args["max"].as_u64().unwrap_or(0) as usize;
            answer(iut.read(id, max), |r| match r {
                ReadResult::Data(d) => json!({"data": hex(&d)}),
                ReadResult::Eof => json!({"eof": true}),
                ReadResult::Blocked => json!({"blocked": true}),
            })
        }
        "close_write" => answer(iut.close_write(id), |()| json!({})),
        "close_stream" => answer(iut.close_stream(id), |()| json!({})),
        "reset" => answer(iut.reset(id, code), |()| json!({})),
        "go_away" => match bytes("debug") {
            Ok(debug) => answer(iut.go_away(code, &debug), |()| json!({})),
            Err(e) => answer::<()>(Err(e), |_| Value::Null),
        },
        "close" => unit(iut.close()),
        "heartbeat" => {
            let ms = |key: &str| Duration::from_millis(args[key].as_u64().unwrap_or(0));
            answer(iut.heartbeat(ms("interval_ms"), ms("tolerance_ms")), |()| {
                json!({})
            })
        }
        "session" => answer(iut.session().map(Ok), |s| {
            json!({
                "ended": s.ended.map(|e| json!({"code": e.code, "message": e.message})),
                "remote": s.remote.map(|r| json!({
                    "error_code": r.error_code,
                    "last_stream_id": r.last_stream_id,
                    "debug": hex(&r.debug),
                })),
            })
        }),
        other => {
            json!({"error": {"code": u32::MAX, "message": format!("unknown command {other}")}})
        }
    }
}
