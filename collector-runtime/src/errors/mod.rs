//! Errors and their reporting: what can go wrong, the error handler that
//! hears of it, and the default handler writing to stderr.

pub(crate) mod config;
pub(crate) mod default_handler;
pub(crate) mod error;
pub(crate) mod handler;
