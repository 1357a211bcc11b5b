//! Reports of a run for people and CI systems: JSON, JUnit XML, and HTML with one page per
//! case and its transcript.

use std::fmt::Write as _;
use std::path::Path;

use muxado_testkit::fnv::fnv1a;
use muxado_testkit::hex::to_hex as hex;
use serde_json::{Value, json};

use crate::agent::Chunk;
use crate::run::{CaseResult, Outcome, frame_lines};
use crate::suite::{Case, SPEC, requirement_text};

/// The `schema` value of a JSON report (`conformance/report.schema.json`).
pub const SCHEMA: &str = "muxado-conformance-report";

/// Transport chunks longer than this are kept in reports by length and their first bytes only:
/// a failing 1 MiB case stays readable, and its report small.
pub const CHUNK_KEPT: usize = 4096;

/// Bytes of an elided chunk that reports still show.
pub const CHUNK_HEAD: usize = 64;

/// Command and answer lines longer than this are cut in reports.
pub const LINE_KEPT: usize = 1024;

/// What a report says about the run as a whole.
#[derive(Clone, Debug)]
pub struct RunInfo {
    /// The implementation's name (`--name`, else the agent command).
    pub implementation: String,
    /// The command line, as given.
    pub command_line: Vec<String>,
    /// When the run started.
    pub started: std::time::SystemTime,
    /// How long it took.
    pub elapsed: std::time::Duration,
    /// `--strict`.
    pub strict: bool,
}

/// The suite's version (the crate's).
pub const SUITE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The SPEC.md revision the suite embeds: its status line's version and an FNV-1a hash of its
/// text, so that a report names exactly the text it judged against.
pub fn spec_revision() -> String {
    let version = SPEC
        .lines()
        .find_map(|l| l.strip_prefix("Status: "))
        .and_then(|l| l.split(',').nth(1))
        .map_or("unknown version".to_string(), |v| v.trim().to_string());
    format!("{version}, fnv1a64 {:016x}", fnv1a(SPEC.as_bytes()))
}

/// A transport chunk's bytes for a report: whole up to [`CHUNK_KEPT`], else the first
/// [`CHUNK_HEAD`] bytes and a marker with the length.
pub fn chunk_hex(bytes: &[u8]) -> String {
    if bytes.len() <= CHUNK_KEPT {
        hex(bytes)
    } else {
        format!(
            "{}… ({} bytes in all, elided)",
            hex(&bytes[..CHUNK_HEAD]),
            bytes.len()
        )
    }
}

/// A control line for a report, cut at [`LINE_KEPT`] characters with a marker.
pub fn line_kept(line: &str) -> String {
    if line.len() <= LINE_KEPT {
        return line.to_string();
    }
    let mut cut = LINE_KEPT;
    while !line.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(
        "{}… ({} characters in all, elided)",
        &line[..cut],
        line.len()
    )
}

fn chunk_json(c: &Chunk) -> Value {
    let mut v = json!({
        "dir": if c.to_iut { "to_iut" } else { "from_iut" },
        "t_us": c.at.as_micros() as u64,
        "len": c.bytes.len(),
    });
    if c.bytes.len() <= CHUNK_KEPT {
        v["hex"] = json!(hex(&c.bytes));
    } else {
        v["hex_head"] = json!(hex(&c.bytes[..CHUNK_HEAD]));
        v["elided"] = json!(true);
    }
    v
}

/// How many cases ended how, and which of them count against the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Every case run.
    pub total: usize,
    /// Passed every check.
    pub pass: usize,
    /// Failed a MUST-level check (counted).
    pub fail_must: usize,
    /// Failed only SHOULD-level checks (counted with `--strict`).
    pub fail_should: usize,
    /// Failures of either level that count.
    pub fail_counted: usize,
    /// Did not finish in time (counted).
    pub timeout: usize,
    /// The agent could not be started or reached, or broke the contract (counted).
    pub error: usize,
    /// The agent cannot play the case.
    pub unsupported: usize,
    /// Failed as the expectations file says.
    pub expected_failure: usize,
    /// Passed although the expectations file says it fails (counted).
    pub unexpected_pass: usize,
}

impl Summary {
    /// Counts `results`.
    pub fn of(results: &[CaseResult]) -> Summary {
        let mut s = Summary {
            total: results.len(),
            ..Summary::default()
        };
        for r in results {
            match r.outcome {
                Outcome::Pass => s.pass += 1,
                Outcome::Fail => {
                    if r.level == crate::suite::Level::Must {
                        s.fail_must += 1;
                    } else {
                        s.fail_should += 1;
                    }
                    s.fail_counted += usize::from(r.counts);
                }
                Outcome::Timeout => s.timeout += 1,
                Outcome::Error => s.error += 1,
                Outcome::Unsupported => s.unsupported += 1,
                Outcome::ExpectedFailure => s.expected_failure += 1,
                Outcome::UnexpectedPass => s.unexpected_pass += 1,
            }
        }
        s
    }

    /// The summary line: what counts against the run, then what does not.
    pub fn line(&self) -> String {
        let should_counted = self.fail_counted - self.fail_must.min(self.fail_counted);
        format!(
            "{} cases: {} pass | counted: {} fail MUST, {} fail SHOULD (--strict), {} timeout, \
             {} error, {} unexpected-pass | not counted: {} fail SHOULD only, {} unsupported, \
             {} expected-failure",
            self.total,
            self.pass,
            self.fail_must,
            should_counted,
            self.timeout,
            self.error,
            self.unexpected_pass,
            self.fail_should - should_counted,
            self.unsupported,
            self.expected_failure
        )
    }

    /// As JSON.
    pub fn to_json(self) -> Value {
        json!({
            "total": self.total,
            "pass": self.pass,
            "fail_must": self.fail_must,
            "fail_should": self.fail_should,
            "fail_counted": self.fail_counted,
            "timeout": self.timeout,
            "error": self.error,
            "unsupported": self.unsupported,
            "expected_failure": self.expected_failure,
            "unexpected_pass": self.unexpected_pass,
        })
    }
}

/// A result as JSON (`conformance/report.schema.json`, `results` items).
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
        "log": result.log.iter().map(|e| json!({
            "t_us": e.at.as_micros() as u64,
            "command": line_kept(&e.command),
            "answer": e.answer.as_deref().map(line_kept),
        })).collect::<Vec<_>>(),
        "transcript": result.transcript.iter().map(chunk_json).collect::<Vec<_>>(),
    })
}

/// The whole run as JSON, as `conformance/report.schema.json` describes it.
pub fn json_report(info: &RunInfo, cases: &[&Case], results: &[CaseResult]) -> String {
    let list: Vec<Value> = cases
        .iter()
        .zip(results)
        .map(|(c, r)| result_json(c, r))
        .collect();
    let report = json!({
        "schema": SCHEMA,
        "schema_version": 1,
        "suite_version": SUITE_VERSION,
        "spec_revision": spec_revision(),
        "implementation": info.implementation,
        "command_line": info.command_line,
        "started": humantime::format_rfc3339_seconds(info.started).to_string(),
        "elapsed_ms": info.elapsed.as_millis() as u64,
        "strict": info.strict,
        "totals": Summary::of(results).to_json(),
        "results": list,
    });
    serde_json::to_string_pretty(&report).expect("serializable") + "\n"
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The results as JUnit XML: one testsuite per case group, one testcase per case with its
/// level and requirement ids as properties; counted failures are `<failure>`, uncounted ones
/// and unsupported cases `<skipped>`.
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
            out.push_str("<properties>");
            let _ = write!(
                out,
                "<property name=\"level\" value=\"{}\"/>",
                r.level.name()
            );
            for id in &case.vector.requirements {
                let _ = write!(
                    out,
                    "<property name=\"requirement\" value=\"{}\"/>",
                    escape(id)
                );
            }
            out.push_str("</properties>");
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

/// Writes an HTML report into `dir`: `index.html` with the totals, then every case, those that
/// count against the run first; and one page per case with its requirements, what happened,
/// the command log and the transcript decoded and in hex.
pub fn html(
    dir: &Path,
    info: &RunInfo,
    cases: &[&Case],
    results: &[CaseResult],
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let title = format!("muxado conformance: {}", info.implementation);
    let summary = Summary::of(results);
    let mut index = format!(
        "<h1>{}</h1>\n<p>{}</p>\n<p>suite {SUITE_VERSION}, SPEC.md {}, started {}, {:.1} s{}</p>\n\
         <table><tr><th>outcome</th><th>level</th><th>case</th><th>requirements</th><th>description</th></tr>\n",
        escape(&title),
        escape(&summary.line()),
        escape(&spec_revision()),
        humantime::format_rfc3339_seconds(info.started),
        info.elapsed.as_secs_f64(),
        if info.strict { ", --strict" } else { "" },
    );
    // What counts first, then what did not pass, then the passes.
    let mut order: Vec<usize> = (0..results.len()).collect();
    order.sort_by_key(|&i| {
        let r = &results[i];
        (!r.counts, r.outcome == Outcome::Pass)
    });
    for (case, r) in order.iter().map(|&i| (cases[i], &results[i])) {
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
        let log: Vec<String> = r
            .log
            .iter()
            .map(|e| {
                format!(
                    "{:>10.3}ms → {}\n             ← {}",
                    e.at.as_secs_f64() * 1000.0,
                    line_kept(&e.command),
                    e.answer.as_deref().map_or("(no answer)".into(), line_kept)
                )
            })
            .collect();
        let _ = write!(
            body,
            "<h2>Commands and answers</h2><pre>{}</pre>",
            escape(&log.join("\n"))
        );
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
                    chunk_hex(&c.bytes)
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
    std::fs::write(dir.join("index.html"), page(&title, &index))
}
