//! Which collector is current: the thread's context, the attribute's call,
//! the `Collector` handle and what its clones share, propagation to tasks
//! and threads, and the end of the process from inside a call.

pub(crate) mod call;
pub(crate) mod call_check;
pub(crate) mod collector;
pub(crate) mod context;
pub(crate) mod exit;
pub(crate) mod panic_text;
pub(crate) mod propagate;
pub(crate) mod returned_future;
pub(crate) mod shared;
pub(crate) mod try_text;
