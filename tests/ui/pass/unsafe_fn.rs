//! `unsafe fn` keeps its unsafe body (here, where `unsafe_code` is not
//! forbidden as it is in the test crate itself).
#![deny(warnings)]

use cadence::SpyMetricSink;
use collector_runtime::Client;
use collector_runtime::collect_metrics;
use collector_runtime::incr;

/// # Safety
/// `ptr` must be valid for reads.
#[collect_metrics(client = client, outcome)]
unsafe fn read(client: Client, ptr: *const u64) -> u64 {
    incr("reads", ());
    // In edition 2021 the body of an `unsafe fn` is an unsafe context.
    *ptr
}

/// # Safety
/// `ptr` must be valid for reads.
#[collect_metrics(client = client)]
async unsafe fn read_later(client: Client, ptr: *const u64) -> u64 {
    incr("reads.later", ());
    *ptr
}

fn main() {
    let (received, sink) = SpyMetricSink::new();
    let value = 7u64;
    // SAFETY: a reference is valid for reads.
    assert_eq!(
        unsafe { read(Client::new(sink), &value) },
        7
    );
    collector_runtime::wait_for_delivery();
    let sent: Vec<String> = received
        .try_iter()
        .map(|d| String::from_utf8(d).unwrap())
        .collect();
    assert_eq!(sent, ["reads:1|c|#outcome:ok"]);

    let (received, sink) = SpyMetricSink::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    // SAFETY: a reference is valid for reads.
    let read = runtime.block_on(unsafe { read_later(Client::new(sink), &value) });
    assert_eq!(read, 7);
    collector_runtime::wait_for_delivery();
    let sent: Vec<String> = received
        .try_iter()
        .map(|d| String::from_utf8(d).unwrap())
        .collect();
    assert_eq!(sent, ["reads.later:1|c"]);
}
