//! What callers touch to record: the free functions, the timers, and the
//! service checks and events recorded without a collector in hand.

pub(crate) mod functions;
pub(crate) mod notice;
pub(crate) mod timer;
