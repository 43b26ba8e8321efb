//! The filter language and sort keys against the real fixtures: the runs each query
//! returns, by name.

mod common;

use common::{TestIndex, fixture};
use runlens_index::{IndexError, RunsQuery};

fn indexed() -> TestIndex {
    let mut t = TestIndex::new();
    t.add(&fixture("mlflow-file"));
    t.add(&fixture("mlflow-sqlite"));
    t
}

fn names(t: &TestIndex, filter: &str, sort: &[&str]) -> Vec<String> {
    let query = RunsQuery { filter: Some(filter.into()), sort: sort.iter().map(|s| s.to_string()).collect(), ..Default::default() };
    t.index.runs(&query).unwrap().into_iter().map(|r| r.name).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn mlflow_style_filters_select_the_right_runs() {
    let t = indexed();
    assert_eq!(
        sorted(names(&t, "params.optimizer = 'adamw' and attributes.status = 'FINISHED'", &[])),
        sorted(
            t.index
                .runs(&RunsQuery::default())
                .unwrap()
                .into_iter()
                .filter(|r| r.params.get("optimizer").map(String::as_str) == Some("adamw") && r.status == "finished")
                .map(|r| r.name)
                .collect()
        )
    );
    assert_eq!(names(&t, "tags.mlflow.runName like 'lr=%'", &["name"]), ["lr=0.001", "lr=0.01", "lr=0.1"]);
    assert_eq!(names(&t, "status = 'RUNNING'", &["name"]), ["live-training", "still-training"]);
    assert_eq!(names(&t, "attributes.status in ('FAILED', 'KILLED')", &["name"]), ["diverged-run", "killed-by-user", "oom-crash"]);
}

#[test]
fn metrics_compare_their_latest_value_unless_told_otherwise() {
    let t = indexed();
    // resnet18-baseline's last logged train/loss is a re-logged step-0 value (2.48); its
    // latest (step 199) is 0.166.
    let low = names(&t, "metrics.`train/loss` < 0.2", &[]);
    assert!(low.contains(&"resnet18-baseline".to_string()), "{low:?}");
    assert!(!names(&t, "metrics.`train/loss`.last < 0.2", &[]).contains(&"resnet18-baseline".to_string()));
    assert!(names(&t, "metrics.`train/loss`.max > 2.4", &[]).contains(&"resnet18-baseline".to_string()));
    // Every run with a train/loss min below its latest value, sorted by that min.
    let best = names(&t, "metrics.`train/loss`.min < 1", &["metrics.train/loss.min"]);
    let all = t.index.runs(&RunsQuery::default()).unwrap();
    let mut expected: Vec<(f64, String)> =
        all.iter().filter_map(|r| r.metrics.get("train/loss").filter(|m| m.min < 1.0).map(|m| (m.min, r.name.clone()))).collect();
    expected.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert_eq!(best, expected.into_iter().map(|(_, n)| n).collect::<Vec<_>>());
}

#[test]
fn or_not_parentheses_regex_and_unicode() {
    let t = indexed();
    assert_eq!(names(&t, "name ~ '^trial-[01] ' or name = 'hp-search'", &["name"]), ["hp-search", "trial-0 dropout=0.1", "trial-1 dropout=0.3"]);
    assert_eq!(names(&t, "experiment ilike 'ünïcödé%'", &["name"]), ["Läufer № 1 (σ=0.5)", "run with   spaces & ümlauts 🚀"]);
    let not_mlflow_file = names(&t, "not (store like '%mlruns') and not status = 'running'", &[]);
    assert_eq!(not_mlflow_file.len(), 7, "{not_mlflow_file:?}");
    assert_eq!(names(&t, "metrics.`val accuracy` > 0", &[]), ["Läufer № 1 (σ=0.5)"]);
    assert_eq!(names(&t, "metrics.точность > 0", &[]), ["Läufer № 1 (σ=0.5)"]);
}

#[test]
fn latest_keeps_mlflow_s_tie_break_when_a_rescan_appends_to_the_highest_step() {
    // quick-check's train/loss ends `1715058028500 0.32908087447078654 19`. MLflow's latest
    // is the point with the highest (step, timestamp, value), whatever the logging order.
    let mut t = TestIndex::new();
    let store = t.copy_of("mlflow-file");
    t.add(&store);
    let file = store.join("mlruns/0/e1eca61a239941b493faea779cf81e6f/metrics/train/loss");
    let append = |line: &str| {
        use std::io::Write;
        std::fs::OpenOptions::new().append(true).open(&file).unwrap().write_all(line.as_bytes()).unwrap();
    };
    let latest = |t: &mut TestIndex| {
        t.scan();
        names(t, "metrics.`train/loss` = 0.32908087447078654", &[]) == ["quick-check"]
    };
    append("1715058020000 5.0 19\n");
    assert!(latest(&mut t), "an earlier timestamp logged later at the same step does not win");
    append("1715058028500 0.1 19\n");
    assert!(latest(&mut t), "nor a smaller value at the same step and timestamp");
    append("1715058028500 0.9 19\n");
    assert!(!latest(&mut t) && names(&t, "metrics.`train/loss` = 0.9", &[]) == ["quick-check"], "a larger value at the same step and timestamp wins");
    append("1715058030000 0.2 19\n");
    t.scan();
    assert_eq!(names(&t, "metrics.`train/loss` = 0.2", &[]), ["quick-check"], "a later timestamp wins");
}

#[test]
fn numeric_params_compare_as_numbers_and_sort_numerically() {
    let t = indexed();
    // weight_decay: lr=0.1 1.934e-05, lr=0.01 2.45e-06, lr=0.001 4.72e-06. As text these
    // do not order at all; as numbers two are below 1e-5.
    assert_eq!(names(&t, "params.weight_decay < 1e-5 and name like 'lr=%'", &["-params.weight_decay"]), ["lr=0.001", "lr=0.01"]);
    assert_eq!(names(&t, "name like 'lr=%'", &["params.weight_decay"]), ["lr=0.01", "lr=0.001", "lr=0.1"]);
    assert_eq!(names(&t, "name like 'lr=%' and params.learning_rate = 0.10", &[]), ["lr=0.01"], "0.10 equals '0.1' as a number");
    assert!(names(&t, "name like 'lr=%' and params.learning_rate = '0.10'", &[]).is_empty(), "but not as text");
}

#[test]
fn attributes_times_durations_and_deleted_runs() {
    let t = indexed();
    // Fixture runs start at T0 + i × 2 h, T0 = 2024-05-06 09:00 UTC.
    let early = names(&t, "started < '2024-05-06 10:00'", &["name"]);
    assert_eq!(early, ["distilbert-baseline", "resnet18-baseline"]);
    let long = names(&t, "duration > '5m'", &["-duration"]);
    assert_eq!(long, ["run with   spaces & ümlauts 🚀", "resnet18-baseline"]);
    assert_eq!(names(&t, "commit = '3083e53' and name = 'quick-check'", &[]), ["quick-check"]);
    let with_deleted = t.index.runs(&RunsQuery { include_deleted: true, filter: Some("deleted = true".into()), ..Default::default() }).unwrap();
    assert_eq!(with_deleted.len(), 4);
}

#[test]
fn a_bad_filter_is_a_positioned_error_not_an_empty_table() {
    let t = indexed();
    let err = t.index.runs(&RunsQuery { filter: Some("metrics.acc >".into()), ..Default::default() }).unwrap_err();
    let IndexError::Filter(e) = err else { panic!("{err}") };
    assert_eq!(e.span.start, 13);
    let err = t.index.runs(&RunsQuery { sort: vec!["metrics.".into()], ..Default::default() }).unwrap_err();
    assert!(matches!(err, IndexError::Sort(_)));
}

#[test]
fn a_filter_nested_10000_deep_is_a_positioned_error_not_a_crash() {
    // Once a stack overflow that aborted the process (the app's filter box included).
    let t = indexed();
    let deep = format!("{}name = 'x'{}", "(".repeat(10_000), ")".repeat(10_000));
    let err = t.index.runs(&RunsQuery { filter: Some(deep), ..Default::default() }).unwrap_err();
    let IndexError::Filter(e) = err else { panic!("{err}") };
    assert_eq!((e.span.start, e.span.end), (100, 101), "{e}");
    let nested = format!("{}name = 'quick-check'{}", "not (".repeat(50), ")".repeat(50));
    assert_eq!(names(&t, &nested, &[]), ["quick-check"], "100 levels still evaluate");
}

#[test]
fn user_text_never_becomes_sql() {
    let t = indexed();
    let hostile = "name = 'x'' OR 1=1; DROP TABLE runs; --'";
    assert!(names(&t, hostile, &[]).is_empty());
    assert_eq!(t.index.runs(&RunsQuery::default()).unwrap().len(), 18, "the runs table is intact");
    assert!(names(&t, "tags.`'; DROP TABLE runs; --` = 'x'", &[]).is_empty());
}

#[test]
fn pages_of_a_sorted_filtered_table() {
    let t = indexed();
    let query = |offset, limit| RunsQuery {
        filter: Some("source = 'mlflow'".into()),
        sort: vec!["name".into()],
        offset,
        limit: Some(limit),
        ..Default::default()
    };
    let all: Vec<String> =
        t.index.runs(&RunsQuery { sort: vec!["name".into()], ..Default::default() }).unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(t.index.count_runs(&query(0, 5)).unwrap(), 18);
    let pages: Vec<String> = [0, 5, 10, 15].iter().flat_map(|o| t.index.runs(&query(*o, 5)).unwrap()).map(|r| r.name).collect();
    assert_eq!(pages, all);
    let page = t.index.runs(&query(5, 5)).unwrap();
    assert!(page.iter().all(|r| !r.params.is_empty() && !r.tags.is_empty()), "a page carries its runs' details");
}

/// A run's name, the total size and number of its own files, and their paths.
type Files = (String, u64, usize, Vec<String>);

#[test]
fn artifact_sizes_counts_and_paths_select_the_runs_their_files_say() {
    let mut t = indexed();
    t.add(&fixture("wandb"));
    t.add(&fixture("sacred"));
    let all = t.index.runs(&RunsQuery::default()).unwrap();
    // What each run's own files add up to, from its listing.
    let files: Vec<Files> = all
        .iter()
        .map(|r| {
            let own: Vec<_> = t.index.artifacts(&r.id).unwrap().into_iter().filter(|a| a.origin.is_none()).collect();
            (r.name.clone(), own.iter().map(|a| a.size).sum(), own.len(), own.into_iter().map(|a| a.path).collect())
        })
        .collect();
    let want = |keep: &dyn Fn(&Files) -> bool| sorted(files.iter().filter(|f| keep(f)).map(|f| f.0.clone()).collect());
    let sizes: Vec<u64> = files.iter().map(|f| f.1).collect();
    let (smallest, largest) = (*sizes.iter().min().unwrap(), *sizes.iter().max().unwrap());
    assert!(smallest < largest && smallest == 0, "the fixtures have runs with and without files: {sizes:?}");
    for at in [0, 1000, 1024, 10_000, 20_000, 40_000] {
        assert_eq!(sorted(names(&t, &format!("artifacts.size > {at}"), &[])), want(&|f| f.1 > at), "> {at}");
    }
    // Units, quoted or not: KB is 1000 bytes, KiB 1024.
    assert_eq!(sorted(names(&t, "artifacts.size > 20KB", &[])), want(&|f| f.1 > 20_000));
    assert_eq!(sorted(names(&t, "artifacts.size <= '19.5 KiB'", &[])), want(&|f| f.1 as f64 <= 19.5 * 1024.0));
    assert_eq!(sorted(names(&t, "artifacts.count >= 10", &[])), want(&|f| f.2 >= 10));
    // Paths: a run has such a file; `!=`: none; `is null`: no file at all.
    let has = |p: &str, f: &Files| f.3.iter().any(|x| x == p);
    assert_eq!(sorted(names(&t, "artifacts.path = 'model/weights.bin'", &[])), want(&|f| has("model/weights.bin", f)));
    assert!(!want(&|f| has("model/weights.bin", f)).is_empty());
    assert_eq!(sorted(names(&t, "artifacts.path != 'model/weights.bin'", &[])), want(&|f| !has("model/weights.bin", f)));
    assert_eq!(sorted(names(&t, "artifacts.path ~ '\\.png$'", &[])), want(&|f| f.3.iter().any(|x| x.ends_with(".png"))));
    assert_eq!(sorted(names(&t, "artifacts.path is null", &[])), want(&|f| f.2 == 0));
    // Sorted by size, largest first.
    let by_size: Vec<u64> = names(&t, "", &["-artifacts.size"]).iter().map(|n| files.iter().find(|f| &f.0 == n).unwrap().1).collect();
    assert!(by_size.windows(2).all(|w| w[0] >= w[1]) && by_size.len() == files.len(), "{by_size:?}");

    for (bad, at) in [("artifacts.size > 'big'", "'big'"), ("artifacts.nope = 1", "nope"), ("artifacts.path = 1", "1")] {
        let q = RunsQuery { filter: Some(bad.into()), ..Default::default() };
        match t.index.runs(&q) {
            Err(IndexError::Filter(e)) => {
                let start = bad.find(at).unwrap();
                assert_eq!((e.span.start, e.span.end), (start, start + at.len()), "{bad}: {e}");
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
}
