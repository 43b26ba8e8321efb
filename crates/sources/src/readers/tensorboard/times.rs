//! A run's start and end from the wall times its events record.
//!
//! Event wall times are whatever clock the writer was given: tensorboardX's `add_hparams`
//! writes its own event file with the current time next to scalars logged with explicit
//! wall times from long ago, a writer whose clock was never set writes 1970. Wall times
//! further apart than [`GAP`] are therefore not taken as one session: they are grouped
//! into [`Spans`] (times closer than [`GAP`] to each other belong together) and the run's
//! times come from the span holding the most events. The hparams plugin's
//! `start_time_secs` / `end_time_secs`, when a writer sets them, give the start and end
//! instead, unless they lie more than [`GAP`] outside that span or the end is earlier
//! than the start.

/// Wall times further apart than this (ms) are not one session: a year.
pub(super) const GAP: i64 = 365 * 24 * 3600 * 1000;
/// At most this many spans are kept per run; beyond it the one with the fewest events is
/// forgotten (real runs have one, two with a file written at another time).
pub(super) const MAX_SPANS: usize = 8;

/// Wall times (ms) of events closer than [`GAP`] to one another, and how many events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    pub lo: i64,
    pub hi: i64,
    pub events: u64,
}

/// Disjoint spans, sorted by time, each more than [`GAP`] from the next.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Spans(Vec<Span>);

impl Spans {
    pub fn add(&mut self, t: i64) {
        self.add_span(Span { lo: t, hi: t, events: 1 });
    }

    /// Adds a span, merging it with every span it comes within [`GAP`] of.
    pub fn add_span(&mut self, new: Span) {
        // Spans are sorted and apart, so their `hi` are sorted too.
        let i = self.0.partition_point(|s| s.hi.saturating_add(GAP) < new.lo);
        let mut merged = new;
        while let Some(s) = self.0.get(i).filter(|s| s.lo.saturating_sub(GAP) <= merged.hi) {
            merged = Span { lo: merged.lo.min(s.lo), hi: merged.hi.max(s.hi), events: merged.events.saturating_add(s.events) };
            self.0.remove(i);
        }
        self.0.insert(i, merged);
        if self.0.len() > MAX_SPANS
            && let Some(fewest) = self.0.iter().enumerate().min_by_key(|(_, s)| s.events).map(|(i, _)| i)
        {
            self.0.remove(fewest);
        }
    }

    pub fn extend(&mut self, other: &Spans) {
        for s in &other.0 {
            self.add_span(*s);
        }
    }

    /// The span with the most events (the later one of equals).
    pub fn main(&self) -> Option<Span> {
        self.0.iter().max_by_key(|s| s.events).copied()
    }

    pub fn as_slice(&self) -> &[Span] {
        &self.0
    }
}

/// The run's start and end: the main span's first and last wall time, or the session's
/// recorded start and end where they fit it; `fallback` (the `file_version` records'
/// times) when the run has no other event.
pub(super) fn run_times(
    spans: &Spans,
    session_start: Option<i64>,
    session_end: Option<i64>,
    fallback: Option<(i64, i64)>,
) -> (Option<i64>, Option<i64>) {
    let Some(main) = spans.main() else {
        return (fallback.map(|t| t.0), fallback.map(|t| t.1));
    };
    let start = session_start.filter(|&s| s <= main.hi && s >= main.lo.saturating_sub(GAP)).unwrap_or(main.lo);
    let end = session_end.filter(|&e| e >= start && e <= main.hi.saturating_add(GAP)).unwrap_or(main.hi);
    (Some(start), Some(end))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_714_986_000_000;
    const YEAR: i64 = GAP;

    fn spans(times: &[i64]) -> Spans {
        let mut s = Spans::default();
        for &t in times {
            s.add(t);
        }
        s
    }

    #[test]
    fn times_far_apart_form_spans_and_the_fullest_decides() {
        // tensorboardX's add_hparams file, 2.5 years after the scalars it goes with.
        let later = T0 + 2 * YEAR + YEAR / 2;
        let s = spans(&[later, later + 1, T0, T0 + 2_000, T0 + 4_000, T0 + 98_000, later + 2]);
        assert_eq!(s.as_slice().len(), 2);
        assert_eq!(s.main(), Some(Span { lo: T0, hi: T0 + 98_000, events: 4 }));
        let tie = spans(&[T0, T0 + 1, later, later + 1]);
        assert_eq!(tie.main().map(|s| s.lo), Some(later), "the later of spans with as many events");
        assert_eq!(run_times(&s, None, None, None), (Some(T0), Some(T0 + 98_000)));
        // Events at wall time 0 (an unset clock) do not stretch the run back to 1970.
        let s = spans(&[0, T0, T0 + 5]);
        assert_eq!(run_times(&s, None, None, None), (Some(T0), Some(T0 + 5)));
    }

    #[test]
    fn a_time_between_two_spans_joins_them() {
        let mut s = spans(&[0, 2 * YEAR]);
        assert_eq!(s.as_slice().len(), 2);
        s.add(YEAR);
        assert_eq!(s.as_slice(), [Span { lo: 0, hi: 2 * YEAR, events: 3 }]);
        let mut a = spans(&[10, 20]);
        a.extend(&spans(&[15, 3 * YEAR]));
        assert_eq!(a.as_slice(), [Span { lo: 10, hi: 20, events: 3 }, Span { lo: 3 * YEAR, hi: 3 * YEAR, events: 1 }]);
    }

    #[test]
    fn at_most_max_spans_are_kept_and_the_fullest_stays() {
        let mut s = spans(&[T0, T0 + 1, T0 + 2]);
        for i in 1..=20 {
            s.add(T0 + i * 2 * YEAR);
        }
        assert_eq!(s.as_slice().len(), MAX_SPANS);
        assert_eq!(s.main(), Some(Span { lo: T0, hi: T0 + 2, events: 3 }));
    }

    #[test]
    fn session_times_count_unless_they_do_not_fit_the_events() {
        let s = spans(&[T0 + 1_000, T0 + 9_000]);
        assert_eq!(run_times(&s, Some(T0), Some(T0 + 10_000), None), (Some(T0), Some(T0 + 10_000)));
        assert_eq!(run_times(&s, Some(T0), Some(T0 - 1), None), (Some(T0), Some(T0 + 9_000)), "an end before the start");
        assert_eq!(run_times(&s, None, Some(T0 + 3 * YEAR), None), (Some(T0 + 1_000), Some(T0 + 9_000)), "years after the last event");
        assert_eq!(run_times(&s, Some(T0 - 3 * YEAR), None, None), (Some(T0 + 1_000), Some(T0 + 9_000)), "years before the first event");
        assert_eq!(run_times(&s, Some(T0 + 20_000), None, None), (Some(T0 + 1_000), Some(T0 + 9_000)), "a start after every event");
    }

    #[test]
    fn without_events_the_file_version_times_are_the_run_times() {
        assert_eq!(run_times(&Spans::default(), Some(5), Some(6), Some((1, 2))), (Some(1), Some(2)));
        assert_eq!(run_times(&Spans::default(), None, None, None), (None, None));
    }
}
