//! The repository's traceability, checked on every test run, and the checker's own behaviour
//! on small inputs.

use std::path::Path;

use muxado_spec_trace::{parse_spec, report, scan};

/// Fails when a test or vector cites an undefined id, an id is defined twice, or a test cites
/// nothing; prints the per-requirement report either way.
/// checks: [CONV-1]
#[test]
fn repository_is_traceable() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let trace = scan(&root).expect("scan the repository");
    println!("{}", report(&trace, false));
    let errors = trace.errors();
    assert!(
        errors.is_empty(),
        "traceability errors:\n{}",
        errors.join("\n")
    );
    assert!(
        trace.requirements.len() >= 60,
        "SPEC.md defines only {} requirements",
        trace.requirements.len()
    );
}

/// checks: [CONV-1]
#[test]
fn duplicate_definitions_are_found() {
    let spec = brackets(
        "{A-1} X MUST y.\n\n{B-1} X SHOULD y.\n{A-1} wrapped reference.\n\n{A-1} again MAY.\n",
    );
    let (requirements, duplicates) = parse_spec(&spec);
    assert_eq!(requirements.len(), 2);
    assert_eq!(requirements[0].level, "MUST");
    assert_eq!(requirements[1].level, "SHOULD");
    assert_eq!(duplicates, vec![("A-1".to_string(), vec![1, 6])]);
}

/// checks: [CONV-1]
#[test]
fn undefined_citations_and_uncited_tests_fail() {
    let dir = std::env::temp_dir().join(format!("spec-trace-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("SPEC.md"),
        brackets("{A-1} X MUST y.\n\n{A-2} Z MAY w.\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("src/lib.rs"),
        brackets("// {A-1} implemented here\n/// checks: {A-1} {NOPE-9}\n#[test]\nfn cited() {}\n\n#[test]\nfn uncited() {\n}\n"),
    )
    .unwrap();
    let trace = scan(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let errors = trace.errors();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].contains("NOPE-9"));
    assert!(errors[1].contains("uncited"));
    assert_eq!(trace.tested_by["A-1"].iter().next().unwrap().name, "cited");
    assert!(trace.implemented_at.contains_key("A-1"));
    assert_eq!(
        trace
            .untested()
            .iter()
            .map(|r| r.id.as_str())
            .collect::<Vec<_>>(),
        ["A-2"]
    );
}

/// Fixtures write ids as `{A-1}` so that this file does not itself cite undefined ids.
fn brackets(text: &str) -> String {
    text.replace("{A", "[A")
        .replace("{B", "[B")
        .replace("{N", "[N")
        .replace("1}", "1]")
        .replace("2}", "2]")
        .replace("9}", "9]")
}
