//! The `#[collect_metrics]` attribute. Use it through `collector-runtime`,
//! which re-exports it.
#![forbid(unsafe_code)]
