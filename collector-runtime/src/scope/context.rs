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
use std::sync::Arc;

use crate::errors::handler::ErrorHandler;
use crate::input::enclosing::Enclosing;
use crate::scope::recipe::Recipe;
use crate::scope::shared::Shared;
use crate::scope::spare::{recycle, SpareStore};
use crate::store::{KeyBase, Store};

/// What a frame records for when it is not a collector entered by hand: an
/// execution that decides itself where its frames' records go (an
/// annotated call, which builds no collector until it must).
pub(crate) trait CallTarget {
    /// Takes what one frame recorded for the call, and the collector built
    /// for it while the frame was current, if any; gives the store back to
    /// be reused unless it was kept.
    fn keep(&self, local: Option<SpareStore>, built: Option<Arc<Shared>>) -> Option<SpareStore>;
}

/// One entered collector on this thread.
pub(crate) struct Frame {
    /// Which guard pushed it: the collector's address, or the call's.
    id: usize,
    /// What this thread recorded, in a store lent on the first record:
    /// entering and leaving a frame that records nothing (the common annotated
    /// call) touches no store. Boxed so that stores move as one pointer.
    pub(crate) local: Option<Box<Store>>,
    /// What the store's series keys leave out, and its bound.
    pub(crate) base: KeyBase,
    pub(crate) max_series: usize,
    pub(crate) owner: Owner,
}

/// A frame taken off the stack by [`take_frames`], with what it recorded.
pub(crate) struct TakenFrame {
    pub(crate) local: Option<SpareStore>,
    pub(crate) base: KeyBase,
    pub(crate) max_series: usize,
    pub(crate) owner: Owner,
}

/// Whose records a frame holds.
pub(crate) enum Owner {
    /// A collector: one entered by hand, or an annotated call's once built.
    /// Held, not borrowed, so that [`current`] can hand out a handle.
    Collector(Arc<Shared>),
    /// An annotated call whose collector is not built: a call that records
    /// nothing allocates nothing.
    Call(Recipe),
}

impl Owner {
    #[inline]
    pub(crate) fn on_error(&self) -> &Option<ErrorHandler> {
        match self {
            Owner::Collector(shared) => &shared.on_error,
            Owner::Call(recipe) => &recipe.on_error,
        }
    }

    /// Whether this frame's records are `shared`'s.
    #[inline]
    pub(crate) fn is(&self, shared: &Shared) -> bool {
        matches!(self, Owner::Collector(own) if std::ptr::eq(&**own, shared))
    }
}

thread_local! {
    static STACK: RefCell<Vec<Frame>> = const { RefCell::new(Vec::new()) };
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
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
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
    /// The frame's id, and the call its records go to (none for a
    /// collector, which the frame holds); `None` when nothing was pushed
    /// (during thread teardown).
    pushed: Option<(usize, Option<&'a dyn CallTarget>)>,
    _not_send: PhantomData<*const ()>,
}

/// Makes `shared` current on this thread. The guard borrows nothing (the
/// frame holds its own handle), so an integration whose enter and exit are
/// two callbacks, such as a tracing span's, can keep it between them.
pub(crate) fn enter(shared: &Arc<Shared>) -> EnterGuard<'static> {
    push(
        id_of(shared),
        || Owner::Collector(Arc::clone(shared)),
        None,
        shared.max_series,
        &shared.key_base,
    )
}

/// Hands this thread's frames of `old` over to `new`, in place: what they
/// recorded so far goes into `old`, what they record from now on into
/// `new`, and the guards that pushed them still take them off. For a
/// tracing span whose tags change (`Span::record`) while it is entered.
#[cfg(feature = "tracing")]
pub(crate) fn retarget(old: &Shared, new: &Arc<Shared>) {
    let mut let_go = Vec::new();
    let _ = STACK.try_with(|stack| {
        let Ok(mut stack) = stack.try_borrow_mut() else {
            return;
        };
        for frame in stack.iter_mut().filter(|frame| frame.owner.is(old)) {
            if let Some(mut local) = frame.local.take() {
                old.absorb(&mut local);
                let_go.push((Some(local), None));
            }
            frame.base = new.key_base.clone();
            frame.max_series = new.max_series;
            let was = std::mem::replace(&mut frame.owner, Owner::Collector(Arc::clone(new)));
            if let Owner::Collector(was) = was {
                let_go.push((None, Some(was)));
            }
        }
    });
    // Outside the borrow: a store goes back to the spares, and a handle's
    // drop may flush.
    for (local, _handle) in let_go {
        if let Some(local) = local {
            recycle(local);
        }
    }
}

/// Makes an annotated call current on this thread: `owner` makes its
/// collector if built, or what building it takes.
#[inline(always)]
pub(crate) fn enter_call<'a>(
    scope: &'a dyn CallTarget,
    owner: impl FnOnce() -> Owner,
    max_series: usize,
    base: &KeyBase,
) -> EnterGuard<'a> {
    let id = scope as *const dyn CallTarget as *const () as usize;
    push(id, owner, Some(scope), max_series, base)
}

#[inline(always)]
fn push<'a>(
    id: usize,
    owner: impl FnOnce() -> Owner,
    call: Option<&'a dyn CallTarget>,
    max_series: usize,
    base: &KeyBase,
) -> EnterGuard<'a> {
    // The frame is put together in its slot, its owner made there: one
    // built beside it and moved in would be read back wide from narrow
    // stores still in flight, a stall that costs more than the rest.
    let pushed = STACK.try_with(|stack| match stack.try_borrow_mut() {
        Ok(mut stack) => {
            stack.push(Frame {
                id,
                local: None,
                base: base.clone(),
                max_series,
                owner: owner(),
            });
            true
        }
        // Entered from inside a record (a `Tags` impl of the caller's
        // that enters a collector): nothing is made current.
        Err(_) => false,
    });
    let pushed = matches!(pushed, Ok(true));
    EnterGuard {
        // During thread teardown nothing can be current; records made then
        // take the no-collector path.
        pushed: pushed.then_some((id, call)),
        _not_send: PhantomData,
    }
}

/// Takes frame `id` off the stack (the top one, unless guards are dropped
/// out of order): what it recorded, and its collector if it has one, moved
/// out to be dropped outside the borrow (the last handle flushes). The rest
/// of the frame (a call's recipe, the key base: clones of what the call or
/// the collector still holds) is dropped where it is, not moved out.
fn pop(
    stack: &RefCell<Vec<Frame>>,
    id: usize,
) -> Option<(Option<SpareStore>, Option<Arc<Shared>>)> {
    let mut stack = stack.try_borrow_mut().ok()?;
    let at = stack.iter().rposition(|frame| frame.id == id)?;
    let frame = &mut stack[at];
    let local = frame.local.take();
    let built = match &frame.owner {
        Owner::Collector(_) => {
            let placeholder = Owner::Call(Recipe {
                base_len: 0,
                client: None,
                on_error: None,
                plan: Default::default(),
            });
            match std::mem::replace(&mut frame.owner, placeholder) {
                Owner::Collector(shared) => Some(shared),
                Owner::Call(_) => None,
            }
        }
        Owner::Call(_) => None,
    };
    if at + 1 == stack.len() {
        stack.truncate(at);
    } else {
        stack.remove(at);
    }
    Some((local, built))
}

impl Drop for EnterGuard<'_> {
    fn drop(&mut self) {
        let Some((id, call)) = self.pushed else {
            return;
        };
        let Ok(Some((local, built))) = STACK.try_with(|stack| pop(stack, id)) else {
            return;
        };
        // Outside the borrow: the collector may flush when its handle drops.
        let spare = match (call, built) {
            (Some(call), Some(shared)) => call.keep(local, Some(shared)),
            // The common end of an annotated call's frame: nothing recorded,
            // nothing built, nothing to hand over.
            (Some(_), None) if local.as_ref().map_or(true, |l| l.is_empty()) => local,
            (Some(call), None) => call.keep(local, None),
            (None, Some(shared)) => local.map(|mut local| {
                shared.absorb(&mut local);
                local
            }),
            (None, None) => local,
        };
        if let Some(local) = spare {
            recycle(local);
        }
    }
}

/// Takes every frame off this thread's stack, innermost first, for the
/// process to end them (see `crate::exit`): their guards, which will never
/// drop, then find nothing to take off.
pub(crate) fn take_frames() -> Vec<TakenFrame> {
    let frames = STACK
        .try_with(|stack| {
            let mut stack = stack.try_borrow_mut().ok()?;
            Some(std::mem::take(&mut *stack))
        })
        .ok()
        .flatten()
        .unwrap_or_default();
    frames
        .into_iter()
        .rev()
        .map(|frame| TakenFrame {
            local: frame.local,
            base: frame.base,
            max_series: frame.max_series,
            owner: frame.owner,
        })
        .collect()
}

/// The collector current on this thread: the top frame's, built now for an
/// annotated call that has none yet (the call adopts it when the frame
/// ends).
pub(crate) fn current() -> Option<Arc<Shared>> {
    let found = STACK.try_with(|stack| {
        let mut stack = stack.try_borrow_mut().ok()?;
        let top = stack.len().checked_sub(1)?;
        let frame = &stack[top];
        let recipe = match &frame.owner {
            Owner::Collector(shared) => return Some((Arc::clone(shared), None)),
            Owner::Call(recipe) => recipe,
        };
        // Another frame of the same call lower on this stack may have built
        // one already: one call, one collector.
        let id = frame.id;
        let built = stack.iter().rev().find_map(|other| match &other.owner {
            Owner::Collector(shared) if other.id == id => Some(Arc::clone(shared)),
            _ => None,
        });
        let built = built.unwrap_or_else(|| {
            let shared = Shared::from_recipe(frame.base.clone(), recipe, frame.max_series);
            // Handed out, it may go where the call's callers are not
            // current (a worker thread): it takes their tags along now.
            if recipe.plan.inherit {
                let below = stack[..top].iter().rev().filter(|other| other.id != id);
                shared.set_enclosing(gather(below.map(|other| (&other.base, &other.owner))));
            }
            Arc::new(shared)
        });
        let was = std::mem::replace(&mut stack[top].owner, Owner::Collector(Arc::clone(&built)));
        Some((built, Some(was)))
    });
    // The recipe replaced is dropped here, outside the borrow.
    let (shared, _was) = found.ok().flatten()?;
    Some(shared)
}

/// The base tags of the collectors current on this thread, innermost first,
/// leaving out the frames of the execution asking (`skip`: its call's or
/// collector's address). With no other frame, nothing is allocated.
pub(crate) fn enclosing(skip: &[usize]) -> Enclosing {
    STACK
        .try_with(|stack| {
            let stack = stack.try_borrow().ok()?;
            let others = stack.iter().rev().filter(|frame| {
                let own = match &frame.owner {
                    Owner::Collector(shared) => skip.contains(&id_of(shared)),
                    Owner::Call(_) => false,
                };
                !own && !skip.contains(&frame.id)
            });
            Some(gather(others.map(|frame| (&frame.base, &frame.owner))))
        })
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// [`enclosing`] of the frames taken off the stack at the process's end
/// (innermost first) for the one at `at`: those after it.
pub(crate) fn enclosing_taken(frames: &[TakenFrame], at: usize) -> Enclosing {
    let outer = frames.get(at + 1..).unwrap_or_default();
    gather(outer.iter().map(|frame| (&frame.base, &frame.owner)))
}

/// The base tags of `frames`, innermost first: a collector's own, then
/// those it learnt of its own enclosing collectors (it may have been built
/// on another thread, inside collectors not current here).
fn gather<'f>(frames: impl Iterator<Item = (&'f KeyBase, &'f Owner)>) -> Enclosing {
    let mut enclosing = Enclosing::default();
    for (base, owner) in frames {
        match owner {
            Owner::Collector(shared) => {
                if let Some((tags, len)) = shared.base_set() {
                    enclosing.push(tags, len);
                }
                if let Some(further) = shared.enclosing() {
                    enclosing.extend(further);
                }
            }
            Owner::Call(recipe) => {
                if let Some(tags) = &base.tags {
                    enclosing.push(tags, recipe.base_len);
                }
            }
        }
    }
    enclosing
}

/// Runs `with` on this thread's top frame; `None` when no collector is
/// current (or `with` declines it).
#[inline(always)]
pub(crate) fn with_top_frame<R>(with: impl FnOnce(&mut Frame) -> Option<R>) -> Option<R> {
    STACK
        .try_with(|stack| with(stack.try_borrow_mut().ok()?.last_mut()?))
        .ok()
        .flatten()
}

/// Runs `with` on each of this thread's frames that hold `shared`'s records.
pub(crate) fn each_frame_of(shared: &Shared, mut with: impl FnMut(&mut Frame)) {
    let _ = STACK.try_with(|stack| {
        if let Ok(mut stack) = stack.try_borrow_mut() {
            stack
                .iter_mut()
                .filter(|frame| frame.owner.is(shared))
                .for_each(&mut with);
        }
    });
}

/// Whether a collector is current on this thread.
#[cfg(any(feature = "metrics", feature = "tracing"))]
pub(crate) fn has_current() -> bool {
    STACK
        .try_with(|stack| stack.try_borrow().is_ok_and(|stack| !stack.is_empty()))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use crate::Collector;

    /// A collector whose flush goes nowhere: these tests are about which
    /// frame a record lands in, and must not send to a real agent.
    fn quiet() -> Collector {
        Collector::builder()
            .client(crate::Client::new(cadence::NopMetricSink))
            .build()
    }

    #[test]
    fn a_threads_records_join_the_collector_when_its_guard_drops() {
        let collector = quiet();
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
        let collector = quiet();
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
        let outer = quiet();
        let inner = quiet();
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
        crate::wait_for_delivery();
        let datagram = String::from_utf8(received.try_recv().unwrap()).unwrap();
        assert_eq!(datagram, "x:2|c\ny:1|c");
    }
}
