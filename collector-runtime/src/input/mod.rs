//! A caller's input as every floor reads it: tags and values, names and the
//! rules that clean them, the keyed hash over that text, the service
//! checks and events a caller builds, and the base tags of the collectors a
//! call runs inside.

pub(crate) mod check;
pub(crate) mod enclosing;
pub(crate) mod event;
pub(crate) mod hash;
pub(crate) mod notice;
pub(crate) mod sample;
pub(crate) mod sanitize;
pub(crate) mod tags;
pub(crate) mod value;
