//! What every handle to one collector shares: the series behind a lock,
//! and what a flush needs (base tags, client, error handler).
//!
//! Below both the thread-local frames (`context`) and the public handle
//! (`collector`), so that neither has to import the other.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use crate::errors::handler::ErrorHandler;
use crate::input::enclosing::Enclosing;
use crate::input::notice::Notice;
use crate::input::sample::{Kind, Sample};
use crate::input::tags::Tags;
use crate::scope::ending::{Ended, Plan};
use crate::scope::outcome::Outcome;
use crate::scope::panic_text;
use crate::scope::recipe::Recipe;
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
    /// An execution's collector (an annotated call's, a request's, a
    /// span's, one built with an ending): what its end adds. It is sent
    /// once, by its last handle, after it ended; a handle's flush sends
    /// nothing.
    pub(crate) execution: Option<Box<Plan>>,
    /// The tags the execution's end added (its outcome, a request's
    /// status), sent with every series when the last handle drops; set
    /// once, when it ends.
    ended: OnceLock<Vec<Cow<'static, str>>>,
    /// A collector built by hand as an execution: a handle's
    /// [`Collector::end`](crate::Collector::end) ends it. Others (a call's,
    /// a request's, a span's) are ended by what started them.
    pub(crate) ends_by_handle: bool,
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
        execution: Option<Box<Plan>>,
    ) -> Shared {
        Shared {
            store: Mutex::new(Store::with_base(max_series, key_base.clone())),
            holds: AtomicBool::new(false),
            key_base,
            base_len,
            client,
            on_error,
            max_series,
            execution,
            ended: OnceLock::new(),
            ends_by_handle: false,
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

    /// The collector of an execution that has not built one yet, from what
    /// its frame keeps.
    pub(crate) fn from_recipe(key_base: KeyBase, recipe: &Recipe, max_series: usize) -> Shared {
        Shared::new(
            key_base,
            recipe.base_len,
            recipe.client.clone(),
            recipe.on_error.clone(),
            max_series,
            Some(Box::new(recipe.plan.to_owned_names())),
        )
    }

    /// Ends the execution this collector is, once (a later end is
    /// ignored): its duration and check go into the series, its end's tags
    /// and the tags of the collectors around it (`enclosing`, unless known
    /// already) go out with every line when the last handle drops. Whether
    /// this call ended it.
    pub(crate) fn end(&self, ended: Ended, enclosing: Enclosing) -> bool {
        match &self.execution {
            Some(plan) => self.end_as_planned(plan, ended, enclosing),
            None => false,
        }
    }

    /// [`Shared::end`], with what `plan` adds rather than its own plan: a
    /// span's collector retired by `Span::record` ends with the outcome
    /// only, its current one with the span's duration and check too.
    pub(crate) fn end_as_planned(&self, plan: &Plan, ended: Ended, enclosing: Enclosing) -> bool {
        if self.execution.is_none() {
            return false;
        }
        let mut closing = plan.close(ended);
        if self.ended.set(std::mem::take(&mut closing.tags)).is_err() {
            return false;
        }
        if plan.inherit {
            self.set_enclosing(enclosing);
        }
        let rejected = {
            let mut store = self.lock();
            self.holds.store(true, Ordering::Release);
            closing.write(&mut store, &self.on_error)
        };
        if let Some(rejected) = rejected {
            rejected.report();
        }
        true
    }

    /// Sends now what the collector holds, with the tags its end added:
    /// for the end of the process, which cannot wait for the last handle.
    pub(crate) fn flush_ended(&self) -> FlushReport {
        let tags: Vec<&str> = self
            .ended
            .get()
            .map_or(Vec::new(), |tags| tags.iter().map(|tag| &**tag).collect());
        self.flush(&tags)
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
    /// also where an execution's collector is flushed, once, with what its
    /// end added: when it has ended and the work it handed its collector to
    /// has let go of it. An execution never ended (a collector built with
    /// an ending and dropped without [`Collector::end`]) ends here: `panic`
    /// during an unwind, else `cancelled`.
    ///
    /// [`Collector::end`]: crate::Collector::end
    fn drop(&mut self) {
        if self.execution.is_some() && self.ended.get().is_none() {
            let ended = if std::thread::panicking() {
                Ended {
                    text: panic_text::take(),
                    ..Ended::with(Outcome::Panic)
                }
            } else {
                Ended::with(Outcome::Cancelled)
            };
            self.end(ended, Enclosing::NONE);
        }
        self.flush_ended();
    }
}
