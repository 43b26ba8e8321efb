//! Notes, stars and labels are the user's: they survive a rebuild of the cache, a store
//! moved to another folder, and a store root that discovery regrouped, and filters select
//! on them.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{TestIndex, copy_tree, fixture};
use runlens_index::{Index, RunRecord, RunsQuery};

fn all(index: &Index) -> Vec<RunRecord> {
    index.runs(&RunsQuery { include_deleted: true, ..Default::default() }).unwrap()
}

fn names(index: &Index, filter: &str) -> Vec<String> {
    let mut n: Vec<String> =
        index.runs(&RunsQuery { filter: Some(filter.into()), ..Default::default() }).unwrap().into_iter().map(|r| r.name).collect();
    n.sort();
    n
}

/// `(run name, starred, note, labels)`.
type Annotated = (String, bool, String, Vec<String>);

/// `source → annotations` of every annotated run.
fn annotated(index: &Index) -> BTreeMap<String, Vec<Annotated>> {
    let mut out: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for r in all(index) {
        if r.starred || !r.note.is_empty() || !r.labels.is_empty() {
            out.entry(r.source.clone()).or_default().push((r.name, r.starred, r.note, r.labels));
        }
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}

/// Stars, notes and labels the first run (by name) of each source.
fn annotate_one_run_per_source(index: &Index) {
    let mut seen = std::collections::HashSet::new();
    let mut runs = all(index);
    runs.sort_by(|a, b| a.name.cmp(&b.name));
    for r in runs {
        if seen.insert(r.source.clone()) {
            index.set_starred(&r.id, true).unwrap();
            index.set_note(&r.id, &format!("look at {} again", r.name)).unwrap();
            index.add_label(&r.id, "keep").unwrap();
            index.add_label(&r.id, &format!("from-{}", r.source)).unwrap();
        }
    }
}

const KINDS: &[&str] =
    &["mlflow-file", "mlflow-sqlite", "tensorboard", "wandb", "neptune", "sacred", "dvclive", "hf-trainer", "csv-logger", "trackio"];

#[test]
fn annotations_follow_stores_moved_to_another_folder() {
    let mut t = TestIndex::new();
    let first = t.dir.path().join("first");
    for kind in KINDS {
        copy_tree(&fixture(kind), &first.join(kind));
    }
    t.add(&first);
    annotate_one_run_per_source(&t.index);
    let before = annotated(&t.index);
    assert_eq!(before.len(), 9, "one annotated run per source: {before:?}");

    // The folder is moved (or mounted somewhere else) and added again.
    let moved = t.dir.path().join("elsewhere/moved");
    std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
    std::fs::rename(&first, &moved).unwrap();
    t.add(&moved);
    let at_new_place: Vec<RunRecord> = all(&t.index).into_iter().filter(|r| r.store.starts_with(moved.to_str().unwrap())).collect();
    let mut found: BTreeMap<String, Vec<Annotated>> = BTreeMap::new();
    for r in at_new_place {
        if r.starred || !r.note.is_empty() || !r.labels.is_empty() {
            found.entry(r.source.clone()).or_default().push((r.name, r.starred, r.note, r.labels));
        }
    }
    assert_eq!(found, before, "every annotation is found on the moved runs");
}

#[test]
fn annotations_survive_a_rebuild_of_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("index.sqlite");
    let before = {
        let mut index = Index::open(&db).unwrap();
        index.add(&[fixture("mlflow-file"), fixture("sacred"), fixture("tensorboard")], &mut |_| {}).unwrap();
        annotate_one_run_per_source(&index);
        annotated(&index)
    };
    // A new release with another cache layout: the cache is dropped and rebuilt.
    rusqlite::Connection::open(&db).unwrap().execute("UPDATE meta SET value = value - 1 WHERE key = 'cache_version'", []).unwrap();
    let mut index = Index::open(&db).unwrap();
    assert!(all(&index).is_empty(), "the cache was rebuilt empty");
    index.scan(&mut |_| {}).unwrap();
    assert_eq!(annotated(&index), before);
}

#[test]
fn a_lone_run_keeps_its_annotations_when_discovery_regroups_its_store() {
    let mut t = TestIndex::new();
    let logs = t.dir.path().join("logs");
    copy_tree(&fixture("tensorboard"), &logs);
    // First only one run folder is added: its store is rooted there.
    t.add(&logs.join("long-run"));
    let run = all(&t.index).into_iter().next().unwrap();
    let old_root = run.store.clone();
    t.index.set_starred(&run.id, true).unwrap();
    t.index.add_label(&run.id, "long").unwrap();
    // Then the whole folder: discovery regroups the runs into one store at `logs`.
    t.add(&logs);
    let stores = t.index.stores().unwrap();
    assert!(stores.iter().any(|s| Path::new(&s.root) == logs), "{stores:?}");
    assert!(!stores.iter().any(|s| s.root == old_root && s.root != logs.to_str().unwrap()), "the old root was replaced: {stores:?}");
    let long: Vec<RunRecord> = all(&t.index).into_iter().filter(|r| r.labels == ["long"]).collect();
    assert_eq!(long.len(), 1);
    assert!(long[0].starred && long[0].name.ends_with("long-run"), "{:?}", long[0].name);
}

#[test]
fn labels_stars_and_notes_are_filterable() {
    let mut t = TestIndex::new();
    t.add(&fixture("mlflow-file"));
    let runs = all(&t.index);
    let id = |name: &str| runs.iter().find(|r| r.name == name).unwrap().id.clone();
    for name in ["lr=0.1", "lr=0.01"] {
        t.index.add_label(&id(name), "sweep").unwrap();
    }
    t.index.add_label(&id("lr=0.01"), " best ").unwrap();
    t.index.set_starred(&id("resnet18-baseline"), true).unwrap();
    t.index.set_note(&id("diverged-run"), "loss exploded at step 40").unwrap();
    assert_eq!(names(&t.index, "label = 'sweep'"), ["lr=0.01", "lr=0.1"]);
    assert_eq!(names(&t.index, "label = 'best'"), ["lr=0.01"], "labels are trimmed");
    assert_eq!(names(&t.index, "label in ('best', 'nothing')"), ["lr=0.01"]);
    assert_eq!(names(&t.index, "label = 'sweep' and label != 'best'"), ["lr=0.1"]);
    assert_eq!(names(&t.index, "label like 'sw%' and starred = false"), ["lr=0.01", "lr=0.1"]);
    assert_eq!(names(&t.index, "starred = true"), ["resnet18-baseline"]);
    assert_eq!(names(&t.index, "note ~ 'explod'"), ["diverged-run"]);
    let unlabelled = names(&t.index, "label is null");
    assert_eq!(unlabelled.len(), all(&t.index).iter().filter(|r| !r.deleted).count() - 2);
    assert!(t.index.runs(&RunsQuery { filter: Some("label = 3".into()), ..Default::default() }).is_err(), "a number is never a label");
    assert!(t.index.add_label(&id("lr=0.1"), "  ").is_err());
    t.index.remove_label(&id("lr=0.1"), "sweep").unwrap();
    assert_eq!(names(&t.index, "label = 'sweep'"), ["lr=0.01"]);
    assert_eq!(t.index.labels().unwrap(), [("best".to_string(), 1), ("sweep".to_string(), 1)]);
}

#[test]
fn no_two_fixture_runs_share_their_annotations() {
    let mut t = TestIndex::new();
    let root = t.dir.path().join("all");
    for kind in KINDS {
        copy_tree(&fixture(kind), &root.join(kind));
    }
    t.add(&root);
    let runs = all(&t.index);
    for r in &runs {
        t.index.add_label(&r.id, &r.id).unwrap();
    }
    for r in all(&t.index) {
        assert_eq!(r.labels, std::slice::from_ref(&r.id), "{} ({}) shares its identity with another run", r.name, r.source);
    }
    assert!(runs.len() > 50);
}
