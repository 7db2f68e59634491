//! The functions the annotated-call benches time: a plain function, the same
//! function annotated with the real `#[collect_metrics]`, and annotated
//! functions that record ten series twice.

use std::hint::black_box;
use std::sync::OnceLock;

use cadence::NopMetricSink;
use collector_runtime::{collect_metrics, Client};

/// The ten values of the `verb` tag: ten series of `db.query`.
pub(crate) const VERBS: [&str; 10] = [
    "verb:select",
    "verb:insert",
    "verb:update",
    "verb:delete",
    "verb:upsert",
    "verb:merge",
    "verb:copy",
    "verb:truncate",
    "verb:vacuum",
    "verb:analyze",
];

/// The function every annotated one is measured against.
#[inline(never)]
pub(crate) fn plain(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

/// The plain function, annotated.
#[inline(never)]
#[collect_metrics]
pub(crate) fn annotated(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

/// Ten series, each recorded twice, into the call's collector.
#[inline(never)]
#[collect_metrics]
pub(crate) fn annotated_ten_series(x: u64) -> u64 {
    for _ in 0..2 {
        for verb in VERBS {
            collector_runtime::incr("db.query", ["database:main", verb]);
        }
    }
    black_box(x).wrapping_mul(3)
}

/// The same function, sending through a sink that sends nothing: the cost
/// of the call without the datagram its flush puts on the wire.
#[inline(never)]
#[collect_metrics(client = nop_client())]
pub(crate) fn annotated_ten_series_nop_sink(x: u64) -> u64 {
    for _ in 0..2 {
        for verb in VERBS {
            collector_runtime::incr("db.query", ["database:main", verb]);
        }
    }
    black_box(x).wrapping_mul(3)
}

/// One client on cadence's `NopMetricSink` for the whole process. Its
/// aggregator is drained by `collector_runtime::wait_for_delivery()` only (an interval
/// of an hour): what a call costs its caller is then the same from one run
/// to the next, whenever the sender thread would have woken.
pub(crate) fn nop_client() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        Client::new(NopMetricSink).flush_interval(std::time::Duration::from_secs(3600))
    })
}
