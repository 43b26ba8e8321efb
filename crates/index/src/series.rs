//! Compact storage of metric points and their summaries.
//!
//! A series is stored sorted by step (ties keep arrival order) in chunks of at most
//! [`CHUNK_POINTS`] points. Chunk layout:
//!
//! ```text
//! u8      flags: bit 0 = values stored as f32 (every value is exactly an f32)
//!                bit 1 = steps run-length encoded, bit 2 = times run-length encoded
//! varint  n
//! steps   n zigzag varints: the first step, then deltas; or, run-length encoded: the
//!         first step, then (delta, repeat count) pairs covering the n - 1 deltas
//! times   the same for time_ms
//! values  n little-endian f32 or f64
//! ```
//!
//! Steps usually advance by one and times by a constant, so their run-length form takes a
//! few bytes per chunk; irregular ones take 1–3 bytes per point as plain deltas (the
//! encoder picks the smaller form per column). Values are kept bit for bit.

use runlens_sources::Point;

/// Points per chunk: big enough to amortise the row overhead, small enough that
/// re-encoding the last chunk on a live append stays cheap.
pub const CHUNK_POINTS: usize = 4096;

const FLAG_F32: u8 = 1;
const FLAG_STEPS_RLE: u8 = 2;
const FLAG_TIMES_RLE: u8 = 4;

/// Why a chunk could not be decoded (a damaged index; a rebuild fixes it).
#[derive(Debug, thiserror::Error)]
#[error("damaged series chunk: {0}")]
pub struct ChunkError(&'static str);

/// Encodes points (already in storage order) into one chunk.
pub fn encode(points: &[Point]) -> Vec<u8> {
    let as_f32 = points.iter().all(|p| (p.value as f32) as f64 == p.value || p.value.is_nan());
    let steps = encode_column(points.iter().map(|p| p.step));
    let times = encode_column(points.iter().map(|p| p.time_ms));
    let mut flags = if as_f32 { FLAG_F32 } else { 0 };
    if steps.0 {
        flags |= FLAG_STEPS_RLE;
    }
    if times.0 {
        flags |= FLAG_TIMES_RLE;
    }
    let mut out = Vec::with_capacity(steps.1.len() + times.1.len() + points.len() * if as_f32 { 4 } else { 8 } + 12);
    out.push(flags);
    put_varint(&mut out, points.len() as u64);
    out.extend_from_slice(&steps.1);
    out.extend_from_slice(&times.1);
    for p in points {
        if as_f32 {
            out.extend_from_slice(&(p.value as f32).to_le_bytes());
        } else {
            out.extend_from_slice(&p.value.to_le_bytes());
        }
    }
    out
}

/// One integer column as plain deltas or as run-length encoded deltas, whichever is
/// smaller; `true` for the run-length form.
fn encode_column(values: impl Iterator<Item = i64> + Clone) -> (bool, Vec<u8>) {
    let mut plain = Vec::new();
    let mut prev = 0i64;
    for v in values.clone() {
        put_varint(&mut plain, zigzag(v.wrapping_sub(prev)));
        prev = v;
    }
    let mut rle = Vec::new();
    let mut iter = values;
    if let Some(first) = iter.next() {
        put_varint(&mut rle, zigzag(first));
        let mut prev = first;
        let mut run: Option<(i64, u64)> = None;
        for v in iter {
            let delta = v.wrapping_sub(prev);
            prev = v;
            run = match run {
                Some((d, n)) if d == delta => Some((d, n + 1)),
                Some((d, n)) => {
                    put_varint(&mut rle, zigzag(d));
                    put_varint(&mut rle, n);
                    if rle.len() >= plain.len() {
                        return (false, plain);
                    }
                    Some((delta, 1))
                }
                None => Some((delta, 1)),
            };
        }
        if let Some((d, n)) = run {
            put_varint(&mut rle, zigzag(d));
            put_varint(&mut rle, n);
        }
    }
    if rle.len() < plain.len() { (true, rle) } else { (false, plain) }
}

/// Reads `n` values of one integer column into `set` (called with the index and value).
fn decode_column(input: &mut &[u8], n: usize, rle: bool, mut set: impl FnMut(usize, i64)) -> Result<(), ChunkError> {
    if n == 0 {
        return Ok(());
    }
    if !rle {
        let mut v = 0i64;
        for i in 0..n {
            v = v.wrapping_add(unzigzag(get_varint(input)?));
            set(i, v);
        }
        return Ok(());
    }
    let mut v = unzigzag(get_varint(input)?);
    set(0, v);
    let mut i = 1;
    while i < n {
        let delta = unzigzag(get_varint(input)?);
        let count = get_varint(input)? as usize;
        if count == 0 || count > n - i {
            return Err(ChunkError("bad run length"));
        }
        for _ in 0..count {
            v = v.wrapping_add(delta);
            set(i, v);
            i += 1;
        }
    }
    Ok(())
}

/// Appends the points of one chunk to `out`.
pub fn decode_into(data: &[u8], out: &mut Vec<Point>) -> Result<(), ChunkError> {
    let (&flags, mut rest) = data.split_first().ok_or(ChunkError("empty"))?;
    let n = get_varint(&mut rest)? as usize;
    if n > rest.len() {
        return Err(ChunkError("point count larger than the chunk"));
    }
    let start = out.len();
    out.resize(start + n, Point { step: 0, time_ms: 0, value: 0.0 });
    let result = (|| {
        let points = &mut out[start..];
        decode_column(&mut rest, n, flags & FLAG_STEPS_RLE != 0, |i, v| points[i].step = v)?;
        decode_column(&mut rest, n, flags & FLAG_TIMES_RLE != 0, |i, v| points[i].time_ms = v)?;
        let width = if flags & FLAG_F32 != 0 { 4 } else { 8 };
        if rest.len() != n * width {
            return Err(ChunkError("value bytes do not match the point count"));
        }
        for (p, bytes) in points.iter_mut().zip(rest.chunks_exact(width)) {
            p.value = if width == 4 {
                f32::from_le_bytes(bytes.try_into().unwrap_or_default()) as f64
            } else {
                f64::from_le_bytes(bytes.try_into().unwrap_or_default())
            };
        }
        Ok(())
    })();
    if result.is_err() {
        out.truncate(start);
    }
    result
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(input: &mut &[u8]) -> Result<u64, ChunkError> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = input.split_first().ok_or(ChunkError("truncated varint"))?;
        *input = rest;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Ok(v);
        }
    }
    Err(ChunkError("varint too long"))
}

/// Per-series numbers kept in columns so tables and filters never touch the points.
/// `first` and `last` follow logging order, as the trackers' own readers report them
/// (MLflow's `log_model` re-logs step-0 points at the end of a run, say); `latest` is
/// MLflow's latest value: the point with the highest step, among those the highest
/// timestamp, among those the largest value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub count: u64,
    /// First value logged, and its step.
    pub first: f64,
    pub first_step: i64,
    /// Last value logged, its step and time.
    pub last: f64,
    pub last_step: i64,
    pub last_time_ms: i64,
    /// Smallest and largest value ignoring NaN (NaN when every value is NaN).
    pub min: f64,
    pub max: f64,
    /// The highest step, and MLflow's latest value: the one at that step with the highest
    /// timestamp (`latest_time_ms`), the largest of those if several share it.
    pub max_step: i64,
    pub latest: f64,
    pub latest_time_ms: i64,
}

impl Summary {
    /// Summary of points in logging order. `None` for no points.
    pub fn of(points: &[Point]) -> Option<Summary> {
        let first = points.first()?;
        let mut s = Summary {
            count: 0,
            first: first.value,
            first_step: first.step,
            last: first.value,
            last_step: first.step,
            last_time_ms: first.time_ms,
            min: f64::NAN,
            max: f64::NAN,
            max_step: first.step,
            latest: first.value,
            latest_time_ms: first.time_ms,
        };
        s.extend(points);
        Some(s)
    }

    /// Whether `p` replaces the latest point so far: MLflow keeps the maximum of
    /// `(step, timestamp, value)` over the points in logging order (both its file store's
    /// `max()` and its SQL store's latest-metrics update), so a point replaces it only when
    /// that triple is larger. A NaN value never wins a tie, nor loses one it holds, since
    /// no comparison with NaN is true.
    fn is_later(&self, p: &Point) -> bool {
        (p.step, p.time_ms) > (self.max_step, self.latest_time_ms)
            || ((p.step, p.time_ms) == (self.max_step, self.latest_time_ms) && p.value > self.latest)
    }

    /// Extends the summary by points logged after every point it covers.
    pub fn extend(&mut self, points: &[Point]) {
        let Some(last) = points.last() else { return };
        self.last = last.value;
        self.last_step = last.step;
        self.last_time_ms = last.time_ms;
        self.count += points.len() as u64;
        for p in points {
            if self.is_later(p) {
                self.max_step = p.step;
                self.latest = p.value;
                self.latest_time_ms = p.time_ms;
            }
            if !p.value.is_nan() {
                // f64::min/max ignore a NaN operand, so the NaN start value is replaced.
                self.min = self.min.min(p.value);
                self.max = self.max.max(p.value);
            }
        }
    }
}

/// Sorts points by step, keeping arrival order among equal steps.
pub fn sort_by_step(points: &mut [Point]) {
    points.sort_by_key(|p| p.step);
}

/// Every stored point of a series, in storage order (sorted by step).
pub(crate) fn load_points(conn: &rusqlite::Connection, sid: i64) -> rusqlite::Result<Vec<Point>> {
    // Room for every point at once (the column before the blob: no overflow page read).
    let n: i64 = conn.prepare_cached("SELECT coalesce(sum(n), 0) FROM chunks WHERE sid = ?1")?.query_row([sid], |r| r.get(0))?;
    let mut out = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
    let mut stmt = conn.prepare_cached("SELECT data FROM chunks WHERE sid = ?1 ORDER BY seq")?;
    let mut rows = stmt.query([sid])?;
    while let Some(r) = rows.next()? {
        let data: &[u8] = r.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?;
        decode_into(data, &mut out).map_err(damaged)?;
    }
    Ok(out)
}

/// A chunk that cannot be decoded, as the database error it is to callers.
pub(crate) fn damaged(e: ChunkError) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Blob, Box::new(e))
}

/// Summary columns are NULL where the value is NaN.
pub(crate) fn nan_if_null(v: Option<f64>) -> f64 {
    v.unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(values: &[(i64, i64, f64)]) -> Vec<Point> {
        values.iter().map(|&(step, time_ms, value)| Point { step, time_ms, value }).collect()
    }

    #[test]
    fn chunks_round_trip_every_value_exactly() {
        let points = pts(&[
            (0, 1_715_058_000_000, 0.1),
            (1, 1_715_058_001_500, f64::NAN),
            (1, 1_715_058_001_400, f64::INFINITY),
            (-5, 0, f64::NEG_INFINITY),
            (i64::MAX, i64::MIN, 1e-300),
        ]);
        let data = encode(&points);
        let mut back = Vec::new();
        decode_into(&data, &mut back).unwrap();
        assert_eq!(back.len(), points.len());
        for (a, b) in points.iter().zip(&back) {
            assert_eq!((a.step, a.time_ms), (b.step, b.time_ms));
            assert!(a.value == b.value || (a.value.is_nan() && b.value.is_nan()));
        }
    }

    #[test]
    fn regular_steps_and_times_cost_almost_nothing() {
        let points: Vec<Point> = (0..4096).map(|i| Point { step: i, time_ms: 1_714_986_000_000 + 1500 * i, value: 0.5 }).collect();
        let data = encode(&points);
        assert!(data.len() < 4096 * 4 + 32, "{} bytes: values only", data.len());
        let mut back = Vec::new();
        decode_into(&data, &mut back).unwrap();
        assert_eq!(back, points);
        // Irregular times fall back to plain deltas, still exact.
        let jitter: Vec<Point> = (0..1000).map(|i| Point { step: i, time_ms: 1000 * i + (i * 7919) % 13, value: i as f64 }).collect();
        let mut back = Vec::new();
        decode_into(&encode(&jitter), &mut back).unwrap();
        assert_eq!(back, jitter);
    }

    #[test]
    fn f32_values_take_four_bytes() {
        let points: Vec<Point> = (0..1000).map(|i| Point { step: i, time_ms: 1000 * i, value: (i as f32 * 0.1) as f64 }).collect();
        let data = encode(&points);
        assert!(data.len() < 1000 * 8, "{} bytes", data.len());
    }

    #[test]
    fn damaged_chunks_are_errors_not_panics() {
        let data = encode(&pts(&[(0, 0, 1.0), (1, 1, 2.0)]));
        for cut in 0..data.len() {
            let mut out = Vec::new();
            assert!(decode_into(&data[..cut], &mut out).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn summary_follows_logging_order_and_ignores_nan_for_extremes() {
        let s = Summary::of(&pts(&[(0, 0, f64::NAN), (1, 0, 3.0), (2, 0, -1.0), (0, 9, 2.0)])).unwrap();
        assert_eq!(s.count, 4);
        assert!(s.first.is_nan());
        assert_eq!((s.last, s.last_step, s.last_time_ms), (2.0, 0, 9));
        assert_eq!((s.min, s.max, s.max_step, s.latest), (-1.0, 3.0, 2, -1.0));
    }

    #[test]
    fn latest_breaks_ties_at_the_highest_step_as_mlflow_does() {
        // (step, time, value) in logging order; MLflow keeps the maximum triple.
        let latest = |points: &[(i64, i64, f64)]| Summary::of(&pts(points)).unwrap().latest;
        assert_eq!(latest(&[(5, 9, 0.3), (5, 5, 0.9)]), 0.3, "an earlier timestamp logged later loses");
        assert_eq!(latest(&[(5, 5, 0.9), (5, 9, 0.3)]), 0.3, "a later timestamp wins");
        assert_eq!(latest(&[(3, 3, 0.7), (3, 3, 0.4)]), 0.7, "same step and time: the larger value");
        assert_eq!(latest(&[(3, 3, 0.4), (3, 3, 0.7)]), 0.7);
        assert_eq!(latest(&[(9, 0, 0.1), (3, 99, 0.7)]), 0.1, "the step comes first");
        assert!(latest(&[(1, 1, f64::NAN), (1, 1, 2.0)]).is_nan(), "NaN holds a tie");
        assert_eq!(latest(&[(1, 1, 2.0), (1, 1, f64::NAN)]), 2.0, "and never wins one");
        // Extending a stored summary gives what one pass over every point gives.
        let all = pts(&[(0, 0, 1.0), (5, 9, 0.3), (5, 5, 0.9), (5, 9, 0.2)]);
        let mut s = Summary::of(&all[..2]).unwrap();
        s.extend(&all[2..]);
        assert_eq!(s, Summary::of(&all).unwrap());
        assert_eq!((s.latest, s.latest_time_ms), (0.3, 9));
    }
}
