//! The kinds of record, a recorded sample and a series' running total: what
//! a record carries into the store and what the line writer reads back out.

use std::time::Duration;

/// The DogStatsD metric types a collector aggregates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Counter,
    Histogram,
    Distribution,
    Timing,
    Gauge,
}

/// One recorded value, before it is folded into its series.
///
/// Every variant holds one 64-bit integer, so that a sample is passed in two
/// registers: with an `f64` beside the integers it would go through memory
/// on every record.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Sample {
    Count(i64),
    /// A float, as its bits (see [`Sample::value`]).
    Value(u64),
    /// Nanoseconds (see [`Sample::elapsed`]).
    Elapsed(u64),
}

impl Sample {
    #[inline(always)]
    pub(crate) fn value(value: f64) -> Sample {
        Sample::Value(value.to_bits())
    }

    /// A duration in nanoseconds, saturating at `u64::MAX` (584 years), as
    /// the sum of durations saturates anyway.
    #[inline(always)]
    pub(crate) fn elapsed(elapsed: Duration) -> Sample {
        Sample::Elapsed(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX))
    }
}

/// A series' running value: a sum, except for gauges, which keep the last.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Total {
    Count(i64),
    Sum(f64),
    Elapsed(Duration),
    Last(f64),
}

impl Total {
    pub(crate) fn first(kind: Kind, sample: Sample) -> Total {
        match (kind, sample) {
            (Kind::Gauge, Sample::Value(v)) => Total::Last(f64::from_bits(v)),
            (_, Sample::Count(n)) => Total::Count(n),
            (_, Sample::Value(v)) => Total::Sum(f64::from_bits(v)),
            (_, Sample::Elapsed(d)) => Total::Elapsed(Duration::from_nanos(d)),
        }
    }

    #[inline]
    pub(crate) fn add(&mut self, sample: Sample) {
        match (self, sample) {
            (Total::Count(total), Sample::Count(n)) => *total = total.saturating_add(n),
            (Total::Sum(total), Sample::Value(v)) => *total += f64::from_bits(v),
            (Total::Elapsed(total), Sample::Elapsed(d)) => {
                *total = total.saturating_add(Duration::from_nanos(d));
            }
            (Total::Last(last), Sample::Value(v)) => *last = f64::from_bits(v),
            // Each kind is recorded with one sample shape (see `Collector`).
            (total, sample) => debug_assert!(false, "{sample:?} into {total:?}"),
        }
    }

    /// Folds in the total of the same series recorded later elsewhere.
    pub(crate) fn absorb(&mut self, later: Total) {
        match (self, later) {
            (Total::Count(total), Total::Count(n)) => *total = total.saturating_add(n),
            (Total::Sum(total), Total::Sum(v)) => *total += v,
            (Total::Elapsed(total), Total::Elapsed(d)) => *total = total.saturating_add(d),
            (Total::Last(last), Total::Last(v)) => *last = v,
            (total, later) => debug_assert!(false, "{later:?} into {total:?}"),
        }
    }
}
