//! The `soak` scenario's random choices (`interop/SCENARIOS.md`, `soak`): every
//! implementation draws them alike, so that a seed replays a run's streams anywhere. Stream
//! `k` of a run with seed `s` draws from splitmix64 started at `s << 32 ^ k`: its size, whether
//! it is abandoned and after how many bytes, then one draw per write.

use crate::splitmix::SplitMix64;

/// How many streams the soak client keeps open at once.
pub const SOAK_IN_FLIGHT: usize = 32;
/// The largest stream the soak client sends (and gets back).
pub const SOAK_MAX_SIZE: u64 = 256 * 1024;
/// One soak stream in this many is abandoned before its FIN.
pub const SOAK_ABORT_ONE_IN: u64 = 8;

/// The generator of soak stream `k` of a run with `seed`.
pub fn soak_rng(seed: u64, k: u64) -> SplitMix64 {
    SplitMix64((seed << 32) ^ k)
}

/// What soak stream `k` does, drawn in this order: its size, whether it is abandoned and
/// after how many bytes; then one draw per write ([`soak_write`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SoakPlan {
    /// The bytes the stream carries when it is not abandoned.
    pub size: usize,
    /// Whether the client abandons it (resets it) after `abort_at` bytes.
    pub abort: bool,
    /// Where an abandoned stream stops.
    pub abort_at: usize,
}

impl SoakPlan {
    /// Draws a stream's plan.
    pub fn draw(rng: &mut SplitMix64) -> SoakPlan {
        let size = (rng.next_u64() % (SOAK_MAX_SIZE + 1)) as usize;
        let abort = rng.next_u64() % SOAK_ABORT_ONE_IN == 0;
        let abort_at = (rng.next_u64() % (size as u64 + 1)) as usize;
        SoakPlan {
            size,
            abort,
            abort_at,
        }
    }

    /// Bytes written before the FIN, or before the reset of an abandoned stream.
    pub fn limit(&self) -> usize {
        if self.abort { self.abort_at } else { self.size }
    }
}

/// The size of the next write: one in four is 1 to 64 bytes (small DATA frames), the others
/// 1 byte to 32 KiB.
pub fn soak_write(rng: &mut SplitMix64) -> usize {
    let w = rng.next_u64();
    let most = if w % 4 == 0 { 64 } else { 32 * 1024 };
    1 + ((w >> 8) % most) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The soak's random choices are the ones SCENARIOS.md defines, drawn in its order: the
    /// same vector is checked on the Go side (`TestSoakPlan`).
    ///
    /// checks: [STREAM-6]
    #[test]
    fn soak_plan_matches_the_go_peer() {
        let mut rng = soak_rng(1, 0);
        let plan = SoakPlan::draw(&mut rng);
        assert_eq!(
            plan,
            SoakPlan {
                size: 137_961,
                abort: false,
                abort_at: 45_829
            }
        );
        assert_eq!(plan.limit(), 137_961);
        assert_eq!(
            (soak_write(&mut rng), soak_write(&mut rng)),
            (27_567, 8_957)
        );
    }
}
