//! The agent contract (SPEC.md appendix A, [AGENT-1] to [AGENT-6]): how the suite drives an implementation under test
//! (IUT) through a small agent program, and the reference implementation's own agent.
//!
//! The agent dials two TCP connections the suite listens on: the muxado session's transport
//! (`MUXADO_ADDR`) and a control connection (`MUXADO_CONTROL`). On the control connection the
//! suite sends one JSON command per line and the agent answers each with one JSON line, after
//! having written to the transport every frame the command made its session send. Commands
//! are the application calls of session vectors (`vectors/README.md`), none of which waits:
//!
//! | command | `ok` value |
//! |---|---|
//! | `{"open": {}}` | `{"stream_id": 3}` |
//! | `{"accept": {}}` | `{"stream_id": 2}` or `{"none": true}` |
//! | `{"write": {"stream_id": 3, "data": "<hex>"}}` | `{"written": 5}` |
//! | `{"read": {"stream_id": 3, "max": 1024}}` | `{"data": "<hex>"}`, `{"eof": true}` or `{"blocked": true}` |
//! | `{"close_write": {"stream_id": 3}}`, `{"close_stream": ...}`, `{"reset": {"stream_id": 3, "error_code": 6}}`, `{"go_away": {"error_code": 0, "debug": "<hex>"}}`, `{"close": {}}` | `{}` |
//! | `{"session": {}}` | `{"ended": null or {"code", "message"}, "remote": null or {"error_code", "last_stream_id", "debug"}}` |
//! | `{"heartbeat": {"interval_ms": 300, "tolerance_ms": 300}}` | `{}` |
//!
//! In the `session` answer, an agent that cannot tell whether its session received a GOAWAY
//! leaves the `remote` key out, and one that cannot tell a GOAWAY's last stream id leaves
//! `last_stream_id` out (or null): a script that expects them is then reported unsupported.
//!
//! An answer is `{"ok": VALUE}`, or `{"error": {"code": N, "message": "..."}}` when the call
//! failed with muxado error code N.
//!
//! Every command also carries `"after": N`: the number of bytes the suite has written to the
//! transport so far. The agent executes the command only once its session has taken in that
//! many bytes, so that a call always sees the frames the suite sent before it (the two
//! connections are not ordered with respect to each other).

mod reference;
mod remote;
mod serve;

pub use muxado_vectors::contract::{
    Call, CallError, Enough, Flooded, Iut, ReadResult, RemoteState, SessionState, UNSUPPORTED,
};
pub use reference::{reference_agent, reference_agent_on};
pub use remote::{Chunk, Exchange, RemoteIut, Waits};
pub use serve::serve;

pub(crate) use muxado_testkit::hex::to_hex as hex;

/// The bytes of a hex field of a command or an answer; the error names the text.
pub(crate) fn unhex(text: &str) -> Result<Vec<u8>, String> {
    muxado_testkit::hex::from_hex(text).map_err(|e| format!("{e} in {text:?}"))
}
