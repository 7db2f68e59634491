//! tracing integration (feature `tracing`): a `tracing-subscriber` layer
//! that makes a chosen span an execution with its own collector, its fields
//! the collector's tags, and events with `counter.*`-style fields records.
//!
//! One idea per file: which spans are chosen (`select`), what a chosen span
//! carries and how it ends (`execution`), the events that say it failed
//! (`failure`), its fields as tags (`span_tags`, `tag_text`),
//! events that record (`events`, `duration_text`), the guards a thread
//! holds between a span's enter and exit (`entered`), and the layer that
//! ties them to tracing's callbacks (`layer`).

mod config;
mod duration_text;
mod entered;
mod events;
mod execution;
mod failure;
mod field_value;
mod layer;
mod select;
mod span_tags;
mod tag_text;

pub use layer::SpanCollectorLayer;
pub use select::SELECT_FIELD;
