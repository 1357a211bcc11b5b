//! The reference's side of every scenario of `interop/SCENARIOS.md`.
//!
//! This file holds the contract the sides share (names, requirements, settings, [`Params`],
//! [`Outcome`]); the rest is one job a file: [`play`] dispatches to the sides of
//! `sides.rs` (the short scenarios), `burst.rs` and `soak.rs` (the long ones, with the
//! cross-checks of their two sides' counts), on the stream helpers of `io.rs`.

mod burst;
mod io;
mod play;
mod sides;
mod soak;

pub use burst::burst_refused;
pub use play::{play, play_with};
pub use soak::check_soak;

use std::time::Duration;

use muxado_reference::Session;
use muxado_reference::{Config, Role};
use serde_json::Value;

pub use muxado_testkit::scenario::{BURST_STREAMS, SCENARIOS, is_heavy, requirements};

/// A scenario's settings beyond the session's: only `soak` has any (SCENARIOS.md,
/// `--soak-secs` and `--seed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// How long the soak client keeps opening streams, in seconds.
    pub soak_secs: u64,
    /// The seed of the soak client's random choices.
    pub seed: u64,
}

impl Default for Params {
    /// The contract's defaults: 10 s, seed 1.
    fn default() -> Params {
        Params {
            soak_secs: 10,
            seed: 1,
        }
    }
}

impl Params {
    /// The matrix's: a 2 s soak, a smoke run (the soak test runs it longer, through faults).
    pub fn matrix() -> Params {
        Params {
            soak_secs: 2,
            ..Params::default()
        }
    }

    /// The peer arguments that pass these parameters for `scenario` (none but for `soak`).
    pub fn args(&self, scenario: &str) -> Vec<String> {
        if scenario == "soak" {
            vec![
                "--soak-secs".into(),
                self.soak_secs.to_string(),
                "--seed".into(),
                self.seed.to_string(),
            ]
        } else {
            Vec::new()
        }
    }

    /// How long a side of `scenario` may take beyond the usual 30 s: the soak's duration.
    pub fn extra_time(&self, scenario: &str) -> Duration {
        if scenario == "soak" {
            Duration::from_secs(self.soak_secs)
        } else {
            Duration::ZERO
        }
    }
}

/// What one side of a scenario reports (the `RESULT` line of a peer).
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The side saw what the scenario requires.
    pub ok: bool,
    /// The side cannot play this scenario (exit code 3 of a peer).
    pub unsupported: bool,
    /// What went wrong, or what was seen.
    pub detail: String,
    /// Scenario-specific facts.
    pub observed: Value,
}

impl Outcome {
    fn pass(observed: Value) -> Outcome {
        Outcome {
            ok: true,
            unsupported: false,
            detail: String::new(),
            observed,
        }
    }

    fn fail(detail: impl Into<String>, observed: Value) -> Outcome {
        Outcome {
            ok: false,
            unsupported: false,
            detail: detail.into(),
            observed,
        }
    }

    fn unsupported(detail: impl Into<String>) -> Outcome {
        Outcome {
            ok: false,
            unsupported: true,
            detail: detail.into(),
            observed: Value::Null,
        }
    }
}

/// The session settings a side uses for a scenario: `(window, backlog)`, `None` for defaults.
pub fn settings(scenario: &str, role: Role) -> (Option<u32>, Option<usize>) {
    match (scenario, role) {
        ("backlog", Role::Server) => (None, Some(4)),
        // All 256 SYNs may arrive before the server accepts one.
        ("echo", Role::Server) | ("soak", Role::Server) => (None, Some(256)),
        ("window-mismatch", Role::Client) => (Some(1 << 20), None),
        _ => (None, None),
    }
}

/// The reference configuration for a scenario side.
pub fn config(scenario: &str, role: Role) -> Config {
    let (window, backlog) = settings(scenario, role);
    let mut config = Config::default();
    if let Some(window) = window {
        config.max_window_size = window;
    }
    if let Some(backlog) = backlog {
        config.accept_backlog = backlog;
    }
    config
}

/// `pattern(seed, n)` of SCENARIOS.md.
pub use muxado_testkit::pattern::pattern;

/// FNV-1a, 64 bits, as hex.
pub use muxado_testkit::fnv::fnv1a_hex as fnv;

/// Sessions for a scenario side over an accepted or dialed TCP connection.
pub fn session(tcp: tokio::net::TcpStream, scenario: &str, role: Role) -> Session {
    Session::from_tcp(tcp, role, config(scenario, role))
}
