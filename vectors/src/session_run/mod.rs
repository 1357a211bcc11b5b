//! Runs session vectors against an implementation: the script engine ([`script`]), shared by
//! the offline check of the reference state machine ([`offline`]: `muxado_reference::session::Session`
//! driven step by step with its sans-IO API) and the conformance suite over real sockets.
//!
//! Frames the peer sends are encoded by hand from the vector's fields ([`wire`]: the runner
//! must also produce frames a conforming encoder refuses: stream 0, zero increments, unknown
//! types). Frames the implementation sends are decoded with the reference codec and judged by
//! what SPEC.md fixes ([`crate::judge`]): per stream, never by framing.
//!
//! Every check has a level: MUST, or SHOULD for a step that pins a choice SPEC.md leaves open
//! (`pins`) and for the credit a close should give back ([STREAM-9]). A failed MUST check ends
//! the script; a failed SHOULD check is recorded and the script goes on.
//!
//! The implementation under test is anything implementing [`muxado_agent_contract::Iut`], the agent
//! contract as the engine drives it; its types are re-exported here.

mod expect;
pub mod offline;
pub mod script;
pub mod wire;

pub use muxado_agent_contract::{
    Call, CallError, Enough, Flooded, Iut, ReadResult, RemoteState, SessionState, UNSUPPORTED,
};
pub use offline::{
    Extensions, Offline, Verdict, check_session, config_of, extensions_of, judge, state_of,
};
pub use script::{Failure, Judged, run_script};
pub use wire::{decode_all, encode};

/// Marks a problem with the vector itself rather than with the implementation.
pub(crate) const MALFORMED: &str = "malformed vector: ";

pub(crate) fn malformed(what: &str) -> String {
    format!("{MALFORMED}{what}")
}
