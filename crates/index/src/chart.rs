//! Series for charts: the points of one metric over a visible range of an x axis,
//! reduced to a bounded number while keeping every extreme, so one spike among a million
//! points survives at every zoom level. Only the chunks that overlap the range are read.

use runlens_sources::Point;
use rusqlite::{OptionalExtension, params};

use crate::series;
use crate::{Index, IndexError};

/// What the x axis of a chart is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum XAxis {
    #[default]
    Step,
    /// Wall time, ms since the epoch.
    WallTime,
    /// Ms since the run's first point of this metric.
    Relative,
}

impl XAxis {
    pub fn parse(s: &str) -> Option<XAxis> {
        match s {
            "step" => Some(XAxis::Step),
            "time" | "wall" | "wall_time" | "walltime" => Some(XAxis::WallTime),
            "relative" | "rel" => Some(XAxis::Relative),
            _ => None,
        }
    }
}

/// A request for one chart line.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesRequest {
    pub run_id: String,
    pub key: String,
    pub x: XAxis,
    /// Visible x range, inclusive, in the axis' units; `None`: everything.
    pub range: Option<(f64, f64)>,
    /// At most this many points come back: the first and last point of the range plus
    /// `(max_points - 2) / 2` buckets, each keeping its lowest and highest point. When the
    /// range holds no more than this, every point.
    pub max_points: usize,
    /// Exponential smoothing weight in [0, 1) as TensorBoard applies it (debiased EMA
    /// over the full-resolution points, before reduction); 0 = none.
    pub smoothing: f64,
}

/// One chart line.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesView {
    /// Real stored points (not averages), sorted by x.
    pub points: Vec<Point>,
    /// Points stored for this metric.
    pub stored: u64,
    /// Points inside the requested range.
    pub in_range: u64,
    /// True when `points` is a reduction of `in_range` points.
    pub reduced: bool,
    /// For `XAxis::Relative`: the wall time (ms) that x = 0 stands for.
    pub origin_ms: i64,
}

impl SeriesView {
    /// The x value of a point on `axis`.
    pub fn x(&self, axis: XAxis, p: &Point) -> f64 {
        x_of(axis, self.origin_ms, p)
    }
}

fn x_of(axis: XAxis, origin_ms: i64, p: &Point) -> f64 {
    match axis {
        XAxis::Step => p.step as f64,
        XAxis::WallTime => p.time_ms as f64,
        XAxis::Relative => (p.time_ms - origin_ms) as f64,
    }
}

impl Index {
    /// One metric of one run for a chart (see [`SeriesRequest`]). `Ok(None)` when the
    /// run has no such metric.
    pub fn series_view(&self, req: &SeriesRequest) -> Result<Option<SeriesView>, IndexError> {
        let rid: Option<i64> = self.conn.query_row("SELECT rid FROM runs WHERE id = ?1", [&req.run_id], |r| r.get(0)).optional()?;
        let rid = rid.ok_or_else(|| IndexError::UnknownRun(req.run_id.clone()))?;
        let meta: Option<(i64, i64, i64)> = self
            .conn
            .query_row(
                "SELECT m.sid, m.count, (SELECT min(c.time_min) FROM chunks c WHERE c.sid = m.sid)
                 FROM metrics m WHERE m.rid = ?1 AND m.key = ?2",
                params![rid, req.key],
                |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, Option<i64>>(2)?.unwrap_or(0))),
            )
            .optional()?;
        let Some((sid, stored, origin_ms)) = meta else { return Ok(None) };

        // Read only the chunks overlapping the range.
        let (lo, hi) = req.range.unwrap_or((f64::NEG_INFINITY, f64::INFINITY));
        let (column_min, column_max, shift) = match req.x {
            XAxis::Step => ("step_min", "step_max", 0.0),
            XAxis::WallTime => ("time_min", "time_max", 0.0),
            XAxis::Relative => ("time_min", "time_max", origin_ms as f64),
        };
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT data FROM chunks WHERE sid = ?1 AND {column_max} >= ?2 AND {column_min} <= ?3 ORDER BY seq"))?;
        let (qlo, qhi) = (clamp_i64(lo + shift, f64::floor), clamp_i64(hi + shift, f64::ceil));
        let mut rows = stmt.query(params![sid, qlo, qhi])?;
        let mut points = Vec::new();
        while let Some(r) = rows.next()? {
            let data: &[u8] = r.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?;
            series::decode_into(data, &mut points).map_err(series::damaged)?;
        }
        let x = |p: &Point| x_of(req.x, origin_ms, p);
        points.retain(|p| (lo..=hi).contains(&x(p)));
        if req.x != XAxis::Step && !points.windows(2).all(|w| x(&w[0]) <= x(&w[1])) {
            points.sort_by(|a, b| x(a).total_cmp(&x(b)));
        }
        if req.smoothing > 0.0 {
            smooth(&mut points, req.smoothing.min(0.999));
        }
        let in_range = points.len() as u64;
        let (points, reduced) = at_most(points, x, req.max_points);
        Ok(Some(SeriesView { points, stored: stored as u64, in_range, reduced, origin_ms }))
    }
}

fn clamp_i64(v: f64, round: fn(f64) -> f64) -> i64 {
    if v.is_nan() { 0 } else { round(v).clamp(i64::MIN as f64, i64::MAX as f64) as i64 }
}

/// `points` (sorted by `x`) as a chart of at most `max_points` draws them: all of them when
/// they are no more, else the first and last and the lowest and highest point of each of
/// `(max_points - 2) / 2` buckets ([`reduce`]). True when reduced.
pub fn at_most(points: Vec<Point>, x: impl Fn(&Point) -> f64, max_points: usize) -> (Vec<Point>, bool) {
    if points.len() <= max_points.max(2) {
        return (points, false);
    }
    (reduce(&points, x, (max_points.saturating_sub(2) / 2).max(1)), true)
}

/// TensorBoard's debiased exponential moving average, in place. Non-finite values are
/// left as they are and do not feed the average.
pub fn smooth(points: &mut [Point], weight: f64) {
    let mut last = 0.0;
    let mut debias_weight = 0.0;
    for p in points.iter_mut() {
        if !p.value.is_finite() {
            continue;
        }
        last = last * weight + (1.0 - weight) * p.value;
        debias_weight = debias_weight * weight + (1.0 - weight);
        p.value = last / debias_weight;
    }
}

/// Min/max decimation: splits the x extent of `points` (sorted by x) into `buckets`
/// equal-width buckets and keeps, per bucket, its lowest and highest point in x order,
/// plus the first and last point so the line spans the whole range. NaN values never
/// win a bucket; a bucket of only NaNs keeps one, so gaps stay visible.
pub fn reduce(points: &[Point], x: impl Fn(&Point) -> f64, buckets: usize) -> Vec<Point> {
    let (Some(first), Some(last)) = (points.first(), points.last()) else { return Vec::new() };
    let (x0, x1) = (x(first), x(last));
    let width = (x1 - x0) / buckets as f64;
    let bucket_of = |p: &Point| if width > 0.0 { (((x(p) - x0) / width) as usize).min(buckets - 1) } else { 0 };
    let mut out = Vec::with_capacity(buckets * 2 + 2);
    out.push(*first);
    let mut i = 0;
    while i < points.len() {
        // The points are sorted by x, so a bucket's points are consecutive: its end is
        // found by galloping then bisecting from its start (near points, in the cache),
        // not by working out the bucket of every point.
        let b = bucket_of(&points[i]);
        let mut step = 1;
        while i + step < points.len() && bucket_of(&points[i + step]) == b {
            step *= 2;
        }
        let (from, to) = (i + step / 2 + 1, (i + step).min(points.len()));
        let end = from + points[from..to].partition_point(|p| bucket_of(p) == b);
        let bucket = &points[i..end];
        match extremes(bucket) {
            (Some(a), Some(b)) if a == b => out.push(bucket[a]),
            (Some(a), Some(b)) => {
                out.push(bucket[a.min(b)]);
                out.push(bucket[a.max(b)]);
            }
            _ => out.push(bucket[bucket.iter().position(|p| p.value.is_nan()).unwrap_or(0)]),
        }
        i = end;
    }
    out.push(*last);
    // The first and last point may also be a bucket's extreme: keep each point once.
    out.dedup_by(|a, b| a == b || (a.value.is_nan() && b.value.is_nan() && a.step == b.step && a.time_ms == b.time_ms));
    out
}

/// The first lowest and the first highest point of `points` that is not NaN: `None` when
/// all are NaN.
fn extremes(points: &[Point]) -> (Option<usize>, Option<usize>) {
    // Comparisons with NaN are false, so NaNs never win and the loop has no branch on it.
    let (mut lo, mut lo_value, mut hi, mut hi_value) = (None, f64::INFINITY, None, f64::NEG_INFINITY);
    for (j, p) in points.iter().enumerate() {
        if p.value < lo_value {
            (lo, lo_value) = (Some(j), p.value);
        }
        if p.value > hi_value {
            (hi, hi_value) = (Some(j), p.value);
        }
    }
    // Nothing below +inf (or above -inf): the first point at that infinity, if any. Both
    // are then `None` only when every value is NaN.
    let lo = lo.or_else(|| points.iter().position(|p| p.value == f64::INFINITY));
    let hi = hi.or_else(|| points.iter().position(|p| p.value == f64::NEG_INFINITY));
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: i64) -> Vec<Point> {
        (0..n).map(|i| Point { step: i, time_ms: 1000 * i, value: (i as f64 * 0.001).sin() }).collect()
    }

    #[test]
    fn a_single_spike_survives_reduction() {
        let mut points = line(1_000_000);
        points[777_777].value = 50.0;
        points[123_456].value = -50.0;
        let reduced = reduce(&points, |p| p.step as f64, 999);
        assert!(reduced.len() <= 2000);
        assert_eq!((reduced[0].step, reduced[reduced.len() - 1].step), (0, 999_999), "the line spans the range");
        assert!(reduced.iter().any(|p| p.step == 777_777 && p.value == 50.0));
        assert!(reduced.iter().any(|p| p.step == 123_456 && p.value == -50.0));
        assert!(reduced.windows(2).all(|w| w[0].step < w[1].step), "x order kept");
    }

    #[test]
    fn smoothing_is_debiased_and_skips_non_finite_values() {
        let mut points: Vec<Point> = [1.0, f64::NAN, 3.0].iter().enumerate().map(|(i, v)| Point { step: i as i64, time_ms: 0, value: *v }).collect();
        smooth(&mut points, 0.5);
        assert_eq!(points[0].value, 1.0, "the first value is itself");
        assert!(points[1].value.is_nan());
        // (0.5 * 0.5 * 1 + 0.5 * 3) / (1 - 0.25) = 1.75 / 0.75
        assert!((points[2].value - 1.75 / 0.75).abs() < 1e-12);
    }

    /// The rule `reduce` implements, written the plain way: every point's bucket worked
    /// out, the first lowest and first highest value of each run of one bucket kept.
    fn reduce_by_definition(points: &[Point], buckets: usize) -> Vec<Point> {
        let (x0, x1) = (points[0].step as f64, points[points.len() - 1].step as f64);
        let width = (x1 - x0) / buckets as f64;
        let bucket_of = |p: &Point| if width > 0.0 { (((p.step as f64 - x0) / width) as usize).min(buckets - 1) } else { 0 };
        let mut out = vec![points[0]];
        for group in points.chunk_by(|a, b| bucket_of(a) == bucket_of(b)) {
            let values = || group.iter().enumerate().filter(|(_, p)| !p.value.is_nan());
            let lo = values().fold(None, |m: Option<(usize, f64)>, (j, p)| if m.is_none_or(|(_, v)| p.value < v) { Some((j, p.value)) } else { m });
            let hi = values().fold(None, |m: Option<(usize, f64)>, (j, p)| if m.is_none_or(|(_, v)| p.value > v) { Some((j, p.value)) } else { m });
            match (lo, hi) {
                (Some((a, _)), Some((b, _))) => {
                    out.push(group[a.min(b)]);
                    if a != b {
                        out.push(group[a.max(b)]);
                    }
                }
                _ => out.push(group[group.iter().position(|p| p.value.is_nan()).unwrap_or(0)]),
            }
        }
        out.push(points[points.len() - 1]);
        out.dedup_by(|a, b| a == b || (a.value.is_nan() && b.value.is_nan() && a.step == b.step && a.time_ms == b.time_ms));
        out
    }

    #[test]
    fn reduction_keeps_what_the_rule_says_with_ties_gaps_infinities_and_repeated_steps() {
        // A deterministic jumble: repeated values (ties), NaN stretches, both infinities,
        // steps that repeat and jump, so buckets are uneven and some are empty.
        let mut state = 7u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            state >> 33
        };
        let mut step = 0;
        let points: Vec<Point> = (0..20_000)
            .map(|i| {
                step += [0, 1, 1, 1, 3, 40][next() as usize % 6];
                let value = match next() % 50 {
                    0 => f64::NAN,
                    1 => f64::INFINITY,
                    2 => f64::NEG_INFINITY,
                    r if (i / 500) % 7 == 3 => {
                        if r < 45 {
                            f64::NAN
                        } else {
                            1.0
                        }
                    }
                    r => (r % 9) as f64,
                };
                Point { step, time_ms: i, value }
            })
            .collect();
        for buckets in [1, 2, 7, 299, 5000, 40_000] {
            let got = reduce(&points, |p| p.step as f64, buckets);
            let want = reduce_by_definition(&points, buckets);
            assert_eq!(got.len(), want.len(), "{buckets} buckets");
            for (g, w) in got.iter().zip(&want) {
                assert!((g.step, g.time_ms) == (w.step, w.time_ms) && g.value.total_cmp(&w.value).is_eq(), "{buckets} buckets: {g:?} vs {w:?}");
            }
        }
    }

    #[test]
    fn nan_only_buckets_leave_a_gap_marker() {
        let mut points = line(100);
        for p in &mut points[40..60] {
            p.value = f64::NAN;
        }
        let reduced = reduce(&points, |p| p.step as f64, 10);
        assert!(reduced.iter().any(|p| p.value.is_nan()));
        assert!(reduced.iter().filter(|p| !p.value.is_nan()).count() >= 10);
    }
}
