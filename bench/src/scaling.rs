//! The scaling mode's report (`SCALING.md`) and plots: throughput against streams, memory
//! against idle streams and against idle sessions, each implementation's medians by size, with
//! a gap where an implementation failed, and why.

use std::fmt::Write;
use std::path::Path;

use serde_json::Value;

use crate::plan::{Case, Kind, REFERENCE, SCALING_IDLE_SECS, SPLIT_TOTAL, size_label};
use crate::report::{UNSTEADY, num, write_machine_and_implementations};
use crate::results::{Metric, Results, SPREAD_BOUND, Summary};
use crate::svg::{Panel, figure};

/// The raw results of a scaling run, beside the full run's `results.json`.
pub const RESULTS_JSON: &str = "results-scaling.json";
/// The scaling run's report.
pub const MARKDOWN: &str = "SCALING.md";

/// One curve family: a plot file and the cases on its x axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    /// `split-*`: bulk throughput by concurrent streams.
    Throughput,
    /// `memory-*`: the server's memory by idle streams on one session.
    Streams,
    /// `sessions-idle-*`: the server's memory by idle sessions.
    Sessions,
}

impl Family {
    const ALL: [Family; 3] = [Family::Throughput, Family::Streams, Family::Sessions];

    fn of(case: &Case) -> Option<Family> {
        match case.kind {
            Kind::Bulk if case.id.starts_with("split-") => Some(Family::Throughput),
            Kind::Memory => Some(Family::Streams),
            Kind::SessionsIdle => Some(Family::Sessions),
            _ => None,
        }
    }

    /// The plot's file name.
    fn file(self) -> &'static str {
        match self {
            Family::Throughput => "scaling-throughput.svg",
            Family::Streams => "scaling-memory-streams.svg",
            Family::Sessions => "scaling-memory-sessions.svg",
        }
    }

    fn heading(self) -> &'static str {
        match self {
            Family::Throughput => "Throughput against concurrent streams",
            Family::Streams => "Memory against idle streams (one session)",
            Family::Sessions => "Memory against idle sessions",
        }
    }

    fn x_title(self) -> &'static str {
        match self {
            Family::Throughput => "concurrent streams",
            Family::Streams => "idle streams on one session",
            Family::Sessions => "idle sessions",
        }
    }

    /// The size a case has on the x axis.
    fn x(self, case: &Case) -> usize {
        match self {
            Family::Sessions => case.sessions,
            _ => case.streams,
        }
    }

    /// The figures plotted, one panel each.
    fn figures(self) -> Vec<Figure> {
        let per = |what: &'static str| Figure {
            title: match self {
                Family::Streams => "server memory per idle stream",
                _ => "server memory per idle session",
            },
            unit: what,
            log_y: true,
            value: Read::Metric,
        };
        match self {
            Family::Throughput => vec![Figure {
                title: "bulk throughput, 64 MiB a round over all streams",
                unit: "MiB/s",
                log_y: false,
                value: Read::Metric,
            }],
            Family::Streams => vec![
                per("B/stream"),
                Figure {
                    title: "server resident memory, idle streams held",
                    unit: "MiB",
                    log_y: true,
                    value: Read::RssAfter,
                },
            ],
            Family::Sessions => vec![
                per("B/session"),
                Figure {
                    title: "server resident memory, idle sessions held",
                    unit: "MiB",
                    log_y: true,
                    value: Read::RssAfter,
                },
            ],
        }
    }
}

/// What a figure reads from a run.
#[derive(Clone, Copy, Debug)]
enum Read {
    /// The case's first metric (MiB/s, B/stream, B/session).
    Metric,
    /// The server's resident set size once everything is held, MiB.
    RssAfter,
}

/// One curve of a family.
struct Figure {
    title: &'static str,
    unit: &'static str,
    log_y: bool,
    value: Read,
}

impl Figure {
    fn read(&self, case: &Case, result: &Value) -> Option<f64> {
        match self.value {
            Read::Metric => Metric::of(case).first()?.value(result),
            Read::RssAfter => Some(result.get("rss_after")?.as_f64()? / f64::from(1 << 20)),
        }
    }

    /// Median, range and counts of this figure for one implementation in one case; `None`
    /// when the implementation did not run it.
    fn summary(&self, results: &Results, case: &Case, name: &str) -> Option<Summary> {
        let runs = results
            .cases
            .iter()
            .find(|c| c.case.id == case.id)?
            .runs
            .get(name)?;
        let mut values: Vec<f64> = runs
            .iter()
            .filter_map(|r| self.read(case, r.result.as_ref()?))
            .collect();
        let failed = runs.len() - values.len();
        Some(Summary::of(&mut values, failed))
    }
}

/// The cases of a family in this run, by size.
fn cases(results: &Results, family: Family) -> Vec<&Case> {
    let mut cases: Vec<&Case> = results
        .cases
        .iter()
        .map(|c| &c.case)
        .filter(|c| Family::of(c) == Some(family))
        .collect();
    cases.sort_by_key(|c| family.x(c));
    cases
}

fn names(results: &Results) -> Vec<String> {
    results
        .implementations
        .iter()
        .map(|i| i.name.clone())
        .collect()
}

/// A size as the axis shows it: 1, 10, 100, 1k, 10k, 100k.
fn size(n: usize) -> String {
    if n >= 1000 && n % 1000 == 0 {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

/// Why an implementation has no figure in a case it ran: the first error of its failed runs,
/// shortened, or a median no logarithmic axis can show.
fn why_missing(results: &Results, case: &Case, name: &str) -> Option<String> {
    let case = results.cases.iter().find(|c| c.case.id == case.id)?;
    if let Some(why) = case.skipped.get(name) {
        return Some(format!("not run: {why}"));
    }
    let runs = case.runs.get(name)?;
    let error = runs.iter().find_map(|r| r.error.as_deref())?;
    let failed = runs.iter().filter(|r| r.error.is_some()).count();
    Some(format!(
        "{failed} of {} runs failed: {}",
        runs.len(),
        explain(error).map_or_else(|| shorten(error, 240), str::to_string)
    ))
}

/// What a peer's error means, where the report knows it.
fn explain(error: &str) -> Option<&'static str> {
    error.contains("remote error code: 9").then_some(
        "RST with ACCEPT_QUEUE_FULL (0x9): the server's accept backlog (1,024) was full when the \
         stream's SYN came; with thousands of streams opened at once, Go's server waits 1 ms \
         for room, then refuses ([INTEROP-5]), and one refused stream fails a bulk run",
    )
}

fn shorten(text: &str, most: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(most) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// The panels of a family: one per figure.
fn panels(results: &Results, family: Family) -> Vec<Panel> {
    let cases = cases(results, family);
    if cases.is_empty() {
        return Vec::new();
    }
    let names = names(results);
    family
        .figures()
        .into_iter()
        .map(|figure| {
            let mut gaps = Vec::new();
            let mut series = Vec::new();
            for name in &names {
                let mut ran = false;
                let mut values = Vec::new();
                for (i, case) in cases.iter().enumerate() {
                    let summary = figure.summary(results, case, name);
                    ran |= summary.is_some();
                    let value = summary.map(|x| x.median).filter(|m| m.is_finite());
                    match value {
                        Some(m) if figure.log_y && m <= 0.0 => {
                            gaps.push((
                                name.clone(),
                                i,
                                format!(
                                    "median {} {}: no growth the resident set size shows",
                                    num(m),
                                    figure.unit
                                ),
                            ));
                            values.push(None);
                        }
                        Some(m) => values.push(Some(m)),
                        None => {
                            if let Some(why) = why_missing(results, case, name) {
                                gaps.push((name.clone(), i, why));
                            }
                            values.push(None);
                        }
                    }
                }
                if ran {
                    series.push((name.clone(), values));
                }
            }
            Panel {
                title: figure.title.into(),
                x_title: family.x_title(),
                unit: figure.unit,
                xs: cases.iter().map(|c| size(family.x(c))).collect(),
                series,
                log_y: figure.log_y,
                gaps,
            }
        })
        .collect()
}

/// A family's plot, or `None` when the run has none of its cases.
fn plot(results: &Results, family: Family) -> Option<String> {
    let panels = panels(results, family);
    if panels.is_empty() {
        return None;
    }
    let subtitle = format!(
        "medians of {} run(s), {}; ×: no figure (tooltip: why)",
        results.reps, results.started_utc
    );
    // The legend names only who appears: plain TCP has no memory curve.
    let shown: Vec<String> = names(results)
        .into_iter()
        .filter(|n| {
            panels.iter().any(|p| {
                p.series.iter().any(|(s, _)| s == n) || p.gaps.iter().any(|(g, _, _)| g == n)
            })
        })
        .collect();
    Some(figure(family.heading(), Some(&subtitle), &panels, &shown))
}

/// A table per figure of every family: implementations down, sizes across, each cell the
/// median with its min–max, then the same as ratios to the reference.
pub fn tables(results: &Results) -> String {
    let mut s = String::new();
    for family in Family::ALL {
        let cases = cases(results, family);
        if cases.is_empty() {
            continue;
        }
        let _ = writeln!(s, "### {}\n", family.heading());
        for figure in family.figures() {
            let _ = writeln!(s, "{} ({}), median (min–max):\n", figure.title, figure.unit);
            s.push_str(&table(results, &cases, &figure, family, false));
            let _ = writeln!(s, "\nThe same, ÷ the reference's median:\n");
            s.push_str(&table(results, &cases, &figure, family, true));
            s.push('\n');
        }
    }
    s
}

fn table(
    results: &Results,
    cases: &[&Case],
    figure: &Figure,
    family: Family,
    ratio: bool,
) -> String {
    let mut s = String::from("| implementation |");
    for case in cases {
        let _ = write!(s, " {} |", size(family.x(case)));
    }
    s.push_str("\n|---|");
    for _ in cases {
        s.push_str("---:|");
    }
    s.push('\n');
    for name in names(results) {
        let cells: Vec<String> = cases
            .iter()
            .map(|case| {
                let Some(x) = figure.summary(results, case, &name) else {
                    let skipped = results
                        .cases
                        .iter()
                        .any(|c| c.case.id == case.id && c.skipped.contains_key(&name));
                    return if skipped { "not run" } else { "–" }.into();
                };
                if x.ok == 0 {
                    return "failed".into();
                }
                let flag = if x.unsteady() { UNSTEADY } else { "" };
                if ratio {
                    let reference = figure
                        .summary(results, case, REFERENCE)
                        .map_or(f64::NAN, |r| r.median);
                    let r = x.median / reference;
                    return if r.is_finite() && reference > 0.0 {
                        format!("{r:.2}{flag}")
                    } else {
                        "–".into()
                    };
                }
                let failed = if x.failed > 0 {
                    format!(", {} of {} failed", x.failed, x.ok + x.failed)
                } else {
                    String::new()
                };
                format!(
                    "{}{flag} ({}–{}{failed})",
                    num(x.median),
                    num(x.min),
                    num(x.max)
                )
            })
            .collect();
        if cells.iter().all(|c| c == "–" || c == "not run") {
            continue;
        }
        let _ = writeln!(s, "| {name} | {} |", cells.join(" | "));
    }
    s
}

/// Every implementation's failures by case: what the report lists as gaps.
fn gaps(results: &Results) -> Vec<String> {
    let mut out = Vec::new();
    for case in &results.cases {
        for (name, why) in &case.skipped {
            out.push(format!("`{}` {name}: not run: {why}", case.case.id));
        }
        for (name, runs) in &case.runs {
            let failed: Vec<&str> = runs.iter().filter_map(|r| r.error.as_deref()).collect();
            let Some(first) = failed.first() else {
                continue;
            };
            let why = explain(first).map_or_else(String::new, |e| format!(" ({e})"));
            out.push(format!(
                "`{}` {name}: {} of {} runs failed; the first: {}{why}",
                case.case.id,
                failed.len(),
                runs.len(),
                shorten(first, 400).replace('|', "/")
            ));
        }
    }
    out
}

/// The whole `SCALING.md`; `plots` are the families' plot files written beside it.
pub fn markdown(results: &Results, plots: &[&str]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# How cost grows\n");
    let _ = writeln!(
        s,
        "Written by `muxado-bench` (`ci/bench --scaling`; [README.md](README.md) describes the \
         workloads and the fairness rules) from the raw results in `{RESULTS_JSON}`; regenerate \
         with `cargo run -p muxado-bench -- report {RESULTS_JSON} --out DIR`. The full run's \
         figures are in [RESULTS.md](RESULTS.md).\n"
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
    write_machine_and_implementations(&mut s, results);
    let _ = writeln!(s, "\nSettings:");
    for line in &results.settings {
        let _ = writeln!(s, "- {line}");
    }
    let _ = writeln!(s, "\nThe curves:");
    let _ = writeln!(
        s,
        "- throughput: `split-{}-xN`, the bulk workload with {} a round spread evenly over N \
         concurrent streams (each stream carries {} ÷ N bytes, one stream per task), warm-up \
         rounds for 0.2 s (none when a round moves more than 256 MiB), then rounds for at least \
         0.6 s; MiB/s of payload",
        size_label(SPLIT_TOTAL),
        size_label(SPLIT_TOTAL),
        size_label(SPLIT_TOTAL)
    );
    let _ = writeln!(
        s,
        "- idle streams: `memory-N`, N streams opened on one session (64 at a time), each \
         acknowledged and held idle by the server; the server's resident set size before and \
         after, 200 ms after the last acknowledgement; B/stream is the growth ÷ N"
    );
    let idle_secs = cases(results, Family::Sessions)
        .first()
        .map_or(SCALING_IDLE_SECS, |c| c.secs);
    let _ = writeln!(
        s,
        "- idle sessions: `sessions-idle-N`, N more sessions dialed to one server process (64 \
         at a time, each checked by an echo), heartbeat on at each implementation's default; \
         the server's resident set size before and 0.5 s after the last dial (as in the full \
         mode), then {idle_secs} s of idle instead of the full mode's 10 s: the memory \
         figure is read before the idle period, so only the CPU figure (not shown here; in \
         `{RESULTS_JSON}`) depends on it"
    );
    let _ = writeln!(
        s,
        "- resident memory comes in 4 KiB pages and allocators grow in larger chunks: at 1 and \
         10 the per-item figure is that granularity, not a cost per item (a median of zero or \
         less cannot be drawn on the logarithmic axis: it is marked ×, like a failure)"
    );
    let _ = writeln!(
        s,
        "- {UNSTEADY}: that implementation's runs spread by more than {SPREAD_BOUND}× (largest \
         ÷ smallest); a cell is the median (smallest–largest)"
    );

    for family in Family::ALL {
        let cases = cases(results, family);
        if cases.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n## {}\n", family.heading());
        if let Some(file) = plots.iter().find(|f| **f == family.file()) {
            let _ = writeln!(s, "![{}]({file})\n", family.heading().to_lowercase());
        }
        for figure in family.figures() {
            let _ = writeln!(
                s,
                "{}{} ({}), median (smallest–largest):\n",
                figure.title[..1].to_uppercase(),
                &figure.title[1..],
                figure.unit
            );
            s.push_str(&table(results, &cases, &figure, family, false));
            let _ = writeln!(s, "\nThe same, ÷ the reference's median:\n");
            s.push_str(&table(results, &cases, &figure, family, true));
            s.push('\n');
        }
    }

    let gaps = gaps(results);
    let _ = writeln!(s, "## Gaps\n");
    if gaps.is_empty() {
        let _ = writeln!(
            s,
            "Every implementation ran every size it applies to (plain TCP has no memory curve: \
             a connection's buffers live in the kernel, not in the process's resident memory)."
        );
    } else {
        let _ = writeln!(
            s,
            "Runs that failed: a failure of an implementation other than the reference is a gap \
             in its curve, not a failed run of the benchmark (plain TCP has no memory curve: a \
             connection's buffers live in the kernel, not in the process's resident memory).\n"
        );
        for g in gaps {
            let _ = writeln!(s, "- {g}");
        }
    }
    s
}

/// Writes the plots and `SCALING.md` into `out`.
pub fn write(results: &Results, out: &Path) -> Result<(), String> {
    let mut plots = Vec::new();
    for family in Family::ALL {
        if let Some(svg) = plot(results, family) {
            let file = family.file();
            std::fs::write(out.join(file), svg).map_err(|e| format!("writing {file}: {e}"))?;
            plots.push(file);
        }
    }
    std::fs::write(out.join(MARKDOWN), markdown(results, &plots))
        .map_err(|e| format!("writing {MARKDOWN}: {e}"))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::plan::{Mode, PeerCommand};
    use crate::results::{CaseRuns, ImplInfo, Run};

    fn run(result: Option<Value>, error: Option<&str>) -> Run {
        Run {
            rep: 0,
            slot: 0,
            result,
            error: error.map(str::to_string),
            wall_s: 1.0,
            cpu_client_s: None,
            cpu_server_s: None,
        }
    }

    /// A scaling run's results: the reference's figure at size N is `scale × N`-ish, yamux
    /// fails at the largest bulk size and is skipped at the largest memory size, go-2016's
    /// memory does not grow at one stream.
    fn fake() -> Results {
        let names = [REFERENCE, "go-2016", "yamux"];
        let cases = Mode::Scaling
            .cases()
            .into_iter()
            .map(|case| {
                let mut runs = BTreeMap::new();
                let mut skipped = BTreeMap::new();
                for name in names {
                    let n = (case.streams + case.sessions) as f64;
                    let factor = if name == REFERENCE { 1.0 } else { 2.0 };
                    let result = match case.kind {
                        Kind::Bulk => json!({"ok": true, "bytes": 100.0 * f64::from(1 << 20) / factor, "secs": 1.0}),
                        Kind::Memory if name == "go-2016" && n == 1.0 => {
                            json!({"ok": true, "rss_before": 8 << 20, "rss_after": 8 << 20, "streams": 1})
                        }
                        Kind::Memory => json!({"ok": true, "rss_before": 4 << 20,
                            "rss_after": f64::from(4 << 20) + 500.0 * factor * n, "streams": n}),
                        _ => json!({"ok": true, "rss_before": 4 << 20,
                            "rss_after": f64::from(4 << 20) + 20_000.0 * factor * n, "sessions": n,
                            "cpu_idle_us": 0, "idle_secs": 1.0}),
                    };
                    if name == "yamux" && case.id == "split-64MiB-x10000" {
                        let e = "client: no RESULT line in time";
                        runs.insert(name.to_string(), vec![run(None, Some(e)), run(None, Some(e))]);
                    } else if name == "yamux" && case.id == "memory-100k" {
                        skipped.insert(name.to_string(), "too slow".to_string());
                    } else {
                        runs.insert(name.to_string(), vec![run(Some(result), None)]);
                    }
                }
                CaseRuns {
                    case,
                    runs,
                    skipped,
                }
            })
            .collect();
        let command = || PeerCommand {
            program: "x".into(),
            args: Vec::new(),
        };
        Results {
            schema: 1,
            mode: Mode::Scaling,
            command: "ci/bench --scaling".into(),
            started_utc: "now".into(),
            duration_s: 60.0,
            machine: BTreeMap::new(),
            versions: BTreeMap::new(),
            settings: Vec::new(),
            implementations: names
                .iter()
                .map(|name| ImplInfo {
                    name: name.to_string(),
                    about: String::new(),
                    version: String::new(),
                    client: command(),
                    server: command(),
                })
                .collect(),
            reps: 1,
            cases,
        }
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn each_family_has_its_panels_by_size_with_gaps_where_runs_failed() {
        let results = fake();
        let throughput = panels(&results, Family::Throughput);
        assert_eq!(throughput.len(), 1);
        assert_eq!(throughput[0].xs, ["1", "10", "100", "1k", "10k"]);
        assert!(!throughput[0].log_y);
        let yamux = &throughput[0].series[2];
        assert_eq!(yamux.0, "yamux");
        assert_eq!(
            yamux.1,
            [Some(50.0), Some(50.0), Some(50.0), Some(50.0), None]
        );
        assert_eq!(throughput[0].gaps.len(), 1);
        let (name, at, why) = &throughput[0].gaps[0];
        assert_eq!((name.as_str(), *at), ("yamux", 4));
        assert!(
            why.starts_with("2 of 2 runs failed: client: no RESULT"),
            "{why}"
        );

        let streams = panels(&results, Family::Streams);
        assert_eq!(streams.len(), 2, "per stream, and in all");
        assert!(streams.iter().all(|p| p.log_y));
        assert_eq!(streams[0].xs, ["1", "10", "100", "1k", "10k", "100k"]);
        assert_eq!(streams[0].series[0].1[5], Some(500.0));
        let why = |panel: &Panel, name: &str, at: usize| {
            panel
                .gaps
                .iter()
                .find(|g| g.0 == name && g.1 == at)
                .map(|g| g.2.clone())
        };
        assert_eq!(why(&streams[0], "yamux", 5).unwrap(), "not run: too slow");
        assert!(
            why(&streams[0], "go-2016", 0)
                .unwrap()
                .contains("no growth"),
            "a median of 0 B cannot sit on a logarithmic axis"
        );
        assert_eq!(why(&streams[1], "go-2016", 0), None, "its total memory can");
        assert_eq!(streams[1].series[1].1[0], Some(8.0), "MiB");

        let sessions = panels(&results, Family::Sessions);
        assert_eq!(sessions[0].unit, "B/session");
        assert_eq!(sessions[0].series[1].1[4], Some(40_000.0));
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn the_report_has_a_table_per_figure_and_lists_the_gaps() {
        let results = fake();
        let md = markdown(&results, &[Family::Streams.file()]);
        assert!(
            md.contains("![memory against idle streams (one session)](scaling-memory-streams.svg)")
        );
        assert!(
            !md.contains("(scaling-throughput.svg)"),
            "only the plots written"
        );
        assert!(
            md.contains("| implementation | 1 | 10 | 100 | 1k | 10k |"),
            "{md}"
        );
        assert!(md.contains("| yamux | 50.0 (50.0–50.0) | 50.0 (50.0–50.0) | 50.0 (50.0–50.0) | 50.0 (50.0–50.0) | failed |"), "{md}");
        assert!(
            md.contains("| yamux | 2.00 | 2.00 | 2.00 | 2.00 | 2.00 | not run |"),
            "{md}"
        );
        assert!(
            md.contains("- `memory-100k` yamux: not run: too slow"),
            "{md}"
        );
        assert!(md.contains("- `split-64MiB-x10000` yamux: 2 of 2 runs failed; the first: client: no RESULT line in time"));
        assert!(md.contains("then 1 s of idle instead of the full mode's 10 s"));
        assert_eq!(
            tables(&results).matches("÷ the reference's median").count(),
            5
        );
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn the_plots_are_written_beside_the_report() {
        let results = fake();
        let out = std::env::temp_dir().join(format!("muxado-scaling-{}", std::process::id()));
        std::fs::create_dir_all(&out).unwrap();
        write(&results, &out).unwrap();
        for family in Family::ALL {
            let svg = std::fs::read_to_string(out.join(family.file())).unwrap();
            assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
            assert!(svg.contains(family.heading()));
        }
        let streams = std::fs::read_to_string(out.join(Family::Streams.file())).unwrap();
        assert!(streams.contains(">×<title>yamux, 100k: not run: too slow</title>"));
        assert!(streams.contains(">100k</text>"), "decades labelled");
        assert!(out.join(MARKDOWN).exists());
        assert!(
            !out.join("RESULTS.md").exists(),
            "the full run's report stays as it is"
        );
        let _ = std::fs::remove_dir_all(&out);
    }
}
