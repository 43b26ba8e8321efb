//! Content hashes of runs' files: the same bytes in other runs are found, filters select
//! runs by a file's hash (whole or its start), and a kept hash is redone once the file
//! changes.

mod common;

use std::collections::BTreeSet;

use common::{TestIndex, fixture};
use runlens_index::{Index, RunsQuery};

fn names(index: &Index, filter: &str) -> BTreeSet<String> {
    let q = RunsQuery { filter: Some(filter.into()), include_deleted: true, ..Default::default() };
    index.runs(&q).unwrap().into_iter().map(|r| r.name).collect()
}

/// Every listed file of every run with its bytes' BLAKE3, read from disk here.
fn on_disk(index: &Index) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    for r in index.runs(&RunsQuery { include_deleted: true, ..Default::default() }).unwrap() {
        let Some(dir) = r.artifact_dir.clone() else { continue };
        for a in index.artifacts(&r.id).unwrap().into_iter().filter(|a| a.origin.is_none()) {
            let bytes = std::fs::read(std::path::Path::new(&dir).join(&a.path)).unwrap();
            out.push((r.id.clone(), r.name.clone(), a.path, blake3::hash(&bytes).to_hex().to_string()));
        }
    }
    out
}

#[test]
fn the_same_bytes_are_found_in_other_runs_and_by_filters() {
    let mut t = TestIndex::new();
    t.add(&fixture("mlflow-file"));
    t.add(&fixture("wandb"));
    let files = on_disk(&t.index);
    // A file several runs hold the same bytes of.
    let (run, _, path, hash) = files
        .iter()
        .find(|(id, _, _, h)| files.iter().filter(|f| &f.3 == h && &f.0 != id).count() >= 2)
        .expect("the fixtures share a file between runs")
        .clone();
    assert_eq!(t.index.file_hash(&run, &path).unwrap(), hash);
    let same: BTreeSet<(String, String)> = t.index.same_files(&run, &path).unwrap().into_iter().map(|s| (s.run_id, s.path)).collect();
    let want: BTreeSet<(String, String)> =
        files.iter().filter(|f| f.3 == hash && !(f.0 == run && f.2 == path)).map(|f| (f.0.clone(), f.2.clone())).collect();
    assert_eq!(same, want);

    let holders: BTreeSet<String> = files.iter().filter(|f| f.3 == hash).map(|f| f.1.clone()).collect();
    assert_eq!(names(&t.index, &format!("artifacts.hash = '{hash}'")), holders);
    assert_eq!(names(&t.index, &format!("artifacts.hash = '{}'", &hash[..12])), holders, "a hash's start");
    let everyone = names(&t.index, "");
    let others: BTreeSet<String> = everyone.difference(&holders).cloned().collect();
    assert_eq!(names(&t.index, &format!("artifacts.hash != '{hash}'")), others);
    assert!(names(&t.index, "artifacts.hash = '0000000000000000'").is_empty());
}

#[test]
fn a_kept_hash_is_redone_when_the_file_changes() {
    let mut t = TestIndex::new();
    let store = t.copy_of("sacred");
    t.add(&store);
    let run = t.index.runs(&RunsQuery::default()).unwrap().into_iter().find(|r| r.name == "mnist_cnn #1").unwrap();
    let file = std::path::Path::new(run.artifact_dir.as_deref().unwrap()).join("train.log");
    let before = t.index.file_hash(&run.id, "train.log").unwrap();
    assert_eq!(before, blake3::hash(&std::fs::read(&file).unwrap()).to_hex().to_string());
    // Same size, other bytes, a later mtime: the kept hash no longer holds.
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[0] ^= 1;
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&file, &bytes).unwrap();
    let after = t.index.file_hash(&run.id, "train.log").unwrap();
    assert_eq!(after, blake3::hash(&bytes).to_hex().to_string());
    assert_ne!(before, after);
}
