//! Each run's provenance, and the command that runs it again, are what its store
//! recorded: compared with the tags MLflow reports (`expected.json`), the fixtures' own
//! `run.json`, `requirements.txt`, `python_env.yaml` and `metadata.json` files, and the
//! values of W&B's environment records; and a rescan sees a provenance file change.

mod common;

use std::path::Path;

use common::{TestIndex, expected, fixture};
use runlens_index::provenance::{Missing, reproduce};
use runlens_index::{Provenance, RunRecord, RunsQuery};
use serde_json::Value;

const MLFLOW_COMMIT: &str = "3083e5309fb6b8b533dd45c668504fbd6fd3f396";
const SACRED_COMMIT: &str = "f9525150ab5756bae61cb683e5ab28ac3b82b612";
const REMOTE: &str = "https://github.com/example-org/vision-experiments.git";
const SCRIPT: &str = "/home/researcher/projects/vision-experiments/generate.py";

/// Every run of the index, each as [`runlens_index::Index::run`] returns it (with its provenance).
fn runs(t: &TestIndex) -> Vec<(RunRecord, Provenance)> {
    let listed = t.index.runs(&RunsQuery { include_deleted: true, ..Default::default() }).unwrap();
    assert!(listed.iter().all(|r| r.provenance.is_none()), "lists of runs leave provenance out");
    listed
        .iter()
        .map(|r| {
            let one = t.index.run(&r.id).unwrap().unwrap();
            let p = one.provenance.clone().expect("Index::run loads the provenance");
            assert_eq!(one.commit, p.git.commit, "{}: the run's commit is its provenance's", r.name);
            (one, p)
        })
        .collect()
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path).unwrap().lines().map(str::to_string).collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

/// The MLflow run `name` of `runs`, checked against the tags MLflow reports for it.
fn check_mlflow_tags(kind: &str, runs: &[(RunRecord, Provenance)]) -> usize {
    let mut compared = 0;
    for e in expected(kind)["experiments"].as_array().unwrap() {
        for er in e["runs"].as_array().unwrap() {
            let name = er["name"].as_str().unwrap();
            let (r, p) = runs.iter().find(|(r, _)| r.name == name && r.experiment.as_deref() == e["name"].as_str()).unwrap();
            let tag = |k: &str| er["tags"][k].as_str().map(str::to_string);
            let what = format!("{kind} / {name}");
            assert_eq!(tag("mlflow.source.type").as_deref(), Some("LOCAL"), "{what}");
            assert_eq!(p.program, tag("mlflow.source.name"), "{what}: program");
            assert_eq!(p.git.commit, tag("mlflow.source.git.commit"), "{what}: commit");
            assert_eq!(p.git.branch, tag("mlflow.source.git.branch"), "{what}: branch");
            assert_eq!(p.git.remote, tag("mlflow.source.git.repoURL"), "{what}: remote");
            assert_eq!(
                (p.args.as_ref(), p.interpreter.as_ref(), p.workdir.as_ref(), p.git.dirty),
                (None, None, None, None),
                "{what}: not recorded by MLflow"
            );
            assert_eq!((p.host.as_ref(), p.os.as_ref()), (None, None), "{what}");
            assert_eq!(r.commit.as_deref(), Some(MLFLOW_COMMIT));
            compared += 1;
        }
    }
    compared
}

/// The run that logged the model `model` has its environment files, packages and Python;
/// the others have none.
fn check_mlflow_model(runs: &[(RunRecord, Provenance)], run_id: &str, model_dir: &Path) {
    for (r, p) in runs {
        let r_reproduce = reproduce(p);
        assert_eq!(r_reproduce.command.unwrap(), format!("git checkout {MLFLOW_COMMIT} && python {SCRIPT}"), "{}", r.name);
        assert_eq!(r_reproduce.missing, [Missing::Arguments], "{}: MLflow records no arguments", r.name);
        if r.native_id != run_id {
            assert!(p.packages.is_empty() && p.environment_files.is_empty() && p.python.is_none(), "{}: no model, no environment", r.name);
            continue;
        }
        let files: Vec<String> =
            ["requirements.txt", "conda.yaml", "python_env.yaml"].iter().map(|f| model_dir.join(f).to_string_lossy().into_owned()).collect();
        assert_eq!(p.environment_files, files, "{}", r.name);
        assert_eq!(p.packages, lines(&model_dir.join("requirements.txt")), "{}", r.name);
        assert_eq!(p.packages, ["mlflow==3.17.2", "scikit-learn"]);
        assert_eq!(p.python.as_deref(), Some("3.11.7"), "python_env.yaml's `python`");
    }
}

#[test]
fn mlflow_file_runs_have_their_tags_and_their_models_environment() {
    let mut t = TestIndex::new();
    t.add(&fixture("mlflow-file"));
    let runs = runs(&t);
    assert_eq!(check_mlflow_tags("mlflow-file", &runs), 12);
    let store = Path::new(&runs[0].0.store);
    let model = store.join("171616798534474200/models/m-a16fad42412840e1b1a3a92cb4dea71f/artifacts");
    check_mlflow_model(&runs, "4b6a27fca6a84e3d93decb025d038692", &model);
}

#[test]
fn mlflow_sqlite_runs_have_their_tags_and_their_models_environment() {
    let mut t = TestIndex::new();
    t.add(&fixture("mlflow-sqlite"));
    let runs = runs(&t);
    assert_eq!(check_mlflow_tags("mlflow-sqlite", &runs), 10);
    let store = Path::new(&runs[0].0.store).parent().unwrap();
    let model = store.join("artifacts/cffba13487/models/m-335fc6ba524249e9a3b02bb2ee82043e/artifacts");
    check_mlflow_model(&runs, "eeacd1c86985408f86adb30ce513e654", &model);
}

#[test]
fn wandb_runs_have_their_environment_record_and_requirements() {
    let mut t = TestIndex::new();
    t.add(&fixture("wandb"));
    let runs = runs(&t);
    assert_eq!(runs.len(), 3);
    for (r, p) in &runs {
        let er = expected("wandb")["runs"].as_array().unwrap().iter().find(|e| e["run_id"] == r.native_id.as_str()).unwrap().clone();
        let files = Path::new(&r.store).join(er["folder"].as_str().unwrap()).join("files");
        let what = format!("wandb / {}", r.native_id);
        assert_eq!(p.git.commit.as_deref(), er["git_commit"].as_str(), "{what}");
        assert_eq!(p.git.remote.as_deref(), er["git_remote"].as_str(), "{what}");
        assert_eq!((p.git.branch.as_ref(), p.git.dirty, p.workdir.as_ref()), (None, None, None), "{what}: no branch, no diff.patch, no folder");
        // The environment record of each log, as wandb 0.31 wrote it (fields 5, 6, 14,
        // 2, 12 and 1 of `EnvironmentRecord`).
        let args = ["--worker", "gen", "wandb", "/home/researcher/experiments/fixtures", "fixtures", "0"];
        assert_eq!(p.program.as_deref(), Some(SCRIPT), "{what}");
        assert_eq!(p.args.as_deref(), Some(&args.map(String::from)[..]), "{what}");
        assert_eq!(p.interpreter.as_deref(), Some("/home/researcher/.venv/bin/python"), "{what}");
        assert_eq!(p.python.as_deref(), Some("CPython 3.11.7"), "{what}");
        assert_eq!(p.host.as_deref(), Some("workstation"), "{what}");
        assert_eq!(p.os.as_deref(), Some("Linux-6.18.44-fc-v782-x86_64-with-glibc2.36"), "{what}");
        assert_eq!(p.packages, lines(&files.join("requirements.txt")), "{what}");
        assert_eq!(p.packages.len(), 191);
        assert_eq!(p.environment_files, [files.join("requirements.txt").to_string_lossy()], "{what}");
        let again = reproduce(p);
        assert_eq!(
            again.command.unwrap(),
            format!(
                "git checkout {MLFLOW_COMMIT} && /home/researcher/.venv/bin/python {SCRIPT} --worker gen wandb /home/researcher/experiments/fixtures fixtures 0"
            )
        );
        assert!(again.missing.is_empty(), "{what}: {:?}", again.missing);
    }
}

#[test]
fn sacred_runs_have_their_run_json_and_the_command_line_that_repeats_them() {
    let mut t = TestIndex::new();
    t.add(&fixture("sacred"));
    let runs = runs(&t);
    assert_eq!(runs.len(), 6);
    for (r, p) in &runs {
        let run_json: Value =
            serde_json::from_str(&std::fs::read_to_string(Path::new(&r.store).join(&r.native_id).join("run.json")).unwrap()).unwrap();
        let (exp, host) = (&run_json["experiment"], &run_json["host"]);
        let what = format!("{} / {}", r.store, r.native_id);
        assert_eq!(p.program.as_deref(), exp["mainfile"].as_str(), "{what}");
        assert_eq!(p.workdir.as_deref(), exp["base_dir"].as_str(), "{what}");
        assert_eq!(p.git.commit.as_deref(), exp["repositories"][0]["commit"].as_str(), "{what}");
        assert_eq!(p.git.remote.as_deref(), exp["repositories"][0]["url"].as_str(), "{what}");
        assert_eq!(p.git.dirty, exp["repositories"][0]["dirty"].as_bool(), "{what}");
        assert_eq!(p.packages, strings(&exp["dependencies"]), "{what}");
        assert_eq!(p.python.as_deref(), host["python_version"].as_str(), "{what}");
        assert_eq!(p.host.as_deref(), host["hostname"].as_str(), "{what}");
        assert_eq!(p.os.as_deref(), host["os"][1].as_str(), "{what}");
        let source = Path::new(&r.store).join(exp["sources"][0][1].as_str().unwrap());
        assert_eq!(p.source_files, [source.to_string_lossy()], "{what}");
        assert!(p.environment_files.is_empty() && p.interpreter.is_none() && p.git.branch.is_none(), "{what}");
        // The fixture's values, spelled out: two runs were started with a config update.
        let update = match (r.store.ends_with("/mnist_cnn"), r.native_id.as_str()) {
            (true, "2") => Some("learning_rate=0.1"),
            (false, "2") => Some("epochs=10"),
            _ => None,
        };
        let args: Vec<&str> = ["main"].into_iter().chain(update.map(|u| ["with", u]).into_iter().flatten()).collect();
        assert_eq!(p.args.as_deref(), Some(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>()[..]), "{what}");
        let updates = update.map(|u| format!(" with '{u}'")).unwrap_or_default();
        let again = reproduce(p);
        assert_eq!(
            again.command.unwrap(),
            format!("cd /home/researcher/projects/vision-experiments && git checkout {SACRED_COMMIT} && python train.py main{updates}"),
            "{what}"
        );
        assert!(again.missing.is_empty(), "{what}: a clean tree, every argument");
    }
    assert_eq!(expected("sacred")["experiments"]["mnist_cnn"][0]["repositories"][0]["commit"], SACRED_COMMIT);
    assert_eq!(expected("sacred")["experiments"]["mnist_cnn"][0]["repositories"][0]["url"], REMOTE);
}

#[test]
fn neptune_runs_have_their_entry_point_and_no_commit() {
    let mut t = TestIndex::new();
    t.add(&fixture("neptune"));
    let runs = runs(&t);
    assert_eq!(runs.len(), 3);
    for er in expected("neptune")["runs"].as_array().unwrap() {
        let (r, p) = runs.iter().find(|(r, _)| r.native_id == er["container_id"].as_str().unwrap()).unwrap();
        let metadata: Value =
            serde_json::from_str(&std::fs::read_to_string(fixture("neptune").join(er["folder"].as_str().unwrap()).join("metadata.json")).unwrap())
                .unwrap();
        assert_eq!(p.program.as_deref(), er["source_code"]["entrypoint"].as_str(), "{}", r.name);
        assert_eq!(p.host.as_deref(), er["hostname"].as_str(), "{}", r.name);
        assert_eq!(p.os.as_deref(), metadata["os"].as_str(), "{}", r.name);
        assert_eq!(p.python.as_deref(), metadata["pythonVersion"].as_str(), "{}", r.name);
        assert_eq!(p.python.as_deref(), Some("3.11.7 (main, May  9 2026, 07:35:25) [GCC 12.2.0]"));
        assert_eq!((p.args.as_ref(), p.git.commit.as_ref()), (None, None), "{}", r.name);
        let again = reproduce(p);
        assert_eq!((again.command, again.missing), (None, vec![Missing::Commit, Missing::Arguments]), "{}", r.name);
    }
}

#[test]
fn trackers_that_record_no_provenance_have_none() {
    for kind in ["tensorboard", "dvclive", "hf-trainer", "csv-logger", "trackio"] {
        let mut t = TestIndex::new();
        t.add(&fixture(kind));
        let runs = runs(&t);
        assert!(!runs.is_empty(), "{kind}");
        for (r, p) in &runs {
            assert!(p.is_empty(), "{kind} / {}: {p:?}", r.name);
            assert_eq!(reproduce(p).missing, [Missing::Commit, Missing::Command]);
        }
    }
}

#[test]
fn a_rescan_sees_a_new_diff_patch_and_a_changed_model_requirements() {
    let mut t = TestIndex::new();
    let wandb = t.copy_of("wandb");
    let mlflow = t.copy_of("mlflow-file");
    t.add(&wandb);
    t.add(&mlflow);
    let run = |t: &TestIndex, native: &str| runs(t).into_iter().find(|(r, _)| r.native_id == native).unwrap().1;
    assert_eq!(run(&t, "fx2wide0").git.dirty, None);

    let files = wandb.join("wandb/offline-run-20261126_100424-fx2wide0/files");
    std::fs::write(files.join("diff.patch"), "--- a/generate.py\n+++ b/generate.py\n").unwrap();
    let model = mlflow.join("mlruns/171616798534474200/models/m-a16fad42412840e1b1a3a92cb4dea71f/artifacts");
    std::fs::write(model.join("requirements.txt"), "mlflow==3.17.2\nscikit-learn==1.9.1\n").unwrap();
    t.scan();

    let wide = run(&t, "fx2wide0");
    assert_eq!(wide.git.dirty, Some(true), "a diff.patch that is not empty: uncommitted changes");
    assert_eq!(wide.environment_files.last().map(String::as_str), Some(files.canonicalize().unwrap().join("diff.patch").to_str().unwrap()));
    assert_eq!(reproduce(&wide).missing, [Missing::UncommittedChanges]);
    assert_eq!(run(&t, "fx1base0").git.dirty, None, "the other runs are as they were");
    assert_eq!(run(&t, "4b6a27fca6a84e3d93decb025d038692").packages, ["mlflow==3.17.2", "scikit-learn==1.9.1"]);
}
