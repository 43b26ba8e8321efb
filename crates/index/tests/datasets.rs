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

fn names_and_digests(t: &TestIndex, run: &str) -> Vec<(String, String, Option<String>)> {
    t.index.datasets(run).unwrap().into_iter().map(|d| (d.name, d.digest, d.context)).collect()
}

fn found(t: &TestIndex, filter: &str) -> Vec<String> {
    let mut names: Vec<String> =
        t.index.runs(&RunsQuery { filter: Some(filter.to_string()), ..Default::default() }).unwrap().into_iter().map(|r| r.name).collect();
    names.sort();
    names
}

/// W&B offline runs record the artifacts they log (not those they use: wandb refuses
/// `use_artifact` offline); each is a dataset with the digest wandb reports.
#[test]
fn wandb_logged_artifacts_are_datasets_with_the_digests_wandb_reports() {
    let mut t = TestIndex::new();
    let want: Value = serde_json::from_str(&std::fs::read_to_string(fixture("wandb-artifacts/expected.json")).unwrap()).unwrap();
    t.add(&fixture("wandb-artifacts/wandb"));
    let runs = t.index.runs(&RunsQuery::default()).unwrap();
    assert_eq!(runs.len(), 2);
    for run in &runs {
        let by_name = want[&run.name].as_object().unwrap_or_else(|| panic!("{} in expected.json", run.name));
        let mut expected: Vec<(String, String, Option<String>)> =
            by_name.iter().map(|(n, d)| (n.clone(), d.as_str().unwrap().to_string(), Some("logged".to_string()))).collect();
        expected.sort();
        assert_eq!(names_and_digests(&t, &run.id), expected, "{}", run.name);
        let data = t.index.datasets(&run.id).unwrap().into_iter().find(|d| d.name == "mnist-tiny").unwrap();
        let source: Value = serde_json::from_str(data.source.as_deref().unwrap()).unwrap();
        assert_eq!(data.source_type.as_deref(), Some("wandb-artifact"));
        assert_eq!(source["type"], "dataset");
        assert_eq!((source["files"].as_u64(), source["bytes"].as_u64()), (Some(2), Some(62)));
        assert_eq!(source["references"], json!(["file:///tmp/mnist-raw/images.bin"]));
    }
    let data = want["small-model"]["mnist-tiny"].as_str().unwrap();
    assert_eq!(found(&t, &format!("datasets.digest = '{data}'")), ["big-model", "small-model"]);
    let model = want["small-model"]["model"].as_str().unwrap();
    assert_eq!(found(&t, &format!("datasets.name = 'model' and datasets.digest = '{model}'")), ["small-model"]);
}

/// A DVCLive run inside a DVC project has the project's tracked outputs as datasets, with
/// the md5 DVC itself reads (`tests/fixtures/dvc-project/expected.json`, from DVC's own
/// index); a changed `dvc.lock` or a removed `.dvc` file is seen by the next scan.
#[test]
fn dvc_projects_give_their_tracked_outputs_with_the_md5_dvc_reads() {
    let mut t = TestIndex::new();
    let root = t.dir.path().join("projects");
    copy_tree(&fixture("dvc-project"), &root);
    let want: Value = serde_json::from_str(&std::fs::read_to_string(root.join("expected.json")).unwrap()).unwrap();
    t.add(&root);
    let runs = t.index.runs(&RunsQuery::default()).unwrap();
    assert_eq!(runs.len(), 2, "{:?}", runs.iter().map(|r| &r.name).collect::<Vec<_>>());
    let run_of = |project: &str| runs.iter().find(|r| r.name == format!("{project}/dvclive")).unwrap().id.clone();
    for (project, outs) in want.as_object().unwrap() {
        let mut expected: Vec<(String, String, Option<String>)> = outs
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                let context = o["stage"].as_str().map_or("dvc add".to_string(), |s| format!("stage {s}"));
                (o["path"].as_str().unwrap().to_string(), o["md5"].as_str().unwrap().to_string(), Some(context))
            })
            .collect();
        expected.sort();
        assert_eq!(names_and_digests(&t, &run_of(project)), expected, "{project}");
    }
    let raw = |p: &str| want[p].as_array().unwrap().iter().find(|o| o["path"] == "data/raw.csv").unwrap()["md5"].as_str().unwrap().to_string();
    assert_ne!(raw("baseline"), raw("more-data"));
    assert_eq!(found(&t, &format!("datasets.name = 'data/raw.csv' and datasets.digest = '{}'", raw("baseline"))), ["baseline/dvclive"]);
    assert_eq!(found(&t, "datasets.name = 'model.bin'"), ["baseline/dvclive", "more-data/dvclive"]);

    // A new lock and a removed `.dvc` file: the next scan has the project's new outputs.
    let lock = root.join("baseline/dvc.lock");
    let text = std::fs::read_to_string(&lock).unwrap().replace("214add07fe086a1fc38983a350506922", "0123456789abcdef0123456789abcdef");
    std::fs::write(&lock, text).unwrap();
    std::fs::remove_file(root.join("baseline/data/raw.csv.dvc")).unwrap();
    t.scan();
    let now = names_and_digests(&t, &run_of("baseline"));
    assert!(now.iter().any(|(n, d, _)| n == "model.bin" && d == "0123456789abcdef0123456789abcdef"), "{now:?}");
    assert!(!now.iter().any(|(n, _, _)| n == "data/raw.csv"), "{now:?}");
    assert_eq!(names_and_digests(&t, &run_of("more-data")).len(), 3);
}
