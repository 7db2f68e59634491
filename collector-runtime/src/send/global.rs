//! The process-wide client: the one the user sets, or else one built from
//! the environment on first use, and built again (at most once a second)
//! while building fails, so a DNS failure at start-up is not kept for the
//! life of the process.

use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use crate::errors::config::ConfigError;
use crate::send::client::Client;
use crate::send::config::{tags_from_lookup, ClientConfig};
use crate::send::retry::RetryCell;

/// How long a failed build from the environment is given before the next
/// try, so that a hot path never pays for a failing resolver.
const RETRY_AFTER: Duration = Duration::from_secs(1);

static SET_BY_USER: RwLock<Option<Arc<Client>>> = RwLock::new(None);
static FROM_ENV: RetryCell<Client, ConfigError> = RetryCell::new(RETRY_AFTER);
static ENV_TAGS: OnceLock<Arc<[String]>> = OnceLock::new();

/// Makes `client` the one every collector without a client of its own, and
/// every record made outside a collector, sends through. It replaces any
/// client set before, and the `DD_*` variables: the lines it sends carry its
/// prefix and tags, not `DD_ENV`, `DD_SERVICE`, `DD_VERSION` or the origin
/// fields (build it from [`ClientConfig::from_env`] to keep those).
///
/// ```
/// use collector_runtime::Client;
///
/// collector_runtime::set_global_client(Client::new(cadence::NopMetricSink).prefix("app"));
/// assert_eq!(collector_runtime::global_client().unwrap().metric_prefix(), "app.");
/// ```
pub fn set_global_client(client: impl Into<Client>) {
    *SET_BY_USER.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(client.into()));
}

/// The global client: the one set with [`set_global_client`], else one built
/// from `DD_*` variables (see [`ClientConfig::from_env`]) on first use. A
/// failed build is returned as its error and tried again on a later call, at
/// most once a second.
///
/// ```
/// # std::env::remove_var("DD_DOGSTATSD_URL");
/// assert!(collector_runtime::global_client().is_ok());
/// ```
pub fn global_client() -> Result<Arc<Client>, ConfigError> {
    if let Some(client) = &*SET_BY_USER.read().unwrap_or_else(|e| e.into_inner()) {
        return Ok(Arc::clone(client));
    }
    if let Some(client) = FROM_ENV.get() {
        return Ok(Arc::clone(client));
    }
    FROM_ENV.get_or_build(Instant::now(), || ClientConfig::from_env()?.build())
}

/// The tags the global client puts on every line, for leaving them out of
/// series keys: the user's client's, else the `DD_*` variables'.
pub(crate) fn global_tags() -> Arc<[String]> {
    if let Some(client) = &*SET_BY_USER.read().unwrap_or_else(|e| e.into_inner()) {
        return client.tags_arc();
    }
    match FROM_ENV.get() {
        Some(client) => client.tags_arc(),
        None => Arc::clone(
            ENV_TAGS.get_or_init(|| tags_from_lookup(&|var| std::env::var(var).ok()).into()),
        ),
    }
}
