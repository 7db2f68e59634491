//! A service check or an event as a collector keeps it and a line is
//! written from it: one type, so the store, the writer and the flush hold
//! either alike.

use crate::errors::error::Error;
use crate::input::check::ServiceCheck;
use crate::input::event::Event;
use crate::input::sanitize::is_usable_name;

/// A service check or an event, as recorded; boxed, so that a store's
/// list of them, and a notice handed back, is a pointer each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Notice {
    Check(Box<ServiceCheck>),
    Event(Box<Event>),
}

impl Notice {
    /// Why it cannot be sent, if it cannot: a check's name with no letter
    /// or digit, an event with an empty title (the agent refuses both).
    pub(crate) fn problem(&self) -> Option<Error> {
        match self {
            Notice::Check(check) if !is_usable_name(&check.name) => Some(Error::InvalidName {
                name: check.name.clone(),
            }),
            Notice::Event(event) if event.title.is_empty() => Some(Error::EmptyTitle),
            _ => None,
        }
    }
}
