//! The muxado test vectors (`vectors/`): their JSON model, and a runner that checks them
//! against the reference frame codec.
//!
//! The format is documented in `vectors/README.md` and `vectors/frame-vectors.schema.json`.
//! The same model serves every consumer: the tests of this crate, the `muxado-vectors` report,
//! and (later) the live conformance suite.

pub mod model;
pub mod run;

use std::path::{Path, PathBuf};

/// The directory holding the frame vector files of this checkout.
pub fn frames_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("frames")
}
