//! Every frame vector file, run against the reference codec: one test per file, naming each
//! failing vector.

mod common;

use muxado_vectors::model::VectorFile;
use muxado_vectors::{frames_dir, run};

fn run_file(name: &str) {
    let file = VectorFile::load(&frames_dir().join(name)).expect("vector file loads");
    let failures: Vec<String> = file
        .vectors
        .iter()
        .filter_map(|v| run::check(v).err().map(|p| format!("{}:{p}", v.id)))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} vectors in {name} fail:\n{}",
        failures.len(),
        file.vectors.len(),
        failures.join("\n")
    );
}

// The requirement ids each file's vectors check are listed in the vectors themselves; these
// name the section each file covers.
vector_files! {
    frames_dir(), run_file;
    rst_vectors => "rst.json", checks: "[RST-1] [RST-2] [RST-3]";
    data_vectors => "data.json", checks: "[DATA-1] [DATA-2] [DATA-3] [CONV-2] [CONV-3]";
    wndinc_vectors => "wndinc.json", checks: "[WNDINC-1] [WNDINC-2] [WNDINC-3] [WNDINC-4]";
    goaway_vectors => "goaway.json", checks: "[GOAWAY-1] [GOAWAY-2] [GOAWAY-3] [GOAWAY-4]";
    unknown_vectors => "unknown.json", checks: "[FRAME-11]";
    header_vectors => "header.json", checks: "[FRAME-6]";
    stream_vectors => "streams.json", checks: "[FRAME-1] [FRAME-8]";
}
