//! Where the disk went, against the fixtures' real files: no store is said to hold more
//! than its folder does, every run's listed files are counted once, and the largest runs
//! and files come largest first.

mod common;

use std::path::Path;

use common::{TestIndex, fixture};
use runlens_index::RunsQuery;

/// The bytes of every regular file below `dir`.
fn on_disk(dir: &Path) -> u64 {
    let mut total = 0;
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let t = e.file_type().unwrap();
        if t.is_dir() {
            total += on_disk(&e.path());
        } else if t.is_file() {
            total += e.metadata().unwrap().len();
        }
    }
    total
}

#[test]
fn each_store_holds_what_its_runs_list_and_no_more_than_its_folder() {
    let mut t = TestIndex::new();
    for kind in ["mlflow-file", "mlflow-sqlite", "wandb", "tensorboard", "sacred"] {
        t.add(&fixture(kind));
    }
    let storage = t.index.storage(5).unwrap();
    let runs = t.index.runs(&RunsQuery { include_deleted: true, ..Default::default() }).unwrap();
    assert_eq!(storage.stores.len(), 6, "sacred has two stores");
    for s in &storage.stores {
        let root = Path::new(&s.root);
        let folder = if root.is_file() { root.parent().unwrap() } else { root };
        let of_store: Vec<_> = runs.iter().filter(|r| r.store_id == s.store_id).collect();
        // The store's runs' own files, as each lists them (no two runs share a file here).
        let listed: u64 = of_store.iter().map(|r| r.artifact_bytes).sum();
        assert_eq!(s.artifacts.bytes, listed, "{}", s.root);
        assert_eq!(s.runs as usize, of_store.len());
        assert!(s.total.bytes >= listed && s.total.bytes <= on_disk(folder), "{}: {} of {}", s.root, s.total.bytes, on_disk(folder));
        let by_experiment: u64 = s.experiments.iter().map(|e| e.1.bytes).sum();
        assert!(by_experiment >= listed && by_experiment <= s.total.bytes, "{}", s.root);
        assert!(s.experiments.windows(2).all(|w| w[0].1.bytes >= w[1].1.bytes));
    }
    // The event files are most of the TensorBoard store, and the run that wrote most is first.
    let tb = storage.stores.iter().find(|s| s.source == "tensorboard").unwrap();
    assert!(tb.total.bytes as f64 > 0.9 * on_disk(Path::new(&tb.root)) as f64, "{tb:?}");
    assert_eq!(storage.runs.len(), 5);
    assert!(storage.runs.windows(2).all(|w| w[0].usage.bytes >= w[1].usage.bytes));
    assert_eq!(storage.runs[0].name, "long-run", "{:?}", storage.runs[0]);
    // The largest files are the largest any run lists, largest first.
    let mut sizes: Vec<u64> =
        runs.iter().flat_map(|r| t.index.artifacts(&r.id).unwrap().into_iter().filter(|a| a.origin.is_none()).map(|a| a.size)).collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(storage.files.iter().map(|f| f.size).collect::<Vec<_>>(), sizes[..5]);
}

#[test]
fn a_file_two_runs_list_is_counted_once() {
    let mut t = TestIndex::new();
    let store = t.copy_of("mlflow-file");
    // A second run whose artifact folder is the first one's (as a run resumed into
    // another's folder records it).
    let experiment = store.join("mlruns/171616798534474200");
    let uri = format!("artifact_uri: file://{}", experiment.join("4b6a27fca6a84e3d93decb025d038692/artifacts").display());
    let other = experiment.join("7846c3f43efc44c9aa4550f7f1c0bf15/meta.yaml");
    let text = std::fs::read_to_string(&other).unwrap();
    let text: String = text.lines().map(|l| if l.starts_with("artifact_uri:") { uri.as_str() } else { l }).map(|l| format!("{l}\n")).collect();
    std::fs::write(&other, text).unwrap();
    std::fs::remove_dir_all(experiment.join("7846c3f43efc44c9aa4550f7f1c0bf15/artifacts")).unwrap();
    t.add(&store);
    let runs = t.index.runs(&RunsQuery { include_deleted: true, ..Default::default() }).unwrap();
    let by_id = |id: &str| runs.iter().find(|r| r.native_id == id).unwrap();
    let (first, second) = (by_id("4b6a27fca6a84e3d93decb025d038692"), by_id("7846c3f43efc44c9aa4550f7f1c0bf15"));
    assert_eq!((first.artifact_dir.as_deref(), first.artifact_bytes), (second.artifact_dir.as_deref(), second.artifact_bytes), "one folder");
    assert!(first.artifact_bytes > 0);
    let listed: u64 = runs.iter().map(|r| r.artifact_bytes).sum();
    let storage = t.index.storage(100).unwrap();
    assert_eq!(storage.stores[0].artifacts.bytes, listed - first.artifact_bytes, "the shared folder counted once");
    // The runs' shares add up to no more than the store: the shared files are under one
    // run only (whichever the index reached first).
    let shares: u64 = storage.runs.iter().map(|r| r.usage.bytes).sum();
    assert_eq!(storage.runs.len(), runs.len());
    // (Double-counted, the shares would pass the total: its store-level files, the
    // experiments' own, are far smaller than the shared folder.)
    let total = storage.stores[0].total.bytes;
    assert!(shares <= total && shares + first.artifact_bytes > total, "{shares} of {total}");
}

/// Folders attached to runs are counted apart from the stores, each file once however
/// many runs it is attached to, and their files are among the largest.
#[test]
fn attached_folders_are_counted_apart_and_each_file_once() {
    let mut t = TestIndex::new();
    t.add(&fixture("dvclive"));
    let before = t.index.storage(100).unwrap();
    let outputs = t.dir.path().join("outputs");
    std::fs::create_dir_all(outputs.join("ckpt")).unwrap();
    std::fs::write(outputs.join("ckpt/model.pt"), vec![7u8; 3_000_000]).unwrap();
    std::fs::write(outputs.join("log.txt"), b"hello").unwrap();
    let runs = t.index.runs(&RunsQuery::default()).unwrap();
    let (a, b) = (&runs[0], &runs[1]);
    t.index.attach_folder(&a.id, &outputs).unwrap();
    t.index.attach_folder(&b.id, &outputs).unwrap();

    let s = t.index.storage(100).unwrap();
    assert_eq!(s.stores, before.stores, "an attached folder is no store's");
    assert_eq!(s.attached.len(), 2);
    let on_disk = on_disk(&outputs);
    assert_eq!(s.attached.iter().map(|u| u.usage.bytes).sum::<u64>(), on_disk, "each file once");
    assert_eq!((s.attached[0].usage.files, s.attached[1].usage.files), (2, 0), "one attachment has them, largest first");
    let holder = s.attached[0].run_id.clone();
    assert!(holder == a.id || holder == b.id);
    let run = s.runs.iter().find(|r| r.run_id == holder).unwrap();
    assert_eq!((run.attached.bytes, run.attached.files), (on_disk, 2));
    assert_eq!(s.runs[0].run_id, holder, "the run with the checkpoint is now the largest");
    let top = &s.files[0];
    assert_eq!((top.path.as_str(), top.size, top.run_id.as_str()), ("ckpt/model.pt", 3_000_000, holder.as_str()));
    assert_eq!(top.attached.as_deref(), Some(outputs.canonicalize().unwrap().to_str().unwrap()));

    // A folder that is gone counts nothing and says so.
    std::fs::remove_dir_all(&outputs).unwrap();
    let s = t.index.storage(100).unwrap();
    assert!(s.attached.iter().all(|u| !u.present && u.usage.files == 0), "{:?}", s.attached);
    assert!(s.files.iter().all(|f| f.attached.is_none()));
}
