//! What `#[collect_metrics]` expands to call: one collector per call, made
//! current for the body (around every poll, for an async call or a returned
//! future), and ended exactly once when the call ends, however it ends,
//! through the one ending every execution has (`ending`); if the call
//! handed its collector out (`Collector::current`), the last handle to it
//! flushes, after that.
//!
//! How it ended is told by the call itself, never by the thread's state
//! alone: a panic is one that left this body, `cancelled` a body dropped
//! before it completed, `error` an `Err` the body returned. The body guard
//! (`CallScope::body`) is in `body`, the futures (`CallScope::run`) in
//! `call_future`, the probes in `probe`.
//!
//! The steps every call takes (`builder`, `start`, `body`, `enter`, the end
//! of a call that recorded nothing) are `#[inline]`: they run in the user's
//! crate, and as calls into this one each would move the scope through
//! memory, which costs more than the steps themselves. What is rare (a
//! flush, a collector handed out) stays out of line.
//!
//! Not a stable API: reached through `__private` by generated code only.

use std::fmt::Display;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use crate::input::enclosing::Enclosing;
use crate::scope::collector::{Collector, CollectorBuilder};
use crate::scope::context::{self, CallTarget, EnterGuard, Owner};
use crate::scope::ending::{send_store, Ended, Plan};
use crate::scope::outcome::Progress;
use crate::scope::panic_text;
use crate::scope::recipe::Recipe;
use crate::scope::shared::Shared;
use crate::scope::spare::{self, SpareStore};
use crate::send::client::Client;
use crate::store::KeyBase;

/// Configures one call's scope.
#[must_use]
pub struct CallScopeBuilder {
    /// The duration's metric name, when the call is timed.
    timing: Option<&'static str>,
    outcome: bool,
    check: Option<&'static str>,
    collector: CollectorBuilder,
}

impl CallScopeBuilder {
    /// Sends the call's duration as `duration_name` (`<name>.duration`,
    /// put together at compile time so a timed call allocates no name).
    #[inline]
    pub fn timing(mut self, duration_name: &'static str) -> Self {
        self.timing = Some(duration_name);
        self
    }

    /// Adds `outcome:ok|error|panic|cancelled` to every series of the call.
    #[inline]
    pub fn outcome(mut self) -> Self {
        self.outcome = true;
        self
    }

    /// Sends one service check named `name` when the call ends: `OK` when
    /// it ended `ok`, `CRITICAL` with how it ended otherwise.
    #[inline]
    pub fn service_check(mut self, name: &'static str) -> Self {
        panic_text::install();
        self.check = Some(name);
        self
    }

    /// A literal `key:value` tag, checked at compile time.
    #[inline]
    pub fn tag(mut self, tag: &'static str) -> Self {
        self.collector = self.collector.tag(tag);
        self
    }

    /// A literal key and value.
    #[inline]
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

    /// Whether the call's lines carry the base tags of the collectors it
    /// runs inside (the default: yes).
    #[inline]
    pub fn inherit_tags(mut self, inherit: bool) -> Self {
        self.collector = self.collector.inherit_tags(inherit);
        self
    }

    /// Starts the call.
    #[inline]
    pub fn start(self) -> CallScope {
        CallScope {
            plan: Plan {
                timing: self.timing.map(|name| (name, Instant::now())),
                outcome: self.outcome,
                check: self.check,
                inherit: self.collector.inherit,
            },
            base: self.collector.key_base(),
            // Moved whole: a call's start drops nothing, and stays small
            // enough to be inlined into the annotated function.
            config: self.collector,
            progress: Progress::new(),
            error_text: OnceLock::new(),
            collector: OnceLock::new(),
            parked: Mutex::new(None),
        }
    }
}

/// One call's collector; dropping it ends the call, and flushes unless the
/// call handed its collector out (then the last handle does).
pub struct CallScope {
    /// What ending it adds.
    plan: Plan<&'static str>,
    /// What building its collector takes.
    config: CollectorBuilder,
    /// What its frames leave out of series keys (starts with its base tags).
    base: KeyBase,
    progress: Progress,
    /// How the call failed, in words, when it saw them: the error's
    /// `Display`, the panic's message.
    error_text: OnceLock<String>,
    /// The call's collector, built on first use: a call that records
    /// nothing allocates nothing.
    collector: OnceLock<Collector>,
    /// What the call's frames recorded while no collector was built: the
    /// first frame's store itself, kept until the call ends and flushed from
    /// there, so a call recorded on one thread never builds a collector.
    parked: Mutex<Option<SpareStore>>,
}

impl CallScope {
    /// Configures the scope of one call.
    #[inline]
    pub fn builder() -> CallScopeBuilder {
        CallScopeBuilder {
            timing: None,
            outcome: false,
            check: None,
            collector: Collector::builder(),
        }
    }

    /// Makes the call's collector current on this thread.
    #[inline]
    pub fn enter(&self) -> EnterGuard<'_> {
        let owner = || match self.collector.get() {
            Some(collector) => Owner::Collector(Arc::clone(collector.arc())),
            None => Owner::Call(self.recipe()),
        };
        context::enter_call(self, owner, self.config.max_series, &self.base)
    }

    /// What building the call's collector takes.
    #[inline]
    fn recipe(&self) -> Recipe {
        let config = &self.config;
        Recipe {
            base_len: config.base_tags.len(),
            client: config.client.clone(),
            on_error: config.on_error.clone(),
            plan: self.plan,
        }
    }

    /// The call's collector, built on first use with what was parked.
    pub fn collector(&self) -> &Collector {
        self.adopt(|| {
            let recipe = self.recipe();
            let shared = Shared::from_recipe(self.base.clone(), &recipe, self.config.max_series);
            Collector::from_shared(Arc::new(shared))
        })
    }

    /// The call's collector: the one it has, or else `make`'s, which then
    /// takes what was parked.
    fn adopt(&self, make: impl FnOnce() -> Collector) -> &Collector {
        let mut fresh = false;
        let collector = self.collector.get_or_init(|| {
            fresh = true;
            make()
        });
        if fresh {
            if let Some(mut parked) = self.take_parked() {
                collector.shared().absorb(&mut parked);
                spare::recycle(parked);
            }
        }
        collector
    }

    fn take_parked(&self) -> Option<SpareStore> {
        self.parked.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// Records whether the call returned an error.
    #[inline]
    pub fn set_error(&self, is_error: bool) {
        self.progress.set_error(is_error);
    }

    /// Records how the call failed, in words (the error's `Display`), when
    /// the value it returned has them.
    #[inline]
    pub fn set_error_text(&self, text: Option<String>) {
        if let Some(text) = text {
            let _ = self.error_text.set(text);
        }
    }

    #[inline]
    pub(crate) fn progress(&self) -> &Progress {
        &self.progress
    }

    #[inline]
    pub(crate) fn plan(&self) -> &Plan<&'static str> {
        &self.plan
    }

    /// The body begins to run (again, for an async body's next poll).
    #[inline]
    pub(crate) fn begin(&self) {
        self.progress.begin();
        if self.plan.check.is_some() {
            panic_text::forget();
        }
    }

    /// A panic left the body: noted with its message, for the check.
    pub(crate) fn note_panic(&self) {
        self.progress.panicked();
        if self.plan.check.is_some() {
            if let Some(text) = panic_text::take() {
                let _ = self.error_text.set(text);
            }
        }
    }
}

impl CallTarget for CallScope {
    fn keep(&self, local: Option<SpareStore>, built: Option<Arc<Shared>>) -> Option<SpareStore> {
        // A collector built while the frame was current (handed out through
        // `Collector::current`) becomes the call's.
        let collector = match built {
            Some(shared) => Some(self.adopt(|| Collector::from_shared(shared))),
            None => self.collector.get(),
        };
        let mut local = local?;
        if let Some(collector) = collector {
            collector.shared().absorb(&mut local);
            return Some(local);
        }
        if local.is_empty() {
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
}

impl Drop for CallScope {
    /// Inlined into the annotated function: a call that is not timed and
    /// recorded nothing has nothing to send, and ends here.
    #[inline]
    fn drop(&mut self) {
        // `&mut self`: no lock to take, so a call that recorded nothing
        // pays no atomic operation here.
        let parked = self
            .parked
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if parked.is_some() || self.plan.adds() || self.collector.get().is_some() {
            self.finish(parked);
        }
    }
}

impl CallScope {
    /// Ends the call: its collector, if built, is ended and let go of (the
    /// last handle flushes); else what it parked is sent now.
    #[inline(never)]
    fn finish(&mut self, parked: Option<SpareStore>) {
        let ended = Ended {
            outcome: self.progress.outcome(),
            text: self.error_text.take(),
            tag: None,
        };
        // The call ends on the thread that ran it, inside its callers'
        // frames: their tags, as they are now, go with its lines, also when
        // its collector is flushed later by a handle it handed out.
        let enclosing = if self.plan.inherit {
            let call = self as *const CallScope as usize;
            let built = self
                .collector
                .get()
                .map_or(0, |c| Arc::as_ptr(c.arc()) as usize);
            context::enclosing(&[call, built])
        } else {
            Enclosing::NONE
        };
        if let Some(collector) = self.collector.take() {
            if let Some(mut parked) = parked {
                collector.shared().absorb(&mut parked);
                spare::recycle(parked);
            }
            // The call's own handle goes: the flush happens when the last
            // handle drops, here or in the work the call handed its
            // collector to, with what that work recorded after the call.
            collector.shared().end(ended, enclosing);
            return;
        }
        let mut store = match parked {
            Some(store) => store,
            None if self.plan.adds() => spare::lend_store(self.config.max_series, &self.base),
            None => return,
        };
        end_unbuilt(&mut store, &self.recipe(), &self.base, ended, &enclosing);
        spare::recycle(store);
    }
}

/// Ends an execution that built no collector, whose series are all in
/// `store`: sent now, with its closing and base tags.
pub(crate) fn end_unbuilt(
    store: &mut crate::store::Store,
    recipe: &Recipe,
    base: &KeyBase,
    ended: Ended,
    enclosing: &Enclosing,
) {
    let tags = base.tags.as_deref().unwrap_or_default();
    let base_tags = &tags[..recipe.base_len.min(tags.len())];
    let closing = recipe.plan.close(ended);
    let sender = (recipe.client.as_ref(), &recipe.on_error);
    send_store(store, closing, sender, base_tags, enclosing);
}

/// Calls `f` once: a body that must run in a closure may then move out of
/// its captures and return borrows of them.
#[inline(always)]
pub fn call_once<R>(f: impl FnOnce() -> R) -> R {
    f()
}
