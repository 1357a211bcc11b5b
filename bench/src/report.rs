//! `RESULTS.md`: conditions, the ratio table, the targets, and a table per workload.

use std::fmt::Write;

use crate::plan::REFERENCE;
use crate::results::{Better, Metric, Results};

/// A number with as many digits as a benchmark deserves.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let a = x.abs();
    if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 1.0 || a == 0.0 {
        format!("{x:.2}")
    } else {
        // Three significant digits: a 1-byte payload moves hundredths of a MiB per second.
        let digits = (-a.log10()).floor() as usize + 3;
        format!("{x:.digits$}")
    }
}

fn ratio_cell(r: Option<f64>) -> String {
    r.map_or("–".into(), |r| format!("{r:.2}"))
}

fn arrow(m: &Metric) -> &'static str {
    match m.better {
        Better::Higher => "↑",
        Better::Lower => "↓",
    }
}

/// Names of the implementations that ran, in report order.
fn names(results: &Results) -> Vec<String> {
    results
        .implementations
        .iter()
        .map(|i| i.name.clone())
        .collect()
}

/// The ratio table: one row per metric, the reference's median, then every other
/// implementation's median divided by the reference's.
pub fn ratio_table(results: &Results) -> String {
    let others: Vec<String> = names(results)
        .into_iter()
        .filter(|n| n != REFERENCE)
        .collect();
    let mut s = String::new();
    let _ = write!(s, "| metric | | reference |");
    for o in &others {
        let _ = write!(s, " {o} |");
    }
    let _ = write!(s, "\n|---|---|---:|");
    for _ in &others {
        let _ = write!(s, "---:|");
    }
    s.push('\n');
    for m in results.metrics() {
        let reference = results
            .summary(&m, REFERENCE)
            .map_or("–".into(), |x| format!("{} {}", num(x.median), m.unit));
        let _ = write!(s, "| {} | {} | {reference} |", m.id, arrow(&m));
        for o in &others {
            let _ = write!(s, " {} |", ratio_cell(results.ratio(&m, o)));
        }
        s.push('\n');
    }
    s
}

/// One of the targets, judged on this run.
pub struct Target {
    /// What is asked and what was measured.
    pub text: String,
    /// `None` when this run did not measure what the target needs.
    pub met: Option<bool>,
}

/// Whether the reference is at least as good as `other` on `m` (medians), and the ratio
/// reference ÷ other.
fn reference_vs(results: &Results, m: &Metric, other: &str) -> Option<(bool, f64)> {
    let r = results.summary(m, REFERENCE)?.median;
    let o = results.summary(m, other)?.median;
    let ratio = r / o;
    if !ratio.is_finite() {
        return None;
    }
    let ok = match m.better {
        Better::Higher => r >= o,
        Better::Lower => r <= o,
    };
    Some((ok, ratio))
}

/// The targets (issue 7, part 4), each with the numbers of this run.
pub fn targets(results: &Results) -> Vec<Target> {
    let metrics = results.metrics();
    let find = |id: &str| metrics.iter().find(|m| m.id == id);
    let mut out = Vec::new();
    // One-stream bulk: the largest payload on one stream that ran.
    let one_stream = metrics
        .iter()
        .filter(|m| m.id.starts_with("bulk-") && m.id.ends_with("-x1"))
        .max_by_key(|m| {
            results
                .cases
                .iter()
                .find(|c| c.case.id == m.case)
                .map_or(0, |c| c.case.size)
        });
    let mut threshold = |m: Option<&Metric>, other: &str, at_least: f64, what: &str| {
        let text_and_met = m.and_then(|m| {
            let r = results.summary(m, REFERENCE)?.median;
            let o = results.summary(m, other)?.median;
            let ratio = r / o;
            ratio.is_finite().then(|| {
                (
                    format!(
                        "{what}: reference ÷ {other} = {ratio:.2} (target ≥ {at_least}) on `{}`: {} vs {} {}",
                        m.id,
                        num(r),
                        num(o),
                        m.unit
                    ),
                    ratio >= at_least,
                )
            })
        });
        out.push(match text_and_met {
            Some((text, met)) => Target {
                text,
                met: Some(met),
            },
            None => Target {
                text: format!(
                    "{what} (reference ÷ {other} ≥ {at_least}): not measured in this run"
                ),
                met: None,
            },
        });
    };
    threshold(one_stream, "tcp", 0.85, "one-stream bulk vs plain TCP");
    threshold(
        one_stream,
        "go-2016",
        1.5,
        "one-stream bulk vs inconshreveable/muxado",
    );
    threshold(
        find("rate-seq"),
        "go-2016",
        2.0,
        "open+echo+close, sequential, vs inconshreveable/muxado",
    );
    threshold(
        find("rate-x64"),
        "go-2016",
        2.0,
        "open+echo+close, 64 in flight, vs inconshreveable/muxado",
    );
    for other in ["ngrok-rust", "yamux"] {
        let mut worse = Vec::new();
        let mut compared = 0;
        for m in &metrics {
            if let Some((ok, ratio)) = reference_vs(results, m, other) {
                compared += 1;
                if !ok {
                    worse.push(format!("`{}` ({ratio:.2})", m.id));
                }
            }
        }
        out.push(if compared == 0 {
            Target {
                text: format!("no worse than {other} on any workload: not measured in this run"),
                met: None,
            }
        } else if worse.is_empty() {
            Target {
                text: format!("no worse than {other} on any workload: better or equal on all {compared} metrics"),
                met: Some(true),
            }
        } else {
            Target {
                text: format!(
                    "no worse than {other} on any workload: worse on {} of {compared} metrics (reference ÷ {other}): {}",
                    worse.len(),
                    worse.join(", ")
                ),
                met: Some(false),
            }
        });
    }
    for m in metrics.iter().filter(|m| m.id.starts_with("memory-")) {
        for go in ["go-2016", "go-v2.0.2"] {
            let (Some(r), Some(g)) = (results.summary(m, REFERENCE), results.summary(m, go)) else {
                continue;
            };
            out.push(Target {
                text: format!(
                    "memory per idle stream no more than {go}'s: reference {} vs {go} {} {}",
                    num(r.median),
                    num(g.median),
                    m.unit
                ),
                met: (r.median.is_finite() && g.median.is_finite()).then_some(r.median <= g.median),
            });
        }
    }
    out
}

/// The whole `RESULTS.md`.
pub fn markdown(results: &Results, svg_name: Option<&str>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Benchmark results\n");
    let _ = writeln!(
        s,
        "Written by `muxado-bench` (`ci/bench`, see [README.md](README.md) for the workloads and \
         the fairness rules) from the raw results in `results.json`; regenerate with \
         `cargo run -p muxado-bench -- report results.json --out DIR`.\n"
    );
    let _ = writeln!(s, "## Conditions\n");
    let _ = writeln!(s, "- command: `{}`", results.command);
    let _ = writeln!(
        s,
        "- started {}, took {:.1} min; {} repetition(s) of every case per implementation, the \
         implementations in an order that rotates with each repetition; every run starts a \
         fresh server and client process",
        results.started_utc,
        results.duration_s / 60.0,
        results.reps
    );
    for (k, v) in &results.machine {
        let _ = writeln!(s, "- {k}: {v}");
    }
    let _ = writeln!(s, "\n| implementation | what | version |\n|---|---|---|");
    for i in &results.implementations {
        let _ = writeln!(s, "| {} | {} | {} |", i.name, i.about, i.version);
    }
    let _ = writeln!(s, "\nToolchains:");
    for key in ["rustc", "go", "tokio (reference, tcp)"] {
        if let Some(v) = results.versions.get(key) {
            let _ = writeln!(s, "- {key}: {v}");
        }
    }
    let _ = writeln!(s, "\nSettings:");
    for line in &results.settings {
        let _ = writeln!(s, "- {line}");
    }

    let _ = writeln!(s, "\n## Ratios to the reference\n");
    let _ = writeln!(
        s,
        "Each cell is the implementation's median divided by the reference's median. ↑: higher \
         is better (a ratio above 1 is faster than the reference); ↓: lower is better (a ratio \
         above 1 is slower or bigger than the reference).\n"
    );
    s.push_str(&ratio_table(results));

    let _ = writeln!(s, "\n## Targets (issue 7)\n");
    for t in targets(results) {
        let mark = match t.met {
            Some(true) => "met",
            Some(false) => "**not met**",
            None => "n/a",
        };
        let _ = writeln!(s, "- {mark}: {}", t.text);
    }

    if let Some(svg) = svg_name {
        let _ = writeln!(s, "\n## Throughput by payload and stream count\n");
        let _ = writeln!(s, "![bulk throughput, median MiB/s]({svg})");
    }

    let _ = writeln!(s, "\n## Per workload\n");
    let _ = writeln!(
        s,
        "Median, smallest and largest value over the repetitions, and the median divided by the \
         reference's. `runs`: successful / all. `CPU s`: the median CPU time of a run, client \
         and server processes together (user + system, from start to exit, so process start \
         and the warm-up round trip are included); on this machine's {} cores, a run of \
         `secs` seconds can use at most {} × `secs`.\n",
        results.machine.get("cores").map_or("?", String::as_str),
        results.machine.get("cores").map_or("?", String::as_str)
    );
    for m in results.metrics() {
        let direction = match m.better {
            Better::Higher => "higher is better",
            Better::Lower => "lower is better",
        };
        let _ = writeln!(s, "### `{}`: {} ({}, {direction})\n", m.id, m.title, m.unit);
        let _ = writeln!(
            s,
            "| implementation | median | min–max | ÷ reference | runs | CPU s |\n|---|---:|---:|---:|---:|---:|"
        );
        for name in names(results) {
            let Some(x) = results.summary(&m, &name) else {
                continue;
            };
            let _ = writeln!(
                s,
                "| {name} | {} | {}–{} | {} | {}/{} | {} |",
                num(x.median),
                num(x.min),
                num(x.max),
                ratio_cell(results.ratio(&m, &name)),
                x.ok,
                x.ok + x.failed,
                results.cpu_median(&m.case, &name).map_or("–".into(), num)
            );
        }
        s.push('\n');
    }

    let failures = results.failures();
    if !failures.is_empty() {
        let _ = writeln!(s, "## Failed runs\n");
        for (case, name, rep, error) in failures {
            let _ = writeln!(
                s,
                "- `{case}` {name} rep {}: {}",
                rep + 1,
                error.replace('|', "/")
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::plan::{Mode, PeerCommand};
    use crate::results::{CaseRuns, ImplInfo, Run};

    /// Results of a quick run where each implementation's runs all give `figures[name]`
    /// (bytes per second scale for bulk, ops for rates, bytes per stream for memory).
    fn fake(figures: &[(&str, f64)]) -> Results {
        let cases = Mode::Quick.cases();
        let result = |case: &crate::plan::Case, x: f64| match case.kind {
            crate::plan::Kind::Bulk => {
                json!({"ok": true, "bytes": x * f64::from(1 << 20), "secs": 1.0})
            }
            crate::plan::Kind::Rate => json!({"ok": true, "ops": x, "secs": 1.0}),
            crate::plan::Kind::Latency => {
                json!({"ok": true, "p50_us": 1000.0 / x, "p99_us": 2000.0 / x})
            }
            crate::plan::Kind::Memory => {
                json!({"ok": true, "rss_before": 0, "rss_after": 1_000_000.0 / x, "streams": 1})
            }
        };
        Results {
            schema: 1,
            mode: Mode::Quick,
            command: "test".into(),
            started_utc: "now".into(),
            duration_s: 1.0,
            machine: BTreeMap::new(),
            versions: BTreeMap::new(),
            settings: Vec::new(),
            implementations: figures
                .iter()
                .map(|(name, _)| ImplInfo {
                    name: name.to_string(),
                    about: String::new(),
                    version: String::new(),
                    client: PeerCommand {
                        program: "x".into(),
                        args: Vec::new(),
                    },
                    server: PeerCommand {
                        program: "x".into(),
                        args: Vec::new(),
                    },
                })
                .collect(),
            reps: 1,
            cases: cases
                .iter()
                .map(|case| CaseRuns {
                    case: case.clone(),
                    runs: figures
                        .iter()
                        .map(|(name, x)| {
                            let run = Run {
                                rep: 0,
                                slot: 0,
                                result: Some(result(case, *x)),
                                error: None,
                                wall_s: 1.0,
                                cpu_client_s: Some(0.25),
                                cpu_server_s: Some(0.5),
                            };
                            (name.to_string(), vec![run])
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn targets_are_judged_on_the_medians() {
        // The reference is twice as good as go-2016 everywhere, at 90% of TCP, and worse than
        // yamux everywhere.
        let results = fake(&[
            (REFERENCE, 100.0),
            ("go-2016", 50.0),
            ("tcp", 111.0),
            ("yamux", 200.0),
        ]);
        let targets = targets(&results);
        let met = |needle: &str| {
            targets
                .iter()
                .find(|t| t.text.contains(needle))
                .unwrap_or_else(|| panic!("no target about {needle}"))
                .met
        };
        assert_eq!(met("one-stream bulk vs plain TCP"), Some(true));
        assert_eq!(met("one-stream bulk vs inconshreveable"), Some(true));
        assert_eq!(met("sequential, vs inconshreveable"), Some(true));
        assert_eq!(met("no worse than yamux"), Some(false));
        assert_eq!(met("no worse than ngrok-rust"), None);
        assert_eq!(met("no more than go-2016's"), Some(true));
        let table = ratio_table(&results);
        assert!(
            table.contains("| bulk-32MiB-x1 | ↑ | 100 MiB/s | 0.50 | 1.11 | 2.00 |"),
            "{table}"
        );
        assert!(
            table.contains("| latency-idle-p50 | ↓ | 10.0 µs | 2.00 | 0.90 | 0.50 |"),
            "{table}"
        );
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn numbers_keep_three_significant_digits_below_one() {
        assert_eq!(num(1234.4), "1234");
        assert_eq!(num(12.34), "12.3");
        assert_eq!(num(1.234), "1.23");
        assert_eq!(num(0.01234), "0.0123");
        assert_eq!(num(0.5), "0.500");
        assert_eq!(num(f64::NAN), "–");
    }
}
