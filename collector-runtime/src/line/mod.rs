//! The wire line, written by this crate: values as text
//! ([`number`]), one line per series ([`writer`]), and lines packed into
//! payloads for the sink ([`payload`]).

pub(crate) mod number;
pub(crate) mod payload;
pub(crate) mod writer;
