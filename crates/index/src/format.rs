//! Text every consumer shows the same way: durations, and keys written in the filter
//! language (backquoted metric keys, sort keys). The app's wire types, the CLI's text
//! output and reports call these; nobody formats them again.

/// A duration in ms as people read it: `2d 3h`, `1h 2m`, `1h`, `3m 4s`, `42.5s`, `0.25s`.
/// Under a minute, three significant digits; above, whole units (rounded to the second).
/// Negative durations (a clock that went back) get a leading `-`.
pub fn duration(ms: i64) -> String {
    if ms < 0 {
        return format!("-{}", duration(ms.saturating_neg()));
    }
    // Under a minute: three significant digits, in integer arithmetic (no 59.96 → "60.0s").
    let (hundredths, tenths) = (ms.saturating_add(5) / 10, ms.saturating_add(50) / 100);
    let fraction = if ms < 1000 {
        Some((0, format!("{ms:03}")))
    } else if hundredths < 1000 {
        Some((hundredths / 100, format!("{:02}", hundredths % 100)))
    } else if tenths < 600 {
        Some((tenths / 10, format!("{}", tenths % 10)))
    } else {
        None
    };
    if let Some((whole, digits)) = fraction {
        let digits = digits.trim_end_matches('0');
        return if digits.is_empty() { format!("{whole}s") } else { format!("{whole}.{digits}s") };
    }
    let s = ms.saturating_add(500) / 1000;
    let (d, h, m, s) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    // The larger unit, and the next one unless it is zero (`1h`, `1h 5m`).
    let (big, unit, small, small_unit) = if d > 0 {
        (d, 'd', h, 'h')
    } else if h > 0 {
        (h, 'h', m, 'm')
    } else {
        (m, 'm', s, 's')
    };
    if small == 0 { format!("{big}{unit}") } else { format!("{big}{unit} {small}{small_unit}") }
}

/// A number as tables show it: four significant digits (`0.3291`, `123500`), in
/// scientific notation below 0.001 and from a million (`2.742e-7`), `NaN`, `∞`, `−∞`.
/// What the app's cells, the CLI's tables and reports show (the app gets the text on the
/// wire: `MetricCell::text`, `CompareCell::text`).
pub fn number(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "∞" } else { "−∞" }.into();
    }
    if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-3) {
        return format!("{v:.3e}").replace("e", if v.abs() >= 1.0 { "e+" } else { "e" });
    }
    // Rounded to four significant digits, then written shortest (as JavaScript's
    // `Number(v.toPrecision(4)).toString()`).
    let rounded: f64 = format!("{v:.3e}").parse().unwrap_or(v);
    if rounded == 0.0 { "0".into() } else { format!("{rounded}") }
}

/// Ticks for a number axis from `lo` to `hi`: the multiples of the smallest round step
/// (1, 2 or 5 times a power of ten) that give at most `max_ticks`, each with its
/// [`number`] label.
pub fn number_ticks(lo: f64, hi: f64, max_ticks: usize) -> Vec<(f64, String)> {
    if !(lo.is_finite() && hi.is_finite()) || hi < lo {
        return Vec::new();
    }
    if hi == lo {
        return vec![(lo, number(lo))];
    }
    let most = max_ticks.max(1) as i64;
    let power = 10f64.powf(((hi - lo) / most as f64).log10().floor());
    let span = |step: f64| ((lo / step).ceil() as i64, (hi / step).floor() as i64);
    let step = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&s| {
            let (first, last) = span(s);
            last - first < most
        })
        .unwrap_or(100.0 * power);
    let (first, last) = span(step);
    (first..=last)
        .map(|k| {
            // k·step, not a running sum: no drift; rounded so 0.30000000000000004 is 0.3.
            let v = k as f64 * step;
            let v: f64 = format!("{v:.12e}").parse().unwrap_or(v);
            (v, number(v))
        })
        .collect()
}

/// Ticks for an axis of durations in ms, from `lo` to `hi`: the multiples of the smallest
/// round step (1 ms, 2, 5, …, 1 s, 2 s, 5 s, 10 s, 15 s, 30 s, 1 m, …, 1 d, 2 d, weeks) that
/// give at most `max_ticks`, each with its [`duration`] label.
pub fn duration_ticks(lo: f64, hi: f64, max_ticks: usize) -> Vec<(f64, String)> {
    const STEPS: [i64; 28] = [
        1,
        2,
        5,
        10,
        20,
        50,
        100,
        200,
        500,
        1_000,
        2_000,
        5_000,
        10_000,
        15_000,
        30_000,
        60_000,
        120_000,
        300_000,
        600_000,
        900_000,
        1_800_000,
        3_600_000,
        7_200_000,
        10_800_000,
        21_600_000,
        43_200_000,
        86_400_000,
        172_800_000,
    ];
    const WEEK: f64 = 604_800_000.0;
    if !(lo.is_finite() && hi.is_finite()) || hi < lo {
        return Vec::new();
    }
    let (span, most) = (hi - lo, max_ticks.max(1) as f64);
    let step = match STEPS.iter().map(|&s| s as f64).find(|s| span / s < most) {
        Some(s) => s,
        None => WEEK * (span / (WEEK * most)).ceil().max(1.0),
    };
    let mut ticks = Vec::new();
    let mut x = (lo / step).ceil() * step;
    while x <= hi && ticks.len() <= max_ticks {
        ticks.push((x, duration(x as i64)));
        x += step;
    }
    ticks
}

/// How long a run took, when its tracker recorded both ends.
pub fn run_duration(start_ms: Option<i64>, end_ms: Option<i64>) -> Option<String> {
    Some(duration(end_ms?.checked_sub(start_ms?)?))
}

/// A key as one segment of a field in the filter language: always backquoted, a
/// backquote inside doubled (`` `val/loss` ``, `` `a``b` ``).
pub fn quote_key(key: &str) -> String {
    format!("`{}`", key.replace('`', "``"))
}

/// The filter-language field of a metric's latest value: `` metrics.`val/loss` ``.
pub fn metric_field(key: &str) -> String {
    format!("metrics.{}", quote_key(key))
}

/// A sort key of the filter language from a field and a direction (`-started`).
pub fn sort_key(field: &str, descending: bool) -> String {
    if descending { format!("-{field}") } else { field.to_string() }
}

/// Bytes in binary units, as the app shows them: `512 B`, `2.0 KiB`, `1.5 MiB`, `3.20 GiB`.
pub fn size(bytes: u64) -> String {
    const K: f64 = 1024.0;
    let b = bytes as f64;
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{:.1} KiB", b / K),
        1_048_576..1_073_741_824 => format!("{:.1} MiB", b / (K * K)),
        1_073_741_824..1_099_511_627_776 => format!("{:.2} GiB", b / (K * K * K)),
        _ => format!("{:.2} TiB", b / (K * K * K * K)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::{Agg, Field, parse_sort};

    #[test]
    fn numbers_read_as_the_apps_cells() {
        // What JavaScript's `Number(v.toPrecision(4)).toString()` (or `toExponential(3)`) gives for each (checked in node when the app formatted them itself).
        for (v, shown) in [
            (0.32908087447, "0.3291"),
            (123456.0, "123500"),
            (2.7416e-7, "2.742e-7"),
            (1234567.0, "1.235e+6"),
            (-0.0012345, "-0.001234"),
            (42.0, "42"),
            (0.0, "0"),
            (-0.0, "0"),
            (0.1 + 0.2, "0.3"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "∞"),
            (f64::NEG_INFINITY, "−∞"),
        ] {
            assert_eq!(number(v), shown, "{v}");
        }
    }

    #[test]
    fn durations_read_as_people_write_them() {
        let cases = [
            (0, "0s"),
            (250, "0.25s"),
            (5_230, "5.23s"),
            (42_500, "42.5s"),
            (59_999, "1m"),
            (59_940, "59.9s"),
            (9_996, "10s"),
            (60_000, "1m"),
            (184_000, "3m 4s"),
            (3_599_600, "1h"),
            (3_720_000, "1h 2m"),
            (26 * 3_600_000 + 300_000, "1d 2h"),
            (-90_000, "-1m 30s"),
        ];
        for (ms, text) in cases {
            assert_eq!(duration(ms), text, "{ms} ms");
        }
        assert_eq!(run_duration(Some(1_000), Some(61_000)).as_deref(), Some("1m"));
        assert_eq!(run_duration(Some(1_000), None), None);
        assert_eq!(duration(i64::MIN), format!("-{}", duration(i64::MAX)));
    }

    #[test]
    fn number_ticks_fall_on_round_numbers() {
        let labels = |lo, hi, n| number_ticks(lo, hi, n).into_iter().map(|(_, l)| l).collect::<Vec<_>>();
        assert_eq!(labels(0.0, 1.0, 6), ["0", "0.2", "0.4", "0.6", "0.8", "1"]);
        assert_eq!(labels(0.0, 1.0, 5), ["0", "0.5", "1"]);
        assert_eq!(labels(0.13, 0.92, 4), ["0.2", "0.4", "0.6", "0.8"]);
        assert_eq!(labels(-3.0, 7.0, 3), ["0", "5"]);
        assert_eq!(labels(2.5, 2.5, 5), ["2.5"]);
        assert!(number_ticks(1.0, f64::NAN, 5).is_empty());
        let ticks = number_ticks(0.1, 0.7, 10);
        assert!(ticks.iter().all(|(v, l)| l.parse::<f64>().unwrap() == *v), "{ticks:?}");
    }

    #[test]
    fn duration_ticks_fall_on_round_durations() {
        let labels = |lo, hi| duration_ticks(lo, hi, 8).into_iter().map(|(_, l)| l).collect::<Vec<_>>();
        assert_eq!(labels(0.0, 3_600_000.0), ["0s", "10m", "20m", "30m", "40m", "50m", "1h"]);
        assert_eq!(labels(1_200.0, 4_000.0), ["1.5s", "2s", "2.5s", "3s", "3.5s", "4s"]);
        assert_eq!(labels(0.0, 30.0 * 86_400_000.0), ["0s", "7d", "14d", "21d", "28d"]);
        assert!(duration_ticks(f64::NAN, 1.0, 8).is_empty() && duration_ticks(2.0, 1.0, 8).is_empty());
    }

    /// Whatever a tracker named a metric, the sort key built for it sorts by that metric.
    #[test]
    fn metric_sort_keys_parse_back_to_their_key() {
        for key in ["loss", "val/loss", "loss.min", "a b", "tick`s", "``", "ünï", "-x", "asc"] {
            for descending in [false, true] {
                let text = sort_key(&metric_field(key), descending);
                let parsed = parse_sort(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
                assert_eq!(parsed.field, Field::Metric { key: key.to_string(), agg: Agg::Latest }, "{text}");
                assert_eq!(parsed.descending, descending, "{text}");
            }
        }
    }
}
