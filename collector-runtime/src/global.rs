//! The process-wide client: the one the user sets, or else one built from
//! the environment on first use.

use std::sync::{Arc, OnceLock, RwLock};

use cadence::StatsdClient;

use crate::config::{tags_from_lookup, ClientConfig, ConfigError};

static SET_BY_USER: RwLock<Option<Arc<StatsdClient>>> = RwLock::new(None);
static FROM_ENV: OnceLock<Result<Arc<StatsdClient>, ConfigError>> = OnceLock::new();
static ENV_TAGS: OnceLock<Vec<String>> = OnceLock::new();

/// Makes `client` the one every collector without a client of its own, and
/// every record made outside a collector, sends through. It replaces any
/// client set before.
///
/// ```
/// use cadence::{NopMetricSink, StatsdClient};
///
/// collector_runtime::set_global_client(StatsdClient::from_sink("app", NopMetricSink));
/// ```
pub fn set_global_client(client: impl Into<Arc<StatsdClient>>) {
    *SET_BY_USER.write().unwrap_or_else(|e| e.into_inner()) = Some(client.into());
}

/// The global client: the one set with [`set_global_client`], else one built
/// once from `DD_*` variables (see [`ClientConfig::from_env`]).
///
/// ```
/// # std::env::remove_var("DD_DOGSTATSD_URL");
/// assert!(collector_runtime::global_client().is_ok());
/// ```
pub fn global_client() -> Result<Arc<StatsdClient>, ConfigError> {
    if let Some(client) = &*SET_BY_USER.read().unwrap_or_else(|e| e.into_inner()) {
        return Ok(Arc::clone(client));
    }
    FROM_ENV
        .get_or_init(|| Ok(Arc::new(ClientConfig::from_env()?.build()?)))
        .clone()
}

/// The tags `DD_ENV`, `DD_SERVICE`, `DD_VERSION` and `DD_ENTITY_ID` add to
/// every metric, read once.
pub(crate) fn env_tags() -> &'static [String] {
    ENV_TAGS.get_or_init(|| tags_from_lookup(&|var| std::env::var(var).ok()))
}
