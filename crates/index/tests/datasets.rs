//! The datasets each MLflow run consumed, as MLflow itself reports them
//! (`tests/peers/mlflow_inputs.py`, the pinned MLflow of `scripts/peers.sh`), for both
//! MLflow fixtures (copied: MLflow's client may write beside a store it opens); and runs
//! found by them, by a dataset's name and digest.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use common::{TestIndex, copy_tree, fixture, peers_python};
use runlens_index::RunsQuery;
use serde_json::{Value, json};

#[test]
fn every_run_consumed_the_datasets_mlflow_says() {
    let mut t = TestIndex::new();
    let base = t.dir.path().canonicalize().unwrap();
    let file = base.join("file/mlruns");
    copy_tree(&fixture("mlflow-file/mlruns"), &file);
    let sqlite = base.join("sqlite");
    copy_tree(&fixture("mlflow-sqlite"), &sqlite);
    let uris = [format!("file:{}", file.display()), format!("sqlite:///{}", sqlite.join("mlflow.db").display())];
    let out = Command::new(peers_python()).arg(common::fixture("../peers/mlflow_inputs.py")).args(&uris).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let theirs: Value = serde_json::from_slice(&out.stdout).unwrap();
    t.add(&file);
    t.add(&sqlite.join("mlflow.db"));

    let runs = t.index.runs(&RunsQuery { include_deleted: true, ..Default::default() }).unwrap();
    let mut compared = 0;
    let mut with_datasets = 0;
    for uri in &uris {
        let by_run = theirs[uri].as_object().unwrap();
        assert!(!by_run.is_empty(), "{uri}");
        for (native, inputs) in by_run {
            let run = runs.iter().find(|r| &r.native_id == native).unwrap_or_else(|| panic!("{native} of {uri} is indexed"));
            let mine: Vec<Value> = t
                .index
                .datasets(&run.id)
                .unwrap()
                .into_iter()
                .map(|d| json!({"name": d.name, "digest": d.digest, "context": d.context, "source_type": d.source_type, "source": d.source}))
                .collect();
            let mut want: Vec<Value> = inputs.as_array().unwrap().clone();
            let key = |v: &Value| (v["name"].to_string(), v["digest"].to_string(), v["context"].to_string());
            want.sort_by_key(key);
            assert_eq!(mine, want, "{native} of {uri}");
            compared += 1;
            with_datasets += usize::from(!want.is_empty());
        }
    }
    assert!(with_datasets >= 2 && compared > with_datasets, "{with_datasets} of {compared} runs consumed a dataset");

    // Found by them: every run that consumed a dataset of that name and digest.
    let mut by_dataset: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for r in &runs {
        for d in t.index.datasets(&r.id).unwrap() {
            by_dataset.entry((d.name, d.digest)).or_default().push(r.name.clone());
        }
    }
    for ((name, digest), mut want) in by_dataset {
        let q = RunsQuery {
            filter: Some(format!("datasets.name = '{name}' and datasets.digest = '{digest}'")),
            include_deleted: true,
            ..Default::default()
        };
        let mut got: Vec<String> = t.index.runs(&q).unwrap().into_iter().map(|r| r.name).collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{name} {digest}");
    }
}
