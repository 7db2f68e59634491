//! The wire line, written by this crate: values as text
//! ([`number`]), one line per series ([`writer`]), one per service check
//! ([`service_check`]) and event ([`event`]), and free text made safe for a
//! line ([`text`]). Packing lines into payloads is the outbox's, in `send/`.

pub(crate) mod event;
pub(crate) mod notices;
pub(crate) mod number;
pub(crate) mod service_check;
pub(crate) mod text;
pub(crate) mod writer;
