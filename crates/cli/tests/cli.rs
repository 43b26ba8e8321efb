//! The `runlens` command as scripts use it: exit codes, messages and the JSON contract.

mod common;

use std::process::Command;

use common::{fixture, runlens, stdout, write_store};

use serde_json::Value;

#[test]
fn add_then_runs_json_has_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("i.sqlite");
    let added = runlens(&db, &["add", fixture("mlflow-sqlite").to_str().unwrap()]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let text = stdout(&added);
    assert!(text.contains("10 runs (10 new"), "{text}");
    assert!(text.contains("mlflow.db"), "{text}");

    let out = runlens(&db, &["runs", "--json"]);
    assert!(out.status.success());
    let runs: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 8, "deleted runs only with --all");
    for r in runs {
        for key in ["id", "store", "source", "experiment", "name", "status", "deleted", "parent", "start", "end", "params", "tags", "metrics"] {
            assert!(r.get(key).is_some(), "missing {key} in {r}");
        }
        assert_eq!(r["source"], "mlflow");
        assert!(["running", "finished", "failed", "killed", "scheduled", "unknown"].contains(&r["status"].as_str().unwrap()));
        for m in r["metrics"].as_object().unwrap().values() {
            for key in ["first", "last", "min", "max", "count", "last_step"] {
                assert!(m.get(key).is_some(), "missing metrics.{key}");
            }
        }
    }
    let all: Value = serde_json::from_str(&stdout(&runlens(&db, &["runs", "--json", "--all"]))).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 10);

    // A nested run names its parent by id; series returns [step, time_ms, value] triples.
    let child = runs.iter().find(|r| r["name"] == "trial-0 dropout=0.1").unwrap();
    let parent = runs.iter().find(|r| r["id"] == child["parent"]).unwrap();
    assert_eq!(parent["name"], "hp-search");
    let id = child["id"].as_str().unwrap();
    let series: Value = serde_json::from_str(&stdout(&runlens(&db, &["series", id, "train/loss", "--json"]))).unwrap();
    let points = series.as_array().unwrap();
    assert_eq!(points.len() as u64, child["metrics"]["train/loss"]["count"].as_u64().unwrap());
    assert_eq!(points[0].as_array().unwrap().len(), 3);
    assert_eq!(points[0][0], 0, "step");
    assert!(points[0][1].as_i64().unwrap() > 1_700_000_000_000, "time in ms");
}

#[test]
fn non_finite_values_are_named_strings_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("mlruns");
    let run = store.join("0/00000000000000000000000000000001");
    std::fs::create_dir_all(run.join("metrics")).unwrap();
    std::fs::create_dir_all(run.join("params")).unwrap();
    std::fs::create_dir_all(run.join("artifacts")).unwrap();
    std::fs::write(store.join("0/meta.yaml"), "experiment_id: '0'\nlifecycle_stage: active\nname: Default\n").unwrap();
    std::fs::write(
        run.join("meta.yaml"),
        "run_id: 00000000000000000000000000000001\nexperiment_id: '0'\nrun_name: nan-run\nstatus: 3\nstart_time: 1\nend_time: 2\nlifecycle_stage: active\n",
    )
    .unwrap();
    std::fs::write(run.join("metrics/loss"), "1 nan 0\n2 inf 1\n3 -inf 2\n").unwrap();
    let db = dir.path().join("i.sqlite");
    assert!(runlens(&db, &["add", store.to_str().unwrap()]).status.success());
    let runs: Value = serde_json::from_str(&stdout(&runlens(&db, &["runs", "--json"]))).unwrap();
    let m = &runs[0]["metrics"]["loss"];
    assert_eq!((m["first"].as_str(), m["last"].as_str()), (Some("NaN"), Some("-Infinity")));
    assert_eq!((m["min"].as_str(), m["max"].as_str()), (Some("-Infinity"), Some("Infinity")));
    let id = runs[0]["id"].as_str().unwrap();
    let series = stdout(&runlens(&db, &["series", id, "loss", "--json"]));
    assert_eq!(series.trim(), r#"[[0,1,"NaN"],[1,2,"Infinity"],[2,3,"-Infinity"]]"#);
}

#[test]
fn a_missing_path_exits_non_zero_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = runlens(&dir.path().join("i.sqlite"), &["add", "/no/such/place"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/no/such/place: no such file or folder"), "{err}");
}

#[test]
fn a_url_reaches_the_readers_not_the_filesystem() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("i.sqlite");
    // No reader of this build reads a tracking server yet: the URL is refused by the
    // readers (not reported as a missing path), and nothing is indexed.
    let out = runlens(&db, &["add", "http://user:pw@127.0.0.1:9/mlflow"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no reader reads stores at http://127.0.0.1:9/mlflow"), "{err}");
    assert!(!err.contains("no such file") && !err.contains("pw"), "{err}");
    // A URL that is not one says why, before anything else happens.
    let out = runlens(&db, &["add", "http://[::1"]);
    assert_eq!(out.status.code(), Some(2), "a usage error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid IPv6 address"), "{}", String::from_utf8_lossy(&out.stderr));
    // A file URL is the path it names.
    let url = format!("file://{}", fixture("mlflow-sqlite").display());
    let out = runlens(&db, &["add", &url]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout(&out).contains("10 runs (10 new"), "{}", stdout(&out));
}

#[test]
fn a_folder_without_stores_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = runlens(&dir.path().join("i.sqlite"), &["add", dir.path().to_str().unwrap()]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no run stores found"));
}

#[test]
fn an_unknown_run_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("i.sqlite");
    assert!(runlens(&db, &["add", dir.path().to_str().unwrap()]).status.success());
    let out = runlens(&db, &["series", "nope", "loss", "--json"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no run with id nope"));
}

#[test]
fn a_kill_in_the_middle_of_indexing_leaves_an_index_that_opens_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("mlruns");
    let (runs, keys, steps) = (200, 5, 2000);
    write_store(&store, runs, keys, steps);
    let db = dir.path().join("i.sqlite");

    // Kill `runlens add` at increasing delays until one kill lands mid-index.
    let mut interrupted = false;
    for delay_ms in [150u64, 300, 600, 1200] {
        let _ = std::fs::remove_file(&db);
        let mut child = Command::new(env!("CARGO_BIN_EXE_runlens"))
            .arg("--db")
            .arg(&db)
            .arg("add")
            .arg(&store)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill();
        let _ = child.wait();
        if finished {
            break;
        }
        let partial: Value = serde_json::from_str(&stdout(&runlens(&db, &["runs", "--json"]))).unwrap_or(Value::Null);
        let points: u64 = partial
            .as_array()
            .map(|rs| rs.iter().flat_map(|r| r["metrics"].as_object().unwrap().values()).map(|m| m["count"].as_u64().unwrap()).sum())
            .unwrap_or(0);
        if points > 0 && points < (runs * keys * steps) as u64 {
            interrupted = true;
            break;
        }
    }
    assert!(interrupted, "no kill landed mid-index (indexing was too fast or too slow to start)");

    // The index opens, and a scan completes it: every run, every point, once.
    let scan = runlens(&db, &["scan"]);
    assert!(scan.status.success(), "{}", String::from_utf8_lossy(&scan.stderr));
    let all: Value = serde_json::from_str(&stdout(&runlens(&db, &["runs", "--json"]))).unwrap();
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), runs);
    for r in all {
        assert_eq!(r["metrics"].as_object().unwrap().len(), keys);
        for m in r["metrics"].as_object().unwrap().values() {
            assert_eq!(m["count"].as_u64(), Some(steps as u64), "{}", r["name"]);
        }
    }
}

#[test]
fn a_query_of_an_index_that_is_not_there_says_so_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("no-such-folder/i.sqlite");
    for args in [&["runs"][..], &["stores", "--json"], &["show", "x"], &["series", "x", "loss"]] {
        let out = runlens(&db, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("no index at") && err.contains("add FOLDER"), "{args:?}: {err}");
    }
    assert!(!dir.path().join("no-such-folder").exists(), "nothing was created");
}

#[test]
fn series_options_out_of_range_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("i.sqlite");
    assert!(runlens(&db, &["add", fixture("mlflow-sqlite").to_str().unwrap()]).status.success());
    let runs: Value = serde_json::from_str(&stdout(&runlens(&db, &["runs", "--json"]))).unwrap();
    let run = runs.as_array().unwrap().iter().find(|r| r["metrics"]["train/loss"]["count"].as_u64() > Some(10)).unwrap();
    let id = run["id"].as_str().unwrap();
    for (args, says) in [
        (vec!["--max-points", "0"], "at least 4"),
        (vec!["--max-points", "1"], "at least 4"),
        (vec!["--smoothing", "1"], "[0, 1)"),
        (vec!["--smoothing", "-0.1"], "[0, 1)"),
    ] {
        let out = runlens(&db, &[&["series", id, "train/loss"][..], &args].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(says), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    // At the smallest allowed size, the promise holds: at most 4 points.
    let out = runlens(&db, &["series", id, "train/loss", "--max-points", "4", "--json"]);
    let view: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(view["points"].as_array().unwrap().len() <= 4, "{view}");
}

#[test]
fn an_index_error_is_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("i.sqlite");
    std::fs::write(&db, "not an index, not a database").unwrap();
    let out = runlens(&db, &["runs"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(err.matches("file is not a database").count(), 1, "{err}");
}

#[test]
fn compare_puts_runs_side_by_side_and_remembers_directions() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("i.sqlite");
    assert!(runlens(&db, &["add", fixture("mlflow-sqlite").to_str().unwrap()]).status.success());
    let runs: Value = serde_json::from_str(&stdout(&runlens(&db, &["runs", "--json", "--filter", "name ~ 'trial-'"]))).unwrap();
    let ids: Vec<&str> = runs.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2);

    let out = runlens(&db, &["compare", ids[0], ids[1], "--only-diff"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = stdout(&out);
    assert!(text.contains("≠ optimizer                  adamw           adam"), "{text}");
    assert!(!text.contains("mlflow.source.type"), "only differences: {text}");
    assert!(text.contains("val/loss (lower)"), "{text}");
    let all = stdout(&runlens(&db, &["compare", ids[0], ids[1]]));
    assert!(all.lines().count() > text.lines().count(), "without --only-diff, every row");

    // Which way is better is the user's to say, and kept.
    let out = runlens(&db, &["direction", "val/loss", "higher"]);
    assert_eq!(stdout(&out).trim(), "val/loss: higher is better (your choice)");
    let c: Value = serde_json::from_str(&stdout(&runlens(&db, &["compare", ids[0], ids[1], "--json"]))).unwrap();
    let loss = c["metrics"].as_array().unwrap().iter().find(|m| m["key"] == "val/loss").unwrap();
    assert_eq!((loss["direction"].as_str(), loss["direction_chosen"].as_bool()), (Some("higher"), Some(true)));
    assert_eq!(stdout(&runlens(&db, &["direction", "val/loss", "guess"])).trim(), "val/loss: lower is better (guessed from the name)");

    // Mistakes say what is wrong.
    let one = runlens(&db, &["compare", ids[0]]);
    assert!(!one.status.success());
    assert!(String::from_utf8_lossy(&one.stderr).contains("compare needs at least two runs (1 given or matched)"));
    let unknown = runlens(&db, &["compare", ids[0], "nope"]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no run with id nope"));
    let bad = runlens(&db, &["compare", "--filter", "params.x >"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("bad filter"));
}

#[test]
fn report_writes_html_csv_and_tex_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("i.sqlite");
    assert!(runlens(&db, &["add", fixture("mlflow-sqlite").to_str().unwrap()]).status.success());
    let out_dir = dir.path().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    for (name, also) in [("r.html", vec![]), ("r.csv", vec!["r-series.csv"]), ("r.tex", vec!["r-data"])] {
        let path = out_dir.join(name);
        let out = runlens(&db, &["report", "--filter", "name ~ 'trial-'", "--out", path.to_str().unwrap(), "--metrics", "val/loss"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout(&out).contains(&format!("wrote {}", path.display())), "{}", stdout(&out));
        assert!(path.is_file());
        for other in also {
            assert!(out_dir.join(other).exists(), "{other}");
        }
    }
    let page = std::fs::read_to_string(out_dir.join("r.html")).unwrap();
    assert!(page.contains("<title>Comparison of 2 runs</title>"));
    // The footer holds the command that writes the report again, quoted for a shell.
    assert!(page.contains("report --filter &#34;name ~ &#39;trial-&#39;&#34; --out"), "{}", &page[page.len() - 600..]);
    // The format can be forced; nothing to report on is an error.
    let forced = out_dir.join("report.txt");
    assert!(runlens(&db, &["report", "--filter", "name ~ 'trial-'", "--out", forced.to_str().unwrap(), "--format", "csv"]).status.success());
    assert!(std::fs::read_to_string(&forced).unwrap().starts_with("run_id,name,source"));
    let none = runlens(&db, &["report", "--filter", "name = 'nope'", "--out", forced.to_str().unwrap()]);
    assert!(!none.status.success());
    assert!(String::from_utf8_lossy(&none.stderr).contains("no runs to report on (filter: name = 'nope')"));
}

#[test]
fn diff_shows_what_two_runs_stores_recorded_of_their_environment() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("i.sqlite");
    let added = runlens(&db, &["add", fixture("mlflow-file").to_str().unwrap(), fixture("wandb").to_str().unwrap()]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let id = |name: &str| {
        let runs: Value = serde_json::from_str(&stdout(&runlens(&db, &["runs", "--json", "--filter", &format!("name = '{name}'")]))).unwrap();
        runs[0]["id"].as_str().unwrap().to_string()
    };
    let (a, b) = (id("resnet18-baseline"), id("baseline-resnet"));
    let files: Value = serde_json::from_str(&stdout(&runlens(&db, &["diff", &a, &b, "--json"]))).unwrap();
    let requirements = files.as_array().unwrap().iter().find(|f| f["name"] == "requirements.txt").expect("both recorded requirements.txt");
    assert_eq!(requirements["identical"], false);
    let unified = requirements["unified"].as_str().unwrap();
    assert!(unified.starts_with("--- ") && unified.lines().any(|l| l.starts_with("@@")), "{unified}");
    let text = stdout(&runlens(&db, &["diff", &a, &b]));
    assert!(text.contains("== requirements.txt: differs\n--- "), "{text}");
    let gone = runlens(&db, &["diff", &a, "nope"]);
    assert!(!gone.status.success() && String::from_utf8_lossy(&gone.stderr).contains("nope"));
}

#[test]
fn cat_writes_a_listed_file_byte_for_byte_and_refuses_paths_out_of_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("i.sqlite");
    let added = runlens(&db, &["add", fixture("mlflow-file").to_str().unwrap()]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let runs: Value = serde_json::from_str(&stdout(&runlens(&db, &["runs", "--json", "--filter", "name = 'resnet18-baseline'"]))).unwrap();
    let id = runs[0]["id"].as_str().unwrap().to_string();
    let shown: Value = serde_json::from_str(&stdout(&runlens(&db, &["show", &id, "--json"]))).unwrap();
    let folder = std::path::PathBuf::from(shown["artifact_dir"].as_str().unwrap());

    let listed: Value = serde_json::from_str(&stdout(&runlens(&db, &["artifacts", &id, "--json"]))).unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), shown["artifacts"].as_array().unwrap().len(), "the same files as `show`");
    for a in listed.iter().filter(|a| a["embedded"] == false) {
        let path = a["path"].as_str().unwrap();
        let cat = runlens(&db, &["cat", &id, path]);
        assert!(cat.status.success(), "{path}: {}", String::from_utf8_lossy(&cat.stderr));
        let on_disk = std::fs::read(folder.join(path)).unwrap();
        assert_eq!(cat.stdout, on_disk, "{path}");
        assert_eq!(a["size"].as_u64(), Some(on_disk.len() as u64), "{path}");
    }
    for outside in ["../../../../../../../etc/passwd", "/etc/passwd", "model/../../meta.yaml", "no/such/file.txt"] {
        let cat = runlens(&db, &["cat", &id, outside]);
        let err = String::from_utf8_lossy(&cat.stderr);
        assert!(!cat.status.success() && cat.stdout.is_empty() && err.contains(outside), "{outside}: {err}");
    }

    // Images inside TensorBoard event files come out of them whole.
    let added = runlens(&db, &["add", fixture("tensorboard").to_str().unwrap()]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let runs: Value = serde_json::from_str(&stdout(&runlens(&db, &["runs", "--json", "--filter", "name = 'cifar-cnn/augmented'"]))).unwrap();
    let tb = runs[0]["id"].as_str().unwrap().to_string();
    let listed: Value = serde_json::from_str(&stdout(&runlens(&db, &["artifacts", &tb, "--json"]))).unwrap();
    let images: Vec<&Value> = listed.as_array().unwrap().iter().filter(|a| a["embedded"] == true).collect();
    assert!(!images.is_empty());
    for a in images {
        let cat = runlens(&db, &["cat", &tb, a["path"].as_str().unwrap()]);
        assert!(cat.status.success(), "{a}: {}", String::from_utf8_lossy(&cat.stderr));
        assert_eq!(cat.stdout.len() as u64, a["size"].as_u64().unwrap(), "{a}");
        assert!(cat.stdout.starts_with(b"\x89PNG\r\n\x1a\n"), "{a}");
    }
}

#[test]
fn an_attached_folder_is_listed_read_and_detached() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("i.sqlite");
    let added = runlens(&db, &["add", fixture("sacred").to_str().unwrap()]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let runs: Value = serde_json::from_str(&stdout(&runlens(&db, &["runs", "--json", "--filter", "name = 'mnist_cnn #1'"]))).unwrap();
    let id = runs[0]["id"].as_str().unwrap().to_string();
    let out = dir.path().join("outputs");
    std::fs::create_dir_all(out.join("preds")).unwrap();
    std::fs::write(out.join("preds/test.csv"), "id,label\n1,cat\n").unwrap();
    let folder = std::fs::canonicalize(&out).unwrap();

    let attach = runlens(&db, &["attach", &id, out.to_str().unwrap()]);
    assert!(attach.status.success(), "{}", String::from_utf8_lossy(&attach.stderr));
    assert_eq!(stdout(&attach), format!("attached {} to {id}: 1 files\n", folder.display()));
    let listed: Value = serde_json::from_str(&stdout(&runlens(&db, &["artifacts", &id, "--json"]))).unwrap();
    let mine: Vec<&Value> = listed.as_array().unwrap().iter().filter(|a| !a["attached"].is_null()).collect();
    let modified = std::fs::metadata(out.join("preds/test.csv")).unwrap().modified().unwrap();
    let ms = modified.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    let want = serde_json::json!({"path": "preds/test.csv", "size": 15, "embedded": false, "origin": null, "attached": folder, "modified_ms": ms, "kind": "table"});
    assert_eq!(mine, [&want]);
    let shown: Value = serde_json::from_str(&stdout(&runlens(&db, &["show", &id, "--json"]))).unwrap();
    assert_eq!(shown["attached_folders"], serde_json::json!([{"folder": folder, "present": true}]));
    assert_eq!(shown["artifacts"], listed, "show lists the files as artifacts does");
    assert_eq!(runlens(&db, &["cat", &id, "preds/test.csv"]).stdout, b"id,label\n1,cat\n");
    // Its content hash, and the run found by it.
    let hashed: Value = serde_json::from_str(&stdout(&runlens(&db, &["artifacts", &id, "--json", "--hash"]))).unwrap();
    let csv = hashed.as_array().unwrap().iter().find(|a| a["path"] == "preds/test.csv").unwrap();
    assert_eq!(csv["blake3"].as_str(), Some(blake3::hash(b"id,label\n1,cat\n").to_hex().as_str()));
    let store_file = hashed.as_array().unwrap().iter().find(|a| a["attached"].is_null()).unwrap();
    let by_hash = format!("artifacts.hash = '{}'", &store_file["blake3"].as_str().unwrap()[..16]);
    let found: Value = serde_json::from_str(&stdout(&runlens(&db, &["runs", "--json", "--filter", &by_hash]))).unwrap();
    assert!(found.as_array().unwrap().iter().any(|r| r["id"] == id.as_str()), "{found}");

    let detach = runlens(&db, &["detach", &id, out.to_str().unwrap()]);
    assert!(detach.status.success(), "{}", String::from_utf8_lossy(&detach.stderr));
    let again = runlens(&db, &["detach", &id, out.to_str().unwrap()]);
    assert!(
        !again.status.success() && String::from_utf8_lossy(&again.stderr).contains("is not attached"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let cat = runlens(&db, &["cat", &id, "preds/test.csv"]);
    assert!(!cat.status.success() && cat.stdout.is_empty());
    let missing = runlens(&db, &["attach", &id, "/no/such/folder"]);
    assert!(!missing.status.success() && String::from_utf8_lossy(&missing.stderr).contains("/no/such/folder"));
}
