//! The repository's traceability, checked on every test run, and the checker's own behaviour
//! on small inputs.

use std::path::Path;

use muxado_spec_trace::{Subject, parse_spec, report, scan};

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

/// An interop note about Go needs a Go test or a frame vector's `go` note; one about ngrok's
/// crate needs a test in `interop/ngrok-peer/tests/`; a conformance case a note names must be
/// in an expectation file of that implementation. Citations elsewhere (a Rust test outside the
/// crate's tests, a vector's `requirements`) do not count.
/// checks: tooling
#[test]
fn interop_notes_need_their_backing() {
    let dir = std::env::temp_dir().join(format!("spec-trace-notes-{}", std::process::id()));
    let write = |path: &str, text: &str| {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text.replace('<', "[").replace('>', "]")).unwrap();
    };
    write(
        "SPEC.md",
        "## 12. Interop notes\n\n\
         ### INTEROP-1: a Go test\n\n<INTEROP-1> Go does x (`session-listed`).\n\n\
         ### INTEROP-2: a frame vector\n\n<INTEROP-2> Go parses y.\n\n\
         ### INTEROP-3: ngrok's Rust crate backed\n\n<INTEROP-3> The crate does z.\n\n\
         ### INTEROP-4: nothing that counts\n\n<INTEROP-4> Go does w.\n\n- a list item \
         (`session-unlisted`, `session-crate-only`).\n\n\
         ### INTEROP-5: ngrok's Rust crate unbacked\n\n<INTEROP-5> The crate does v \
         (`session-listed`).\n\n## 13. Index\n\n`session-after-the-notes`\n",
    );
    write(
        "interop/go/notes/a_test.go",
        "package notes\n\n// checks: <INTEROP-1>\nfunc TestA(t *testing.T) {\n}\n",
    );
    write(
        "vectors/frames/v.json",
        r#"{"vectors": [{"id": "v", "requirements": ["INTEROP-4"], "go": [{"note": "INTEROP-2"}]}]}"#,
    );
    write(
        "interop/ngrok-peer/tests/t.rs",
        "/// checks: <INTEROP-3>\n#[test]\nfn crate_test() {\n}\n",
    );
    write(
        "src/lib.rs",
        "/// checks: <INTEROP-4> <INTEROP-5>\n#[test]\nfn elsewhere() {\n}\n",
    );
    write(
        "conformance/expect/go-x.txt",
        "# comment session-unlisted\nsession-listed   # why\n",
    );
    write("conformance/expect/ngrok-rust.txt", "session-crate-only\n");
    let trace = scan(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    let subjects: Vec<_> = trace
        .notes
        .iter()
        .map(|n| (n.id.as_str(), n.subject))
        .collect();
    assert_eq!(
        subjects,
        [
            ("INTEROP-1", Subject::Go),
            ("INTEROP-2", Subject::Go),
            ("INTEROP-3", Subject::NgrokCrate),
            ("INTEROP-4", Subject::Go),
            ("INTEROP-5", Subject::NgrokCrate),
        ]
    );
    assert_eq!(
        trace.notes[3].cases,
        ["session-unlisted", "session-crate-only"]
    );
    let errors = trace.errors();
    assert_eq!(errors.len(), 5, "{errors:#?}");
    assert!(errors[0].contains("INTEROP-4") && errors[0].contains("about Go"));
    assert!(errors[1].contains("INTEROP-4") && errors[1].contains("`session-unlisted`"));
    assert!(errors[2].contains("INTEROP-4") && errors[2].contains("`session-crate-only`"));
    assert!(errors[3].contains("INTEROP-5") && errors[3].contains("ngrok-peer/tests"));
    assert!(errors[4].contains("INTEROP-5") && errors[4].contains("ngrok-*.txt"));
}
