//! The soak tests' environment: `MUXADO_SOAK_SECS`, the time budget in seconds, and
//! `MUXADO_SOAK_SEED`, a seed in hex (with or without `0x`) that replays a run's random
//! choices. Shared by the reference's soak and the interop soak, so that one setting drives
//! both.

/// The variable holding the soak's time budget in seconds.
pub const SOAK_SECS_VAR: &str = "MUXADO_SOAK_SECS";
/// The variable holding the soak's seed, in hex.
pub const SOAK_SEED_VAR: &str = "MUXADO_SOAK_SEED";
/// The budget when `MUXADO_SOAK_SECS` is unset or not a number.
pub const DEFAULT_SOAK_SECS: u64 = 60;

/// A soak run's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SoakEnv {
    /// The time budget in seconds.
    pub secs: u64,
    /// The seed of every random choice of the run.
    pub seed: u64,
}

impl SoakEnv {
    /// The settings from the environment: the budget or [`DEFAULT_SOAK_SECS`], the seed or one
    /// taken from the clock (print it, so that the run can be replayed).
    pub fn from_env() -> SoakEnv {
        SoakEnv::parse(
            std::env::var(SOAK_SECS_VAR).ok().as_deref(),
            std::env::var(SOAK_SEED_VAR).ok().as_deref(),
        )
    }

    /// The settings from the variables' values, `None` for unset.
    pub fn parse(secs: Option<&str>, seed: Option<&str>) -> SoakEnv {
        SoakEnv {
            secs: secs
                .and_then(|v| v.parse().ok())
                .unwrap_or(DEFAULT_SOAK_SECS),
            seed: seed.and_then(parse_seed).unwrap_or_else(clock_seed),
        }
    }
}

/// A seed written in hex, with or without `0x`.
pub fn parse_seed(text: &str) -> Option<u64> {
    u64::from_str_radix(text.trim_start_matches("0x"), 16).ok()
}

/// A seed from the clock: the nanoseconds since the Unix epoch.
pub fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values parse as documented; unset or malformed ones fall back.
    ///
    /// checks: tooling
    #[test]
    fn parses_budget_and_seed() {
        assert_eq!(
            SoakEnv::parse(Some("5"), Some("0x1f")),
            SoakEnv { secs: 5, seed: 31 }
        );
        assert_eq!(
            SoakEnv::parse(Some("x"), Some("ff")).secs,
            DEFAULT_SOAK_SECS
        );
        assert_eq!(SoakEnv::parse(None, Some("ff")).seed, 255);
        assert_eq!(parse_seed("zz"), None);
        assert_ne!(SoakEnv::parse(None, None).seed, 0);
    }
}
