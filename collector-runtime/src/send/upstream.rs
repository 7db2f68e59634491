//! What an outbox's sender drains before it sends: lines not written yet.
//!
//! Callers' flushes merge their series into an aggregator across
//! executions (`store/aggregate/`), which writes one line per context once
//! per flush interval. The aggregator sits on a higher floor than the
//! outbox, so the outbox holds it behind this trait: the sender asks it to
//! write its lines into the outbox when they are due, and every wait for the
//! outbox ([`wait_for_delivery`](crate::wait_for_delivery), the exit guards) asks it first.

use std::any::Any;

/// Something that writes lines into the outbox that holds it, when asked.
pub(crate) trait Upstream: Send + Sync {
    /// Writes everything it holds into its outbox as lines, now, calling
    /// `relieve` after each run of lines it hands over: the sender passes
    /// what sends the payloads queued so far, so that a large interval
    /// never outgrows the outbox's bound; another thread passes nothing.
    fn drain(&self, relieve: &dyn Fn());

    /// The concrete type, for the floor that made it.
    fn as_any(&self) -> &dyn Any;
}
