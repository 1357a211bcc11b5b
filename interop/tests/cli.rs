//! The command line's conventions: `--version`, shell completions and the manual page, all
//! generated from the one definition of its arguments.

use std::process::Command;

fn interop(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_muxado-interop"))
        .args(args)
        .output()
        .expect("muxado-interop runs");
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
        interop(&["--version"]).trim(),
        format!("muxado-interop {}", env!("CARGO_PKG_VERSION"))
    );
    let bash = interop(&["completions", "bash"]);
    assert!(bash.contains("complete -F _muxado__interop"), "{bash}");
    for word in [
        "matrix",
        "record",
        "replay",
        "decode",
        "--peer-cmd",
        "--pairs",
    ] {
        assert!(bash.contains(word), "bash completion lacks {word}");
    }
    let fish = interop(&["completions", "fish"]);
    assert!(fish.contains("complete -c muxado-interop"), "{fish}");
    let man = interop(&["man"]);
    assert!(man.contains(".TH muxado-interop 1"), "{man}");
    for section in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH SUBCOMMANDS",
        "muxado\\-interop\\-matrix(1)",
    ] {
        assert!(
            man.contains(section),
            "the manual page lacks {section}:\n{man}"
        );
    }
}
