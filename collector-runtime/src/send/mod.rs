//! Where lines go: the client (a cadence sink with what every line carries),
//! where it sends ([`target`]), its configuration from the environment and
//! the origin fields, the process-wide client, the outbox those lines wait
//! in and the payloads it packs them into, the ledger of where each line
//! stands, the sender thread that puts them
//! on the wire, what makes them leave before the process ends, and the slot
//! a test's capture fills ([`capture`]); what the sender drains before it
//! sends, the aggregator across executions, is behind [`upstream`]. The flush that turns a collector's
//! series into lines is the store's (`store/flush.rs`).

pub(crate) mod capture;
pub(crate) mod client;
pub(crate) mod config;
pub(crate) mod exit;
pub(crate) mod global;
pub(crate) mod ledger;
pub(crate) mod origin;
pub(crate) mod outbox;
mod parse;
pub(crate) mod payload;
pub(crate) mod process_id;
mod retry;
pub(crate) mod sender;
pub(crate) mod target;
pub(crate) mod this_process;
mod unix_sink;
pub(crate) mod upstream;
