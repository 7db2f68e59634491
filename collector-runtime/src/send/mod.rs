//! Where lines go: the client (a cadence sink with what every line carries),
//! its configuration from the environment and the origin fields, the
//! process-wide client, and the flush that turns a collector's series into
//! lines for it.

pub(crate) mod client;
pub(crate) mod config;
pub(crate) mod flush;
pub(crate) mod global;
pub(crate) mod origin;
mod parse;
mod retry;
