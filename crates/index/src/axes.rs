//! Plot axes over compared runs: where each run sits on an axis of a param or a metric,
//! for the Compare view's scatter and parallel coordinates (the UI only draws them).
//!
//! * A param whose values are all numbers is a number axis, on a log scale when its
//!   values are all positive and span two decades or more (learning rates, weight decays:
//!   sweeps are geometric); any other param is an axis of its values, sorted.
//! * A metric is a number axis of one aggregate of its summary; NaN and infinities have
//!   no place on it (the run is left off that axis, its value still shown).
//! * Positions run from 0 (low) to 1 (high); an axis whose runs all have one value puts
//!   them at 0.5. Tick labels are [`format::number`]'s.

use std::collections::BTreeSet;

use crate::compare::{Comparison, ValueRow, aggregate, number};
use crate::filter::Agg;
use crate::format;

/// What an axis shows of each compared run.
#[derive(Debug, Clone, PartialEq)]
pub enum AxisOf {
    Param(String),
    Metric { key: String, agg: Agg },
}

/// How values are placed along an axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    Linear,
    Log,
    /// Distinct values, evenly spaced in sorted order.
    Categories,
}

/// One axis of a plot of the compared runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub of: AxisOf,
    /// `lr`, or `loss (latest)`.
    pub label: String,
    pub scale: Scale,
    /// One per run, in the comparison's order: where it sits, 0 to 1; `None`: not on it.
    pub positions: Vec<Option<f64>>,
    /// One per run: its value as shown; `None`: the run has none.
    pub values: Vec<Option<String>>,
    /// Labelled places along the axis (at most [`MAX_TICKS`]), by position.
    pub ticks: Vec<(f64, String)>,
}

/// The most labels an axis carries (a categorical axis of more values labels some).
pub const MAX_TICKS: usize = 8;

/// How many params parallel coordinates open on.
pub const PARALLEL_PARAMS: usize = 6;

/// What to plot of the compared runs; `None`: the most telling (see [`Comparison::plots`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlotRequest {
    /// The metric the plots are against (its aggregate too).
    pub metric: Option<AxisOf>,
    pub scatter_x: Option<AxisOf>,
    pub scatter_y: Option<AxisOf>,
    /// The params of the parallel coordinates (the metric is the last axis).
    pub parallel: Option<Vec<String>>,
}

/// The Compare view's plots of the runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Plots {
    /// `None`: nothing to plot (no param differs, or no metric).
    pub scatter: Option<(Axis, Axis)>,
    /// Left to right, the metric last; empty: nothing to plot.
    pub parallel: Vec<Axis>,
    /// The params an axis may show: [`Comparison::telling_params`].
    pub params: Vec<String>,
}

impl Comparison {
    /// The plots `request` asks for; what it leaves out is the most telling: the scatter of
    /// the first telling param against the metric, parallel coordinates over the first
    /// [`PARALLEL_PARAMS`] telling params and the metric.
    pub fn plots(&self, request: &PlotRequest) -> Plots {
        let telling = self.telling_params();
        let x = request.scatter_x.clone().or_else(|| telling.first().map(|k| AxisOf::Param(k.clone())));
        let y = request.scatter_y.clone().or_else(|| request.metric.clone());
        let scatter = match (x.and_then(|x| self.axis(&x)), y.and_then(|y| self.axis(&y))) {
            (Some(x), Some(y)) => Some((x, y)),
            _ => None,
        };
        let params = request.parallel.clone().unwrap_or_else(|| telling.iter().take(PARALLEL_PARAMS).cloned().collect());
        let mut parallel: Vec<Axis> = params.into_iter().filter_map(|k| self.axis(&AxisOf::Param(k))).collect();
        if let Some(m) = request.metric.as_ref().and_then(|m| self.axis(m)).filter(|_| !parallel.is_empty()) {
            parallel.push(m);
        }
        Plots { scatter, parallel, params: telling }
    }

    /// The axis of `of` over the compared runs; `None` when no compared run has the key.
    pub fn axis(&self, of: &AxisOf) -> Option<Axis> {
        match of {
            AxisOf::Param(key) => self.params.iter().find(|r| &r.key == key).map(|row| param_axis(of.clone(), row)),
            AxisOf::Metric { key, agg } => {
                let row = self.metrics.iter().find(|m| &m.key == key)?;
                let numbers: Vec<Option<f64>> = row.values.iter().map(|v| v.as_ref().map(|m| aggregate(m, *agg))).collect();
                let label = format!("{key} ({})", agg.column());
                let values = numbers.iter().map(|v| v.map(format::number)).collect();
                Some(number_axis(of.clone(), label, &numbers, values, false))
            }
        }
    }

    /// The params a plot of the runs opens on, most telling first: those that go with the
    /// chosen metric (by [`crate::compare::Importance`]), then the others that differ.
    pub fn telling_params(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.importance.iter().flat_map(|i| i.effects.iter().map(|e| e.key.clone())).collect();
        let mut listed: std::collections::HashSet<String> = keys.iter().cloned().collect();
        for row in self.params.iter().filter(|r| r.differs) {
            if listed.insert(row.key.clone()) {
                keys.push(row.key.clone());
            }
        }
        keys
    }
}

fn param_axis(of: AxisOf, row: &ValueRow) -> Axis {
    let numbers: Option<Vec<Option<f64>>> = row.values.iter().map(|v| v.as_deref().map(number).map_or(Some(None), |n| n.map(Some))).collect();
    let label = row.key.clone();
    match numbers {
        Some(numbers) if numbers.iter().any(Option::is_some) => number_axis(of, label, &numbers, row.values.clone(), true),
        _ => category_axis(of, label, &row.values),
    }
}

/// A number axis; `may_log`: a log scale when the values ask for one (see the module docs).
fn number_axis(of: AxisOf, label: String, numbers: &[Option<f64>], values: Vec<Option<String>>, may_log: bool) -> Axis {
    let finite: Vec<f64> = numbers.iter().flatten().copied().filter(|v| v.is_finite()).collect();
    let (lo, hi) = finite.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let log = may_log && lo > 0.0 && hi / lo >= 100.0;
    let (t, lo_t, hi_t) =
        if log { (f64::log10 as fn(f64) -> f64, lo.log10(), hi.log10()) } else { (std::convert::identity as fn(f64) -> f64, lo, hi) };
    let place = |v: f64| if hi_t > lo_t { (t(v) - lo_t) / (hi_t - lo_t) } else { 0.5 };
    let positions = numbers.iter().map(|v| v.filter(|v| v.is_finite()).map(place)).collect();
    let ticks = if finite.is_empty() {
        Vec::new()
    } else if log {
        let decades: Vec<(f64, String)> =
            (lo_t.ceil() as i32..=hi_t.floor() as i32).map(|e| 10f64.powi(e)).map(|v| (place(v), format::number(v))).collect();
        let every = decades.len().div_ceil(MAX_TICKS).max(1);
        decades.into_iter().step_by(every).collect()
    } else {
        format::number_ticks(lo, hi, MAX_TICKS).into_iter().map(|(v, l)| (place(v), l)).collect()
    };
    Axis { of, label, scale: if log { Scale::Log } else { Scale::Linear }, positions, values, ticks }
}

fn category_axis(of: AxisOf, label: String, values: &[Option<String>]) -> Axis {
    let distinct: Vec<&str> = values.iter().flatten().map(String::as_str).collect::<BTreeSet<_>>().into_iter().collect();
    let place = |i: usize| if distinct.len() > 1 { i as f64 / (distinct.len() - 1) as f64 } else { 0.5 };
    let positions = values.iter().map(|v| v.as_deref().and_then(|v| distinct.iter().position(|d| *d == v)).map(place)).collect();
    let every = distinct.len().div_ceil(MAX_TICKS).max(1);
    let ticks = distinct.iter().enumerate().step_by(every).map(|(i, v)| (place(i), v.to_string())).collect();
    Axis { of, label, scale: Scale::Categories, positions, values: values.to_vec(), ticks }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::compare::tests::run;
    use crate::query::RunRecord;

    fn with_loss(id: &str, params: &[(&str, &str)], loss: Option<f64>) -> RunRecord {
        match loss {
            Some(v) => run(id, params, &[("loss", v)]),
            None => run(id, params, &[]),
        }
    }

    fn axis(c: &Comparison, of: AxisOf) -> Axis {
        c.axis(&of).unwrap_or_else(|| panic!("no axis {of:?}"))
    }

    #[test]
    fn numbers_spread_linearly_or_by_decades_categories_evenly() {
        let runs = [
            with_loss("a", &[("lr", "0.0001"), ("opt", "sgd"), ("depth", "2")], Some(0.5)),
            with_loss("b", &[("lr", "1e-3"), ("opt", "adam"), ("depth", "4")], Some(0.25)),
            with_loss("c", &[("lr", "0.01"), ("opt", "sgd"), ("depth", "6")], Some(f64::NAN)),
            with_loss("d", &[("opt", "lion")], Some(1.0)),
        ];
        let c = Comparison::of(&runs, &HashMap::new(), None);

        let lr = axis(&c, AxisOf::Param("lr".into()));
        assert_eq!(lr.scale, Scale::Log);
        assert_eq!(lr.positions, [Some(0.0), Some(0.5), Some(1.0), None]);
        assert_eq!(lr.ticks.iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>(), ["1.000e-4", "0.001", "0.01"]);
        assert_eq!(lr.values[1].as_deref(), Some("1e-3"), "the value as recorded");

        let depth = axis(&c, AxisOf::Param("depth".into()));
        assert_eq!((depth.scale, depth.positions.clone()), (Scale::Linear, vec![Some(0.0), Some(0.5), Some(1.0), None]));
        assert!(depth.ticks.iter().all(|(at, l)| (at - (l.parse::<f64>().unwrap() - 2.0) / 4.0).abs() < 1e-12), "{:?}", depth.ticks);

        let opt = axis(&c, AxisOf::Param("opt".into()));
        assert_eq!(opt.scale, Scale::Categories);
        assert_eq!(opt.ticks, [(0.0, "adam".to_string()), (0.5, "lion".to_string()), (1.0, "sgd".to_string())]);
        assert_eq!(opt.positions, [Some(1.0), Some(0.0), Some(1.0), Some(0.5)]);

        let loss = axis(&c, AxisOf::Metric { key: "loss".into(), agg: Agg::Latest });
        assert_eq!((loss.label.as_str(), loss.scale), ("loss (latest)", Scale::Linear), "metrics are never log");
        assert_eq!(loss.positions, [Some(1.0 / 3.0), Some(0.0), None, Some(1.0)]);
        assert_eq!(loss.values[2].as_deref(), Some("NaN"), "off the axis, still shown");

        assert!(c.axis(&AxisOf::Param("nope".into())).is_none());
        assert!(c.axis(&AxisOf::Metric { key: "nope".into(), agg: Agg::Min }).is_none());
    }

    #[test]
    fn one_value_sits_in_the_middle_and_many_categories_label_some() {
        let names: Vec<String> = (0..30).map(|i| format!("n{i:02}")).collect();
        let runs: Vec<RunRecord> = names.iter().map(|n| with_loss(n, &[("seed", "7"), ("name", n)], Some(2.0))).collect();
        let c = Comparison::of(&runs, &HashMap::new(), None);
        let seed = axis(&c, AxisOf::Param("seed".into()));
        assert!(seed.positions.iter().all(|p| *p == Some(0.5)));
        assert_eq!(seed.ticks, [(0.5, "7".to_string())]);
        let name = axis(&c, AxisOf::Param("name".into()));
        assert!(name.ticks.len() <= MAX_TICKS && name.ticks.len() >= MAX_TICKS / 2, "{:?}", name.ticks);
        assert_eq!(name.ticks[0], (0.0, "n00".to_string()));
    }

    #[test]
    fn telling_params_put_what_goes_with_the_metric_first() {
        let runs = [
            with_loss("a", &[("lr", "0.1"), ("seed", "3"), ("same", "x")], Some(0.9)),
            with_loss("b", &[("lr", "0.01"), ("seed", "1"), ("same", "x")], Some(0.5)),
            with_loss("c", &[("lr", "0.001"), ("seed", "2"), ("same", "x"), ("extra", "1")], Some(0.1)),
        ];
        let c = Comparison::of(&runs, &HashMap::new(), Some(("loss", Agg::Latest)));
        assert_eq!(c.telling_params(), ["lr", "seed", "extra"], "lr goes with loss (ρ = 1), seed less; `same` does not differ");
        assert_eq!(Comparison::of(&runs, &HashMap::new(), None).telling_params(), ["extra", "lr", "seed"]);
    }
}
