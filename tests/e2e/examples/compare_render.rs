//! How long the real app's Compare view takes to render: the app (`$RUNLENS_APP`) indexes
//! `--store`, every run is selected (the table's header box), and the time from the click
//! on "Compare N runs" to the first frame painted with the params and metrics tables (what
//! the window opens on), and to the plots below painted, is read with the page's own
//! clock (`performance.now()`, so WebDriver's round trips are not in it), with the
//! moments the backend's answer arrived and the view's DOM was updated
//! (`performance.mark`s of the UI). Then back to the table, `--reps` times. Prints one JSON object; `runlens-bench --app-driver` runs it
//! under Xvfb and puts it in docs/PERFORMANCE.md.
//!
//! ```text
//! RUNLENS_APP=… xvfb-run -a -s "-screen 0 1280x800x24" \
//!   cargo run --manifest-path tests/e2e/Cargo.toml --example compare_render -- --store DIR --runs 500 --params 200
//! ```

#[path = "../tests/harness/mod.rs"]
mod harness;

use harness::App;
use serde_json::json;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

/// Clicks the Compare button and resolves with the ms until the first frame is painted
/// with what the window opens on: the params table (of `rows` keys) and the metrics table
/// (a task posted from the frame's `requestAnimationFrame` runs after that frame is
/// painted). Then the ms until the plots below (scatter and parallel coordinates, built
/// after the first paint with the curves) are painted too.
const MEASURE: &str = r#"
const [rows, done] = arguments;
const ready = () => (document.querySelector("[data-testid='params-count']")?.textContent ?? "").startsWith(`${rows} of ${rows} keys`)
  && document.querySelector("[data-testid='compare-params'] [data-testid='value-row']")
  && document.querySelector("[data-testid='compare-metrics']");
const plotted = () => document.querySelector("[data-testid='scatter'] svg, [data-testid='scatter'] .muted")
  && document.querySelector("[data-testid='parallel'] svg, [data-testid='parallel'] .muted");
performance.clearMarks();
const t0 = performance.now();
document.querySelector("[data-testid='compare']").click();
const at = (name) => (performance.getEntriesByName(name).at(-1)?.startTime ?? NaN) - t0;
let painted = NaN, seen = NaN, nodes = 0;
const poll = () => {
  if (isNaN(seen) && ready()) {
    seen = performance.now() - t0;
    nodes = document.getElementsByTagName("*").length;
    setTimeout(() => { painted = performance.now() - t0; requestAnimationFrame(poll); }, 0);
    return;
  }
  if (!isNaN(painted) && plotted()) {
    setTimeout(() => done([painted, at("compare-answer"), at("compare-dom"), seen, nodes, performance.now() - t0]), 0);
    return;
  }
  if (performance.now() - t0 > 60000) done([-1, 0, 0]);
  else requestAnimationFrame(poll);
};
requestAnimationFrame(poll);
"#;

/// The backend's share: `compare_runs` of every run, invoked from the page, in ms.
const BACKEND: &str = r#"
const done = arguments[0];
const invoke = window.__TAURI_INTERNALS__.invoke;
invoke("matching_runs", { request: { includeDeleted: false, filter: "", sort: [], offset: 0, limit: 0 } }).then(async (runIds) => {
  const t0 = performance.now();
  await invoke("compare_runs", { request: { runIds, metric: null, aggregate: "latest", scatterX: null, scatterY: null, parallel: null } });
  done(performance.now() - t0);
});
"#;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let store = arg("--store").expect("--store DIR");
    let runs: usize = arg("--runs").expect("--runs N").parse().unwrap();
    let params: usize = arg("--params").expect("--params N").parse().unwrap();
    let reps: usize = arg("--reps").map(|r| r.parse().unwrap()).unwrap_or(5);
    let app = App::start(&[store]).await;
    app.wait_text("[data-testid='run-count']", &format!("{runs} runs")).await;
    app.wait_css("[data-testid='select-all']").await.click().await.unwrap();
    app.wait_text("[data-testid='compare']", &format!("Compare {runs} runs")).await;
    let (mut ms, mut answer, mut dom, mut ready, mut plots, mut nodes) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), 0.0);
    for rep in 0..reps {
        let ret = app.d().execute_async(MEASURE, vec![json!(params)]).await.unwrap();
        let times: Vec<f64> = ret.json().as_array().unwrap().iter().map(|v| v.as_f64().unwrap_or(f64::NAN)).collect();
        assert!(times[0] >= 0.0, "the Compare view never showed its {params} params");
        ms.push(times[0]);
        answer.push(times[1]);
        dom.push(times[2]);
        ready.push(times[3]);
        nodes = times[4];
        plots.push(times[5]);
        if rep + 1 == reps {
            app.screenshot("compare-bench").await;
            app.d().execute("document.querySelector(\"[data-testid='compare-plots']\").scrollIntoView()", vec![]).await.unwrap();
            app.screenshot("compare-bench-plots").await;
        }
        app.wait_css("[data-testid='compare-back']").await.click().await.unwrap();
        app.wait_css("[data-testid='runs-table']").await;
    }
    let mut backend = Vec::new();
    for _ in 0..reps {
        backend.push(app.d().execute_async(BACKEND, vec![]).await.unwrap().json().as_f64().unwrap_or(-1.0));
    }
    let shown = app.script_text("return String(document.querySelectorAll(\"[data-testid='run-row']\").length)").await;
    println!(
        "{}",
        json!({ "runs": runs, "params": params, "click_to_painted_ms": ms, "click_to_answer_ms": answer, "click_to_dom_ms": dom, "click_to_ready_seen_ms": ready, "click_to_plots_painted_ms": plots, "elements": nodes, "compare_runs_ms": backend, "rows_in_table": shown })
    );
    app.quit().await;
}
