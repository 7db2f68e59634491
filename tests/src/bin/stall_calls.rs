//! Annotated calls against an agent that never reads, run by
//! `tests/stalled_agent.rs` with `DD_DOGSTATSD_URL` aimed at a Unix socket
//! the test bound and never reads. Arguments: `async` or `sync` (the global
//! client made synchronous), and how many calls. Prints what it saw on one
//! line, then returns from `main` as a cron job does.

use collector_runtime::{collect_metrics, ClientConfig};

#[collect_metrics(name = "stall", tags(call = id))]
fn call(id: u64) {
    for s in 0..10 {
        collector_runtime::count(&format!("stall.s{s}"), id + s, ());
    }
}

/// Resident memory in KiB, from `/proc/self/status`.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_default();
    let calls: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    if mode == "sync" {
        let config = ClientConfig::from_env().expect("DD_DOGSTATSD_URL");
        let client = config.build().expect("a Unix client").synchronous(true);
        collector_runtime::set_global_client(client);
    }
    let mut handed = 0;
    let mut refused = 0;
    let mut peak_rss = 0;
    for id in 0..calls {
        call(id);
        // What an annotated call's flush did is not returned to its caller:
        // a collector of the same client shows what the outbox does now.
        if id % 1000 == 0 {
            let probe = collector_runtime::Collector::new();
            probe.incr("stall.probe", ());
            let report = probe.flush();
            handed += report.series_sent;
            refused += report.lines_dropped;
            peak_rss = peak_rss.max(rss_kib());
        }
    }
    let delivery = collector_runtime::wait_for_delivery();
    println!(
        "calls={calls} errors_seen={} lines_dropped={} lines_sent={} lines_pending={} \
         probes_handed={handed} probes_refused={refused} peak_rss_kib={}",
        collector_runtime::error::errors_seen(),
        delivery.lines_dropped,
        delivery.lines_sent,
        delivery.lines_pending,
        peak_rss.max(rss_kib()),
    );
}
