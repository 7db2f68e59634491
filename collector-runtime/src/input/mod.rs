//! A caller's input as every floor reads it: tags and values, names and the
//! rules that clean them, the keyed hash over that text, and the service
//! checks and events a caller builds.

pub(crate) mod check;
pub(crate) mod event;
pub(crate) mod hash;
pub(crate) mod notice;
pub(crate) mod sample;
pub(crate) mod sanitize;
pub(crate) mod tags;
pub(crate) mod value;
