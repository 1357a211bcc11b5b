//! The throughput plot, written as SVG by hand (no plotting dependency): one panel per payload
//! size, stream count across, median MiB/s up, one line per implementation.

use std::fmt::Write;

use crate::plan::{Kind, REFERENCE, size_label};
use crate::results::{Metric, Results};

const PANEL_W: f64 = 330.0;
const PANEL_H: f64 = 240.0;
const MARGIN_L: f64 = 62.0;
const MARGIN_R: f64 = 14.0;
const MARGIN_T: f64 = 28.0;
const MARGIN_B: f64 = 42.0;
const LEGEND_W: f64 = 200.0;
const TITLE_H: f64 = 36.0;

/// A colour per implementation, stable across runs.
fn colour(name: &str) -> &'static str {
    match name {
        REFERENCE => "#d62728",
        "go-2016" => "#1f77b4",
        "go-v2.0.2" => "#17becf",
        "ngrok-rust" => "#ff7f0e",
        "yamux" => "#2ca02c",
        "tcp" => "#555555",
        "ref-to-go-v2.0.2" => "#9467bd",
        "go-v2.0.2-to-ref" => "#8c564b",
        _ => "#bcbd22",
    }
}

/// A round step for about `ticks` intervals up to `max`.
fn nice_step(max: f64, ticks: f64) -> f64 {
    let raw = (max / ticks).max(f64::MIN_POSITIVE);
    let magnitude = 10f64.powf(raw.log10().floor());
    let fraction = raw / magnitude;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

fn tick_label(v: f64) -> String {
    if v >= 1.0 || v == 0.0 {
        format!("{v:.0}")
    } else {
        let digits = (-v.log10()).ceil() as usize + 1;
        format!("{v:.digits$}")
    }
}

/// The plot, or `None` when the run has no bulk case.
pub fn throughput(results: &Results) -> Option<String> {
    let bulk: Vec<_> = results
        .cases
        .iter()
        .filter(|c| c.case.kind == Kind::Bulk)
        .map(|c| &c.case)
        .collect();
    if bulk.is_empty() {
        return None;
    }
    let mut sizes: Vec<u64> = bulk.iter().map(|c| c.size).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let mut counts: Vec<usize> = bulk.iter().map(|c| c.streams).collect();
    counts.sort_unstable();
    counts.dedup();
    let names: Vec<String> = results
        .implementations
        .iter()
        .map(|i| i.name.clone())
        .collect();

    let columns = sizes.len().min(2);
    let rows = sizes.len().div_ceil(2);
    let width = columns as f64 * PANEL_W + LEGEND_W;
    let height = TITLE_H + rows as f64 * PANEL_H;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="10" y="22" font-size="15" font-weight="bold">Bulk throughput over loopback TCP (median MiB/s; {} run(s) each; {})</text>"#,
        results.reps, results.started_utc
    );

    for (index, size) in sizes.iter().enumerate() {
        let x0 = (index % 2) as f64 * PANEL_W;
        let y0 = TITLE_H + (index / 2) as f64 * PANEL_H;
        let plot_w = PANEL_W - MARGIN_L - MARGIN_R;
        let plot_h = PANEL_H - MARGIN_T - MARGIN_B;
        let (left, top) = (x0 + MARGIN_L, y0 + MARGIN_T);
        // Each implementation's medians for this payload, by stream count.
        let series: Vec<(String, Vec<Option<f64>>)> = names
            .iter()
            .map(|name| {
                let values = counts
                    .iter()
                    .map(|count| {
                        let case = bulk
                            .iter()
                            .find(|c| c.size == *size && c.streams == *count)?;
                        let metric = Metric::of(case).remove(0);
                        let m = results.summary(&metric, name)?.median;
                        m.is_finite().then_some(m)
                    })
                    .collect();
                (name.clone(), values)
            })
            .collect();
        let max = series
            .iter()
            .flat_map(|(_, v)| v.iter().flatten())
            .copied()
            .fold(0.0, f64::max);
        let step = nice_step(if max > 0.0 { max } else { 1.0 }, 4.0);
        let top_value = (max / step).ceil().max(1.0) * step;
        let y_of = |v: f64| top + plot_h - v / top_value * plot_h;
        let x_of = |i: usize| {
            if counts.len() == 1 {
                left + plot_w / 2.0
            } else {
                left + plot_w * i as f64 / (counts.len() - 1) as f64
            }
        };
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" font-size="13" font-weight="bold">payload {} per stream</text>"#,
            left,
            y0 + 18.0,
            size_label(*size)
        );
        // Grid and y labels.
        let mut v = 0.0;
        while v <= top_value + step / 2.0 {
            let y = y_of(v);
            let _ = writeln!(
                s,
                r##"<line x1="{left}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#dddddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
                left + plot_w,
                left - 6.0,
                y + 4.0,
                tick_label(v)
            );
            v += step;
        }
        let _ = writeln!(
            s,
            r##"<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#888888"/>"##
        );
        for (i, count) in counts.iter().enumerate() {
            let x = x_of(i);
            let _ = writeln!(
                s,
                r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle">{count}</text>"#,
                top + plot_h + 15.0
            );
        }
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#444444">concurrent streams</text>"##,
            left + plot_w / 2.0,
            top + plot_h + 32.0
        );
        let _ = writeln!(
            s,
            r##"<text transform="translate({:.1},{:.1}) rotate(-90)" text-anchor="middle" fill="#444444">MiB/s</text>"##,
            x0 + 14.0,
            top + plot_h / 2.0
        );
        for (name, values) in &series {
            let colour = colour(name);
            let width = if name == REFERENCE { 2.6 } else { 1.5 };
            let dash = if name == "tcp" {
                r#" stroke-dasharray="5,3""#
            } else {
                ""
            };
            let path = line_path(values, &x_of, &y_of);
            if !path.is_empty() {
                let _ = writeln!(
                    s,
                    r#"<path d="{}" fill="none" stroke="{colour}" stroke-width="{width}"{dash}/>"#,
                    path.trim_end()
                );
            }
            for (i, value) in values.iter().enumerate() {
                if let Some(v) = value {
                    let _ = writeln!(
                        s,
                        r#"<circle cx="{:.1}" cy="{:.1}" r="2.6" fill="{colour}"><title>{name}, {} × {}: {:.1} MiB/s</title></circle>"#,
                        x_of(i),
                        y_of(*v),
                        size_label(*size),
                        counts[i],
                        v
                    );
                }
            }
        }
    }

    // Legend.
    let lx = columns as f64 * PANEL_W + 10.0;
    for (i, name) in names.iter().enumerate() {
        let y = TITLE_H + MARGIN_T + 8.0 + i as f64 * 20.0;
        let dash = if name == "tcp" {
            r#" stroke-dasharray="5,3""#
        } else {
            ""
        };
        let _ = writeln!(
            s,
            r#"<line x1="{lx}" y1="{y}" x2="{}" y2="{y}" stroke="{}" stroke-width="2.5"{dash}/><text x="{}" y="{}">{name}</text>"#,
            lx + 24.0,
            colour(name),
            lx + 30.0,
            y + 4.0
        );
    }
    s.push_str("</svg>\n");
    Some(s)
}

/// One panel of a figure: medians by x position, one series per implementation.
pub struct Panel {
    /// Above the panel.
    pub title: String,
    /// Below the x axis.
    pub x_title: &'static str,
    /// Beside the y axis, and in each point's tooltip.
    pub unit: &'static str,
    /// The x positions' labels, evenly spaced (powers of ten make a logarithmic axis).
    pub xs: Vec<String>,
    /// The medians of each implementation by x position; `None` where it has none.
    pub series: Vec<(String, Vec<Option<f64>>)>,
    /// A logarithmic y axis, in whole decades (only positive values are drawn).
    pub log_y: bool,
    /// Points an implementation should have and has not (it failed there): the name, the x
    /// position and why, drawn as a cross on the x axis in the implementation's colour.
    pub gaps: Vec<(String, usize, String)>,
}

/// The panels of how cost grows: whatever this run measured of bursts by size, memory per
/// idle session by sessions, stream rate by sessions, and latency by load.
fn scaling_panels(results: &Results) -> Vec<Panel> {
    let names: Vec<String> = results
        .implementations
        .iter()
        .map(|i| i.name.clone())
        .collect();
    // (kind, metric suffix, title, x title, unit, x of a case)
    let families: [(Kind, &str, &str, &str, &str); 4] = [
        (
            Kind::Burst,
            "-ms",
            "burst: time to the last echo",
            "streams opened at once",
            "ms",
        ),
        (
            Kind::SessionsIdle,
            "-mem",
            "server memory per idle session",
            "idle sessions",
            "B/session",
        ),
        (
            Kind::SessionsIdle,
            "-cpu",
            "server CPU per second of idle",
            "idle sessions",
            "ms/s",
        ),
        (
            Kind::SessionsActive,
            "",
            "open + echo + close over many sessions",
            "sessions",
            "streams/s",
        ),
    ];
    let mut panels = Vec::new();
    for (kind, suffix, title, x_title, unit) in families {
        let mut cases: Vec<_> = results
            .cases
            .iter()
            .filter(|c| c.case.kind == kind)
            .map(|c| &c.case)
            .collect();
        cases.sort_by_key(|c| c.streams + c.sessions);
        if cases.is_empty() {
            continue;
        }
        let series = names
            .iter()
            .map(|name| {
                let values = cases
                    .iter()
                    .map(|case| {
                        let metric = Metric::of(case)
                            .into_iter()
                            .find(|m| m.id == format!("{}{suffix}", case.id))?;
                        let m = results.summary(&metric, name)?.median;
                        m.is_finite().then_some(m)
                    })
                    .collect();
                (name.clone(), values)
            })
            .filter(|(_, v): &(String, Vec<Option<f64>>)| v.iter().any(Option::is_some))
            .collect();
        panels.push(Panel {
            title: title.into(),
            x_title,
            unit,
            xs: cases
                .iter()
                .map(|c| (c.streams + c.sessions).to_string())
                .collect(),
            series,
            log_y: false,
            gaps: Vec::new(),
        });
    }
    // Latency by load: idle and loaded, p50 and p99.
    let points = [
        ("latency-idle-p50", "idle p50"),
        ("latency-loaded-p50", "loaded p50"),
        ("latency-idle-p99", "idle p99"),
        ("latency-loaded-p99", "loaded p99"),
    ];
    let metrics = results.metrics();
    let present: Vec<_> = points
        .iter()
        .filter_map(|(id, label)| Some((metrics.iter().find(|m| m.id == *id)?, *label)))
        .collect();
    if !present.is_empty() {
        let series = names
            .iter()
            .map(|name| {
                let values = present
                    .iter()
                    .map(|(m, _)| {
                        let x = results.summary(m, name)?.median;
                        x.is_finite().then_some(x)
                    })
                    .collect();
                (name.clone(), values)
            })
            .filter(|(_, v): &(String, Vec<Option<f64>>)| v.iter().any(Option::is_some))
            .collect();
        panels.push(Panel {
            title: "latency of a 64 B round trip by load".into(),
            x_title: "session load, percentile",
            unit: "µs",
            xs: present.iter().map(|(_, l)| l.to_string()).collect(),
            series,
            log_y: false,
            gaps: Vec::new(),
        });
    }
    panels
}

/// The plot of how cost grows (`scaling.svg`), or `None` when the run has none of its cases.
pub fn scaling(results: &Results) -> Option<String> {
    let panels = scaling_panels(results);
    if panels.is_empty() {
        return None;
    }
    let names: Vec<String> = results
        .implementations
        .iter()
        .map(|i| i.name.clone())
        .collect();
    let title = format!(
        "How cost grows (medians; {} run(s) each; {})",
        results.reps, results.started_utc
    );
    Some(figure(&title, None, &panels, &names))
}

/// Panels two by two under a title (and a line below it), with a legend of `names` on the
/// right.
pub fn figure(title: &str, subtitle: Option<&str>, panels: &[Panel], names: &[String]) -> String {
    let columns = panels.len().min(2);
    let rows = panels.len().div_ceil(2);
    let width = columns as f64 * PANEL_W + LEGEND_W;
    let height = TITLE_H + rows as f64 * PANEL_H;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="10" y="22" font-size="15" font-weight="bold">{title}</text>"#
    );
    if let Some(subtitle) = subtitle {
        let _ = writeln!(
            s,
            r##"<text x="10" y="36" fill="#444444">{}</text>"##,
            escape(subtitle)
        );
    }
    for (index, panel) in panels.iter().enumerate() {
        let x0 = (index % 2) as f64 * PANEL_W;
        let y0 = TITLE_H + (index / 2) as f64 * PANEL_H;
        draw_panel(&mut s, panel, x0, y0);
    }
    let lx = columns as f64 * PANEL_W + 10.0;
    for (i, name) in names.iter().enumerate() {
        let y = TITLE_H + MARGIN_T + 8.0 + i as f64 * 20.0;
        let _ = writeln!(
            s,
            r#"<line x1="{lx}" y1="{y}" x2="{}" y2="{y}" stroke="{}" stroke-width="2.5"/><text x="{}" y="{}">{name}</text>"#,
            lx + 24.0,
            colour(name),
            lx + 30.0,
            y + 4.0
        );
    }
    s.push_str("</svg>\n");
    s
}

/// The y axis of a panel: where a value goes, and the grid lines with their labels.
struct Axis {
    top_value: f64,
    /// Logarithmic: the decade at the bottom (its exponent) and how many decades it spans.
    decades: Option<(f64, f64)>,
    grid: Vec<f64>,
}

impl Axis {
    fn new(panel: &Panel) -> Axis {
        let values = || panel.series.iter().flat_map(|(_, v)| v.iter().flatten());
        let max = values().copied().fold(0.0, f64::max);
        if panel.log_y {
            let min = values()
                .copied()
                .filter(|v| *v > 0.0)
                .fold(f64::INFINITY, f64::min);
            let (low, high) = if min.is_finite() {
                (min.log10().floor(), max.log10().ceil())
            } else {
                (0.0, 1.0)
            };
            let high = high.max(low + 1.0);
            let grid = (0..=(high - low) as i32)
                .map(|d| 10f64.powf(low + f64::from(d)))
                .collect();
            return Axis {
                top_value: 10f64.powf(high),
                decades: Some((low, high - low)),
                grid,
            };
        }
        let step = nice_step(if max > 0.0 { max } else { 1.0 }, 4.0);
        let top_value = (max / step).ceil().max(1.0) * step;
        let mut grid = Vec::new();
        let mut v = 0.0;
        while v <= top_value + step / 2.0 {
            grid.push(v);
            v += step;
        }
        Axis {
            top_value,
            decades: None,
            grid,
        }
    }

    /// The height of `v` above the bottom, from 0 to 1.
    fn fraction(&self, v: f64) -> f64 {
        match self.decades {
            Some((low, span)) => (v.max(f64::MIN_POSITIVE).log10() - low) / span,
            None => v.max(0.0) / self.top_value,
        }
    }

    fn label(&self, v: f64) -> String {
        if self.decades.is_none() {
            return tick_label(v);
        }
        match v {
            v if v >= 1e9 => format!("{}G", v / 1e9),
            v if v >= 1e6 => format!("{}M", v / 1e6),
            v if v >= 1e3 => format!("{}k", v / 1e3),
            v => tick_label(v),
        }
    }
}

fn draw_panel(s: &mut String, panel: &Panel, x0: f64, y0: f64) {
    let plot_w = PANEL_W - MARGIN_L - MARGIN_R;
    let plot_h = PANEL_H - MARGIN_T - MARGIN_B;
    let (left, top) = (x0 + MARGIN_L, y0 + MARGIN_T);
    let axis = Axis::new(panel);
    let y_of = |v: f64| top + plot_h - axis.fraction(v) * plot_h;
    let n = panel.xs.len();
    let x_of = |i: usize| {
        if n == 1 {
            left + plot_w / 2.0
        } else {
            left + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let _ = writeln!(
        s,
        r#"<text x="{left}" y="{}" font-size="13" font-weight="bold">{}</text>"#,
        y0 + 18.0,
        panel.title
    );
    for &v in &axis.grid {
        let y = y_of(v);
        let _ = writeln!(
            s,
            r##"<line x1="{left}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#dddddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            left + plot_w,
            left - 6.0,
            y + 4.0,
            axis.label(v)
        );
    }
    let _ = writeln!(
        s,
        r##"<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#888888"/>"##
    );
    for (i, x) in panel.xs.iter().enumerate() {
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{x}</text>"#,
            x_of(i),
            top + plot_h + 15.0
        );
    }
    let _ = writeln!(
        s,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#444444">{}</text>"##,
        left + plot_w / 2.0,
        top + plot_h + 32.0,
        panel.x_title
    );
    let _ = writeln!(
        s,
        r##"<text transform="translate({:.1},{:.1}) rotate(-90)" text-anchor="middle" fill="#444444">{}</text>"##,
        x0 + 14.0,
        top + plot_h / 2.0,
        panel.unit
    );
    for (name, values) in &panel.series {
        let colour = colour(name);
        let width = if name == REFERENCE { 2.6 } else { 1.5 };
        let path = line_path(values, &x_of, &y_of);
        if !path.is_empty() {
            let _ = writeln!(
                s,
                r#"<path d="{}" fill="none" stroke="{colour}" stroke-width="{width}"/>"#,
                path.trim_end()
            );
        }
        for (i, value) in values.iter().enumerate() {
            if let Some(v) = value {
                let _ = writeln!(
                    s,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="2.6" fill="{colour}"><title>{name}, {}: {:.1} {}</title></circle>"#,
                    x_of(i),
                    y_of(*v),
                    panel.xs[i],
                    v,
                    panel.unit
                );
            }
        }
    }
    // A gap: a cross on the x axis, one above the other where several share a position.
    let mut stacked = vec![0usize; n];
    for (name, i, why) in &panel.gaps {
        let Some(level) = stacked.get_mut(*i) else {
            continue;
        };
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="12" font-weight="bold" fill="{}">×<title>{name}, {}: {}</title></text>"#,
            x_of(*i),
            top + plot_h - 3.0 - *level as f64 * 11.0,
            colour(name),
            panel.xs[*i],
            escape(why)
        );
        *level += 1;
    }
}

/// Text made safe inside an SVG element.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The SVG path data of a line through consecutive known points; gaps stay gaps.
fn line_path(
    values: &[Option<f64>],
    x_of: &impl Fn(usize) -> f64,
    y_of: &impl Fn(f64) -> f64,
) -> String {
    let mut path = String::new();
    let mut pen_down = false;
    for (i, value) in values.iter().enumerate() {
        match value {
            Some(v) => {
                let _ = write!(
                    path,
                    "{}{:.1},{:.1} ",
                    if pen_down { "L" } else { "M" },
                    x_of(i),
                    y_of(*v)
                );
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn steps_are_round() {
        assert_eq!(nice_step(1000.0, 4.0), 500.0);
        assert_eq!(nice_step(7.0, 4.0), 2.0);
        assert_eq!(nice_step(0.03, 4.0), 0.01);
        assert_eq!(tick_label(0.01), "0.010");
        assert_eq!(tick_label(500.0), "500");
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn the_scaling_plot_has_a_panel_per_family_measured() {
        use crate::plan::{Case, Mode};
        use crate::results::{CaseRuns, Run};
        use serde_json::json;
        let run = |result| Run {
            rep: 0,
            slot: 0,
            result: Some(result),
            error: None,
            wall_s: 1.0,
            cpu_client_s: None,
            cpu_server_s: None,
        };
        let idle = |sessions: usize, mem: f64| CaseRuns {
            case: Case {
                id: format!("sessions-idle-{sessions}"),
                kind: Kind::SessionsIdle,
                sessions,
                secs: 1.0,
                ..Case::default()
            },
            runs: [(
                REFERENCE.to_string(),
                vec![run(
                    json!({"rss_before": 0, "rss_after": mem * sessions as f64,
                    "sessions": sessions, "cpu_idle_us": 0, "idle_secs": 1.0}),
                )],
            )]
            .into_iter()
            .collect(),
            skipped: Default::default(),
        };
        let results = Results {
            schema: 1,
            mode: Mode::Quick,
            command: String::new(),
            started_utc: String::new(),
            duration_s: 1.0,
            machine: Default::default(),
            versions: Default::default(),
            settings: Vec::new(),
            implementations: vec![crate::results::ImplInfo {
                name: REFERENCE.into(),
                about: String::new(),
                version: String::new(),
                client: crate::plan::PeerCommand {
                    program: "x".into(),
                    args: Vec::new(),
                },
                server: crate::plan::PeerCommand {
                    program: "x".into(),
                    args: Vec::new(),
                },
            }],
            reps: 1,
            cases: vec![idle(10_000, 3000.0), idle(1000, 5000.0)],
        };
        let panels = scaling_panels(&results);
        let titles: Vec<&str> = panels.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "server memory per idle session",
                "server CPU per second of idle"
            ]
        );
        assert_eq!(panels[0].xs, ["1000", "10000"], "sorted by sessions");
        assert_eq!(panels[0].series[0].1, [Some(5000.0), Some(3000.0)]);
        let svg = scaling(&results).expect("drawn");
        assert!(svg.contains("reference, 1000: 5000.0 B/session"));
        assert!(throughput(&results).is_none());
    }
}
