//! SPEC.md as data: the requirements it defines, the interop notes of its section 12, and the
//! text of each requirement. The conformance suite (coverage, failure reports) and the
//! traceability check (`ci/spec-trace`) read SPEC.md through this crate.
//!
//! SPEC.md *defines* a requirement by starting a paragraph with its id: `[FLOW-2] A sender...`;
//! an id that starts a wrapped line is a reference, not a definition.
//!
//! ```
//! let spec = "# Flow\n\n[FLOW-2] A sender MUST stop\nsending.\n\n[FLOW-3] It MAY go on.\n";
//! let (requirements, duplicates) = muxado_spec::parse_spec(spec);
//! assert_eq!(requirements.len(), 2);
//! assert_eq!(requirements[0].level, "MUST");
//! assert!(duplicates.is_empty());
//! assert_eq!(
//!     muxado_spec::requirement_text(spec, "FLOW-2").as_deref(),
//!     Some("[FLOW-2] A sender MUST stop sending.")
//! );
//! ```

#![forbid(unsafe_code)]

use std::collections::BTreeMap;

use regex::Regex;

/// One requirement as SPEC.md defines it.
#[derive(Clone, Debug)]
pub struct Requirement {
    /// `FLOW-2`.
    pub id: String,
    /// Line of SPEC.md.
    pub line: usize,
    /// Strongest RFC 2119 keyword in the paragraph (`MUST`, `SHOULD`, `MAY`, or `-`).
    pub level: &'static str,
}

/// Which implementation an interop note is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    /// The Go libraries (2016, v2.0.1, v2.0.2).
    Go,
    /// ngrok's Rust crate `muxado`.
    NgrokCrate,
}

/// One interop note of SPEC section 12.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// `INTEROP-7`.
    pub id: String,
    /// Line of SPEC.md where the note's paragraph starts.
    pub line: usize,
    /// The implementation it is about, from its heading.
    pub subject: Subject,
    /// Conformance case ids the note names (`` `session-...` ``).
    pub cases: Vec<String>,
}

/// Parses SPEC.md's requirement definitions.
pub fn parse_spec(text: &str) -> (Vec<Requirement>, Vec<(String, Vec<usize>)>) {
    let start = Regex::new(r"^\[([A-Z]+-[0-9]+)\]").expect("valid regex");
    let lines: Vec<&str> = text.lines().collect();
    let mut requirements = Vec::new();
    let mut seen: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        // A definition opens a paragraph; an id that starts a wrapped line is a reference.
        let opens_paragraph = i == 0 || lines[i - 1].trim().is_empty();
        let Some(m) = start.captures(line).filter(|_| opens_paragraph) else {
            continue;
        };
        let id = m[1].to_string();
        let paragraph: String = lines[i..]
            .iter()
            .take_while(|l| !l.trim().is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        let level = [
            "MUST",
            "SHALL",
            "REQUIRED",
            "SHOULD",
            "RECOMMENDED",
            "MAY",
            "OPTIONAL",
        ]
        .into_iter()
        .find(|k| paragraph.contains(k))
        .map(|k| match k {
            "MUST" | "SHALL" | "REQUIRED" => "MUST",
            "SHOULD" | "RECOMMENDED" => "SHOULD",
            _ => "MAY",
        })
        .unwrap_or("-");
        seen.entry(id.clone()).or_default().push(i + 1);
        if seen[&id].len() == 1 {
            requirements.push(Requirement {
                id,
                line: i + 1,
                level,
            });
        }
    }
    let duplicates = seen.into_iter().filter(|(_, l)| l.len() > 1).collect();
    (requirements, duplicates)
}

/// Parses SPEC.md's interop notes: each `[INTEROP-N]` definition, the implementation its
/// `###` heading names, and the conformance cases quoted in its text (up to the next heading).
pub fn parse_notes(text: &str) -> Vec<Note> {
    let start = Regex::new(r"^\[(INTEROP-[0-9]+)\]").expect("valid regex");
    let case = Regex::new(r"`(session-[a-z0-9-]+)`").expect("valid regex");
    let lines: Vec<&str> = text.lines().collect();
    let mut notes = Vec::new();
    let mut heading = "";
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with('#') {
            heading = line;
            continue;
        }
        let opens_paragraph = i == 0 || lines[i - 1].trim().is_empty();
        let Some(m) = start.captures(line).filter(|_| opens_paragraph) else {
            continue;
        };
        let subject = if heading.contains("ngrok's Rust crate") {
            Subject::NgrokCrate
        } else {
            Subject::Go
        };
        let mut cases: Vec<String> = Vec::new();
        for l in lines[i..].iter().take_while(|l| !l.starts_with('#')) {
            for c in case.captures_iter(l) {
                if !cases.contains(&c[1].to_string()) {
                    cases.push(c[1].to_string());
                }
            }
        }
        notes.push(Note {
            id: m[1].to_string(),
            line: i + 1,
            subject,
            cases,
        });
    }
    notes
}

/// The paragraph of SPEC.md that defines requirement `id` (e.g. `FLOW-4`).
pub fn requirement_text(spec: &str, id: &str) -> Option<String> {
    let tag = format!("[{id}]");
    let start = spec.find(&format!("\n{tag} "))? + 1;
    let end = spec[start..].find("\n\n").map_or(spec.len(), |e| start + e);
    Some(
        spec[start..end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    )
}
