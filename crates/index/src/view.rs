//! What a view of runs shows by default: which metric columns a table of runs has, which
//! metric a chart of runs opens on, the runs' colours, how a store's kind is named. One implementation,
//! for the app, the CLI and reports alike.

use crate::RunRecord;

/// Metric columns of a table of `runs`: the `n` keys most of them have, ties by key.
pub fn metric_columns(runs: &[RunRecord], n: usize) -> Vec<String> {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for r in runs {
        for k in r.metrics.keys() {
            *counts.entry(k).or_default() += 1;
        }
    }
    let mut keys: Vec<(&str, usize)> = counts.into_iter().collect();
    keys.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    keys.into_iter().take(n).map(|(k, _)| k.to_string()).collect()
}

/// The metric a chart of some runs opens on, given their metric keys with how many of the
/// runs have each, most shared first (what [`crate::Index::metric_keys`] returns): the
/// first loss-like key among the most shared, else the most shared.
pub fn default_chart_metric(keys: &[(String, u64)]) -> Option<&str> {
    let most = keys.first()?.1;
    let shared = keys.iter().take_while(|(_, n)| *n == most);
    let lossy = shared.clone().find(|(k, _)| k.to_lowercase().contains("loss"));
    lossy.or(keys.first()).map(|(k, _)| k.as_str())
}

/// The colours of runs on charts, in the order the runs are given (the n-th run of a
/// chart or report is `RUN_COLORS[n % 8]`): the app's charts and the reports share them.
pub const RUN_COLORS: [&str; 8] = ["#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7d86", "#6e7781"];

/// The colour of the `n`-th run of a chart, plot or report.
pub fn run_color(n: usize) -> &'static str {
    RUN_COLORS[n % RUN_COLORS.len()]
}

/// The kind of a store within its source, from its reader id (`mlflow-file` of source
/// `mlflow`: `file`); empty when the source has one kind.
pub fn store_kind<'a>(reader: &'a str, source: &str) -> &'a str {
    reader.strip_prefix(source).and_then(|rest| rest.strip_prefix('-')).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(metrics: &[&str]) -> RunRecord {
        let summary =
            crate::MetricSummary { first: 0.0, last: 0.0, min: 0.0, max: 0.0, count: 1, first_step: 0, last_step: 0, max_step: 0, latest: 0.0 };
        RunRecord {
            id: String::new(),
            store_id: 1,
            store: String::new(),
            source: String::new(),
            native_id: String::new(),
            experiment: None,
            name: String::new(),
            status: "finished".into(),
            deleted: false,
            parent: None,
            start_ms: None,
            end_ms: None,
            user: None,
            commit: None,
            provenance: None,
            artifact_dir: None,
            artifact_bytes: 0,
            params: Default::default(),
            tags: Default::default(),
            metrics: metrics.iter().map(|k| (k.to_string(), summary)).collect(),
            starred: false,
            note: String::new(),
            labels: Vec::new(),
        }
    }

    #[test]
    fn columns_are_the_most_shared_keys_then_by_name() {
        let runs = [run(&["acc", "loss", "z"]), run(&["loss", "b"]), run(&["loss", "acc", "lr"])];
        assert_eq!(metric_columns(&runs, 3), ["loss", "acc", "b"]);
        assert_eq!(metric_columns(&[], 4), Vec::<String>::new());
    }

    #[test]
    fn charts_open_on_a_shared_loss_else_the_most_shared_key() {
        let keys = |ks: &[(&str, u64)]| ks.iter().map(|(k, n)| (k.to_string(), *n)).collect::<Vec<_>>();
        assert_eq!(default_chart_metric(&keys(&[("acc", 2), ("train/Loss", 2), ("val_loss", 1)])), Some("train/Loss"));
        assert_eq!(default_chart_metric(&keys(&[("acc", 2), ("val_loss", 1)])), Some("acc"));
        assert_eq!(default_chart_metric(&[]), None);
    }

    #[test]
    fn a_store_kind_is_the_reader_id_after_its_source() {
        assert_eq!(store_kind("mlflow-file", "mlflow"), "file");
        assert_eq!(store_kind("tensorboard", "tensorboard"), "");
        assert_eq!(store_kind("mlflowx", "mlflow"), "");
    }
}
