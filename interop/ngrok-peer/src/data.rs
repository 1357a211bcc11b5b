//! The scenario data: `pattern(seed, n)` and the FNV-1a 64-bit hash (interop/SCENARIOS.md).

/// Byte `i` of `pattern(seed, _)`: `(i * 31 + seed * 7) mod 251`.
pub fn pattern_byte(seed: u64, i: u64) -> u8 {
    ((i % 251 * 31 + seed % 251 * 7) % 251) as u8
}

/// `len` bytes of `pattern(seed, _)` starting at byte `offset`.
pub fn pattern_at(seed: u64, offset: u64, len: usize) -> Vec<u8> {
    (0..len as u64)
        .map(|i| pattern_byte(seed, offset + i))
        .collect()
}

/// `pattern(seed, n)`.
pub fn pattern(seed: u64, n: usize) -> Vec<u8> {
    pattern_at(seed, 0, n)
}

/// Checks received bytes against a pattern as they arrive, and hashes them.
pub struct Checker {
    seed: u64,
    /// Bytes seen so far.
    pub seen: u64,
    /// Offset of the first byte that differed from the pattern.
    pub first_mismatch: Option<u64>,
    fnv: u64,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

impl Checker {
    /// A checker for `pattern(seed, _)`.
    pub fn new(seed: u64) -> Self {
        Checker {
            seed,
            seen: 0,
            first_mismatch: None,
            fnv: FNV_OFFSET,
        }
    }

    /// Feeds the next received bytes.
    pub fn feed(&mut self, data: &[u8]) {
        for &b in data {
            if self.first_mismatch.is_none() && b != pattern_byte(self.seed, self.seen) {
                self.first_mismatch = Some(self.seen);
            }
            self.fnv = (self.fnv ^ u64::from(b)).wrapping_mul(FNV_PRIME);
            self.seen += 1;
        }
    }

    /// The FNV-1a 64-bit hash of everything fed, as 16 hex digits.
    pub fn fnv_hex(&self) -> String {
        format!("{:016x}", self.fnv)
    }

    /// Whether exactly `n` bytes were fed, all matching the pattern.
    pub fn verified(&self, n: u64) -> bool {
        self.seen == n && self.first_mismatch.is_none()
    }

    /// What was wrong, for a detail text, when [`Checker::verified`] is false.
    pub fn problem(&self, n: u64) -> String {
        match self.first_mismatch {
            Some(at) => format!("byte {at} differs from pattern({}, _)", self.seed),
            None => format!("received {} bytes, expected {n}", self.seen),
        }
    }
}
