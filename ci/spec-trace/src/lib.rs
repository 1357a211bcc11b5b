//! Traceability between SPEC.md and the rest of the repository (SPEC section 13).
//!
//! - SPEC.md *defines* a requirement by starting a paragraph with its id: `[FLOW-2] A sender...`.
//! - A test *checks* requirements with a comment `checks: [ID] [ID]` next to it (Rust `#[test]`
//!   functions, Go `func TestX`), and a vector by its `requirements` field (and a Go deviation
//!   by its `note`).
//! - Code *implements* a requirement by citing `[ID]` in a comment.
//! - A test of the project's own tools (the benchmark driver's statistics, its report writer)
//!   checks no requirement of the protocol: it says so with `checks: tooling`, and is counted
//!   apart, so that "cites nothing" stays an error and the exemption is explicit.
//!
//! - An interop note (`[INTEROP-N]`, SPEC section 12) says what an implementation people run
//!   does; each must be reproduced against that implementation. A note is about ngrok's Rust
//!   crate when its heading names "ngrok's Rust crate", and about Go otherwise. A Go note is
//!   backed by a Go test that cites it (`checks:` in a `_test.go` file) or a frame vector whose
//!   `go` entry's `note` names it (run through Go's framers); a crate note by a Rust test under
//!   `interop/ngrok-peer/tests/`. A conformance case a note names (`` `session-...` ``) must be
//!   listed in an expectation file of the same implementation (`conformance/expect/go-*.txt`,
//!   `conformance/expect/ngrok-*.txt`).
//!
//! [`scan`] collects all of it; [`Trace::errors`] lists what must fail CI: an id defined twice,
//! a citation of an undefined id, a test that cites nothing, an interop note without its
//! backing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub use muxado_spec::{Note, Requirement, Subject, parse_notes, parse_spec};
use regex::Regex;

/// Where something cites a requirement.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Citation {
    /// `path:line`, or `path#vector-id` for vectors.
    pub place: String,
    /// The test's name, the vector's id, or empty for code.
    pub name: String,
}

/// What reproduces an interop note against the implementation it is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Backing {
    /// A Go test (`checks:` in a `_test.go` file).
    GoTest,
    /// A frame vector's `go` entry (`note`), run through every Go framer.
    GoVector,
    /// A Rust test under `interop/ngrok-peer/tests/`.
    CrateTest,
}

/// Everything the scan found.
#[derive(Debug, Default)]
pub struct Trace {
    /// Requirements in SPEC order.
    pub requirements: Vec<Requirement>,
    /// Ids defined more than once, with their lines.
    pub duplicates: Vec<(String, Vec<usize>)>,
    /// Requirement id to the tests and vectors that check it.
    pub tested_by: BTreeMap<String, BTreeSet<Citation>>,
    /// Requirement id to the code that cites it.
    pub implemented_at: BTreeMap<String, BTreeSet<Citation>>,
    /// Citations of ids SPEC.md does not define.
    pub unknown: Vec<(String, Citation)>,
    /// Tests that cite no requirement.
    pub uncited_tests: Vec<Citation>,
    /// Tests marked `checks: tooling`: they check the project's tools, not the protocol.
    pub tooling_tests: Vec<Citation>,
    /// The interop notes, in SPEC order.
    pub notes: Vec<Note>,
    /// Interop note id to what reproduces it.
    pub note_backing: BTreeMap<String, BTreeSet<Backing>>,
    /// Conformance expectation file name (`go-2016.txt`) to the case ids it lists.
    pub expected_cases: BTreeMap<String, BTreeSet<String>>,
    /// Number of tests seen.
    pub tests: usize,
    /// Number of vectors seen.
    pub vectors: usize,
}

impl Trace {
    /// The problems that fail the check, one line each.
    pub fn errors(&self) -> Vec<String> {
        let mut errors = Vec::new();
        for (id, lines) in &self.duplicates {
            errors.push(format!(
                "SPEC.md defines [{id}] more than once, at lines {lines:?}"
            ));
        }
        for (id, at) in &self.unknown {
            errors.push(format!(
                "{} cites [{id}], which SPEC.md does not define",
                at.place
            ));
        }
        for test in &self.uncited_tests {
            errors.push(format!(
                "{} test {} cites no requirement (add `checks: [ID]`)",
                test.place, test.name
            ));
        }
        for note in &self.notes {
            let backing = self.note_backing.get(&note.id);
            let has = |b: Backing| backing.is_some_and(|s| s.contains(&b));
            match note.subject {
                Subject::Go if !has(Backing::GoTest) && !has(Backing::GoVector) => {
                    errors.push(format!(
                        "SPEC.md:{} [{}] is about Go, but no Go test (`checks:` in a `_test.go` file) \
                         and no frame vector (a `go` entry's `note`) cites it",
                        note.line, note.id
                    ))
                }
                Subject::NgrokCrate if !has(Backing::CrateTest) => errors.push(format!(
                    "SPEC.md:{} [{}] is about ngrok's Rust crate, but no test in \
                     interop/ngrok-peer/tests/ cites it",
                    note.line, note.id
                )),
                _ => {}
            }
            let prefix = match note.subject {
                Subject::Go => "go-",
                Subject::NgrokCrate => "ngrok-",
            };
            for case in &note.cases {
                let listed = self
                    .expected_cases
                    .iter()
                    .any(|(file, cases)| file.starts_with(prefix) && cases.contains(case));
                if !listed {
                    errors.push(format!(
                        "SPEC.md:{} [{}] names conformance case `{case}`, which no \
                         conformance/expect/{prefix}*.txt lists",
                        note.line, note.id
                    ));
                }
            }
        }
        errors
    }

    /// Requirements no test or vector checks yet.
    pub fn untested(&self) -> Vec<&Requirement> {
        self.requirements
            .iter()
            .filter(|r| !self.tested_by.contains_key(&r.id))
            .collect()
    }
}

fn id_regex() -> Regex {
    Regex::new(r"\[([A-Z]+-[0-9]+)\]").expect("valid regex")
}

/// Reads the case ids of every `conformance/expect/*.txt` file (first word of each line that
/// is not a comment).
fn scan_expectations(root: &Path, trace: &mut Trace) -> std::io::Result<()> {
    let dir = root.join("conformance/expect");
    if !dir.is_dir() {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !name.ends_with(".txt") {
            continue;
        }
        let cases = std::fs::read_to_string(&path)?
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .collect();
        trace.expected_cases.insert(name.to_string(), cases);
    }
    Ok(())
}

/// Scans the repository rooted at `root`.
pub fn scan(root: &Path) -> std::io::Result<Trace> {
    let spec = std::fs::read_to_string(root.join("SPEC.md"))?;
    let (requirements, duplicates) = parse_spec(&spec);
    let mut trace = Trace {
        requirements,
        duplicates,
        notes: parse_notes(&spec),
        ..Trace::default()
    };
    scan_expectations(root, &mut trace)?;
    let defined: BTreeSet<String> = trace.requirements.iter().map(|r| r.id.clone()).collect();

    // References inside SPEC.md itself must name defined ids too.
    let ids = id_regex();
    for (i, line) in spec.lines().enumerate() {
        for m in ids.captures_iter(line) {
            if !defined.contains(&m[1]) {
                let at = Citation {
                    place: format!("SPEC.md:{}", i + 1),
                    name: String::new(),
                };
                trace.unknown.push((m[1].to_string(), at));
            }
        }
    }

    let mut files = Vec::new();
    walk(root, &mut files)?;
    files.sort();
    for path in files {
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        match ext {
            "rs" | "go" => scan_source(&rel, &text, ext, &defined, &mut trace),
            "json" if rel.starts_with("vectors/") => {
                scan_vectors(&rel, &text, &defined, &mut trace)
            }
            _ => {}
        }
    }
    Ok(trace)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if entry.file_type()?.is_dir() {
            if !(name.starts_with('.')
                || name == "target"
                || name == "corpus"
                || name == "artifacts")
            {
                walk(&path, out)?;
            }
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn cite(
    trace: &mut Trace,
    defined: &BTreeSet<String>,
    id: &str,
    citation: Citation,
    is_test: bool,
) {
    if !defined.contains(id) {
        trace.unknown.push((id.to_string(), citation));
    } else if is_test {
        trace
            .tested_by
            .entry(id.to_string())
            .or_default()
            .insert(citation);
    } else {
        trace
            .implemented_at
            .entry(id.to_string())
            .or_default()
            .insert(citation);
    }
}

/// A test starts at `#[test]` (Rust) or `func TestX(` (Go). Its citation region is the comment
/// block right above it and its body, up to the closing brace at its indentation.
fn scan_source(rel: &str, text: &str, ext: &str, defined: &BTreeSet<String>, trace: &mut Trace) {
    let ids = id_regex();
    let lines: Vec<&str> = text.lines().collect();
    let go_test = Regex::new(r"^func (Test\w+)\(").expect("valid regex");
    let rust_fn = Regex::new(r"fn\s+(\w+)").expect("valid regex");
    // Line index to the name of the test whose region contains it.
    let mut test_of_line: BTreeMap<usize, String> = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let is_start = match ext {
            "rs" => ["#[test]", "#[tokio::test", "#[quickcheck]"]
                .iter()
                .any(|a| trimmed.starts_with(a)),
            _ => go_test.is_match(line),
        };
        if !is_start {
            continue;
        }
        let indent = line.len() - trimmed.len();
        let mut first = i;
        while first > 0 {
            let above = lines[first - 1].trim_start();
            if above.starts_with("//") || above.starts_with("#[") {
                first -= 1;
            } else {
                break;
            }
        }
        let mut last = i;
        while last + 1 < lines.len() {
            last += 1;
            let l = lines[last];
            if l.trim_start() == "}" && l.len() - l.trim_start().len() == indent {
                break;
            }
        }
        let name = match ext {
            "rs" => lines[i..=last]
                .iter()
                .find_map(|l| rust_fn.captures(l).map(|c| c[1].to_string())),
            _ => go_test.captures(line).map(|c| c[1].to_string()),
        }
        .unwrap_or_else(|| "?".to_string());
        trace.tests += 1;
        let region = &lines[first..=last];
        if region.iter().any(|l| l.contains("checks: tooling")) {
            trace.tooling_tests.push(Citation {
                place: format!("{rel}:{}", i + 1),
                name: name.clone(),
            });
        } else if !region.iter().any(|l| l.contains("checks:")) {
            trace.uncited_tests.push(Citation {
                place: format!("{rel}:{}", i + 1),
                name: name.clone(),
            });
        }
        for j in first..=last {
            test_of_line.insert(j, name.clone());
        }
    }
    for (i, line) in lines.iter().enumerate() {
        let is_check = line.contains("checks:");
        for m in ids.captures_iter(line) {
            let citation = Citation {
                place: format!("{rel}:{}", i + 1),
                name: if is_check {
                    test_of_line.get(&i).cloned().unwrap_or_default()
                } else {
                    String::new()
                },
            };
            if is_check && m[1].starts_with("INTEROP-") && defined.contains(&m[1]) {
                let backing = if rel.ends_with("_test.go") {
                    Some(Backing::GoTest)
                } else if ext == "rs" && rel.starts_with("interop/ngrok-peer/tests/") {
                    Some(Backing::CrateTest)
                } else {
                    None
                };
                if let Some(b) = backing {
                    trace
                        .note_backing
                        .entry(m[1].to_string())
                        .or_default()
                        .insert(b);
                }
            }
            cite(trace, defined, &m[1], citation, is_check);
        }
    }
}

fn scan_vectors(rel: &str, text: &str, defined: &BTreeSet<String>, trace: &mut Trace) {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let Some(vectors) = doc.get("vectors").and_then(|v| v.as_array()) else {
        return;
    };
    for vector in vectors {
        let name = vector
            .get("id")
            .and_then(|v| v.as_str())
            .unwrap_or("?")
            .to_string();
        trace.vectors += 1;
        let citation = Citation {
            place: format!("{rel}#{name}"),
            name: name.clone(),
        };
        let mut ids: Vec<String> = vector
            .get("requirements")
            .and_then(|r| r.as_array())
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_str().map(str::to_string))
            .collect();
        if let Some(req) = vector
            .pointer("/error/requirement")
            .and_then(|r| r.as_str())
        {
            ids.push(req.to_string());
        }
        for deviation in vector
            .get("go")
            .and_then(|g| g.as_array())
            .into_iter()
            .flatten()
        {
            if let Some(note) = deviation.get("note").and_then(|n| n.as_str()) {
                if rel.starts_with("vectors/frames/") && defined.contains(note) {
                    trace
                        .note_backing
                        .entry(note.to_string())
                        .or_default()
                        .insert(Backing::GoVector);
                }
                ids.push(note.to_string());
            }
        }
        for id in ids {
            cite(trace, defined, &id, citation.clone(), true);
        }
    }
}

/// The report: one line per requirement with its level and citations, then the untested ones.
pub fn report(trace: &Trace, verbose: bool) -> String {
    let mut out = String::new();
    let tested = trace.requirements.len() - trace.untested().len();
    out.push_str(&format!(
        "SPEC.md: {} requirements; {} tests and {} vectors cite them; {tested} checked, {} not yet\n",
        trace.requirements.len(),
        trace.tests - trace.tooling_tests.len(),
        trace.vectors,
        trace.requirements.len() - tested
    ));
    out.push_str(&format!(
        "{} tests check the project's tools, not the protocol (`checks: tooling`)\n",
        trace.tooling_tests.len()
    ));
    let crate_notes = trace
        .notes
        .iter()
        .filter(|n| n.subject == Subject::NgrokCrate)
        .count();
    out.push_str(&format!(
        "{} interop notes: {} about Go (each needs a Go test or a frame vector), {crate_notes} about ngrok's Rust crate (each needs a test in interop/ngrok-peer/tests/)\n",
        trace.notes.len(),
        trace.notes.len() - crate_notes
    ));
    for r in &trace.requirements {
        let tests = trace.tested_by.get(&r.id).map(|s| s.len()).unwrap_or(0);
        let code = trace
            .implemented_at
            .get(&r.id)
            .map(|s| s.len())
            .unwrap_or(0);
        let mut line = format!(
            "  [{}] {:<6} tested by {tests:>3}, cited in code {code:>2}",
            r.id, r.level
        );
        if let Some(citations) = trace.tested_by.get(&r.id) {
            let shown: Vec<&str> = citations
                .iter()
                .map(|c| c.name.as_str())
                .filter(|n| !n.is_empty())
                .collect();
            let limit = if verbose { shown.len() } else { 4 };
            line.push_str(": ");
            line.push_str(
                &shown
                    .iter()
                    .take(limit)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            if shown.len() > limit {
                line.push_str(&format!(", +{} more", shown.len() - limit));
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    let untested = trace.untested();
    if !untested.is_empty() {
        out.push_str(&format!(
            "not yet checked by any test or vector ({}):\n",
            untested.len()
        ));
        for level in ["MUST", "SHOULD", "MAY", "-"] {
            let ids: Vec<&str> = untested
                .iter()
                .filter(|r| r.level == level)
                .map(|r| r.id.as_str())
                .collect();
            if !ids.is_empty() {
                out.push_str(&format!("  {level:<6} {}\n", ids.join(" ")));
            }
        }
    }
    out
}
