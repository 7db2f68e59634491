//! What connects the crate to other libraries: the tower layer, the
//! `metrics` facade's recorder, the tracing layer, the `log` error handler
//! and `testing::capture`. Each uses the floors below it as any caller would.

#[cfg(feature = "metrics")]
pub(crate) mod facade;
#[cfg(feature = "log")]
pub(crate) mod log_handler;
pub mod testing;
#[cfg(feature = "tower")]
pub(crate) mod tower_layer;
#[cfg(feature = "tracing")]
pub(crate) mod tracing_layer;
