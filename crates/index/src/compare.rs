//! Runs side by side: what the Compare view, `runlens compare` and reports show alike.
//!
//! * **Params and tags**: one row per key, one value per run (`None`: the run has no such
//!   key), and whether the row differs. Values that are the same number written two ways
//!   (`0.001`, `1e-3`) are the same.
//! * **Metrics**: the summary of every key per run, and for each aggregate (first, last,
//!   latest, min, max) which runs hold the best value. Which way is better is guessed
//!   from the key (losses, errors, perplexities... lower; see [`Direction::guess`]) unless
//!   the user chose, which is remembered as user data (`user_directions`).
//! * **Which params matter** for a chosen metric: Spearman's rank correlation ρ for params
//!   whose values are all numbers, the rank-based effect size ε² of the Kruskal–Wallis
//!   test for the others, each with the number of runs behind it. Ties get average ranks,
//!   as SciPy's `spearmanr` and `kruskal` do (the tests check against SciPy).

use std::collections::{BTreeMap, HashMap, HashSet};

use rusqlite::params;

use crate::filter::Agg;
use crate::query::{MetricSummary, RunRecord};
use crate::{Index, IndexError, now_ms};

/// Which way is better for a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Lower,
    Higher,
}

/// Words of a metric key that make lower better.
const LOWER_IS_BETTER: &[&str] = &[
    "loss",
    "losses",
    "error",
    "errors",
    "err",
    "perplexity",
    "ppl",
    "mse",
    "mae",
    "rmse",
    "nll",
    "wer",
    "cer",
    "fid",
    "lpips",
    "bpd",
    "bpc",
    "regret",
    "distance",
    "latency",
];

impl Direction {
    /// The direction a key's name suggests: lower for losses, errors, perplexities and
    /// distances (`val_loss`, `train/error_rate`, `eval.ppl`, `LossG`), higher otherwise.
    pub fn guess(key: &str) -> Direction {
        let lower = key.to_ascii_lowercase();
        let words = split_words(key);
        let hit = words.iter().any(|w| LOWER_IS_BETTER.contains(&w.as_str())) || lower.starts_with("loss") || lower.ends_with("loss");
        if hit { Direction::Lower } else { Direction::Higher }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Lower => "lower",
            Direction::Higher => "higher",
        }
    }

    pub fn parse(s: &str) -> Option<Direction> {
        match s.trim().to_ascii_lowercase().as_str() {
            "lower" | "min" | "minimize" => Some(Direction::Lower),
            "higher" | "max" | "maximize" => Some(Direction::Higher),
            _ => None,
        }
    }

    /// Whether `a` is better than `b`.
    fn better(self, a: f64, b: f64) -> bool {
        match self {
            Direction::Lower => a < b,
            Direction::Higher => a > b,
        }
    }
}

/// `train/val_loss` → `train`, `val`, `loss`; `valLoss` → `val`, `loss`.
fn split_words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_alphanumeric() {
            words.extend((!word.is_empty()).then(|| std::mem::take(&mut word)));
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            words.push(std::mem::take(&mut word));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        word.extend(c.to_lowercase());
    }
    words.extend((!word.is_empty()).then_some(word));
    words
}

/// One key's values across the compared runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueRow {
    pub key: String,
    /// One per run, in the order of [`Comparison::runs`]; `None`: the run has no such key.
    pub values: Vec<Option<String>>,
    /// Not every run has the same value (a missing value differs from any value).
    pub differs: bool,
}

/// The runs holding the best value of each aggregate of one metric (several when tied;
/// none when no run has a number).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Best {
    pub first: Vec<usize>,
    pub last: Vec<usize>,
    pub latest: Vec<usize>,
    pub min: Vec<usize>,
    pub max: Vec<usize>,
}

impl Best {
    /// The best runs of `agg` (none for `count` and `step`, which have no better way).
    pub fn of(&self, agg: Agg) -> &[usize] {
        match agg {
            Agg::First => &self.first,
            Agg::Last => &self.last,
            Agg::Latest => &self.latest,
            Agg::Min => &self.min,
            Agg::Max => &self.max,
            Agg::Count | Agg::Step => &[],
        }
    }
}

/// One metric's summaries across the compared runs.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRow {
    pub key: String,
    pub direction: Direction,
    /// The user chose `direction` (else it is [`Direction::guess`]).
    pub direction_chosen: bool,
    /// One per run; `None`: the run has no such metric.
    pub values: Vec<Option<MetricSummary>>,
    pub best: Best,
    /// Not every run has the same latest value.
    pub differs: bool,
}

/// How strongly one param goes with the chosen metric.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamEffect {
    pub key: String,
    pub method: EffectMethod,
    /// |ρ| or ε², in [0, 1]: what the effects are ranked by.
    pub strength: f64,
    /// Runs with both a value of the param and a number for the metric.
    pub runs: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EffectMethod {
    /// Spearman's rank correlation between the param's numbers and the metric (signed).
    Spearman { rho: f64 },
    /// Kruskal–Wallis ε² of the metric across the param's values (`groups` of them).
    KruskalWallis { epsilon_squared: f64, groups: usize },
}

impl EffectMethod {
    /// The figure as people read it: `Spearman ρ = +0.883`, `Kruskal–Wallis ε² = 0.629 (4 values)`.
    pub fn figure(&self) -> String {
        match *self {
            EffectMethod::Spearman { rho } => format!("Spearman ρ = {rho:+.3}"),
            EffectMethod::KruskalWallis { epsilon_squared, groups } => format!("Kruskal–Wallis ε² = {epsilon_squared:.3} ({groups} values)"),
        }
    }
}

/// Which params matter for one metric aggregate.
#[derive(Debug, Clone, PartialEq)]
pub struct Importance {
    pub metric: String,
    pub aggregate: Agg,
    /// Strongest first. Left out: params with fewer than three runs behind them, with
    /// the same value in all of them, and categorical ones with a value of their own in
    /// every run.
    pub effects: Vec<ParamEffect>,
}

/// A run as the comparison names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComparedRun {
    pub id: String,
    pub name: String,
    pub source: String,
    pub experiment: Option<String>,
    pub status: String,
    /// The code it ran from, when the store recorded it (with `Index::runs_by_id`'s
    /// provenance; default otherwise).
    pub git: runlens_sources::GitState,
}

/// Runs side by side (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub runs: Vec<ComparedRun>,
    pub params: Vec<ValueRow>,
    pub tags: Vec<ValueRow>,
    /// One row per dataset name the runs consumed: each run's digest (and what it used
    /// it for), so a run trained on other data stands out. Filled by [`Index::compare`].
    pub datasets: Vec<ValueRow>,
    pub metrics: Vec<MetricRow>,
    pub importance: Option<Importance>,
}

impl Comparison {
    /// The runs side by side; `directions` are the user's choices (others are guessed).
    /// With `importance_of`, also which params go with that metric aggregate.
    pub fn of(runs: &[RunRecord], directions: &HashMap<String, Direction>, importance_of: Option<(&str, Agg)>) -> Comparison {
        let params = value_rows(runs, |r| &r.params);
        let tags = value_rows(runs, |r| &r.tags);
        let metrics = union_keys(runs.iter().map(|r| &r.metrics))
            .into_iter()
            .map(|key| {
                let chosen = directions.get(key).copied();
                let direction = chosen.unwrap_or_else(|| Direction::guess(key));
                let values: Vec<Option<MetricSummary>> = runs.iter().map(|r| r.metrics.get(key).copied()).collect();
                let best = Best {
                    first: best_runs(&values, direction, |m| m.first),
                    last: best_runs(&values, direction, |m| m.last),
                    latest: best_runs(&values, direction, |m| m.latest),
                    min: best_runs(&values, direction, |m| m.min),
                    max: best_runs(&values, direction, |m| m.max),
                };
                let latest: Vec<Option<u64>> = values.iter().map(|v| v.map(|m| m.latest.to_bits())).collect();
                let differs = latest.windows(2).any(|w| w[0] != w[1]);
                MetricRow { key: key.to_string(), direction, direction_chosen: chosen.is_some(), values, best, differs }
            })
            .collect();
        let importance = importance_of.map(|(metric, agg)| Importance {
            metric: metric.to_string(),
            aggregate: agg,
            effects: effects_of(&params, &scores(runs, metric, agg)),
        });
        Comparison {
            runs: runs
                .iter()
                .map(|r| ComparedRun {
                    id: r.id.clone(),
                    name: r.name.clone(),
                    source: r.source.clone(),
                    experiment: r.experiment.clone(),
                    status: r.status.clone(),
                    git: r.provenance.as_ref().map(|p| p.git.clone()).unwrap_or_default(),
                })
                .collect(),
            params,
            tags,
            datasets: Vec::new(),
            metrics,
            importance,
        }
    }
}

/// The metric "which params matter" opens on: the first key (by name) every run has,
/// else the first any run has.
pub fn default_metric(runs: &[RunRecord]) -> Option<String> {
    let keys = union_keys(runs.iter().map(|r| &r.metrics));
    let shared = keys.iter().find(|k| runs.iter().all(|r| r.metrics.contains_key(**k)));
    shared.or(keys.first()).map(|k| k.to_string())
}

/// Every key of `maps`, sorted, once each (a hash set first: 500 runs × 200 params are
/// 100,000 keys but only 200 distinct ones to sort).
fn union_keys<'a, V: 'a>(maps: impl Iterator<Item = &'a BTreeMap<String, V>>) -> Vec<&'a str> {
    let mut seen: HashSet<&str> = HashSet::new();
    for map in maps {
        seen.extend(map.keys().map(String::as_str));
    }
    let mut keys: Vec<&str> = seen.into_iter().collect();
    keys.sort_unstable();
    keys
}

/// The value of one aggregate of a summary (`count` and `step` as numbers).
pub fn aggregate(m: &MetricSummary, agg: Agg) -> f64 {
    match agg {
        Agg::Latest => m.latest,
        Agg::Last => m.last,
        Agg::First => m.first,
        Agg::Min => m.min,
        Agg::Max => m.max,
        Agg::Count => m.count as f64,
        Agg::Step => m.max_step as f64,
    }
}

fn value_rows(runs: &[RunRecord], map: impl Fn(&RunRecord) -> &BTreeMap<String, String>) -> Vec<ValueRow> {
    rows_of(&runs.iter().map(map).collect::<Vec<_>>())
}

/// One row per key of any of `maps` (one per run), with each run's value.
fn rows_of(maps: &[&BTreeMap<String, String>]) -> Vec<ValueRow> {
    let keys = union_keys(maps.iter().copied());
    let mut values: Vec<Vec<Option<String>>> = vec![vec![None; maps.len()]; keys.len()];
    for (j, map) in maps.iter().enumerate() {
        // The run's keys are sorted, as `keys` are: walk both at once.
        let mut k = 0;
        for (key, value) in map.iter() {
            while keys[k] != key {
                k += 1;
            }
            values[k][j] = Some(value.clone());
        }
    }
    keys.into_iter()
        .zip(values)
        .map(|(key, values)| {
            let differs = values.windows(2).any(|w| !same_value(w[0].as_deref(), w[1].as_deref()));
            ValueRow { key: key.to_string(), values, differs }
        })
        .collect()
}

/// The same text, or the same number written two ways.
fn same_value(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b || matches!((number(a), number(b)), (Some(x), Some(y)) if x == y),
        (None, None) => true,
        _ => false,
    }
}

/// A param value that is a finite number (`0.1`, `1e-3`, `32`).
pub(crate) fn number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

fn best_runs(values: &[Option<MetricSummary>], direction: Direction, get: impl Fn(&MetricSummary) -> f64) -> Vec<usize> {
    let mut best: Option<f64> = None;
    for v in values.iter().flatten().map(&get).filter(|v| !v.is_nan()) {
        if best.is_none_or(|b| direction.better(v, b)) {
            best = Some(v);
        }
    }
    let Some(best) = best else { return Vec::new() };
    values.iter().enumerate().filter(|(_, v)| v.as_ref().is_some_and(|m| get(m) == best)).map(|(i, _)| i).collect()
}

/// Which params go with `metric`'s `agg` across `runs`, strongest first.
pub fn param_effects(runs: &[RunRecord], metric: &str, agg: Agg) -> Vec<ParamEffect> {
    effects_of(&value_rows(runs, |r| &r.params), &scores(runs, metric, agg))
}

/// Each run's `agg` of `metric` (`None`: the run has no such metric).
fn scores(runs: &[RunRecord], metric: &str, agg: Agg) -> Vec<Option<f64>> {
    runs.iter().map(|r| r.metrics.get(metric).map(|m| aggregate(m, agg))).collect()
}

/// Which params (`rows`, a value per run) go with `scores` (a number per run), strongest
/// first. Runs without a finite score are left out.
fn effects_of(rows: &[ValueRow], scores: &[Option<f64>]) -> Vec<ParamEffect> {
    let scored: Vec<(usize, f64)> = scores.iter().enumerate().filter_map(|(j, y)| Some((j, y.filter(|y| y.is_finite())?))).collect();
    let mut effects: Vec<ParamEffect> = rows
        .iter()
        .filter_map(|row| {
            let pairs: Vec<(&str, f64)> = scored.iter().filter_map(|&(j, y)| Some((row.values[j].as_deref()?, y))).collect();
            effect(&row.key, &pairs)
        })
        .collect();
    effects.sort_by(|a, b| b.strength.total_cmp(&a.strength).then_with(|| a.key.cmp(&b.key)));
    effects
}

/// The effect of one param given (value, metric) pairs; `None` when it cannot be told
/// (fewer than three runs, one value only, a metric that does not vary, categories of
/// one run each).
fn effect(key: &str, pairs: &[(&str, f64)]) -> Option<ParamEffect> {
    let n = pairs.len();
    if n < 3 || pairs.iter().all(|(v, _)| *v == pairs[0].0) {
        return None;
    }
    let ys: Vec<f64> = pairs.iter().map(|(_, y)| *y).collect();
    let numbers: Option<Vec<f64>> = pairs.iter().map(|(v, _)| number(v)).collect();
    let method = match numbers {
        Some(xs) => {
            let rho = spearman(&xs, &ys)?;
            EffectMethod::Spearman { rho }
        }
        None => {
            let mut groups: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
            for (v, y) in pairs {
                groups.entry(v).or_default().push(*y);
            }
            let groups: Vec<Vec<f64>> = groups.into_values().collect();
            if groups.len() == n {
                return None; // a value of its own in every run: nothing to tell apart
            }
            let epsilon_squared = kruskal_wallis_epsilon_squared(&groups)?;
            EffectMethod::KruskalWallis { epsilon_squared, groups: groups.len() }
        }
    };
    let strength = match method {
        EffectMethod::Spearman { rho } => rho.abs(),
        EffectMethod::KruskalWallis { epsilon_squared, .. } => epsilon_squared,
    };
    Some(ParamEffect { key: key.to_string(), method, strength, runs: n })
}

/// Ranks from 1, ties given the average of the ranks they span (and the tie group sizes).
fn ranks(values: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut ties = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = rank;
        }
        ties.push(j - i + 1);
        i = j + 1;
    }
    (ranks, ties)
}

/// Spearman's ρ: Pearson's correlation of the average ranks. `None` when either side is
/// constant.
pub fn spearman(xs: &[f64], ys: &[f64]) -> Option<f64> {
    let (rx, _) = ranks(xs);
    let (ry, _) = ranks(ys);
    let n = rx.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in rx.iter().zip(&ry) {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    (sxx > 0.0 && syy > 0.0).then(|| (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// The Kruskal–Wallis H statistic with the tie correction (SciPy's `kruskal`), and its
/// effect size ε² = H / (n − 1). `None` with fewer than two groups or when every value
/// is the same.
pub fn kruskal_wallis_epsilon_squared(groups: &[Vec<f64>]) -> Option<f64> {
    let h = kruskal_wallis_h(groups)?;
    let n: usize = groups.iter().map(Vec::len).sum();
    Some((h / (n as f64 - 1.0)).clamp(0.0, 1.0))
}

/// The tie-corrected Kruskal–Wallis H.
pub fn kruskal_wallis_h(groups: &[Vec<f64>]) -> Option<f64> {
    let groups: Vec<&Vec<f64>> = groups.iter().filter(|g| !g.is_empty()).collect();
    if groups.len() < 2 {
        return None;
    }
    let all: Vec<f64> = groups.iter().flat_map(|g| g.iter().copied()).collect();
    let n = all.len() as f64;
    let (ranks, ties) = ranks(&all);
    let correction = 1.0 - ties.iter().map(|&t| (t * t * t - t) as f64).sum::<f64>() / (n * n * n - n);
    if correction <= 0.0 {
        return None;
    }
    let mut at = 0;
    let mut sum = 0.0;
    for g in &groups {
        let r: f64 = ranks[at..at + g.len()].iter().sum();
        sum += r * r / g.len() as f64;
        at += g.len();
    }
    let h = 12.0 / (n * (n + 1.0)) * sum - 3.0 * (n + 1.0);
    Some(h / correction)
}

impl Index {
    /// The given runs, in the given order. An id no run has is an error.
    pub fn runs_by_id(&self, ids: &[String]) -> Result<Vec<RunRecord>, IndexError> {
        let mut found: HashMap<String, RunRecord> = HashMap::new();
        for chunk in ids.chunks(500) {
            for run in self.runs_where_id_in(chunk)? {
                found.insert(run.id.clone(), run);
            }
        }
        // Each record moves into its place; an id asked for twice is the one copy.
        let mut placed: HashMap<&str, usize> = HashMap::new();
        let mut out: Vec<RunRecord> = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(&at) = placed.get(id.as_str()) {
                out.push(out[at].clone());
            } else {
                out.push(found.remove(id).ok_or_else(|| IndexError::UnknownRun(id.clone()))?);
                placed.insert(id, out.len() - 1);
            }
        }
        Ok(out)
    }

    /// The metric directions the user chose (keys without a choice are guessed).
    pub fn metric_directions(&self) -> Result<HashMap<String, Direction>, IndexError> {
        let mut stmt = self.conn.prepare("SELECT key, lower_is_better FROM user_directions")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?)))?;
        let mut out = HashMap::new();
        for row in rows {
            let (key, lower) = row?;
            out.insert(key, if lower { Direction::Lower } else { Direction::Higher });
        }
        Ok(out)
    }

    /// Remembers which way is better for a metric key (every run's), or forgets the
    /// choice (`None`: guessed from the key again).
    pub fn set_metric_direction(&self, key: &str, direction: Option<Direction>) -> Result<(), IndexError> {
        match direction {
            Some(d) => self.conn.execute(
                "INSERT INTO user_directions (key, lower_is_better, updated_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO UPDATE SET lower_is_better = excluded.lower_is_better, updated_ms = excluded.updated_ms",
                params![key, d == Direction::Lower, now_ms()],
            )?,
            None => self.conn.execute("DELETE FROM user_directions WHERE key = ?1", [key])?,
        };
        Ok(())
    }

    /// The runs side by side, with the user's metric directions.
    pub fn compare(&self, runs: &[RunRecord], importance_of: Option<(&str, Agg)>) -> Result<Comparison, IndexError> {
        let mut c = Comparison::of(runs, &self.metric_directions()?, importance_of);
        // Per run, each dataset name's digest (and context); several inputs of one name
        // are listed together.
        let datasets = self.datasets_of(&runs.iter().map(|r| r.id.as_str()).collect::<Vec<_>>())?;
        let mut of_runs: Vec<BTreeMap<String, String>> = Vec::with_capacity(runs.len());
        for run in runs {
            let mut by_name: BTreeMap<String, String> = BTreeMap::new();
            for d in datasets.get(&run.id).into_iter().flatten() {
                let shown = match &d.context {
                    Some(context) => format!("{} ({context})", d.digest),
                    None => d.digest.clone(),
                };
                by_name.entry(d.name.clone()).and_modify(|v| *v = format!("{v}, {shown}")).or_insert(shown);
            }
            of_runs.push(by_name);
        }
        c.datasets = rows_of(&of_runs.iter().collect::<Vec<_>>());
        Ok(c)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A run with these params and, per metric, a summary whose latest, last and min are
    /// the value (first and max one more).
    pub(crate) fn run(id: &str, params: &[(&str, &str)], metrics: &[(&str, f64)]) -> RunRecord {
        RunRecord {
            id: id.into(),
            store_id: 1,
            store: "/s".into(),
            source: "mlflow".into(),
            native_id: id.into(),
            experiment: None,
            name: format!("run {id}"),
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
            params: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            tags: BTreeMap::new(),
            metrics: metrics
                .iter()
                .map(|(k, v)| {
                    let m = MetricSummary {
                        first: v + 1.0,
                        last: *v,
                        min: *v,
                        max: v + 1.0,
                        count: 2,
                        first_step: 0,
                        last_step: 1,
                        max_step: 1,
                        latest: *v,
                    };
                    (k.to_string(), m)
                })
                .collect(),
            starred: false,
            note: String::new(),
            labels: Vec::new(),
        }
    }

    #[test]
    fn directions_are_guessed_from_the_key() {
        for key in ["loss", "val_loss", "train/loss_epoch", "eval.ppl", "valLoss", "LossG", "error_rate", "test/mse", "wer"] {
            assert_eq!(Direction::guess(key), Direction::Lower, "{key}");
        }
        for key in ["accuracy", "val_acc", "f1", "bleu", "reward", "lossless_ratio_x", "errand"] {
            let expected = if key.starts_with("loss") { Direction::Lower } else { Direction::Higher };
            assert_eq!(Direction::guess(key), expected, "{key}");
        }
        assert_eq!(split_words("train/valLoss_2"), ["train", "val", "loss", "2"]);
    }

    #[test]
    fn rows_say_what_differs_and_mark_what_is_missing() {
        let runs = [
            run("a", &[("lr", "0.001"), ("opt", "adam"), ("seed", "1")], &[]),
            run("b", &[("lr", "1e-3"), ("opt", "sgd"), ("seed", "1")], &[]),
            run("c", &[("lr", "0.0010"), ("seed", "1"), ("depth", "4")], &[]),
        ];
        let c = Comparison::of(&runs, &HashMap::new(), None);
        let rows: Vec<(&str, bool)> = c.params.iter().map(|r| (r.key.as_str(), r.differs)).collect();
        assert_eq!(rows, [("depth", true), ("lr", false), ("opt", true), ("seed", false)]);
        assert_eq!(c.params[0].values, [None, None, Some("4".to_string())]);
        assert_eq!(c.params[2].values[2], None);
        assert_eq!(c.runs.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["a", "b", "c"]);
    }

    #[test]
    fn best_values_follow_the_direction_and_the_users_choice() {
        let runs = [run("a", &[], &[("loss", 0.5), ("acc", 0.7)]), run("b", &[], &[("loss", 0.3), ("acc", 0.9)]), run("c", &[], &[("acc", 0.9)])];
        let c = Comparison::of(&runs, &HashMap::new(), None);
        let acc = &c.metrics[0];
        assert_eq!((acc.key.as_str(), acc.direction, acc.direction_chosen), ("acc", Direction::Higher, false));
        assert_eq!(acc.best.latest, [1, 2], "ties are all marked");
        let loss = &c.metrics[1];
        assert_eq!((loss.direction, loss.best.latest.as_slice(), loss.best.max.as_slice()), (Direction::Lower, &[1][..], &[1][..]));
        assert!(loss.values[2].is_none());
        assert!(loss.best.of(Agg::Count).is_empty());

        let chosen = HashMap::from([("loss".to_string(), Direction::Higher)]);
        let c = Comparison::of(&runs, &chosen, None);
        assert_eq!((c.metrics[1].direction, c.metrics[1].direction_chosen, c.metrics[1].best.latest.as_slice()), (Direction::Higher, true, &[0][..]));
    }

    #[test]
    fn the_default_metric_is_one_every_run_has() {
        let runs = [run("a", &[], &[("acc", 0.5), ("loss", 1.0)]), run("b", &[], &[("loss", 0.5)])];
        assert_eq!(default_metric(&runs).as_deref(), Some("loss"));
        let runs = [run("a", &[], &[("acc", 0.5)]), run("b", &[], &[("loss", 0.5)])];
        assert_eq!(default_metric(&runs).as_deref(), Some("acc"), "none shared: the first");
        assert_eq!(default_metric(&[run("a", &[], &[])]), None);
    }

    #[test]
    fn nan_is_never_best() {
        let runs = [run("a", &[], &[("loss", f64::NAN)]), run("b", &[], &[("loss", 2.0)])];
        assert_eq!(Comparison::of(&runs, &HashMap::new(), None).metrics[0].best.latest, [1]);
        let runs = [run("a", &[], &[("loss", f64::NAN)])];
        assert!(Comparison::of(&runs, &HashMap::new(), None).metrics[0].best.latest.is_empty());
    }

    #[test]
    fn spearman_by_hand() {
        // x ranks 1..5; y ranks 2 1 4 3 5: d² = 1+1+1+1+0 = 4, ρ = 1 - 6·4/(5·24) = 0.8.
        let rho = spearman(&[1.0, 2.0, 3.0, 4.0, 5.0], &[20.0, 10.0, 40.0, 30.0, 50.0]).unwrap();
        assert!((rho - 0.8).abs() < 1e-12, "{rho}");
        assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]).unwrap() + 1.0).abs() < 1e-12);
        assert_eq!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None, "a constant param has no correlation");
        // Ties: x = 1 2 2 3 → ranks 1 2.5 2.5 4; y = 1 2 3 4. Pearson of the ranks:
        // x̄ = ȳ = 2.5, Σdx·dy = 2.25+0+0+2.25 = 4.5, Σdx² = 4.5, Σdy² = 5 → 4.5/√22.5.
        let rho = spearman(&[1.0, 2.0, 2.0, 3.0], &[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert!((rho - 4.5 / 22.5f64.sqrt()).abs() < 1e-12, "{rho}");
    }

    #[test]
    fn kruskal_wallis_by_hand() {
        // Groups {1,2} {3,4} {5,6}: rank sums 3, 7, 11; n = 6.
        // H = 12/(6·7)·(9/2 + 49/2 + 121/2) − 3·7 = 12/42·89.5 − 21 = 4.571428…; ε² = H/5.
        let groups = [vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]];
        let h = kruskal_wallis_h(&groups).unwrap();
        assert!((h - (12.0 / 42.0 * 89.5 - 21.0)).abs() < 1e-12, "{h}");
        assert!((kruskal_wallis_epsilon_squared(&groups).unwrap() - h / 5.0).abs() < 1e-12);
        // With a tie: {1,1} {2}: ranks 1.5 1.5 | 3; H = 12/12·(9/2 + 9) − 12 = 1.5; the
        // correction 1 − (8−2)/(27−3) = 0.75 makes it 2.
        assert!((kruskal_wallis_h(&[vec![1.0, 1.0], vec![2.0]]).unwrap() - 2.0).abs() < 1e-12);
        assert_eq!(kruskal_wallis_h(&[vec![1.0, 2.0]]), None, "one group");
        assert_eq!(kruskal_wallis_h(&[vec![1.0], vec![1.0]]), None, "all values the same");
    }

    #[test]
    fn effects_pick_the_method_by_the_values_and_rank_by_strength() {
        let runs = [
            run("a", &[("lr", "0.1"), ("opt", "adam"), ("seed", "3"), ("only", "x"), ("name", "a")], &[("loss", 0.9)]),
            run("b", &[("lr", "0.01"), ("opt", "sgd"), ("seed", "1"), ("name", "b")], &[("loss", 0.5)]),
            run("c", &[("lr", "0.001"), ("opt", "sgd"), ("seed", "4"), ("name", "c")], &[("loss", 0.2)]),
            run("d", &[("lr", "0.0001"), ("opt", "adam"), ("seed", "2")], &[("loss", 0.3)]),
            run("e", &[("lr", "0.5"), ("opt", "sgd"), ("seed", "5")], &[]),
        ];
        let effects = param_effects(&runs, "loss", Agg::Latest);
        let keys: Vec<&str> = effects.iter().map(|e| e.key.as_str()).collect();
        // `only` (one run), `name` (a value per run) and the run without the metric are left out.
        assert_eq!(keys, ["lr", "seed", "opt"]);
        assert_eq!(effects[0].runs, 4);
        assert!(matches!(effects[0].method, EffectMethod::Spearman { rho } if (rho - 0.8).abs() < 1e-12), "{:?}", effects[0]);
        // lr ranks a4 b3 c2 d1, loss ranks a4 b3 c1 d2: Σd² = 2, ρ = 1 − 12/60 = 0.8.
        // seed ranks a3 b1 c4 d2: Σd² = 1 + 4 + 9 + 0 = 14, ρ = 1 − 84/60 = −0.4.
        assert!(matches!(effects[1].method, EffectMethod::Spearman { rho } if (rho + 0.4).abs() < 1e-12), "{:?}", effects[1]);
        // opt: adam {0.9, 0.3} ranks 4 + 2, sgd {0.5, 0.2} ranks 3 + 1:
        // H = 12/20·(36/2 + 16/2) − 15 = 0.6; ε² = 0.6/3 = 0.2.
        let EffectMethod::KruskalWallis { epsilon_squared, groups } = effects[2].method else { panic!("{:?}", effects[2]) };
        assert_eq!(groups, 2);
        assert!((epsilon_squared - 0.2).abs() < 1e-12, "{epsilon_squared}");
    }
}
