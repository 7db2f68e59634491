//! Which collector is current: the thread's context, the attribute's call,
//! the `Collector` handle and what its clones share, propagation to tasks
//! and threads, how any execution ends, and the end of the process from
//! inside a call.
//!
//! One idea per file: how an execution ended (`outcome`) and what its end
//! adds (`ending`); the thread's frames (`context`), recording into them
//! (`frame_record`) and its spare stores (`spare`); what an unbuilt collector takes (`recipe`); what handles
//! share (`shared`) and the handle (`collector`); the attribute's call
//! (`call`), its body guard (`body`), its futures (`call_future`) and its
//! probes (`probe`); the one instrumented-future core (`instrumented`);
//! propagation (`propagate`); a panic's message (`panic_text`); `exit`.

pub(crate) mod body;
pub(crate) mod call;
pub(crate) mod call_future;
pub(crate) mod collector;
pub(crate) mod context;
pub(crate) mod ending;
pub(crate) mod exit;
pub(crate) mod frame_record;
pub(crate) mod instrumented;
pub(crate) mod outcome;
pub(crate) mod panic_text;
pub(crate) mod probe;
pub(crate) mod propagate;
pub(crate) mod recipe;
pub(crate) mod returned_future;
pub(crate) mod shared;
pub(crate) mod spare;
pub(crate) mod try_text;
