//! The wire line, written by this crate: values as text
//! ([`number`]), one line per series ([`writer`]), one per service check
//! ([`service_check`]) and event ([`event`]), free text made safe for a
//! line ([`text`]), and lines packed into payloads for the sink
//! ([`payload`]).

pub(crate) mod event;
pub(crate) mod notices;
pub(crate) mod number;
pub(crate) mod service_check;
pub(crate) mod text;
pub(crate) mod writer;
