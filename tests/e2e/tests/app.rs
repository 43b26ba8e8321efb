//! End-to-end: the real `runlens-app` binary, started by tauri-driver + WebKitWebDriver
//! under Xvfb, driven through its real web view and real backend.
//!
//! Run (from the repository root, after `cargo build -p runlens-app`):
//! `xvfb-run -a -s "-screen 0 1280x800x24" cargo test --manifest-path tests/e2e/Cargo.toml`
//! The app binary is `$RUNLENS_APP`, else `$CARGO_TARGET_DIR/debug/runlens-app`, else
//! `target/debug/runlens-app`. Screenshots go to `$RUNLENS_E2E_SHOTS` (default
//! `tests/e2e/screenshots/`).

mod harness;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use harness::{App, TIMEOUT, fixture, repo_root};
use serde_json::{Value, json};
use thirtyfour::prelude::*;

/// Names of the runs MLflow reports for a fixture kind, without deleted ones.
fn expected_run_names(kind: &str) -> Vec<String> {
    let text = std::fs::read_to_string(repo_root().join("tests/fixtures/expected.json")).unwrap();
    let all: Value = serde_json::from_str(&text).unwrap();
    let mut names = Vec::new();
    for e in all["kinds"][kind]["experiments"].as_array().unwrap() {
        for r in e["runs"].as_array().unwrap() {
            if r["lifecycle_stage"] == "active" {
                names.push(r["name"].as_str().unwrap().to_string());
            }
        }
    }
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn dropping_the_fixture_folders_shows_their_runs() {
    let app = App::start(&[]).await;
    app.wait_css("[data-testid='empty-state']").await;

    app.drop_paths(&[fixture("mlflow-file"), fixture("mlflow-sqlite")]).await;
    let mut expected = expected_run_names("mlflow-file");
    expected.extend(expected_run_names("mlflow-sqlite"));
    let mut shown = app.texts("[data-testid='run-name']", expected.len()).await;
    shown.sort();
    expected.sort();
    assert_eq!(shown, expected, "the table shows exactly MLflow's active runs");

    let stores = app.texts("[data-testid='store-item']", 2).await;
    assert_eq!(stores.len(), 2);
    assert!(stores.iter().any(|s| s.contains("12 runs")), "{stores:?}");
    assert!(stores.iter().any(|s| s.contains("10 runs")), "{stores:?}");
    let outcome = app.wait_text("[data-testid='outcome']", "2 stores").await;
    assert!(outcome.contains("22 runs"), "{outcome}");
    let shot = app.screenshot("runs-table").await;
    eprintln!("screenshot: {}", shot.display());

    // Deleted runs appear on request.
    app.d().find(By::Css("input[type='checkbox']")).await.unwrap().click().await.unwrap();
    let all = app.texts("[data-testid='run-row']", 22).await;
    assert_eq!(all.len(), 22);
    app.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_folder_given_on_the_command_line_is_indexed_at_start() {
    let app = App::start(&[fixture("mlflow-sqlite")]).await;
    let shown = app.texts("[data-testid='run-name']", 8).await;
    let mut expected = expected_run_names("mlflow-sqlite");
    let mut shown_sorted = shown.clone();
    shown_sorted.sort();
    expected.sort();
    assert_eq!(shown_sorted, expected);
    app.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_folder_is_a_dialog_not_a_blank_screen() {
    let app = App::start(&[]).await;
    app.drop_paths(&["/no/such/folder/anywhere".to_string()]).await;
    let text = app.wait_text("[data-testid='error-dialog']", "Folder not found").await;
    let dialog = app.wait_css("[data-testid='error-dialog']").await;
    assert!(text.contains("/no/such/folder/anywhere"), "{text}");
    app.screenshot("missing-folder").await;
    // The window is still usable: close the dialog, the empty state is there.
    dialog.find(By::Css("button")).await.unwrap().click().await.unwrap();
    app.wait_css("[data-testid='empty-state']").await;
    app.quit().await;
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The MLflow run folder below `dir` whose meta.yaml names the run `name`.
fn mlflow_run_folder(dir: &Path, name: &str) -> Option<PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let p = e.path();
        let meta = std::fs::read_to_string(p.join("meta.yaml")).unwrap_or_default();
        if meta.lines().any(|l| l == format!("run_name: {name}")) {
            return Some(p);
        }
        if p.is_dir() {
            if let Some(found) = mlflow_run_folder(&p, name) {
                return Some(found);
            }
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_that_is_still_writing_updates_live() {
    let work = tempfile::tempdir().unwrap();
    let store = work.path().join("mlflow-file");
    copy_tree(&repo_root().join("tests/fixtures/mlflow-file"), &store);
    let app = App::start(&[store.to_string_lossy().into_owned()]).await;
    app.texts("[data-testid='run-name']", 10).await;
    // The text of one cell (a CSS selector inside the row) of the still-training row.
    let cell = |selector: &str| {
        format!(
            "const row = [...document.querySelectorAll('[data-testid=run-row]')]
               .find(r => r.querySelector('[data-testid=run-name]').innerText === 'still-training');
             const c = row && row.querySelector({});
             return c ? c.innerText : null;",
            json!(selector)
        )
    };
    assert_eq!(app.script_text(&cell("[data-testid=run-status]")).await, "running");

    // The training process writes two more points and finishes the run.
    let run = mlflow_run_folder(&store, "still-training");
    let run = run.expect("the still-training run folder");
    let written = Instant::now();
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().append(true).open(run.join("metrics/train/loss")).unwrap();
        f.write_all(b"1715029300000 0.0123 60\n1715029301500 0.0042 61\n").unwrap();
    }
    let deadline = Instant::now() + TIMEOUT;
    while app.script_text(&cell("[data-metric='train/loss']")).await != "0.0042" {
        assert!(Instant::now() < deadline, "the new point never showed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("new point shown {} ms after the write", written.elapsed().as_millis());

    let meta = std::fs::read_to_string(run.join("meta.yaml")).unwrap();
    std::fs::write(run.join("meta.yaml"), meta.replace("status: 1", "status: 3").replace("end_time: null", "end_time: 1715029400000")).unwrap();
    let written = Instant::now();
    while app.script_text(&cell("[data-testid=run-status]")).await != "finished" {
        assert!(Instant::now() < deadline, "the status never changed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("status shown {} ms after the write", written.elapsed().as_millis());
    app.screenshot("live-update").await;
    app.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn typing_a_filter_narrows_the_table_and_a_bad_one_is_explained_in_place() {
    let app = App::start(&[fixture("mlflow-file"), fixture("mlflow-sqlite")]).await;
    app.texts("[data-testid='run-name']", 18).await;
    let input = app.wait_css("[data-testid='filter-input']").await;
    input.send_keys("status = 'RUNNING'").await.unwrap();
    app.wait_text("[data-testid='run-count']", "2 runs").await;
    let mut names = app.texts("[data-testid='run-name']", 2).await;
    names.sort();
    assert_eq!(names, ["live-training", "still-training"]);

    // A malformed filter: the message says what was expected, the last good rows stay.
    input.send_keys(" and metrics.acc >").await.unwrap();
    let error = app.wait_text("[data-testid='filter-error']", "expected a value").await;
    assert!(error.contains("a number"), "{error}");
    assert_eq!(app.texts("[data-testid='run-name']", 2).await.len(), 2);
    app.screenshot("filter-error").await;

    // Sorting by a column is done by the index: names ascending, then descending.
    input.clear().await.unwrap();
    input.send_keys("experiment = 'image-classification'").await.unwrap();
    app.wait_text("[data-testid='run-count']", "7 runs").await;
    let sort = app.d().find(By::Css("[data-testid='sort-name']")).await.unwrap();
    sort.click().await.unwrap();
    let ascending = app.wait_sorted_names(7, false).await;
    app.wait_text("[data-testid='sort-name']", "▲").await;
    // A second click reverses the order, still in the index.
    sort.click().await.unwrap();
    let descending = app.wait_sorted_names(7, true).await;
    app.wait_text("[data-testid='sort-name']", "▼").await;
    assert_eq!(descending, ascending.iter().rev().cloned().collect::<Vec<_>>());
    app.screenshot("sorted-descending").await;
    app.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn selected_runs_are_charted_and_zooming_reads_every_point() {
    let app = App::start(&[fixture("tensorboard")]).await;
    app.texts("[data-testid='run-name']", 8).await;
    let input = app.wait_css("[data-testid='filter-input']").await;
    input.send_keys("name = 'long-run'").await.unwrap();
    app.wait_text("[data-testid='run-count']", "1 runs").await;
    app.wait_css("[data-testid='run-select']").await.click().await.unwrap();
    let counts = app.wait_text("[data-testid='chart-counts']", "of 101,000 points shown").await;
    assert!(counts.contains("min/max per pixel"), "a reduction, said so: {counts}");
    app.screenshot("chart-reduced").await;

    // Drag across a narrow band of the plot: the zoomed window comes back whole.
    let over = app.wait_css(".u-over").await;
    let rect = over.rect().await.unwrap();
    let (x0, y) = ((rect.width * 0.5) as i64, (rect.height * 0.5) as i64);
    app.d()
        .action_chain()
        .move_to_element_with_offset(&over, x0 - (rect.width / 2.0) as i64, 0)
        .click_and_hold()
        .move_by_offset(4, 0)
        .move_by_offset(6, 0)
        .release()
        .perform()
        .await
        .unwrap();
    let _ = y;
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let text = app.script_text("return document.querySelector(\"[data-testid='chart-counts']\").innerText").await;
        if !text.contains("101,000") && !text.contains("min/max") {
            // "N of N points shown": every point of the window.
            let numbers: Vec<&str> = text.split(' ').collect();
            assert_eq!(numbers[0], numbers[2], "{text}");
            break;
        }
        assert!(Instant::now() < deadline, "the zoom never came back: {text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.screenshot("chart-zoomed").await;
    app.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_runs_on_relative_time_smoothed_on_a_log_scale() {
    let app = App::start(&[fixture("tensorboard")]).await;
    app.texts("[data-testid='run-name']", 8).await;
    let input = app.wait_css("[data-testid='filter-input']").await;
    input.send_keys("name like 'mnist-mlp/%'").await.unwrap();
    app.wait_text("[data-testid='run-count']", "2 runs").await;
    for pick in app.d().find_all(By::Css("[data-testid='run-select']")).await.unwrap() {
        pick.click().await.unwrap();
    }
    app.wait_text("[data-testid='chart']", "train/loss").await;
    let x = app.wait_css("[data-testid='chart-x']").await;
    thirtyfour::components::SelectElement::new(&x).await.unwrap().select_by_value("relative").await.unwrap();
    app.d()
        .execute(
            "const s = document.querySelector('input[type=range]'); s.value = '0.9'; s.dispatchEvent(new Event('change', {bubbles: true}));\
             const l = [...document.querySelectorAll('[data-testid=chart-panel] input[type=checkbox]')][0]; l.click();",
            vec![],
        )
        .await
        .unwrap();
    // Two lines, both runs in the legend, on the relative axis (ticks are drawn on the
    // canvas as durations: see the screenshot).
    let legend = app.wait_text("[data-testid='chart']", "relative").await;
    assert!(legend.contains("lr_0.001") && legend.contains("lr_0.01"), "{legend}");
    app.wait_text("[data-testid='chart-panel']", "0.90").await;
    app.screenshot("chart-relative-smoothed").await;
    app.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_folder_with_odd_files_shows_what_was_not_read_and_everything_else() {
    // What a researcher's project folder holds besides the stores: a FIFO where MLflow
    // keeps an experiment's meta.yaml, a file called mlflow.db that is no database, and a
    // run whose artifact_uri names the root of the filesystem.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    let mlruns = root.join("mlruns");
    copy_tree(&repo_root().join("tests/fixtures/mlflow-file/mlruns"), &mlruns);
    std::fs::create_dir_all(mlruns.join("777")).unwrap();
    assert!(Command::new("mkfifo").arg(mlruns.join("777/meta.yaml")).status().unwrap().success());
    std::fs::create_dir_all(root.join("old")).unwrap();
    std::fs::write(root.join("old/mlflow.db"), "not a database").unwrap();
    let run = root.join("elsewhere/mlruns/1/0123456789abcdef0123456789abcdef");
    std::fs::create_dir_all(run.join("metrics")).unwrap();
    std::fs::create_dir_all(run.join("params")).unwrap();
    std::fs::write(root.join("elsewhere/mlruns/1/meta.yaml"), "experiment_id: '1'\nlifecycle_stage: active\nname: e\n").unwrap();
    std::fs::write(
        run.join("meta.yaml"),
        "artifact_uri: file:///\nexperiment_id: '1'\nlifecycle_stage: active\nrun_id: 0123456789abcdef0123456789abcdef\nrun_name: points-at-root\nstart_time: 1714986000000\nstatus: 3\n",
    )
    .unwrap();
    std::fs::write(run.join("metrics/loss"), "1714986000000 0.5 0\n").unwrap();

    let app = App::start(&[]).await;
    app.wait_css("[data-testid='empty-state']").await;
    let started = Instant::now();
    app.drop_paths(&[root.to_string_lossy().into_owned()]).await;
    let mut expected = expected_run_names("mlflow-file");
    expected.push("points-at-root".to_string());
    let mut shown = app.texts("[data-testid='run-name']", expected.len()).await;
    assert!(started.elapsed() < Duration::from_secs(20), "indexing did not hang on the FIFO or walk /");
    shown.sort();
    expected.sort();
    assert_eq!(shown, expected, "every readable run is shown");

    let stores = app.texts("[data-testid='store-item']", 3).await;
    let broken = stores.iter().find(|s| s.contains("old/mlflow.db")).unwrap_or_else(|| panic!("{stores:?}"));
    assert!(broken.contains("not an SQLite database"), "{broken}");
    app.screenshot("odd-files-stores").await;

    // The warnings of the store with the FIFO say which file and why.
    let items = app.d().find_all(By::Css("[data-testid='store-item']")).await.unwrap();
    let mut opened = false;
    for item in items {
        if item.text().await.unwrap_or_default().contains("project/mlruns")
            || item.attr("title").await.ok().flatten().is_some_and(|t| t.ends_with("project/mlruns"))
        {
            item.find(By::Css("[data-testid='store-warnings']")).await.unwrap().click().await.unwrap();
            opened = true;
            break;
        }
    }
    assert!(opened, "the store with the FIFO has a warnings button");
    let text = app.wait_text("[data-testid='warnings-dialog']", "not a regular file").await;
    assert!(text.contains("777/meta.yaml"), "{text}");
    app.screenshot("odd-files-warnings").await;
    app.quit().await;
}

/// How many elements match `css` right now.
async fn count(app: &App, css: &str) -> usize {
    app.d().find_all(By::Css(css)).await.map(|v| v.len()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn three_runs_compared_side_by_side_and_only_their_differences() {
    let app = App::start(&[fixture("mlflow-file")]).await;
    app.texts("[data-testid='run-name']", 10).await;
    let input = app.wait_css("[data-testid='filter-input']").await;
    input.send_keys("name ~ 'lr='").await.unwrap();
    app.wait_text("[data-testid='run-count']", "3 runs").await;
    // The header box selects every run the filter keeps.
    app.wait_css("[data-testid='select-all']").await.click().await.unwrap();
    app.wait_text("[data-testid='compare']", "Compare 3 runs").await.to_string();
    app.wait_css("[data-testid='compare']").await.click().await.unwrap();
    app.wait_css("[data-testid='compare-view']").await;
    app.wait_css("[data-testid='importance'] tr").await;

    // Every param key is a row; ticking "only differences" leaves exactly the rows that differ.
    let all = count(&app, "[data-testid='compare-params'] [data-testid='value-row']").await;
    let differing = count(&app, "[data-testid='compare-params'] [data-testid='value-row'][data-differs='true']").await;
    assert!(differing > 0 && differing < all, "{differing} of {all} rows differ");
    let headers = app.texts("[data-testid='compare-params'] thead th", 4).await;
    assert_eq!(headers.len(), 4, "a key column and one per run: {headers:?}");
    // Each metric row marks its best run (ties may mark several).
    let metric_rows = count(&app, "[data-testid='metric-row']").await;
    assert!(metric_rows > 0 && count(&app, "[data-testid='best']").await >= metric_rows);
    // The runs' curves, overlaid, under the tables.
    app.wait_css("[data-testid='compare-charts'] .u-over").await;
    app.screenshot("compare").await;
    app.d().execute("document.querySelector(\"[data-testid='compare-charts']\").scrollIntoView()", vec![]).await.unwrap();
    app.screenshot("compare-curves").await;
    // Params against the metric: a point and a line per run; a point opens its run.
    app.d().execute("document.querySelector(\"[data-testid='compare-plots']\").scrollIntoView()", vec![]).await.unwrap();
    app.wait_css("[data-testid='scatter-point']").await;
    assert_eq!(count(&app, "[data-testid='scatter-point']").await, 3);
    assert_eq!(count(&app, "[data-testid='parallel-line']").await, 3);
    let y = app.script_text("return document.querySelector(\"[data-testid='scatter-y']\").value").await;
    let matter = app.script_text("return document.querySelector(\"[data-testid='importance-metric']\").value").await;
    assert_eq!(y, format!("metric:{matter}"), "the scatter opens on the metric whose params matter");
    app.screenshot("compare-plots").await;
    let name = app.script_text("return document.querySelector(\"[data-testid='scatter-point'] title\").textContent.split('\\n')[0]").await;
    app.d()
        .execute("document.querySelector(\"[data-testid='scatter-point']\").dispatchEvent(new MouseEvent('click', {bubbles: true}))", vec![])
        .await
        .unwrap();
    app.wait_text("[data-testid='run-title']", &name).await;
    app.wait_css("[data-testid='run-back']").await.click().await.unwrap();
    app.wait_css("[data-testid='compare-view']").await;
    app.d().execute("document.querySelector(\"[data-testid='compare-view'] .scroll\").scrollTop = 0", vec![]).await.unwrap();

    app.wait_css("[data-testid='only-differences']").await.click().await.unwrap();
    let deadline = Instant::now() + TIMEOUT;
    while count(&app, "[data-testid='compare-params'] [data-testid='value-row']").await != differing {
        assert!(Instant::now() < deadline, "the rows never shrank to the {differing} that differ");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.wait_text("[data-testid='params-count']", &format!("{differing} of {all} keys")).await;
    app.screenshot("compare-only-differences").await;

    // Saying that higher val/loss is better moves its star, and is remembered.
    let loss_row = "return [...document.querySelectorAll(\"[data-testid='metric-row']\")].find(r => r.innerText.includes('val/loss'))";
    let before = app.script_text(&format!("{loss_row}.querySelector('td.best').cellIndex.toString()")).await;
    app.d().execute(&format!("{loss_row}.querySelector(\"[data-testid='direction']\").click()"), vec![]).await.unwrap();
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let after = app.script_text(&format!("{loss_row}.querySelector('td.best').cellIndex.toString()")).await;
        if !after.is_empty() && after != before {
            break;
        }
        assert!(Instant::now() < deadline, "the best val/loss never moved from column {before}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Export: the command the save dialog's answer goes to, with a path of ours.
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("compare.html");
    let ids: Vec<String> = {
        let ret = app
            .d()
            .execute(
                "return window.__TAURI_INTERNALS__.invoke('runs_page', {request: {includeDeleted: false, filter: \"name ~ 'lr='\", sort: [], offset: 0, limit: 10}}).then(p => p.runs.map(r => r.id));",
                vec![],
            )
            .await
            .unwrap();
        serde_json::from_value(ret.json().clone()).unwrap()
    };
    assert_eq!(ids.len(), 3);
    let ret = app
        .d()
        .execute(
            "return window.__TAURI_INTERNALS__.invoke('export_report', {request: {runIds: arguments[0], path: arguments[1], format: null, metrics: [], title: null}});",
            vec![json!(ids), json!(report.display().to_string())],
        )
        .await
        .unwrap();
    assert_eq!(ret.json()["files"], json!([report.display().to_string()]));
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("<title>Comparison of 3 runs</title>"), "the report is written");
    for id in &ids {
        assert!(html.contains(id.as_str()));
    }
    app.wait_text("[data-testid='export-report']", "Export report").await;

    // And as a user does it: the button, the native save dialog (typed into with xdotool,
    // as a person types), the written file offered to open or show in its folder.
    let md = out.path().join("typed.md");
    app.wait_css("[data-testid='export-report']").await.click().await.unwrap();
    answer_save_dialog(&md);
    let banner = app.wait_text("[data-testid='exported']", "typed.md").await;
    assert!(banner.contains("Open") && banner.contains("Show in folder"), "{banner}");
    assert!(std::fs::read_to_string(&md).unwrap().starts_with("# Comparison of 3 runs"), "the dialog's answer is written as Markdown");
    app.screenshot("compare-exported").await;
    // Under Xvfb there is no file manager: showing the folder fails with a message, and
    // the Compare view stays.
    app.wait_css("[data-testid='reveal-report']").await.click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && count(&app, "[data-testid='error-dialog']").await == 0 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if count(&app, "[data-testid='error-dialog']").await > 0 {
        let text = app.wait_css("[data-testid='error-dialog']").await.text().await.unwrap();
        assert!(text.contains("cannot show the folder of"), "{text}");
        app.screenshot("compare-reveal-failed").await;
        app.wait_css("[data-testid='error-dialog'] [data-testid='dialog-close']").await.click().await.unwrap();
    }
    app.wait_css("[data-testid='compare-view']").await;
    app.wait_css("[data-testid='compare-back']").await.click().await.unwrap();
    app.wait_css("[data-testid='runs-table']").await;
    app.quit().await;
}

/// Types `path` into the native save dialog once it is up, and presses Enter.
fn answer_save_dialog(path: &Path) {
    let xdotool = |args: &[&str]| Command::new("xdotool").args(args).output().expect("xdotool (scripts/setup.sh --test installs it)");
    let deadline = Instant::now() + TIMEOUT;
    let window = loop {
        let found = xdotool(&["search", "--name", "^Export report$"]);
        if let Some(id) = String::from_utf8_lossy(&found.stdout).lines().next() {
            break id.to_string();
        }
        assert!(Instant::now() < deadline, "the save dialog never opened");
        std::thread::sleep(Duration::from_millis(200));
    };
    std::thread::sleep(Duration::from_millis(500));
    xdotool(&["windowfocus", "--sync", &window]);
    xdotool(&["key", "ctrl+a"]);
    xdotool(&["type", "--delay", "10", &path.display().to_string()]);
    xdotool(&["key", "Return"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn double_clicking_a_run_opens_its_page() {
    let app = App::start(&[fixture("mlflow-file")]).await;
    app.texts("[data-testid='run-name']", 10).await;
    open_run_page(&app, "resnet18-baseline").await;
    // Its params as the store has them (the fixture's expected.json), and its artifacts.
    let text = std::fs::read_to_string(repo_root().join("tests/fixtures/expected.json")).unwrap();
    let all: Value = serde_json::from_str(&text).unwrap();
    let run = all["kinds"]["mlflow-file"]["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["runs"].as_array().unwrap())
        .find(|r| r["name"] == "resnet18-baseline")
        .unwrap()
        .clone();
    let params = app.wait_text("[data-testid='run-params']", "learning_rate").await;
    for (k, v) in run["params"].as_object().unwrap() {
        assert!(params.contains(&format!("{k}\t{}", v.as_str().unwrap())), "{k} = {v} missing from {params}");
    }
    app.wait_css("[data-testid='run-artifacts'] tr").await;
    // The dataset it consumed, as its MLflow inputs record it.
    let datasets = app.wait_text("[data-testid='run-datasets']", "toy-train").await;
    assert!(datasets.contains("a9e63616") && datasets.contains("training"), "{datasets}");
    app.d().execute("document.querySelector(\"[data-testid='run-datasets']\").scrollIntoView()", vec![]).await.unwrap();
    app.screenshot("run-page-datasets").await;
    // The reproduce command from what MLflow recorded (its tags name the commit and the
    // script; it keeps no arguments, which the page says).
    let commit = run["tags"]["mlflow.source.git.commit"].as_str().unwrap();
    let command = app.wait_text("[data-testid='reproduce-command']", "git checkout").await;
    assert!(command.starts_with(&format!("git checkout {commit} && python ")), "{command}");
    app.wait_text("[data-testid='reproduce']", "the tracker does not record the arguments").await;
    app.d().execute("document.querySelector(\"[data-testid='reproduce']\").scrollIntoView()", vec![]).await.unwrap();
    app.screenshot("run-page-reproduce").await;
    // Its curves, charted from the start.
    app.d().execute("document.querySelector(\"[data-testid='run-page'] .scroll\").scrollTop = 0", vec![]).await.unwrap();
    app.wait_css("[data-testid='run-charts'] .u-over").await;
    app.screenshot("run-page").await;

    // Star it, note it (markup stays text) and label it; the table shows and filters by them.
    app.wait_css("[data-testid='run-star']").await.click().await.unwrap();
    app.wait_text("[data-testid='run-star']", "★").await;
    app.wait_css("[data-testid='edit-note']").await.click().await.unwrap();
    let note = app.wait_css("[data-testid='note-input']").await;
    note.send_keys("<b>keep</b> as the baseline").await.unwrap();
    app.wait_css("[data-testid='save-note']").await.click().await.unwrap();
    app.wait_text("[data-testid='note-text']", "<b>keep</b> as the baseline").await;
    let label = app.wait_css("[data-testid='label-input']").await;
    label.send_keys("paper-fig-2" + Key::Enter).await.unwrap();
    app.wait_text("[data-testid='run-labels']", "paper-fig-2").await;
    app.d().execute("document.querySelector(\"[data-testid='run-page'] .scroll\").scrollTop = 0", vec![]).await.unwrap();
    app.screenshot("run-page-annotated").await;
    app.wait_css("[data-testid='run-back']").await.click().await.unwrap();
    app.wait_css("[data-testid='runs-table']").await;
    let input = app.wait_css("[data-testid='filter-input']").await;
    input.clear().await.unwrap();
    input.send_keys("label = 'paper-fig-2' and starred = true").await.unwrap();
    app.wait_text("[data-testid='run-count']", "1 runs").await;
    assert_eq!(app.texts("[data-testid='run-name']", 1).await, ["resnet18-baseline"]);
    app.wait_css("[data-testid='row-star']").await;
    app.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_runs_recorded_environments_are_diffed_as_text() {
    let app = App::start(&[fixture("mlflow-file"), fixture("wandb")]).await;
    app.texts("[data-testid='run-name']", 12).await;
    let input = app.wait_css("[data-testid='filter-input']").await;
    input.send_keys("name = 'resnet18-baseline' or name = 'baseline-resnet'").await.unwrap();
    app.wait_text("[data-testid='run-count']", "2 runs").await;
    for pick in app.d().find_all(By::Css("[data-testid='run-select']")).await.unwrap() {
        pick.click().await.unwrap();
    }
    app.wait_css("[data-testid='compare']").await.click().await.unwrap();
    app.wait_text("[data-testid='compare-code']", "3083e5309fb6").await;
    app.wait_css("[data-testid='diff']").await.click().await.unwrap();
    // The MLflow run's logged model environment against the W&B run's requirements: the
    // files of one only, and requirements.txt of both as a unified diff, in text.
    let files = app.texts("[data-testid='diff-file'] .filename code", 3).await;
    assert_eq!(files, ["conda.yaml", "python_env.yaml", "requirements.txt"]);
    let text = app.wait_text("[data-testid='compare-code']", "+++ ").await;
    assert!(text.contains("only in the first run") || text.contains("only in the second run"), "{text}");
    assert!(count(&app, "[data-testid='diff-file'] .unified .add").await > 0, "added lines marked");
    app.d().execute("document.querySelector(\"[data-testid='compare-code']\").scrollIntoView()", vec![]).await.unwrap();
    app.screenshot("compare-code").await;
    // A file both runs produced (their model folders' config.json), diffed the same way.
    app.d()
        .execute(
            "const s = document.querySelector(\"[data-testid='artifact-diff-path']\"); s.value = 'model/config.json'; s.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![],
        )
        .await
        .unwrap();
    let diff = app.wait_text("[data-testid='artifact-diff']", "+++ ").await;
    let (first, second) =
        if diff.contains("--- resnet18-baseline") { ("resnet18-baseline", "baseline-resnet") } else { ("baseline-resnet", "resnet18-baseline") };
    assert!(diff.contains(&format!("-  \"label\": \"{first}\"")) && diff.contains(&format!("+  \"label\": \"{second}\"")), "{diff}");
    app.d().execute("document.querySelector(\"[data-testid='artifact-diff']\").scrollIntoView()", vec![]).await.unwrap();
    app.screenshot("compare-artifact-diff").await;
    app.quit().await;
}

/// Filters the table down to the run named `name` and double-clicks it: its page opens.
async fn open_run_page(app: &App, name: &str) {
    let input = app.wait_css("[data-testid='filter-input']").await;
    input.clear().await.unwrap();
    input.send_keys(format!("name = '{name}'")).await.unwrap();
    app.wait_text("[data-testid='run-count']", "1 runs").await;
    let row = app.wait_css("[data-testid='run-name']").await;
    app.d().action_chain().double_click_element(&row).perform().await.unwrap();
    app.wait_text("[data-testid='run-title']", name).await;
}

/// Clicks the run page's artifact `path` and waits for its preview of `testid`, scrolled into view.
async fn open_artifact(app: &App, path: &str, testid: &str) -> WebElement {
    let clicked = app
        .d()
        .execute(
            "const b = [...document.querySelectorAll(\"[data-testid='artifact']\")].find((b) => b.dataset.path === arguments[0]); if (b) b.click(); return !!b;",
            vec![json!(path)],
        )
        .await
        .unwrap();
    assert_eq!(clicked.json(), &json!(true), "no artifact {path} on the page");
    app.wait_text("[data-testid='artifact-preview'] .path", path).await;
    let shown = app.wait_css(&format!("[data-testid='{testid}']")).await;
    app.d().execute("document.querySelector(\"[data-testid='artifact-preview']\").scrollIntoView()", vec![]).await.unwrap();
    shown
}

#[tokio::test(flavor = "multi_thread")]
async fn a_runs_artifacts_open_as_what_they_are() {
    let app = App::start(&[fixture("mlflow-file"), fixture("tensorboard")]).await;
    app.texts("[data-testid='run-name']", 10).await;
    open_run_page(&app, "resnet18-baseline").await;
    let folder = repo_root().join("tests/fixtures/mlflow-file/mlruns/171616798534474200/4b6a27fca6a84e3d93decb025d038692/artifacts");

    // A tree: the `plots` folder with its files below it, each with its time and kind;
    // closed, its files go; open again, they are back.
    let plots = app.wait_css("[data-testid='artifact-folder'][data-path='plots']").await;
    let files_in_plots =
        "return [...document.querySelectorAll(\"[data-testid='artifact']\")].filter((b) => b.dataset.path.startsWith('plots/')).length;";
    let before = app.d().execute(files_in_plots, vec![]).await.unwrap().json().as_u64().unwrap();
    assert!(before > 0);
    let row = app
        .script_text("return document.querySelector(\"[data-testid='artifact'][data-path='plots/loss_curve.png']\").closest('tr').textContent;")
        .await;
    assert!(row.contains("image") && row.contains("20"), "size, modification time and kind: {row}");
    app.d().execute("document.querySelector(\"[data-testid='run-artifacts']\").scrollIntoView()", vec![]).await.unwrap();
    app.screenshot("artifact-tree").await;
    plots.click().await.unwrap();
    assert_eq!(app.d().execute(files_in_plots, vec![]).await.unwrap().json().as_u64(), Some(0));
    app.wait_css("[data-testid='artifact-folder'][data-path='plots']").await.click().await.unwrap();
    assert_eq!(app.d().execute(files_in_plots, vec![]).await.unwrap().json().as_u64(), Some(before));

    // An image, decoded by the web view at its own size.
    open_artifact(&app, "plots/loss_curve.png", "artifact-image").await;
    let (w, h) = decoded_image(&app).await;
    assert!(w > 100 && h > 100, "{w}×{h}");
    app.screenshot("artifact-image").await;

    // A CSV as a table with every row of the file, sortable by a column.
    let table = open_artifact(&app, "eval/predictions.csv", "artifact-table").await;
    let csv = std::fs::read_to_string(folder.join("eval/predictions.csv")).unwrap();
    let rows = table.find_all(By::Css("tbody tr")).await.unwrap();
    assert_eq!(rows.len(), csv.lines().count() - 1, "every row of the file");
    let first_column: Vec<String> = csv.lines().skip(1).map(|l| l.split(',').next().unwrap().to_string()).collect();
    table.find(By::Css("th button")).await.unwrap().click().await.unwrap();
    table.find(By::Css("th button")).await.unwrap().click().await.unwrap();
    let shown: Vec<String> = serde_json::from_value(
        app.d()
            .execute(
                "return [...document.querySelectorAll(\"[data-testid='artifact-table'] tbody tr td:first-child\")].map((td) => td.textContent);",
                vec![],
            )
            .await
            .unwrap()
            .json()
            .clone(),
    )
    .unwrap();
    let mut want = first_column.clone();
    want.sort_by(|a, b| b.parse::<f64>().unwrap().total_cmp(&a.parse::<f64>().unwrap()));
    assert_eq!(shown, want, "sorted by the first column, descending");
    app.screenshot("artifact-table").await;
    // A file of its own can be handed to the system's program or shown in its folder.
    app.wait_text("[data-testid='artifact-open']", "Open").await;
    app.wait_text("[data-testid='artifact-reveal']", "Show in folder").await;

    // A log as text, as the file holds it; a JSON file re-indented.
    let text = open_artifact(&app, "logs/train.log", "artifact-text").await;
    assert_eq!(text.text().await.unwrap().trim_end(), std::fs::read_to_string(folder.join("logs/train.log")).unwrap().trim_end());
    app.screenshot("artifact-text").await;
    let json_text = open_artifact(&app, "eval/summary.json", "artifact-text").await;
    let shown: Value = serde_json::from_str(&json_text.text().await.unwrap()).unwrap();
    let written: Value = serde_json::from_str(&std::fs::read_to_string(folder.join("eval/summary.json")).unwrap()).unwrap();
    assert_eq!(shown, written);
    // Folded to its top-level keys, one line each (those holding an object or a list
    // folded); unfolded, whole again.
    app.wait_css("[data-testid='fold-all']").await.click().await.unwrap();
    let folded = app.texts("[data-testid='folded']", 1).await;
    let blocks = written.as_object().unwrap().values().filter(|v| v.is_object() || v.is_array()).count();
    assert_eq!(folded.len(), blocks, "{folded:?}");
    let lines = app.script_text("return document.querySelector(\"[data-testid='artifact-text']\").innerText;").await;
    let lines = lines.lines().count();
    assert_eq!(lines, 2 + written.as_object().unwrap().len() + blocks, "the braces, a line per key, a closing line per folded block");
    app.screenshot("artifact-json-folded").await;
    app.wait_css("[data-testid='unfold-all']").await.click().await.unwrap();
    let text = app.wait_css("[data-testid='artifact-text']").await.text().await.unwrap();
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), written);
    // A YAML block folds by its indentation, from its own toggle.
    open_artifact(&app, "config/config.yaml", "artifact-text").await;
    let toggles = app.d().find_all(By::Css("[data-testid='fold']")).await.unwrap();
    assert!(!toggles.is_empty(), "config.yaml has nested blocks");
    toggles[0].click().await.unwrap();
    app.wait_text("[data-testid='folded']", "lines").await;

    // A file other runs hold the same bytes of says which.
    open_artifact(&app, "model/vocab.txt", "artifact-text").await;
    let same = app.wait_text("[data-testid='artifact-same']", "Same bytes as").await;
    assert_eq!(same.matches("(model/vocab.txt)").count(), 2, "the two other MLflow runs with this vocabulary: {same}");
    app.screenshot("artifact-same").await;

    // Model weights: described and hashed, never opened.
    open_artifact(&app, "model/weights.bin", "artifact-binary").await;
    let facts = app.wait_text("[data-testid='artifact-binary']", "BLAKE3").await;
    assert!(facts.contains("2.0 KiB") && facts.contains("binary weights"), "{facts}");
    app.screenshot("artifact-binary").await;
    app.wait_css("[data-testid='artifact-close']").await.click().await.unwrap();
    let gone = app.d().find_all(By::Css("[data-testid='artifact-preview']")).await.unwrap();
    assert!(gone.is_empty(), "closed");

    // An image inside a TensorBoard event file, taken out of it.
    app.wait_css("[data-testid='run-back']").await.click().await.unwrap();
    open_run_page(&app, "cifar-cnn/augmented").await;
    open_artifact(&app, "images/samples/input/0.png", "artifact-image").await;
    let (w, h) = decoded_image(&app).await;
    assert!(w > 0 && h > 0, "{w}×{h}");
    app.screenshot("artifact-tensorboard-image").await;
    let handed = app.d().find_all(By::Css("[data-testid='artifact-open']")).await.unwrap();
    assert!(handed.is_empty(), "a file inside a log is not offered to other programs");
    app.quit().await;
}

/// The width and height the previewed image decoded to (waits for it to decode).
async fn decoded_image(app: &App) -> (u64, u64) {
    for _ in 0..50 {
        let size = app
            .d()
            .execute("const i = document.querySelector(\"[data-testid='artifact-image']\"); return [i.naturalWidth, i.naturalHeight];", vec![])
            .await
            .unwrap()
            .json()
            .clone();
        let (w, h) = (size[0].as_u64().unwrap_or(0), size[1].as_u64().unwrap_or(0));
        if w > 0 {
            return (w, h);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (0, 0)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_image_of_several_runs_side_by_side_by_step() {
    let app = App::start(&[fixture("dvclive")]).await;
    app.texts("[data-testid='run-name']", 3).await;
    app.wait_css("[data-testid='select-all']").await.click().await.unwrap();
    app.wait_css("[data-testid='compare']").await.click().await.unwrap();
    app.wait_css("[data-testid='compare-view']").await;
    app.d().execute("document.querySelector(\"[data-testid='compare-artifacts']\").scrollIntoView()", vec![]).await.unwrap();
    // The most shared image first: the loss plot every run has, one row.
    let select = app.wait_css("[data-testid='artifact-pattern']").await;
    assert!(select.text().await.unwrap().starts_with("plots/images/loss_curve.png (3 of 3 runs"), "{}", select.text().await.unwrap());
    assert_eq!(app.texts("[data-testid='artifact-cell'] img", 3).await.len(), 3);
    // Thumbnails scaled in Rust to the cells (the plots are 240 px wide), not the images as they are.
    let widest = app
        .d()
        .execute_async(
            "const done = arguments[0]; const imgs = [...document.querySelectorAll(\"[data-testid='artifact-cell'] img\")]; \
             const wait = () => imgs.every((i) => i.naturalWidth > 0) ? done(Math.max(...imgs.map((i) => i.naturalWidth)) / devicePixelRatio) : setTimeout(wait, 50); wait();",
            vec![],
        )
        .await
        .unwrap()
        .json()
        .as_f64()
        .unwrap();
    assert!(widest > 64.0 && widest <= 142.0, "{widest}");
    // The samples, one per step: rows 0, 49 and 79; each run has the steps it logged.
    app.d()
        .execute(
            "const s = document.querySelector(\"[data-testid='artifact-pattern']\"); s.value = 'plots/images/samples/step_{N}.png'; s.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![],
        )
        .await
        .unwrap();
    app.wait_text("[data-testid='artifact-grid']", "step 79").await;
    let mut decoded = 0;
    for _ in 0..50 {
        decoded = app
            .d()
            .execute("return [...document.querySelectorAll(\"[data-testid='artifact-cell'] img\")].filter((i) => i.naturalWidth > 0).length;", vec![])
            .await
            .unwrap()
            .json()
            .as_u64()
            .unwrap_or(0);
        if decoded == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(decoded, 4, "two runs' samples at their two steps each");
    let cells = app.d().find_all(By::Css("[data-testid='artifact-cell']")).await.unwrap();
    assert_eq!(cells.len(), 9, "3 steps × 3 runs");
    app.d().execute("document.querySelector(\"[data-testid='compare-artifacts']\").scrollIntoView()", vec![]).await.unwrap();
    app.screenshot("compare-artifacts").await;

    // One step at a time, larger: the slider picks the step for every run at once.
    let rows_view = cell_titles(&app).await;
    assert_eq!(rows_view.len(), 9);
    app.wait_css("[data-testid='artifact-slider-mode']").await.click().await.unwrap();
    assert_eq!(app.wait_text("[data-testid='artifact-step']", "step").await, "step 0");
    let cells = app.d().find_all(By::Css("[data-testid='artifact-cell']")).await.unwrap();
    assert_eq!(cells.len(), 3, "1 step × 3 runs");
    app.d()
        .execute(
            "const s = document.querySelector(\"[data-testid='artifact-step-slider']\"); s.value = '2'; s.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![],
        )
        .await
        .unwrap();
    app.wait_text("[data-testid='artifact-step']", "step 79").await;
    let shown = cell_titles(&app).await;
    assert_eq!(shown, rows_view[6..9], "the slider's step 79 shows what the rows view's third row did");
    assert!(shown.iter().any(|t| t.ends_with("step_79.png")), "{shown:?}");
    app.d().execute("document.querySelector(\"[data-testid='compare-artifacts']\").scrollIntoView()", vec![]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.screenshot("compare-artifacts-slider").await;
    app.quit().await;
}

/// The centre of the runs table's row of run `name`, in CSS pixels.
async fn row_centre(app: &App, name: &str) -> (f64, f64) {
    let at = app
        .d()
        .execute(
            "const row = [...document.querySelectorAll(\"[data-testid='run-row']\")].find((r) => r.querySelector(\"[data-testid='run-name']\").textContent === arguments[0]); \
             const b = row.getBoundingClientRect(); return [b.left + b.width / 2, b.top + b.height / 2];",
            vec![json!(name)],
        )
        .await
        .unwrap()
        .json()
        .clone();
    (at[0].as_f64().unwrap(), at[1].as_f64().unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_folder_dropped_on_a_run_is_attached_to_it_and_detached_again() {
    let app = App::start(&[fixture("sacred")]).await;
    app.texts("[data-testid='run-name']", 6).await;
    // An output folder the tracker did not record: samples per step and a log.
    let dir = tempfile::tempdir().unwrap();
    let outputs = dir.path().join("mnist-outputs");
    std::fs::create_dir_all(outputs.join("samples")).unwrap();
    let png = std::fs::read(repo_root().join("tests/fixtures/sacred/mnist_cnn/1/loss_curve.png")).unwrap();
    for step in [0, 5] {
        std::fs::write(outputs.join(format!("samples/step_{step}.png")), &png).unwrap();
    }
    std::fs::write(outputs.join("predictions.txt"), "1 cat\n2 dog\n").unwrap();
    let paths = [outputs.to_string_lossy().into_owned()];

    // Dragged over a run's row: that row is marked and the overlay says what a drop does.
    let at = row_centre(&app, "mnist_cnn #1").await;
    app.drag("tauri://drag-over", &paths, at).await;
    app.wait_text("[data-testid='drop-overlay']", "Drop to attach this folder to mnist_cnn #1").await;
    let marked =
        app.script_text("return [...document.querySelectorAll(\"tr.drop [data-testid='run-name']\")].map((n) => n.textContent).join(',');").await;
    assert_eq!(marked, "mnist_cnn #1");
    app.screenshot("attach-drag-over").await;
    // Dropped there: attached to that run, not searched for stores.
    app.drag("tauri://drag-drop", &paths, at).await;
    let told = app.wait_text("[data-testid='outcome']", "Attached").await;
    assert!(told.ends_with("to mnist_cnn #1: 3 files"), "{told}");
    assert_eq!(app.texts("[data-testid='run-name']", 6).await.len(), 6, "no store was added");

    // The run's page lists the folder and its files; an attached image opens.
    open_run_page(&app, "mnist_cnn #1").await;
    let real = std::fs::canonicalize(&outputs).unwrap();
    app.wait_text("[data-testid='attached-folders']", &real.to_string_lossy()).await;
    open_artifact(&app, "samples/step_5.png", "artifact-image").await;
    let (w, h) = decoded_image(&app).await;
    assert!(w > 100 && h > 100, "{w}×{h}");
    app.wait_text("[data-testid='artifact-open']", "Open").await;
    app.screenshot("artifact-attached").await;
    // Disk use counts the folder apart from the store, under the run it is attached to.
    app.wait_css("[data-testid='open-storage']").await.click().await.unwrap();
    let attached = app.wait_text("[data-testid='storage-attached']", "mnist-outputs").await;
    assert!(attached.contains("attached to mnist_cnn #1") && attached.contains("3 files"), "{attached}");
    app.screenshot("storage-attached").await;
    app.wait_css("[data-testid='storage-dialog'] [data-testid='dialog-close']").await.click().await.unwrap();
    // Detached: its files are gone from the run.
    app.wait_css("[data-testid='detach-folder']").await.click().await.unwrap();
    for _ in 0..50 {
        if app.d().find_all(By::Css("[data-testid='attached-folders']")).await.unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(app.d().find_all(By::Css("[data-testid='attached-folders']")).await.unwrap().is_empty(), "detached");
    let listed = app.script_text("return [...document.querySelectorAll(\"[data-testid='artifact']\")].map((b) => b.dataset.path).join(',');").await;
    assert!(!listed.contains("samples/step_5.png"), "{listed}");
    let left: Vec<usize> = [&outputs, &outputs.join("samples")].iter().map(|d| std::fs::read_dir(d).unwrap().count()).collect();
    assert_eq!(left, [2, 2], "the folder is left as it was");
    app.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn markdown_notebooks_and_html_pages_render_and_nothing_in_them_runs() {
    let app = App::start(&[fixture("sacred")]).await;
    app.texts("[data-testid='run-name']", 6).await;
    // Catches anything a document's script might send out of its frame.
    app.d()
        .execute("window.__escaped = []; window.addEventListener('message', (e) => window.__escaped.push(String(e.data)));", vec![])
        .await
        .unwrap();
    let documents = fixture("documents");
    open_run_page(&app, "mnist_cnn #2").await;
    // Dropped on the run's page: attached to the run.
    app.drag("tauri://drag-drop", &[documents], (700.0, 400.0)).await;
    app.wait_text("[data-testid='attached-folders']", "documents").await;

    // Markdown: formatted; its raw HTML shown as text, nothing of it in the page.
    let md = open_artifact(&app, "NOTES.md", "artifact-markdown").await;
    assert_eq!(md.find(By::Css("h1")).await.unwrap().text().await.unwrap(), "Sweep notes");
    assert_eq!(md.find_all(By::Css("tbody tr")).await.unwrap().len(), 2);
    assert!(md.text().await.unwrap().contains("<script>alert(\"raw html in markdown\")</script>"));
    let active = "return [...document.querySelectorAll(\"[data-testid='artifact-preview'] script, [data-testid='artifact-preview'] img[onerror], [data-testid='artifact-preview'] a[href^='javascript']\")].length;";
    assert_eq!(app.d().execute(active, vec![]).await.unwrap().json(), &json!(0));
    let link = md.find(By::Css("a[href^='https']")).await.unwrap();
    link.click().await.unwrap();
    app.wait_css("[data-testid='run-title']").await;
    app.screenshot("artifact-markdown").await;

    // A notebook: its cells in order, their outputs (a stream, a table, a figure, a traceback).
    let nb = open_artifact(&app, "analysis.ipynb", "artifact-notebook").await;
    assert_eq!(nb.find_all(By::Css("[data-testid='notebook-cell']")).await.unwrap().len(), 5);
    let figure = app
        .d()
        .execute("const i = document.querySelector(\"img[data-testid='notebook-output']\"); return i.decode().then(() => i.naturalWidth);", vec![])
        .await
        .unwrap();
    assert!(figure.json().as_u64().unwrap_or(0) > 100, "the figure decoded: {:?}", figure.json());
    let error = app.wait_text("pre.out.error", "KeyError").await;
    assert!(error.ends_with("KeyError: 'val_loss'") && !error.contains('\u{1b}'), "{error:?}");
    assert!(nb.find(By::Css("table.dataframe, table")).await.unwrap().text().await.unwrap().contains("0.9811"));
    assert_eq!(app.d().execute(active, vec![]).await.unwrap().json(), &json!(0));
    app.screenshot("artifact-notebook").await;

    // An HTML page: drawn in a sandboxed frame; its script and onload never ran.
    let frame = open_artifact(&app, "report.html", "artifact-html").await;
    assert_eq!(frame.attr("sandbox").await.unwrap().as_deref(), Some(""));
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.screenshot("artifact-html").await;
    frame.clone().enter_frame().await.unwrap();
    assert_eq!(app.d().find(By::Css("h1")).await.unwrap().text().await.unwrap(), "Evaluation report");
    assert_eq!(app.d().find(By::Css("body")).await.unwrap().attr("data-loaded").await.unwrap(), None, "onload did not run");
    app.d().enter_default_frame().await.unwrap();
    let escaped = app.d().execute("return window.__escaped;", vec![]).await.unwrap();
    assert_eq!(escaped.json(), &json!([]), "no script of the page ran");
    app.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn disk_use_by_store_run_and_file_and_runs_filtered_by_their_size() {
    let app = App::start(&[fixture("mlflow-file"), fixture("tensorboard")]).await;
    app.texts("[data-testid='run-name']", 10).await;
    // Every run's size as the backend has it, for what the table and the filter must show.
    let rows = app
        .d()
        .execute(
            "return window.__TAURI_INTERNALS__.invoke('runs_page', {request: {includeDeleted: false, filter: '', sort: [], offset: 0, limit: 500}}).then(p => p.runs.map(r => [r.name, r.artifactBytes]));",
            vec![],
        )
        .await
        .unwrap()
        .json()
        .clone();
    let sizes: Vec<(String, u64)> = serde_json::from_value(rows).unwrap();
    let over = sizes.iter().filter(|(_, b)| *b > 20_000).count();
    assert!(over > 0 && over < sizes.len(), "{sizes:?}");
    let input = app.wait_css("[data-testid='filter-input']").await;
    input.send_keys("artifacts.size > 20KB").await.unwrap();
    app.wait_text("[data-testid='run-count']", &format!("{over} runs")).await;
    // Cleared (a blank filter keeps every run).
    input.clear().await.unwrap();
    input.send_keys(" ").await.unwrap();
    app.wait_text("[data-testid='run-count']", &format!("{} runs", sizes.len())).await;
    // Sorted by the Files column, largest first.
    app.wait_css("[data-testid='sort-artifacts']").await.click().await.unwrap();
    app.wait_css("[data-testid='sort-artifacts']").await.click().await.unwrap();
    let largest = sizes.iter().max_by_key(|(_, b)| *b).unwrap();
    for _ in 0..50 {
        if app.texts("[data-testid='run-name']", 1).await[0] == largest.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.texts("[data-testid='run-name']", 1).await[0], largest.0);

    // The disk use dialog: both stores, the run whose event files are largest first.
    app.wait_css("[data-testid='open-storage']").await.click().await.unwrap();
    app.wait_css("[data-testid='storage-dialog']").await;
    assert_eq!(app.texts("[data-testid='store-bytes']", 2).await.len(), 2);
    let runs = app.texts("[data-testid='storage-run']", 1).await;
    assert_eq!(runs[0], "long-run", "{runs:?}");
    assert!(!app.texts("[data-testid='storage-reveal']", 1).await.is_empty());
    app.screenshot("storage-dialog").await;
    app.wait_css("[data-testid='storage-run']").await.click().await.unwrap();
    app.wait_text("[data-testid='run-title']", "long-run").await;
    app.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_datasets_of_compared_runs_side_by_side() {
    let app = App::start(&[fixture("mlflow-file")]).await;
    app.texts("[data-testid='run-name']", 10).await;
    let input = app.wait_css("[data-testid='filter-input']").await;
    input.send_keys("name = 'resnet18-baseline' or name = 'diverged-run'").await.unwrap();
    compare_datasets_of_all(&app, "2 runs").await;
    let row = app.wait_text("[data-testid='compare-datasets']", "toy-train").await;
    assert!(row.contains("a9e63616 (training)"), "{row}");
    app.d().execute("document.querySelector(\"[data-testid='compare-datasets']\").scrollIntoView()", vec![]).await.unwrap();
    app.screenshot("compare-datasets").await;
    app.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_data_versions_a_dvc_project_tracks_are_compared_across_its_runs() {
    let app = App::start(&[fixture("dvc-project")]).await;
    app.texts("[data-testid='run-name']", 2).await;
    open_run_page(&app, "baseline/dvclive").await;
    let datasets = app.wait_text("[data-testid='run-datasets']", "data/raw.csv").await;
    assert!(datasets.contains("e151adcc623d8057b940f9c97553677c") && datasets.contains("stage prepare"), "{datasets}");
    app.d().execute("document.querySelector(\"[data-testid='run-datasets']\").scrollIntoView()", vec![]).await.unwrap();
    app.screenshot("run-page-dvc-datasets").await;
    app.wait_css("[data-testid='run-back']").await.click().await.unwrap();
    let input = app.wait_css("[data-testid='filter-input']").await;
    input.clear().await.unwrap();
    input.send_keys(" ").await.unwrap();
    compare_datasets_of_all(&app, "2 runs").await;
    let rows = app.wait_text("[data-testid='compare-datasets']", "data/raw.csv").await;
    assert!(rows.contains("e151adcc623d8057b940f9c97553677c") && rows.contains("17c9f30895e78eb59edcabb58499ad8e"), "{rows}");
    app.d().execute("document.querySelector(\"[data-testid='compare-datasets']\").scrollIntoView()", vec![]).await.unwrap();
    app.screenshot("compare-dvc-datasets").await;
    app.quit().await;
}

/// Once the table shows `count`, selects every run, compares them, and scrolls to the
/// comparison's datasets.
async fn compare_datasets_of_all(app: &App, count: &str) {
    app.wait_text("[data-testid='run-count']", count).await;
    app.wait_css("[data-testid='select-all']").await.click().await.unwrap();
    app.wait_css("[data-testid='compare']").await.click().await.unwrap();
    app.wait_css("[data-testid='compare-view']").await;
    app.d().execute("document.querySelector(\"[data-testid='compare-datasets']\")?.scrollIntoView()", vec![]).await.unwrap();
}

/// The titles (file paths, or "none") of the artifact grid's cells drawn, row by row.
async fn cell_titles(app: &App) -> Vec<String> {
    let titles =
        app.d().execute("return [...document.querySelectorAll(\"[data-testid='artifact-cell']\")].map((c) => c.title);", vec![]).await.unwrap();
    titles.json().as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect()
}
