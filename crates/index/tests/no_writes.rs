//! Runlens never writes inside a store: every fixture tree hashes the same before and
//! after being indexed and rescanned (names, sizes, contents, permissions, mtimes).

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use common::{TestIndex, fixture};

fn fingerprint(dir: &Path, out: &mut BTreeMap<String, (u64, u32, i64, u64)>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let meta = std::fs::symlink_metadata(e.path()).unwrap();
        let key = e.path().to_string_lossy().into_owned();
        if meta.is_dir() {
            out.insert(key, (0, meta.mode(), meta.mtime(), 0));
            fingerprint(&e.path(), out);
        } else {
            let bytes = std::fs::read(e.path()).unwrap_or_default();
            let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3));
            out.insert(key, (meta.len(), meta.mode(), meta.mtime(), hash));
        }
    }
}

#[test]
fn indexing_the_fixtures_writes_nothing_into_them() {
    let root = fixture("");
    let mut before = BTreeMap::new();
    fingerprint(&root, &mut before);
    let mut t = TestIndex::new();
    let report = t.add(&root);
    assert!(report.stores.len() >= 2, "the MLflow stores are found below the fixtures folder");
    t.scan();
    let mut after = BTreeMap::new();
    fingerprint(&root, &mut after);
    assert_eq!(before.len(), after.len(), "no file was created or removed");
    assert!(before == after, "a fixture file changed");
}
