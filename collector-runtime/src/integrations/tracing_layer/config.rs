//! What a layer was told: kept behind one `Arc`, read by every callback.

use std::sync::Arc;

use tracing::Metadata;

use crate::errors::handler::ErrorHandler;
use crate::scope::collector::DEFAULT_MAX_SERIES;
use crate::send::client::Client;

/// A filter that chooses spans by their metadata (name, target, level...).
pub(super) type SelectFn = dyn Fn(&Metadata<'_>) -> bool + Send + Sync;

/// How many fields of a span become tags unless told otherwise.
pub(super) const DEFAULT_MAX_TAGS: usize = 16;
/// The longest tag (`key:value`, in bytes) unless told otherwise: Datadog
/// keeps tags up to 200 characters.
pub(super) const DEFAULT_MAX_TAG_LEN: usize = 200;

#[derive(Clone)]
pub(super) struct Config {
    pub(super) client: Option<Arc<Client>>,
    pub(super) select: Option<Arc<SelectFn>>,
    /// The fields that are tags, for a span that does not name its own;
    /// `None`: all of them.
    pub(super) tag_fields: Option<Arc<[String]>>,
    pub(super) max_tags: usize,
    pub(super) max_tag_len: usize,
    pub(super) timing: bool,
    /// Whether every line of a span carries `outcome:<how it ended>`.
    pub(super) outcome: bool,
    /// Whether a span sends a service check named after it when it closes.
    pub(super) check: bool,
    /// Tags every span's lines carry, sanitized, before the span's own.
    pub(super) tags: Vec<String>,
    /// Whether a span's lines carry the tags of the collectors around it.
    pub(super) inherit: bool,
    pub(super) on_error: Option<ErrorHandler>,
    /// The event fields that are tags of the event's own records.
    pub(super) event_tags: Arc<[String]>,
    pub(super) max_series: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            client: None,
            select: None,
            tag_fields: None,
            max_tags: DEFAULT_MAX_TAGS,
            max_tag_len: DEFAULT_MAX_TAG_LEN,
            timing: false,
            outcome: false,
            check: false,
            tags: Vec::new(),
            inherit: true,
            on_error: None,
            event_tags: Arc::from(Vec::new()),
            max_series: DEFAULT_MAX_SERIES,
        }
    }
}
