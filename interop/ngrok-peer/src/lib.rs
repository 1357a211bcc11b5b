//! Code shared by `ngrok-peer` (the interop scenarios) and `ngrok-agent` (the conformance
//! agent of SPEC.md appendix A), both on ngrok's Rust `muxado` crate 0.5.4.

pub mod conn;
