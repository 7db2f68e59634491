//! The lines a drain has taken from the threads' tables and not handed to
//! the outbox yet, kept so that a report never misses nor double-counts a
//! line on its way from a table to the outbox.
//!
//! A line moves from a thread's table to the drain (a swap) and from the
//! drain to the outbox (a hand-over, where the ledger accepts it). Each
//! move changes two counts; both are made under `moving`, and a report
//! reads the tables, this count and the ledger's under it too, so it sees
//! every line in exactly one place. The lock is taken once per table swap
//! and once per batch (32 KiB of lines), never by a flush.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

#[derive(Default)]
pub(crate) struct InDrain {
    lines: AtomicU64,
    moving: Mutex<()>,
}

impl InDrain {
    /// Held while lines move, or while a report reads where they are.
    pub(crate) fn moving(&self) -> MutexGuard<'_, ()> {
        self.moving.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Lines taken from a table, under [`InDrain::moving`].
    pub(crate) fn take(&self, lines: u64) {
        self.lines.fetch_add(lines, Ordering::Relaxed);
    }

    /// Lines handed to the outbox, under [`InDrain::moving`].
    pub(crate) fn hand(&self, lines: u64) {
        let _ = self
            .lines
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                Some(left.saturating_sub(lines))
            });
    }

    /// What is left, once contexts of several threads became one line, or
    /// once the drain has handed everything over (under
    /// [`InDrain::moving`]).
    pub(crate) fn set(&self, lines: u64) {
        self.lines.store(lines, Ordering::Relaxed);
    }

    /// The lines taken and not handed over, read under
    /// [`InDrain::moving`].
    pub(crate) fn get(&self) -> u64 {
        self.lines.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_taken_stay_until_handed_and_never_go_below_zero() {
        let in_drain = InDrain::default();
        let _moving = in_drain.moving();
        in_drain.take(10);
        in_drain.hand(4);
        assert_eq!(in_drain.get(), 6);
        in_drain.hand(9);
        assert_eq!(in_drain.get(), 0);
        in_drain.set(3);
        assert_eq!(in_drain.get(), 3);
    }
}
