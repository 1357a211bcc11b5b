//! The test data every muxado tool shares, in one place: the byte pattern of the interop
//! scenarios, the FNV-1a hash their peers report, the splitmix64 generator that seeds the soak
//! and the fault proxy, hex as vectors and transcripts write it, the names and exit codes of
//! the scenario contract (`interop/SCENARIOS.md`), and the soak tests' environment.
//!
//! Standard library only, so that the workspaces kept apart from the main one
//! (`interop/ngrok-peer`, `fuzz`, `bench/foreign`) can depend on it by path.
//!
//! ```
//! use muxado_testkit::{fnv, hex, pattern, splitmix::SplitMix64};
//!
//! // Byte i of pattern(seed, n) is (i * 31 + seed * 7) mod 251.
//! assert_eq!(pattern::pattern(2, 3), [14, 45, 76]);
//! assert_eq!(fnv::fnv1a_hex(b""), "cbf29ce484222325");
//! assert_eq!(SplitMix64::new(0).next_u64(), 0xe220_a839_7b1d_cdaf);
//! assert_eq!(hex::from_hex(&hex::to_hex(b"muxado")).unwrap(), b"muxado");
//! ```

#![forbid(unsafe_code)]

pub mod fnv;
pub mod hex;
pub mod pattern;
pub mod scenario;
pub mod soak;
pub mod soak_env;
pub mod splitmix;
