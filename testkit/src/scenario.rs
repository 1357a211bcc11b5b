//! The scenario contract of `interop/SCENARIOS.md` that every peer shares, whatever its
//! language: the scenarios' names, the requirements each checks, the lines a peer prints and
//! the exit codes it ends with.

/// Every scenario, in the order of `SCENARIOS.md`.
pub const SCENARIOS: &[&str] = &[
    "echo",
    "bulk",
    "half-close",
    "server-opens",
    "reset",
    "close-late-data",
    "goaway-from-server",
    "goaway-from-client",
    "backlog",
    "typed",
    "typed-split-prefix",
    "heartbeat",
    "heartbeat-silent",
    "window-mismatch",
    "fin-first-reply",
    "soak",
    "burst",
];

/// The SPEC.md requirements a scenario checks: what a failing run of it breaks, unless an
/// interop note explains the failure (the matrix's reports cite them). Empty for a name that
/// is no scenario.
pub fn requirements(scenario: &str) -> &'static [&'static str] {
    match scenario {
        "echo" => &["STREAM-4", "STREAM-6", "FLOW-3"],
        "bulk" => &["FLOW-3", "STREAM-6"],
        "half-close" => &["STREAM-6"],
        "server-opens" => &["ID-2", "STREAM-4"],
        "reset" => &["RST-4"],
        "close-late-data" => &["STREAM-8", "STREAM-9"],
        "goaway-from-server" | "goaway-from-client" => &["GOAWAY-9", "GOAWAY-10"],
        "backlog" => &["STREAM-5", "LIMIT-3"],
        "typed" => &["TYPED-2", "TYPED-3"],
        "typed-split-prefix" => &["TYPED-3"],
        "heartbeat" => &["HEARTBEAT-1", "HEARTBEAT-2"],
        "heartbeat-silent" => &["HEARTBEAT-3"],
        "window-mismatch" => &["FLOW-9", "FLOW-3"],
        "fin-first-reply" => &["STREAM-1", "STREAM-2", "STREAM-6"],
        "soak" => &["STREAM-6", "FLOW-3", "RST-4", "STREAM-10"],
        "burst" => &["STREAM-5", "STREAM-14"],
        _ => &[],
    }
}

/// The scenarios that keep both cores busy on their own (64 MiB each way, a soak, a burst of
/// 1,000 streams): a matrix runs them alone, whatever its parallelism.
pub fn is_heavy(scenario: &str) -> bool {
    matches!(scenario, "bulk" | "soak" | "burst")
}

/// What a listening peer prints first, followed by its `ip:port`.
pub const LISTENING_PREFIX: &str = "LISTENING ";
/// What a peer's last line starts with, followed by its result as JSON.
pub const RESULT_PREFIX: &str = "RESULT ";

/// How a scenario side ended, and so the peer's exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Everything this side checks held (exit 0).
    Ok,
    /// A check failed (exit 1).
    Fail,
    /// The implementation cannot play this side (exit 3).
    Unsupported,
}

/// The exit code of a peer that was called wrongly.
pub const EXIT_USAGE: u8 = 2;

impl Status {
    /// The peer's exit code: 0 ok, 1 failed, 3 unsupported.
    pub const fn exit_code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Fail => 1,
            Status::Unsupported => 3,
        }
    }

    /// The status a peer's exit code reports; `None` for a usage error, a signal or a code
    /// outside the contract.
    pub fn from_exit_code(code: Option<i32>) -> Option<Status> {
        match code? {
            0 => Some(Status::Ok),
            1 => Some(Status::Fail),
            3 => Some(Status::Unsupported),
            _ => None,
        }
    }
}

/// How many streams the `burst` client opens at once.
pub const BURST_STREAMS: u64 = 1000;
/// The bytes each `burst` stream carries in its first frame, with its SYN.
pub const BURST_BYTES: usize = 16;

#[cfg(test)]
mod tests {
    use super::*;

    /// Every scenario cites requirements; names outside the contract cite none.
    ///
    /// checks: tooling
    #[test]
    fn every_scenario_cites_requirements() {
        for name in SCENARIOS {
            assert!(!requirements(name).is_empty(), "{name}");
        }
        assert!(requirements("nope").is_empty());
        assert_eq!(SCENARIOS.iter().filter(|s| is_heavy(s)).count(), 3);
    }

    /// Exit codes round-trip; 2 (usage) and signals are no status.
    ///
    /// checks: tooling
    #[test]
    fn exit_codes() {
        for status in [Status::Ok, Status::Fail, Status::Unsupported] {
            let code = Some(i32::from(status.exit_code()));
            assert_eq!(Status::from_exit_code(code), Some(status));
        }
        assert_eq!(Status::from_exit_code(Some(i32::from(EXIT_USAGE))), None);
        assert_eq!(Status::from_exit_code(None), None);
    }
}
