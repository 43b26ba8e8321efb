//! "Which params matter" against the spec: SciPy's `spearmanr` and `kruskal` (the peer
//! venv of `scripts/peers.sh`) on tables with ties, constant columns and uneven groups;
//! and the comparison of real fixture runs through the index.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{TestIndex, fixture, peers_python};
use runlens_index::RunsQuery;
use runlens_index::compare::{Direction, EffectMethod, kruskal_wallis_h, spearman};
use runlens_index::filter::Agg;

/// A small deterministic generator (xorshift), so the cases are the same every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// A value from `levels` distinct ones (few levels: many ties).
    fn value(&mut self, levels: u64) -> f64 {
        (self.next() % levels) as f64 * 0.5 - 3.0
    }
}

#[test]
fn rank_statistics_equal_scipys() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut spearman_cases: Vec<(Vec<f64>, Vec<f64>)> = Vec::new();
    for case in 0..200 {
        let n = 3 + (case % 12) as usize;
        let (lx, ly) = (1 + rng.next() % 8, 1 + rng.next() % 30);
        let xs: Vec<f64> = (0..n).map(|_| rng.value(lx)).collect();
        let ys: Vec<f64> = (0..n).map(|_| rng.value(ly)).collect();
        spearman_cases.push((xs, ys));
    }
    let mut kruskal_cases: Vec<Vec<Vec<f64>>> = Vec::new();
    for case in 0..200 {
        let groups = 2 + case % 4;
        let levels = 1 + rng.next() % 20;
        kruskal_cases.push((0..groups).map(|_| (0..1 + rng.next() % 6).map(|_| rng.value(levels)).collect()).collect());
    }
    let input = serde_json::json!({"spearman": spearman_cases, "kruskal": kruskal_cases});
    let mut child = Command::new(peers_python())
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/peers/rank_stats.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let scipy: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    let close = |ours: Option<f64>, theirs: &serde_json::Value| match (ours, theirs.as_f64()) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * b.abs().max(1.0),
        (None, None) => true,
        _ => false,
    };
    let mut constant = 0;
    for (i, (xs, ys)) in spearman_cases.iter().enumerate() {
        let ours = spearman(xs, ys);
        constant += ours.is_none() as usize;
        assert!(close(ours, &scipy["spearman"][i]), "spearman case {i}: ours {ours:?}, SciPy {} for {xs:?} {ys:?}", scipy["spearman"][i]);
    }
    let mut undefined = 0;
    for (i, groups) in kruskal_cases.iter().enumerate() {
        let ours = kruskal_wallis_h(groups);
        undefined += ours.is_none() as usize;
        assert!(close(ours, &scipy["kruskal"][i]), "kruskal case {i}: ours {ours:?}, SciPy {} for {groups:?}", scipy["kruskal"][i]);
    }
    // The cases cover the edges, and mostly defined values.
    assert!(constant > 0 && constant < 50, "{constant} constant spearman cases");
    assert!(undefined > 0 && undefined < 50, "{undefined} all-equal kruskal cases");
}

#[test]
fn fixture_runs_side_by_side() {
    let mut t = TestIndex::new();
    t.add(&fixture("mlflow-file"));
    let runs = t.index.runs(&RunsQuery { filter: Some("name ~ 'lr='".into()), ..Default::default() }).unwrap();
    assert_eq!(runs.len(), 3);
    let ids: Vec<String> = runs.iter().map(|r| r.id.clone()).collect();
    let records = t.index.runs_by_id(&ids).unwrap();
    assert_eq!(records.iter().map(|r| &r.id).collect::<Vec<_>>(), ids.iter().collect::<Vec<_>>(), "in the order asked");

    let c = t.index.compare(&records, Some(("val/loss", Agg::Latest))).unwrap();
    // Every param key of any run is a row; the ones that differ are marked.
    let all_keys: std::collections::BTreeSet<&String> = records.iter().flat_map(|r| r.params.keys()).collect();
    assert_eq!(c.params.iter().map(|r| &r.key).collect::<std::collections::BTreeSet<_>>(), all_keys);
    for row in &c.params {
        let values: std::collections::BTreeSet<Option<&String>> = records.iter().map(|r| r.params.get(&row.key)).collect();
        assert_eq!(row.differs, values.len() > 1, "{}", row.key);
    }
    // The best val/loss is the lowest latest value.
    let loss = c.metrics.iter().find(|m| m.key == "val/loss").unwrap();
    assert_eq!(loss.direction, Direction::Lower);
    let lowest = records.iter().map(|r| r.metrics["val/loss"].latest).fold(f64::INFINITY, f64::min);
    assert_eq!(loss.best.latest.iter().map(|&i| records[i].metrics["val/loss"].latest).collect::<Vec<_>>(), [lowest]);
    let imp = c.importance.unwrap();
    assert!(imp.effects.iter().all(|e| e.runs == 3), "{:?}", imp.effects);
    assert!(imp.effects.iter().any(|e| matches!(e.method, EffectMethod::Spearman { .. }) && e.key == "epochs"));

    // A direction the user chose is remembered and used; forgetting it guesses again.
    t.index.set_metric_direction("val/loss", Some(Direction::Higher)).unwrap();
    let c = t.index.compare(&records, None).unwrap();
    let loss = c.metrics.iter().find(|m| m.key == "val/loss").unwrap();
    assert_eq!((loss.direction, loss.direction_chosen), (Direction::Higher, true));
    t.index.set_metric_direction("val/loss", None).unwrap();
    assert!(t.index.metric_directions().unwrap().is_empty());

    let e = t.index.runs_by_id(&[ids[0].clone(), "no-such-run".into()]).unwrap_err();
    assert_eq!(e.to_string(), "no run with id no-such-run");
}

#[test]
fn recorded_code_and_environments_are_diffed_pairwise() {
    let mut t = TestIndex::new();
    t.add(&fixture("sacred"));
    t.add(&fixture("mlflow-file"));
    t.add(&fixture("wandb"));
    let id = |name: &str| t.index.runs(&RunsQuery::default()).unwrap().into_iter().find(|r| r.name == name).unwrap().id;

    // Two Sacred runs of one script: its saved source, the same file.
    let same = t.index.code_diff(&id("mnist_cnn #1"), &id("mnist_cnn #2")).unwrap();
    assert_eq!(same.len(), 1);
    assert_eq!((same[0].name.as_str(), same[0].identical, same[0].note.as_deref()), ("train.py", true, None));

    // An MLflow run's logged environment against a W&B run's: requirements.txt in both,
    // different, as a unified diff naming the runs; conda.yaml only in the first.
    let diffs = t.index.code_diff(&id("resnet18-baseline"), &id("baseline-resnet")).unwrap();
    let names: Vec<&str> = diffs.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["conda.yaml", "python_env.yaml", "requirements.txt"]);
    let req = &diffs[2];
    assert!(!req.identical && req.note.is_none());
    assert!(
        req.unified.starts_with("--- resnet18-baseline requirements.txt\n+++ baseline-resnet requirements.txt\n@@"),
        "{}",
        &req.unified[..200.min(req.unified.len())]
    );
    let a = std::fs::read_to_string(req.a.as_ref().unwrap()).unwrap();
    let b = std::fs::read_to_string(req.b.as_ref().unwrap()).unwrap();
    // Applying the diff's sides gives the two files back: every removed line is a line of
    // the first, every added line one of the second.
    for line in req.unified.lines().skip(2) {
        if let Some(l) = line.strip_prefix('-') {
            assert!(a.lines().any(|x| x == l), "{l}");
        } else if let Some(l) = line.strip_prefix('+') {
            assert!(b.lines().any(|x| x == l), "{l}");
        }
    }
    let conda = &diffs[0];
    assert!(conda.a.is_some() && conda.b.is_none() && conda.unified.lines().skip(2).all(|l| !l.starts_with('+') || l.starts_with("+++")));
}

#[test]
fn the_datasets_runs_consumed_are_compared_by_name() {
    let mut t = TestIndex::new();
    t.add(&fixture("mlflow-file"));
    let runs = t.index.runs(&RunsQuery::default()).unwrap();
    let with: Vec<_> = runs.iter().filter(|r| !t.index.datasets(&r.id).unwrap().is_empty()).cloned().collect();
    let without = runs.iter().find(|r| t.index.datasets(&r.id).unwrap().is_empty()).unwrap().clone();
    assert!(!with.is_empty());
    let mut compared = with.clone();
    compared.push(without);
    let c = t.index.compare(&compared, None).unwrap();
    // One row per name, each run's digest with what it used it for; a run without it is `None`.
    let names: std::collections::BTreeSet<String> = with.iter().flat_map(|r| t.index.datasets(&r.id).unwrap()).map(|d| d.name).collect();
    assert_eq!(c.datasets.iter().map(|r| r.key.clone()).collect::<std::collections::BTreeSet<_>>(), names);
    for row in &c.datasets {
        assert!(row.differs && row.values.last().unwrap().is_none(), "{row:?}");
        for (run, value) in with.iter().zip(&row.values) {
            let of_run: Vec<_> = t.index.datasets(&run.id).unwrap().into_iter().filter(|d| d.name == row.key).collect();
            match (of_run.first(), value) {
                (Some(d), Some(v)) => assert!(v.starts_with(&d.digest) && d.context.as_ref().is_none_or(|x| v.contains(&format!("({x})"))), "{v}"),
                (None, None) => {}
                other => panic!("{other:?}"),
            }
        }
    }
}
