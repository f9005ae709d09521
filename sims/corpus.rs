//! The regression corpus: every scenario under `fixtures/seeds/` once broke something (its `note`
//! says what) and must now run clean in the fixed mode.

use std::path::Path;

use gatesim::services::gateway::Mode;
use gatesim::sim::Scenario;

use crate::support::run_clean;

#[test]
fn regression_corpus_replays_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seeds");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "the corpus is empty");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let scenario: Scenario =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not a scenario: {e}", file.display()));
        assert!(scenario.note.is_some(), "{}: say what this scenario once broke", file.display());
        println!("{}: {}", file.display(), scenario.note.as_deref().unwrap_or_default());
        run_clean(&Scenario { mode: Mode::Fixed, ..scenario });
    }
}
