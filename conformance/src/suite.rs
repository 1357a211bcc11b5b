//! The test cases: every session vector of `vectors/sessions/`, embedded in the binary, each a
//! case with its stable id, the SPEC requirements it checks, its level and its description.

use muxado_vectors::session_model::{SessionFile, SessionVector};

/// The session vector files, compiled in so that the suite runs anywhere.
const FILES: &[(&str, &str)] = &[
    (
        "framing",
        include_str!("../../vectors/sessions/framing.json"),
    ),
    (
        "streams",
        include_str!("../../vectors/sessions/streams.json"),
    ),
    ("flow", include_str!("../../vectors/sessions/flow.json")),
    ("goaway", include_str!("../../vectors/sessions/goaway.json")),
    (
        "violations",
        include_str!("../../vectors/sessions/violations.json"),
    ),
    ("limits", include_str!("../../vectors/sessions/limits.json")),
    (
        "extensions",
        include_str!("../../vectors/sessions/extensions.json"),
    ),
];

/// SPEC.md, for the text of the requirements a failing case checks.
pub const SPEC: &str = include_str!("../../SPEC.md");

/// The level of a check: MUST, or SHOULD for a check that pins a choice SPEC.md leaves open
/// (a failure then counts only with `--strict`).
pub use muxado_vectors::judge::Level;

/// One test case.
#[derive(Debug)]
pub struct Case {
    /// The vector file it comes from (`flow`, ...).
    pub group: &'static str,
    /// The highest level among its checks: MUST when any check is a MUST (a case's SHOULD
    /// checks, if any, are judged beside them), SHOULD when every check pins a choice.
    pub level: Level,
    /// The session vector: id, description, requirements, script.
    pub vector: SessionVector,
}

impl Case {
    /// The stable id (the vector's).
    pub fn id(&self) -> &str {
        &self.vector.id
    }
}

/// Every case, in file order.
pub fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (group, text) in FILES {
        let file: SessionFile = serde_json::from_str(text).expect("embedded vectors parse");
        for vector in file.vectors {
            let level = if vector.has_must_checks() {
                Level::Must
            } else {
                Level::Should
            };
            cases.push(Case {
                group,
                level,
                vector,
            });
        }
    }
    cases
}

/// The paragraph of SPEC.md that defines requirement `id` (e.g. `FLOW-4`).
pub fn requirement_text(id: &str) -> Option<String> {
    muxado_spec::requirement_text(SPEC, id)
}

/// Whether a case is selected by glob patterns over its id, its group and its requirement ids.
pub fn matches(case: &Case, patterns: &[glob::Pattern]) -> bool {
    patterns.iter().any(|p| {
        p.matches(case.id())
            || p.matches(case.group)
            || case.vector.requirements.iter().any(|r| p.matches(r))
    })
}
