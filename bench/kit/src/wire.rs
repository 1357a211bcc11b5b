//! The per-stream contract shared by every bench peer, Rust and Go.

/// What the acceptor of a stream does with it, named by the stream's first byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `S`: read to end-of-stream, then reply with the payload byte count (8 bytes, big
    /// endian) and half-close. The count arrives only after the last byte was read, so the
    /// opener's clock covers the whole transfer.
    Sink,
    /// `E`: write back everything read, until end-of-stream, then half-close.
    Echo,
    /// `H`: reply `h` and keep the stream open and unread until the session ends.
    Hold,
    /// `Q`: reply with the number of held streams, the acceptor's resident set size in bytes
    /// and the CPU time its process has used in microseconds (8 bytes each, big endian), then
    /// half-close.
    Query,
}

impl Op {
    /// The first byte that names this operation.
    pub fn byte(self) -> u8 {
        match self {
            Op::Sink => b'S',
            Op::Echo => b'E',
            Op::Hold => b'H',
            Op::Query => b'Q',
        }
    }

    /// The operation a first byte names.
    pub fn from_byte(byte: u8) -> Option<Op> {
        match byte {
            b'S' => Some(Op::Sink),
            b'E' => Some(Op::Echo),
            b'H' => Some(Op::Hold),
            b'Q' => Some(Op::Query),
            _ => None,
        }
    }
}

/// Size of every bulk write and of the sink's reads: large enough that per-call costs do not
/// dominate, the size Rust and Go programs commonly copy with.
pub const CHUNK: usize = 64 * 1024;

/// Size of the echo side's read buffer: echoed messages are 64 bytes, and a smaller buffer
/// keeps the per-stream allocation of the open/echo/close workload cheap in every peer.
pub const ECHO_BUF: usize = 16 * 1024;

/// Size of an echoed message (rate and latency workloads).
pub const ECHO_LEN: usize = 64;

/// Every implementation runs with this per-stream window (receive buffer), whatever its
/// default, so that flow control is the same everywhere.
pub const WINDOW: u32 = 256 * 1024;

/// Accept backlog of every implementation that has one. The defaults (Go 128, the reference
/// 128, ngrok's crate 64) would let 256 simultaneous opens overflow it, which Go and the
/// reference answer by refusing streams: a failed run, not a slow one.
pub const BACKLOG: u32 = 1024;

/// Stream limit of every implementation that has one (ngrok's crate 512, yamux 512 by
/// default): the memory workload holds 10,000 streams.
pub const MAX_STREAMS: usize = 65_536;

/// `pattern(i)`: the payload byte at offset `i`, as in `interop/SCENARIOS.md` with seed 0.
pub fn pattern(len: usize) -> Vec<u8> {
    muxado_testkit::pattern::pattern(0, len)
}

/// The resident set size of this process in bytes (`VmRSS` of `/proc/self/status`), or 0 when
/// it cannot be read (not Linux).
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                let rest = line.strip_prefix("VmRSS:")?;
                let kib: u64 = rest.trim().trim_end_matches("kB").trim().parse().ok()?;
                Some(kib * 1024)
            })
        })
        .unwrap_or(0)
}

/// Clock ticks per second of `/proc/PID/stat` times: `USER_HZ`, 100 on every Linux
/// architecture the benchmark runs on (the kernel's ABI, whatever its internal `HZ`).
pub const USER_HZ: u64 = 100;

/// The CPU time (user + system, every thread) this process has used, in microseconds, from
/// `/proc/self/stat` (resolution 1 / [`USER_HZ`] s), or 0 when it cannot be read.
pub fn cpu_micros() -> u64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0;
    };
    // The command name (field 2) may hold spaces; the fields after its `)` start at field 3.
    let Some(close) = stat.rfind(')') else {
        return 0;
    };
    let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (tick(11) + tick(12)) * (1_000_000 / USER_HZ) // fields 14 (utime) and 15 (stime)
}

/// Percentile `p` (0 to 100) of sorted samples: the sample at index `(n - 1) * p / 100`
/// (rounded down), the same rule as the Go peer.
pub fn percentile(sorted: &[f64], p: usize) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[(sorted.len() - 1) * p / 100]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn ops_round_trip_through_their_byte() {
        for op in [Op::Sink, Op::Echo, Op::Hold, Op::Query] {
            assert_eq!(Op::from_byte(op.byte()), Some(op));
        }
        assert_eq!(Op::from_byte(b'x'), None);
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn percentile_picks_by_index() {
        let samples: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&samples, 50), 50.0);
        assert_eq!(percentile(&samples, 99), 99.0);
        assert_eq!(percentile(&samples, 100), 100.0);
        assert_eq!(percentile(&[], 50), 0.0);
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn pattern_matches_the_scenarios_formula() {
        let p = pattern(300);
        assert_eq!(p[0], 0);
        assert_eq!(p[1], 31);
        assert_eq!(p[9], (9 * 31 % 251) as u8);
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn rss_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(rss_bytes() > 0);
        }
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn cpu_time_is_read_and_grows_with_work() {
        if !cfg!(target_os = "linux") {
            return;
        }
        let before = cpu_micros();
        let started = std::time::Instant::now();
        let mut x: u64 = 1;
        while started.elapsed() < std::time::Duration::from_millis(60) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        assert!(cpu_micros() >= before + 10_000, "60 ms of spinning shows");
    }
}
