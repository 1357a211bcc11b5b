//! The command line's conventions: `--version`, shell completions and the manual page, all
//! generated from the one definition of its arguments.

use std::process::Command;

fn conformance(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_conformance"))
        .args(args)
        .output()
        .expect("conformance runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

// checks: tooling
#[test]
fn version_completions_and_manual_page() {
    assert_eq!(
        conformance(&["--version"]).trim(),
        format!("conformance {}", env!("CARGO_PKG_VERSION"))
    );
    let bash = conformance(&["completions", "bash"]);
    assert!(bash.contains("_conformance()"), "{bash}");
    for word in ["run", "fuzz", "--exec", "--expect", "--seed"] {
        assert!(bash.contains(word), "bash completion lacks {word}");
    }
    let zsh = conformance(&["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef conformance"), "{zsh}");
    let man = conformance(&["man"]);
    assert!(man.contains(".TH conformance 1"), "{man}");
    for section in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH SUBCOMMANDS",
        "conformance\\-run(1)",
    ] {
        assert!(
            man.contains(section),
            "the manual page lacks {section}:\n{man}"
        );
    }
}
