//! Helpers shared by the index's integration tests: fixture paths, copies, an index in a
//! temporary folder, the ground truth in `tests/fixtures/expected.json`, and the peer tools'
//! Python (`scripts/peers.sh`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use runlens_index::{Index, ScanReport};

/// `tests/fixtures/<name>` at the repository root.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(name)
}

/// The peer Python: `$RUNLENS_PEERS_PYTHON`, else what `scripts/peers.sh` prints (it
/// makes the venv once). Never skipped: without the peer tools the tests that ask them
/// cannot say anything.
pub fn peers_python() -> PathBuf {
    if let Some(p) = std::env::var_os("RUNLENS_PEERS_PYTHON").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/peers.sh");
    let out = std::process::Command::new("bash")
        .arg(&script)
        .stderr(std::process::Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}; set RUNLENS_PEERS_PYTHON to the Python of scripts/peers.sh", script.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let python = stdout.lines().last().unwrap_or("").trim();
    assert!(
        out.status.success() && !python.is_empty(),
        "{} failed ({}); set RUNLENS_PEERS_PYTHON to the Python of scripts/peers.sh",
        script.display(),
        out.status
    );
    PathBuf::from(python)
}

/// `expected.json`'s `kinds.<kind>`.
pub fn expected(kind: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(fixture("expected.json")).expect("expected.json");
    let all: serde_json::Value = serde_json::from_str(&text).expect("valid expected.json");
    all["kinds"][kind].clone()
}

/// Copies a folder tree (files and folders only).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
            let mut perms = std::fs::metadata(&target).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&target, perms).unwrap();
        }
    }
}

/// A fresh index in its own temporary folder.
pub struct TestIndex {
    pub dir: tempfile::TempDir,
    pub index: Index,
}

impl TestIndex {
    pub fn new() -> TestIndex {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::open(&dir.path().join("index.sqlite")).unwrap();
        TestIndex { dir, index }
    }

    pub fn add(&mut self, path: &Path) -> ScanReport {
        self.index.add(&[path.to_path_buf()], &mut |_| {}).unwrap()
    }

    pub fn scan(&mut self) -> ScanReport {
        self.index.scan(&mut |_| {}).unwrap()
    }

    /// A copy of fixture `name` in this index's temporary folder, for tests that change it.
    pub fn copy_of(&self, name: &str) -> PathBuf {
        let to = self.dir.path().join("stores").join(name);
        copy_tree(&fixture(name), &to);
        to
    }
}

/// Total points added by a report.
pub fn points_added(report: &ScanReport) -> u64 {
    report.stores.iter().map(|s| s.stats.points_added).sum()
}

/// A number from expected.json, where non-finite values may be written as strings.
pub fn expected_f64(v: &serde_json::Value) -> Option<f64> {
    v.as_f64().or_else(|| match v.as_str()? {
        "NaN" | "nan" => Some(f64::NAN),
        "Infinity" | "inf" => Some(f64::INFINITY),
        "-Infinity" | "-inf" => Some(f64::NEG_INFINITY),
        _ => None,
    })
}

/// Compares one metric's summary with its expected.json entry (`points`, `first_step`
/// when given, `last_step`, and `first`/`last`/`min`/`max` exactly, NaN equal to NaN).
pub fn check_summary(what: &str, key: &str, got: &runlens_index::MetricSummary, expected: &serde_json::Value) {
    assert_eq!(Some(got.count), expected["points"].as_u64(), "{what}: {key} points");
    if let Some(first_step) = expected.get("first_step").and_then(|v| v.as_i64()) {
        assert_eq!(got.first_step, first_step, "{what}: {key} first_step");
    }
    assert_eq!(Some(got.last_step), expected["last_step"].as_i64(), "{what}: {key} last_step");
    for (field, value) in [("first", got.first), ("last", got.last), ("min", got.min), ("max", got.max)] {
        let want = expected_f64(&expected[field]);
        let same = want.is_some_and(|w| w == value || (w.is_nan() && value.is_nan()));
        assert!(same, "{what}: {key} {field}: {value} vs {}", expected[field]);
    }
}
