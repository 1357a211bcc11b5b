//! What several test files of this crate share.

use std::path::{Path, PathBuf};

use muxado_interop::matrix;
use muxado_interop::peer::Peer;
use muxado_interop::registry;

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The registry's reference peer, played by this crate's `muxado-interop peer`.
pub fn reference_peer() -> Peer {
    let interop = Path::new(env!("CARGO_BIN_EXE_muxado-interop"));
    matrix::registry_peers(&root(), &matrix::bin_dir(&root()), interop)
        .unwrap()
        .into_iter()
        .find(|p| p.name == registry::REFERENCE)
        .unwrap()
}
