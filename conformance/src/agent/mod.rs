//! The agent contract: how the suite drives an implementation under test (IUT) through a
//! small agent program ([`RemoteIut`], the suite's side), how an agent executes one command on
//! any [`Iut`] (`serve`), and the reference implementation's own agent (`conformance agent`).
//!
//! The contract itself (environment, the two connections, every command and its answer, the
//! `after` byte count, exit codes) is SPEC.md appendix A, [AGENT-1] to [AGENT-6]; the
//! commands are the application calls of session vectors (`vectors/README.md`).

mod reference;
mod remote;
mod serve;

pub use muxado_agent_contract::{
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
