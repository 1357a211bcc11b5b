//! `RESULTS.md`: conditions, the ratio table, the issue's targets, and a table per workload.

use std::fmt::Write;

use crate::plan::REFERENCE;
use crate::results::{Better, Metric, Results, SPREAD_BOUND, Summary};

/// The marker of a figure too unsteady to judge on (min–max spread above [`SPREAD_BOUND`]).
pub const UNSTEADY: &str = "⚠";

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

/// A ratio with two decimals, or a dash when there is none.
pub fn ratio_cell(r: Option<f64>) -> String {
    r.map_or("–".into(), |r| format!("{r:.2}"))
}

/// Which way is better, as the tables show it.
pub fn arrow(better: Better) -> &'static str {
    match better {
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
    // A metric the reference does not run (the TCP floor) has its own table.
    for m in results
        .metrics()
        .into_iter()
        .filter(|m| results.summary(m, REFERENCE).is_some())
    {
        let mark = |name: &str| {
            if results.summary(&m, name).is_some_and(|x| x.unsteady()) {
                UNSTEADY
            } else {
                ""
            }
        };
        let reference = results.summary(&m, REFERENCE).map_or("–".into(), |x| {
            format!("{} {}{}", num(x.median), m.unit, mark(REFERENCE))
        });
        let _ = write!(s, "| {} | {} | {reference} |", m.id, arrow(m.better));
        for o in &others {
            let ratio = results.ratio(&m, o);
            let flag = if ratio.is_some() { mark(o) } else { "" };
            // No ratio to a reference of zero (nothing refused, no CPU used): the figure itself.
            let zero = results
                .summary(&m, REFERENCE)
                .is_some_and(|x| x.median == 0.0);
            let figure = results
                .summary(&m, o)
                .filter(|x| zero && x.median.is_finite());
            match figure {
                Some(x) => {
                    let _ = write!(s, " {} {} |", num(x.median), m.unit);
                }
                None => {
                    let _ = write!(s, " {}{flag} |", ratio_cell(ratio));
                }
            }
        }
        s.push('\n');
    }
    s
}

/// The latency floor: plain TCP's run of the idle-latency case, ping-pong on one connection,
/// measured in the same rotation as the implementations it is compared with.
pub const FLOOR: (&str, &str) = ("latency-idle", "tcp");

/// Every implementation's latency divided by the plain-TCP floor measured in the same run
/// (its median p50 and p99), or `None` when the run has no floor.
pub fn floor_table(results: &Results) -> Option<String> {
    let metrics = results.metrics();
    let find = |id: &str| metrics.iter().find(|m| m.id == id);
    let floor = |q: &str| {
        let m = find(&format!("{}-{q}", FLOOR.0))?;
        let x = results.summary(m, FLOOR.1)?.median;
        x.is_finite().then_some(x)
    };
    let (p50, p99) = (floor("p50")?, floor("p99")?);
    let columns: Vec<(&str, &str)> = [
        ("latency-idle-p50", "p50"),
        ("latency-idle-p99", "p99"),
        ("latency-loaded-p50", "p50"),
        ("latency-loaded-p99", "p99"),
    ]
    .into_iter()
    .filter(|(id, _)| find(id).is_some())
    .collect();
    if columns.is_empty() {
        return None;
    }
    let mut s = format!(
        "Floor: plain TCP ping-pong on one connection, p50 {} µs, p99 {} µs.\n\n| implementation |",
        num(p50),
        num(p99)
    );
    for (id, _) in &columns {
        let _ = write!(s, " {id} ÷ floor |");
    }
    s.push_str("\n|---|");
    for _ in &columns {
        s.push_str("---:|");
    }
    s.push('\n');
    for name in names(results) {
        let cells: Vec<String> = columns
            .iter()
            .map(|(id, q)| {
                let floor = find(&format!("{}-{q}", FLOOR.0))?;
                let x = results.paired((find(id)?, &name), (floor, FLOOR.1))?;
                x.median.is_finite().then(|| {
                    let flag = if x.unsteady() { UNSTEADY } else { "" };
                    format!("{:.2}{flag}", x.median)
                })
            })
            .map(|cell| cell.unwrap_or_else(|| "–".into()))
            .collect();
        if cells.iter().all(|c| c == "–") {
            continue;
        }
        let _ = writeln!(s, "| {name} | {} |", cells.join(" | "));
    }
    Some(s)
}

/// One of the issue's targets, judged on this run.
pub struct Target {
    /// What is asked and what was measured.
    pub text: String,
    /// `None` when this run did not measure what the target needs.
    pub met: Option<bool>,
}

/// Whether per-repetition ratios `x` meet a target (`meets` says whether one ratio does):
/// the median decides; ratios that spread beyond [`SPREAD_BOUND`] decide only when every
/// repetition agrees (its smallest and largest ratio on the same side of the bound), since no
/// median of them could then say otherwise. `None`: not judged.
fn judge(x: &Summary, meets: impl Fn(f64) -> bool) -> Option<bool> {
    if x.failed >= x.ok || !x.median.is_finite() {
        // Most repetitions without a ratio (a run failed, or a figure of zero).
        return None;
    }
    (!x.unsteady() || meets(x.min) == meets(x.max)).then(|| meets(x.median))
}

/// A target's ratio `who ÷ other`, judged per repetition ([`Results::paired`], [`judge`]):
/// the text of the figures and the ratios, and whether they meet the target (`None`: not
/// judged). `None` when not measured.
fn per_repetition(
    results: &Results,
    (m, who): (&Metric, &str),
    (o, other): (&Metric, &str),
    meets: impl Fn(f64) -> bool,
) -> Option<(String, Option<bool>)> {
    let (mine, theirs) = (results.summary(m, who)?, results.summary(o, other)?);
    let x = results.paired((m, who), (o, other))?;
    if x.ok == 0 {
        return None;
    }
    let same = if m.id == o.id {
        format!("`{}`", m.id)
    } else {
        format!("`{}` ÷ `{}`", m.id, o.id)
    };
    let mut text = format!(
        "{who} ÷ {other} on {same} = {:.2} (median of {} repetitions' ratios, {:.2}–{:.2}; medians {} vs {} {})",
        x.median,
        x.ok,
        x.min,
        x.max,
        num(mine.median),
        num(theirs.median),
        m.unit
    );
    let judged = judge(&x, &meets);
    if x.failed > 0 {
        let _ = write!(text, "; {} repetition(s) without a ratio", x.failed);
    }
    if x.unsteady() {
        let spread = x.spread().unwrap_or(f64::NAN);
        let _ = write!(
            text,
            "; the ratios spread {spread:.2}× (above {SPREAD_BOUND}): {}",
            match judged {
                Some(true) => "judged all the same, every repetition meets the target",
                Some(false) => "judged all the same, no repetition meets the target",
                None => "not judged",
            }
        );
    }
    Some((text, judged))
}

/// The issue's targets (issue 7, part 4), each with the numbers of this run.
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
        let judged =
            m.and_then(|m| per_repetition(results, (m, REFERENCE), (m, other), |r| r >= at_least));
        out.push(match judged {
            Some((text, met)) => Target {
                text: format!("{what}: {text} (target ≥ {at_least})"),
                met,
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
        let mut unsteady = Vec::new();
        for m in &metrics {
            let Some(x) = results.paired((m, REFERENCE), (m, other)) else {
                continue;
            };
            let at_least_as_good = |ratio: f64| match m.better {
                Better::Higher => ratio >= 1.0,
                Better::Lower => ratio <= 1.0,
            };
            match judge(&x, at_least_as_good) {
                Some(ok) => {
                    compared += 1;
                    if !ok {
                        worse.push(format!("`{}` ({:.2})", m.id, x.median));
                    }
                }
                // Unsteady ratios on both sides of 1 (not: most repetitions without a ratio).
                None if x.unsteady() && x.failed < x.ok => unsteady.push(format!("`{}`", m.id)),
                None => {}
            }
        }
        let not_judged = if unsteady.is_empty() {
            String::new()
        } else {
            format!(
                "; not judged on {} (per-repetition ratios spread above {SPREAD_BOUND}, on both sides of 1): {}",
                unsteady.len(),
                unsteady.join(", ")
            )
        };
        out.push(if compared == 0 {
            Target {
                text: format!("no worse than {other} on any workload: not measured in this run"),
                met: None,
            }
        } else if worse.is_empty() {
            Target {
                text: format!("no worse than {other} on any workload: better or equal on all {compared} metrics{not_judged}"),
                met: Some(true),
            }
        } else {
            Target {
                text: format!(
                    "no worse than {other} on any workload: worse on {} of {compared} metrics (reference ÷ {other}): {}{not_judged}",
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
    out.extend(issue_17(results));
    out
}

/// `who`'s `metric` ÷ `other`'s `other_metric` ≤ `bound`, judged per repetition.
fn at_most(
    results: &Results,
    what: &str,
    (metric, who): (&str, &str),
    bound: f64,
    (other_metric, other): (&str, &str),
) -> Target {
    let metrics = results.metrics();
    let find = |id: &str| metrics.iter().find(|m| m.id == id);
    let judged = find(metric)
        .zip(find(other_metric))
        .and_then(|(m, o)| per_repetition(results, (m, who), (o, other), |r| r <= bound));
    match judged {
        Some((text, met)) => Target {
            text: format!("{what}: {text} (target ≤ {bound})"),
            met,
        },
        None => Target {
            text: format!("{what}: not measured in this run"),
            met: None,
        },
    }
}

/// The targets of issue 17: bursts, idle sessions, latency against the TCP floor.
fn issue_17(results: &Results) -> Vec<Target> {
    let mut out = Vec::new();
    let burst = "burst-open-1000";
    let metrics = results.metrics();
    if let Some(m) = metrics.iter().find(|m| m.id == format!("{burst}-refused")) {
        if let Some(x) = results.summary(m, REFERENCE) {
            out.push(Target {
                text: format!(
                    "`{burst}`: no stream refused by the reference: {} refused (median; most {})",
                    num(x.median),
                    num(x.max)
                ),
                met: x.max.is_finite().then_some(x.max == 0.0),
            });
        }
    }
    out.push(at_most(
        results,
        "burst of 1,000 opens, time to the last echo no worse than go-2016's",
        (&format!("{burst}-ms"), REFERENCE),
        1.0,
        (&format!("{burst}-ms"), "go-2016"),
    ));
    for m in metrics
        .iter()
        .filter(|m| m.id.starts_with("sessions-idle-") && m.id.ends_with("-mem"))
    {
        for (other, bound) in [
            ("go-2016", 0.25),
            ("go-v2.0.2", 0.25),
            ("yamux", 1.0),
            ("ngrok-rust", 1.0),
        ] {
            out.push(at_most(
                results,
                &format!("memory per idle session vs {other}"),
                (&m.id, REFERENCE),
                bound,
                (&m.id, other),
            ));
        }
    }
    let floor = |q: &str| format!("{}-{q}", FLOOR.0);
    out.push(at_most(
        results,
        "idle latency p50 vs the plain-TCP floor",
        ("latency-idle-p50", REFERENCE),
        1.10,
        (&floor("p50"), FLOOR.1),
    ));
    out.push(at_most(
        results,
        "idle latency p99 vs the plain-TCP floor",
        ("latency-idle-p99", REFERENCE),
        1.2,
        (&floor("p99"), FLOOR.1),
    ));
    for other in ["yamux", "ngrok-rust"] {
        for q in ["p50", "p99"] {
            let id = format!("latency-idle-{q}");
            out.push(at_most(
                results,
                &format!("idle latency {q} vs {other}"),
                (&id, REFERENCE),
                0.9,
                (&id, other),
            ));
        }
    }
    out
}

/// The whole `RESULTS.md`.
pub fn markdown(results: &Results, svg_name: Option<&str>, scaling: Option<&str>) -> String {
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
        "- started {}, took {:.1} min; {} repetition(s) of every case per implementation (the \
         latency cases 2 × {} − 1: they are short, and their runs spread most; the \
         idle-sessions cases at most 3: each run idles 10 s), the \
         implementations in an order that rotates with each repetition; every run starts a \
         fresh server and client process",
        results.started_utc,
        results.duration_s / 60.0,
        results.reps,
        results.reps
    );
    write_machine_and_implementations(&mut s, results);
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
         above 1 is slower or bigger than the reference). {UNSTEADY}: that implementation's runs \
         spread by more than {SPREAD_BOUND}× (largest ÷ smallest).\n"
    );
    s.push_str(&ratio_table(results));

    if let Some(table) = floor_table(results) {
        let _ = writeln!(s, "\n## Latency against the plain-TCP floor\n");
        let _ = writeln!(
            s,
            "Each cell is the median, over the repetitions, of the implementation's round trip \
             divided by the floor's of the same percentile and repetition: `{}`'s `{}`, \
             ping-pong on one plain TCP connection, measured in this run in the same rotation as \
             the others. {UNSTEADY}: those ratios spread by more than {SPREAD_BOUND}×.\n",
            FLOOR.1, FLOOR.0
        );
        s.push_str(&table);
    }

    let _ = writeln!(s, "\n## Targets (issues 7 and 17)\n");
    let _ = writeln!(
        s,
        "A target compares two implementations by the ratio of their runs in the same \
         repetition (the two ran in one rotation, seconds apart, so that what moves the machine \
         between repetitions moves both), and judges the median of those ratios. When the \
         ratios spread by more than {SPREAD_BOUND}× (largest ÷ smallest), the two \
         implementations' runs did not move together and the median says little: the target \
         is then judged only if every repetition's ratio is on the same side of it, and is \
         otherwise not judged (n/a).\n"
    );
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
    if let Some(svg) = scaling {
        let _ = writeln!(s, "\n## How cost grows\n");
        let _ = writeln!(
            s,
            "Bursts by streams opened at once, memory and CPU per idle session and stream rate \
             by sessions, latency by load.\n"
        );
        let _ = writeln!(s, "![how cost grows, medians]({svg})");
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
            "| implementation | median | min–max | max/min | ÷ reference | runs | CPU s |\n|---|---:|---:|---:|---:|---:|---:|"
        );
        for name in names(results) {
            let Some(x) = results.summary(&m, &name) else {
                continue;
            };
            let spread = x.spread().map_or("–".into(), |r| {
                format!("{r:.2}{}", if x.unsteady() { UNSTEADY } else { "" })
            });
            let _ = writeln!(
                s,
                "| {name} | {} | {}–{} | {spread} | {} | {}/{} | {} |",
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

/// The machine's facts as a list, then the table of implementations: the part of the
/// "Conditions" section every report shares.
pub(crate) fn write_machine_and_implementations(s: &mut String, results: &Results) {
    for (k, v) in &results.machine {
        let _ = writeln!(s, "- {k}: {v}");
    }
    let _ = writeln!(s, "\n| implementation | what | version |\n|---|---|---|");
    for i in &results.implementations {
        let _ = writeln!(s, "| {} | {} | {} |", i.name, i.about, i.version);
    }
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
            crate::plan::Kind::Burst => {
                json!({"ok": true, "refused": 0, "last_echo_secs": 1.0 / x})
            }
            crate::plan::Kind::SessionsIdle => json!({"ok": true, "rss_before": 0,
                "rss_after": 1_000_000.0 / x, "sessions": 1, "cpu_idle_us": 1000, "idle_secs": 1.0}),
            crate::plan::Kind::SessionsActive => json!({"ok": true, "ops": x, "secs": 1.0}),
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
                    skipped: BTreeMap::new(),
                })
                .collect(),
        }
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn targets_are_judged_on_the_ratios_of_each_repetition() {
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
        // The floor is plain TCP's 1000 / 111 µs; the reference's idle p50 is 10 µs.
        assert_eq!(met("idle latency p50 vs the plain-TCP floor"), Some(false));
        assert_eq!(met("memory per idle session vs go-2016"), Some(false));
        assert_eq!(met("`burst-open-1000`: no stream refused"), Some(true));
        assert!(
            table.contains("| burst-open-1000-refused | ↓ | 0.00 streams | 0.00 streams |"),
            "a count against a reference of zero is shown as is: {table}"
        );
        let floor = floor_table(&results).expect("a floor was measured");
        assert!(
            floor.contains("| reference | 1.11 | 1.11 | 1.11 | 1.11 |"),
            "{floor}"
        );
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn an_unsteady_figure_is_flagged_and_not_judged() {
        let mut results = fake(&[(REFERENCE, 100.0), ("go-2016", 50.0), ("tcp", 111.0)]);
        // The reference's one-stream bulk runs: 100 and 200 MiB/s, a spread of 2; plain TCP's
        // 111 and 400: ratios 0.90 and 0.50, on both sides of the target's 0.85.
        let case = results
            .cases
            .iter_mut()
            .find(|c| c.case.id == "bulk-32MiB-x1")
            .unwrap();
        let second = |runs: &mut Vec<Run>, mib: f64| {
            let mut run = runs[0].clone();
            run.rep = 1;
            run.result = Some(json!({"ok": true, "bytes": mib * f64::from(1 << 20), "secs": 1.0}));
            runs.push(run);
        };
        second(case.runs.get_mut(REFERENCE).unwrap(), 200.0);
        second(case.runs.get_mut("tcp").unwrap(), 400.0);
        second(case.runs.get_mut("go-2016").unwrap(), 100.0);
        // The one-stream target with plain TCP's second run at `mib` MiB/s.
        let judged_with_tcp_at = |mib: f64| {
            let mut results = results.clone();
            let case = results
                .cases
                .iter_mut()
                .find(|c| c.case.id == "bulk-32MiB-x1")
                .unwrap();
            case.runs.get_mut("tcp").unwrap()[1].result =
                Some(json!({"ok": true, "bytes": mib * f64::from(1 << 20), "secs": 1.0}));
            targets(&results)
                .into_iter()
                .find(|t| t.text.contains("one-stream bulk vs plain TCP"))
                .unwrap()
        };
        let one_stream = judged_with_tcp_at(400.0);
        assert_eq!(one_stream.met, None, "{}", one_stream.text);
        assert!(
            one_stream.text.contains("not judged"),
            "{}",
            one_stream.text
        );
        let table = ratio_table(&results);
        assert!(
            table.contains(&format!("| bulk-32MiB-x1 | ↑ | 150 MiB/s{UNSTEADY} |")),
            "{table}"
        );
        let md = markdown(&results, None, None);
        assert!(
            md.contains(&format!("| 2.00{UNSTEADY} |")),
            "the per-workload table shows the spread"
        );
        // Plain TCP also doubled in the second repetition: the machine moved, the ratio did
        // not, and the target is judged.
        let one_stream = judged_with_tcp_at(222.0);
        assert_eq!(one_stream.met, Some(true), "{}", one_stream.text);
        assert!(
            one_stream
                .text
                .contains("= 0.90 (median of 2 repetitions' ratios, 0.90–0.90"),
            "{}",
            one_stream.text
        );
        // Ratios 0.90 and 1.80: unsteady, but every repetition meets the target, so no median
        // of them could miss it.
        let one_stream = judged_with_tcp_at(111.0);
        assert_eq!(one_stream.met, Some(true), "{}", one_stream.text);
        assert!(
            one_stream
                .text
                .contains("spread 2.00× (above 1.5): judged all the same, every repetition meets"),
            "{}",
            one_stream.text
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
