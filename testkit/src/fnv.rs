//! FNV-1a, 64 bits: the hash the scenario peers report of what they received
//! (`observed.fnv`), that transcripts keep of long bodies (`payload_fnv`), and that the soak
//! uses as a stream's checksum.

/// The FNV-1a 64-bit offset basis.
pub const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
/// The FNV 64-bit prime.
pub const PRIME: u64 = 0x0000_0100_0000_01b3;

/// An FNV-1a hash fed piece by piece.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a::new()
    }
}

impl Fnv1a {
    /// The hash of nothing.
    pub const fn new() -> Self {
        Fnv1a(OFFSET_BASIS)
    }

    /// Feeds the next bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(PRIME);
        }
    }

    /// The hash of everything fed.
    pub const fn finish(&self) -> u64 {
        self.0
    }

    /// The hash of everything fed as 16 lowercase hex digits, as `observed.fnv` carries it.
    pub fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

/// The FNV-1a 64-bit hash of `bytes`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash = Fnv1a::new();
    hash.update(bytes);
    hash.finish()
}

/// The FNV-1a 64-bit hash of `bytes` as 16 lowercase hex digits.
pub fn fnv1a_hex(bytes: &[u8]) -> String {
    format!("{:016x}", fnv1a(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published FNV-1a 64 test values.
    ///
    /// checks: tooling
    #[test]
    fn known_answers() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(fnv1a_hex(b""), "cbf29ce484222325");
        assert_eq!(fnv1a_hex(b"a"), "af63dc4c8601ec8c");
    }

    /// Feeding in pieces gives the hash of the whole.
    ///
    /// checks: tooling
    #[test]
    fn pieces_hash_as_the_whole() {
        let mut hash = Fnv1a::default();
        hash.update(b"foo");
        hash.update(b"");
        hash.update(b"bar");
        assert_eq!(hash.finish(), fnv1a(b"foobar"));
        assert_eq!(hash.hex(), fnv1a_hex(b"foobar"));
    }
}
