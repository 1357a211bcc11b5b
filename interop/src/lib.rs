//! The interop harness: scenarios of `interop/SCENARIOS.md` played between the reference and
//! foreign implementations (Go muxado 2016, ngrok v2.0.1 and v2.0.2, ngrok's Rust crate) over
//! TCP on 127.0.0.1, in both directions.

pub mod fault;
pub mod matrix;
pub mod pcap;
pub mod peer;
pub mod record;
pub mod replay;
pub mod scenario;

/// The muxado role a side plays.
pub use muxado_reference::session::Role;
