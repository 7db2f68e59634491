//! What `#[collect_metrics]` expands to call: one collector per call, made
//! current for the body (around every poll, for an async call or a returned
//! future), and flushed exactly once when the call ends, however it ends,
//! or, if the call handed its collector out (`Collector::current`), when
//! the last handle to it is dropped after that.
//!
//! How it ended is told by the call itself, never by the thread's state
//! alone: a panic is one that left this body, `cancelled` a body dropped
//! before it completed, `error` an `Err` the body returned.
//!
//! The steps every call takes (`builder`, `start`, `body`, `enter`, the end
//! of a call that recorded nothing) are `#[inline]`: they run in the user's
//! crate, and as calls into this one each would move the scope through
//! memory, which costs more than the steps themselves. What is rare (a
//! flush, a collector handed out) stays out of line.
//!
//! Not a stable API: reached through `__private` by generated code only.

use std::cell::Cell;
use std::fmt::Display;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::input::enclosing::Enclosing;
use crate::input::notice::Notice;
use crate::input::sample::{Kind, Sample};
use crate::scope::call_check::call_check;
use crate::scope::collector::{Collector, CollectorBuilder};
use crate::scope::context::{
    self, CallEnding, CallTarget, EnterGuard, Owner, Recipe, SpareStore, TakenFrame,
};
use crate::scope::panic_text;
use crate::scope::shared::Shared;
use crate::send::client::Client;
use crate::store::accepted::refused;
use crate::store::flush::{flush_series, Contents, LineTags};
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
            timed: self.timing.map(|name| (name, Instant::now())),
            outcome: self.outcome,
            check: self.check,
            error_text: OnceLock::new(),
            base: self.collector.key_base(),
            config: self.collector,
            collector: OnceLock::new(),
            parked: Mutex::new(None),
            is_error: AtomicBool::new(false),
            begun: AtomicBool::new(false),
            completed: AtomicBool::new(false),
            panicked: AtomicBool::new(false),
        }
    }
}

/// One call's collector; dropping it flushes, or leaves the flush to the
/// last handle the call handed out.
pub struct CallScope {
    /// The duration's metric name and when the call started, when timed.
    timed: Option<(&'static str, Instant)>,
    outcome: bool,
    /// The name of the service check sent when the call ends, if any.
    check: Option<&'static str>,
    /// How the call failed, in words, when it saw them: the error's
    /// `Display`, the panic's message.
    error_text: OnceLock<String>,
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
    /// The call ended by returning an `Err`.
    is_error: AtomicBool,
    /// The body began to run: at once for a sync call, at the first poll
    /// for an async one, at the call for a returned future.
    begun: AtomicBool,
    /// The body ended without a panic: by its value, `return`, `?`.
    completed: AtomicBool,
    /// A panic left the body.
    panicked: AtomicBool,
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
        let config = &self.config;
        let owner = || match self.collector.get() {
            Some(collector) => Owner::Collector(Arc::clone(collector.arc())),
            None => Owner::Call(Recipe {
                base_len: config.base_tags.len(),
                client: config.client.clone(),
                on_error: config.on_error.clone(),
            }),
        };
        let ending = CallEnding {
            timed: self.timed,
            outcome: self.outcome,
            check: self.check,
            inherit: config.inherit,
        };
        context::enter_call(self, owner, config.max_series, &self.base, ending)
    }

    /// The call's collector, built on first use with what was parked.
    pub fn collector(&self) -> &Collector {
        self.adopt(|| {
            let config = &self.config;
            Collector::from_shared(Arc::new(Shared::new(
                self.base.clone(),
                config.base_tags.len(),
                config.client.clone(),
                config.on_error.clone(),
                config.max_series,
                true,
            )))
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
                context::recycle(parked);
            }
        }
        collector
    }

    fn take_parked(&self) -> Option<SpareStore> {
        self.parked.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// Runs a body in place (a sync call, or an async one that cannot
    /// suspend): the collector is current until the returned guard drops,
    /// and the guard tells how the body was left.
    #[inline]
    pub fn body(&self) -> Body<'_> {
        self.begun.store(true, Ordering::Relaxed);
        if self.check.is_some() {
            panic_text::forget();
        }
        Body {
            scope: self,
            // Only a panic that starts inside the body can be unwinding when
            // the guard drops without having been told the body ended: one
            // already unwinding when the body began (a body called from a
            // `Drop` during an unwind) cannot leave it without aborting.
            was_panicking: self.tracks() && std::thread::panicking(),
            armed: Cell::new(true),
            returns_result: Cell::new(false),
            _current: self.enter(),
        }
    }

    /// Polls an async body, held in `fut`, with the call's collector current
    /// around every poll; `fut` is dropped in place, with the collector
    /// current, when it completes or when the returned future is dropped.
    pub fn run<'a, F: Future>(&'a self, fut: Pin<&'a mut Option<F>>) -> Run<'a, F> {
        Run { scope: self, fut }
    }

    /// Records whether the call returned an error.
    #[inline]
    pub fn set_error(&self, is_error: bool) {
        self.is_error.store(is_error, Ordering::Relaxed);
    }

    /// Records how the call failed, in words (the error's `Display`), when
    /// the value it returned has them.
    #[inline]
    pub fn set_error_text(&self, text: Option<String>) {
        if let Some(text) = text {
            let _ = self.error_text.set(text);
        }
    }

    /// Whether how the call ends is wanted: for the outcome tag or the
    /// service check.
    #[inline]
    fn tracks(&self) -> bool {
        self.outcome || self.check.is_some()
    }

    /// A panic left the body: noted with its message, for the check.
    fn note_panic(&self) {
        self.panicked.store(true, Ordering::Relaxed);
        if self.check.is_some() {
            if let Some(text) = panic_text::take() {
                let _ = self.error_text.set(text);
            }
        }
    }

    #[inline]
    fn complete(&self) {
        self.completed.store(true, Ordering::Relaxed);
    }

    fn outcome(&self) -> &'static str {
        if self.panicked.load(Ordering::Relaxed) {
            "outcome:panic"
        } else if self.is_error.load(Ordering::Relaxed) {
            "outcome:error"
        } else if self.begun.load(Ordering::Relaxed) && !self.completed.load(Ordering::Relaxed) {
            "outcome:cancelled"
        } else {
            "outcome:ok"
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
        if parked.is_some()
            || self.timed.is_some()
            || self.check.is_some()
            || self.collector.get().is_some()
        {
            self.finish(parked);
        }
    }
}

impl CallScope {
    /// Sends what the call recorded, with its duration and outcome, or
    /// leaves that to the last handle it handed out.
    #[inline(never)]
    fn finish(&mut self, parked: Option<SpareStore>) {
        let timed = self.timed.map(|(name, started)| (name, started.elapsed()));
        let outcome = self.outcome.then(|| self.outcome());
        let check = self
            .check
            .map(|name| call_check(name, self.outcome(), self.error_text.take()));
        // The call ends on the thread that ran it, inside its callers'
        // frames: their tags, as they are now, go with its lines, also when
        // its collector is flushed later by a handle it handed out.
        let enclosing = if self.config.inherit {
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
            collector.shared().set_enclosing(enclosing);
            if let Some(mut parked) = parked {
                collector.shared().absorb(&mut parked);
                context::recycle(parked);
            }
            if let Some((name, elapsed)) = timed {
                collector.timing(name, elapsed, ());
            }
            if let Some(check) = check {
                collector.shared().keep_call_check(check);
            }
            collector.shared().end_call(outcome);
            // The call's own handle. The flush happens when the last handle
            // drops: here, or in the work the call handed its collector to
            // (a spawned task, a thread), with what that work recorded after
            // the call returned.
            drop(collector);
            return;
        }
        // Everything the call recorded is in its parked store: flushed from
        // there, with no collector built.
        let config = &self.config;
        let store = match parked {
            Some(store) => store,
            None if timed.is_some() || check.is_some() => {
                context::lend_store(config.max_series, &self.base)
            }
            None => return,
        };
        let recipe = Recipe {
            base_len: config.base_tags.len(),
            client: config.client.clone(),
            on_error: config.on_error.clone(),
        };
        let ending = (timed, outcome);
        send_store(store, &recipe, &config.base_tags, ending, check, &enclosing);
    }
}

/// Sends the store of a call that built no collector, with the call's
/// duration, outcome and service check and the tags of the collectors
/// around it, and recycles it.
fn send_store(
    mut store: SpareStore,
    recipe: &Recipe,
    base_tags: &[String],
    (timed, outcome): (Option<(&'static str, Duration)>, Option<&'static str>),
    check: Option<Notice>,
    enclosing: &Enclosing,
) {
    if let Some((name, elapsed)) = timed {
        let kept = store.accept(Kind::Timing, name, &(), Sample::elapsed(elapsed));
        if let Err(rejected) = refused(kept, name, &recipe.on_error) {
            rejected.report();
        }
    }
    // The call's own check goes out whatever the bound.
    store.notices.extend(check);
    let tags = LineTags {
        base: base_tags,
        extra: outcome.as_slice(),
        enclosing,
    };
    let contents = Contents {
        series: &store.series,
        notices: &store.notices,
        dropped: store.dropped,
    };
    flush_series(
        recipe.client.as_ref(),
        &tags,
        recipe.on_error.as_ref(),
        &contents,
    );
    context::recycle(store);
}

/// Ends a frame the process is ending under (see [`crate::exit`]): what it
/// recorded is sent now, an annotated call's with its duration and the
/// outcome the exit code gives, and the tags of the frames `enclosing` it.
pub(crate) fn end_taken_frame(frame: TakenFrame, ok: bool, enclosing: Enclosing) {
    let ending = frame.ending.unwrap_or(CallEnding {
        timed: None,
        outcome: false,
        check: None,
        inherit: false,
    });
    // A collector built by hand learnt its enclosing tags when built.
    let enclosing = if ending.inherit {
        enclosing
    } else {
        Enclosing::NONE
    };
    let timed = ending
        .timed
        .map(|(name, started)| (name, started.elapsed()));
    let ended = if ok { "outcome:ok" } else { "outcome:error" };
    let outcome = ending.outcome.then_some(ended);
    let text = (!ok).then(|| "exited with a failure code".to_owned());
    let check = ending.check.map(|name| call_check(name, ended, text));
    match frame.owner {
        Owner::Collector(shared) => {
            if let Some(mut local) = frame.local {
                shared.absorb(&mut local);
                context::recycle(local);
            }
            let collector = Collector::from_shared(shared);
            if let Some((name, elapsed)) = timed {
                collector.timing(name, elapsed, ());
            }
            if let Some(check) = check {
                collector.shared().keep_call_check(check);
            }
            collector.shared().end_call(outcome);
            collector.shared().set_enclosing(enclosing);
            collector.shared().flush(outcome.as_slice());
        }
        Owner::Call(recipe) => {
            let store = match frame.local {
                Some(store) => store,
                None if timed.is_some() || check.is_some() => {
                    context::lend_store(frame.max_series, &frame.base)
                }
                None => return,
            };
            let tags = frame.base.tags.as_deref().unwrap_or_default();
            let base_tags = &tags[..recipe.base_len.min(tags.len())];
            send_store(
                store,
                &recipe,
                base_tags,
                (timed, outcome),
                check,
                &enclosing,
            );
        }
    }
}

/// A body running in place, with the call's collector current.
///
/// The expansion tells it how the body ended when it can see the value
/// ([`Body::ended`]); dropped without that, the body was left by a panic
/// that started inside it, or else by an exit whose value the expansion
/// does not see (`?`, a `return` written inside a macro), which is an error
/// exactly when the function returns a `Result` ([`Body::returns_result`]).
#[must_use]
pub struct Body<'a> {
    scope: &'a CallScope,
    was_panicking: bool,
    armed: Cell<bool>,
    returns_result: Cell<bool>,
    _current: EnterGuard<'a>,
}

impl Body<'_> {
    /// Whether the function's return type is a `Result`, for exits whose
    /// value is not seen: `?` leaves a function that returns a `Result` only
    /// with an `Err`.
    #[inline]
    pub fn returns_result(&self, returns_result: bool) {
        self.returns_result.set(returns_result);
    }

    /// The body ended with an `Err` whose `Display` is `text` (for the
    /// service check); called just before [`Body::ended`].
    #[inline]
    pub fn error_text(&self, text: Option<String>) {
        if self.armed.get() {
            self.scope.set_error_text(text);
        }
    }

    /// The body ended with a value that is (or is not) an `Err`.
    #[inline]
    pub fn ended(&self, is_error: bool) {
        if self.armed.replace(false) {
            self.scope.set_error(is_error);
            self.scope.complete();
        }
    }

    /// Passes `value` through once the body that made it has ended without
    /// ending the call: the construction of a returned future.
    #[inline]
    pub fn constructed<T>(&self, value: T) -> T {
        self.armed.set(false);
        value
    }
}

impl Drop for Body<'_> {
    #[inline]
    fn drop(&mut self) {
        if !self.armed.get() {
            return;
        }
        if self.scope.tracks() && !self.was_panicking && std::thread::panicking() {
            self.scope.note_panic();
        } else {
            self.scope.set_error(self.returns_result.get());
            self.scope.complete();
        }
    }
}

/// Notes that a poll unwound: armed before the poll, disarmed after it, so
/// only a panic out of this body counts (executors catch a task's panic and
/// drop the future later).
struct PanicWatch<'a>(Option<&'a CallScope>);

impl PanicWatch<'_> {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for PanicWatch<'_> {
    fn drop(&mut self) {
        if let Some(scope) = self.0 {
            scope.note_panic();
        }
    }
}

/// Polls `fut` with `scope`'s collector current.
fn poll_in<F: Future + ?Sized>(
    scope: &CallScope,
    fut: Pin<&mut F>,
    cx: &mut Context<'_>,
) -> Poll<F::Output> {
    scope.begun.store(true, Ordering::Relaxed);
    if scope.check.is_some() {
        panic_text::forget();
    }
    let _current = scope.enter();
    let watch = PanicWatch(Some(scope));
    let poll = fut.poll(cx);
    watch.disarm();
    if poll.is_ready() {
        scope.complete();
    }
    poll
}

/// An async call's body, polled with the call's collector current
/// ([`CallScope::run`]).
#[must_use = "futures do nothing unless polled"]
pub struct Run<'a, F> {
    scope: &'a CallScope,
    fut: Pin<&'a mut Option<F>>,
}

impl<F: Future> Future for Run<'_, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let fut = this
            .fut
            .as_mut()
            .as_pin_mut()
            .expect("an annotated call's future polled after it completed");
        let poll = poll_in(this.scope, fut, cx);
        if poll.is_ready() {
            let _current = this.scope.enter();
            this.fut.set(None);
        }
        poll
    }
}

impl<F> Drop for Run<'_, F> {
    /// A body dropped before it completed (a cancelled call) drops its
    /// locals with the call's collector current: what they record is the
    /// call's.
    fn drop(&mut self) {
        if self.fut.is_some() {
            let _current = self.scope.enter();
            self.fut.set(None);
        }
    }
}

/// The future returned by an annotated non-async function that returns a
/// future (`-> impl Future<Output = T>`, `-> Pin<Box<dyn Future<...>>>`):
/// the call lasts until that future completes or is dropped. Its collector
/// is current around every poll, its outcome is the future's output, and it
/// flushes when the future completes (or is dropped: `cancelled`).
#[must_use = "futures do nothing unless polled"]
pub struct CallFuture<F: Future + ?Sized> {
    scope: Option<CallScope>,
    /// Boxed: the crate has no `unsafe` to pin a field in place.
    fut: Option<Pin<Box<F>>>,
    is_error: fn(&F::Output) -> bool,
    error_text: fn(&F::Output) -> Option<String>,
}

impl<F: Future> CallFuture<F> {
    /// Wraps the future that the call returns; `is_error` tells an `Err`.
    pub fn new(scope: CallScope, fut: F, is_error: fn(&F::Output) -> bool) -> Self {
        CallFuture::boxed(scope, Box::pin(fut), is_error)
    }
}

impl<F: Future + ?Sized> CallFuture<F> {
    /// Wraps a future the call returns already boxed.
    pub fn boxed(scope: CallScope, fut: Pin<Box<F>>, is_error: fn(&F::Output) -> bool) -> Self {
        CallFuture {
            scope: Some(scope),
            fut: Some(fut),
            is_error,
            error_text: |_| None,
        }
    }

    /// Reads how the future failed, in words, from its output (for the
    /// service check).
    pub fn error_text(mut self, error_text: fn(&F::Output) -> Option<String>) -> Self {
        self.error_text = error_text;
        self
    }
}

impl<F: Future + ?Sized> Future for CallFuture<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let (Some(scope), Some(fut)) = (&this.scope, &mut this.fut) else {
            panic!("an annotated call's future polled after it completed");
        };
        let poll = poll_in(scope, fut.as_mut(), cx);
        if let Poll::Ready(output) = &poll {
            scope.set_error((this.is_error)(output));
            if scope.check.is_some() {
                scope.set_error_text((this.error_text)(output));
            }
            {
                let _current = scope.enter();
                this.fut = None;
            }
            this.scope = None;
        }
        poll
    }
}

impl<F: Future + ?Sized> Drop for CallFuture<F> {
    fn drop(&mut self) {
        if let (Some(scope), Some(_)) = (&self.scope, &self.fut) {
            let _current = scope.enter();
            self.fut = None;
        }
    }
}

/// Calls `f` once: a body that must run in a closure may then move out of
/// its captures and return borrows of them.
#[inline(always)]
pub fn call_once<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// The function's return type `R`, tied to it by a `return` that never runs,
/// so that [`ResultKind`] can tell whether it is a `Result`.
pub struct ReturnKind<R>(PhantomData<fn() -> R>);

impl<R> ReturnKind<R> {
    /// The kind of a return type yet to be inferred.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        ReturnKind(PhantomData)
    }

    /// A value of the return type, for a `return` that never runs.
    pub fn never(&self) -> R {
        unreachable!("collect_metrics: the return type probe never runs")
    }
}

/// Tells a `Result` return type apart, by autoref:
/// `(&&kind).__collector_returns_result()`.
pub trait ResultKind {
    /// Whether the return type is a `Result`.
    fn __collector_returns_result(&self) -> bool;
}

impl<T, E> ResultKind for &ReturnKind<Result<T, E>> {
    fn __collector_returns_result(&self) -> bool {
        true
    }
}

/// The fallback of [`ResultKind`]: any other return type.
pub trait OtherKind {
    /// Always `false`.
    fn __collector_returns_result(&self) -> bool;
}

impl<R> OtherKind for &&ReturnKind<R> {
    fn __collector_returns_result(&self) -> bool {
        false
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
