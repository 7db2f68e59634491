//! Where lines go: the client (a cadence sink with what every line carries),
//! its configuration from the environment and the origin fields, the
//! process-wide client, the flush that turns a collector's series into
//! lines, the outbox those lines wait in, the sender thread that puts them
//! on the wire, and what makes them leave before the process ends.

pub(crate) mod capture;
pub(crate) mod client;
pub(crate) mod config;
pub(crate) mod exit;
pub(crate) mod global;
pub(crate) mod origin;
pub(crate) mod outbox;
mod parse;
pub(crate) mod payload;
mod retry;
pub(crate) mod sender;
pub(crate) mod target;
mod unix_sink;
