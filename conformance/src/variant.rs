//! Test-only variants of the reference agent: choices SPEC.md leaves to a sender or receiver,
//! made differently from the reference's defaults. The suite must pass every variant, default
//! and `--strict`, since none breaks a requirement (`tests/variants.rs` runs them):
//!
//! - `max-frame=N`: DATA frames carry at most N bytes ([FLOW-3] lets a sender split writes as
//!   it likes; a typed stream's type stays whole, [TYPED-2]);
//! - `credit=per-read`: one WNDINC per read, as Go does ([FLOW-6] allows any schedule that
//!   credits no later than the buffer empties);
//! - `reset-linger=MS`: frames for a stream it reset are ignored for MS milliseconds instead
//!   of 5 s. Below 5 s this departs from a SHOULD ([STREAM-11]): such a variant passes the
//!   default run and fails `--strict`, which tests of the suite's levels rely on.
//! - `accept-patience=MS`: a SYN that finds the accept backlog full waits MS milliseconds for
//!   room instead of 100 ms; 0 refuses it at once ([STREAM-14] allows both, and any wait up to
//!   1 s).
//!
//! Selected by the environment variable `MUXADO_VARIANT`, a comma-separated list
//! (`MUXADO_VARIANT=max-frame=3,credit=per-read`), read by every mode of the reference agent;
//! an unknown variant is an error.

use muxado_reference::session::Config;

/// The environment variable that selects variants (test-only).
pub const ENV: &str = "MUXADO_VARIANT";

/// Choices of the reference agent that differ from its defaults.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Variant {
    /// The largest DATA frame body, if not the default.
    pub max_frame: Option<usize>,
    /// Credit every read.
    pub credit_per_read: bool,
    /// How long frames for a reset stream are ignored, if not the default.
    pub reset_linger: Option<std::time::Duration>,
    /// How long a SYN waits for room in a full accept backlog, if not the default.
    pub accept_patience: Option<std::time::Duration>,
}

impl Variant {
    /// Parses a `MUXADO_VARIANT` value.
    pub fn parse(text: &str) -> Result<Variant, String> {
        let mut v = Variant::default();
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            match item.split_once('=') {
                Some(("max-frame", n)) => {
                    let n: usize = n
                        .parse()
                        .map_err(|_| format!("{ENV}: max-frame={n} is not a byte count"))?;
                    if n == 0 {
                        return Err(format!("{ENV}: max-frame must be at least 1"));
                    }
                    v.max_frame = Some(n);
                }
                Some(("credit", "per-read")) => v.credit_per_read = true,
                Some(("reset-linger", ms)) => {
                    let ms: u64 = ms
                        .parse()
                        .map_err(|_| format!("{ENV}: reset-linger={ms} is not milliseconds"))?;
                    v.reset_linger = Some(std::time::Duration::from_millis(ms));
                }
                Some(("accept-patience", ms)) => {
                    let ms: u64 = ms
                        .parse()
                        .map_err(|_| format!("{ENV}: accept-patience={ms} is not milliseconds"))?;
                    v.accept_patience = Some(std::time::Duration::from_millis(ms));
                }
                _ => return Err(format!("{ENV}: unknown variant {item:?}")),
            }
        }
        Ok(v)
    }

    /// The variants `MUXADO_VARIANT` selects (none when it is unset).
    pub fn from_env() -> Result<Variant, String> {
        match std::env::var(ENV) {
            Ok(text) => Variant::parse(&text),
            Err(_) => Ok(Variant::default()),
        }
    }

    /// `config` with these choices.
    pub fn apply(self, mut config: Config) -> Config {
        if let Some(n) = self.max_frame {
            config.max_frame_size = n;
        }
        config.credit_every_read |= self.credit_per_read;
        if let Some(linger) = self.reset_linger {
            config.reset_linger = linger;
        }
        if let Some(patience) = self.accept_patience {
            config.accept_patience = patience;
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// checks: tooling
    #[test]
    fn parses_the_variants_and_refuses_unknown_ones() {
        let v = Variant::parse("max-frame=3, credit=per-read, reset-linger=0, accept-patience=7")
            .expect("parses");
        assert_eq!(v.reset_linger, Some(std::time::Duration::ZERO));
        assert_eq!(v.accept_patience, Some(std::time::Duration::from_millis(7)));
        assert_eq!(v.max_frame, Some(3));
        assert!(v.credit_per_read);
        let config = v.apply(Config::default());
        assert_eq!(config.max_frame_size, 3);
        assert!(config.credit_every_read);
        assert_eq!(config.accept_patience, std::time::Duration::from_millis(7));
        assert!(Variant::parse("max-frame=0").is_err());
        assert!(Variant::parse("credit=lazy").is_err());
        assert_eq!(Variant::parse("").expect("empty"), Variant::default());
    }
}
