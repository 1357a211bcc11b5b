//! The conditions of a run, for the report: the machine, and the versions of everything
//! measured, read from the files that pin them (so the report cannot disagree with the build).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn first_line_of(program: &str, args: &[&str], dir: &Path) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().next().map(|l| l.trim().to_string())
}

/// CPU model, cores, kernel, memory and distribution.
pub fn machine() -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|r| r.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    m.insert("cpu".into(), cpu);
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    m.insert("cores".into(), cores.to_string());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    m.insert("kernel".into(), kernel);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                let kib: f64 = l
                    .strip_prefix("MemTotal:")?
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse()
                    .ok()?;
                Some(format!("{:.1} GiB", kib / (1 << 20) as f64))
            })
        })
        .unwrap_or_else(|| "unknown".into());
    m.insert("memory".into(), memory);
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                Some(
                    l.strip_prefix("PRETTY_NAME=")?
                        .trim_matches('"')
                        .to_string(),
                )
            })
        })
        .unwrap_or_else(|| "unknown".into());
    m.insert("os".into(), os);
    m
}

/// The 1, 5 and 15 minute load averages (`/proc/loadavg`): how busy the machine was with
/// other work around a run, which the report states since the figures depend on it.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

/// The version of `name` in a `Cargo.lock`.
fn locked_version(lock: &str, name: &str) -> Option<String> {
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{name}\"") {
            let v = lines
                .next()?
                .trim()
                .strip_prefix("version = \"")?
                .trim_end_matches('"');
            return Some(v.to_string());
        }
    }
    None
}

/// The version `module` is required at in a `go.mod`.
fn go_required(gomod: &str, module: &str) -> Option<String> {
    gomod.lines().find_map(|l| {
        let mut words = l.split_whitespace();
        let first = words.next()?;
        let (m, v) = if first == "require" {
            (words.next()?, words.next()?)
        } else {
            (first, words.next()?)
        };
        (m == module).then(|| v.to_string())
    })
}

/// Toolchains and implementations, from the repository at `root`.
pub fn versions(root: &Path) -> BTreeMap<String, String> {
    let mut v = BTreeMap::new();
    let unknown = || "unknown".to_string();
    v.insert(
        "rustc".into(),
        first_line_of("rustc", &["--version"], root).unwrap_or_else(unknown),
    );
    v.insert(
        "go".into(),
        first_line_of("go", &["version"], root).unwrap_or_else(unknown),
    );
    let commit = first_line_of("git", &["rev-parse", "--short=12", "HEAD"], root);
    let dirty = first_line_of("git", &["status", "--porcelain", "--", "reference"], root)
        .is_some_and(|l| !l.is_empty());
    v.insert(
        "reference".into(),
        match commit {
            Some(c) if dirty => format!("muxado-reference at {c} (reference/ modified)"),
            Some(c) => format!("muxado-reference at {c}"),
            None => unknown(),
        },
    );
    let gomod = std::fs::read_to_string(root.join("interop/go/go.mod")).unwrap_or_default();
    for (key, module) in [
        ("go-2016", "github.com/inconshreveable/muxado"),
        ("go-v2.0.2", "golang.ngrok.com/muxado/v2"),
    ] {
        v.insert(
            key.into(),
            go_required(&gomod, module)
                .map(|ver| format!("{module} {ver}"))
                .unwrap_or_else(unknown),
        );
    }
    let lock = std::fs::read_to_string(root.join("bench/foreign/Cargo.lock")).unwrap_or_default();
    for (key, krate) in [("ngrok-rust", "muxado"), ("yamux", "yamux")] {
        v.insert(
            key.into(),
            locked_version(&lock, krate)
                .map(|ver| format!("{krate} {ver} (crates.io)"))
                .unwrap_or_else(unknown),
        );
    }
    let tokio = std::fs::read_to_string(root.join("Cargo.lock"))
        .ok()
        .and_then(|l| locked_version(&l, "tokio"))
        .unwrap_or_else(unknown);
    v.insert("tcp".into(), format!("tokio {tokio} TcpStream"));
    v.insert("tokio (reference, tcp)".into(), tokio);
    v
}

/// `YYYY-MM-DD HH:MM UTC` for a Unix time.
pub fn utc(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64;
    let rem = unix_secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn dates() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13 UTC");
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn pinned_versions_are_found() {
        let lock = "[[package]]\nname = \"yamux\"\nversion = \"0.14.1\"\n";
        assert_eq!(locked_version(lock, "yamux").as_deref(), Some("0.14.1"));
        let gomod = "module m\n\nrequire (\n\tgithub.com/a/b v1.2.3\n\tgolang.ngrok.com/muxado/v2 v2.0.2\n)\n";
        assert_eq!(
            go_required(gomod, "golang.ngrok.com/muxado/v2").as_deref(),
            Some("v2.0.2")
        );
        assert_eq!(
            go_required("require x.y/z v0.1.0\n", "x.y/z").as_deref(),
            Some("v0.1.0")
        );
    }
}
