//! What every handle to one collector shares: the series behind a lock,
//! and what a flush needs (base tags, client, error handler).
//!
//! Below both the thread-local frames (`context`) and the public handle
//! (`collector`), so that neither has to import the other.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use crate::errors::handler::ErrorHandler;
use crate::input::enclosing::Enclosing;
use crate::input::notice::Notice;
use crate::input::sample::{Kind, Sample};
use crate::input::tags::Tags;
use crate::send::client::Client;
use crate::store::accepted::{checked, refused, Accepted, Rejected};
use crate::store::flush::{flush_series, Contents, FlushReport, LineTags};
use crate::store::{KeyBase, Store};

/// What every handle to one collector shares.
pub(crate) struct Shared {
    store: Mutex<Store>,
    /// Whether the store may hold anything: set under the lock by every
    /// write, read without it, so that ending a call that recorded nothing
    /// (the common case of an annotated function) takes no lock at all.
    holds: AtomicBool,
    /// What series keys leave out (see [`KeyBase`]): the base tags,
    /// sanitized, then the client's tags.
    pub(crate) key_base: KeyBase,
    /// How many of `key_base`'s tags are the base tags: kept as a prefix of
    /// them, so that a thread-local frame, which holds the key base anyway,
    /// can build a collector with no more reference counts to take.
    base_len: usize,
    client: Option<Arc<Client>>,
    pub(crate) on_error: Option<ErrorHandler>,
    pub(crate) max_series: usize,
    /// An annotated call's collector: the call flushes it, not a handle.
    pub(crate) for_call: bool,
    /// The outcome tag of the call that ended, sent with every series when
    /// the last handle drops.
    outcome: OnceLock<&'static str>,
    /// The base tags of the collectors this one runs inside, learnt once:
    /// when a collector built by hand is built, when a call or a span ends
    /// (or first hands its collector out). Unset: none.
    enclosing: OnceLock<Enclosing>,
}

impl Shared {
    /// `key_base` starts with the `base_len` base tags.
    pub(crate) fn new(
        key_base: KeyBase,
        base_len: usize,
        client: Option<Arc<Client>>,
        on_error: Option<ErrorHandler>,
        max_series: usize,
        for_call: bool,
    ) -> Shared {
        Shared {
            store: Mutex::new(Store::with_base(max_series, key_base.clone())),
            holds: AtomicBool::new(false),
            key_base,
            base_len,
            client,
            on_error,
            max_series,
            for_call,
            outcome: OnceLock::new(),
            enclosing: OnceLock::new(),
        }
    }

    /// What the collectors around this one add to its lines, unless known
    /// already (the first time wins).
    pub(crate) fn set_enclosing(&self, enclosing: Enclosing) {
        if !enclosing.is_empty() {
            let _ = self.enclosing.set(enclosing);
        }
    }

    /// The collectors around this one, as far as known.
    pub(crate) fn enclosing(&self) -> Option<&Enclosing> {
        self.enclosing.get()
    }

    /// The base tags, as the first `len` tags of the key base's list, for a
    /// collector running inside this one to inherit.
    pub(crate) fn base_set(&self) -> Option<(&Arc<[String]>, usize)> {
        let tags = self.key_base.tags.as_ref()?;
        Some((tags, self.base_len))
    }

    /// An annotated call's collector whose call has ended with `outcome`
    /// (when the call reports it): sent with every series at the flush of
    /// the last handle.
    pub(crate) fn end_call(&self, outcome: Option<&'static str>) {
        if let Some(outcome) = outcome {
            let _ = self.outcome.set(outcome);
        }
    }

    #[inline]
    fn lock(&self) -> MutexGuard<'_, Store> {
        // A panic elsewhere while the lock was held leaves the series intact
        // (every update is a single store), so poisoning is ignored.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Folds one record into the shared store, for a thread that has not
    /// entered the collector; the error, if any, is reported by the caller
    /// once no lock or borrow is held.
    pub(crate) fn accept<T: Tags + ?Sized>(
        &self,
        kind: Kind,
        name: &str,
        tags: &T,
        sample: Sample,
    ) -> Accepted {
        checked(name, sample, &self.on_error)?;
        let kept = {
            let mut store = self.lock();
            self.holds.store(true, Ordering::Release);
            store.accept(kind, name, tags, sample)
        };
        refused(kept, name, &self.on_error)
    }

    /// Keeps a service check or an event, for a thread that has not entered
    /// the collector.
    pub(crate) fn keep_notice(&self, notice: Notice) -> Accepted {
        if let Some(error) = notice.problem() {
            return Err(Rejected::new(error, &self.on_error));
        }
        let mut store = self.lock();
        self.holds.store(true, Ordering::Release);
        // Past the bound it is counted as dropped, as a record is.
        let _ = store.keep_notice(notice);
        Ok(())
    }

    /// The annotated call's own service check: kept whatever the bound, so
    /// that a call that filled its collector still reports how it ended.
    pub(crate) fn keep_call_check(&self, notice: Notice) {
        let mut store = self.lock();
        self.holds.store(true, Ordering::Release);
        store.notices.push(notice);
    }

    /// Moves what one thread recorded while it had the collector entered
    /// into the shared store.
    pub(crate) fn absorb(&self, local: &mut Store) {
        if !local.is_empty() {
            let mut store = self.lock();
            self.holds.store(true, Ordering::Release);
            store.absorb(local);
        }
    }

    /// The tags added to every series at flush.
    pub(crate) fn base_tags(&self) -> &[String] {
        let tags = self.key_base.tags.as_deref().unwrap_or_default();
        &tags[..self.base_len.min(tags.len())]
    }

    /// How many series the shared store holds.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// Sends every series of the shared store once, with `extra` tags
    /// (already sanitized), and leaves it empty.
    pub(crate) fn flush(&self, extra: &[&str]) -> FlushReport {
        if !self.holds.load(Ordering::Acquire) {
            return FlushReport::default();
        }
        let (series, dropped, notices) = {
            let mut store = self.lock();
            self.holds.store(false, Ordering::Release);
            let (series, dropped) = store.take(Vec::new());
            (series, dropped, store.take_notices())
        };
        let none = Enclosing::NONE;
        let tags = LineTags {
            base: self.base_tags(),
            extra,
            enclosing: self.enclosing().unwrap_or(&none),
        };
        let contents = Contents {
            series: &series,
            notices: &notices,
            dropped,
        };
        let report = flush_series(
            self.client.as_ref(),
            &tags,
            self.on_error.as_ref(),
            &contents,
        );
        self.lock().give_back(series);
        report
    }
}

impl Drop for Shared {
    /// The last handle is gone: what the collector still holds is sent, as a
    /// `BufWriter` writes out its buffer, never dropped silently. This is
    /// also where an annotated call's collector is flushed, once, with the
    /// call's outcome: when the call has ended and the work it handed its
    /// collector to has let go of it.
    fn drop(&mut self) {
        let outcome = self.outcome.get().copied();
        self.flush(outcome.as_slice());
    }
}
