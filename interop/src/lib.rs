//! The interop harness: scenarios of `interop/SCENARIOS.md` played between the implementations
//! of the registry (`interop/peers.toml`: the reference, Go muxado 2016, ngrok v2.0.1 and
//! v2.0.2, ngrok's Rust crate) and any peer added by `--peer-cmd`, over TCP on 127.0.0.1: every
//! peer against the reference both ways, or every client against every server.

pub mod fault;
pub mod grid;
pub mod matrix;
pub mod pcap;
pub mod peer;
pub mod record;
pub mod registry;
pub mod replay;
pub mod scenario;
pub mod transcript;

/// The muxado role a side plays.
pub use muxado_reference::Role;
