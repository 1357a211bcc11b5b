//! Reports of a run for people and CI systems: JSON, JUnit XML, and HTML with one page per
//! case and its transcript.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use crate::run::{CaseResult, Outcome, frame_lines};
use crate::suite::{Case, requirement_text};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A result as JSON.
pub fn result_json(case: &Case, result: &CaseResult) -> Value {
    json!({
        "id": result.id,
        "group": case.group,
        "level": result.level.name(),
        "requirements": case.vector.requirements,
        "description": case.vector.description,
        "outcome": result.outcome.name(),
        "counts": result.counts,
        "detail": result.detail,
        "elapsed_ms": result.elapsed.as_millis() as u64,
        "transcript": result.transcript.iter().map(|c| json!({
            "dir": if c.to_iut { "to_iut" } else { "from_iut" },
            "t_us": c.at.as_micros() as u64,
            "hex": hex(&c.bytes),
        })).collect::<Vec<_>>(),
    })
}

/// The whole run as JSON.
pub fn json_report(cases: &[&Case], results: &[CaseResult]) -> String {
    let results: Vec<Value> = cases
        .iter()
        .zip(results)
        .map(|(c, r)| result_json(c, r))
        .collect();
    serde_json::to_string_pretty(&json!({"results": results})).expect("serializable") + "\n"
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The results as JUnit XML: one testsuite per case group, one testcase per case; counted
/// failures are `<failure>`, uncounted ones and unsupported cases `<skipped>`.
pub fn junit(cases: &[&Case], results: &[CaseResult]) -> String {
    let mut groups: Vec<&str> = cases.iter().map(|c| c.group).collect();
    groups.dedup();
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"muxado conformance\">\n",
    );
    for group in groups {
        let members: Vec<(&&Case, &CaseResult)> = cases
            .iter()
            .zip(results)
            .filter(|(c, _)| c.group == group)
            .collect();
        let failures = members.iter().filter(|(_, r)| r.counts).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{group}\" tests=\"{}\" failures=\"{failures}\">",
            members.len()
        );
        for (case, r) in members {
            let _ = write!(
                out,
                "    <testcase classname=\"{group}\" name=\"{}\" time=\"{:.3}\">",
                escape(&r.id),
                r.elapsed.as_secs_f64()
            );
            let message = format!(
                "{} ({}; {})",
                r.outcome.name(),
                r.level.name(),
                case.vector.requirements.join(" ")
            );
            if r.counts {
                let _ = write!(
                    out,
                    "<failure message=\"{}\">{}</failure>",
                    escape(&message),
                    escape(&r.detail)
                );
            } else if r.outcome != Outcome::Pass {
                let _ = write!(out, "<skipped message=\"{}\"/>", escape(&message));
            }
            out.push_str("</testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}\
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}pre{background:#f6f6f6;padding:.5em}\
.pass{color:#070}.fail,.timeout,.error,.unexpected-pass{color:#b00}.unsupported,.expected-failure{color:#777}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n{body}</body></html>\n",
        escape(title)
    )
}

/// Writes an HTML report into `dir`: `index.html` with every case, and one page per case with
/// its requirements, what happened, and the transcript decoded and in hex.
pub fn html(
    dir: &Path,
    title: &str,
    cases: &[&Case],
    results: &[CaseResult],
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut index = format!(
        "<h1>{}</h1>\n<table><tr><th>outcome</th><th>level</th><th>case</th><th>requirements</th><th>description</th></tr>\n",
        escape(title)
    );
    for (case, r) in cases.iter().zip(results) {
        let file = format!("{}.html", r.id);
        let _ = writeln!(
            index,
            "<tr><td class=\"{o}\">{o}</td><td>{}</td><td><a href=\"{file}\">{}</a></td><td>{}</td><td>{}</td></tr>",
            r.level.name(),
            escape(&r.id),
            case.vector.requirements.join(" "),
            escape(&case.vector.description),
            o = r.outcome.name(),
        );
        let mut body = format!(
            "<p><a href=\"index.html\">all cases</a></p><h1>{}</h1><p class=\"{o}\">{o} ({}{})</p><p>{}</p><h2>Requirements</h2>",
            escape(&r.id),
            r.level.name(),
            if r.counts { ", counted" } else { "" },
            escape(&case.vector.description),
            o = r.outcome.name(),
        );
        for id in &case.vector.requirements {
            let _ = write!(
                body,
                "<p>{}</p>",
                escape(&requirement_text(id).unwrap_or_else(|| format!("[{id}]")))
            );
        }
        if !r.detail.is_empty() {
            let _ = write!(
                body,
                "<h2>What happened</h2><pre>{}</pre>",
                escape(&r.detail)
            );
        }
        for (to_iut, name) in [
            (true, "Frames the suite sent"),
            (false, "Frames the IUT sent"),
        ] {
            let _ = write!(
                body,
                "<h2>{name}</h2><pre>{}</pre>",
                escape(&frame_lines(&r.transcript, to_iut).join("\n"))
            );
        }
        let bytes: Vec<String> = r
            .transcript
            .iter()
            .map(|c| {
                format!(
                    "{:>10.3}ms {} {}",
                    c.at.as_secs_f64() * 1000.0,
                    if c.to_iut { "→" } else { "←" },
                    hex(&c.bytes)
                )
            })
            .collect();
        let _ = write!(
            body,
            "<h2>Bytes</h2><pre>{}</pre>",
            escape(&bytes.join("\n"))
        );
        std::fs::write(dir.join(file), page(&r.id, &body))?;
    }
    index.push_str("</table>\n");
    std::fs::write(dir.join("index.html"), page(title, &index))
}
