//! Bytes as plain lowercase hex, as the vectors, transcripts, reports and agent commands
//! write them.

use std::fmt;

/// Why text is not hex.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HexError {
    /// An odd number of characters: the last byte is half there.
    OddLength(usize),
    /// The character at this byte offset is not a hex digit.
    BadDigit(usize),
}

impl fmt::Display for HexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HexError::OddLength(len) => write!(f, "odd hex length {len}"),
            HexError::BadDigit(at) => write!(f, "not a hex digit at offset {at}"),
        }
    }
}

impl std::error::Error for HexError {}

/// `bytes` as lowercase hex, two digits a byte.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * bytes.len());
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

/// The bytes of hex `text` (either case, nothing else: no spaces, no sign, no `0x`).
pub fn from_hex(text: &str) -> Result<Vec<u8>, HexError> {
    let digits = text.as_bytes();
    if digits.len() % 2 != 0 {
        return Err(HexError::OddLength(digits.len()));
    }
    let digit = |at: usize| -> Result<u8, HexError> {
        match digits[at] {
            c @ b'0'..=b'9' => Ok(c - b'0'),
            c @ b'a'..=b'f' => Ok(c - b'a' + 10),
            c @ b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(HexError::BadDigit(at)),
        }
    };
    (0..digits.len())
        .step_by(2)
        .map(|at| Ok(digit(at)? << 4 | digit(at + 1)?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte value survives the round trip, in lowercase.
    ///
    /// checks: tooling
    #[test]
    fn round_trip() {
        let all: Vec<u8> = (0..=255).collect();
        let text = to_hex(&all);
        assert_eq!(text.len(), 512);
        assert!(text.starts_with("000102"));
        assert!(text.ends_with("fdfeff"));
        assert_eq!(from_hex(&text).unwrap(), all);
        assert_eq!(from_hex("ABcd").unwrap(), [0xab, 0xcd]);
        assert_eq!(to_hex(b""), "");
        assert_eq!(from_hex("").unwrap(), Vec::<u8>::new());
    }

    /// Odd lengths and anything but hex digits are refused, with where.
    ///
    /// checks: tooling
    #[test]
    fn errors() {
        assert_eq!(from_hex("abc"), Err(HexError::OddLength(3)));
        assert_eq!(from_hex("0g"), Err(HexError::BadDigit(1)));
        assert_eq!(from_hex("+1"), Err(HexError::BadDigit(0)));
        assert_eq!(from_hex("00 1"), Err(HexError::BadDigit(2)));
        assert_eq!(from_hex("é"), Err(HexError::BadDigit(0)));
        assert_eq!(HexError::OddLength(3).to_string(), "odd hex length 3");
    }
}
