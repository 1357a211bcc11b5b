//! The committed transcripts (`vectors/transcripts/`) against the typed transcript format.

use std::path::Path;

use muxado_interop::replay::Recording;
use muxado_interop::transcript::TranscriptFile;

/// Every committed transcript reads as a `TranscriptFile`, and written again is byte for byte
/// the committed file: the serde type describes the format the recorder always wrote.
///
/// checks: tooling
#[test]
fn every_committed_transcript_reads_and_writes_back_unchanged() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/transcripts");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let file = TranscriptFile::from_json_str(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(file.to_json_string(), text, "{}", path.display());
        let recording = Recording::load(&path).unwrap();
        assert_eq!(recording.entries.len(), file.frames.len());
        count += 1;
    }
    assert!(count >= 15, "only {count} transcripts in {}", dir.display());
}
