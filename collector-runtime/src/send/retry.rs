//! A value built on first use and kept once built, whose failed build is
//! tried again, but not more than once per pause: the global client's
//! cell. A DNS failure while an agent pod starts must not cost metrics for
//! the life of the process, nor a resolver call on every record.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

pub(crate) struct RetryCell<T, E> {
    built: OnceLock<Arc<T>>,
    /// The last failed build and when it was tried.
    last_failure: Mutex<Option<(Instant, E)>>,
    pause: Duration,
}

impl<T, E: Clone> RetryCell<T, E> {
    pub(crate) const fn new(pause: Duration) -> Self {
        RetryCell {
            built: OnceLock::new(),
            last_failure: Mutex::new(None),
            pause,
        }
    }

    /// The value, if built.
    #[inline]
    pub(crate) fn get(&self) -> Option<&Arc<T>> {
        self.built.get()
    }

    /// The value, built with `build` unless a build failed less than the
    /// pause before `now` (its error is returned again then). One build runs
    /// at a time; a success is kept for good.
    pub(crate) fn get_or_build(
        &self,
        now: Instant,
        build: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        if let Some(value) = self.built.get() {
            return Ok(Arc::clone(value));
        }
        let mut last = self.last_failure.lock().unwrap_or_else(|e| e.into_inner());
        // Another thread may have built it while this one waited.
        if let Some(value) = self.built.get() {
            return Ok(Arc::clone(value));
        }
        if let Some((at, error)) = &*last {
            if now.saturating_duration_since(*at) < self.pause {
                return Err(error.clone());
            }
        }
        match build() {
            Ok(value) => {
                *last = None;
                Ok(Arc::clone(self.built.get_or_init(|| Arc::new(value))))
            }
            Err(error) => {
                *last = Some((now, error.clone()));
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// A builder that fails its first `failures` calls, and counts calls.
    struct Flaky {
        failures: u32,
        calls: Cell<u32>,
    }

    impl Flaky {
        fn build(&self) -> Result<&'static str, String> {
            let call = self.calls.get() + 1;
            self.calls.set(call);
            if call <= self.failures {
                Err(format!("failure {call}"))
            } else {
                Ok("client")
            }
        }
    }

    #[test]
    fn a_failed_build_is_tried_again_after_the_pause_and_a_success_is_kept() {
        let cell = RetryCell::new(Duration::from_secs(1));
        let flaky = Flaky {
            failures: 2,
            calls: Cell::new(0),
        };
        let start = Instant::now();
        let at = |millis| start + Duration::from_millis(millis);

        assert_eq!(
            cell.get_or_build(at(0), || flaky.build()),
            Err("failure 1".into())
        );
        // Within the pause: the same error, and no build.
        assert_eq!(
            cell.get_or_build(at(500), || flaky.build()),
            Err("failure 1".into())
        );
        assert_eq!(
            cell.get_or_build(at(999), || flaky.build()),
            Err("failure 1".into())
        );
        assert_eq!(flaky.calls.get(), 1);
        // A pause later: built again, failing again, and the pause restarts.
        assert_eq!(
            cell.get_or_build(at(1_000), || flaky.build()),
            Err("failure 2".into())
        );
        assert_eq!(
            cell.get_or_build(at(1_999), || flaky.build()),
            Err("failure 2".into())
        );
        assert_eq!(flaky.calls.get(), 2);
        assert!(cell.get().is_none());
        // Then it works, and is kept: no build ever again.
        assert_eq!(
            *cell.get_or_build(at(2_000), || flaky.build()).unwrap(),
            "client"
        );
        assert_eq!(
            *cell.get_or_build(at(2_001), || flaky.build()).unwrap(),
            "client"
        );
        assert_eq!(
            *cell.get_or_build(at(90_000), || flaky.build()).unwrap(),
            "client"
        );
        assert_eq!(flaky.calls.get(), 3);
        assert_eq!(cell.get().map(|v| **v), Some("client"));
    }

    #[test]
    fn a_first_success_builds_once() {
        let cell = RetryCell::<u8, String>::new(Duration::from_secs(1));
        let calls = Cell::new(0);
        for _ in 0..3 {
            let value = cell.get_or_build(Instant::now(), || {
                calls.set(calls.get() + 1);
                Ok(7)
            });
            assert_eq!(value.as_deref(), Ok(&7));
        }
        assert_eq!(calls.get(), 1);
    }

    #[test]
    fn threads_racing_on_a_failing_build_build_once_per_pause() {
        let cell = RetryCell::<u8, String>::new(Duration::from_secs(3600));
        let calls = std::sync::atomic::AtomicU32::new(0);
        let now = Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..100 {
                        let _ = cell.get_or_build(now, || {
                            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            Err("down".to_owned())
                        });
                    }
                });
            }
        });
        assert_eq!(calls.into_inner(), 1);
    }
}
