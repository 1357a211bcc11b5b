//! The matrix's results as grids: for each scenario a client × server grid of verdicts, and a
//! summary grid (pass / deviation by note / n/a / fail per pair), in text (Markdown), JSON and
//! HTML; every cell that neither passed nor was n/a is explained: what each side said, the
//! interop note or SPEC requirements it rests on, and its frame log.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::matrix::{Cell, Pairs, Verdict};
use crate::peer::Peer;
use crate::scenario::{Outcome, SCENARIOS};

/// A whole run of the matrix, for the reports.
pub struct Report<'a> {
    /// The peers, in the grids' order (those no cell names are left out).
    pub peers: &'a [Peer],
    /// Every cell.
    pub cells: &'a [Cell],
    /// Which pairs ran.
    pub pairs: Pairs,
    /// How many runs at once.
    pub jobs: usize,
    /// How long the whole run took.
    pub elapsed: Duration,
}

/// What SPEC.md says of each id: the anchor of the section that defines it and its
/// paragraph, for links and explanations.
#[derive(Clone, Debug, Default)]
pub struct Spec {
    /// Where SPEC.md is.
    pub path: PathBuf,
    entries: BTreeMap<String, (String, String)>,
}

impl Spec {
    /// Reads `SPEC.md` at `path` (an empty index when it cannot be read).
    pub fn load(path: &Path) -> Spec {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let mut spec = Spec::parse(&text);
        spec.path = path.to_path_buf();
        spec
    }

    /// Indexes SPEC.md's text: every paragraph that starts with `[ID]`.
    pub fn parse(text: &str) -> Spec {
        let mut entries = BTreeMap::new();
        let mut anchor = String::new();
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            if let Some(heading) = line.strip_prefix('#') {
                anchor = slug(heading.trim_start_matches('#').trim());
                continue;
            }
            let Some(id) = line
                .strip_prefix('[')
                .and_then(|rest| rest.split_once(']'))
                .map(|(id, _)| id)
                .filter(|id| is_id(id))
            else {
                continue;
            };
            let mut paragraph = line.to_string();
            while let Some(next) = lines.peek() {
                if next.trim().is_empty() || next.starts_with('#') {
                    break;
                }
                paragraph.push(' ');
                paragraph.push_str(next.trim());
                lines.next();
            }
            entries
                .entry(id.to_string())
                .or_insert((anchor.clone(), paragraph));
        }
        Spec {
            path: PathBuf::new(),
            entries,
        }
    }

    /// The anchor (GitHub's heading slug) of the section that defines `id`.
    pub fn anchor(&self, id: &str) -> Option<&str> {
        self.entries.get(id).map(|(a, _)| a.as_str())
    }

    /// The paragraph that defines `id`, its first sentence at most.
    pub fn summary(&self, id: &str) -> Option<String> {
        self.entries.get(id).map(|(_, text)| {
            let end = text
                .match_indices(". ")
                .map(|(i, _)| i + 1)
                .find(|&i| i > id.len() + 3)
                .unwrap_or(text.len());
            text[..end].to_string()
        })
    }
}

/// `FLOW-2`, `INTEROP-13`: capitals, a dash, digits.
fn is_id(id: &str) -> bool {
    let Some((word, number)) = id.rsplit_once('-') else {
        return false;
    };
    !word.is_empty()
        && word.chars().all(|c| c.is_ascii_uppercase() || c == '-')
        && !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit())
}

/// A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces as dashes.
fn slug(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The peers the cells name, in the order of `report.peers` (then any other).
fn names(report: &Report<'_>, clients: bool) -> Vec<String> {
    let named = |n: &str| {
        report.cells.iter().any(|c| {
            if clients {
                c.client == n
            } else {
                c.server == n
            }
        })
    };
    let mut out: Vec<String> = report
        .peers
        .iter()
        .map(|p| p.name.clone())
        .filter(|n| named(n))
        .collect();
    for cell in report.cells {
        let n = if clients { &cell.client } else { &cell.server };
        if !out.contains(n) {
            out.push(n.clone());
        }
    }
    out
}

/// The counts of one pair's cells.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Passed.
    pub pass: usize,
    /// A side cannot play its part.
    pub not_applicable: usize,
    /// Deviations, by note.
    pub deviations: BTreeMap<String, usize>,
    /// Failed.
    pub fail: usize,
    /// Passed where a deviation was expected.
    pub unexpected_pass: usize,
}

impl Tally {
    /// The counts of `cells` between `client` and `server`.
    pub fn of(cells: &[Cell], client: &str, server: &str) -> Option<Tally> {
        let mut tally = Tally::default();
        let mut any = false;
        for cell in cells
            .iter()
            .filter(|c| c.client == client && c.server == server)
        {
            any = true;
            match &cell.verdict {
                Verdict::Pass => tally.pass += 1,
                Verdict::NotApplicable(_) => tally.not_applicable += 1,
                Verdict::Deviation(note) => *tally.deviations.entry(note.clone()).or_default() += 1,
                Verdict::Fail(_) => tally.fail += 1,
                Verdict::UnexpectedPass(_) => tally.unexpected_pass += 1,
            }
        }
        any.then_some(tally)
    }

    /// `15 pass · 1 n/a · INTEROP-13 · 1 FAIL`.
    pub fn line(&self) -> String {
        let mut parts = Vec::new();
        if self.pass > 0 {
            parts.push(format!("{} pass", self.pass));
        }
        if self.not_applicable > 0 {
            parts.push(format!("{} n/a", self.not_applicable));
        }
        // INTEROP-3 before INTEROP-14.
        let mut notes: Vec<(&String, &usize)> = self.deviations.iter().collect();
        notes.sort_by_key(|(note, _)| {
            let (word, number) = note.rsplit_once('-').unwrap_or((note.as_str(), ""));
            (word.to_string(), number.parse::<u32>().unwrap_or(0))
        });
        for (note, n) in notes {
            parts.push(if *n == 1 {
                format!("dev {note}")
            } else {
                format!("dev {note} ×{n}")
            });
        }
        if self.fail > 0 {
            parts.push(format!("{} FAIL", self.fail));
        }
        if self.unexpected_pass > 0 {
            parts.push(format!("{} UNEXPECTED PASS", self.unexpected_pass));
        }
        if parts.is_empty() {
            parts.push("0 pass".into());
        }
        parts.join(" · ")
    }
}

/// A Markdown grid: rows are clients, columns servers, `cell` fills each.
fn markdown_grid(
    clients: &[String],
    servers: &[String],
    mut cell: impl FnMut(&str, &str) -> String,
) -> String {
    let mut out = String::from("| client ↓ server → |");
    for server in servers {
        let _ = write!(out, " {server} |");
    }
    out.push_str("\n|---|");
    for _ in servers {
        out.push_str("---|");
    }
    out.push('\n');
    for client in clients {
        let _ = write!(out, "| **{client}** |");
        for server in servers {
            let _ = write!(out, " {} |", cell(client, server));
        }
        out.push('\n');
    }
    out
}

/// The summary grid: for each client and server, the tally of their cells (`·`: not run).
pub fn summary_grid(report: &Report<'_>) -> String {
    let (clients, servers) = (names(report, true), names(report, false));
    markdown_grid(&clients, &servers, |c, s| {
        Tally::of(report.cells, c, s).map_or("·".into(), |t| t.line())
    })
}

/// The scenarios the cells cover, in the order of SCENARIOS.md.
fn scenarios(cells: &[Cell]) -> Vec<&'static str> {
    SCENARIOS
        .iter()
        .copied()
        .filter(|s| cells.iter().any(|c| c.scenario == *s))
        .collect()
}

/// One grid per scenario: each cell's verdict (`·`: not run).
pub fn scenario_grids(report: &Report<'_>) -> String {
    let (clients, servers) = (names(report, true), names(report, false));
    let mut out = String::new();
    for scenario in scenarios(report.cells) {
        let _ = writeln!(out, "`{scenario}`\n");
        out.push_str(&markdown_grid(&clients, &servers, |c, s| {
            find(report.cells, scenario, c, s).map_or("·".into(), |cell| cell.verdict.short())
        }));
        out.push('\n');
    }
    out
}

fn find<'a>(cells: &'a [Cell], scenario: &str, client: &str, server: &str) -> Option<&'a Cell> {
    cells
        .iter()
        .find(|c| c.scenario == scenario && c.client == client && c.server == server)
}

/// The cells that neither passed nor were n/a, each with why: the verdict, the SPEC ids it
/// rests on, what each side said, the frame log file.
pub fn explanations(report: &Report<'_>, spec: &Spec) -> String {
    let mut out = String::new();
    for cell in report
        .cells
        .iter()
        .filter(|c| !matches!(c.verdict, Verdict::Pass | Verdict::NotApplicable(_)))
    {
        let _ = writeln!(
            out,
            "- `{}` {} → {}: **{}**{}",
            cell.scenario,
            cell.client,
            cell.server,
            cell.verdict.short(),
            match &cell.verdict {
                Verdict::Fail(why) => format!(": {why}"),
                _ => String::new(),
            }
        );
        for id in &cell.breaks {
            if let Some(text) = spec.summary(id) {
                let _ = writeln!(out, "  - {text}");
            }
        }
        for (role, side) in [("client", &cell.client_side), ("server", &cell.server_side)] {
            let _ = writeln!(out, "  - {role}: {}", side_line(side));
        }
        if let Some(path) = &cell.log_file {
            let _ = writeln!(out, "  - frame log: {}", path.display());
        }
    }
    let cannot = cannot_play(report.cells);
    if !cannot.is_empty() {
        out.push_str("- n/a: a side cannot play its part, in its own words:\n");
        for (name, role, scenario, detail) in cannot {
            let _ = writeln!(out, "  - {name} as {role} in `{scenario}`: {detail}");
        }
    }
    out
}

/// The sides that said they cannot play their part (exit code 3), each once: `(peer, role,
/// scenario, what it said)`, the text cut at 200 characters.
pub fn cannot_play(cells: &[Cell]) -> Vec<(String, &'static str, &'static str, String)> {
    let mut out: Vec<(String, &'static str, &'static str, String)> = Vec::new();
    for cell in cells
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::NotApplicable(_)))
    {
        for (name, role, side) in [
            (&cell.client, "client", &cell.client_side),
            (&cell.server, "server", &cell.server_side),
        ] {
            if side.unsupported
                && !out
                    .iter()
                    .any(|(n, r, s, _)| n == name && *r == role && *s == cell.scenario)
            {
                let mut detail: String = side.detail.chars().take(200).collect();
                if detail.len() < side.detail.len() {
                    detail.push('…');
                }
                out.push((name.clone(), role, cell.scenario, detail));
            }
        }
    }
    out
}

fn side_line(side: &Outcome) -> String {
    let status = if side.ok {
        "ok"
    } else if side.unsupported {
        "cannot play"
    } else {
        "failed"
    };
    format!("{status}: {} {}", side.detail, side.observed)
}

/// The text report: the summary grid, the grid of each scenario, the explanations.
pub fn text(report: &Report<'_>, spec: &Spec) -> String {
    let mut out = format!(
        "{} runs, {} pairs ({}), -j {}, {:.0} s\n\n## Summary\n\n{}\n## By scenario\n\n{}",
        report.cells.len(),
        pair_count(report.cells),
        report.pairs.describe(),
        report.jobs,
        report.elapsed.as_secs_f64(),
        summary_grid(report),
        scenario_grids(report),
    );
    let why = explanations(report, spec);
    if !why.is_empty() {
        let _ = write!(out, "## Why\n\n{why}");
    }
    out
}

fn pair_count(cells: &[Cell]) -> usize {
    let mut pairs: Vec<(&str, &str)> = cells
        .iter()
        .map(|c| (c.client.as_str(), c.server.as_str()))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    pairs.len()
}

fn outcome_json(side: &Outcome) -> Value {
    json!({"ok": side.ok, "unsupported": side.unsupported, "detail": side.detail, "observed": side.observed})
}

/// The JSON report (`schema: muxado-interop-matrix`, version 1), as
/// `interop/matrix-report.schema.json` describes it.
pub fn json(report: &Report<'_>, spec: &Spec) -> Value {
    let peers: Vec<Value> = report
        .peers
        .iter()
        .map(|p| json!({"name": p.name, "implementation": p.implementation, "version": p.version, "command": p.command}))
        .collect();
    let cells: Vec<Value> = report
        .cells
        .iter()
        .map(|c| {
            let breaks: Vec<Value> = c
                .breaks
                .iter()
                .map(|id| json!({"id": id, "section": spec.anchor(id), "text": spec.summary(id)}))
                .collect();
            json!({
                "scenario": c.scenario,
                "client": c.client,
                "server": c.server,
                "verdict": c.verdict.kind(),
                "short": c.verdict.short(),
                "detail": c.verdict.detail(),
                "breaks": breaks,
                "frame_log": c.log_file.as_ref().map(|p| p.display().to_string()),
                "elapsed_ms": c.elapsed.as_millis() as u64,
                "client_side": outcome_json(&c.client_side),
                "server_side": outcome_json(&c.server_side),
            })
        })
        .collect();
    let (clients, servers) = (names(report, true), names(report, false));
    let mut summary = Vec::new();
    for client in &clients {
        for server in &servers {
            if let Some(t) = Tally::of(report.cells, client, server) {
                summary.push(json!({
                    "client": client,
                    "server": server,
                    "pass": t.pass,
                    "n/a": t.not_applicable,
                    "deviations": t.deviations,
                    "fail": t.fail,
                    "unexpected_pass": t.unexpected_pass,
                }));
            }
        }
    }
    json!({
        "schema": "muxado-interop-matrix",
        "schema_version": 1,
        "pairs": match &report.pairs {
            Pairs::Reference => "reference".to_string(),
            Pairs::All => "all".to_string(),
            Pairs::With(name) => name.clone(),
        },
        "jobs": report.jobs,
        "elapsed_s": report.elapsed.as_secs_f64(),
        "peers": peers,
        "scenarios": scenarios(report.cells),
        "cells": cells,
        "summary": summary,
    })
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `to` relative to the directory `from` (both made absolute), for links.
pub fn relative(from: &Path, to: &Path) -> String {
    let absolute = |p: &Path| {
        std::fs::canonicalize(p).unwrap_or_else(|_| {
            std::env::current_dir()
                .map(|d| d.join(p))
                .unwrap_or_else(|_| p.to_path_buf())
        })
    };
    let (from, to) = (absolute(from), absolute(to));
    let a: Vec<Component<'_>> = from.components().collect();
    let b: Vec<Component<'_>> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".into(); a.len() - common];
    parts.extend(
        b[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}\
td,th{border:1px solid #ccc;padding:.25em .5em;font-size:90%}th{background:#eee}\
.pass{background:#dfd}.na{background:#eee;color:#666}.dev{background:#ffe9b3}.fail{background:#f99}\
pre{background:#f6f6f6;padding:.5em;overflow-x:auto}";

fn class(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "pass",
        Verdict::NotApplicable(_) => "na",
        Verdict::Deviation(_) => "dev",
        Verdict::Fail(_) | Verdict::UnexpectedPass(_) => "fail",
    }
}

fn anchor_of(cell: &Cell) -> String {
    format!("cell-{}-{}-{}", cell.scenario, cell.client, cell.server)
}

/// Writes the HTML report to `path` (a directory gets `index.html`) and returns the file
/// written. Frame logs and SPEC.md are linked relative to it.
pub fn html(report: &Report<'_>, spec: &Spec, path: &Path) -> std::io::Result<PathBuf> {
    let file = if path.extension().is_some_and(|e| e == "html") {
        path.to_path_buf()
    } else {
        path.join("index.html")
    };
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    std::fs::create_dir_all(&dir)?;
    let spec_link = |id: &str| {
        let href = format!(
            "{}#{}",
            relative(&dir, &spec.path),
            spec.anchor(id).unwrap_or_default()
        );
        format!(
            "<a href=\"{}\" title=\"{}\">{}</a>",
            escape(&href),
            escape(&spec.summary(id).unwrap_or_default()),
            escape(id)
        )
    };
    let (clients, servers) = (names(report, true), names(report, false));
    let grid = |body: &mut String, cell_html: &dyn Fn(&str, &str) -> String| {
        body.push_str("<table><tr><th>client ↓ server →</th>");
        for s in &servers {
            let _ = write!(body, "<th>{}</th>", escape(s));
        }
        body.push_str("</tr>\n");
        for c in &clients {
            let _ = write!(body, "<tr><th>{}</th>", escape(c));
            for s in &servers {
                body.push_str(&cell_html(c, s));
            }
            body.push_str("</tr>\n");
        }
        body.push_str("</table>\n");
    };
    let mut body = format!(
        "<h1>muxado interop matrix</h1><p>{} runs, {} pairs, -j {}, {:.0} s</p>\n<h2>Peers</h2><table><tr><th>name</th><th>implementation</th><th>version</th></tr>\n",
        report.cells.len(),
        pair_count(report.cells),
        report.jobs,
        report.elapsed.as_secs_f64()
    );
    for p in report.peers {
        let _ = writeln!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&p.name),
            escape(&p.implementation),
            escape(&p.version)
        );
    }
    body.push_str("</table>\n<h2>Summary</h2>\n");
    grid(&mut body, &|c, s| match Tally::of(report.cells, c, s) {
        None => "<td>·</td>".into(),
        Some(t) => {
            let class = if t.fail + t.unexpected_pass > 0 {
                "fail"
            } else if !t.deviations.is_empty() {
                "dev"
            } else {
                "pass"
            };
            format!("<td class=\"{class}\">{}</td>", escape(&t.line()))
        }
    });
    for scenario in scenarios(report.cells) {
        let _ = writeln!(body, "<h2 id=\"{scenario}\"><code>{scenario}</code></h2>");
        grid(
            &mut body,
            &|c, s| match find(report.cells, scenario, c, s) {
                None => "<td>·</td>".into(),
                Some(cell) => {
                    let short = escape(&cell.verdict.short());
                    let inner = if matches!(cell.verdict, Verdict::Pass) {
                        short
                    } else {
                        format!("<a href=\"#{}\">{short}</a>", anchor_of(cell))
                    };
                    format!("<td class=\"{}\">{inner}</td>", class(&cell.verdict))
                }
            },
        );
    }
    body.push_str("<h2>Why</h2>\n");
    for cell in report
        .cells
        .iter()
        .filter(|c| !matches!(c.verdict, Verdict::Pass))
    {
        let _ = write!(
            body,
            "<h3 id=\"{}\" class=\"{}\"><code>{}</code> {} → {}: {}</h3>\n<p>{}</p>",
            anchor_of(cell),
            class(&cell.verdict),
            cell.scenario,
            escape(&cell.client),
            escape(&cell.server),
            escape(&cell.verdict.short()),
            escape(cell.verdict.detail())
        );
        if !cell.breaks.is_empty() {
            let links: Vec<String> = cell.breaks.iter().map(|id| spec_link(id)).collect();
            let texts: Vec<String> = cell
                .breaks
                .iter()
                .filter_map(|id| spec.summary(id))
                .map(|t| format!("<li>{}</li>", escape(&t)))
                .collect();
            let _ = write!(
                body,
                "<p>SPEC.md: {}</p><ul>{}</ul>",
                links.join(" "),
                texts.join("")
            );
        }
        let _ = write!(
            body,
            "<p>client {}: {}<br>server {}: {}</p>",
            escape(&cell.client),
            escape(&side_line(&cell.client_side)),
            escape(&cell.server),
            escape(&side_line(&cell.server_side))
        );
        if let Some(log) = &cell.log_file {
            let _ = write!(
                body,
                "<p><a href=\"{}\">frame log</a></p>",
                escape(&relative(&dir, log))
            );
        }
        body.push('\n');
    }
    let page = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>muxado interop matrix</title><style>{STYLE}</style></head><body>\n{body}</body></html>\n"
    );
    std::fs::write(&file, page)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC.md's ids are found with their section's anchor, GitHub's way.
    ///
    /// checks: tooling
    #[test]
    fn spec_ids_have_anchors_and_summaries() {
        let spec = Spec::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../SPEC.md"));
        assert_eq!(
            spec.anchor("INTEROP-13"),
            Some("interop-13-ngroks-rust-crate-writes-a-short-goaway")
        );
        assert_eq!(spec.anchor("STREAM-14"), Some("61-opening"));
        assert!(
            spec.summary("INTEROP-3")
                .unwrap()
                .starts_with("[INTEROP-3] ")
        );
    }

    /// A link from one directory to a file elsewhere climbs out of it first.
    ///
    /// checks: tooling
    #[test]
    fn relative_links() {
        assert_eq!(
            relative(Path::new("/a/b/c"), Path::new("/a/SPEC.md")),
            "../../SPEC.md"
        );
        assert_eq!(
            relative(Path::new("/a"), Path::new("/a/l/x.log")),
            "l/x.log"
        );
    }
}
