//! Replays every input kept in `fuzz/corpus/<target>/` through its parser, so inputs the
//! fuzzer once found interesting (crashes included, once fixed) stay covered in every
//! test run, without the fuzzer.

use std::path::Path;

#[test]
fn every_kept_fuzz_input_parses_without_panicking() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let mut replayed = 0;
    for (name, target) in runlens_sources::fuzzing::TARGETS {
        let dir = corpus.join(name);
        let entries: Vec<_> = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten().collect();
        assert!(!entries.is_empty(), "no corpus for {name}");
        for entry in entries {
            let data = std::fs::read(entry.path()).unwrap();
            target(&data);
            replayed += 1;
        }
    }
    assert!(replayed >= runlens_sources::fuzzing::TARGETS.len());
}
