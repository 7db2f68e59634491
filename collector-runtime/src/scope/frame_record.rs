//! Recording into this thread's frames: a record, a service check or an
//! event goes into the top frame's own store (lent on its first record),
//! with no lock and no atomic operation, when its collector is current.

use crate::input::notice::Notice;
use crate::input::sample::{Kind, Sample};
use crate::input::tags::Tags;
use crate::scope::context::{each_frame_of, with_top_frame, Frame, Owner};
use crate::scope::shared::Shared;
use crate::scope::spare::lend_store;
use crate::store::accepted::{checked, refused, Accepted, Rejected};
use crate::store::{Refused, Store};

impl Frame {
    /// Writes one record into this frame's store (lent on its first record)
    /// once its value is checked; a refusal comes back with the frame's
    /// handler. Inlined into each record call, so that the sample stays in
    /// registers; what is rare (a first record, a new series, a refusal) is
    /// out of line.
    #[inline(always)]
    fn record(
        &mut self,
        name: &str,
        sample: Sample,
        write: impl FnOnce(&mut Store) -> Result<(), Refused>,
    ) -> Accepted {
        let Frame {
            local,
            base,
            max_series,
            owner,
            ..
        } = self;
        let on_error = owner.on_error();
        checked(name, sample, on_error)?;
        let local = match local {
            Some(local) => local,
            None => local.insert(lend_store(*max_series, base)),
        };
        refused(write(local), name, on_error)
    }
}

impl Frame {
    /// Keeps a service check or an event in this frame's store (lent on
    /// its first record), unless it cannot be sent.
    fn keep_notice(&mut self, notice: Notice) -> Accepted {
        let on_error = self.owner.on_error();
        if let Some(error) = notice.problem() {
            return Err(Rejected::new(error, on_error));
        }
        let local = match &mut self.local {
            Some(local) => local,
            None => self.local.insert(lend_store(self.max_series, &self.base)),
        };
        // Past the bound it is counted as dropped, as a record is.
        let _ = local.keep_notice(notice);
        Ok(())
    }
}

/// Keeps `notice` in the current collector's frame; gives it back when no
/// collector is current on this thread.
pub(crate) fn keep_notice_current(notice: Notice) -> Result<Accepted, Notice> {
    keep_notice_where(notice, |_| true)
}

/// Keeps `notice` in `shared`'s frame if it is the current collector on
/// this thread; gives it back otherwise.
pub(crate) fn keep_notice_if_current(shared: &Shared, notice: Notice) -> Result<Accepted, Notice> {
    keep_notice_where(notice, |owner| owner.is(shared))
}

fn keep_notice_where(notice: Notice, wanted: impl Fn(&Owner) -> bool) -> Result<Accepted, Notice> {
    let mut slot = Some(notice);
    let kept = with_top_frame(|frame| {
        if !wanted(&frame.owner) {
            return None;
        }
        Some(frame.keep_notice(slot.take()?))
    });
    match (kept, slot) {
        (Some(kept), _) => Ok(kept),
        (None, Some(notice)) => Err(notice),
        // Taken but not kept cannot happen: `keep_notice` always answers.
        (None, None) => Ok(Ok(())),
    }
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
    accept_where(kind, name, tags, sample, |_| true)
}

/// Records into the top frame if `wanted` takes its owner.
#[inline(always)]
fn accept_where<T: Tags + ?Sized>(
    kind: Kind,
    name: &str,
    tags: &T,
    sample: Sample,
    wanted: impl FnOnce(&Owner) -> bool,
) -> Option<Accepted> {
    with_top_frame(|frame| {
        wanted(&frame.owner).then(|| {
            frame.record(name, sample, move |store| {
                store.accept(kind, name, tags, sample)
            })
        })
    })
}

/// Adds `delta` to the current collector's gauge (starting from 0 when this
/// thread's frame does not hold it): the read-modify-write a `metrics`
/// gauge increment needs. `None` when no collector is current.
#[cfg(feature = "metrics")]
pub(crate) fn adjust_current_gauge<T: Tags + ?Sized>(
    name: &str,
    tags: &T,
    delta: f64,
) -> Option<Accepted> {
    with_top_frame(|frame| {
        Some(frame.record(name, Sample::value(delta), |store| {
            store.adjust_gauge(name, tags, delta)
        }))
    })
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
    accept_where(kind, name, tags, sample, |owner| owner.is(shared))
}

/// Moves what this thread recorded into `shared` so far into it, so that a
/// flush or a count made while entered sees it.
pub(crate) fn absorb_here(shared: &Shared) {
    each_frame_of(shared, |frame| {
        if let Some(local) = &mut frame.local {
            shared.absorb(local);
        }
    });
}
