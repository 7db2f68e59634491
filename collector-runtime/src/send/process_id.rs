//! This process's id, read on every flush (the state of a process made by
//! `fork` must not be the parent's: see [`this_process`]), for the price of
//! an atomic load.
//!
//! `std::process::id()` is a `getpid` system call each time (the C library
//! no longer caches it): 135 ns here, where a whole annotated call of
//! twenty records now costs about 500 ns of CPU (BENCHMARKS.md, section
//! 13). So the id is kept in an atomic, and a handler
//! registered with `pthread_atfork` writes the new id in each child, before
//! `fork` returns there, so that no code of the child reads the parent's.
//! Until the handler is registered, and wherever it cannot be (a process
//! forked while another thread was registering it, a platform without
//! `fork`), the system call answers.
//!
//! This is the crate's only `unsafe` code: one call to `pthread_atfork`,
//! whose handler does nothing but an async-signal-safe `getpid` and an
//! atomic store. A child made by a raw `clone` or `fork` system call, which
//! skips the C library's fork handlers, is not seen; what std's `Command`
//! spawns runs no code of this crate before it execs.
//!
//! [`this_process`]: crate::send::this_process

use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};

/// Nobody registered the handler yet.
const UNWATCHED: u8 = 0;
/// A thread is registering it. A child forked now sees this for good, and
/// asks the system every time: correct, only slower.
const REGISTERING: u8 = 1;
/// The handler keeps [`PID`] true in every child.
const WATCHED: u8 = 2;

static STATE: AtomicU8 = AtomicU8::new(UNWATCHED);
static PID: AtomicU32 = AtomicU32::new(0);

/// This process's id.
#[inline]
pub(crate) fn id() -> u32 {
    if STATE.load(Ordering::Acquire) == WATCHED {
        return PID.load(Ordering::Relaxed);
    }
    watch()
}

#[cold]
fn watch() -> u32 {
    let pid = std::process::id();
    if STATE
        .compare_exchange(UNWATCHED, REGISTERING, Ordering::AcqRel, Ordering::Acquire)
        .is_ok()
    {
        // The handler first: a fork between the two steps leaves a child
        // in `REGISTERING`, which asks the system.
        if fork_handler::register() {
            PID.store(pid, Ordering::Relaxed);
            STATE.store(WATCHED, Ordering::Release);
        }
    }
    pid
}

/// Called in the child, by the C library, before `fork` returns there.
#[cfg(unix)]
extern "C" fn in_child() {
    PID.store(std::process::id(), Ordering::Relaxed);
}

#[cfg(unix)]
#[allow(unsafe_code)]
mod fork_handler {
    use std::ffi::c_int;

    extern "C" {
        fn pthread_atfork(
            prepare: Option<extern "C" fn()>,
            parent: Option<extern "C" fn()>,
            child: Option<extern "C" fn()>,
        ) -> c_int;
    }

    /// Registers [`super::in_child`] for every later `fork`.
    pub(super) fn register() -> bool {
        // SAFETY: `pthread_atfork` takes three optional function pointers
        // and keeps them for the process's life; `in_child` is a `'static`
        // `extern "C" fn` that cannot unwind (an atomic store of what
        // `getpid` returns).
        unsafe { pthread_atfork(None, None, Some(super::in_child)) == 0 }
    }
}

#[cfg(not(unix))]
mod fork_handler {
    /// No `fork`: the id never changes, and is asked once.
    pub(super) fn register() -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kept_id_is_the_system_s() {
        assert_eq!(id(), std::process::id());
        assert_eq!(STATE.load(Ordering::Acquire), WATCHED);
        assert_eq!(id(), std::process::id());
    }
}
