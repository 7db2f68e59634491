//! State that belongs to one process, so that a child made by `fork` never
//! reads, counts or locks what it inherited from its parent.
//!
//! After `fork`, the child has a copy of the parent's memory, locks
//! included (held for good if a parent's thread held them at that moment),
//! and none of its threads but the one that called `fork`. So each value
//! here remembers the process that made it; a process whose id differs
//! makes its own, linked after the inherited one, and never touches the
//! inherited one again. The check is an atomic load per use (see
//! [`process_id`](crate::send::process_id)).

use std::sync::atomic::AtomicU64;
use std::sync::OnceLock;

/// A value of each process's own, made on its first use there.
pub(crate) struct PerProcess<T: 'static> {
    first: OnceLock<Link<T>>,
    make: fn() -> T,
}

struct Link<T> {
    pid: u32,
    value: T,
    /// The value of a child forked from the process that made this one.
    next: OnceLock<Box<Link<T>>>,
}

impl<T: Send + Sync> PerProcess<T> {
    pub(crate) const fn new(make: fn() -> T) -> PerProcess<T> {
        PerProcess {
            first: OnceLock::new(),
            make,
        }
    }

    /// This process's value.
    pub(crate) fn get(&'static self) -> &'static T {
        let pid = crate::send::process_id::id();
        let link = |pid| Link {
            pid,
            value: (self.make)(),
            next: OnceLock::new(),
        };
        let mut at = self.first.get_or_init(|| link(pid));
        while at.pid != pid {
            at = at.next.get_or_init(|| Box::new(link(pid)));
        }
        &at.value
    }
}

/// The totals of one process, over every client, read by
/// [`wait_for_delivery`](crate::wait_for_delivery)'s report.
#[derive(Default)]
pub(crate) struct Process {
    pub(crate) payloads_sent: AtomicU64,
    pub(crate) lines_sent: AtomicU64,
    pub(crate) lines_dropped: AtomicU64,
    /// Waits for a sender that ran out of time: one per episode of a sink
    /// that makes no progress, however many waiters there are.
    pub(crate) timeouts: AtomicU64,
}

static PROCESS: PerProcess<Process> = PerProcess::new(Process::default);

/// This process's totals.
pub(crate) fn this_process() -> &'static Process {
    PROCESS.get()
}
