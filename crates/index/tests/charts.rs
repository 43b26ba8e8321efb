//! Series for charts on the real 101,000-point TensorBoard run: reduced without losing
//! extremes, zoomed by range on every x axis, complete when the range is small.

mod common;

use common::{TestIndex, fixture};
use runlens_index::RunsQuery;
use runlens_index::chart::{SeriesRequest, XAxis};

fn long_run() -> (TestIndex, String) {
    let mut t = TestIndex::new();
    t.add(&fixture("tensorboard"));
    let id = t.index.runs(&RunsQuery::default()).unwrap().into_iter().find(|r| r.name == "long-run").unwrap().id;
    (t, id)
}

fn request(id: &str, x: XAxis, range: Option<(f64, f64)>, max_points: usize) -> SeriesRequest {
    SeriesRequest { run_id: id.to_string(), key: "loss".into(), x, range, max_points, smoothing: 0.0 }
}

#[test]
fn a_long_series_is_reduced_to_the_budget_keeping_its_extremes() {
    let (t, id) = long_run();
    let all = t.index.series(&id, "loss").unwrap().unwrap();
    assert_eq!(all.len(), 101_000);
    let view = t.index.series_view(&request(&id, XAxis::Step, None, 2000)).unwrap().unwrap();
    assert!(view.reduced);
    assert_eq!((view.stored, view.in_range), (101_000, 101_000));
    assert!(view.points.len() <= 2000 && view.points.len() >= 1000, "{}", view.points.len());
    let max = all.iter().map(|p| p.value).fold(f64::MIN, f64::max);
    let min = all.iter().map(|p| p.value).fold(f64::MAX, f64::min);
    assert!(view.points.iter().any(|p| p.value == max), "the global maximum survives");
    assert!(view.points.iter().any(|p| p.value == min), "the global minimum survives");
    assert_eq!(view.points.first().map(|p| p.step), all.first().map(|p| p.step));
}

#[test]
fn zooming_reads_the_range_and_a_small_range_comes_back_whole() {
    let (t, id) = long_run();
    let all = t.index.series(&id, "loss").unwrap().unwrap();
    let zoom = t.index.series_view(&request(&id, XAxis::Step, Some((50_000.0, 50_999.0)), 2000)).unwrap().unwrap();
    assert!(!zoom.reduced, "1,000 points fit in 2,000");
    assert_eq!(zoom.in_range, 1000);
    let expected: Vec<_> = all.iter().filter(|p| (50_000..=50_999).contains(&p.step)).copied().collect();
    assert_eq!(zoom.points, expected, "every point of the range, exactly");

    // The same window on the wall-time and relative axes (0.1 s per step in this run).
    let t0 = all[0].time_ms as f64;
    let wall = t.index.series_view(&request(&id, XAxis::WallTime, Some((t0 + 5_000_000.0, t0 + 5_099_900.0)), 2000)).unwrap().unwrap();
    assert_eq!(wall.points, expected);
    let rel = t.index.series_view(&request(&id, XAxis::Relative, Some((5_000_000.0, 5_099_900.0)), 2000)).unwrap().unwrap();
    assert_eq!(rel.points, expected);
    assert_eq!(rel.origin_ms, all[0].time_ms);
}

#[test]
fn unknown_runs_and_metrics() {
    let (t, id) = long_run();
    assert!(t.index.series_view(&request(&id, XAxis::Step, None, 10)).unwrap().is_some());
    let mut missing = request(&id, XAxis::Step, None, 10);
    missing.key = "nope".into();
    assert!(t.index.series_view(&missing).unwrap().is_none());
    assert!(t.index.series_view(&request("no-such-run", XAxis::Step, None, 10)).is_err());
}
