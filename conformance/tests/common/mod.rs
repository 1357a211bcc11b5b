//! What the tests that run the whole suite against reference agent processes share.

use std::collections::BTreeSet;
use std::time::Duration;

use muxado_conformance::agent::Waits;
use muxado_conformance::run::{Options, Target};

/// `--strict` options for the reference agent process (`conformance agent`), started with the
/// environment assignments `env` (`MUXADO_MUTANT=...`, `MUXADO_VARIANT=...`, or nothing).
pub fn strict_agent_options(env: &str, timeout: Duration) -> Options {
    Options {
        target: Target::Exec(format!(
            "{env}exec {} agent",
            env!("CARGO_BIN_EXE_conformance")
        )),
        timeout,
        chop: None,
        jobs: 1,
        strict: true,
        expected: BTreeSet::new(),
        // [AGENT-6]: late frames are waited for 2 s, no frame means 60 ms of quiet.
        waits: Waits {
            frames: Duration::from_secs(2),
            quiet: Duration::from_millis(60),
        },
    }
}
