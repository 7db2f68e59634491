//! Timing a block, a closure or a future without writing `Instant::now()`
//! and `timing(name, start.elapsed(), tags)` around it each time: a guard
//! that records its elapsed time when it drops, as the timers of the
//! `prometheus` and `metrics` crates do, and the closure and async forms of
//! the official Datadog clients' `timed`.
//!
//! The name and tags are held as given (borrowed or owned) until the time
//! is recorded, through [`timing`], into the collector current at that
//! moment: recording into an existing series allocates nothing.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::input::tags::Tags;
use crate::record::functions::timing;

/// A running timer: records the time since it started as a timing of
/// `name` when it is dropped (or [`Timer::stop`]ped), into the collector
/// current then, as [`timing`] does. Made by [`start_timer`].
///
/// It records also when it is dropped by a panic unwinding past it, so
/// a failed operation's time is counted as well.
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// let collector = collector_runtime::Collector::new();
/// let _current = collector.enter();
/// {
///     let _timer = collector_runtime::start_timer("db.query", &[("table", "users")]);
///     // ... the query ...
/// } // recorded here
/// assert_eq!(collector.len(), 1);
/// ```
#[must_use = "a timer records when it is dropped: bind it with `let _timer = ...`"]
#[derive(Debug)]
pub struct Timer<'a, T: Tags> {
    name: &'a str,
    tags: T,
    start: Instant,
    /// Whether dropping it records (false once stopped or discarded).
    armed: bool,
}

/// Starts a [`Timer`] that records its elapsed time as a timing of `name`
/// with `tags` when it drops. The tags are borrowed or owned for the
/// timer's life, whatever form [`Tags`] takes.
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// let collector = collector_runtime::Collector::new();
/// let _current = collector.enter();
/// let table = String::from("users");
/// let timer = collector_runtime::start_timer("db.query", vec![("table", table)]);
/// drop(timer);
/// assert_eq!(collector.len(), 1);
/// ```
pub fn start_timer<T: Tags>(name: &str, tags: T) -> Timer<'_, T> {
    Timer {
        name,
        tags,
        start: Instant::now(),
        armed: true,
    }
}

impl<T: Tags> Timer<'_, T> {
    /// The time since the timer started.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let timer = collector_runtime::start_timer("work", ());
    /// assert!(timer.elapsed() < std::time::Duration::from_secs(60));
    /// # timer.discard();
    /// ```
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Records the elapsed time now, and returns it.
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let collector = collector_runtime::Collector::new();
    /// let _current = collector.enter();
    /// let timer = collector_runtime::start_timer("work", ());
    /// let took = timer.stop();
    /// assert!(took < std::time::Duration::from_secs(60));
    /// assert_eq!(collector.len(), 1);
    /// ```
    pub fn stop(mut self) -> Duration {
        self.armed = false;
        let elapsed = self.start.elapsed();
        timing(self.name, elapsed, &self.tags);
        elapsed
    }

    /// Stops the timer without recording anything, and returns the elapsed
    /// time (for an operation that turned out not to count, say).
    ///
    /// ```
    /// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
    /// let collector = collector_runtime::Collector::new();
    /// let _current = collector.enter();
    /// let timer = collector_runtime::start_timer("work", ());
    /// timer.discard();
    /// assert!(collector.is_empty());
    /// ```
    pub fn discard(mut self) -> Duration {
        self.armed = false;
        self.start.elapsed()
    }
}

impl<T: Tags> Drop for Timer<'_, T> {
    fn drop(&mut self) {
        if self.armed {
            timing(self.name, self.start.elapsed(), &self.tags);
        }
    }
}

/// Runs `f` and records how long it took as a timing of `name` with `tags`,
/// into the collector current when it returns (or panics); returns what `f`
/// returned.
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// let collector = collector_runtime::Collector::new();
/// let _current = collector.enter();
/// let rows = collector_runtime::time("db.query", &["table:users"], || 3);
/// assert_eq!(rows, 3);
/// assert_eq!(collector.len(), 1);
/// ```
pub fn time<R>(name: &str, tags: impl Tags, f: impl FnOnce() -> R) -> R {
    let _timer = start_timer(name, tags);
    f()
}

/// Awaits `future` and records how long it took, from its first poll to its
/// completion, as a timing of `name` with `tags`; returns its output. The
/// time is recorded inside the last poll, so it goes to the collector
/// current there (an annotated `async fn`'s own, on whichever thread polls
/// it). If the returned future is dropped before it completes, the time up
/// to then is recorded when it drops, as a dropped [`Timer`] does.
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     use std::task::{Context, Poll, Waker};
/// #     let mut f = std::pin::pin!(f);
/// #     let mut cx = Context::from_waker(Waker::noop());
/// #     loop { if let Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
/// # }
/// let collector = collector_runtime::Collector::new();
/// let _current = collector.enter();
/// let user = block_on(collector_runtime::time_async(
///     "db.query",
///     &[("table", "users")],
///     async { "ada" },
/// ));
/// assert_eq!(user, "ada");
/// assert_eq!(collector.len(), 1);
/// ```
pub async fn time_async<F: Future>(name: &str, tags: impl Tags, future: F) -> F::Output {
    let _timer = start_timer(name, tags);
    future.await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Client, Collector};
    use cadence::SpyMetricSink;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    /// Flushes `collector`, then splits what its spy sink took into lines.
    fn lines(collector: &Collector, received: impl FnOnce() -> Vec<Vec<u8>>) -> Vec<String> {
        collector.flush();
        crate::wait_for_delivery();
        received()
            .into_iter()
            .flat_map(|d| {
                String::from_utf8(d)
                    .unwrap()
                    .split('\n')
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn millis(line: &str) -> f64 {
        line.split([':', '|']).nth(1).unwrap().parse().unwrap()
    }

    #[test]
    fn the_guard_records_its_time_when_it_drops() {
        let (received, sink) = SpyMetricSink::new();
        let collector = Collector::builder().client(Client::new(sink)).build();
        {
            let _current = collector.enter();
            let _timer = start_timer("sleep", &[("k", "v")]);
            std::thread::sleep(Duration::from_millis(20));
        }
        let sent = lines(&collector, || received.try_iter().collect());
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert!(sent[0].starts_with("sleep:") && sent[0].ends_with("|ms|#k:v"));
        assert!(millis(&sent[0]) >= 20.0, "{sent:?}");
    }

    #[test]
    fn stop_records_once_and_discard_never() {
        let (received, sink) = SpyMetricSink::new();
        let collector = Collector::builder().client(Client::new(sink)).build();
        {
            let _current = collector.enter();
            let took = start_timer("a", ()).stop();
            start_timer("b", ()).discard();
            assert!(took < Duration::from_secs(60));
        }
        let sent = lines(&collector, || received.try_iter().collect());
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert!(sent[0].starts_with("a:"), "{sent:?}");
    }

    #[test]
    fn the_closure_form_returns_its_value_and_records_on_panic_too() {
        let (received, sink) = SpyMetricSink::new();
        let collector = Collector::builder().client(Client::new(sink)).build();
        {
            let _current = collector.enter();
            assert_eq!(time("ok", (), || 5), 5);
            let panicked = catch_unwind(AssertUnwindSafe(|| time("fails", (), || panic!("x"))));
            assert!(panicked.is_err());
        }
        let mut sent = lines(&collector, || received.try_iter().collect());
        sent.sort();
        assert_eq!(sent.len(), 2, "{sent:?}");
        assert!(sent[0].starts_with("fails:") && sent[1].starts_with("ok:"));
    }
}
