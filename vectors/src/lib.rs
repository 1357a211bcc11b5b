//! The muxado test vectors (`vectors/`): their JSON model, and runners that check them
//! against the reference frame codec (frame vectors) and the reference session state machine
//! (session vectors).
//!
//! The formats are documented in `vectors/README.md`, `vectors/frame-vectors.schema.json` and
//! `vectors/session-vectors.schema.json`.
//! The same model serves every consumer: the tests of this crate, the `muxado-vectors` report,
//! and the conformance suite, whose cases are session vectors played over sockets.

/// The agent contract's types, at home in `muxado-agent-contract`.
pub use muxado_agent_contract as contract;
pub mod judge;
pub mod model;
pub mod run;
pub mod session_model;
pub mod session_run;

use std::path::{Path, PathBuf};

/// The directory holding the frame vector files of this checkout.
pub fn frames_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("frames")
}

/// The directory holding the session vector files of this checkout.
pub fn sessions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sessions")
}
