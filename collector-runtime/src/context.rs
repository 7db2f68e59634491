//! Which collector is current on this thread, and what this thread recorded
//! into it.
//!
//! A thread-local stack of frames, one per entered collector: the free
//! functions record into the top frame's own store, with no lock and no
//! atomic operation, and each [`EnterGuard`] moves its frame's series into
//! the collector when dropped. Threads sharing a collector thus never contend
//! per record, and nesting restores the outer collector.

use std::cell::RefCell;
use std::marker::PhantomData;

use crate::call::CallScope;
use crate::collector::{check_value, refused, KeyBase, Shared};
use crate::error::{Error, ErrorHandler};
use crate::series::{Kind, Sample};
use crate::store::Store;
use crate::tags::Tags;

/// One entered collector on this thread.
struct Frame {
    /// The collector's address: which collector this frame records for.
    id: usize,
    /// Boxed so that frames and spare stores move as one pointer.
    local: Box<Store>,
    on_error: Option<ErrorHandler>,
}

/// Emptied stores kept for the next frames, so entering allocates nothing
/// once a thread has warmed up.
const SPARE_STORES: usize = 8;
/// A store grown past this many series is freed rather than kept.
const SPARE_CAPACITY: usize = 1024;

/// A spare store, boxed: it moves into a frame as one pointer.
pub(crate) type SpareStore = Box<Store>;

thread_local! {
    static STACK: RefCell<Vec<Frame>> = const { RefCell::new(Vec::new()) };
    static SPARE: RefCell<Vec<SpareStore>> = const { RefCell::new(Vec::new()) };
}

fn id_of(shared: &Shared) -> usize {
    shared as *const Shared as usize
}

/// Keeps a collector current on this thread until dropped.
///
/// Returned by [`Collector::enter`](crate::Collector::enter). It cannot be
/// sent to another thread: enter the collector there instead.
///
/// ```
/// use collector_runtime::Collector;
///
/// let outer = Collector::new();
/// let inner = Collector::new();
/// let _outer = outer.enter();
/// {
///     let _inner = inner.enter();
///     collector_runtime::incr("inner.work", ());
/// }
/// collector_runtime::incr("outer.work", ());
/// assert_eq!((outer.len(), inner.len()), (1, 1));
/// ```
#[must_use = "the collector is current only while the guard lives"]
pub struct EnterGuard<'a> {
    /// Where the frame's records go; `None` when nothing was pushed (during
    /// thread teardown).
    target: Option<Target<'a>>,
    _not_send: PhantomData<*const ()>,
}

/// What a frame records for.
#[derive(Clone, Copy)]
enum Target<'a> {
    Collector(&'a Shared),
    /// An annotated call, whose collector is built only once something is
    /// recorded: a call that records nothing allocates nothing.
    Call(&'a CallScope),
}

impl Target<'_> {
    fn id(self) -> usize {
        match self {
            Target::Collector(shared) => id_of(shared),
            Target::Call(scope) => scope as *const CallScope as usize,
        }
    }

    /// Hands a frame's records to what it recorded for; gives the store
    /// back to be reused unless the target kept it.
    fn absorb(self, mut local: SpareStore) -> Option<SpareStore> {
        match self {
            Target::Collector(shared) => {
                shared.absorb(&mut local);
                Some(local)
            }
            Target::Call(scope) => scope.keep(local),
        }
    }
}

pub(crate) fn enter(shared: &Shared) -> EnterGuard<'_> {
    push(
        Target::Collector(shared),
        shared.max_series,
        &shared.on_error,
        &shared.key_base,
    )
}

pub(crate) fn enter_call<'a>(
    scope: &'a CallScope,
    max_series: usize,
    on_error: &Option<ErrorHandler>,
    base: &KeyBase,
) -> EnterGuard<'a> {
    push(Target::Call(scope), max_series, on_error, base)
}

fn push<'a>(
    target: Target<'a>,
    max_series: usize,
    on_error: &Option<ErrorHandler>,
    base: &KeyBase,
) -> EnterGuard<'a> {
    let frame = Frame {
        id: target.id(),
        local: lend_store(max_series, base),
        on_error: on_error.clone(),
    };
    let pushed = STACK
        .try_with(|stack| match stack.try_borrow_mut() {
            Ok(mut stack) => {
                stack.push(frame);
                true
            }
            // Entered from inside a record (a `Tags` impl of the caller's
            // that enters a collector): nothing is made current.
            Err(_) => false,
        })
        .unwrap_or(false);
    EnterGuard {
        // During thread teardown nothing can be current; records made then
        // take the no-collector path.
        target: pushed.then_some(target),
        _not_send: PhantomData,
    }
}

impl Drop for EnterGuard<'_> {
    fn drop(&mut self) {
        let Some(target) = self.target else { return };
        let id = target.id();
        let frame = STACK.try_with(|stack| {
            let mut stack = stack.try_borrow_mut().ok()?;
            // The top one, unless guards are dropped out of order.
            let at = stack.iter().rposition(|frame| frame.id == id)?;
            Some(stack.remove(at))
        });
        let Ok(Some(frame)) = frame else { return };
        if let Some(local) = target.absorb(frame.local) {
            recycle(local);
        }
    }
}

/// Keeps an emptied store for the next frame on this thread, unless it grew
/// large or enough are kept.
pub(crate) fn recycle(mut store: SpareStore) {
    if store.capacity() <= SPARE_CAPACITY {
        store.reset(0, KeyBase::default());
        let _ = SPARE.try_with(|spare| {
            if let Ok(mut spare) = spare.try_borrow_mut() {
                if spare.len() < SPARE_STORES {
                    spare.push(store);
                }
            }
        });
    }
}

/// An empty store for `max_series` series keyed without `base`, reused from
/// this thread's spares when there is one.
pub(crate) fn lend_store(max_series: usize, base: &KeyBase) -> SpareStore {
    let spare = SPARE
        .try_with(|spare| spare.try_borrow_mut().ok()?.pop())
        .ok()
        .flatten();
    let mut store = spare.unwrap_or_else(|| Box::new(Store::new(max_series)));
    store.reset(max_series, base.clone());
    store
}

/// What a record into a frame gives back: the error to report, if any.
pub(crate) type Accepted = Result<(), (Error, Option<ErrorHandler>)>;

fn accept_into<T: Tags + ?Sized>(
    frame: &mut Frame,
    kind: Kind,
    name: &str,
    tags: &T,
    sample: Sample,
) -> Accepted {
    check_value(name, sample).map_err(|e| (e, frame.on_error.clone()))?;
    let kept = frame.local.accept(kind, name, tags, sample);
    refused(kept, name, &frame.on_error)
}

/// Records into the current collector's frame; `None` when no collector is
/// current on this thread.
#[inline]
pub(crate) fn accept_current<T: Tags + ?Sized>(
    kind: Kind,
    name: &str,
    tags: &T,
    sample: Sample,
) -> Option<Accepted> {
    STACK
        .try_with(|stack| {
            let mut stack = stack.try_borrow_mut().ok()?;
            let frame = stack.last_mut()?;
            Some(accept_into(frame, kind, name, tags, sample))
        })
        .ok()
        .flatten()
}

/// Whether a collector is current on this thread.
pub(crate) fn has_current() -> bool {
    STACK
        .try_with(|stack| stack.try_borrow().is_ok_and(|stack| !stack.is_empty()))
        .unwrap_or(false)
}

/// Adds `delta` to the current collector's gauge (starting from 0 when this
/// thread's frame does not hold it): the read-modify-write a `metrics`
/// gauge increment needs. `None` when no collector is current.
pub(crate) fn adjust_current_gauge<T: Tags + ?Sized>(
    name: &str,
    tags: &T,
    delta: f64,
) -> Option<Accepted> {
    STACK
        .try_with(|stack| {
            let mut stack = stack.try_borrow_mut().ok()?;
            let frame = stack.last_mut()?;
            let adjusted = check_value(name, Sample::Value(delta))
                .map_err(|e| (e, frame.on_error.clone()))
                .and_then(|()| {
                    let kept = frame.local.adjust_gauge(name, tags, delta);
                    refused(kept, name, &frame.on_error)
                });
            Some(adjusted)
        })
        .ok()
        .flatten()
}

/// Records into `shared`'s frame if it is the current collector on this
/// thread; `None` otherwise.
#[inline]
pub(crate) fn accept_if_current<T: Tags + ?Sized>(
    shared: &Shared,
    kind: Kind,
    name: &str,
    tags: &T,
    sample: Sample,
) -> Option<Accepted> {
    let id = id_of(shared);
    STACK
        .try_with(|stack| {
            let mut stack = stack.try_borrow_mut().ok()?;
            let frame = stack.last_mut().filter(|frame| frame.id == id)?;
            Some(accept_into(frame, kind, name, tags, sample))
        })
        .ok()
        .flatten()
}

/// Moves what this thread recorded into `shared` so far into it, so that a
/// flush or a count made while entered sees it.
pub(crate) fn absorb_here(shared: &Shared) {
    let id = id_of(shared);
    let _ = STACK.try_with(|stack| {
        if let Ok(mut stack) = stack.try_borrow_mut() {
            for frame in stack.iter_mut().filter(|frame| frame.id == id) {
                shared.absorb(&mut frame.local);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use crate::Collector;

    #[test]
    fn a_threads_records_join_the_collector_when_its_guard_drops() {
        let collector = Collector::builder().build();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let _current = collector.enter();
                crate::incr("work", ());
                crate::incr("work", ());
            });
        });
        assert_eq!(collector.len(), 1);
    }

    #[test]
    fn a_count_or_flush_while_entered_sees_this_threads_records() {
        let collector = Collector::builder().build();
        let _current = collector.enter();
        crate::incr("a", ());
        collector.incr("b", ());
        assert_eq!(collector.len(), 2);
        crate::incr("a", ());
        crate::incr("c", ());
        assert_eq!(collector.len(), 3);
    }

    #[test]
    fn guards_dropped_out_of_order_take_off_their_own_frame() {
        let outer = Collector::builder().build();
        let inner = Collector::builder().build();
        let outer_guard = outer.enter();
        let inner_guard = inner.enter();
        crate::incr("to.inner", ());
        drop(outer_guard);
        crate::incr("to.inner", ());
        drop(inner_guard);
        assert_eq!((outer.len(), inner.len()), (0, 1));
    }

    #[test]
    fn the_same_collector_entered_twice_merges_both_frames() {
        let (received, sink) = cadence::SpyMetricSink::new();
        let collector = Collector::builder()
            .client(crate::Client::new(sink))
            .build();
        {
            let _a = collector.enter();
            crate::incr("x", ());
            let _b = collector.enter();
            crate::incr("x", ());
            crate::incr("y", ());
        }
        assert_eq!(collector.len(), 2);
        collector.flush();
        let datagram = String::from_utf8(received.try_recv().unwrap()).unwrap();
        assert_eq!(datagram, "x:2|c\ny:1|c");
    }
}
