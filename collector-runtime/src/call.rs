//! What `#[collect_metrics]` expands to call: one collector per call, made
//! current for the body (around every poll, for an async call), and flushed
//! exactly once when the call ends, however it ends.
//!
//! Not a stable API: reached through `__private` by generated code only.

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::Instant;

use crate::client::Client;
use crate::collector::{refused, Collector, CollectorBuilder, KeyBase};
use crate::context::{self, EnterGuard, SpareStore};
use crate::error::report;
use crate::flush::flush_series;
use crate::series::{Kind, Sample};

/// Configures one call's scope.
#[must_use]
pub struct CallScopeBuilder {
    name: &'static str,
    timing: bool,
    outcome: bool,
    collector: CollectorBuilder,
}

impl CallScopeBuilder {
    /// Sends the call's duration as `<name>.duration`.
    pub fn timing(mut self) -> Self {
        self.timing = true;
        self
    }

    /// Adds `outcome:ok|error|panic|cancelled` to every series of the call.
    pub fn outcome(mut self) -> Self {
        self.outcome = true;
        self
    }

    /// A literal `key:value` tag, checked at compile time.
    pub fn tag(mut self, tag: &'static str) -> Self {
        self.collector = self.collector.tag(tag);
        self
    }

    /// A literal key and value.
    pub fn tag_pair(mut self, key: &'static str, value: &'static str) -> Self {
        self.collector = self.collector.tag((key, value));
        self
    }

    /// A key with a value computed when the call starts.
    pub fn tag_display(mut self, key: &'static str, value: &dyn Display) -> Self {
        self.collector = self.collector.tag((key, value.to_string()));
        self
    }

    /// A client of the call's own.
    pub fn client(mut self, client: impl Into<Client>) -> Self {
        self.collector = self.collector.client(client);
        self
    }

    /// Starts the call.
    pub fn start(self) -> CallScope {
        CallScope {
            name: self.name,
            started: self.timing.then(Instant::now),
            outcome: self.outcome,
            base: self.collector.key_base(),
            config: self.collector,
            collector: OnceLock::new(),
            parked: Mutex::new(None),
            is_error: AtomicBool::new(false),
            completed: AtomicBool::new(false),
            polled: AtomicBool::new(false),
            panicked: AtomicBool::new(false),
        }
    }
}

/// One call's collector; dropping it flushes.
pub struct CallScope {
    name: &'static str,
    started: Option<Instant>,
    outcome: bool,
    /// The call's collector, built on first use from `config`: a call that
    /// records nothing allocates nothing.
    config: CollectorBuilder,
    /// What its frames leave out of series keys.
    base: KeyBase,
    collector: OnceLock<Collector>,
    /// What the call's frames recorded while no collector was built: the
    /// first frame's store itself, kept until the call ends and flushed from
    /// there, so a call recorded on one thread never builds a collector.
    parked: Mutex<Option<SpareStore>>,
    // Atomics, not cells: an async call's future holds `&CallScope` across
    // awaits and must stay `Send`.
    is_error: AtomicBool,
    completed: AtomicBool,
    polled: AtomicBool,
    panicked: AtomicBool,
}

impl CallScope {
    /// Configures the scope of a call to the function `name`.
    pub fn builder(name: &'static str) -> CallScopeBuilder {
        CallScopeBuilder {
            name,
            timing: false,
            outcome: false,
            collector: Collector::builder(),
        }
    }

    /// Makes the call's collector current on this thread.
    pub fn enter(&self) -> EnterGuard<'_> {
        context::enter_call(
            self,
            self.config.max_series,
            &self.config.on_error,
            &self.base,
        )
    }

    /// The call's collector, built on first use with what was parked.
    pub fn collector(&self) -> &Collector {
        self.collector.get_or_init(|| {
            let collector = self.config.clone().build();
            if let Some(mut parked) = self.take_parked() {
                collector.shared().absorb(&mut parked);
                context::recycle(parked);
            }
            collector
        })
    }

    fn take_parked(&self) -> Option<SpareStore> {
        self.parked.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// Takes what one frame recorded for the call; gives the store back to
    /// be reused unless it was kept.
    pub(crate) fn keep(&self, mut local: SpareStore) -> Option<SpareStore> {
        if local.is_empty() {
            return Some(local);
        }
        if let Some(collector) = self.collector.get() {
            collector.shared().absorb(&mut local);
            return Some(local);
        }
        let mut parked = self.parked.lock().unwrap_or_else(|e| e.into_inner());
        match parked.as_mut() {
            Some(held) => {
                held.absorb(&mut local);
                Some(local)
            }
            None => {
                *parked = Some(local);
                None
            }
        }
    }

    /// Records whether the call returned an error.
    pub fn set_error(&self, is_error: bool) {
        self.is_error.store(is_error, Ordering::Relaxed);
    }

    /// Records that the call reached its end.
    pub fn complete(&self) {
        self.completed.store(true, Ordering::Relaxed);
    }

    /// Polls `fut` with the call's collector current, noting a panic.
    pub fn poll_in<F: Future>(&self, fut: Pin<&mut F>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polled.store(true, Ordering::Relaxed);
        let _current = self.enter();
        let _watch = PanicWatch(&self.panicked);
        fut.poll(cx)
    }

    fn outcome(&self) -> &'static str {
        if self.panicked.load(Ordering::Relaxed) || std::thread::panicking() {
            "outcome:panic"
        } else if self.is_error.load(Ordering::Relaxed) {
            "outcome:error"
        } else if self.polled.load(Ordering::Relaxed) && !self.completed.load(Ordering::Relaxed) {
            "outcome:cancelled"
        } else {
            "outcome:ok"
        }
    }
}

/// Notes that a poll unwound: executors catch a task's panic and drop the
/// future later, when the thread no longer looks like it is panicking.
struct PanicWatch<'a>(&'a AtomicBool);

impl Drop for PanicWatch<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::Relaxed);
        }
    }
}

impl Drop for CallScope {
    fn drop(&mut self) {
        let elapsed = self.started.map(|started| started.elapsed());
        let duration = || format!("{}.duration", self.name);
        let outcome = self.outcome.then(|| self.outcome());
        let parked = self.take_parked();
        if let Some(collector) = self.collector.get() {
            if let Some(mut parked) = parked {
                collector.shared().absorb(&mut parked);
                context::recycle(parked);
            }
            if let Some(elapsed) = elapsed {
                collector.timing(&duration(), elapsed, ());
            }
            collector.flush_with(outcome.as_slice());
            return;
        }
        // Everything the call recorded is in its parked store: flushed from
        // there, with no collector built.
        let config = &self.config;
        let mut store = match (parked, elapsed) {
            (Some(store), _) => store,
            (None, Some(_)) => context::lend_store(config.max_series, &self.base),
            (None, None) => return,
        };
        if let Some(elapsed) = elapsed {
            let name = duration();
            let kept = store.accept(Kind::Timing, &name, &(), Sample::Elapsed(elapsed));
            if let Err((error, handler)) = refused(kept, &name, &config.on_error) {
                report(handler.as_ref(), error);
            }
        }
        flush_series(
            config.client.as_ref(),
            &config.base_tags,
            outcome.as_slice(),
            config.on_error.as_ref(),
            &store.series,
            store.dropped,
        );
        context::recycle(store);
    }
}

/// Tells a returned `Result::Err` apart, by autoref: `(&&value).__collector_is_err()`.
pub trait ErrProbe {
    /// Whether the value is an `Err`.
    fn __collector_is_err(&self) -> bool;
}

impl<T, E> ErrProbe for &Result<T, E> {
    fn __collector_is_err(&self) -> bool {
        self.is_err()
    }
}

/// The fallback of [`ErrProbe`]: any other value is not an error.
pub trait OkProbe {
    /// Always `false`.
    fn __collector_is_err(&self) -> bool;
}

impl<T> OkProbe for &&T {
    fn __collector_is_err(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_sees_errors_only_in_results() {
        let err: Result<u8, ()> = Err(());
        let ok: Result<u8, ()> = Ok(1);
        let other = 5u8;
        assert!((&&err).__collector_is_err());
        assert!(!(&&ok).__collector_is_err());
        assert!(!(&&other).__collector_is_err());
    }
}
