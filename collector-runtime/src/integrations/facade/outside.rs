//! Where a facade record goes when no collector is current: through the
//! global client, as the free functions send (the default), or to the
//! recorder the user wrapped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use metrics::{Key, Level, Metadata, Recorder};

use crate::input::hash::seed;
use crate::input::sample::{Kind, Sample};
use crate::integrations::facade::labels::Labels;
use crate::record::functions::send_now;
use crate::store::series;

/// A recorder to fall back on, shared by every handle registered with it.
pub(crate) type Fallback = Arc<dyn Recorder + Send + Sync>;

/// The target a handle registers with the fallback under when it was
/// registered inside a collector and is first used outside one: the
/// registration's own `Metadata` was borrowed and is gone by then.
pub(crate) const LATE_TARGET: &str = "collector_runtime::facade";

/// What a handle does outside any collector.
pub(crate) enum Outside<H> {
    /// Sends at once through the global client.
    Client,
    /// Hands the record to the fallback recorder's handle for the same key,
    /// registered with the handle (no collector was current then).
    Registered(H),
    /// The same, for a handle registered inside a collector: the fallback's
    /// handle is registered on the first use outside one, so that a record
    /// made inside a collector never pays for the fallback's registration.
    /// Held weakly: the handle may sit in a thread's cache for good. Once
    /// the recorder is gone, records go through the global client.
    Late {
        recorder: Weak<dyn Recorder + Send + Sync>,
        level: Level,
        handle: OnceLock<H>,
    },
}

impl<H> Outside<H> {
    /// The fallback's handle for `key`, if there is a fallback (still),
    /// registering it now if it was not.
    pub(crate) fn handle(
        &self,
        key: &Key,
        register: impl FnOnce(&dyn Recorder, &Key, &Metadata<'_>) -> H,
    ) -> Option<&H> {
        match self {
            Outside::Client => None,
            Outside::Registered(handle) => Some(handle),
            Outside::Late {
                recorder,
                level,
                handle,
            } => {
                if let Some(handle) = handle.get() {
                    return Some(handle);
                }
                let recorder = recorder.upgrade()?;
                Some(handle.get_or_init(|| {
                    let metadata = Metadata::new(LATE_TARGET, *level, None);
                    register(recorder.as_ref(), key, &metadata)
                }))
            }
        }
    }
}

/// Sends one record through the global client, as the free functions do
/// outside a collector.
pub(crate) fn send(key: &Key, kind: Kind, sample: Sample) {
    let labels = Labels(key.labels().as_slice());
    send_now(&series::Key::new(seed(), kind, key.name(), &labels), sample);
}

/// The gauges the facade sends through the global client, by key: a gauge
/// increment outside a collector is applied to the last value sent, as
/// `metrics` exporters keep it (DogStatsD has no relative gauge).
static GAUGES: OnceLock<Mutex<HashMap<Key, f64>>> = OnceLock::new();

/// Sets (`delta` false) or adjusts the process-wide value of a gauge and
/// sends the result through the global client.
pub(crate) fn send_gauge(key: &Key, value: f64, delta: bool) {
    let value = {
        let mut gauges = GAUGES
            .get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let held = gauges.entry(key.clone()).or_insert(0.0);
        *held = if delta { *held + value } else { value };
        *held
    };
    send(key, Kind::Gauge, Sample::value(value));
}
