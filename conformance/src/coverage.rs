//! `conformance coverage`: for every SPEC.md requirement, the cases (session vectors, run live)
//! and the frame vectors (run offline, and through every Go framer) that check it.

use std::collections::BTreeMap;

use muxado_vectors::model::VectorFile;

use crate::suite::{Case, SPEC};

/// The frame vector files, compiled in like the session vectors.
const FRAME_FILES: &[&str] = &[
    include_str!("../../vectors/frames/header.json"),
    include_str!("../../vectors/frames/data.json"),
    include_str!("../../vectors/frames/rst.json"),
    include_str!("../../vectors/frames/wndinc.json"),
    include_str!("../../vectors/frames/goaway.json"),
    include_str!("../../vectors/frames/unknown.json"),
    include_str!("../../vectors/frames/streams.json"),
];

/// Areas about this document and the suite itself rather than the protocol: every case
/// exercises the agent contract, and the conventions are about how SPEC.md is written.
pub const META_AREAS: &[&str] = &["CONV", "AGENT"];

/// One requirement's coverage.
#[derive(Debug)]
pub struct Covered {
    /// `FLOW-4`.
    pub id: String,
    /// `MUST`, `SHOULD`, `MAY` or `-`.
    pub level: &'static str,
    /// Case ids that check it.
    pub cases: Vec<String>,
    /// Of them, the cases that judge it with a MUST-level check (a case whose every check
    /// pins a choice SPEC.md leaves open judges its requirements at SHOULD level only).
    pub must_cases: Vec<String>,
    /// Frame vector ids that check it.
    pub frame_vectors: Vec<String>,
}

/// The requirements the script engine judges at MUST level in a case whatever the case cites:
/// the credit ledger ([FLOW-6], [FLOW-7]) in every case whose application reads a stream, and
/// [TYPED-2] in every case that opens a typed stream.
fn judged_by_engine(case: &Case) -> &'static [&'static str] {
    use muxado_vectors::session_model::Step;
    let steps = &case.vector.steps;
    if steps.iter().any(|s| matches!(s.action, Step::OpenTyped(_))) {
        &["TYPED-2", "FLOW-6", "FLOW-7"]
    } else if steps.iter().any(|s| matches!(s.action, Step::Read(_))) {
        &["FLOW-6", "FLOW-7"]
    } else {
        &[]
    }
}

/// Every requirement of SPEC.md, in SPEC order, with what checks it.
pub fn coverage(cases: &[Case]) -> Vec<Covered> {
    let (requirements, _) = muxado_spec::parse_spec(SPEC);
    let mut by_id: BTreeMap<&str, (Vec<String>, Vec<String>)> = BTreeMap::new();
    let mut must: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for case in cases {
        let judged = judged_by_engine(case);
        for id in case
            .vector
            .requirements
            .iter()
            .map(String::as_str)
            .chain(judged.iter().copied())
        {
            let entry = &mut by_id.entry(id).or_default().0;
            if !entry.iter().any(|c| c == case.id()) {
                entry.push(case.id().to_string());
            }
            if case.vector.has_must_checks() || judged.contains(&id) {
                let entry = must.entry(id).or_default();
                if !entry.iter().any(|c| c == case.id()) {
                    entry.push(case.id().to_string());
                }
            }
        }
    }
    let files: Vec<VectorFile> = FRAME_FILES
        .iter()
        .map(|text| serde_json::from_str(text).expect("embedded frame vectors parse"))
        .collect();
    for vector in files.iter().flat_map(|f| &f.vectors) {
        // A vector checks its requirements, and reproduces against Go the notes of its `go`
        // entries (run through every Go framer by `interop/go/cmd/framecheck`).
        let notes = vector.go.iter().filter_map(|g| g["note"].as_str());
        for id in vector.requirements.iter().map(String::as_str).chain(notes) {
            let entry = &mut by_id.entry(id).or_default().1;
            if !entry.contains(&vector.id) {
                entry.push(vector.id.clone());
            }
        }
    }
    requirements
        .into_iter()
        .map(|r| {
            let (cases, frame_vectors) = by_id.remove(r.id.as_str()).unwrap_or_default();
            let must_cases = must.remove(r.id.as_str()).unwrap_or_default();
            Covered {
                id: r.id,
                level: r.level,
                cases,
                must_cases,
                frame_vectors,
            }
        })
        .collect()
}
