//! The muxado conformance suite: checks an implementation of SPEC.md over real sockets, case by
//! case, through a small agent program that follows the contract of SPEC.md appendix A.
//!
//! - [`suite`]: the cases (the session vectors, embedded) and SPEC requirement texts;
//! - [`agent`]: the agent contract: the suite's side ([`agent::RemoteIut`]) and the reference
//!   implementation's agent;
//! - [`run`]: running cases against an IUT, with deadlines, in parallel, and judging them.

pub mod agent;
pub mod coverage;
pub mod fuzz;
#[doc(hidden)]
pub mod mutant;
pub mod report;
pub mod run;
pub mod standing;
pub mod suite;
#[doc(hidden)]
pub mod variant;
