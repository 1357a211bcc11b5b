//! `pattern(seed, n)` of `interop/SCENARIOS.md`: byte `i` (from 0) is
//! `(i * 31 + seed * 7) mod 251`. Every scenario payload is a pattern, so a receiver checks
//! what it got byte for byte without keeping a copy of what was sent.

use crate::fnv::Fnv1a;

/// Byte `i` of `pattern(seed, _)`. Reduced mod 251 before multiplying, so that no `seed` or
/// `i` overflows.
pub fn pattern_byte(seed: u64, i: u64) -> u8 {
    ((i % 251 * 31 + seed % 251 * 7) % 251) as u8
}

/// `len` bytes of `pattern(seed, _)` starting at byte `offset`.
pub fn pattern_at(seed: u64, offset: u64, len: usize) -> Vec<u8> {
    (0..len as u64)
        .map(|i| pattern_byte(seed, offset + i))
        .collect()
}

/// `pattern(seed, n)`: its first `n` bytes.
pub fn pattern(seed: u64, n: usize) -> Vec<u8> {
    pattern_at(seed, 0, n)
}

/// Checks received bytes against `pattern(seed, _)` as they arrive, and hashes them with
/// FNV-1a (the `observed.fnv` of a scenario side).
#[derive(Clone, Debug)]
pub struct PatternChecker {
    seed: u64,
    /// Bytes seen so far.
    pub seen: u64,
    /// Offset of the first byte that differed from the pattern.
    pub first_mismatch: Option<u64>,
    hash: Fnv1a,
}

impl PatternChecker {
    /// A checker for `pattern(seed, _)`.
    pub fn new(seed: u64) -> Self {
        PatternChecker {
            seed,
            seen: 0,
            first_mismatch: None,
            hash: Fnv1a::new(),
        }
    }

    /// Feeds the next received bytes.
    pub fn feed(&mut self, data: &[u8]) {
        for &b in data {
            if self.first_mismatch.is_none() && b != pattern_byte(self.seed, self.seen) {
                self.first_mismatch = Some(self.seen);
            }
            self.seen += 1;
        }
        self.hash.update(data);
    }

    /// The FNV-1a 64-bit hash of everything fed, as 16 hex digits.
    pub fn fnv_hex(&self) -> String {
        self.hash.hex()
    }

    /// Whether exactly `n` bytes were fed, all matching the pattern.
    pub fn verified(&self, n: u64) -> bool {
        self.seen == n && self.first_mismatch.is_none()
    }

    /// What was wrong, for a detail text, when [`PatternChecker::verified`] is false.
    pub fn problem(&self, n: u64) -> String {
        match self.first_mismatch {
            Some(at) => format!("byte {at} differs from pattern({}, _)", self.seed),
            None => format!("received {} bytes, expected {n}", self.seen),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first bytes of `pattern(2, 9)` as the Go peer's test fixes them (`checkPattern`).
    ///
    /// checks: tooling
    #[test]
    fn pattern_matches_the_go_peer() {
        assert_eq!(pattern(2, 9), [14, 45, 76, 107, 138, 169, 200, 231, 11]);
        assert_eq!(pattern(0, 3), [0, 31, 62]);
    }

    /// A pattern read from an offset is the same bytes as the whole pattern there, and the
    /// overflow-free formula agrees with the plain one.
    ///
    /// checks: tooling
    #[test]
    fn pattern_at_an_offset_is_the_whole_pattern_there() {
        assert_eq!(pattern_at(3, 1000, 10), pattern(3, 1010)[1000..]);
        for (seed, i) in [(0u64, 0u64), (7, 250), (1 << 40, 1 << 50), (251, 252)] {
            let plain = ((i as u128 * 31 + seed as u128 * 7) % 251) as u8;
            assert_eq!(pattern_byte(seed, i), plain, "seed {seed}, byte {i}");
        }
        assert_eq!(pattern_byte(u64::MAX, u64::MAX), {
            ((u64::MAX as u128 * 38) % 251) as u8
        });
    }

    /// The checker accepts the pattern, finds the first differing byte, and hashes as FNV-1a.
    ///
    /// checks: tooling
    #[test]
    fn checker_finds_the_first_mismatch() {
        let mut ok = PatternChecker::new(3);
        ok.feed(&pattern(3, 6));
        ok.feed(&pattern_at(3, 6, 4));
        assert!(ok.verified(10));
        assert!(!ok.verified(11));
        assert_eq!(ok.problem(11), "received 10 bytes, expected 11");
        assert_eq!(ok.fnv_hex(), crate::fnv::fnv1a_hex(&pattern(3, 10)));
        let mut bad = PatternChecker::new(3);
        let mut data = pattern(3, 10);
        data[4] ^= 1;
        data[7] ^= 1;
        bad.feed(&data);
        assert_eq!(bad.first_mismatch, Some(4));
        assert_eq!(bad.problem(10), "byte 4 differs from pattern(3, _)");
    }
}
